//! Virtual networks, as pure data: a new network's XML (NAT, routed,
//! isolated or open, with an IPv4 subnet, a DHCP range, an optional IPv6
//! subnet and a DNS domain), the checks made before it is defined (a subnet
//! overlapping another network's, a DHCP range outside its subnet), and the
//! XML of a static DHCP lease for `virNetworkUpdate`.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::core::xml::{Document, Element};

/// How a network reaches the outside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetMode {
    /// Guests reach out through the host's address.
    Nat,
    /// Guests' addresses are routed (the LAN needs a route back).
    Routed,
    /// Guests reach each other and the host only.
    Isolated,
    /// libvirt adds no firewall rules at all.
    Open,
}

/// An IPv4 subnet: the host's address on it and the prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subnet4 {
    pub address: Ipv4Addr,
    pub prefix: u8,
}

impl Subnet4 {
    /// Read `192.168.100.1/24`.
    pub fn parse(text: &str) -> Option<Subnet4> {
        let (a, p) = text.trim().split_once('/')?;
        let prefix: u8 = p.parse().ok()?;
        (prefix <= 32).then_some(())?;
        Some(Subnet4 {
            address: a.parse().ok()?,
            prefix,
        })
    }

    fn mask(self) -> u32 {
        if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(self.prefix))
        }
    }

    /// The network's first and last address.
    pub fn range(self) -> (u32, u32) {
        let base = u32::from(self.address) & self.mask();
        (base, base | !self.mask())
    }

    pub fn contains(self, ip: Ipv4Addr) -> bool {
        let (lo, hi) = self.range();
        (lo..=hi).contains(&u32::from(ip))
    }

    pub fn overlaps(self, other: Subnet4) -> bool {
        let (a, b) = self.range();
        let (c, d) = other.range();
        a <= d && c <= b
    }

    pub fn netmask(self) -> Ipv4Addr {
        Ipv4Addr::from(self.mask())
    }
}

/// A network to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNetwork {
    pub name: String,
    pub mode: NetMode,
    pub ipv4: Option<Subnet4>,
    /// The DHCP range (first, last), inside `ipv4`.
    pub dhcp: Option<(Ipv4Addr, Ipv4Addr)>,
    /// An IPv6 address of the host with its prefix (`fd00:1::1`, 64).
    pub ipv6: Option<(Ipv6Addr, u8)>,
    pub domain: Option<String>,
}

/// The `<network>` XML for `n`.
pub fn network_xml(n: &NewNetwork) -> String {
    let el = Element::new;
    let mut net = el("network").with_child(el("name").with_text(&n.name));
    let forward = match n.mode {
        NetMode::Nat => Some("nat"),
        NetMode::Routed => Some("route"),
        NetMode::Open => Some("open"),
        NetMode::Isolated => None,
    };
    if let Some(mode) = forward {
        net = net.with_child(el("forward").with_attr("mode", mode));
    }
    if let Some(domain) = &n.domain {
        net = net.with_child(el("domain").with_attr("name", domain));
    }
    if let Some(v4) = n.ipv4 {
        let mut ip = el("ip")
            .with_attr("address", &v4.address.to_string())
            .with_attr("netmask", &v4.netmask().to_string());
        if let Some((start, end)) = n.dhcp {
            ip = ip.with_child(
                el("dhcp").with_child(
                    el("range")
                        .with_attr("start", &start.to_string())
                        .with_attr("end", &end.to_string()),
                ),
            );
        }
        net = net.with_child(ip);
    }
    if let Some((address, prefix)) = n.ipv6 {
        net = net.with_child(
            el("ip")
                .with_attr("family", "ipv6")
                .with_attr("address", &address.to_string())
                .with_attr("prefix", &prefix.to_string()),
        );
    }
    net.into_pretty().to_xml_string()
}

/// A /24 no other network uses (192.168.100.0 up, then 10.0.N.0), with the
/// host at `.1`, for a new network's form.
pub fn free_subnet(taken: &[Subnet4]) -> Subnet4 {
    (100..=254)
        .map(|n| Ipv4Addr::new(192, 168, n, 1))
        .chain((0..=254).map(|n| Ipv4Addr::new(10, 0, n, 1)))
        .map(|address| Subnet4 {
            address,
            prefix: 24,
        })
        .find(|s| !taken.iter().any(|t| t.overlaps(*s)))
        .unwrap_or(Subnet4 {
            address: Ipv4Addr::new(10, 254, 0, 1),
            prefix: 24,
        })
}

/// The DHCP range a subnet gets unless told otherwise: its upper half up
/// to the last address before the broadcast (as virt-manager offers);
/// `None` for subnets too small to hand out addresses.
pub fn default_dhcp(s: Subnet4) -> Option<(Ipv4Addr, Ipv4Addr)> {
    (s.prefix <= 29).then_some(())?;
    let (lo, hi) = s.range();
    Some((
        Ipv4Addr::from(lo + (hi - lo).div_ceil(2)),
        Ipv4Addr::from(hi - 1),
    ))
}

/// The IPv4 subnets a network's XML declares.
pub fn subnets_of(xml: &str) -> Vec<Subnet4> {
    let Ok(doc) = Document::parse(xml) else {
        return Vec::new();
    };
    doc.root
        .children_named("ip")
        .filter(|ip| ip.attr("family").is_none_or(|f| f == "ipv4"))
        .filter_map(|ip| {
            let address: Ipv4Addr = ip.attr("address")?.parse().ok()?;
            let prefix = match (ip.attr("prefix"), ip.attr("netmask")) {
                (Some(p), _) => p.parse().ok()?,
                (None, Some(m)) => u32::from(m.parse::<Ipv4Addr>().ok()?).count_ones() as u8,
                (None, None) => 24,
            };
            Some(Subnet4 { address, prefix })
        })
        .collect()
}

/// Why a network cannot be created as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkProblem {
    EmptyName,
    NameWithSlash,
    NameTaken(String),
    /// NAT and routed networks need an IPv4 subnet.
    NoSubnet,
    /// The subnet overlaps another network's (its name).
    Overlaps(String),
    /// The DHCP range is not inside the subnet, or runs backwards.
    DhcpOutside,
    /// The host's own address is inside the DHCP range.
    DhcpHasHost,
}

/// Everything wrong with `n` among the host's networks (name, subnets).
pub fn check_network(n: &NewNetwork, existing: &[(String, Vec<Subnet4>)]) -> Vec<NetworkProblem> {
    let mut out = Vec::new();
    let name = n.name.trim();
    if name.is_empty() {
        out.push(NetworkProblem::EmptyName);
    } else if name.contains('/') {
        out.push(NetworkProblem::NameWithSlash);
    } else if existing.iter().any(|(e, _)| e == name) {
        out.push(NetworkProblem::NameTaken(name.to_owned()));
    }
    match n.ipv4 {
        None if matches!(n.mode, NetMode::Nat | NetMode::Routed) => {
            out.push(NetworkProblem::NoSubnet)
        }
        None => {}
        Some(v4) => {
            for (other, subnets) in existing {
                if subnets.iter().any(|s| s.overlaps(v4)) {
                    out.push(NetworkProblem::Overlaps(other.clone()));
                }
            }
            if let Some((start, end)) = n.dhcp {
                if !v4.contains(start) || !v4.contains(end) || u32::from(start) > u32::from(end) {
                    out.push(NetworkProblem::DhcpOutside);
                } else if (u32::from(start)..=u32::from(end)).contains(&u32::from(v4.address)) {
                    out.push(NetworkProblem::DhcpHasHost);
                }
            }
        }
    }
    out
}

/// The `<host>` element of a static DHCP lease, for `virNetworkUpdate`'s
/// `ip-dhcp-host` section.
pub fn static_lease_xml(mac: &str, ip: Ipv4Addr, name: Option<&str>) -> String {
    let mut host = Element::new("host")
        .with_attr("mac", mac)
        .with_attr("ip", &ip.to_string());
    if let Some(n) = name {
        host = host.with_attr("name", n);
    }
    host.to_xml_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab() -> NewNetwork {
        NewNetwork {
            name: "lab".into(),
            mode: NetMode::Isolated,
            ipv4: Subnet4::parse("10.20.0.1/24"),
            dhcp: Some((
                "10.20.0.100".parse().unwrap(),
                "10.20.0.200".parse().unwrap(),
            )),
            ipv6: None,
            domain: Some("lab.test".into()),
        }
    }

    #[test]
    fn a_network_becomes_libvirt_xml() {
        let xml = network_xml(&lab());
        assert!(!xml.contains("<forward"), "isolated: no forward\n{xml}");
        assert!(
            xml.contains("<ip address='10.20.0.1' netmask='255.255.255.0'>"),
            "{xml}"
        );
        assert!(xml.contains("<range start='10.20.0.100' end='10.20.0.200'/>"));
        assert!(xml.contains("<domain name='lab.test'/>"));
        let mut nat = lab();
        nat.mode = NetMode::Nat;
        nat.ipv6 = Some(("fd00:20::1".parse().unwrap(), 64));
        let xml = network_xml(&nat);
        assert!(xml.contains("<forward mode='nat'/>"));
        assert!(
            xml.contains("<ip family='ipv6' address='fd00:20::1' prefix='64'/>"),
            "{xml}"
        );
        assert_eq!(subnets_of(&xml), [Subnet4::parse("10.20.0.1/24").unwrap()]);
    }

    #[test]
    fn a_new_network_is_offered_a_free_subnet_and_its_upper_half() {
        let taken = subnets_of("<network><ip address='192.168.100.1' prefix='24'/></network>");
        let s = free_subnet(&taken);
        assert_eq!(s, Subnet4::parse("192.168.101.1/24").unwrap());
        assert_eq!(
            default_dhcp(s),
            Some((
                "192.168.101.128".parse().unwrap(),
                "192.168.101.254".parse().unwrap()
            ))
        );
        assert_eq!(default_dhcp(Subnet4::parse("10.0.0.1/30").unwrap()), None);
    }

    #[test]
    fn overlaps_and_ranges_are_refused_with_the_reason() {
        let default = (
            "default".to_owned(),
            subnets_of(
                "<network><name>default</name><ip address='192.168.122.1' netmask='255.255.255.0'/></network>",
            ),
        );
        assert!(check_network(&lab(), std::slice::from_ref(&default)).is_empty());
        let mut clash = lab();
        clash.ipv4 = Subnet4::parse("192.168.0.1/16");
        clash.dhcp = None;
        assert_eq!(
            check_network(&clash, std::slice::from_ref(&default)),
            [NetworkProblem::Overlaps("default".into())]
        );
        let mut outside = lab();
        outside.dhcp = Some(("10.20.1.10".parse().unwrap(), "10.20.1.20".parse().unwrap()));
        assert_eq!(check_network(&outside, &[]), [NetworkProblem::DhcpOutside]);
        let mut host = lab();
        host.dhcp = Some(("10.20.0.1".parse().unwrap(), "10.20.0.9".parse().unwrap()));
        assert_eq!(check_network(&host, &[]), [NetworkProblem::DhcpHasHost]);
        let mut nat = lab();
        nat.mode = NetMode::Nat;
        nat.ipv4 = None;
        nat.dhcp = None;
        nat.name = "default".into();
        assert_eq!(
            check_network(&nat, &[default]),
            [
                NetworkProblem::NameTaken("default".into()),
                NetworkProblem::NoSubnet
            ]
        );
        assert_eq!(Subnet4::parse("10.0.0.1/33"), None);
        assert_eq!(
            static_lease_xml(
                "52:54:00:aa:bb:cc",
                "10.20.0.50".parse().unwrap(),
                Some("web")
            ),
            "<host mac='52:54:00:aa:bb:cc' ip='10.20.0.50' name='web'/>"
        );
    }
}
