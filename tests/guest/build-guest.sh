#!/usr/bin/env bash
# Build the tiny test guest from Debian packages into OUT (default
# target/tiny-guest): a kernel (bzImage), a busybox initramfs with the block,
# CD-ROM and hot-plug modules, and a bootable ISOLINUX ISO of the same pair.
# Nothing is installed on the host: the .debs are downloaded and unpacked.
set -euo pipefail

OUT=$(realpath -m "${1:-target/tiny-guest}")
HERE=$(cd "$(dirname "$0")" && pwd)
WORK="$OUT/work"
rm -rf "$WORK"
mkdir -p "$WORK/debs" "$WORK/kernel" "$WORK/busybox" "$WORK/initramfs"

need() { command -v "$1" >/dev/null || { echo "build-guest: '$1' is missing (make deps-test installs it)" >&2; exit 1; }; }
for t in apt-get dpkg-deb depmod modprobe cpio gzip xorriso; do need "$t"; done

# The kernel package behind the linux-image-amd64 meta package.
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
if [ -z "$kpkg" ]; then
  [ "$(id -u)" = 0 ] && apt-get update -qq
  kpkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
fi
[ -n "$kpkg" ] || { echo "build-guest: cannot resolve linux-image-amd64" >&2; exit 1; }

(cd "$WORK/debs" && apt-get download -q -o APT::Sandbox::User=root "$kpkg" busybox-static >/dev/null)
dpkg-deb -x "$WORK"/debs/linux-image-*.deb "$WORK/kernel"
dpkg-deb -x "$WORK"/debs/busybox-static_*.deb "$WORK/busybox"

KVER=$(ls "$WORK/kernel/lib/modules" | head -1)
depmod -b "$WORK/kernel" "$KVER"

R="$WORK/initramfs"
mkdir -p "$R"/{bin,sbin,etc/acpi/PWRF,proc,sys,dev,tmp,var/log,root,lib/modules}
cp "$WORK/busybox/bin/busybox" "$R/bin/busybox"

# Modules the tests need (virtio disks and NICs, SCSI, SATA/IDE CD-ROMs, ISO 9660,
# virtio-serial ports for the SPICE agent's relay,
# evdev + the ACPI power button for graceful shutdowns through acpid),
# with their dependencies in load order.
: > "$R/etc/modules"
# add_modules LIST MODULE...: copy the modules and their dependencies into
# the initramfs, listing them in load order in LIST.
add_modules() {
  list=$1; shift
  : > "$list"
  for m in "$@"; do
    modprobe -d "$WORK/kernel" -S "$KVER" --show-depends "$m" 2>/dev/null | awk '$1 == "insmod" {print $2}'
  done | awk '!seen[$0]++' | while read -r ko; do
    base=$(basename "$ko")
    case "$ko" in
      *.xz) xz -dc "$ko" > "$R/lib/modules/${base%.xz}"; base=${base%.xz} ;;
      *.zst) zstd -qdc "$ko" > "$R/lib/modules/${base%.zst}"; base=${base%.zst} ;;
      *) cp "$ko" "$R/lib/modules/$base" ;;
    esac
    echo "$base" >> "$list"
  done
}
add_modules "$R/etc/modules" virtio_pci virtio_blk virtio_scsi virtio_net sd_mod sr_mod ata_piix ahci isofs evdev button virtio_console
# Loaded only by fb-redraw (the console benchmark): QEMU's stdvga as a DRM
# framebuffer at the size the kernel command line asks for (video=WxH).
add_modules "$R/etc/modules-fb" bochs
# Loaded by rc when the guest has QXL video (SPICE guests): its DRM driver,
# so the console is drawn on a QXL surface, not in VGA text mode.
add_modules "$R/etc/modules-qxl" qxl

cp "$HERE/init" "$R/init"
cp "$HERE/rc" "$R/etc/rc"
cp "$HERE/inittab" "$R/etc/inittab"
cp "$HERE/profile" "$R/etc/profile"
cp "$HERE/fb-redraw" "$R/bin/fb-redraw"
printf '#!/bin/sh\npoweroff -f\n' > "$R/etc/acpi/PWRF/00000080"
chmod 755 "$R/init" "$R/etc/rc" "$R/etc/acpi/PWRF/00000080" "$R/bin/fb-redraw"
echo tiny > "$R/etc/hostname"

(cd "$R" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -9) > "$WORK/initrd.img"
cp "$WORK/kernel/boot/vmlinuz-$KVER" "$WORK/vmlinuz"

# A bootable ISO of the same kernel and initramfs (ISOLINUX, BIOS).
ISO="$WORK/iso"
mkdir -p "$ISO/isolinux"
cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$ISO/isolinux/"
cp "$WORK/vmlinuz" "$ISO/isolinux/vmlinuz"
cp "$WORK/initrd.img" "$ISO/isolinux/initrd.img"
cat > "$ISO/isolinux/isolinux.cfg" <<CFG
DEFAULT tiny
PROMPT 0
TIMEOUT 0
LABEL tiny
  KERNEL vmlinuz
  APPEND initrd=initrd.img console=tty0 console=ttyS0,115200 panic=-1
CFG
xorriso -as mkisofs -quiet -V TINY_INSTALL -o "$WORK/tiny.iso" \
  -isohybrid-mbr /usr/lib/ISOLINUX/isohdpfx.bin \
  -b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table \
  "$ISO" 2>/dev/null

mv "$WORK/vmlinuz" "$WORK/initrd.img" "$WORK/tiny.iso" "$OUT/"
echo "$KVER" > "$OUT/kernel-version"
rm -rf "$WORK"
echo "build-guest: $OUT (kernel $KVER)"
