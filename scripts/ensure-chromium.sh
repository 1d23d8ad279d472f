#!/bin/sh
# Installs Debian's headless-capable Chromium (the browser tests' browser) when absent.
# The tests drive /usr/bin/chromium with Playwright; no browser is ever downloaded otherwise.
set -e
[ -x /usr/bin/chromium ] && exit 0
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "Installing chromium with apt-get..."
  export DEBIAN_FRONTEND=noninteractive
  apt="apt-get -y -q -o DPkg::Lock::Timeout=600"
  $apt install --no-install-recommends chromium fonts-dejavu-core >/dev/null 2>&1 || {
    $apt update >/dev/null && $apt install --no-install-recommends chromium fonts-dejavu-core >/dev/null
  }
else
  echo "The browser tests need Chromium: run 'sudo apt-get install chromium'." >&2
  exit 1
fi
