#!/usr/bin/env bash
# Installs the Debian packages Stratus needs, only those missing, so a second run costs one
# dpkg-query. Used by `npm start` and `npm test` (and so by CI on a fresh machine).
#   libvirt-clients libvirt-daemon  virsh and libvirt's test driver (the agents' hypervisor)
#   qemu-utils                      qemu-img, for the agents' image cache and instance disks
#   chromium                        the browser Playwright drives (never `playwright install`)
#   postgresql                      the server binaries for the PostgreSQL test cluster
set -euo pipefail

PACKAGES=(libvirt-clients libvirt-daemon qemu-utils chromium postgresql)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "system-packages: missing Debian packages: ${missing[*]}" >&2
  echo "system-packages: install them as root:  apt-get install --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "system-packages: installing ${missing[*]}"
# Another apt run (unattended upgrades, a parallel job) may hold the lock: wait instead of failing.
apt=("${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900)
"${apt[@]}" update -qq
"${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}"
