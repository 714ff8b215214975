#!/usr/bin/env bash
# The LTTng kernel tracer, where this machine's kernel cannot load it: a
# Debian 12 guest under QEMU with lttng-modules built for its kernel.
#
#   scripts/lttng-guest.sh build              build (or find) the cached image
#   scripts/lttng-guest.sh run [OPTIONS] [--] CMD [ARG...]
#       boots the guest, runs CMD as root in /mnt/project (this checkout,
#       read-only), prints its output, returns its exit code, and leaves what
#       it wrote to $BT_GUEST_OUT (/mnt/out in the guest) in --out DIR.
#       --out DIR       host directory for the results (default traces/guest/<time>)
#       --timeout S     power the guest off after S seconds (default 3600)
#       --memory MB     guest memory (default 3072)
#       --accel A       kvm, tcg or auto (default: kvm when a short probe boots, else tcg)
#       --kernel-log    print every kernel message (default: errors only)
#
# The guest boots Debian's kernel with a small init of ours (no systemd), its
# disk is the cached image in snapshot mode (the cache never changes), and
# qemu is always stopped: on exit, error, Ctrl-C or SIGTERM.
set -euo pipefail
project=$(cd "$(dirname "$0")/.." && pwd)

die() { echo "lttng-guest: $*" >&2; exit 2; }

build() { bash "$project/scripts/lttng-guest/build-image.sh"; }

# Does KVM really run a guest here? /dev/kvm may open while guests hang after
# the BIOS; a kernel that prints its banner within a few seconds is the proof.
kvm_boots() { # IMAGE_DIR
  [ -r /dev/kvm ] || return 1
  local console
  console=$(mktemp)
  qemu-system-x86_64 -accel kvm -cpu host -m 256 -display none -no-reboot -nic none \
    -kernel "$1/vmlinuz" -append "console=ttyS0 panic=-1" -serial "file:$console" >/dev/null 2>&1 &
  local probe=$! booted=1
  # shellcheck disable=SC2064
  trap "kill $probe 2>/dev/null || true; rm -f '$console'" EXIT
  for _ in $(seq 1 40); do
    if grep -q 'Linux version' "$console" 2>/dev/null; then booted=0; break; fi
    kill -0 "$probe" 2>/dev/null || break
    sleep 0.2
  done
  kill "$probe" 2>/dev/null || true
  wait "$probe" 2>/dev/null || true
  rm -f "$console"
  trap - EXIT
  return $booted
}

run() {
  local out="" timeout=3600 memory=3072 accel=auto loglevel=3
  while [ $# -gt 0 ]; do
    case $1 in
      --out) out=${2:?--out needs a directory}; shift 2 ;;
      --timeout) timeout=${2:?--timeout needs seconds}; shift 2 ;;
      --memory) memory=${2:?--memory needs MB}; shift 2 ;;
      --accel) accel=${2:?--accel needs kvm, tcg or auto}; shift 2 ;;
      --kernel-log) loglevel=7; shift ;;
      --) shift; break ;;
      -*) die "unknown option $1 (see the top of $0)" ;;
      *) break ;;
    esac
  done
  [ $# -gt 0 ] || die "run: no command (scripts/lttng-guest.sh run CMD [ARG...])"
  [[ $timeout =~ ^[0-9]+$ && $memory =~ ^[0-9]+$ ]] || die "--timeout and --memory take whole numbers"
  [ "$(id -u)" = 0 ] || die "run as root"
  command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is missing (apt-get install qemu-system-x86)"

  local image_dir
  image_dir=$(build)
  out=${out:-$project/traces/guest/$(date +%Y%m%d_%H%M%S)}
  mkdir -p "$out/.guest"
  out=$(cd "$out" && pwd)
  rm -f "$out/.guest/exit-code"
  {
    echo "export BT_GUEST_OUT=/mnt/out${CI:+ CI=$CI}"
    printf '%q ' "$@"
    echo
  } > "$out/.guest/command"

  # From here on a signal to this script alone (not its group, as a terminal's Ctrl-C) ends it too.
  trap 'echo "lttng-guest: interrupted" >&2; exit 130' INT TERM
  case $accel in
    auto) if kvm_boots "$image_dir"; then accel=kvm; else accel=tcg; fi ;;
    kvm | tcg) ;;
    *) die "--accel takes kvm, tcg or auto" ;;
  esac
  local accel_args=(-accel tcg,thread=multi -cpu max)
  if [ "$accel" = kvm ]; then
    accel_args=(-accel kvm -cpu host)
    echo "lttng-guest: $(sed -n 's/^kernel=//p' "$image_dir/manifest") under KVM" >&2
  else
    echo "lttng-guest: $(sed -n 's/^kernel=//p' "$image_dir/manifest") under TCG emulation (KVM absent or not booting guests here): user code runs ~15x slower" >&2
  fi

  local console=$out/.guest/console.log
  : > "$console"
  qemu-system-x86_64 "${accel_args[@]}" -smp "$(nproc)" -m "$memory" \
    -display none -no-reboot -nic none \
    -kernel "$image_dir/vmlinuz" -initrd "$image_dir/initrd.img" \
    -append "console=ttyS0 root=/dev/vda rw quiet loglevel=$loglevel panic=-1 init=/usr/local/sbin/bt-guest-init" \
    -drive "file=$image_dir/image.ext4,format=raw,if=virtio,snapshot=on" \
    -virtfs "local,path=$project,mount_tag=project,security_model=none,readonly=on" \
    -virtfs "local,path=$out,mount_tag=out,security_model=none" \
    -serial "file:$console" </dev/null >"$out/.guest/qemu.log" 2>&1 &
  local qemu=$!
  # shellcheck disable=SC2064
  trap "status=\$?; kill $qemu 2>/dev/null || true; wait $qemu 2>/dev/null || true; exit \$status" EXIT
  trap 'echo "lttng-guest: interrupted, guest stopped" >&2; exit 130' INT TERM
  tail -n +1 --pid="$qemu" -f "$console" &
  local tailer=$!
  local waited=0
  while kill -0 "$qemu" 2>/dev/null; do
    if [ "$waited" -ge "$timeout" ]; then
      kill "$qemu" 2>/dev/null || true
      wait "$tailer" 2>/dev/null || true
      echo "lttng-guest: timed out after $timeout s, guest stopped" >&2
      return 124
    fi
    sleep 1
    waited=$((waited + 1))
  done
  wait "$tailer" 2>/dev/null || true
  if [ ! -s "$out/.guest/exit-code" ]; then
    echo "lttng-guest: the guest stopped without the command's exit code (see $out/.guest/qemu.log and console.log)" >&2
    tail -n 5 "$out/.guest/qemu.log" >&2
    return 125
  fi
  local code
  code=$(cat "$out/.guest/exit-code")
  echo "lttng-guest: exit $code after ${waited} s; results in $out" >&2
  return "$code"
}

case ${1:-} in
  build) build ;;
  run) shift; run "$@" ;;
  *) die "usage: scripts/lttng-guest.sh build | run [--out DIR] [--timeout S] [--memory MB] [--accel kvm|tcg|auto] [--kernel-log] [--] CMD [ARG...]" ;;
esac
