#!/bin/sh
# Creates the virtual environment, installing Debian's venv module first when it is missing.
set -e
venv=${1:-.venv}
python=${PYTHON:-python3}
[ -x "$venv/bin/python" ] && exit 0

if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "TaskSync needs Python 3.11 or newer; '$python' is $("$python" --version 2>&1)." >&2
  echo "Install a newer Python, or run: make PYTHON=python3.12 ..." >&2
  exit 1
fi
if ! "$python" -m venv "$venv" 2>/dev/null; then
  rm -rf "$venv"
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "Installing the Python venv module with apt-get..."
    version=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    apt-get install -y -q "python$version-venv" >/dev/null 2>&1 || {
      apt-get update -q >/dev/null && apt-get install -y -q "python$version-venv" python3-venv >/dev/null
    }
    "$python" -m venv "$venv"
  else
    echo "Python's venv module is missing: run 'sudo apt-get install python3-venv', then retry." >&2
    exit 1
  fi
fi
