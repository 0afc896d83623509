//! The guest agent path on a real hypervisor: the tiny guest (busybox, no
//! qemu-guest-agent) answers the agent's protocol on its
//! `org.qemu.guest_agent.0` port with a few lines of shell and canned
//! replies. What is real: QEMU's port, libvirt's agent lifecycle event when
//! the guest opens it, libvirt's agent client, and Vireo's reading of
//! `virDomainGetGuestInfo`'s typed parameters and of the agent's interface
//! addresses.

mod common;

use std::time::Duration;

use common::daemon::Daemon;
use common::guest::{self, Boot};
use common::shell::serial_run;
use vireo::core::guest::{AddressSource, shown_addresses};
use vireo::core::libvirt::{AgentState, Connection, Event, PowerAction};

/// A one-line agent: finds its port, opens it once (ignoring the hangup of
/// the serial line it was typed on), reads again while libvirt has not
/// connected its end (a read gives end-of-file then), and answers each
/// command with a canned reply (guest-sync with the id it was given).
const AGENT: &str = r#"p=; for d in /sys/class/virtio-ports/*; do [ "$(cat $d/name)" = org.qemu.guest_agent.0 ] && p=/dev/${d##*/}; done; ( trap '' HUP; exec 3<>$p; while :; do read -r l <&3 || { sleep 0.2; continue; }; case "$l" in *guest-sync*) echo "{\"return\": $(echo "$l" | sed 's/.*"id": *\([0-9]*\).*/\1/')}" >&3 ;; *guest-get-osinfo*) echo '{"return": {"id": "tiny", "name": "Vireo Tiny", "pretty-name": "Vireo Tiny Linux 1.0", "version": "1.0", "kernel-release": "6.1.0-tiny", "machine": "x86_64"}}' >&3 ;; *guest-get-host-name*) echo '{"return": {"host-name": "tiny-agent"}}' >&3 ;; *guest-get-users*) echo '{"return": [{"user": "root", "login-time": 1764590400.5}]}' >&3 ;; *guest-get-timezone*) echo '{"return": {"zone": "UTC", "offset": 0}}' >&3 ;; *guest-get-fsinfo*) echo '{"return": [{"name": "vda1", "mountpoint": "/", "type": "ext4", "total-bytes": 1048576, "used-bytes": 524288, "disk": []}]}' >&3 ;; *guest-network-get-interfaces*) echo '{"return": [{"name": "lo", "hardware-address": "00:00:00:00:00:00", "ip-addresses": [{"ip-address-type": "ipv4", "ip-address": "127.0.0.1", "prefix": 8}]}, {"name": "eth0", "hardware-address": "52:54:00:12:34:56", "ip-addresses": [{"ip-address-type": "ipv4", "ip-address": "10.0.2.15", "prefix": 24}]}]}' >&3 ;; *) echo '{"error": {"class": "CommandNotFound", "desc": "not in the tiny guest"}}' >&3 ;; esac; done; ) </dev/null >/dev/null 2>&1 & true"#;

#[test]
fn the_agent_connects_and_its_report_is_read() {
    let daemon = Daemon::start();
    let files = guest::install(&daemon);
    let vm_dir = daemon.vm_dir();
    let name = "agent";
    let log = vm_dir.join(format!("{name}.serial.log"));
    let sock = vm_dir.join(format!("{name}.serial.sock"));
    let xml = guest::domain_xml(name, Boot::Direct, &files, &vm_dir).replacen(
        "<memballoon",
        "<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>\n    <memballoon",
        1,
    );
    let rt = common::runtime();
    rt.block_on(async {
        let conn = Connection::open(&daemon.uri).await.unwrap();
        let mut events = conn.subscribe();
        let vm = conn
            .define_xml(&xml)
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", daemon.logs()));
        conn.power(&vm.uuid, PowerAction::Run).await.unwrap();
        common::wait_for("the guest's shell", Duration::from_secs(120), || {
            std::fs::read_to_string(&log)
                .ok()
                .filter(|s| s.contains("TINY-SHELL-READY on /dev/ttyS0"))
        })
        .unwrap_or_else(|e| panic!("{e}\n{}", daemon.logs()));

        // A channel, nobody listening.
        let report = conn.guest_report(&vm.uuid).await.unwrap();
        assert_eq!(report.agent, AgentState::NotConnected);

        serial_run(&sock, AGENT, "AGENT-STARTED");
        // libvirt says the agent came (the guest opened its port); at boot
        // it said the agent was not there.
        let connected = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                match events.recv().await {
                    Ok(Event::Agent {
                        uuid,
                        connected: true,
                    }) if uuid == vm.uuid => break true,
                    Ok(_) => continue,
                    Err(e) => panic!("events: {e}"),
                }
            }
        })
        .await
        .unwrap_or_else(|_| {
            panic!(
                "no agent event\n{}\n{}",
                std::fs::read_to_string(&log).unwrap_or_default(),
                daemon.logs()
            )
        });
        assert!(connected);

        let report = conn.guest_report(&vm.uuid).await.unwrap();
        let AgentState::Reported(info) = &report.agent else {
            panic!("{:?}\n{}", report.agent, daemon.logs());
        };
        assert_eq!(info.os.as_deref(), Some("Vireo Tiny Linux 1.0"));
        assert_eq!(info.kernel.as_deref(), Some("6.1.0-tiny (x86_64)"));
        assert_eq!(info.hostname.as_deref(), Some("tiny-agent"));
        assert_eq!(info.timezone.as_deref(), Some("UTC"));
        assert_eq!(info.users.len(), 1);
        assert_eq!(info.users[0].name, "root");
        assert_eq!(info.users[0].login_time, Some(1_764_590_400_500));
        assert_eq!(info.filesystems.len(), 1);
        assert_eq!(info.filesystems[0].used_bytes, Some(524_288));
        // The agent's interfaces, loopback left out.
        assert_eq!(report.source, Some(AddressSource::Agent));
        assert_eq!(shown_addresses(&report.ifaces), ["10.0.2.15"]);
        let all = conn.addresses().await.unwrap();
        assert!(all.contains(&(vm.uuid.clone(), vec!["10.0.2.15".to_owned()])));
        conn.power(&vm.uuid, PowerAction::ForceOff).await.unwrap();
    });
}
