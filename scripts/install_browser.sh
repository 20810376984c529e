#!/usr/bin/env bash
# Installs the headless browser the Kedro-Viz test and scripts/make_docs_images.py
# drive: Debian's Chromium and its matching ChromeDriver (never a downloaded
# browser). Run as root. Elsewhere, install any Chromium with its chromedriver so
# that both are on PATH.
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  echo "chromium and chromedriver already installed"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "no apt-get: install Chromium and chromedriver with your system's package manager" >&2
  exit 1
fi
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
  chromium chromium-driver
chromium --version
chromedriver --version
