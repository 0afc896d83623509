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
    cli: Option<&str>,
    saved_autoconnect: &[String],
    system_reachable: impl FnOnce() -> bool,
) -> Vec<String> {
    if let Some(uri) = cli {
        return vec![uri.to_owned()];
    }
    let mut uris: Vec<String> = Vec::new();
    for uri in saved_autoconnect {
        let uri = uri.trim();
        if !uri.is_empty() && !uris.iter().any(|u| u == uri) {
            uris.push(uri.to_owned());
        }
    }
    if uris.is_empty() {
        uris.push(default_uri(system_reachable()).to_owned());
    }
    uris
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixListener;

    #[test]
    fn explicit_connect_wins_and_skips_the_probe() {
        let uris = initial_uris(Some("test:///default"), &["qemu:///system".into()], || {
            panic!("the socket must not be probed when --connect is given")
        });
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
        let uris = initial_uris(None, &saved, || panic!("no probe with saved connections"));
        assert_eq!(uris, ["qemu+ssh://root@a/system", "qemu:///session"]);
    }

    #[test]
    fn nothing_saved_picks_system_when_reachable_else_session() {
        assert_eq!(initial_uris(None, &[], || true), [SYSTEM_URI]);
        assert_eq!(initial_uris(None, &[], || false), [SESSION_URI]);
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
