//! Consoles of VMs on hosts reached over SSH (`qemu+ssh://user@host/system`).
//!
//! Such a connection cannot hand over a connected socket, and the VNC
//! server usually listens on the remote host's loopback or on a UNIX
//! socket there. As virt-manager does, Vireo runs the system `ssh` with the
//! connection's own user, port and key, its standard input and output one
//! end of a socket pair, and gives the other end to the console: `ssh -W`
//! for a TCP listen, `nc -U` on the remote host for a socket.

use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::process::{Child, Command, Stdio};

/// What of a libvirt SSH URI the tunnel needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshUri {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    /// `?keyfile=`
    pub keyfile: Option<String>,
    /// `?no_verify=1`: do not check the host key.
    pub no_verify: bool,
}

/// Where the VNC server listens on the remote host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listen {
    Socket(String),
    Tcp { host: String, port: u16 },
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap() * 16 + hex(l).unwrap()) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The SSH part of a libvirt URI; `None` for any other transport.
pub fn ssh_of(uri: &str) -> Option<SshUri> {
    let (scheme, rest) = uri.split_once("://")?;
    let transport = scheme.split_once('+')?.1;
    if !matches!(transport, "ssh" | "libssh" | "libssh2") {
        return None;
    }
    let (authority, path) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    let (user, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(percent_decode(u)), h),
        None => (None, authority),
    };
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (h, after) = v6.split_once(']')?;
        (
            h.to_owned(),
            after.strip_prefix(':').and_then(|p| p.parse().ok()),
        )
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h.to_owned(), p.parse().ok()),
            None => (hostport.to_owned(), None),
        }
    };
    if host.is_empty() {
        return None;
    }
    let query = path.split_once('?').map_or("", |(_, q)| q);
    let param = |name: &str| {
        query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| percent_decode(v))
    };
    Some(SshUri {
        user,
        host,
        port,
        keyfile: param("keyfile"),
        no_verify: param("no_verify").is_some_and(|v| v != "0"),
    })
}

/// Quote `s` for the remote host's POSIX shell.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The `ssh` command line (after the program name) of a tunnel to `listen`.
pub fn ssh_args(ssh: &SshUri, listen: &Listen) -> Vec<String> {
    let mut args: Vec<String> = vec!["-T".into(), "-o".into(), "BatchMode=yes".into()];
    if let Some(p) = ssh.port {
        args.extend(["-p".into(), p.to_string()]);
    }
    if let Some(u) = &ssh.user {
        args.extend(["-l".into(), u.clone()]);
    }
    if let Some(k) = &ssh.keyfile {
        args.extend(["-i".into(), k.clone()]);
    }
    if ssh.no_verify {
        args.extend([
            "-o".into(),
            "StrictHostKeyChecking=no".into(),
            "-o".into(),
            "UserKnownHostsFile=/dev/null".into(),
        ]);
    }
    match listen {
        Listen::Tcp { host, port } => {
            let host = if host.contains(':') {
                format!("[{host}]")
            } else {
                host.clone()
            };
            args.extend(["-W".into(), format!("{host}:{port}"), "--".into()]);
            args.push(ssh.host.clone());
        }
        Listen::Socket(path) => {
            args.push("--".into());
            args.push(ssh.host.clone());
            args.push(format!("nc -U {}", shell_quote(path)));
        }
    }
    args
}

/// A running `ssh` that carries one console connection; dropping it ends it.
#[derive(Debug)]
pub struct Tunnel {
    child: Child,
}

impl Tunnel {
    /// Start `ssh` for `listen`; returns the local end of the tunnel.
    pub fn open(ssh: &SshUri, listen: &Listen) -> std::io::Result<(OwnedFd, Tunnel)> {
        let (ours, theirs) = UnixStream::pair()?;
        let child = Command::new("ssh")
            .args(ssh_args(ssh, listen))
            .stdin(Stdio::from(OwnedFd::from(theirs.try_clone()?)))
            .stdout(Stdio::from(OwnedFd::from(theirs)))
            .stderr(Stdio::inherit())
            .spawn()?;
        Ok((OwnedFd::from(ours), Tunnel { child }))
    }

    /// The `ssh` process's ID.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Tunnel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_uris_give_user_host_port_and_key() {
        assert_eq!(
            ssh_of(
                "qemu+ssh://root@kvm1.example:2222/system?keyfile=/home/a/.ssh/id%20x&no_verify=1"
            ),
            Some(SshUri {
                user: Some("root".into()),
                host: "kvm1.example".into(),
                port: Some(2222),
                keyfile: Some("/home/a/.ssh/id x".into()),
                no_verify: true,
            })
        );
        let plain = ssh_of("qemu+ssh://kvm2/system").unwrap();
        assert_eq!(
            (plain.user, plain.host, plain.port),
            (None, "kvm2".into(), None)
        );
        assert_eq!(ssh_of("qemu+ssh://[::1]:22/system").unwrap().host, "::1");
        assert_eq!(ssh_of("qemu:///system"), None);
        assert_eq!(ssh_of("qemu+tcp://kvm1/system"), None);
    }

    #[test]
    fn tunnels_to_tcp_use_ssh_w_and_sockets_use_nc_on_the_remote_host() {
        let ssh = ssh_of("qemu+ssh://alice@kvm1:2222/system?no_verify=1").unwrap();
        let tcp = ssh_args(
            &ssh,
            &Listen::Tcp {
                host: "127.0.0.1".into(),
                port: 5901,
            },
        );
        assert_eq!(
            tcp.join(" "),
            "-T -o BatchMode=yes -p 2222 -l alice -o StrictHostKeyChecking=no \
             -o UserKnownHostsFile=/dev/null -W 127.0.0.1:5901 -- kvm1"
        );
        let sock = ssh_args(&ssh, &Listen::Socket("/run/it's.sock".into()));
        assert_eq!(
            sock.last().unwrap(),
            r"nc -U '/run/it'\''s.sock'",
            "the path is quoted for the remote shell"
        );
    }
}
