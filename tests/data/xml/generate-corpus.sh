#!/usr/bin/env bash
# Regenerate tests/data/xml/corpus/ from real libvirt tools (never by hand):
#  * virt-install --print-xml --dry-run over many option combinations,
#  * virsh dumpxml of every domain of the test driver's demo host and default host,
#  * virsh dumpxml (live and inactive) of virt-install output defined in a QEMU daemon.
# Needs: virtinst, libvirt-clients, a QEMU libvirt daemon at $URI (default
# qemu:///system; `make daemon` starts one). Takes a few minutes: libvirt's
# capabilities call is slow here, so combinations run in parallel.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT="$HERE/corpus"
URI=${URI:-qemu:///system}
rm -rf "$OUT"; mkdir -p "$OUT"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
# virt-install checks that the directories of the paths it is given exist
# (and makes storage pools of them) and reads the install ISO.
mkdir -p /var/lib/libvirt/images /var/lib/libvirt/isos "$TMP/isoroot"
[ -s /var/lib/libvirt/isos/install.iso ] ||
  xorriso -as mkisofs -quiet -V CORPUS -o /var/lib/libvirt/isos/install.iso "$TMP/isoroot" 2>/dev/null

oses="debian11 debian10 fedora37 rhel9.0 rhel8.6 centos-stream9 ubuntu22.04 ubuntu20.04
win10 win11 win2k22 win7 freebsd13.1 alpinelinux3.17 archlinux opensuse15.4 generic
almalinux9 rocky9 sles15sp4 openbsd7.2 netbsd9.3 winxp silverblue37 linux2022 debiantesting"
n=0
# Every combination on the test driver (in-process, fast); a sample on the
# QEMU daemon, whose capabilities call takes seconds here.
for conn in test qemu; do
 for os in $oses; do
  case "$conn:$os" in qemu:debian11|qemu:win11) ;; qemu:*) continue ;; esac
  if [ "$conn" = test ]; then
    common="--connect test:///default --print-xml --dry-run --osinfo $os --noautoconsole"
  else
    common="--connect $URI --print-xml --dry-run --osinfo $os --virt-type qemu --noautoconsole"
  fi
  variants=(
    "--memory 1024 --vcpus 1 --import --disk path=/var/lib/libvirt/images/X.qcow2,size=1,format=qcow2,bus=virtio --network none --graphics vnc"
    "--memory 2048,maxmemory=4096 --vcpus 2,maxvcpus=4 --import --disk path=/var/lib/libvirt/images/X.img,size=1,format=raw,bus=sata --network user --graphics spice"
    "--memory 4096 --vcpus 4,sockets=1,cores=2,threads=2 --cdrom /var/lib/libvirt/isos/install.iso --disk path=/var/lib/libvirt/images/X.qcow2,size=1,format=qcow2 --network bridge=br0,model=e1000e --graphics vnc,listen=0.0.0.0"
    "--memory 512 --vcpus 1 --boot uefi --import --disk none --network none --graphics none --console pty"
    "--memory 1536 --vcpus 2 --machine pc --import --disk path=/var/lib/libvirt/images/X.qcow2,size=1,bus=ide,cache=none --network network=default,mac=52:54:00:12:34:56 --graphics vnc,port=5905 --sound ich9"
    "--memory 3072 --vcpus 2 --machine q35 --boot kernel=/boot/vmlinuz,initrd=/boot/initrd.img,kernel_args=console=ttyS0 --disk none --network none --graphics spice,listen=none --video qxl --channel spicevmc"
    "--memory 2048 --vcpus 2 --import --disk path=/var/lib/libvirt/images/X.qcow2,size=1,bus=scsi --controller type=scsi,model=virtio-scsi --rng /dev/urandom --memballoon virtio --network none --graphics vnc --input tablet,bus=usb"
    "--memory 1024 --vcpus 1 --import --disk path=/var/lib/libvirt/images/X.qcow2,size=1,bus=usb --filesystem /srv/share,share,driver.type=virtiofs --memorybacking source.type=memfd,access.mode=shared --network none --graphics vnc --metadata title=Corpus,description=virt-install-variant --tpm emulator,model=tpm-crb"
  )
  if [ "$conn" = test ]; then
    variants+=(
      "--memory 768 --vcpus 3 --import --disk path=/var/lib/libvirt/images/X.raw,size=2,format=raw,bus=virtio,cache=writeback --network network=default,model=rtl8139 --graphics spice --video vga --sound ac97"
      "--memory 1024 --vcpus 1 --import --disk path=/var/lib/libvirt/images/X.qcow2,size=1 --disk path=/var/lib/libvirt/images/X-b.qcow2,size=1,bus=virtio --disk device=cdrom,bus=ide --network none --graphics vnc --serial pty --channel unix,target_type=virtio,name=org.qemu.guest_agent.0"
      "--memory 512 --vcpus 1 --pxe --disk none --network network=default --graphics vnc,listen=127.0.0.1 --clock offset=localtime --events on_poweroff=preserve,on_crash=restart --metadata title=PXE"
    )
  fi
  for i in "${!variants[@]}"; do
    n=$((n+1))
    name="vi-$conn-$os-$i"
    echo "$name|$common --name $name ${variants[$i]//X/$name}"
  done
 done
done > "$TMP/jobs"

run_one() {
  name=${1%%|*}; args=${1#*|}
  # shellcheck disable=SC2086
  if virt-install $args > "$2/$name.xml" 2>"$2/$name.err"; then rm -f "$2/$name.err"; else rm -f "$2/$name.xml"; fi
}
export -f run_one
tr '\n' '\0' < "$TMP/jobs" | xargs -0 -P 6 -I{} bash -c 'run_one "$1" "$2"' _ {} "$TMP"
# An install prints two documents (install phase, then the installed VM):
# keep each as a file of its own.
for f in "$TMP"/vi-*.xml; do
  base=$(basename "$f" .xml)
  csplit --quiet --elide-empty-files --prefix="$TMP/split-" "$f" '/^<domain/' '{*}'
  parts=("$TMP"/split-*)
  if [ ${#parts[@]} -eq 1 ]; then
    mv "${parts[0]}" "$OUT/$base.xml"
  else
    i=0
    for part in "${parts[@]}"; do mv "$part" "$OUT/$base-phase$i.xml"; i=$((i+1)); done
  fi
done
ls "$TMP"/*.err 2>/dev/null | sed 's/^/skipped (virt-install refused): /' >&2 || true

# The test driver: demo host and libvirt's default host.
demo="test://$(cd "$HERE/../testdriver" && pwd)/demo.xml"
for uri in "$demo" test:///default; do
  tag=$([ "$uri" = test:///default ] && echo default || echo demo)
  for dom in $(virsh -c "$uri" list --all --name); do
    virsh -c "$uri" dumpxml "$dom" > "$OUT/td-$tag-$dom.xml"
    virsh -c "$uri" dumpxml --inactive "$dom" > "$OUT/td-$tag-$dom-inactive.xml"
  done
done

# Definitions normalised by the QEMU driver: define, dump (inactive and with
# --security-info / --update-cpu variants), undefine.
for f in "$OUT"/vi-qemu-*.xml; do
  base=$(basename "$f" .xml)
  name=$(sed -n 's:.*<name>\(.*\)</name>.*:\1:p' "$f" | head -1)
  if timeout 60 virsh -c "$URI" define "$f" >/dev/null 2>&1; then
    timeout 60 virsh -c "$URI" dumpxml --inactive "$name" > "$OUT/qd-$base.xml" || rm -f "$OUT/qd-$base.xml"
    virsh -c "$URI" undefine --nvram "$name" >/dev/null 2>&1 || virsh -c "$URI" undefine "$name" >/dev/null 2>&1 || true
  fi
done
echo "corpus: $(ls "$OUT" | wc -l) documents in $OUT"

# What the read-only views are tested on: real tool output.
CAPS="$HERE/caps"; mkdir -p "$CAPS"
virsh -c "$URI" capabilities > "$CAPS/capabilities-qemu.xml"
virsh -c "$URI" domcapabilities --virttype qemu --arch x86_64 --machine q35 > "$CAPS/domcapabilities-qemu.xml"
virsh -c "$demo" pool-dumpxml default > "$CAPS/pool-default.xml"
virsh -c "$demo" vol-dumpxml --pool default web-server.qcow2 > "$CAPS/vol-web-server.xml"
virsh -c "$demo" net-dumpxml default > "$CAPS/net-default.xml"
virsh -c "$demo" net-dumpxml isolated > "$CAPS/net-isolated.xml"
