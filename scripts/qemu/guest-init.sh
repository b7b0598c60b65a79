#!/bin/sh
# /init (PID 1) of the Stratus test guest: a busybox initramfs that build-guest-image.sh packs
# next to the Debian cloud kernel. Everything it says goes to the serial console (ttyS0) as
# "STRATUS-GUEST: ..." lines, which is what the integration tests read from console.log.
#
# Kernel command line switches (one SYSLINUX config per image):
#   stratus.acpi=ignore   the power button is reported but ignored (tests the soft-reboot fallback)
#   stratus.mode=rescue   rescue image: report the disks it sees, touch nothing
#   stratus.busy=N        keep rewriting N MiB of memory (a busy guest for live migration)
#
# PID 1 must never exit (the kernel would panic and, with panic=-1, reboot at once): the
# heartbeat loop at the end runs for ever, power-off happens from the button watcher.
export PATH=/bin
/bin/busybox --install -s /bin

mount -t devtmpfs devtmpfs /dev
# The initramfs has no /dev/console node of its own: reopen stdio on the serial console now.
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys

say() { echo "STRATUS-GUEST: $*"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }

cmdline=$(cat /proc/cmdline)
mode=normal
acpi=honour
case " $cmdline " in *" stratus.mode=rescue "*) mode=rescue ;; esac
case " $cmdline " in *" stratus.acpi=ignore "*) acpi=ignore ;; esac
busy=
case " $cmdline " in *" stratus.busy="*) busy=${cmdline##*stratus.busy=} && busy=${busy%% *} ;; esac
say "init mode=$mode acpi=$acpi kernel $(uname -r) uptime=$(uptime_s)s"

# Dependencies first: the build resolved the order from each module's "depends=" field.
while read -r module; do
  insmod "/lib/modules/$module.ko" || say "insmod $module failed"
done </lib/modules/load-order

# virtio-blk normally probes during insmod; allow a moment for a slow TCG host anyway.
virtio_disks() { # "vda vdb ...", in name order
  for disk in /sys/block/vd*; do [ -e "$disk" ] && printf '%s ' "${disk##*/}"; done
}
tries=0
while [ -z "$(virtio_disks)" ] && [ $tries -lt 50 ]; do sleep 0.1; tries=$((tries + 1)); done
disks=$(virtio_disks)
disks=${disks% }

# --- ACPI power button -------------------------------------------------------------------------
# The "button" module turns the ACPI power button into an input device; evdev exposes it as
# /dev/input/eventN. Each read of 24 bytes returns one struct input_event (x86_64: 16 bytes of
# time, u16 type, u16 code, s32 value); react to EV_KEY(1) KEY_POWER(116) pressed(1) only, so one
# press (down, SYN, up, SYN) is one action.
watch_power_button() {
  device=$1
  while [ -e "$device" ]; do
    # shellcheck disable=SC2046 # split on purpose: one positional parameter per u16
    set -- $(dd if="$device" bs=24 count=1 2>/dev/null | od -An -tu2)
    if [ "${9:-}" != 1 ] || [ "${10:-}" != 116 ] || [ "${11:-}" != 1 ]; then
      continue
    elif [ "$acpi" = ignore ]; then
      say "ignoring ACPI power button"
    else
      say "ACPI power button -> poweroff"
      sync
      poweroff -f
    fi
  done
}

buttons=0
for event in /sys/class/input/event*; do
  [ -e "$event" ] || continue
  if [ "$(cat "$event/device/name" 2>/dev/null)" = "Power Button" ]; then
    watch_power_button "/dev/input/${event##*/}" &
    buttons=$((buttons + 1))
  fi
done
[ $buttons -gt 0 ] || say "no ACPI power button found"

# --- Boot counter ------------------------------------------------------------------------------
# Kept in a file on the boot disk's own FAT filesystem. The instance disk is a per-instance qcow2
# overlay, so the count belongs to the instance, survives reboot, stop/start and migration with
# the disk, and never touches the shared base image. Unmounted right away: a hard reset or
# `virsh destroy` can then never leave a dirty filesystem behind.
COUNTER=stratus-boot-count
mkdir -p /mnt/disk

read_counter() { # $1 = device; prints the count (0 when none), fails when not a FAT disk
  mount -t vfat -o ro "$1" /mnt/disk 2>/dev/null || return 1
  cat "/mnt/disk/$COUNTER" 2>/dev/null || echo 0
  umount /mnt/disk
}

if [ "$mode" = rescue ]; then
  say "rescue boot"
  say "block devices: $disks"
  for disk in $disks; do
    sectors=$(cat "/sys/block/$disk/size")
    count=$(read_counter "/dev/$disk") || count=none
    say "disk $disk size=$((sectors / 2048))MiB boot-count=$count"
  done
else
  boot_disk=${disks%% *}
  if [ -n "$boot_disk" ] && mount -t vfat -o rw,sync "/dev/$boot_disk" /mnt/disk 2>/dev/null; then
    count=$(($(cat "/mnt/disk/$COUNTER" 2>/dev/null || echo 0) + 1))
    echo "$count" >"/mnt/disk/$COUNTER"
    sync
    umount /mnt/disk
    say "boot $count"
  else
    say "boot ? (no writable FAT boot disk; block devices: $disks)"
  fi
fi

# --- Network (only when the domain has a NIC) --------------------------------------------------
if [ -e /sys/class/net/eth0 ]; then
  ip link set lo up
  ip link set eth0 up
  udhcpc -i eth0 -n -q -t 5 -s /bin/udhcpc-script >/dev/null 2>&1 &
fi

# --- Busy guest ---------------------------------------------------------------------------------
# Rewrites N MiB of tmpfs (guest RAM) from a random source, over and over: memory that a live
# migration keeps having to send again. Random, not zeros: QEMU sends zero pages almost for free.
if [ -n "$busy" ] && [ "$mode" = normal ]; then
  mkdir -p /run/busy
  mount -t tmpfs -o size=$((busy * 2 + 8))m tmpfs /run/busy
  dd if=/dev/urandom of=/run/busy/source bs=1M count="$busy" 2>/dev/null
  (while :; do cat /run/busy/source >/run/busy/copy; done) &
  say "busy: rewriting $busy MiB of memory in a loop"
fi

say "boot complete"
while :; do
  sleep 3
  say "heartbeat uptime=$(uptime_s)s"
done
