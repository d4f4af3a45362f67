#!/usr/bin/env bash
# Set up a virtualenv from scratch and run every check: ruff, mypy (strict), the test suite.
# This is the README's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
.venv/bin/ruff check auditor tests bench scripts
.venv/bin/mypy
.venv/bin/python -m pytest -q "$@"
