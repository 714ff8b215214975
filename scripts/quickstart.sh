#!/usr/bin/env bash
# The README's first command: install what is missing, build, and trace a
# private Redis under redis-benchmark (10 s unless --duration says otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
exec node dist/src/cli/main.js redis "$@"
