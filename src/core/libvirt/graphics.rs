//! Finding a running VM's console: which graphics device to use and how to
//! reach it (libvirt's ready-connected socket first, then the listen
//! socket, then host and port from the live XML; over SSH, a tunnel).

use std::os::fd::OwnedFd;

use crate::core::xml::{DeviceKind, DomainXml, XmlError};

/// One `<graphics>` device of the live XML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphicsInfo {
    /// Its index among the domain's graphics devices (for `virDomainOpenGraphicsFD`).
    pub index: u32,
    /// `vnc`, `spice`, `sdl`, …
    pub kind: String,
    /// A UNIX socket the server listens on.
    pub socket: Option<String>,
    pub address: Option<String>,
    /// The port QEMU listens on (live XML only; absent before start).
    pub port: Option<u16>,
    /// SPICE's TLS port (live XML only).
    pub tls_port: Option<u16>,
    pub password: bool,
}

/// The graphics devices of a domain's XML, in order.
pub fn graphics_of(xml: &str) -> Result<Vec<GraphicsInfo>, XmlError> {
    let vm = DomainXml::parse(xml)?;
    let mut out = Vec::new();
    for (index, g) in vm.devices(DeviceKind::Graphics).iter().enumerate() {
        let socket = g
            .graphics_socket()
            .or_else(|| g.get("@socket"))
            .filter(|s| !s.is_empty());
        out.push(GraphicsInfo {
            index: index as u32,
            kind: g.device_type().unwrap_or_default(),
            socket,
            address: g.graphics_listen_address(),
            port: g.port()?.and_then(|p| u16::try_from(p).ok()),
            password: g.has_password(),
            tls_port: g
                .get("@tlsPort")
                .and_then(|p| p.parse::<u16>().ok())
                .filter(|p| *p > 0),
        });
    }
    Ok(out)
}

/// The remote-display protocol of a graphics device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Vnc,
    Spice,
}

impl Protocol {
    fn of(kind: &str) -> Option<Protocol> {
        match kind {
            "vnc" => Some(Protocol::Vnc),
            "spice" => Some(Protocol::Spice),
            _ => None,
        }
    }
}

/// How the UI reaches a VM's console. `index` is the graphics device's:
/// a SPICE session asks for one more socket per channel with it.
#[derive(Debug)]
pub enum ConsoleTarget {
    /// A socket already connected to the server (`virDomainOpenGraphicsFD`).
    Fd {
        protocol: Protocol,
        index: u32,
        fd: OwnedFd,
        password: bool,
    },
    /// The server's UNIX socket.
    Socket {
        protocol: Protocol,
        path: String,
        password: bool,
    },
    /// The server's TCP address: its plain port, and for SPICE its TLS
    /// port with the CA certificate that signs the server's.
    Tcp {
        protocol: Protocol,
        host: String,
        port: Option<u16>,
        tls: Option<(u16, String)>,
        password: bool,
    },
    /// A socket to the server through `ssh` (a `qemu+ssh` connection);
    /// the console lasts as long as `tunnel`.
    Tunnel {
        protocol: Protocol,
        index: u32,
        fd: OwnedFd,
        tunnel: super::tunnel::Tunnel,
        password: bool,
    },
    /// The VM has no graphics device Vireo can show.
    NoGraphics,
    /// The VM is not running.
    NotRunning,
}

/// One more connected socket to a graphics device (a SPICE channel's):
/// from libvirt, or through a new `ssh` that lasts as long as `tunnel`.
#[derive(Debug)]
pub struct ChannelSocket {
    pub fd: OwnedFd,
    pub tunnel: Option<super::tunnel::Tunnel>,
}

/// A console to open, and every display the VM has.
#[derive(Debug)]
pub struct Console {
    pub target: ConsoleTarget,
    /// The VM's VNC and SPICE displays (graphics device index, protocol).
    pub displays: Vec<(u32, Protocol)>,
    /// The display `target` reaches.
    pub shown: Option<u32>,
}

/// The VNC and SPICE displays among `graphics`.
pub fn displays(graphics: &[GraphicsInfo]) -> Vec<(u32, Protocol)> {
    graphics
        .iter()
        .filter_map(|g| Protocol::of(&g.kind).map(|p| (g.index, p)))
        .collect()
}

/// Which graphics device a console uses: device `wanted` when it is a VNC
/// or SPICE display, else the first VNC or SPICE one.
pub fn pick(graphics: &[GraphicsInfo], wanted: Option<u32>) -> Option<(&GraphicsInfo, Protocol)> {
    let shown = |g: &&GraphicsInfo| wanted.is_none_or(|w| g.index == w);
    graphics
        .iter()
        .filter(shown)
        .chain(graphics.iter())
        .find_map(|g| Protocol::of(&g.kind).map(|p| (g, p)))
}

/// Where libvirt hosts keep the CA certificate of their SPICE TLS servers.
pub const SPICE_CA: &str = "/etc/pki/libvirt-spice/ca-cert.pem";

/// Where the CA certificate of SPICE TLS servers is looked for, first
/// found first: the user's own (`~/.pki/libvirt-spice/ca-cert.pem`, beside
/// libvirt's per-user `~/.pki/libvirt`; no root needed), then the system's.
pub fn spice_cas() -> Vec<std::path::PathBuf> {
    let mut cas = Vec::new();
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        cas.push(std::path::Path::new(&home).join(".pki/libvirt-spice/ca-cert.pem"));
    }
    cas.push(SPICE_CA.into());
    cas
}

/// The TLS half of a SPICE TCP console: `tls_port` with the first CA
/// certificate of `cas` that exists. With only a TLS port and no
/// certificate there is no way in: the message says where to put one.
pub fn spice_tls(
    port: Option<u16>,
    tls_port: Option<u16>,
    cas: &[std::path::PathBuf],
) -> Result<Option<(u16, String)>, String> {
    let ca = cas.iter().find(|ca| ca.is_file());
    match (tls_port, ca) {
        (None, _) => Ok(None),
        (Some(tls), Some(ca)) => Ok(Some((tls, ca.display().to_string()))),
        (Some(_), None) if port.is_some() => Ok(None),
        (Some(_), None) => Err(format!(
            "The display accepts only TLS connections, and the host's CA certificate is missing here (copy it to {})",
            cas.iter()
                .map(|c| c.display().to_string())
                .collect::<Vec<_>>()
                .join(" or ")
        )),
    }
}

/// The TCP host to dial for a server listening on `address`, reached
/// through a connection to `uri_host` (`None`: this machine).
pub fn tcp_host(address: Option<&str>, uri_host: Option<&str>) -> String {
    match address {
        Some(a) if !matches!(a, "" | "0.0.0.0" | "::" | "[::]") => a.to_owned(),
        _ => uri_host.unwrap_or("localhost").to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain(devices: &str) -> String {
        format!("<domain type='qemu'><name>g</name><devices>{devices}</devices></domain>")
    }

    #[test]
    fn live_vnc_on_tcp_gives_its_port_and_address() {
        let xml = domain(
            "<graphics type='vnc' port='5901' autoport='yes' listen='127.0.0.1'>\
             <listen type='address' address='127.0.0.1'/></graphics>",
        );
        let g = graphics_of(&xml).unwrap();
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].kind, "vnc");
        assert_eq!(g[0].port, Some(5901));
        assert_eq!(g[0].address.as_deref(), Some("127.0.0.1"));
        assert!(!g[0].password);
        assert_eq!(pick(&g, None).unwrap().0.index, 0);
    }

    #[test]
    fn inactive_autoport_has_no_port_and_sockets_are_found() {
        let g = graphics_of(&domain("<graphics type='vnc' port='-1' autoport='yes'/>")).unwrap();
        assert_eq!(g[0].port, None);
        let g = graphics_of(&domain(
            "<graphics type='vnc' passwd='x'><listen type='socket' socket='/run/vnc.sock'/></graphics>",
        ))
        .unwrap();
        assert_eq!(g[0].socket.as_deref(), Some("/run/vnc.sock"));
        assert!(g[0].password);
        let g = graphics_of(&domain("<graphics type='vnc' socket='/tmp/old.sock'/>")).unwrap();
        assert_eq!(g[0].socket.as_deref(), Some("/tmp/old.sock"));
    }

    #[test]
    fn the_first_vnc_or_spice_device_wins_and_nothing_says_so() {
        let g = graphics_of(&domain(
            "<graphics type='spice' port='5900'/><graphics type='vnc' port='5901'/>",
        ))
        .unwrap();
        let (first, protocol) = pick(&g, None).unwrap();
        assert_eq!((first.index, protocol), (0, Protocol::Spice));
        let g = graphics_of(&domain(
            "<graphics type='sdl'/><graphics type='vnc' port='5901'/>",
        ))
        .unwrap();
        let (first, protocol) = pick(&g, None).unwrap();
        assert_eq!((first.index, protocol), (1, Protocol::Vnc));
        assert_eq!(displays(&g), [(1, Protocol::Vnc)]);
        // A display asked for by index; one that is none falls back.
        let g = graphics_of(&domain(
            "<graphics type='spice' port='5900'/><graphics type='vnc' port='5901'/>",
        ))
        .unwrap();
        assert_eq!(pick(&g, Some(1)).unwrap().1, Protocol::Vnc);
        assert_eq!(pick(&g, Some(7)).unwrap().1, Protocol::Spice);
        let g = graphics_of(&domain("<video/>")).unwrap();
        assert!(pick(&g, None).is_none());
    }

    #[test]
    fn spice_tls_needs_the_hosts_ca_certificate() {
        let dir = std::env::temp_dir().join(format!("vireo-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ca = dir.join("ca-cert.pem");
        let cas = [dir.join("user-ca.pem"), ca.clone()];
        let g = graphics_of(&domain(
            "<graphics type='spice' port='5900' tlsPort='5901' autoport='yes'/>",
        ))
        .unwrap();
        assert_eq!((g[0].port, g[0].tls_port), (Some(5900), Some(5901)));
        // No certificate: the plain port serves; TLS only says what is missing.
        assert_eq!(spice_tls(Some(5900), Some(5901), &cas), Ok(None));
        let err = spice_tls(None, Some(5901), &cas).unwrap_err();
        assert!(
            err.contains("only TLS")
                && err.contains("user-ca.pem or ")
                && err.contains("ca-cert.pem"),
            "{err}"
        );
        std::fs::write(&ca, "-----BEGIN CERTIFICATE-----\n").unwrap();
        assert_eq!(
            spice_tls(None, Some(5901), &cas),
            Ok(Some((5901, ca.display().to_string())))
        );
        // The user's own comes first.
        std::fs::write(&cas[0], "-----BEGIN CERTIFICATE-----\n").unwrap();
        assert_eq!(
            spice_tls(None, Some(5901), &cas),
            Ok(Some((5901, cas[0].display().to_string())))
        );
        assert_eq!(spice_tls(Some(5900), None, &cas), Ok(None));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn wildcard_listen_addresses_dial_the_connections_host() {
        assert_eq!(tcp_host(Some("0.0.0.0"), Some("kvm1")), "kvm1");
        assert_eq!(tcp_host(None, None), "localhost");
        assert_eq!(tcp_host(Some("192.0.2.7"), Some("kvm1")), "192.0.2.7");
    }
}
