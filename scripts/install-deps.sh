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

# Recording needs only the kernel and mount(8)/setpriv (util-linux), and
# bpftrace to copy the path arguments syscall tracepoints record as pointers;
# text export needs babeltrace2; tests compare with strace; the benchmark with strace and
# perf trace (linux-perf); doctor checks lttng-tools and the LTTng-UST helpers;
# the HTML report is tested in headless chromium; the LTTng kernel tracer in
# a QEMU guest that debootstrap builds (scripts/lttng-guest.sh); the reader
# benchmark compiles a malloc loop (gcc) to record an LTTng-UST trace.
# Then the six applications: servers, clients and benchmark tools (the database
# servers listen in a network namespace of the run's own: iproute2 brings its loopback up).
packages=(bpftrace babeltrace2 strace util-linux iproute2 procps linux-perf lttng-tools liblttng-ust-dev gcc chromium
  qemu-system-x86 debootstrap e2fsprogs patch
  redis-server redis-tools apache2 apache2-utils nginx wrk mariadb-server mariadb-client
  postgresql postgresql-client docker.io busybox-static)
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
  # benchmark-tracer starts private instances of the servers; Debian would also
  # start their system services (apache2 and nginx then fight over port 80 and
  # the install fails). A policy-rc.d of our own, only while apt runs, stops
  # that; one the machine already has is left alone.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if ! [ -e /sys/kernel/tracing/instances ]; then
  mount -t tracefs nodev /sys/kernel/tracing
fi

npm ci --no-audit --no-fund
npm run build
