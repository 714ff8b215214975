#!/usr/bin/env bash
# The README's first command: install what is missing, build, and trace a
# Redis server under redis-benchmark for 10 seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
exec node dist/src/cli/main.js \
  --custom "redis-server --port $port --bind 127.0.0.1 --save '' --appendonly no" \
  --workload "redis-benchmark -h 127.0.0.1 -p $port -t set,get -c 50 -n 100000 -q" \
  --ready-cmd "redis-cli -h 127.0.0.1 -p $port ping | grep -q PONG" \
  --duration 10 "$@"
