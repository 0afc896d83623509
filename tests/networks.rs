//! Virtual networks on the test driver (tests/data/testdriver/clones.xml):
//! created after the overlap and range checks, started, stopped,
//! autostarted, deleted, and static DHCP leases added and removed live.

mod common;

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
