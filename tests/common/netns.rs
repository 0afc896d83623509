//! A private *privileged* libvirt daemon in namespaces of its own, for the
//! networks that need root (bridges, NAT rules, dnsmasq): its own network
//! namespace (its bridges and firewall rules never touch the host's), mount
//! namespace (tmpfs over libvirt's state and configuration folders, so the
//! host's networks and guests are neither seen nor changed) and PID
//! namespace (stopping the daemon stops the dnsmasq it started). Its
//! socket lives in a temporary folder the test process connects to.
//! Root only: `Netns::start` returns `None` for other users.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Netns {
    pub base: PathBuf,
    pub uri: String,
    child: Child,
}

const SETUP: &str = r#"set -e
for d in /run/libvirt /var/lib/libvirt /etc/libvirt /var/cache/libvirt /var/log/libvirt; do
  mkdir -p "$d"; mount -t tmpfs vireo-test "$d"
done
mkdir -p /etc/libvirt/qemu/networks /var/lib/libvirt/dnsmasq
cat > /etc/libvirt/libvirtd.conf <<EOC
unix_sock_dir = "$BASE/sock"
unix_sock_rw_perms = "0700"
auth_unix_rw = "none"
auth_unix_ro = "none"
EOC
ip link set lo up
exec /usr/sbin/libvirtd --timeout 0 2> "$BASE/libvirtd.log"
"#;

impl Netns {
    /// Start the daemon, or `None` when not root.
    pub fn start() -> Option<Netns> {
        if !super::daemon::is_root() {
            eprintln!("skipped: a privileged daemon needs root");
            return None;
        }
        let base = super::fresh_dir("netns");
        std::fs::create_dir_all(base.join("sock")).unwrap();
        let child = Command::new("unshare")
            .args([
                "--net",
                "--mount",
                "--pid",
                "--fork",
                "--mount-proc",
                "--kill-child",
            ])
            .args(["bash", "-c", SETUP])
            .env("BASE", &base)
            .stdin(Stdio::null())
            .spawn()
            .expect("unshare (util-linux)");
        let socket = base.join("sock/libvirt-sock");
        let mut ns = Netns {
            uri: format!("qemu+unix:///system?socket={}", socket.display()),
            base,
            child,
        };
        super::wait_for(
            "the privileged daemon's socket",
            Duration::from_secs(30),
            || {
                if let Ok(Some(status)) = ns.child.try_wait() {
                    panic!("libvirtd exited with {status}\n{}", ns.logs());
                }
                std::os::unix::net::UnixStream::connect(&socket).ok()
            },
        )
        .unwrap_or_else(|e| panic!("{e}\n{}", ns.logs()));
        Some(ns)
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(self.base.join("libvirtd.log")).unwrap_or_default()
    }

    /// The PID of the daemon (the namespaces' first process).
    fn pid(&self) -> String {
        let out = Command::new("pgrep")
            .args(["-P", &self.child.id().to_string()])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .expect("the daemon under unshare")
            .to_owned()
    }

    /// Run `sh -c script` inside the daemon's network and mount namespaces.
    pub fn run(&self, script: &str) -> std::process::Output {
        Command::new("nsenter")
            .args(["-t", &self.pid(), "-n", "-m", "sh", "-c", script])
            .output()
            .unwrap()
    }

    /// A file as the daemon sees it (its own /var/lib/libvirt).
    pub fn read(&self, path: &str) -> String {
        String::from_utf8_lossy(&self.run(&format!("cat {path}")).stdout).into_owned()
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // The PID namespace ends with its first process: dnsmasq goes too,
        // and the network namespace with its bridges.
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::env::var_os("VIREO_KEEP_E2E").is_none() {
            let _ = std::fs::remove_dir_all(&self.base);
        }
    }
}
