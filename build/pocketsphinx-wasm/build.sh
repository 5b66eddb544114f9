#!/usr/bin/env bash
# Builds pocketsphinx to WebAssembly from Debian's own source packages with Debian's emscripten, and
# extracts the US English model from the same source package, into resources/pocketsphinx/:
#   pocketsphinx.cjs + pocketsphinx.wasm  the decoder (driver.c over libpocketsphinx + libsphinxbase)
#   model/en-us/                          what the stt engine reads: the acoustic model, the CMU
#                                         dictionary, the phone language model (+ their licence)
#   LICENSE.*, SHA256SUMS                 the licences of the compiled code; every file's hash
# The result is committed (docs/decisions.md), so the app needs nothing from the system on any OS.
#
#   bash build/pocketsphinx-wasm/build.sh           rebuild into resources/pocketsphinx/
#   bash build/pocketsphinx-wasm/build.sh --check   rebuild into a temporary folder and compare
#                                                   every byte with the committed files (exit 1 if not)
# Needs Debian 12 (bookworm) and root for apt-get; about 2 minutes on 2 cores. Nothing is fetched but
# Debian's packages: the source packages come through apt with a private source list and state
# folder, so the machine's apt configuration is left as it is.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
COMMITTED="$ROOT/resources/pocketsphinx"

# --- pinned inputs ---------------------------------------------------------------------------------
# Source packages (bookworm main), and the sha256 of every file apt fetches for them. apt checks the
# files against the signed Sources index; these pins also catch a new Debian revision.
PS_VERSION='0.8+5prealpha+1-15'
SB_VERSION='0.8+5prealpha+1-16'
SOURCE_SHA256='
6c40b4ca2ea551eaaac3b033c216c6ca44c143bf92977cd148603ae1d3783821  pocketsphinx_0.8+5prealpha+1-15.dsc
c53b64c245e6656800d8e6054614c0c6efe69b13d964e0e8183e33042d1a081a  pocketsphinx_0.8+5prealpha+1-15.debian.tar.xz
ef5bb5547e2712bdf571f256490ef42a47962033892efd9d7df8eed7fe573ed9  pocketsphinx_0.8+5prealpha+1.orig.tar.gz
d48cbbec8151f8c36ec5270f51f8c0f5971b6285fb47d1638ade2437a6885980  sphinxbase_0.8+5prealpha+1-16.dsc
3f754cac04ae963262b7d8dfb28eb704ad0aaf906495a6f112b93186eb2f1ab6  sphinxbase_0.8+5prealpha+1-16.debian.tar.xz
f72bdb59e50b558bed47cc2105777200d2b246a0f328e913de16a9b22f9a246f  sphinxbase_0.8+5prealpha+1.orig.tar.gz
'
# The toolchain: Debian's emscripten and what it runs (its clang, wasm-ld, binaryen), exact versions.
TOOLS=(
  'emscripten=3.1.6~dfsg-5'
  'clang-14=1:14.0.6-12'
  'lld-14=1:14.0.6-12'
  'llvm-14=1:14.0.6-12'
  'binaryen=108-1'
  'bison=2:3.8.2+dfsg-1+b1'
  'dpkg-dev'
)
EMCC_VERSION='3.1.6'
# Compiler flags for both libraries and the driver (and the link: -flto optimises across them).
# Measured on the grammar pass (CPU time, same utterances, Debian's native library = 1.00): -O2 1.31,
# -O3 1.33, -O3 -msimd128 1.29, -O3 -msimd128 -flto 0.91 (inlining sphinxbase's small math and
# feature helpers into the decoder's loops); the hypotheses and scores are the same in every case.
# -ffile-prefix-map keeps the build folder out of the output (sphinxbase's log macros carry
# __FILE__), so the bytes do not depend on where it ran.
OPT_FLAGS='-O3 -msimd128 -flto'
# Debian's emcc 3.1.6 under Node 20: its glue would call Node's fetch() on a file path (async
# compilation), so compile synchronously and for Node only; EMCC_CFLAGS reaches configure's test programs too.
EMCC_FLAGS='-sWASM_ASYNC_COMPILATION=0 -sENVIRONMENT=node'
# What the worker calls (driver.c, and the raw ps_* calls it needs no wrapper for).
EXPORTS='_psw_init,_psw_set_jsgf,_psw_set_fsg,_psw_set_allphone,_psw_set_keyphrase,_ps_add_word,_psw_hyp,_psw_segments,_ps_start_utt,_ps_process_raw,_ps_end_utt,_ps_get_n_frames,_ps_get_prob,_ps_free,_malloc,_free'
LINK_FLAGS=(
  -sMODULARIZE=1 -sEXPORT_NAME=createPocketsphinx
  # the decoder reads the model with ordinary file calls: NODERAWFS maps them onto Node's fs
  -sNODERAWFS=1 -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=33554432
  -sEXIT_RUNTIME=0 -sNODEJS_CATCH_EXIT=0 -sNODEJS_CATCH_REJECTION=0
  "-sEXPORTED_FUNCTIONS=$EXPORTS"
  -sEXPORTED_RUNTIME_METHODS=UTF8ToString,stringToUTF8,lengthBytesUTF8
)
# The model files the engine reads (under model/en-us/ of the pocketsphinx source package).
MODEL_FILES=(
  en-us/README en-us/feat.params en-us/mdef en-us/means en-us/noisedict en-us/sendump
  en-us/transition_matrices en-us/variances cmudict-en-us.dict en-us-phone.lm.bin
)

# --- arguments ---------------------------------------------------------------------------------------
CHECK=0
case "${1:-}" in
  --check) CHECK=1 ;;
  '') ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

log() { echo "pocketsphinx-wasm: $*"; }
start=$(date +%s)

# --- toolchain ----------------------------------------------------------------------------------------
missing=()
for t in "${TOOLS[@]}"; do
  name=${t%%=*}
  want=${t#*=}
  have=$(dpkg-query -W -f='${Version}' "$name" 2>/dev/null || true)
  if [ -z "$have" ]; then
    missing+=("$t")
  elif [ "$want" != "$t" ] && [ "$have" != "$want" ]; then
    echo "pocketsphinx-wasm: $name is $have here, the build is pinned to $want" >&2
    exit 1
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  log "installing ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# emcc imports Debian's acorn, which Debian installs for its own nodejs, not for this one
export NODE_PATH=/usr/share/nodejs
have_emcc=$(emcc --version | sed -n 1p) # sed reads to the end: head would break emcc's pipe
case "$have_emcc" in
  *" $EMCC_VERSION "*) ;;
  *) echo "pocketsphinx-wasm: emcc says '$have_emcc', the build is pinned to $EMCC_VERSION" >&2; exit 1 ;;
esac

# --- sources ------------------------------------------------------------------------------------------
WORK=$(mktemp -d /tmp/alicia-pocketsphinx-wasm.XXXXXX)
[ -n "${PSW_KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT
APT_DIR="$WORK/apt"
mkdir -p "$APT_DIR/parts" "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial" "$WORK/src"
cat > "$APT_DIR/parts/bookworm-src.sources" <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
APT_OPTS=(
  -o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$APT_DIR/parts"
  -o "Dir::State::Lists=$APT_DIR/lists" -o "Dir::Cache=$APT_DIR/cache" -o "Debug::NoLocking=1"
  -o "APT::Sandbox::User=root"
)
log "fetching the source packages pocketsphinx $PS_VERSION and sphinxbase $SB_VERSION"
apt-get "${APT_OPTS[@]}" -q update >/dev/null
(cd "$WORK/src" && apt-get "${APT_OPTS[@]}" -q source --download-only "pocketsphinx=$PS_VERSION" "sphinxbase=$SB_VERSION" >/dev/null)
(cd "$WORK/src" && echo "$SOURCE_SHA256" | sed '/^$/d' | sha256sum --check --strict --quiet)
(cd "$WORK/src" && dpkg-source -x "pocketsphinx_$PS_VERSION.dsc" pocketsphinx && dpkg-source -x "sphinxbase_$SB_VERSION.dsc" sphinxbase) >"$WORK/unpack.log" 2>&1 || { cat "$WORK/unpack.log"; exit 1; }
SB="$WORK/src/sphinxbase"
PS="$WORK/src/pocketsphinx"
# Debian's patches that change C code (pocketsphinx: avoid-underflow, spelling) compile as they are.
# Those that touch configure.ac, Makefile.am or m4 concern pkg-config lookup, Python and the tests,
# none of which this build uses, so the upstream configure scripts are kept (Debian regenerates them
# with autoreconf); newer timestamps keep make from trying to regenerate them with automake 1.13.
for d in "$SB" "$PS"; do
  find "$d" \( -name aclocal.m4 -o -name configure -o -name Makefile.in -o -name config.h.in \) -exec touch {} +
done

# --- build --------------------------------------------------------------------------------------------
export EMCC_CFLAGS="$EMCC_FLAGS"
CFLAGS="$OPT_FLAGS -ffile-prefix-map=$WORK/src/="
log "building sphinxbase (libsphinxad needs OSS audio headers and is not built: the app records in the window)"
(cd "$SB" && emconfigure ./configure -q --without-python --without-lapack --disable-shared --enable-static CFLAGS="$CFLAGS" >"$WORK/sb-configure.log" 2>&1 && emmake make -s -C src/libsphinxbase >"$WORK/sb-make.log" 2>&1) \
  || { tail -n 30 "$WORK"/sb-*.log; exit 1; }
log "building pocketsphinx"
(cd "$PS" && emconfigure ./configure -q --without-python --disable-shared --enable-static --with-sphinxbase="$SB" CFLAGS="$CFLAGS" >"$WORK/ps-configure.log" 2>&1 && emmake make -s -C src/libpocketsphinx >"$WORK/ps-make.log" 2>&1) \
  || { tail -n 30 "$WORK"/ps-*.log; exit 1; }
OUT="$WORK/out"
mkdir -p "$OUT"
log "linking the driver"
# shellcheck disable=SC2086 # OPT_FLAGS is a list of flags
emcc $OPT_FLAGS "-ffile-prefix-map=$HERE/=" -I"$PS/include" -I"$SB/include" -I"$SB/include/sphinxbase" \
  "$HERE/driver.c" "$PS/src/libpocketsphinx/.libs/libpocketsphinx.a" "$SB/src/libsphinxbase/.libs/libsphinxbase.a" \
  "${LINK_FLAGS[@]}" -o "$OUT/pocketsphinx.js"
# CommonJS glue inside a "type": "module" package: .cjs, or Node would load it as an ES module
mv "$OUT/pocketsphinx.js" "$OUT/pocketsphinx.cjs"

# --- model and licences ------------------------------------------------------------------------------
mkdir -p "$OUT/model/en-us/en-us"
for f in "${MODEL_FILES[@]}"; do cp "$PS/model/en-us/$f" "$OUT/model/en-us/$f"; done
cp "$PS/LICENSE" "$OUT/model/en-us/LICENSE"
cp "$PS/LICENSE" "$OUT/LICENSE.pocketsphinx"
cp "$SB/LICENSE" "$OUT/LICENSE.sphinxbase"
(cd "$OUT" && find . -type f ! -name SHA256SUMS | LC_ALL=C sort | sed 's|^\./||' | xargs sha256sum > SHA256SUMS)

if [ "$CHECK" = 1 ]; then
  if diff -u "$COMMITTED/SHA256SUMS" "$OUT/SHA256SUMS" && (cd "$COMMITTED" && sha256sum --check --strict --quiet SHA256SUMS); then
    log "check passed: the rebuild is byte for byte the committed resources/pocketsphinx/ ($(($(date +%s) - start)) s)"
  else
    echo "pocketsphinx-wasm: the rebuild differs from resources/pocketsphinx/ (see above)" >&2
    exit 1
  fi
else
  mkdir -p "$COMMITTED"
  for f in $(cd "$OUT" && find . -type f | sed 's|^\./||'); do
    mkdir -p "$COMMITTED/$(dirname "$f")"
    cp "$OUT/$f" "$COMMITTED/$f"
  done
  log "wrote resources/pocketsphinx/ in $(($(date +%s) - start)) s:"
  (cd "$COMMITTED" && du -b pocketsphinx.wasm pocketsphinx.cjs && du -sb model)
fi
