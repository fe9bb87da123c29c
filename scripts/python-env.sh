#!/usr/bin/env bash
# A virtualenv with the outside checkers the tests use, in target/pyenv (reused when up to date).
set -euo pipefail
cd "$(dirname "$0")/.."
req=tests/python/requirements.txt
env=target/pyenv
if [ -x "$env/bin/python" ] && cmp -s "$req" "$env/requirements.txt"; then
  exit 0
fi
mkdir -p target
python3 -m venv "$env"
"$env/bin/pip" install --quiet --disable-pip-version-check -r "$req"
cp "$req" "$env/requirements.txt"
