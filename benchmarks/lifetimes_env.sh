#!/usr/bin/env bash
# A separate venv with lifetimes 0.11.3, the reference the summary and BG/NBD benchmarks
# compare with. lifetimes is never a dependency of custcare; it runs in its own process.
#
#   bash benchmarks/lifetimes_env.sh            # creates /tmp/lifetimes-venv once
#   LIFETIMES_VENV=/somewhere bash benchmarks/lifetimes_env.sh
#
# Prints the venv's python on stdout. lifetimes 0.11.3 installs and runs with numpy 2 and
# pandas 3 (checked with numpy 2.4, pandas 3.1, scipy 1.17).
set -euo pipefail
VENV=${LIFETIMES_VENV:-/tmp/lifetimes-venv}
PY=${PYTHON:-python3}
if ! "$VENV/bin/python" -c "import lifetimes" >/dev/null 2>&1; then
    "$PY" -m venv "$VENV" >&2
    "$VENV/bin/python" -m pip install -q --upgrade pip >&2
    "$VENV/bin/python" -m pip install -q "lifetimes==0.11.3" pandas numpy scipy >&2
fi
echo "$VENV/bin/python"
