//! Which libvirt connection(s) to open at start-up.
//!
//! virt-manager's rule, kept: an explicit `--connect` wins; otherwise the saved
//! connections marked for autoconnect; with nothing saved, `qemu:///system`
//! when the system daemon's socket answers, and `qemu:///session` otherwise.

use std::os::unix::net::UnixStream;
use std::path::Path;

/// The privileged QEMU/KVM connection.
pub const SYSTEM_URI: &str = "qemu:///system";
/// The per-user QEMU/KVM connection.
pub const SESSION_URI: &str = "qemu:///session";

/// Where a system libvirtd (or virtqemud/virtproxyd) listens.
pub const SYSTEM_SOCKETS: &[&str] = &["/run/libvirt/libvirt-sock", "/var/run/libvirt/libvirt-sock"];

/// True when something accepts connections on the unix socket at `path`.
pub fn socket_answers(path: &Path) -> bool {
    UnixStream::connect(path).is_ok()
}

/// True when a system libvirt daemon is reachable on this host.
pub fn system_daemon_reachable() -> bool {
    SYSTEM_SOCKETS.iter().any(|p| socket_answers(Path::new(p)))
}

/// The URI to use when the user has saved none.
pub fn default_uri(system_reachable: bool) -> &'static str {
    if system_reachable {
        SYSTEM_URI
    } else {
        SESSION_URI
    }
}

/// The connections to open at start-up, in order, without duplicates.
///
/// `system_reachable` is only asked when it decides the answer, because
/// probing the socket is a (small) blocking call.
pub fn initial_uris(
    cli: &[String],
    saved_autoconnect: &[String],
    system_reachable: impl FnOnce() -> bool,
) -> Vec<String> {
    let mut uris: Vec<String> = Vec::new();
    let given = if cli.is_empty() {
        saved_autoconnect
    } else {
        cli
    };
    for uri in given {
        let uri = uri.trim();
        if !uri.is_empty() && !uris.iter().any(|u| u == uri) {
            uris.push(uri.to_owned());
        }
    }
    if uris.is_empty() && cli.is_empty() {
        uris.push(default_uri(system_reachable()).to_owned());
    }
    uris
}

/// The kinds of connection the Add Connection dialog offers, like virt-manager's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionKind {
    /// QEMU/KVM on this machine, privileged.
    System,
    /// QEMU/KVM user session on this machine.
    Session,
    /// QEMU/KVM on another machine over SSH (`user@host`, user optional).
    Ssh { user: String, host: String },
    /// Any libvirt URI.
    Custom(String),
}

/// Why a connection cannot be built from what was typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UriError {
    MissingHost,
    /// Spaces, slashes or other characters a host or user name cannot have.
    InvalidHost,
    InvalidUser,
    /// Not of the form `scheme:…` (e.g. `qemu:///system`).
    InvalidUri,
}

fn valid_name(s: &str, extra: &[char]) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || "-._".contains(c) || extra.contains(&c))
}

/// A short name for a connection's host: the server of a remote URI
/// (`qemu+ssh://root@a.example/system` → `a.example`), or the whole URI of
/// a local one.
pub fn host_label(uri: &str) -> String {
    let server = uri
        .split_once("://")
        .map(|(_, rest)| rest.split(['/', '?']).next().unwrap_or(""))
        .unwrap_or("");
    let server = server.rsplit('@').next().unwrap_or(server);
    let host = if server.starts_with('[') {
        server.split_inclusive(']').next().unwrap_or(server)
    } else {
        server.split(':').next().unwrap_or(server)
    };
    if host.is_empty() {
        uri.to_owned()
    } else {
        host.to_owned()
    }
}

/// The libvirt URI for a connection kind.
pub fn uri_for(kind: &ConnectionKind) -> Result<String, UriError> {
    match kind {
        ConnectionKind::System => Ok(SYSTEM_URI.to_owned()),
        ConnectionKind::Session => Ok(SESSION_URI.to_owned()),
        ConnectionKind::Ssh { user, host } => {
            let host = host.trim();
            let user = user.trim();
            if host.is_empty() {
                return Err(UriError::MissingHost);
            }
            // Host names, IPv4, and bracketed IPv6 with an optional :port.
            if !valid_name(host, &[':', '[', ']']) {
                return Err(UriError::InvalidHost);
            }
            if !user.is_empty() && !valid_name(user, &[]) {
                return Err(UriError::InvalidUser);
            }
            let at = if user.is_empty() {
                String::new()
            } else {
                format!("{user}@")
            };
            Ok(format!("qemu+ssh://{at}{host}/system"))
        }
        ConnectionKind::Custom(uri) => {
            let uri = uri.trim();
            let scheme_ok = uri.split_once(':').is_some_and(|(scheme, _)| {
                !scheme.is_empty()
                    && scheme
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '+')
            });
            if scheme_ok && !uri.contains(char::is_whitespace) {
                Ok(uri.to_owned())
            } else {
                Err(UriError::InvalidUri)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_labels_name_the_server() {
        assert_eq!(host_label("qemu+ssh://root@a.example/system"), "a.example");
        assert_eq!(host_label("qemu+tls://b.example:16514/system"), "b.example");
        assert_eq!(host_label("qemu+ssh://[fd00::2]:22/system"), "[fd00::2]");
        assert_eq!(host_label("qemu:///system"), "qemu:///system");
        assert_eq!(
            host_label("qemu+unix:///session?socket=/tmp/a/sock"),
            "qemu+unix:///session?socket=/tmp/a/sock"
        );
    }
    use std::os::unix::net::UnixListener;

    #[test]
    fn explicit_connect_wins_and_skips_the_probe() {
        let uris = initial_uris(
            &["test:///default".into()],
            &["qemu:///system".into()],
            || panic!("the socket must not be probed when --connect is given"),
        );
        assert_eq!(uris, ["test:///default"]);
    }

    #[test]
    fn saved_connections_are_used_in_order_once_each() {
        let saved = vec![
            "qemu+ssh://root@a/system".to_string(),
            " ".to_string(),
            "qemu:///session".to_string(),
            "qemu+ssh://root@a/system".to_string(),
        ];
        let uris = initial_uris(&[], &saved, || panic!("no probe with saved connections"));
        assert_eq!(uris, ["qemu+ssh://root@a/system", "qemu:///session"]);
    }

    #[test]
    fn nothing_saved_picks_system_when_reachable_else_session() {
        assert_eq!(initial_uris(&[], &[], || true), [SYSTEM_URI]);
        assert_eq!(initial_uris(&[], &[], || false), [SESSION_URI]);
    }

    #[test]
    fn connection_kinds_make_the_uris_virt_manager_makes() {
        assert_eq!(uri_for(&ConnectionKind::System).unwrap(), "qemu:///system");
        assert_eq!(
            uri_for(&ConnectionKind::Session).unwrap(),
            "qemu:///session"
        );
        let ssh = |user: &str, host: &str| {
            uri_for(&ConnectionKind::Ssh {
                user: user.into(),
                host: host.into(),
            })
        };
        assert_eq!(
            ssh("root", "kvm1.example.org").unwrap(),
            "qemu+ssh://root@kvm1.example.org/system"
        );
        assert_eq!(
            ssh("", " 192.168.1.20 ").unwrap(),
            "qemu+ssh://192.168.1.20/system"
        );
        assert_eq!(
            ssh("admin", "[fe80::1]:2222").unwrap(),
            "qemu+ssh://admin@[fe80::1]:2222/system"
        );
        assert_eq!(ssh("root", ""), Err(UriError::MissingHost));
        assert_eq!(ssh("root", "a host"), Err(UriError::InvalidHost));
        assert_eq!(ssh("root", "host/x"), Err(UriError::InvalidHost));
        assert_eq!(ssh("ro ot", "host"), Err(UriError::InvalidUser));
        assert_eq!(
            uri_for(&ConnectionKind::Custom(" test:///default ".into())).unwrap(),
            "test:///default"
        );
        assert_eq!(
            uri_for(&ConnectionKind::Custom("no scheme".into())),
            Err(UriError::InvalidUri)
        );
        assert_eq!(
            uri_for(&ConnectionKind::Custom("".into())),
            Err(UriError::InvalidUri)
        );
    }

    #[test]
    fn socket_probe_tells_a_listening_socket_from_a_stale_one() {
        let dir = std::env::temp_dir().join(format!("vireo-uri-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("sock");
        let _ = std::fs::remove_file(&path);
        assert!(!socket_answers(&path), "no file: not reachable");
        let listener = UnixListener::bind(&path).unwrap();
        assert!(socket_answers(&path));
        drop(listener);
        assert!(!socket_answers(&path), "stale socket file: not reachable");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
