#!/usr/bin/env bash
# The browser the console's tests drive: Debian's chromium from apt (Playwright launches it by its path;
# no browser is ever downloaded). Installed only when missing.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "installing chromium with apt-get (the console's browser tests drive it)" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium
