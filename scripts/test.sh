#!/usr/bin/env bash
# The whole test suite: Rust unit and integration tests on both stores (SQLite file and a real
# PostGIS started by scripts/postgis.sh), then the outside checkers in Python (shapely, prcoords,
# jsonschema...) against the running service.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${WANGGE_TEST_DATABASE_URL:-}" ]; then
  WANGGE_TEST_DATABASE_URL="$(scripts/postgis.sh | tail -n 1)"
fi
export WANGGE_TEST_DATABASE_URL
echo "PostGIS for tests: $WANGGE_TEST_DATABASE_URL" >&2

cargo build --bin wangge
cargo test --workspace --no-fail-fast

scripts/python-env.sh >&2
WANGGE_BIN="$PWD/target/debug/wangge" target/pyenv/bin/python -m pytest -q tests/python
