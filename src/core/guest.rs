//! What a running guest says about itself, as pure data: its network
//! interfaces and addresses (from the guest agent, the DHCP leases or the
//! host's ARP table, in that order, as virt-manager asks), the guest
//! agent's report (`virDomainGetGuestInfo`'s typed parameters: OS, host
//! name, time zone, users, filesystems), whether the domain has an agent
//! channel at all, and the text forms `virsh guestinfo` and
//! `virsh net-dhcp-leases` print, which the test fixtures are written in.

use std::net::IpAddr;

use crate::core::xml::Document;

/// Where a guest's addresses came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressSource {
    Agent,
    Lease,
    Arp,
}

/// One network interface of the guest and its addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Iface {
    /// The guest's name for it (`eth0`) from the agent, the host's
    /// (`vnet3`) otherwise.
    pub name: String,
    pub mac: Option<String>,
    /// Address and prefix length.
    pub addrs: Vec<(IpAddr, u32)>,
}

/// The addresses worth showing, best first: IPv4, then IPv6 that is not
/// link-local; loopback never.
pub fn shown_addresses(ifaces: &[Iface]) -> Vec<String> {
    let all = ifaces
        .iter()
        .filter(|i| i.name != "lo")
        .flat_map(|i| i.addrs.iter().map(|(a, _)| *a))
        .filter(|a| !a.is_loopback());
    let (mut v4, mut v6): (Vec<IpAddr>, Vec<IpAddr>) = all.partition(IpAddr::is_ipv4);
    v6.retain(|a| match a {
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) != 0xfe80,
        IpAddr::V4(_) => true,
    });
    v4.dedup();
    v6.dedup();
    v4.iter().chain(&v6).map(ToString::to_string).collect()
}

/// A user logged in to the guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestUser {
    pub name: String,
    /// Windows domain, when there is one.
    pub domain: Option<String>,
    /// Milliseconds since the epoch.
    pub login_time: Option<u64>,
}

/// A mounted filesystem of the guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestFs {
    pub mountpoint: String,
    /// The guest's device name (`sda1`).
    pub name: String,
    pub fstype: String,
    pub total_bytes: Option<u64>,
    pub used_bytes: Option<u64>,
}

/// What the guest agent reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuestInfo {
    /// `os.pretty-name`, or name and version.
    pub os: Option<String>,
    pub kernel: Option<String>,
    pub hostname: Option<String>,
    pub timezone: Option<String>,
    pub users: Vec<GuestUser>,
    pub filesystems: Vec<GuestFs>,
}

impl GuestInfo {
    /// Read `virDomainGetGuestInfo`'s parameters (name, value as text).
    pub fn from_params(params: &[(String, String)]) -> GuestInfo {
        let get = |key: &str| {
            params
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let count = |key: &str| get(key).and_then(|c| c.parse::<usize>().ok()).unwrap_or(0);
        let number = |key: &str| get(key).and_then(|v| v.parse::<u64>().ok());
        let os = get("os.pretty-name").or_else(|| {
            let name = get("os.name")?;
            Some(match get("os.version") {
                Some(v) => format!("{name} {v}"),
                None => name,
            })
        });
        let kernel = get("os.kernel-release").map(|r| match get("os.machine") {
            Some(m) => format!("{r} ({m})"),
            None => r,
        });
        let users = (0..count("user.count"))
            .filter_map(|i| {
                Some(GuestUser {
                    name: get(&format!("user.{i}.name"))?,
                    domain: get(&format!("user.{i}.domain")),
                    login_time: number(&format!("user.{i}.login-time")),
                })
            })
            .collect();
        let filesystems = (0..count("fs.count"))
            .filter_map(|i| {
                let f = |s: &str| format!("fs.{i}.{s}");
                Some(GuestFs {
                    mountpoint: get(&f("mountpoint"))?,
                    name: get(&f("name")).unwrap_or_default(),
                    fstype: get(&f("fstype")).unwrap_or_default(),
                    total_bytes: number(&f("total-bytes")),
                    used_bytes: number(&f("used-bytes")),
                })
            })
            .collect();
        GuestInfo {
            os,
            kernel,
            hostname: get("hostname"),
            timezone: get("timezone.name"),
            users,
            filesystems,
        }
    }
}

/// The `key : value` lines `virsh guestinfo` prints.
pub fn parse_guestinfo_listing(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            let k = k.trim();
            (!k.is_empty() && !k.contains(' ')).then(|| (k.to_owned(), v.trim().to_owned()))
        })
        .collect()
}

/// A lease a network's DHCP server handed out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub mac: String,
    pub ip: String,
    pub prefix: u32,
    pub hostname: Option<String>,
    /// Seconds since the epoch.
    pub expires: i64,
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Read the table `virsh net-dhcp-leases` prints (expiry in UTC).
pub fn parse_lease_table(text: &str) -> Vec<Lease> {
    text.lines()
        .filter_map(|line| {
            let t: Vec<&str> = line.split_whitespace().collect();
            if t.len() < 6 || !t[1].contains(':') || t[0].len() != 10 {
                return None;
            }
            let date: Vec<i64> = t[0].split('-').filter_map(|x| x.parse().ok()).collect();
            let time: Vec<i64> = t[1].split(':').filter_map(|x| x.parse().ok()).collect();
            let ([y, mo, d], [h, mi, s]) = (date.as_slice(), time.as_slice()) else {
                return None;
            };
            let expires = days_from_civil(*y, *mo, *d) * 86_400 + h * 3600 + mi * 60 + s;
            let (ip, prefix) = t[4].split_once('/').unwrap_or((t[4], "0"));
            Some(Lease {
                mac: t[2].to_owned(),
                ip: ip.to_owned(),
                prefix: prefix.parse().unwrap_or(0),
                hostname: (t[5] != "-").then(|| t[5].to_owned()),
                expires,
            })
        })
        .collect()
}

/// The guest agent's channel in a domain's XML: `None` when there is
/// none, else whether libvirt sees the agent connected.
pub fn agent_channel(domain_xml: &str) -> Option<bool> {
    let doc = Document::parse(domain_xml).ok()?;
    doc.root
        .child("devices")?
        .children_named("channel")
        .filter_map(|c| c.child("target"))
        .find(|t| t.attr("name").as_deref() == Some(AGENT_CHANNEL))
        .map(|t| t.attr("state").as_deref() == Some("connected"))
}

/// The virtio-serial port name qemu-guest-agent listens on.
pub const AGENT_CHANNEL: &str = "org.qemu.guest_agent.0";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_ipv4_first_without_loopback_or_link_local() {
        let ifaces = [
            Iface {
                name: "lo".into(),
                mac: None,
                addrs: vec![("127.0.0.1".parse().unwrap(), 8)],
            },
            Iface {
                name: "eth0".into(),
                mac: Some("52:54:00:01:02:03".into()),
                addrs: vec![
                    ("fe80::5054:ff:fe01:203".parse().unwrap(), 64),
                    ("fd00::20".parse().unwrap(), 64),
                    ("10.0.0.5".parse().unwrap(), 24),
                ],
            },
        ];
        assert_eq!(shown_addresses(&ifaces), ["10.0.0.5", "fd00::20"]);
    }

    #[test]
    fn dates_count_days_like_the_calendar() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2026, 12, 1), 20_788);
    }
}
