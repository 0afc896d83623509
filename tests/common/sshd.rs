//! A private OpenSSH server on 127.0.0.1 for tests of `qemu+ssh://`
//! connections: its own host key, one client key that may log in as the
//! current user, everything in a temporary directory; stopped on drop.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Sshd {
    pub dir: PathBuf,
    pub port: u16,
    /// The private key that logs in.
    pub key: PathBuf,
    pub user: String,
    child: Child,
}

fn keygen(path: &Path) {
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .status()
        .expect("ssh-keygen (openssh-client)")
        .success();
    assert!(ok, "ssh-keygen {} failed", path.display());
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Sshd {
    pub fn start() -> Sshd {
        let dir = super::fresh_dir("sshd");
        let (host_key, key) = (dir.join("host_key"), dir.join("client_key"));
        keygen(&host_key);
        keygen(&key);
        std::fs::copy(dir.join("client_key.pub"), dir.join("authorized_keys")).unwrap();
        let user = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout)
            .unwrap()
            .trim()
            .to_owned();
        // sshd's privilege separation directory.
        let _ = std::fs::create_dir_all("/run/sshd");
        let port = free_port();
        std::fs::write(
            dir.join("sshd_config"),
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nAuthorizedKeysFile {}\n\
                 PidFile {}\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n\
                 AllowTcpForwarding yes\nAllowStreamLocalForwarding yes\nLogLevel VERBOSE\n",
                host_key.display(),
                dir.join("authorized_keys").display(),
                dir.join("sshd.pid").display(),
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.join("sshd.log")).unwrap();
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(dir.join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start sshd (openssh-server)");
        let mut sshd = Sshd {
            dir,
            port,
            key,
            user,
            child,
        };
        let up = super::wait_for("sshd to listen", Duration::from_secs(20), || {
            if let Ok(Some(status)) = sshd.child.try_wait() {
                panic!("sshd exited with {status}\n{}", sshd.log());
            }
            TcpStream::connect(("127.0.0.1", port)).ok().map(|_| ())
        });
        if let Err(e) = up {
            panic!("{e}\n{}", sshd.log());
        }
        sshd
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("sshd.log")).unwrap_or_default()
    }

    /// A libvirt URI for the daemon whose socket is `socket`, through this
    /// server (libvirt's own ssh transport, `nc` on the "remote" side).
    pub fn libvirt_uri(&self, socket: &Path) -> String {
        format!(
            "qemu+ssh://{}@127.0.0.1:{}/session?socket={}&keyfile={}&no_verify=1&no_tty=1&proxy=netcat",
            self.user,
            self.port,
            socket.display(),
            self.key.display()
        )
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
