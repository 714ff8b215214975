#!/usr/bin/env bash
# Installs what benchmark-tracer and its test suite need on Debian 12, as
# root, then builds the tool. Safe to run again: it installs only what is
# missing. Used by the README's quick start and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "install-deps: run as root (it installs Debian packages and mounts tracefs)" >&2
  exit 2
fi

# Recording: tracefs control needs nothing but the kernel; mount(8) is in util-linux.
# Text export: babeltrace2. Tests: strace (reference counts), setpriv (util-linux).
# Benchmark and Redis example: redis-server, redis-tools. Comparisons: linux-perf.
# doctor's LTTng checks: lttng-tools, liblttng-ust-dev (LD_PRELOAD helpers).
packages=(babeltrace2 strace util-linux redis-server redis-tools linux-perf lttng-tools liblttng-ust-dev procps)
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 18 ] || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # Debian may start the system's redis-server service; benchmark-tracer
  # never uses or touches it (its instances have their own ports and dirs).
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if ! [ -e /sys/kernel/tracing/instances ]; then
  mount -t tracefs nodev /sys/kernel/tracing
fi

npm ci --no-audit --no-fund
npm run build
