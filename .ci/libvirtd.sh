#!/usr/bin/env bash
# Make sure the system libvirt daemon answers on qemu:///system. Used by
# `make run` (the Makefile's `daemon` target).
#
# Whether the system daemons run is judged by the system daemons themselves
# (the socket answering, the pid file naming a live process of that
# program), never by process names: any user's session libvirtd, or a test
# harness's private one, is also called `libvirtd`.
set -euo pipefail

answers() { timeout 10 virsh -c qemu:///system uri >/dev/null 2>&1; }

# `alive NAME`: /run/NAME.pid names a live process running NAME.
alive() {
  local pid
  pid=$(cat "/run/$1.pid" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [ "$(basename "$(readlink "/proc/$pid/exe" 2>/dev/null)")" = "$1" ]
}

if answers; then
  echo "libvirt: qemu:///system answers"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "libvirt: no system daemon, and not root: Vireo will use qemu:///session (libvirt starts it on demand)"
  exit 0
fi
if [ -d /run/systemd/system ]; then
  systemctl start libvirtd.socket virtlogd.socket 2>/dev/null || systemctl start libvirtd
else
  # Debian compiles QEMU_USER=libvirt-qemu: the daemon refuses to start without it.
  getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
  getent passwd libvirt-qemu >/dev/null ||
    useradd -r -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
  getent group kvm >/dev/null && usermod -a -G kvm libvirt-qemu || true
  mkdir -p /run/libvirt /var/log/libvirt
fi
# A daemon that is still shutting down holds its pid file: keep starting
# until one answers.
# libvirtd -d fails at once when the daemon cannot start (its parent waits
# for the child's start-up): after a few such failures, stop trying.
failures=0
for _ in $(seq 100); do
  if answers; then echo "libvirt: started, qemu:///system answers"; exit 0; fi
  if [ ! -d /run/systemd/system ]; then
    alive virtlogd || virtlogd -d || true
    if ! alive libvirtd && ! libvirtd -d 2>/dev/null; then
      failures=$((failures + 1))
      [ "$failures" -lt 5 ] || break
    fi
  fi
  sleep 0.2
done

echo "libvirt: the system daemon did not answer on qemu:///system." >&2
if [ ! -d /run/systemd/system ] && ! alive libvirtd; then
  # Its own words: run it once in the foreground and show how it ends.
  echo "libvirt: libvirtd, run in the foreground, says:" >&2
  timeout 10 libvirtd 2>&1 | tail -n 15 | sed 's/^/  /' >&2 || true
else
  echo "libvirt: see 'journalctl -u libvirtd' or /var/log/libvirt/" >&2
fi
exit 1
