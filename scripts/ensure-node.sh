#!/bin/sh
# Makes sure Node.js (18 or newer) and npm are there to build the web app; installs Debian's
# nodejs and npm packages when they are absent.
set -e
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 18 ] && exit 0
  echo "Node.js $major is too old to build the web app (18 or newer is needed)." >&2
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "Installing nodejs and npm with apt-get..."
  export DEBIAN_FRONTEND=noninteractive
  apt="apt-get -y -q -o DPkg::Lock::Timeout=600"
  $apt install nodejs npm >/dev/null 2>&1 || {
    $apt update >/dev/null && $apt install nodejs npm >/dev/null
  }
else
  echo "Building the web app needs Node.js 18+ and npm: run 'sudo apt-get install nodejs npm'." >&2
  exit 1
fi
