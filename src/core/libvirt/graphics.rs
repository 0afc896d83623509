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
        });
    }
    Ok(out)
}

/// How the UI reaches a VM's console.
#[derive(Debug)]
pub enum ConsoleTarget {
    /// A socket already connected to the VNC server (`virDomainOpenGraphicsFD`).
    Fd { fd: OwnedFd, password: bool },
    /// The VNC server's UNIX socket.
    Socket { path: String, password: bool },
    /// The VNC server's TCP address.
    Tcp {
        host: String,
        port: u16,
        password: bool,
    },
    /// A socket to the VNC server through `ssh` (a `qemu+ssh` connection);
    /// the console lasts as long as `tunnel`.
    Tunnel {
        fd: OwnedFd,
        tunnel: super::tunnel::Tunnel,
        password: bool,
    },
    /// The VM's only graphics is SPICE, which Vireo cannot show yet.
    SpiceOnly,
    /// The VM has no graphics device.
    NoGraphics,
    /// The VM is not running.
    NotRunning,
}

/// Which graphics device a console uses: the first VNC one.
pub fn pick(graphics: &[GraphicsInfo]) -> Result<&GraphicsInfo, ConsoleTarget> {
    if let Some(vnc) = graphics.iter().find(|g| g.kind == "vnc") {
        Ok(vnc)
    } else if graphics.iter().any(|g| g.kind == "spice") {
        Err(ConsoleTarget::SpiceOnly)
    } else {
        Err(ConsoleTarget::NoGraphics)
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
        assert_eq!(pick(&g).unwrap().index, 0);
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
    fn the_first_vnc_device_wins_and_spice_only_or_nothing_say_so() {
        let g = graphics_of(&domain(
            "<graphics type='spice' port='5900'/><graphics type='vnc' port='5901'/>",
        ))
        .unwrap();
        assert_eq!(pick(&g).unwrap().index, 1);
        let g = graphics_of(&domain("<graphics type='spice' autoport='yes'/>")).unwrap();
        assert!(matches!(pick(&g), Err(ConsoleTarget::SpiceOnly)));
        let g = graphics_of(&domain("<video/>")).unwrap();
        assert!(matches!(pick(&g), Err(ConsoleTarget::NoGraphics)));
    }

    #[test]
    fn wildcard_listen_addresses_dial_the_connections_host() {
        assert_eq!(tcp_host(Some("0.0.0.0"), Some("kvm1")), "kvm1");
        assert_eq!(tcp_host(None, None), "localhost");
        assert_eq!(tcp_host(Some("192.0.2.7"), Some("kvm1")), "192.0.2.7");
    }
}
