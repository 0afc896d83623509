//! The tiny guest: a Debian kernel and a busybox initramfs (plus an ISO of
//! the pair), built once by tests/guest/build-guest.sh and cached in
//! target/tiny-guest.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use super::{root, target_dir};

/// The built guest's files.
#[derive(Debug, Clone)]
pub struct Guest {
    pub kernel: PathBuf,
    pub initrd: PathBuf,
    pub iso: PathBuf,
}

static BUILD: Mutex<()> = Mutex::new(());

/// Build the guest unless the cache has it; panics with the builder's output.
pub fn ensure() -> Guest {
    let _lock = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    let dir = target_dir().join("tiny-guest");
    let guest = Guest {
        kernel: dir.join("vmlinuz"),
        initrd: dir.join("initrd.img"),
        iso: dir.join("tiny.iso"),
    };
    let scripts = root().join("tests/guest");
    let newest_script = std::fs::read_dir(&scripts)
        .unwrap()
        .filter_map(|e| e.ok()?.metadata().ok()?.modified().ok())
        .max()
        .unwrap();
    let fresh = [&guest.kernel, &guest.initrd, &guest.iso].iter().all(|p| {
        p.metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t >= newest_script)
    });
    if !fresh {
        let out = Command::new("bash")
            .arg(scripts.join("build-guest.sh"))
            .arg(&dir)
            .output()
            .expect("run build-guest.sh");
        assert!(
            out.status.success(),
            "building the tiny guest failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    guest
}

/// Build the guest (cached) and copy it into the daemon's VM directory,
/// readable by the daemon's user wherever target/ is.
pub fn install(daemon: &super::daemon::Daemon) -> Guest {
    let built = ensure();
    let vm_dir = daemon.vm_dir();
    let files = Guest {
        kernel: copy_into(&built.kernel, &vm_dir),
        initrd: copy_into(&built.initrd, &vm_dir),
        iso: copy_into(&built.iso, &vm_dir),
    };
    daemon.give(&vm_dir);
    files
}

/// Copy `src` into `dir` (readable by the daemon's user) and return the copy.
pub fn copy_into(src: &Path, dir: &Path) -> PathBuf {
    let dst = dir.join(src.file_name().unwrap());
    std::fs::copy(src, &dst)
        .unwrap_or_else(|e| panic!("copy {} to {}: {e}", src.display(), dst.display()));
    dst
}

/// How the guest boots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Boot {
    /// `<kernel>` + `<initrd>`: the fastest.
    Direct,
    /// From the ISO on an IDE CD-ROM, as an installer would.
    Cdrom,
}

/// Domain XML for the tiny guest under TCG with a logged serial port and VNC
/// on a unix socket (TCP autoports would race between parallel daemons).
/// `files` holds the guest files (already readable by the daemon), `vm_dir`
/// the directory for the serial socket and log.
pub fn domain_xml(name: &str, boot: Boot, files: &Guest, vm_dir: &Path) -> String {
    let os_boot = match boot {
        Boot::Direct => format!(
            "<kernel>{}</kernel>\n    <initrd>{}</initrd>\n    <cmdline>console=tty0 console=ttyS0,115200 panic=-1</cmdline>",
            files.kernel.display(),
            files.initrd.display()
        ),
        Boot::Cdrom => "<boot dev='cdrom'/>".to_owned(),
    };
    let cdrom = match boot {
        Boot::Direct => String::new(),
        Boot::Cdrom => format!(
            "<disk type='file' device='cdrom'>\n      <driver name='qemu' type='raw'/>\n      <source file='{}'/>\n      <target dev='hdc' bus='ide'/>\n      <readonly/>\n    </disk>",
            files.iso.display()
        ),
    };
    format!(
        r#"<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>192</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    {os_boot}
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    {cdrom}
    <serial type='unix'>
      <source mode='bind' path='{dir}/{name}.serial.sock'/>
      <log file='{dir}/{name}.serial.log' append='off'/>
      <target port='0'/>
    </serial>
    <console type='unix'>
      <source mode='bind' path='{dir}/{name}.serial.sock'/>
      <target type='serial' port='0'/>
    </console>
    <graphics type='vnc'>
      <listen type='socket' socket='{dir}/{name}.vnc.sock'/>
    </graphics>
    <video><model type='vga'/></video>
    <memballoon model='none'/>
  </devices>
</domain>
"#,
        dir = vm_dir.display()
    )
}

/// The same domain headless, as `virt-install --graphics none` makes it:
/// no graphics or video, its first serial port on a pty (logged) with the
/// console on it, and a second serial port written to `{name}.ttyS1.log`.
pub fn headless(xml: &str, name: &str, vm_dir: &Path) -> String {
    let start = xml.find("<serial type='unix'>").expect("a serial port");
    let end = xml.find("<video>").expect("a video device");
    let end = xml[end..].find("</video>").unwrap() + end + "</video>".len();
    let dir = vm_dir.display();
    let devices = format!(
        "<serial type='pty'>\n      <log file='{dir}/{name}.serial.log' append='off'/>\n      \
         <target port='0'/>\n    </serial>\n    \
         <serial type='file'>\n      <source path='{dir}/{name}.ttyS1.log'/>\n      \
         <target port='1'/>\n    </serial>\n    \
         <console type='pty'>\n      <target type='serial' port='0'/>\n    </console>"
    );
    format!("{}{devices}{}", &xml[..start], &xml[end..])
}

/// The same domain with its serial port on a pty (logged) and the second
/// port of [`headless`], keeping its graphics: a desktop guest with a
/// serial console, as virt-install and virt-manager make them.
pub fn with_pty_serial(xml: &str, name: &str, vm_dir: &Path) -> String {
    let start = xml.find("<serial type='unix'>").expect("a serial port");
    let end = xml.find("<graphics").expect("graphics");
    let headless = headless(xml, name, vm_dir);
    let devices_start = headless.find("<serial type='pty'>").unwrap();
    let devices_end = headless.find("</console>").unwrap() + "</console>".len();
    format!(
        "{}{}\n    {}",
        &xml[..start],
        &headless[devices_start..devices_end],
        &xml[end..]
    )
}

/// The same domain with a SPICE display (on a UNIX socket) instead of VNC
/// (or before it, with `keep_vnc`), and `video` (`vga`, `qxl`) as its video
/// model.
pub fn with_spice(xml: &str, video: &str, keep_vnc: bool) -> String {
    let vnc = vnc_display(xml);
    let socket = vnc
        .split("socket='")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .expect("a socket listen")
        .replace(".vnc.sock", ".spice.sock");
    let spice = format!(
        "<graphics type='spice'>\n      <listen type='socket' socket='{socket}'/>\n    </graphics>"
    );
    let displays = if keep_vnc {
        format!("{spice}\n    {vnc}")
    } else {
        spice
    };
    xml.replace(vnc, &displays)
        .replace("<model type='vga'/>", &format!("<model type='{video}'/>"))
}

/// The same domain with its display (`kind`: `vnc`, `spice`) on a free TCP
/// port of the host's loopback with the password `vireo-pw`: what a remote
/// host has.
pub fn on_loopback_with_password(xml: &str, kind: &str) -> String {
    let vnc = vnc_display(xml);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let display = format!(
        "<graphics type='{kind}' port='{port}' autoport='no' passwd='vireo-pw'>\n      \
         <listen type='address' address='127.0.0.1'/>\n    </graphics>"
    );
    xml.replace(vnc, &display)
}

/// The `<graphics type='vnc'>` element of `domain_xml`'s text.
fn vnc_display(xml: &str) -> &str {
    let start = xml.find("<graphics type='vnc'>").expect("a VNC display");
    let end = xml[start..].find("</graphics>").expect("closed") + start + "</graphics>".len();
    &xml[start..end]
}
