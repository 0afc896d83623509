//! A private, unprivileged libvirt session daemon for end-to-end tests.
//!
//! As root (CI), the daemon runs as the system user `vireo-test`, created on
//! first use; otherwise as the current user. Its sockets, configuration,
//! logs and guests live in a temporary directory that is removed afterwards
//! (set VIREO_KEEP_E2E=1 to keep it). Root may connect to the user's socket,
//! so the test process drives the daemon through
//! `qemu+unix:///session?socket=…`.

use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

pub const TEST_USER: &str = "vireo-test";

pub struct Daemon {
    pub base: PathBuf,
    pub uri: String,
    child: Child,
    owner: Option<(u32, u32)>,
}

pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.trim_ascii() == b"0")
        .unwrap_or(false)
}

fn id_of(flag: &str) -> Option<u32> {
    let out = Command::new("id").args([flag, TEST_USER]).output().ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

static USER: Mutex<()> = Mutex::new(());

fn ensure_test_user() -> (u32, u32) {
    let _lock = USER.lock().unwrap_or_else(|e| e.into_inner());
    if id_of("-u").is_none() {
        let status = Command::new("useradd")
            .args([
                "--system",
                "--user-group",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
            ])
            .args(["--shell", "/usr/sbin/nologin", TEST_USER])
            .status()
            .expect("run useradd");
        assert!(
            status.success() || id_of("-u").is_some(),
            "useradd {TEST_USER} failed: {status}"
        );
    }
    (id_of("-u").unwrap(), id_of("-g").unwrap())
}

fn chown_r(path: &Path, (uid, gid): (u32, u32)) {
    let status = Command::new("chown")
        .arg("-R")
        .arg(format!("{uid}:{gid}"))
        .arg(path)
        .status()
        .expect("run chown");
    assert!(status.success(), "chown -R {} failed", path.display());
}

fn spawn(base: &Path, owner: Option<(u32, u32)>) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(base.join("libvirtd.log"))
        .unwrap();
    let mut cmd = match owner {
        Some((uid, gid)) => {
            let mut c = Command::new("setpriv");
            c.arg(format!("--reuid={uid}"))
                .arg(format!("--regid={gid}"))
                .arg("--init-groups")
                .arg("--")
                .arg("env");
            c
        }
        None => Command::new("env"),
    };
    cmd.arg("-i")
        .arg("PATH=/usr/sbin:/usr/bin:/sbin:/bin")
        .arg(format!("HOME={}", base.join("home").display()))
        .arg(format!("XDG_RUNTIME_DIR={}", base.join("run").display()))
        .arg(format!("XDG_CONFIG_HOME={}", base.join("config").display()))
        .arg(format!("XDG_CACHE_HOME={}", base.join("cache").display()))
        .arg(format!("XDG_DATA_HOME={}", base.join("data").display()))
        .arg("libvirtd")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    cmd.spawn()
        .expect("start libvirtd (is libvirt-daemon installed?)")
}

impl Daemon {
    /// Start the daemon and wait until its socket answers; panics loudly
    /// (with the daemon's log) if it does not.
    pub fn start() -> Daemon {
        Self::start_with("")
    }

    /// The same, with `qemu_conf` added to the daemon's qemu.conf.
    pub fn start_with(qemu_conf: &str) -> Daemon {
        Self::start_configured("", qemu_conf)
    }

    /// One of several fake hosts: its own libvirt host UUID (what migration
    /// compares) and its own range of migration ports.
    pub fn start_host(host_uuid: &str, ports: std::ops::RangeInclusive<u16>) -> Daemon {
        Self::start_configured(
            &format!("host_uuid = \"{host_uuid}\"\n"),
            &format!(
                "migration_port_min = {}\nmigration_port_max = {}\n",
                ports.start(),
                ports.end()
            ),
        )
    }

    /// Start with `libvirtd_conf` as libvirtd.conf and `qemu_conf` added to
    /// qemu.conf.
    pub fn start_configured(libvirtd_conf: &str, qemu_conf: &str) -> Daemon {
        let base = super::fresh_dir("e2e");
        for d in ["run", "config/libvirt", "cache", "data", "home", "vm"] {
            std::fs::create_dir_all(base.join(d)).unwrap();
        }
        std::fs::set_permissions(&base, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(base.join("run"), std::fs::Permissions::from_mode(0o700)).unwrap();
        if !libvirtd_conf.is_empty() {
            std::fs::write(base.join("config/libvirt/libvirtd.conf"), libvirtd_conf).unwrap();
        }
        // QEMU writes its own logs: no virtlogd to start and stop.
        std::fs::write(
            base.join("config/libvirt/qemu.conf"),
            format!("stdio_handler = \"file\"\n{qemu_conf}"),
        )
        .unwrap();

        let owner = is_root().then(ensure_test_user);
        if let Some(owner) = owner {
            chown_r(&base, owner);
        }

        let socket = base.join("run/libvirt/libvirt-sock");
        let uri = format!("qemu+unix:///session?socket={}", socket.display());
        let child = spawn(&base, owner);
        let mut daemon = Daemon {
            base,
            uri,
            child,
            owner,
        };
        daemon.wait_ready();
        daemon
    }

    /// The daemon's socket.
    pub fn socket(&self) -> PathBuf {
        self.base.join("run/libvirt/libvirt-sock")
    }

    fn wait_ready(&mut self) {
        let socket = self.base.join("run/libvirt/libvirt-sock");
        let ready = super::wait_for(
            "the libvirt daemon's socket",
            Duration::from_secs(30),
            || {
                if let Ok(Some(status)) = self.child.try_wait() {
                    panic!("libvirtd exited early with {status}\n{}", self.logs());
                }
                UnixStream::connect(&socket).ok().map(|_| ())
            },
        );
        if let Err(e) = ready {
            panic!("{e}\n{}", self.logs());
        }
    }

    /// Start the daemon again after [`Daemon::kill`], on the same socket,
    /// with the same configuration and guests.
    pub fn restart(&mut self) {
        self.kill();
        self.child = spawn(&self.base, self.owner);
        self.wait_ready();
    }

    /// A directory the daemon's user owns, for guest files, sockets and logs.
    pub fn vm_dir(&self) -> PathBuf {
        self.base.join("vm")
    }

    /// Make a file or directory under `vm_dir` usable by the daemon's user.
    pub fn give(&self, path: &Path) {
        if let Some(owner) = self.owner {
            chown_r(path, owner);
        }
    }

    /// Everything worth reading when something failed.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        let mut add = |title: String, path: &Path| {
            let text = std::fs::read(path).map(|b| String::from_utf8_lossy(&b).into_owned());
            let _ = writeln!(out, "===== {title} ({}) =====", path.display());
            let _ = writeln!(out, "{}", text.unwrap_or_else(|e| format!("<{e}>")));
        };
        add("libvirtd".into(), &self.base.join("libvirtd.log"));
        for dir in [self.base.join("cache/libvirt/qemu/log"), self.vm_dir()] {
            if let Ok(entries) = std::fs::read_dir(&dir) {
                for e in entries.flatten() {
                    let p = e.path();
                    if p.extension().is_some_and(|x| x == "log") {
                        add(p.file_name().unwrap().to_string_lossy().into_owned(), &p);
                    }
                }
            }
        }
        out
    }

    /// Stop the daemon now, as a crash or `systemctl stop` would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn virsh(&self, args: &[&str]) -> String {
        Command::new("virsh")
            .arg("-c")
            .arg(&self.uri)
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // Guests outlive libvirtd: stop them first.
        for name in self
            .virsh(&["list", "--name"])
            .lines()
            .filter(|l| !l.trim().is_empty())
        {
            self.virsh(&["destroy", name.trim()]);
        }
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let stopped = super::wait_for("libvirtd to stop", Duration::from_secs(10), || {
            self.child.try_wait().ok().flatten()
        });
        if stopped.is_err() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if std::env::var_os("VIREO_KEEP_E2E").is_none() {
            let _ = std::fs::remove_dir_all(&self.base);
        } else {
            eprintln!("kept {}", self.base.display());
        }
    }
}
