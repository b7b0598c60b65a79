#!/usr/bin/env bash
# Installs the Debian packages the real-QEMU tests need, only those missing: a second run costs one
# dpkg-query and never touches apt (no `apt-get update` unless something must be installed).
#   libvirt-daemon-system   libvirtd + virtlogd, /etc/libvirt/*.conf and the libvirt-qemu user
#   libvirt-clients         virsh
#   qemu-system-x86         the emulator (TCG here: no usable KVM)
#   qemu-utils              qemu-img, for per-instance qcow2 overlays
#   syslinux syslinux-common mtools dosfstools   a bootable FAT image without loop devices or mounts
#   cpio                    packs the guest's initramfs
#   busybox-static          only so `apt-get download busybox-static` resolves; the guest build
#                           extracts its own copy (build-guest-image.sh)
# --no-install-recommends keeps qemu-system-x86 from pulling in ~140 GUI/audio packages.
set -euo pipefail

PACKAGES=(libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils
  syslinux syslinux-common mtools dosfstools cpio busybox-static)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "qemu/packages: missing Debian packages: ${missing[*]}" >&2
  echo "qemu/packages: as root: apt-get install --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "qemu/packages: installing ${missing[*]}" >&2
# Another apt run (a parallel job, system-packages.sh) may hold the lock: wait rather than fail.
apt=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900)
"${apt[@]}" update -qq
"${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >&2
