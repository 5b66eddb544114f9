#!/usr/bin/env bash
# Renders the app and tray icons from resources/icons/*.svg (needs rsvg-convert: apt-get install librsvg2-bin).
# The PNGs are committed, so packaging never needs this tool; rerun it after editing an SVG.
set -euo pipefail
cd "$(dirname "$0")/../resources/icons"
for size in 16 24 32 48 64 128 256 512 1024; do
  rsvg-convert -w "$size" -h "$size" icon.svg -o "png/${size}x${size}.png"
done
# Tray: one colour per health level (tray.ts trayIconFile), 16 px base + @2x for HiDPI (nativeImage picks it).
declare -A COLORS=([ok]='#2f9e44' [degraded]='#f08c00' [down]='#e03131' [stopped]='#868e96' [unknown]='#4dabf7')
for level in "${!COLORS[@]}"; do
  sed "s/STATUS_COLOR/${COLORS[$level]}/" tray.svg > "/tmp/alicia-tray-$level.svg"
  rsvg-convert -w 16 -h 16 "/tmp/alicia-tray-$level.svg" -o "tray/tray-$level.png"
  rsvg-convert -w 32 -h 32 "/tmp/alicia-tray-$level.svg" -o "tray/tray-$level@2x.png"
  rm "/tmp/alicia-tray-$level.svg"
done
