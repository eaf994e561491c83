#!/usr/bin/env bash
# The whole check: lint, types, import contracts, then the test suite (SQLite and a throw-away PostgreSQL,
# browser tests in Debian's Chromium). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-system-deps.sh
bash scripts/setup.sh

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy"
.venv/bin/mypy
echo "== import contracts"
.venv/bin/lint-imports
echo "== pytest (SQLite; database tests also on a throw-away PostgreSQL; browser tests in Chromium)"
.venv/bin/python -m pytest -n 2 --dist loadgroup "$@"
echo "== pytest again with every database test on PostgreSQL (the production store)"
YUQING_TEST_DATABASE=postgresql .venv/bin/python -m pytest -n 2 --dist loadgroup -m "not slow and not browser" "$@"
