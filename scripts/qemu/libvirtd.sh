#!/usr/bin/env bash
# A private libvirt "compute host" (virtlogd + libvirtd, no systemd) whose whole state lives
# under DIR, so several hosts run side by side on one machine (live migration between them,
# an agent per host). libvirtd's root paths are fixed (/etc/libvirt, /run/libvirt, ...), so each
# host runs in its own mount namespace with DIR's subdirectories bind-mounted over them.
#
#   libvirtd.sh start  DIR [NAME] [HOST_UUID] [TCP_PORT]   prints the URI to use from outside
#   libvirtd.sh stop   DIR     stops its guests, libvirtd and virtlogd (recorded pids only)
#   libvirtd.sh status DIR     "running ..." (exit 0) or "stopped" (exit 3)
#
# URI from the root namespace: qemu:///system?socket=DIR/run/libvirt-sock (a unix socket is
# found by path, whatever namespace created it). With TCP_PORT, libvirtd also listens on
# 127.0.0.1:TCP_PORT without auth (qemu+tcp://127.0.0.1:TCP_PORT/system) for p2p migration.
# HOST_UUID defaults to one derived from NAME (libvirt refuses to migrate between equal UUIDs,
# and without SMBIOS it would pick a random one at every start). NAME defaults to DIR's name.
# Env STRATUS_LIBVIRT_PORT_SLOT (0-63, default from the UUID) picks this host's migration and
# display port ranges; libvirt also skips ports that are already bound.
#
# Layout: DIR/{etc,run,varlib,log,cache} (bind mounts), DIR/{libvirtd,virtlogd}.pid,
# DIR/log/libvirtd.log, DIR/log/qemu/<domain>.log, DIR/run/qemu/<domain>.pid.
set -euo pipefail

usage() {
  echo "usage: libvirtd.sh start|stop|status DIR [NAME] [HOST_UUID] [TCP_PORT]" >&2
  exit 2
}
[ $# -ge 2 ] || usage
command=$1
DIR=$(realpath -m "$2")
URI="qemu:///system?socket=$DIR/run/libvirt-sock"
SELF=$(realpath "${BASH_SOURCE[0]}")
# A new host's first capabilities query probes QEMU for ~8 s; hosts on this machine share the
# result (libvirt re-probes by itself when QEMU or libvirt changed since).
SHARED_CAPS=${STRATUS_QEMU_CACHE:-$(dirname "$SELF")/../../var/qemu}/libvirt-capabilities

# Bind mounts: DIR/<left> over <right>.
MOUNTS=(etc:/etc/libvirt run:/run/libvirt varlib:/var/lib/libvirt log:/var/log/libvirt cache:/var/cache/libvirt)

log() { echo "libvirtd.sh[$(basename "$DIR")]: $*" >&2; }

# --- Processes, by recorded pid only -----------------------------------------------------------
# A pid file can outlive its process and the pid be reused: trust it only while the process
# still has the expected command name. (Daemons delete their own pid file while they shut down,
# so waiting for an exit watches the pid, not the file.)
running() { # $1 pid, $2 expected comm prefix
  [[ $(cat "/proc/$1/comm" 2>/dev/null) == "$2"* ]] && [[ $(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) != Z ]]
}

pid_of() { # $1 pid file, $2 expected comm prefix; prints the pid if that process is alive
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] && running "$pid" "$2" || return 1
  echo "$pid"
}

stop_pid() { # $1 pid file, $2 comm prefix, $3 grace seconds: SIGTERM, wait, then SIGKILL
  local pid i
  pid=$(pid_of "$1" "$2") || { rm -f "$1"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < $3 * 10; i++)); do
    running "$pid" "$2" || break
    sleep 0.1
  done
  if running "$pid" "$2"; then
    log "$2 ($pid) ignored SIGTERM for $3 s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while running "$pid" "$2"; do sleep 0.1; done
  fi
  rm -f "$1"
}

connectable() { timeout 5 virsh -q -c "$URI" uri >/dev/null 2>&1; }

# --- stop / status ------------------------------------------------------------------------------
do_stop() {
  # Guests first: qemu is daemonized by libvirtd and would outlive it. SIGTERM is what
  # `virsh destroy` sends; libvirt keeps each guest's pid in DIR/run/qemu/<domain>.pid.
  local pidfile
  for pidfile in "$DIR"/run/qemu/*.pid; do
    if [ -e "$pidfile" ]; then stop_pid "$pidfile" qemu-system 10; fi
  done
  stop_pid "$DIR/libvirtd.pid" libvirtd 15
  stop_pid "$DIR/virtlogd.pid" virtlogd 5
  share_capabilities
}

share_capabilities() { # keep this host's probe result for the next new host
  local caps=$DIR/cache/qemu/capabilities
  compgen -G "$caps/*.xml" >/dev/null || return 0
  [ -z "$(find "$caps" -name '*.xml' -newer "$SHARED_CAPS/.stamp" 2>/dev/null | head -n1)" ] &&
    [ -e "$SHARED_CAPS/.stamp" ] && return 0
  mkdir -p "$SHARED_CAPS"
  local tmp
  tmp=$(mktemp -d "$SHARED_CAPS.XXXXXX")
  cp -p "$caps"/*.xml "$tmp/" && touch "$tmp/.stamp"
  rm -rf "$SHARED_CAPS" && mv "$tmp" "$SHARED_CAPS"
}

do_status() {
  local lpid vpid
  if lpid=$(pid_of "$DIR/libvirtd.pid" libvirtd) && vpid=$(pid_of "$DIR/virtlogd.pid" virtlogd); then
    echo "running libvirtd=$lpid virtlogd=$vpid uri=$URI"
  else
    echo "stopped"
    return 3
  fi
}

# --- start --------------------------------------------------------------------------------------
write_config() { # $1 name, $2 host uuid, $3 tcp port ("" = unix socket only)
  local slot=${STRATUS_LIBVIRT_PORT_SLOT:-$((0x${2:0:4} % 64))}
  local header="# Generated by scripts/qemu/libvirtd.sh for host '$1' (rewritten at every start)."
  {
    echo "$header"
    echo "host_uuid = \"$2\""
    echo "auth_unix_rw = \"none\""
    echo "auth_unix_ro = \"none\""
    echo "log_outputs = \"3:file:/var/log/libvirt/libvirtd.log\"" # DIR/log, through the bind mount
    if [ -n "$3" ]; then
      echo "listen_tls = 0"
      echo "listen_tcp = 1"
      echo "listen_addr = \"127.0.0.1\""
      echo "tcp_port = \"$3\""
      echo "auth_tcp = \"none\""
    fi
  } >"$DIR/etc/libvirtd.conf"
  {
    echo "$header"
    echo "log_outputs = \"3:file:/var/log/libvirt/virtlogd.log\""
  } >"$DIR/etc/virtlogd.conf"
  {
    echo "$header"
    # QEMU runs as root. This machine's /dev/kvm is root-only (0600): with the default user
    # libvirt-qemu, libvirt's probe and its "is KVM usable" check disagree, the capabilities
    # cache is never valid, and every start or capabilities call re-probes QEMU for ~8 s.
    # (Root also needs no traversal rights on the tests' temporary directories.)
    echo "user = \"root\""
    echo "group = \"root\""
    # Two daemons would otherwise create the same machine/qemu-N-<name> cgroup directories.
    echo "cgroup_controllers = [ ]"
    # Disjoint between hosts with different slots: two hosts migrating at once never race for
    # one port.
    echo "migration_port_min = $((49152 + slot * 64))"
    echo "migration_port_max = $((49152 + slot * 64 + 63))"
    echo "remote_display_port_min = $((5900 + slot * 16))"
    echo "remote_display_port_max = $((5900 + slot * 16 + 15))"
  } >"$DIR/etc/qemu.conf"
}

do_start() {
  local name=${1:-$(basename "$DIR")} uuid=${2:-} port=${3:-} hash i
  if [ "$(id -u)" -ne 0 ]; then
    log "must run as root (mount namespace, bind mounts, libvirt's system instance)"
    exit 1
  fi
  if [ -z "$uuid" ]; then
    hash=$(printf '%s' "$name" | md5sum)
    uuid="${hash:0:8}-${hash:8:4}-4${hash:13:3}-8${hash:17:3}-${hash:20:12}"
  fi
  # sun_path holds 108 bytes; libvirt adds e.g. "-admin-sock" next to libvirt-sock.
  if [ ${#DIR} -gt 80 ]; then
    log "DIR is too long for unix sockets (${#DIR} > 80 characters): $DIR"
    exit 1
  fi

  if pid_of "$DIR/libvirtd.pid" libvirtd >/dev/null && pid_of "$DIR/virtlogd.pid" virtlogd >/dev/null && connectable; then
    echo "$URI" # already running: start is idempotent
    return 0
  fi
  do_stop # whatever is left of an earlier run (one daemon alive, stale pid files)

  mkdir -p "$DIR"/{run,varlib/qemu,log/qemu,cache/qemu}
  if [ ! -d "$DIR/etc" ]; then
    # The rest of /etc/libvirt (nwfilter rules, hooks, client config) as installed, but no
    # domains or autostarted networks of the system daemon: each host starts empty.
    cp -a /etc/libvirt "$DIR/etc.tmp"
    rm -f "$DIR/etc.tmp"/qemu/*.xml "$DIR/etc.tmp"/qemu/networks/autostart/*
    mv "$DIR/etc.tmp" "$DIR/etc"
  fi
  write_config "$name" "$uuid" "$port"
  if ! compgen -G "$DIR/cache/qemu/capabilities/*.xml" >/dev/null && compgen -G "$SHARED_CAPS/*.xml" >/dev/null; then
    mkdir -p "$DIR/cache/qemu/capabilities"
    cp -p "$SHARED_CAPS"/*.xml "$DIR/cache/qemu/capabilities/"
  fi
  for mount in "${MOUNTS[@]}"; do mkdir -p "${mount#*:}"; done # mount points in the root namespace

  # Private propagation: our bind mounts never leak back into the root namespace. Both daemons
  # fork into the background (--daemon) and keep the namespace alive after the launcher exits.
  unshare --mount --propagation private -- bash "$SELF" _in-namespace "$DIR" "$port" >>"$DIR/log/launcher.log" 2>&1 </dev/null ||
    { log "launch failed:"; tail -n 20 "$DIR/log/launcher.log" >&2; do_stop; exit 1; }

  # `libvirtd --daemon` returns once initialised, so this normally succeeds at once.
  for ((i = 0; i < 300; i++)); do
    if [ -S "$DIR/run/libvirt-sock" ] && connectable; then
      echo "$URI"
      return 0
    fi
    if ! pid_of "$DIR/libvirtd.pid" libvirtd >/dev/null && [ $i -gt 20 ]; then break; fi
    sleep 0.1
  done
  log "libvirtd did not come up within 30 s; last lines of DIR/log/libvirtd.log:"
  tail -n 20 "$DIR/log/libvirtd.log" >&2 2>/dev/null || true
  do_stop
  exit 1
}

in_namespace() { # runs inside `unshare --mount`
  local port=$1 mount
  for mount in "${MOUNTS[@]}"; do mount --bind "$DIR/${mount%%:*}" "${mount#*:}"; done
  virtlogd --daemon --pid-file "$DIR/virtlogd.pid"
  libvirtd --daemon ${port:+--listen} --pid-file "$DIR/libvirtd.pid"
}

case $command in
  start) do_start "${3:-}" "${4:-}" "${5:-}" ;;
  stop) do_stop ;;
  status) do_status ;;
  _in-namespace) in_namespace "${3:-}" ;;
  *) usage ;;
esac
