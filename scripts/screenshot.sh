#!/usr/bin/env bash
# Screenshot a page of the running platform with headless Chromium (Debian's chromium package).
# Usage: scripts/screenshot.sh URL OUT.png [WIDTHxHEIGHT]
set -euo pipefail
URL="$1"; OUT="$2"; SIZE="${3:-1600,1000}"
PROFILE="$(mktemp -d)"
trap 'rm -rf "$PROFILE"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$PROFILE" --hide-scrollbars --window-size="$SIZE" \
  --virtual-time-budget=20000 --screenshot="$OUT" "$URL" >/dev/null 2>&1
echo "wrote $OUT"
