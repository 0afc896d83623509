//! What running guests say about themselves, on the test driver
//! (tests/data/testdriver/demo.xml) with the fixtures of tests/data/guest
//! for what it lacks (the guest agent's report, DHCP leases).

mod common;

use vireo::core::guest::{self, GuestInfo};
use vireo::core::libvirt::{AgentState, Connection};

fn connect() -> (tokio::runtime::Runtime, Connection) {
    // SAFETY: every test of this file sets the same value.
    unsafe {
        std::env::set_var(
            "VIREO_TEST_FIXTURES",
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/guest"),
        )
    };
    let rt = common::runtime();
    let conn = rt
        .block_on(Connection::open(&common::fixture_uri("demo.xml")))
        .unwrap();
    (rt, conn)
}

fn uuid_of(rt: &tokio::runtime::Runtime, conn: &Connection, name: &str) -> String {
    rt.block_on(conn.list_domains())
        .unwrap()
        .into_iter()
        .find(|d| d.name == name)
        .unwrap()
        .uuid
}

#[test]
fn the_agent_report_reads_os_host_users_and_filesystems() {
    let (rt, conn) = connect();
    let report = rt
        .block_on(conn.guest_report(&uuid_of(&rt, &conn, "web-server")))
        .unwrap();
    let AgentState::Reported(info) = report.agent else {
        panic!("no agent report: {:?}", report.agent);
    };
    assert_eq!(info.os.as_deref(), Some("Debian GNU/Linux 12 (bookworm)"));
    assert_eq!(info.kernel.as_deref(), Some("6.1.0-27-amd64 (x86_64)"));
    assert_eq!(info.hostname.as_deref(), Some("web01.example.test"));
    assert_eq!(info.timezone.as_deref(), Some("Europe/Berlin"));
    let users: Vec<&str> = info.users.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(users, ["alice", "root"]);
    assert_eq!(info.users[0].login_time, Some(1_764_590_400_000));
    let root = &info.filesystems[0];
    assert_eq!(
        (
            root.mountpoint.as_str(),
            root.fstype.as_str(),
            root.used_bytes
        ),
        ("/", "ext4", Some(5_368_709_120))
    );
    assert_eq!(info.filesystems[1].mountpoint, "/boot/efi");
    // The test driver's own interface addresses (one per domain ID, the same
    // for every source).
    assert_eq!(guest::shown_addresses(&report.ifaces), ["192.168.122.3"]);
}

#[test]
fn leases_give_addresses_and_guests_without_a_channel_say_so() {
    let (rt, conn) = connect();
    let db = uuid_of(&rt, &conn, "db-primary");
    let report = rt.block_on(conn.guest_report(&db)).unwrap();
    assert_eq!(report.source, Some(guest::AddressSource::Lease));
    assert_eq!(guest::shown_addresses(&report.ifaces), ["192.168.122.57"]);
    assert_eq!(report.agent, AgentState::NoChannel);

    let all = rt.block_on(conn.addresses()).unwrap();
    let of = |uuid: &str| all.iter().find(|(u, _)| u == uuid).map(|(_, a)| a.clone());
    assert_eq!(of(&db), Some(vec!["192.168.122.57".to_owned()]));
    assert_eq!(
        of(&uuid_of(&rt, &conn, "web-server")),
        Some(vec!["192.168.122.3".to_owned()])
    );
    // Shut-off guests are not asked.
    assert_eq!(of(&uuid_of(&rt, &conn, "windows-11")), None);
    // Nor is a guest that is not running, for its report.
    let err = rt
        .block_on(conn.guest_report(&uuid_of(&rt, &conn, "windows-11")))
        .unwrap_err();
    assert_eq!(err.message, "The VM is not running.");

    let leases = rt.block_on(conn.leases("default")).unwrap();
    assert_eq!(leases.len(), 2);
    assert_eq!(leases[0].hostname.as_deref(), Some("db-primary"));
    assert_eq!(leases[1].hostname, None);
    assert_eq!(leases[0].expires, 1_796_202_900);
}

#[test]
fn an_agent_channel_is_seen_connected_or_not() {
    let xml = |state: &str| {
        format!(
            "<domain><devices><channel type='unix'><target type='virtio' \
             name='org.qemu.guest_agent.0'{state}/></channel></devices></domain>"
        )
    };
    assert_eq!(guest::agent_channel(&xml(" state='connected'")), Some(true));
    assert_eq!(
        guest::agent_channel(&xml(" state='disconnected'")),
        Some(false)
    );
    assert_eq!(guest::agent_channel("<domain><devices/></domain>"), None);
    // Fewer filesystems than counted, and a missing name: what there is.
    let info = GuestInfo::from_params(&[
        ("os.name".into(), "Fedora Linux".into()),
        ("os.version".into(), "41".into()),
        ("fs.count".into(), "2".into()),
        ("fs.0.mountpoint".into(), "/".into()),
    ]);
    assert_eq!(info.os.as_deref(), Some("Fedora Linux 41"));
    assert_eq!(info.filesystems.len(), 1);
    assert_eq!(info.hostname, None);
}
