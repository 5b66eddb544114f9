#!/usr/bin/env bash
# One-time set-up from a fresh clone: the system packages the app and its tests use, then npm ci.
# Idempotent: installs only what is missing. Used by the README's two commands and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian/Ubuntu packages: espeak-ng and sox (test utterances), Chromium (browser tests, headless
# window), Mosquitto (second broker for interop tests and benchmarks), and the system's pocketsphinx
# library (libpocketsphinx3) for the optional native speech backend, which the tests and the
# benchmark hold to the same results as the built-in one. The app itself needs none of them for
# speech: the recogniser and its model ship in resources/pocketsphinx. pocketsphinx-en-us (its
# word language model), sphinxbase-utils (sphinx_lm_convert) and wordnet-base: the inputs of
# build/garbage-vocabulary/generate.mjs, which a test reruns against the committed garbage words.
APT_PACKAGES=(libpocketsphinx3 espeak-ng sox chromium mosquitto mosquitto-clients pocketsphinx-en-us sphinxbase-utils wordnet-base)

if command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "setup: installing ${missing[*]}"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
else
  echo "setup: not a Debian-based system; the tests need espeak-ng, sox and chromium (speech recognition itself is built in)"
fi

# npm ci never fetches the Electron binary (it comes from GitHub, unreachable on offline and CI
# machines); where a desktop session exists we fetch it afterwards, and a failure only means that
# `npm start` runs the headless host instead of the window.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci --no-audit --no-fund
fi
if [ -z "${CI:-}" ] && [ -z "${ELECTRON_SKIP_BINARY_DOWNLOAD:-}" ] && { [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] || [ "$(uname)" = Darwin ]; }; then
  node node_modules/electron/install.js || echo "setup: no Electron binary (download failed); npm start will run the headless host"
fi
