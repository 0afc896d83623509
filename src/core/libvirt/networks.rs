//! Virtual network work on a connection: list, create (checked against the
//! host's other networks first, undone when it cannot start), start, stop,
//! autostart, delete, static DHCP leases added and removed live, and the
//! lease table (`virNetworkGetDHCPLeases`, through `virt::sys`).

use std::ffi::{CStr, c_char};
use std::net::Ipv4Addr;

use virt::connect::Connect;
use virt::network::Network;

use super::{Connection, Error, ErrorKind, Reply};
use crate::core::network::{self, NetworkProblem, NewNetwork};
use crate::core::xml::Document;

/// A virtual network of the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkDetails {
    pub name: String,
    /// `nat`, `route`, `open`, `bridge`…; `None`: isolated.
    pub mode: Option<String>,
    pub bridge: Option<String>,
    /// Its addresses (`10.20.0.1/24`, `fd00::1/64`).
    pub addresses: Vec<String>,
    pub active: bool,
    pub autostart: bool,
    /// Static DHCP leases: (MAC, IP, name).
    pub static_leases: Vec<(String, String, Option<String>)>,
    /// Whether it runs a DHCP server.
    pub dhcp: bool,
}

pub use crate::core::guest::Lease;

/// What can be done to a network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkAction {
    Start,
    Stop,
    Autostart(bool),
    /// Stop it and forget it.
    Delete,
}

/// One network request.
#[derive(Debug)]
pub enum NetworkRequest {
    List {
        reply: Reply<Vec<NetworkDetails>>,
    },
    /// Define, start and autostart; undone when it cannot start.
    Create {
        network: NewNetwork,
        reply: Reply<()>,
    },
    Act {
        name: String,
        action: NetworkAction,
        reply: Reply<()>,
    },
    /// Add (or with `remove`, remove) a static lease, live and saved.
    StaticLease {
        name: String,
        mac: String,
        ip: Ipv4Addr,
        remove: bool,
        reply: Reply<()>,
    },
    Leases {
        name: String,
        reply: Reply<Vec<Lease>>,
    },
}

fn other(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Other, message)
}

pub(super) fn serve(conn: &Connect, request: NetworkRequest) {
    match request {
        NetworkRequest::List { reply } => {
            let _ = reply.send(list(conn));
        }
        NetworkRequest::Create { network, reply } => {
            let _ = reply.send(create(conn, &network));
        }
        NetworkRequest::Act {
            name,
            action,
            reply,
        } => {
            let _ = reply.send(act(conn, &name, action));
        }
        NetworkRequest::StaticLease {
            name,
            mac,
            ip,
            remove,
            reply,
        } => {
            let _ = reply.send(static_lease(conn, &name, &mac, ip, remove));
        }
        NetworkRequest::Leases { name, reply } => {
            let fixture = super::guest::fixtures(conn).map(|dir| {
                let table = std::fs::read_to_string(dir.join("leases").join(format!("{name}.txt")));
                crate::core::guest::parse_lease_table(&table.unwrap_or_default())
            });
            let _ = reply.send(
                conn.lookup_network_by_name(&name)
                    .map_err(Error::from)
                    .and_then(|n| fixture.map_or_else(|| leases(&n), Ok)),
            );
        }
    }
}

fn details(n: &Network) -> Result<NetworkDetails, Error> {
    let xml = n.xml_desc(0)?;
    let doc = Document::parse(&xml).map_err(|e| other(e.to_string()))?;
    let root = &doc.root;
    let addresses = root
        .children_named("ip")
        .filter_map(|ip| {
            let address = ip.attr("address")?;
            let prefix = match (ip.attr("prefix"), ip.attr("netmask")) {
                (Some(p), _) => p,
                (None, Some(m)) => m
                    .parse::<Ipv4Addr>()
                    .map(|m| u32::from(m).count_ones().to_string())
                    .unwrap_or(m),
                (None, None) => return Some(address),
            };
            Some(format!("{address}/{prefix}"))
        })
        .collect();
    let static_leases = root
        .children_named("ip")
        .filter_map(|ip| ip.child("dhcp"))
        .flat_map(|d| d.children_named("host"))
        .filter_map(|h| Some((h.attr("mac")?, h.attr("ip")?, h.attr("name"))))
        .collect();
    Ok(NetworkDetails {
        name: n.name()?,
        mode: root
            .child("forward")
            .and_then(|f| f.attr("mode").or(Some("nat".into()))),
        bridge: root.child("bridge").and_then(|b| b.attr("name")),
        addresses,
        active: n.is_active()?,
        autostart: n.autostart().unwrap_or(false),
        static_leases,
        dhcp: root
            .children_named("ip")
            .any(|ip| ip.child("dhcp").is_some()),
    })
}

fn list(conn: &Connect) -> Result<Vec<NetworkDetails>, Error> {
    let mut out: Vec<NetworkDetails> = conn
        .list_all_networks(0)?
        .iter()
        .map(details)
        .collect::<Result<_, _>>()?;
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The sentence for a network problem (the UI has translated ones).
pub fn problem_text(p: &NetworkProblem) -> String {
    match p {
        NetworkProblem::EmptyName => "The network needs a name.".into(),
        NetworkProblem::NameWithSlash => "A network's name cannot contain “/”.".into(),
        NetworkProblem::NameTaken(n) => format!("There is already a network named “{n}”."),
        NetworkProblem::NoSubnet => "A NAT or routed network needs an IPv4 subnet.".into(),
        NetworkProblem::Overlaps(n) => format!("The subnet overlaps the network “{n}”'s."),
        NetworkProblem::DhcpOutside => {
            "The DHCP range must lie inside the subnet, first address first.".into()
        }
        NetworkProblem::DhcpHasHost => "The DHCP range holds the host's own address.".into(),
    }
}

fn create(conn: &Connect, n: &NewNetwork) -> Result<(), Error> {
    let existing: Vec<(String, Vec<network::Subnet4>)> = conn
        .list_all_networks(0)?
        .iter()
        .filter_map(|x| Some((x.name().ok()?, network::subnets_of(&x.xml_desc(0).ok()?))))
        .collect();
    if let Some(p) = network::check_network(n, &existing).first() {
        return Err(other(problem_text(p)));
    }
    let net = conn.define_network_xml(&network::network_xml(n))?;
    let started = net.create().and_then(|()| net.set_autostart(true));
    started.map_err(|e| {
        let _ = net.destroy();
        let _ = net.undefine();
        e.into()
    })
}

fn act(conn: &Connect, name: &str, action: NetworkAction) -> Result<(), Error> {
    let n = conn.lookup_network_by_name(name)?;
    match action {
        NetworkAction::Start => n.create()?,
        NetworkAction::Stop => n.destroy()?,
        NetworkAction::Autostart(on) => n.set_autostart(on)?,
        NetworkAction::Delete => {
            if n.is_active()? {
                n.destroy()?;
            }
            n.undefine()?;
        }
    }
    Ok(())
}

fn static_lease(
    conn: &Connect,
    name: &str,
    mac: &str,
    ip: Ipv4Addr,
    remove: bool,
) -> Result<(), Error> {
    let n = conn.lookup_network_by_name(name)?;
    if crate::core::clone::parse_mac(mac).is_none() {
        return Err(other(format!("“{mac}” is not a MAC address.")));
    }
    let subnets = network::subnets_of(&n.xml_desc(0)?);
    if !remove && !subnets.iter().any(|s| s.contains(ip)) {
        return Err(other(format!("{ip} is not in the network's subnet.")));
    }
    let mut flags = virt::sys::VIR_NETWORK_UPDATE_AFFECT_CONFIG;
    if n.is_active()? {
        flags |= virt::sys::VIR_NETWORK_UPDATE_AFFECT_LIVE;
    }
    let command = if remove {
        virt::sys::VIR_NETWORK_UPDATE_COMMAND_DELETE
    } else {
        virt::sys::VIR_NETWORK_UPDATE_COMMAND_ADD_LAST
    };
    n.update(
        command,
        virt::sys::VIR_NETWORK_SECTION_IP_DHCP_HOST,
        -1,
        &network::static_lease_xml(mac, ip, None),
        flags,
    )?;
    Ok(())
}

fn text(p: *mut c_char) -> Option<String> {
    // SAFETY: libvirt's NUL-terminated strings, or NULL.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

fn leases(n: &Network) -> Result<Vec<Lease>, Error> {
    let mut list: *mut virt::sys::virNetworkDHCPLeasePtr = std::ptr::null_mut();
    // SAFETY: a valid network; libvirt allocates the array and each lease.
    let count =
        unsafe { virt::sys::virNetworkGetDHCPLeases(n.as_ptr(), std::ptr::null(), &mut list, 0) };
    if count < 0 {
        return Err(virt::error::Error::last_error().into());
    }
    let mut out = Vec::with_capacity(count as usize);
    for i in 0..count as usize {
        // SAFETY: `count` leases were returned; each is freed once here.
        unsafe {
            let lease = *list.add(i);
            let l = &*lease;
            out.push(Lease {
                mac: text(l.mac).unwrap_or_default(),
                ip: text(l.ipaddr).unwrap_or_default(),
                prefix: l.prefix,
                hostname: text(l.hostname),
                expires: l.expirytime,
            });
            virt::sys::virNetworkDHCPLeaseFree(lease);
        }
    }
    if !list.is_null() {
        // SAFETY: the array itself, allocated by libvirt with malloc.
        unsafe { libc_free(list.cast()) };
    }
    Ok(out)
}

unsafe extern "C" {
    #[link_name = "free"]
    fn libc_free(p: *mut std::ffi::c_void);
}

impl Connection {
    async fn network<T>(&self, make: impl FnOnce(Reply<T>) -> NetworkRequest) -> Result<T, Error> {
        self.ask(|reply| super::Request::Network(make(reply))).await
    }

    /// See [`NetworkRequest::List`].
    pub async fn networks(&self) -> Result<Vec<NetworkDetails>, Error> {
        self.network(|reply| NetworkRequest::List { reply }).await
    }

    /// See [`NetworkRequest::Create`].
    pub async fn create_network(&self, network: NewNetwork) -> Result<(), Error> {
        self.network(|reply| NetworkRequest::Create { network, reply })
            .await
    }

    /// See [`NetworkRequest::Act`].
    pub async fn network_action(&self, name: &str, action: NetworkAction) -> Result<(), Error> {
        let name = name.to_owned();
        self.network(|reply| NetworkRequest::Act {
            name,
            action,
            reply,
        })
        .await
    }

    /// See [`NetworkRequest::StaticLease`].
    pub async fn static_lease(
        &self,
        name: &str,
        mac: &str,
        ip: Ipv4Addr,
        remove: bool,
    ) -> Result<(), Error> {
        let (name, mac) = (name.to_owned(), mac.to_owned());
        self.network(|reply| NetworkRequest::StaticLease {
            name,
            mac,
            ip,
            remove,
            reply,
        })
        .await
    }

    /// See [`NetworkRequest::Leases`].
    pub async fn leases(&self, name: &str) -> Result<Vec<Lease>, Error> {
        let name = name.to_owned();
        self.network(|reply| NetworkRequest::Leases { name, reply })
            .await
    }
}
