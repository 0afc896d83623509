#!/usr/bin/env bash
# Make sure a local libvirt daemon answers. Used by `make run`.
set -euo pipefail

answers() { timeout 10 virsh -c qemu:///system uri >/dev/null 2>&1; }

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
for _ in $(seq 100); do
  if answers; then echo "libvirt: started, qemu:///system answers"; exit 0; fi
  if [ ! -d /run/systemd/system ]; then
    pgrep -x virtlogd >/dev/null || virtlogd -d
    pgrep -x libvirtd >/dev/null || libvirtd -d
  fi
  sleep 0.2
done
echo "libvirt: the daemon did not answer; see /var/log/libvirt/ and 'libvirtd' output" >&2
exit 1
