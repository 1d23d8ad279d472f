#!/bin/sh
# Installs wrk, the benchmarks' HTTP load generator, from the distribution's packages.
set -e
command -v wrk >/dev/null 2>&1 && exit 0
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "Installing wrk with apt-get..."
  apt-get install -y -q wrk >/dev/null 2>&1 || {
    apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null
  }
else
  echo "The benchmarks need wrk: run 'sudo apt-get install wrk' (or your system's equivalent)." >&2
  exit 1
fi
