#!/usr/bin/env bash
# Builds the LTTng test guest: a Debian 12 root file system with Debian's
# kernel, lttng-modules built for it by DKMS, lttng-tools, babeltrace2 and
# what the guest tests run (strace, redis, nginx, wrk, bpftrace), plus this
# machine's node. Cached under $BT_GUEST_CACHE (default
# /var/cache/benchmark-tracer/lttng-guest), keyed by the files that make it
# and the node version, so a second call returns at once. Prints the image's
# directory on stdout.
#
# Debian's lttng-modules-dkms 2.13.9 does not build against bookworm's
# current kernel: the stable kernels gave the hrtimer_start tracepoint a third
# argument (was_armed). Where the kernel headers say so, we give LTTng's probe
# the same prototype (hrtimer-start-was-armed.patch, recorded in the
# manifest); nothing else of lttng-modules is changed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${BT_GUEST_CACHE:-/var/cache/benchmark-tracer/lttng-guest}
suite=bookworm
# linux-libc-dev: asm/unistd_64.h names the syscalls LTTng records as unknown.
packages=(linux-image-amd64 linux-headers-amd64 dkms lttng-tools liblttng-ust-dev babeltrace2 strace
  redis-server redis-tools nginx wrk bpftrace iproute2 procps kmod util-linux libstdc++6 linux-libc-dev ca-certificates)

say() { [ -t 2 ] && printf '\r\033[K%s' "$*" >&2 || true; }
die() { [ -t 2 ] && printf '\n' >&2; echo "lttng-guest build: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (debootstrap, chroot, DKMS)"
for tool in debootstrap mkfs.ext4 sha256sum node patch; do
  command -v "$tool" >/dev/null || die "$tool is missing (apt-get install debootstrap e2fsprogs coreutils patch)"
done

key=$( { cat "$0" "$here/init" "$here/hrtimer-start-was-armed.patch"; node --version; } | sha256sum | cut -c1-16)
image_dir=$cache/$key
if [ -f "$image_dir/manifest" ]; then
  echo "$image_dir"
  exit 0
fi

# The archive this machine's apt uses, so that the guest comes from the same place.
archive_uri() { # SUITE DEFAULT
  apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
    awk -v s="$1" '$2 == s { print $1; exit }' | sed 's:/*$::' | grep . || echo "$2"
}
mirror=$(archive_uri "$suite" http://deb.debian.org/debian)
security=$(archive_uri "$suite-security" http://deb.debian.org/debian-security)

mkdir -p "$cache"
work=$(mktemp -d "$cache/build.XXXXXX")
root=$work/root
log=$work/build.log
started=$SECONDS
unmount_chroot() {
  for m in dev/pts dev sys proc; do
    mountpoint -q "$root/$m" 2>/dev/null && umount -l "$root/$m"
  done
  return 0
}
cleanup() {
  unmount_chroot
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

phase() { # NAME COMMAND...
  local name=$1
  shift
  say "lttng-guest build: $name ($((SECONDS - started)) s)"
  echo "== $name" >> "$log"
  if ! "$@" >> "$log" 2>&1; then
    [ -t 2 ] && printf '\n' >&2
    tail -n 30 "$log" >&2
    die "$name failed (the log above is the end of $log)"
  fi
}
in_root() { chroot "$root" env DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }

phase "debootstrap $suite from $mirror" debootstrap --variant=minbase "$suite" "$root" "$mirror"
cat > "$root/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
EOF
# No service starts inside the chroot.
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"
mount -t proc proc "$root/proc"
mount -t sysfs sys "$root/sys"
mount --bind /dev "$root/dev"
phase "apt-get update" in_root apt-get update -q
phase "installing the kernel, lttng-tools and the test tools" in_root apt-get install -y -q --no-install-recommends "${packages[@]}"

kernel=$(basename "$(ls -d "$root"/lib/modules/*-amd64 | sort -V | tail -n 1)")
phase "fetching lttng-modules-dkms" in_root sh -c 'cd /tmp && apt-get download lttng-modules-dkms && dpkg --unpack /tmp/lttng-modules-dkms_*.deb && rm /tmp/lttng-modules-dkms_*.deb'
lttng_src=$(ls -d "$root"/usr/src/lttng-modules-* | tail -n 1)
lttng_version=${lttng_src##*/lttng-modules-}
patched=none
if grep -A4 'TRACE_EVENT(hrtimer_start' "$root/usr/src/linux-headers-${kernel%-amd64}-common/include/trace/events/timer.h" | grep -q was_armed; then
  phase "adapting the hrtimer_start probe to $kernel" patch -d "$lttng_src" -p1 -i "$here/hrtimer-start-was-armed.patch"
  patched="timer: hrtimer_start takes the kernel's was_armed argument (and records it)"
fi
phase "building lttng-modules $lttng_version for $kernel (DKMS)" in_root dpkg --configure lttng-modules-dkms
if ! find "$root/lib/modules/$kernel" -name 'lttng-tracer.ko*' | grep -q .; then
  tail -n 30 "$root/var/lib/dkms/lttng-modules/$lttng_version/build/make.log" >&2 || true
  die "DKMS built no lttng-tracer module for $kernel"
fi

phase "finishing the root" sh -c "
  chroot '$root' apt-get clean
  rm -f '$root/usr/sbin/policy-rc.d'
  echo bt-guest > '$root/etc/hostname'
  printf '127.0.0.1 localhost\n::1 localhost\n127.0.1.1 bt-guest\n' > '$root/etc/hosts'
  install -m 0755 '$(command -v node)' '$root/usr/local/bin/node'
  install -m 0755 '$here/init' '$root/usr/local/sbin/bt-guest-init'
  mkdir -p '$root/mnt/project' '$root/mnt/out'
"
unmount_chroot
cp "$root/boot/vmlinuz-$kernel" "$work/vmlinuz"
cp "$root/boot/initrd.img-$kernel" "$work/initrd.img"
size_mb=$(( $(du -sm "$root" | cut -f1) + 1024 ))
phase "writing the ext4 image (${size_mb} MiB)" mkfs.ext4 -q -F -L bt-guest -d "$root" "$work/image.ext4" "${size_mb}M"
rm -rf "$root"
cat > "$work/manifest" <<EOF
key=$key
debian=$suite
archive=$mirror
kernel=$kernel
lttng_modules=$lttng_version
lttng_modules_patched=$patched
node=$(node --version)
built=$(date -u +%Y-%m-%dT%H:%M:%SZ)
build_seconds=$((SECONDS - started))
EOF
rm -rf "$image_dir"
mv "$work" "$image_dir"
trap - EXIT
# Images of older inputs are 2-3 GB each and never used again.
for old in "$cache"/*/; do
  [ "${old%/}" != "$image_dir" ] && [ -f "$old/manifest" ] && rm -rf "$old"
done
say ""
[ -t 2 ] && printf '\r\033[K' >&2
echo "lttng-guest build: $kernel with lttng-modules $lttng_version in $((SECONDS - started)) s" >&2
echo "$image_dir"
