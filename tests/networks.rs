//! Virtual networks on the test driver (tests/data/testdriver/clones.xml):
//! created after the overlap and range checks, started, stopped,
//! autostarted, deleted, and static DHCP leases added and removed live.

mod common;

use std::time::Duration;
use vireo::core::libvirt::{Connection, NetworkAction};
use vireo::core::network::{NetMode, NewNetwork, Subnet4};

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
fn networks_are_created_checked_and_managed_with_static_leases() {
    let rt = common::runtime();
    let conn = rt
        .block_on(Connection::open(&common::fixture_uri("clones.xml")))
        .unwrap();
    let find = |name: &str| {
        rt.block_on(conn.networks())
            .unwrap()
            .into_iter()
            .find(|n| n.name == name)
    };
    let default = find("default").unwrap();
    assert_eq!(default.mode.as_deref(), Some("nat"));
    assert_eq!(default.addresses, ["192.168.122.1/24"]);
    assert_eq!(default.bridge.as_deref(), Some("virbr0"));

    rt.block_on(conn.create_network(lab())).unwrap();
    let net = find("lab").unwrap();
    assert!(net.active && net.autostart);
    assert_eq!(
        (net.mode, net.addresses.clone()),
        (None, vec!["10.20.0.1/24".to_owned()])
    );

    // Refused before anything is defined, one sentence each.
    let mut clash = lab();
    clash.name = "lab2".into();
    let err = rt.block_on(conn.create_network(clash)).unwrap_err();
    assert_eq!(err.message, "The subnet overlaps the network “lab”'s.");
    let mut outside = lab();
    outside.name = "lab3".into();
    outside.ipv4 = Subnet4::parse("10.30.0.1/24");
    let err = rt.block_on(conn.create_network(outside)).unwrap_err();
    assert_eq!(
        err.message,
        "The DHCP range must lie inside the subnet, first address first."
    );
    assert!(find("lab2").is_none() && find("lab3").is_none());

    // A static lease, live and saved; then removed.
    let ip = "10.20.0.50".parse().unwrap();
    rt.block_on(conn.static_lease("lab", "52:54:00:aa:bb:cc", ip, false))
        .unwrap();
    assert_eq!(
        find("lab").unwrap().static_leases,
        [(
            "52:54:00:aa:bb:cc".to_owned(),
            "10.20.0.50".to_owned(),
            None
        )]
    );
    let err = rt
        .block_on(conn.static_lease(
            "lab",
            "52:54:00:aa:bb:cd",
            "10.99.0.5".parse().unwrap(),
            false,
        ))
        .unwrap_err();
    assert_eq!(err.message, "10.99.0.5 is not in the network's subnet.");
    let err = rt
        .block_on(conn.static_lease("lab", "nonsense", ip, false))
        .unwrap_err();
    assert_eq!(err.message, "“nonsense” is not a MAC address.");
    rt.block_on(conn.static_lease("lab", "52:54:00:aa:bb:cc", ip, true))
        .unwrap();
    assert!(find("lab").unwrap().static_leases.is_empty());

    rt.block_on(conn.network_action("lab", NetworkAction::Autostart(false)))
        .unwrap();
    rt.block_on(conn.network_action("lab", NetworkAction::Stop))
        .unwrap();
    let net = find("lab").unwrap();
    assert!(!net.active && !net.autostart);
    rt.block_on(conn.network_action("lab", NetworkAction::Start))
        .unwrap();
    rt.block_on(conn.network_action("lab", NetworkAction::Delete))
        .unwrap();
    assert!(find("lab").is_none());
}

/// A NAT network on a private privileged daemon in namespaces of its own:
/// its bridge comes up with the host's address, a static lease reaches the
/// running dnsmasq at once, a DHCP client on the bridge gets that address,
/// and the lease table and the overlap check see it; stopped and deleted,
/// the bridge is gone.
#[test]
fn a_nat_network_runs_on_a_private_privileged_daemon() {
    let Some(ns) = common::netns::Netns::start() else {
        return;
    };
    let rt = common::runtime();
    let conn = rt.block_on(Connection::open(&ns.uri)).unwrap();
    let mut lab = lab();
    lab.mode = NetMode::Nat;
    rt.block_on(conn.create_network(lab.clone()))
        .unwrap_or_else(|e| panic!("{e}\n{}", ns.logs()));
    let net = rt
        .block_on(conn.networks())
        .unwrap()
        .into_iter()
        .find(|n| n.name == "lab")
        .unwrap();
    assert!(net.active && net.autostart);
    assert_eq!(net.mode.as_deref(), Some("nat"));
    let bridge = net.bridge.clone().expect("libvirt names the bridge");
    let link = ns.run(&format!("ip -br addr show {bridge}"));
    assert!(
        String::from_utf8_lossy(&link.stdout).contains("10.20.0.1/24"),
        "{link:?}"
    );

    // A static lease goes into the running dnsmasq's hosts file at once.
    let mac = "52:54:00:aa:bb:cc";
    rt.block_on(conn.static_lease("lab", mac, "10.20.0.50".parse().unwrap(), false))
        .unwrap();
    let hosts = ns.read("/var/lib/libvirt/dnsmasq/lab.hostsfile");
    assert!(hosts.contains("52:54:00:aa:bb:cc,10.20.0.50"), "{hosts:?}");

    // A DHCP client on the bridge (a veth with that MAC) gets it, and the
    // lease table says so.
    let dhcp = ns.run(&format!(
        "ip link add v0 type veth peer name v1 && ip link set v1 master {bridge} up && \
         ip link set v0 address {mac} up && \
         busybox udhcpc -i v0 -n -q -t 10 -T 1 -x hostname:probe -s /bin/true"
    ));
    assert!(dhcp.status.success(), "{dhcp:?}\n{}", ns.logs());
    let leases = common::wait_for("the lease in the table", Duration::from_secs(20), || {
        let l = rt.block_on(conn.leases("lab")).ok()?;
        (!l.is_empty()).then_some(l)
    })
    .unwrap();
    assert_eq!(leases[0].mac, mac);
    assert_eq!(leases[0].ip, "10.20.0.50");
    assert_eq!(leases[0].hostname.as_deref(), Some("probe"));

    // The running network's subnet is taken.
    let mut clash = lab.clone();
    clash.name = "clash".into();
    clash.ipv4 = Subnet4::parse("10.20.0.1/16");
    clash.dhcp = None;
    let err = rt.block_on(conn.create_network(clash)).unwrap_err();
    assert_eq!(err.message, "The subnet overlaps the network “lab”'s.");

    rt.block_on(conn.static_lease("lab", mac, "10.20.0.50".parse().unwrap(), true))
        .unwrap();
    assert!(
        !ns.read("/var/lib/libvirt/dnsmasq/lab.hostsfile")
            .contains(mac)
    );
    rt.block_on(conn.network_action("lab", NetworkAction::Delete))
        .unwrap();
    let gone = ns.run(&format!("ip link show {bridge}"));
    assert!(!gone.status.success(), "{gone:?}");
    assert!(rt.block_on(conn.networks()).unwrap().is_empty());
}
