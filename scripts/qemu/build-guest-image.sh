#!/usr/bin/env bash
# Builds the tiny test guest from Debian packages only (no install, no root needed once the
# packages of packages.sh are present) and copies it to OUT_DIR as four raw disk images:
#   tiny.raw         normal guest: boot counter, heartbeat, powers off on the ACPI power button
#   tiny-noacpi.raw  same guest, but it ignores the power button (soft reboot -> hard fallback)
#   rescue.raw       rescue guest: reports the block devices it sees and their boot counters
#   tiny-busy.raw    normal guest that keeps rewriting 64 MiB of its memory (live-migration figures)
# Each image: FAT filesystem + SYSLINUX, holding the Debian cloud kernel and a busybox initramfs
# (guest-init.sh as /init). Only the SYSLINUX config (the kernel command line) differs.
#
# Usage: build-guest-image.sh OUT_DIR
# Cached under ${STRATUS_QEMU_CACHE:-<repo>/var/qemu}/guest-images/<kernel>-<key>, keyed by the
# kernel and busybox versions, SYSLINUX's version and a hash of this script and guest-init.sh:
# a second run with the same inputs only compares a stamp file.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=${1:?usage: build-guest-image.sh OUT_DIR}
CACHE=${STRATUS_QEMU_CACHE:-$REPO/var/qemu}
export PATH=$PATH:/usr/sbin:/sbin # mkfs.vfat lives in /sbin

IMAGE_SIZE=48M # kernel 14 MB + initramfs ~2 MB, with room to spare
# The kernel builds these as modules: virtio transport, disk and NIC; the ACPI power button and
# evdev (to read it); vfat + code pages for the boot counter on the FAT disk.
MODULES=(virtio_pci virtio_blk virtio_net button evdev vfat nls_cp437 nls_ascii nls_utf8)
# console=ttyS0: libvirt logs the serial port to console.log. panic=-1: reboot at once on a panic
# instead of hanging. quiet: serial output is slow under TCG, the tests only read our own lines.
APPEND_BASE="console=ttyS0,115200 panic=-1 quiet"
declare -A APPEND=([tiny]="" [tiny-noacpi]="stratus.acpi=ignore" [rescue]="stratus.mode=rescue" [tiny-busy]="stratus.busy=64")
IMAGES=(tiny tiny-noacpi rescue tiny-busy)

log() { echo "build-guest-image: $*" >&2; }

# --- Inputs ------------------------------------------------------------------------------------
# The cloud kernel's package name carries its ABI (linux-image-6.1.0-56-cloud-amd64); the
# metapackage points at the current one.
kernel_package() {
  apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}
candidate() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2; exit }'; }

resolve_versions() {
  kpkg=$(kernel_package)
  if [ -z "$kpkg" ] && [ "$(id -u)" -eq 0 ]; then
    # A machine whose apt lists were cleaned (container images): fetch them once.
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 update -qq
    kpkg=$(kernel_package)
  fi
  [ -n "$kpkg" ] || { log "cannot resolve linux-image-cloud-amd64 (run apt-get update)"; exit 1; }
  kver=$(candidate "$kpkg")
  bbver=$(candidate busybox-static)
}

store=$CACHE/guest-images
mkdir -p "$store" "$OUT"
# apt-cache takes 0.5-1.5 s per call on a busy machine, so the answer is remembered for as long
# as the apt package lists stay the same (their names, sizes and times).
lists=$(stat -c '%n %s %Y' /var/lib/apt/lists/*Packages* 2>/dev/null | sha256sum | cut -c1-16)
if [ -f "$store/.versions-$lists" ]; then
  read -r kpkg kver bbver <"$store/.versions-$lists"
else
  resolve_versions
  rm -f "$store"/.versions-*
  echo "$kpkg $kver $bbver" >"$store/.versions-$lists"
fi
slver=$(dpkg-query -W -f='${Version}' syslinux 2>/dev/null || true)
key=$({
  echo "$kpkg=$kver busybox-static=$bbver syslinux=$slver"
  cat "${BASH_SOURCE[0]}" "$HERE/guest-init.sh"
} | sha256sum | cut -c1-16)

dest=$store/$kpkg-$key

copy_out() {
  # A copy, not a link: a test that boots OUT_DIR/tiny.raw directly can never dirty the cache.
  if [ "$(cat "$OUT/.stratus-guest-key" 2>/dev/null || true)" = "$key" ] && [ -f "$OUT/rescue.raw" ]; then return 0; fi
  for image in "${IMAGES[@]}"; do
    cp --sparse=always "$dest/$image.raw" "$OUT/.$image.raw.tmp"
    mv -f "$OUT/.$image.raw.tmp" "$OUT/$image.raw"
  done
  echo "$key" >"$OUT/.stratus-guest-key"
}

# Two test processes may ask at once: one builds, the other waits and then finds the cache.
exec 9>"$store/.lock"
flock 9
if [ -f "$dest/complete" ]; then
  copy_out
  exit 0
fi

started=$(date +%s%N)
log "building $kpkg ($kver), busybox-static $bbver -> $dest"
work=$(mktemp -d "$store/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT

# --- Packages: downloaded once per version, extracted, never installed --------------------------
deb() { # $1 package, $2 version: prints the path of the cached .deb
  local dir="$CACHE/debs/$1_$2"
  if ! compgen -G "$dir/*.deb" >/dev/null; then
    mkdir -p "$dir.tmp"
    # As root apt drops to the _apt user for downloads, which cannot write here.
    (cd "$dir.tmp" && apt-get download -q -o APT::Sandbox::User="$(id -un)" "$1=$2" >&2)
    mv "$dir.tmp" "$dir"
  fi
  compgen -G "$dir/*.deb"
}
dpkg-deb -x "$(deb "$kpkg" "$kver")" "$work/kernel"
dpkg-deb -x "$(deb busybox-static "$bbver")" "$work/busybox"
kernel_release=${kpkg#linux-image-}
moddir=$work/kernel/lib/modules/$kernel_release

# --- Initramfs ---------------------------------------------------------------------------------
root=$work/initramfs
mkdir -p "$root"/{bin,dev,proc,sys,mnt,lib/modules}
# Only /bin/sh is linked here: /init installs the other applet links itself (one process in the
# guest rather than ~400 `ln` forks on a busy build host).
cp "$work/busybox/bin/busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
install -m 0755 "$HERE/guest-init.sh" "$root/init"
cat >"$root/bin/udhcpc-script" <<'EOF'
#!/bin/sh
# udhcpc hook: configure the leased address and say so on the console.
case "$1" in
  bound | renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    [ -n "${router:-}" ] && ip route replace default via "${router%% *}"
    echo "STRATUS-GUEST: $interface $ip/${mask:-24}"
    ;;
esac
EOF
chmod 0755 "$root/bin/udhcpc-script"

# Modules in load order, dependencies first, read from each module's own "depends=" field (the
# package ships no modules.dep: depmod runs in its postinst, which we skip).
declare -A module_file=() loaded=()
while IFS= read -r file; do
  name=$(basename "$file" .ko)
  module_file[${name//-/_}]=$file
done < <(find "$moddir/kernel" -name '*.ko')
add_module() {
  local name=${1//-/_} file deps dep
  [ -z "${loaded[$name]:-}" ] || return 0
  loaded[$name]=1
  file=${module_file[$name]:-}
  if [ -z "$file" ]; then
    grep -q "/$name.ko\$" "$moddir/modules.builtin" && return 0 # built into the kernel
    log "module $name not found in $kpkg"
    exit 1
  fi
  deps=$(grep -ao 'depends=[^[:cntrl:]]*' "$file" | head -n1 | cut -d= -f2)
  for dep in ${deps//,/ }; do add_module "$dep"; done
  cp "$file" "$root/lib/modules/$name.ko"
  echo "$name" >>"$root/lib/modules/load-order"
}
for module in "${MODULES[@]}"; do add_module "$module"; done

(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) | gzip -9 -n >"$work/initrd.gz"

# --- Disk images -------------------------------------------------------------------------------
# A whole-disk FAT ("superfloppy") with SYSLINUX in its boot sector: SeaBIOS boots it directly,
# and mtools writes it without loop devices, mounts or root.
base=$work/base.raw
truncate -s "$IMAGE_SIZE" "$base"
mkfs.vfat -n STRATUS "$base" >/dev/null
syslinux --install "$base"
mcopy -i "$base" "$work/kernel/boot/vmlinuz-$kernel_release" ::vmlinuz
mcopy -i "$base" "$work/initrd.gz" ::initrd.gz
mkdir -p "$work/images"
for image in "${IMAGES[@]}"; do
  cp --sparse=always "$base" "$work/images/$image.raw"
  cat >"$work/syslinux.cfg" <<EOF
SERIAL 0 115200
DEFAULT stratus
LABEL stratus
  KERNEL vmlinuz
  INITRD initrd.gz
  APPEND $APPEND_BASE ${APPEND[$image]}
EOF
  mcopy -i "$work/images/$image.raw" "$work/syslinux.cfg" ::syslinux.cfg
done
cat >"$work/images/manifest" <<EOF
kernel=$kpkg $kver
busybox-static=$bbver
syslinux=$slver
modules=$(tr '\n' ' ' <"$root/lib/modules/load-order")
initrd_bytes=$(stat -c %s "$work/initrd.gz")
key=$key
EOF
touch "$work/images/complete"

# Publish atomically, then drop builds and packages of older inputs (the lock is held).
rm -rf "$dest"
mv "$work/images" "$dest"
for old in "$store"/*/; do
  [ "${old%/}" = "$dest" ] || rm -rf "$old"
done
for old in "$CACHE"/debs/*/; do
  case ${old%/} in */"${kpkg}_$kver" | */"busybox-static_$bbver") ;; *) rm -rf "$old" ;; esac
done
copy_out
log "built in $(awk -v a="$started" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }') s"
