#!/usr/bin/env bash
# Runs a command with the system's pocketsphinx out of reach, to prove the app needs nothing from it:
#   bash e2e/support/withoutSystemPocketsphinx.sh npx vitest run services/stt
# In a private mount namespace (Linux, root: CI runs as root), every libpocketsphinx / libsphinxbase /
# libsphinxad the dynamic linker knows is covered by /dev/null (dlopen fails: not an ELF file) and
# Debian's model folder by an empty read-only tmpfs; nothing outside this command's process tree sees a change.
# The command gets ALICIA_STT_SYSTEM_HIDDEN=1, so services/stt/nativeDecoder.test.ts asserts that the
# native backend now refuses to open instead of running its suite.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "${1:-}" != "--inside" ]; then
  [ "$#" -gt 0 ] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }
  exec unshare --mount --propagation private bash "$0" --inside "$@" \
    || { echo "withoutSystemPocketsphinx: needs root and Linux (unshare --mount)" >&2; exit 1; }
fi
shift

libs=$(ldconfig -p | awk '/lib(pocketsphinx|sphinxbase|sphinxad)\.so/ { print $NF }' | xargs -r readlink -f | sort -u)
for lib in $libs; do mount --bind /dev/null "$lib"; done
for dir in /usr/share/pocketsphinx /usr/local/share/pocketsphinx; do
  if [ -d "$dir" ]; then mount -t tmpfs -o ro,size=4k alicia-no-pocketsphinx "$dir"; fi
done
echo "withoutSystemPocketsphinx: hidden $(echo "$libs" | grep -c . || true) libraries and Debian's model folder"

# Proof that it took, before anything runs: the library does not load and the model is gone.
if node -e "require('koffi').load('libpocketsphinx.so.3')" 2>/dev/null; then
  echo "withoutSystemPocketsphinx: libpocketsphinx.so.3 still loads" >&2
  exit 1
fi
if [ -e /usr/share/pocketsphinx/model/en-us/en-us/mdef ]; then
  echo "withoutSystemPocketsphinx: Debian's model is still readable" >&2
  exit 1
fi

export ALICIA_STT_SYSTEM_HIDDEN=1
exec "$@"
