//! The libvirt service against the test driver and the checked-in demo host.

mod common;

use vireo::core::libvirt::{Connection, DomainState, ErrorKind};

fn demo() -> (tokio::runtime::Runtime, Connection) {
    let rt = common::runtime();
    let conn = rt
        .block_on(Connection::open(&common::demo_uri()))
        .expect("the demo fixture opens");
    (rt, conn)
}

#[test]
fn demo_host_lists_every_domain_sorted_with_its_state() {
    let (rt, conn) = demo();
    let domains = rt.block_on(conn.list_domains()).unwrap();
    assert!(domains.len() >= 10, "the demo host has at least 10 domains");
    let names: Vec<&str> = domains.iter().map(|d| d.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "listed by name");

    let state = |name: &str| domains.iter().find(|d| d.name == name).unwrap().state;
    assert_eq!(state("web-server"), DomainState::Running);
    assert_eq!(state("build-runner"), DomainState::Paused);
    assert_eq!(state("windows-11"), DomainState::ShutOff);
    assert_eq!(state("legacy-xp"), DomainState::Crashed);
    assert_eq!(state("laptop-sim"), DomainState::PmSuspended);
    assert_eq!(
        state("開発-ubuntu"),
        DomainState::ShutOff,
        "UTF-8 names survive"
    );

    let web = domains.iter().find(|d| d.name == "web-server").unwrap();
    assert_eq!((web.vcpus, web.memory_kib), (2, 2048 * 1024));
    assert!(web.id.is_some() && web.persistent);
    assert!(
        domains
            .iter()
            .find(|d| d.name == "windows-11")
            .unwrap()
            .id
            .is_none()
    );
}

#[test]
fn domains_are_found_by_name_or_uuid_and_a_missing_one_says_so() {
    let (rt, conn) = demo();
    let by_name = rt.block_on(conn.lookup_domain("kitchen-sink")).unwrap();
    let by_uuid = rt.block_on(conn.lookup_domain(&by_name.uuid)).unwrap();
    assert_eq!(by_name, by_uuid);
    let upper = rt
        .block_on(conn.lookup_domain(&by_name.uuid.to_uppercase()))
        .unwrap();
    assert_eq!(upper.name, "kitchen-sink");

    let err = rt.block_on(conn.lookup_domain("no-such-vm")).unwrap_err();
    assert_eq!(err.kind, ErrorKind::NoSuchDomain);
    assert!(err.message.contains("no-such-vm"), "{}", err.message);
}

#[test]
fn lifecycle_define_start_force_off_undefine() {
    let (rt, conn) = demo();
    let xml = "<domain type='test'><name>scratch</name><memory>65536</memory>\
               <os><type>hvm</type></os></domain>";
    let vm = rt.block_on(conn.define_xml(xml)).unwrap();
    assert_eq!(vm.state, DomainState::ShutOff);
    rt.block_on(conn.start(&vm.uuid)).unwrap();
    assert_eq!(
        rt.block_on(conn.lookup_domain("scratch")).unwrap().state,
        DomainState::Running
    );
    rt.block_on(conn.force_off(&vm.uuid)).unwrap();
    assert_eq!(
        rt.block_on(conn.lookup_domain("scratch")).unwrap().state,
        DomainState::ShutOff
    );
    let inactive = rt.block_on(conn.domain_xml(&vm.uuid, true)).unwrap();
    assert!(inactive.contains("<name>scratch</name>"));
    rt.block_on(conn.undefine(&vm.uuid)).unwrap();
    let gone = rt.block_on(conn.lookup_domain("scratch")).unwrap_err();
    assert_eq!(gone.kind, ErrorKind::NoSuchDomain);
}

#[test]
fn invalid_xml_is_refused_with_libvirts_message_and_defines_nothing() {
    let (rt, conn) = demo();
    let before = rt.block_on(conn.list_domains()).unwrap().len();
    let err = rt
        .block_on(conn.define_xml("<domain type='test'><name>half</name>"))
        .unwrap_err();
    assert!(matches!(err.kind, ErrorKind::Libvirt { .. }));
    assert!(!err.message.is_empty());
    let err = rt
        .block_on(conn.define_xml("<domain type='test'><name>x</name><memory>bogus</memory><os><type>hvm</type></os></domain>"))
        .unwrap_err();
    assert!(!err.message.is_empty());
    assert_eq!(rt.block_on(conn.list_domains()).unwrap().len(), before);
}

#[test]
fn host_info_describes_the_fixture_host() {
    let (rt, conn) = demo();
    let host = rt.block_on(conn.host_info()).unwrap();
    assert_eq!(host.driver, "TEST");
    assert_eq!(host.cpus, 16);
    assert_eq!(host.memory_kib, 33554432);
    assert!(
        host.libvirt_version.starts_with("9."),
        "{}",
        host.libvirt_version
    );
    assert!(host.uri.starts_with("test://"));
}

#[test]
fn a_uri_that_cannot_be_opened_gives_libvirts_message() {
    let rt = common::runtime();
    let err = rt
        .block_on(Connection::open("test:///nonexistent/vireo-fixture.xml"))
        .unwrap_err();
    assert!(matches!(err.kind, ErrorKind::Libvirt { .. }));
    assert!(err.message.contains("vireo-fixture.xml"), "{}", err.message);
    let err = rt
        .block_on(Connection::open("bogus+proto:///x"))
        .unwrap_err();
    assert!(!err.message.is_empty());
}

#[test]
fn cloned_handles_share_one_connection() {
    let (rt, conn) = demo();
    let second = conn.clone();
    let xml = "<domain type='test'><name>shared</name><memory>65536</memory><os><type>hvm</type></os></domain>";
    rt.block_on(conn.define_xml(xml)).unwrap();
    drop(conn);
    // The clone still talks to the same (in-memory) connection state.
    assert_eq!(
        rt.block_on(second.lookup_domain("shared")).unwrap().name,
        "shared"
    );
}

#[test]
fn lifecycle_events_arrive_without_polling() {
    use vireo::core::libvirt::{Event, Lifecycle};
    let (rt, conn) = demo();
    let mut events = conn.subscribe();
    let xml = "<domain type='test'><name>evented</name><memory>65536</memory><os><type>hvm</type></os></domain>";
    let vm = rt.block_on(conn.define_xml(xml)).unwrap();
    rt.block_on(conn.start(&vm.uuid)).unwrap();
    rt.block_on(conn.force_off(&vm.uuid)).unwrap();
    rt.block_on(conn.undefine(&vm.uuid)).unwrap();
    let mut seen = Vec::new();
    rt.block_on(async {
        while seen.len() < 4 {
            match tokio::time::timeout(std::time::Duration::from_secs(10), events.recv()).await {
                Ok(Ok(Event::Lifecycle {
                    uuid, name, change, ..
                })) => {
                    assert_eq!(
                        (uuid.as_str(), name.as_str()),
                        (vm.uuid.as_str(), "evented")
                    );
                    seen.push(change);
                }
                Ok(other) => panic!("unexpected {other:?}"),
                Err(_) => panic!("timed out; events so far: {seen:?}"),
            }
        }
    });
    assert_eq!(
        seen,
        [
            Lifecycle::Defined,
            Lifecycle::Started,
            Lifecycle::Stopped,
            Lifecycle::Undefined
        ]
    );
}

#[test]
fn power_actions_move_a_vm_through_its_states() {
    use vireo::core::libvirt::PowerAction as A;
    let (rt, conn) = demo();
    let web = rt.block_on(conn.lookup_domain("web-server")).unwrap();
    let state = || rt.block_on(conn.lookup_domain("web-server")).unwrap().state;
    let steps = [
        (A::Pause, DomainState::Paused),
        (A::Resume, DomainState::Running),
        (A::Reboot, DomainState::Running),
        (A::Save, DomainState::ShutOff),
        (A::Run, DomainState::Running),
        (A::ShutDown, DomainState::ShutOff),
        (A::Run, DomainState::Running),
        (A::ForceOff, DomainState::ShutOff),
    ];
    for (action, expected) in steps {
        assert!(
            A::available(state()).contains(&action),
            "{action:?} is offered in {:?}",
            state()
        );
        rt.block_on(conn.power(&web.uuid, action))
            .unwrap_or_else(|e| panic!("{action:?}: {e}"));
        assert_eq!(state(), expected, "after {action:?}");
    }
    let err = rt.block_on(conn.power(&web.uuid, A::Pause)).unwrap_err();
    assert!(
        !err.message.is_empty(),
        "pausing a shut-off VM is refused with libvirt's reason"
    );
    assert!(!A::available(DomainState::ShutOff).contains(&A::Pause));
}

#[test]
fn delete_forces_off_undefines_and_deletes_only_the_chosen_storage() {
    let (rt, conn) = demo();
    let vm = rt.block_on(conn.lookup_domain("kitchen-sink")).unwrap();
    assert_eq!(vm.state, DomainState::Running);
    let disk = "/var/lib/libvirt/images/kitchen-sink.qcow2".to_string();
    let missing = "/nowhere/not-a-volume.qcow2".to_string();
    let report = rt
        .block_on(conn.delete(&vm.uuid, vec![disk.clone(), missing.clone()]))
        .unwrap();
    assert_eq!(report.deleted, std::slice::from_ref(&disk));
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].0, missing);
    assert!(!report.failed[0].1.is_empty());
    assert_eq!(
        rt.block_on(conn.lookup_domain("kitchen-sink"))
            .unwrap_err()
            .kind,
        ErrorKind::NoSuchDomain
    );
    // The other VMs' disks are still there.
    let again = rt.block_on(conn.delete(
        &rt.block_on(conn.lookup_domain("router")).unwrap().uuid,
        vec!["/var/lib/libvirt/images/web-server.qcow2".into()],
    ));
    assert_eq!(
        again.unwrap().deleted.len(),
        1,
        "web-server's disk existed until now"
    );
}

#[test]
fn host_overview_lists_pools_networks_and_says_there_is_no_acceleration() {
    let (rt, conn) = demo();
    let host = rt.block_on(conn.host_overview()).unwrap();
    assert_eq!(host.info.cpus, 16);
    let pools: Vec<(&str, bool)> = host
        .pools
        .iter()
        .map(|p| (p.info.name.as_str(), p.active))
        .collect();
    assert_eq!(pools, [("default", true), ("isos", true)]);
    assert_eq!(
        host.pools[0].info.target_path.as_deref(),
        Some("/var/lib/libvirt/images")
    );
    assert!(host.pools[0].info.available.unwrap() > 0);
    let nets: Vec<(&str, Option<&str>)> = host
        .networks
        .iter()
        .map(|n| (n.info.name.as_str(), n.info.forward_mode.as_deref()))
        .collect();
    assert_eq!(nets, [("default", Some("nat")), ("isolated", None)]);
    // The test driver offers only the `test` domain type.
    assert!(!host.acceleration.kvm_offered);
    assert!(!host.acceleration.available());
    assert!(
        host.acceleration.dev_kvm.is_some(),
        "a local URI checks /dev/kvm"
    );
}

#[test]
fn stats_come_from_one_bulk_call_for_every_running_domain_only() {
    let (rt, conn) = demo();
    let stats = rt.block_on(conn.stats()).unwrap();
    let domains = rt.block_on(conn.list_domains()).unwrap();
    let active: Vec<_> = domains.iter().filter(|d| d.state.is_active()).collect();
    assert!(
        !active.is_empty() && active.len() < domains.len(),
        "the demo host has running and stopped VMs"
    );
    // Stopped VMs have no usage: a host of stopped guests costs nothing.
    assert_eq!(stats.len(), active.len());
    for d in &active {
        let s = stats
            .iter()
            .find(|s| s.uuid == d.uuid)
            .expect("a record per running domain");
        let running = d.state == DomainState::Running;
        assert_eq!(
            s.state == Some(1),
            running,
            "{}: state {:?}",
            d.name,
            s.state
        );
    }
}

mod auth {
    use super::*;
    use std::sync::{Arc, Mutex};
    use vireo::core::libvirt::{Authenticator, CredentialKind, CredentialPrompt};

    /// An authenticator that answers from `answers` by kind and records the questions.
    fn answering(
        user: &'static str,
        password: Option<&'static str>,
    ) -> (Authenticator, Arc<Mutex<Vec<CredentialPrompt>>>) {
        let asked: Arc<Mutex<Vec<CredentialPrompt>>> = Arc::default();
        let log = asked.clone();
        let auth: Authenticator = Arc::new(move |uri: &str, prompts: Vec<CredentialPrompt>| {
            assert!(uri.ends_with("auth.xml"), "asked for {uri}");
            log.lock().unwrap().extend(prompts.iter().cloned());
            prompts
                .iter()
                .map(|p| match p.kind {
                    CredentialKind::Username => Some(user.to_owned()),
                    _ => password.map(str::to_owned),
                })
                .collect()
        });
        (auth, asked)
    }

    #[test]
    fn a_host_that_asks_for_credentials_opens_with_the_right_ones() {
        let rt = common::runtime();
        let (auth, asked) = answering("alice", Some("wonderland"));
        let conn = rt
            .block_on(Connection::open_with(
                &common::fixture_uri("auth.xml"),
                Some(auth),
            ))
            .expect("alice gets in");
        let domains = rt.block_on(conn.list_domains()).unwrap();
        assert_eq!(domains.len(), 1);
        assert_eq!(domains[0].name, "guarded");
        let kinds: Vec<CredentialKind> = asked.lock().unwrap().iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            [CredentialKind::Username, CredentialKind::Password],
            "libvirt asks for the user, then the password"
        );
    }

    #[test]
    fn a_wrong_password_or_a_cancel_is_refused_with_libvirts_message() {
        let rt = common::runtime();
        let (wrong, _) = answering("alice", Some("looking-glass"));
        let err = rt
            .block_on(Connection::open_with(
                &common::fixture_uri("auth.xml"),
                Some(wrong),
            ))
            .expect_err("a wrong password is refused");
        assert!(
            err.message.to_lowercase().contains("authentication"),
            "{err}"
        );
        // Cancelling the password question.
        let (cancel, _) = answering("alice", None);
        assert!(
            rt.block_on(Connection::open_with(
                &common::fixture_uri("auth.xml"),
                Some(cancel),
            ))
            .is_err()
        );
        // Without an authenticator libvirt cannot ask at all.
        assert!(
            rt.block_on(Connection::open(&common::fixture_uri("auth.xml")))
                .is_err()
        );
    }
}

/// Compare with `tests/data/testdriver/edits/NAME.xml` (rewritten under
/// VIREO_REGENERATE=1; review the diff).
fn edit_fixture(name: &str, xml: &str) {
    let path = common::root().join(format!("tests/data/testdriver/edits/{name}.xml"));
    if std::env::var_os("VIREO_REGENERATE").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, xml).unwrap();
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (VIREO_REGENERATE=1 writes it)", path.display()));
    assert_eq!(xml, want, "{name} differs from {}", path.display());
}

#[test]
fn persistent_edits_of_a_shut_off_vm_give_the_expected_definition() {
    let (rt, conn) = demo();
    let vm = rt.block_on(conn.lookup_domain("ubuntu-server")).unwrap();
    let saved = || rt.block_on(conn.domain_xml(&vm.uuid, true)).unwrap();
    let before = saved();

    // vCPUs and memory: the definition only (the VM is off), said so.
    let applied = rt.block_on(conn.set_vcpus(&vm.uuid, 1)).unwrap();
    assert_eq!((applied.next_boot, applied.now), (Some(Ok(())), None));
    edit_fixture("vcpus-1", &saved());
    let applied = rt.block_on(conn.set_memory(&vm.uuid, 1024 * 1024)).unwrap();
    assert_eq!((applied.next_boot, applied.now), (Some(Ok(())), None));
    edit_fixture("vcpus-1-memory-1g", &saved());

    // Autostart is read back as set.
    assert!(rt.block_on(conn.autostart(&vm.uuid, Some(true))).unwrap());
    assert!(rt.block_on(conn.autostart(&vm.uuid, None)).unwrap());
    assert!(!rt.block_on(conn.autostart(&vm.uuid, Some(false))).unwrap());

    // The XML page's edit: a title added by hand, everything else kept.
    let edited = saved().replacen("</name>", "</name>\n  <title>Edited by hand</title>", 1);
    rt.block_on(conn.define_xml(&edited)).unwrap();
    let after = saved();
    edit_fixture("title-by-hand", &after);
    let changes = vireo::core::xml::diff::summary(&before, &after, 0);
    assert!(
        changes.contains("+   <title>Edited by hand</title>"),
        "{changes}"
    );
    assert!(
        changes.contains("+   <vcpu placement='static' current='1'>2</vcpu>"),
        "{changes}"
    );
    assert!(
        changes.contains("+   <currentMemory unit='KiB'>1048576</currentMemory>"),
        "{changes}"
    );

    // An edit libvirt refuses changes nothing.
    let err = rt
        .block_on(conn.define_xml(&after.replace("<title>", "<bogus/><title>")))
        .expect_err("libvirt's schema refuses <bogus/>");
    assert!(!err.message.is_empty());
    assert_eq!(saved(), after);
}

use vireo::core::edit::{DeviceKey, Edit};
use vireo::core::xml::{DeviceKind, DomainXml};

const INSTALLER: &str = "d006aebb-10ee-5f6f-bd96-e3ef9b3af622";
const WEB_SERVER: &str = "581c67aa-af6d-573d-a7c6-5fcf39123bc3";

/// On a fresh demo host: run `change` on the shut-off debian-installer VM,
/// compare its saved definition with the fixture `name`, and return the
/// lines that changed (`-`/`+`), for the test to say what it expects.
fn edited(
    name: &str,
    change: impl FnOnce(&tokio::runtime::Runtime, &Connection) -> vireo::core::libvirt::Applied,
) -> String {
    let (rt, conn) = demo();
    let before = rt.block_on(conn.domain_xml(INSTALLER, true)).unwrap();
    let applied = change(&rt, &conn);
    assert_eq!(
        (applied.next_boot, applied.now),
        (Some(Ok(())), None),
        "{name}: a shut-off VM changes its definition only"
    );
    let after = rt.block_on(conn.domain_xml(INSTALLER, true)).unwrap();
    edit_fixture(name, &after);
    vireo::core::xml::diff::summary(&before, &after, 0)
}

fn edit(rt: &tokio::runtime::Runtime, conn: &Connection, e: Edit) -> vireo::core::libvirt::Applied {
    rt.block_on(conn.edit(INSTALLER, e)).unwrap()
}

/// A change made through a device call that reports no `Applied`.
fn saved_only(r: Result<(), vireo::core::libvirt::Error>) -> vireo::core::libvirt::Applied {
    r.unwrap();
    vireo::core::libvirt::Applied {
        next_boot: Some(Ok(())),
        now: None,
    }
}

#[test]
fn overview_and_boot_edits_of_a_shut_off_vm_give_their_fixtures() {
    let d = edited("title", |rt, c| {
        edit(rt, c, Edit::Title(Some("Trying installers".into())))
    });
    assert!(
        d.contains("-   <title>Debian 12 from netinst ISO</title>"),
        "{d}"
    );
    assert!(d.contains("+   <title>Trying installers</title>"), "{d}");

    let d = edited("no-title", |rt, c| edit(rt, c, Edit::Title(None)));
    assert!(d.contains("-   <title>"), "{d}");
    assert!(!d.contains("+ "), "{d}");

    let d = edited("description", |rt, c| {
        edit(
            rt,
            c,
            Edit::Description(Some("Netinst & preseed <tests>".into())),
        )
    });
    assert!(
        d.contains("+   <description>Netinst &amp; preseed &lt;tests&gt;</description>"),
        "{d}"
    );

    let d = edited("boot-cdrom-first", |rt, c| {
        edit(rt, c, Edit::BootOrder(vec!["cdrom".into(), "hd".into()]))
    });
    assert!(d.contains("+     <boot dev='cdrom'/>"), "{d}");

    let d = edited("boot-menu", |rt, c| edit(rt, c, Edit::BootMenu(true)));
    assert!(d.contains("+     <bootmenu enable='yes'/>"), "{d}");
}

#[test]
fn renaming_a_shut_off_vm_keeps_its_uuid_and_a_running_one_is_refused() {
    let d = edited("renamed", |rt, c| {
        edit(rt, c, Edit::Rename("debian-trixie".into()))
    });
    assert!(d.contains("+   <name>debian-trixie</name>"), "{d}");
    assert!(d.contains("-   <name>debian-installer</name>"), "{d}");

    let (rt, conn) = demo();
    let err = rt
        .block_on(conn.edit(INSTALLER, Edit::Rename("bad/name".into())))
        .expect_err("a slash is no name");
    assert!(err.message.contains('/'), "{}", err.message);
    let err = rt
        .block_on(conn.edit(WEB_SERVER, Edit::Rename("web-2".into())))
        .expect_err("running");
    assert!(err.message.contains("shut it down"), "{}", err.message);
    assert_eq!(
        rt.block_on(conn.lookup_domain(WEB_SERVER)).unwrap().name,
        "web-server"
    );
}

#[test]
fn device_settings_and_hardware_of_a_shut_off_vm_give_their_fixtures() {
    let d = edited("nic-link-down", |rt, c| {
        edit(
            rt,
            c,
            Edit::Device {
                kind: DeviceKind::Interface,
                key: DeviceKey::Mac("52:54:00:08:00:01".into()),
                path: "link/@state".into(),
                value: Some("down".into()),
            },
        )
    });
    assert!(d.contains("+       <link state='down'/>"), "{d}");

    let d = edited("disk-cache-none", |rt, c| {
        edit(
            rt,
            c,
            Edit::Device {
                kind: DeviceKind::Disk,
                key: DeviceKey::Target("vda".into()),
                path: "driver/@cache".into(),
                value: Some("none".into()),
            },
        )
    });
    assert!(
        d.contains("+       <driver name='qemu' type='qcow2' cache='none'/>"),
        "{d}"
    );

    // Add Hardware for the next boot: a disk, a NIC; Remove; media.
    use vireo::core::hardware::{DiskStorage, NewDevice, NewDisk, Scope};
    let d = edited("disk-added", |rt, c| {
        let vm = DomainXml::parse(&rt.block_on(c.domain_xml(INSTALLER, true)).unwrap()).unwrap();
        let disk = NewDisk {
            storage: DiskStorage::Existing {
                path: "/var/lib/libvirt/images/data.qcow2".into(),
                format: "qcow2".into(),
            },
            bus: "virtio".into(),
            cache: Some("writeback".into()),
        };
        saved_only(rt.block_on(c.attach_device(INSTALLER, &disk.xml(&vm), Scope::NEXT_BOOT)))
    });
    assert!(
        d.contains("+       <source file='/var/lib/libvirt/images/data.qcow2'/>"),
        "{d}"
    );
    assert!(
        d.contains("+       <target dev='vdb' bus='virtio'/>"),
        "{d}"
    );

    let d = edited("nic-added", |rt, c| {
        let vm = DomainXml::parse(&rt.block_on(c.domain_xml(INSTALLER, true)).unwrap()).unwrap();
        let nic = NewDevice::Interface {
            source: vireo::core::wizard::NetworkChoice::Virtual("default".into()),
            model: "e1000e".into(),
        };
        // A fixed MAC (libvirt would pick a random one) keeps the fixture stable.
        let xml = nic
            .xml(&vm)
            .replacen("<source", "<mac address='52:54:00:08:00:02'/><source", 1);
        saved_only(rt.block_on(c.attach_device(INSTALLER, &xml, Scope::NEXT_BOOT)))
    });
    assert!(d.contains("+       <model type='e1000e'/>"), "{d}");

    let d = edited("cdrom-removed", |rt, c| {
        let vm = DomainXml::parse(&rt.block_on(c.domain_xml(INSTALLER, true)).unwrap()).unwrap();
        let xml = vireo::core::hardware::disk_xml_by_target(&vm, "sda").unwrap();
        let detached = rt
            .block_on(c.detach_device(
                INSTALLER,
                &xml,
                Some("sda"),
                Scope::NEXT_BOOT,
                std::time::Duration::ZERO,
            ))
            .unwrap();
        assert_eq!(detached, vireo::core::libvirt::Detached::Done);
        saved_only(Ok(()))
    });
    assert!(d.contains("-       <target dev='sda' bus='sata'/>"), "{d}");
    assert!(!d.contains("vda"), "only the CD-ROM goes: {d}");

    let d = edited("cdrom-ejected", |rt, c| {
        saved_only(rt.block_on(c.change_media(INSTALLER, "sda", None, Scope::NEXT_BOOT, false)))
    });
    assert!(
        d.contains("-       <source file='/var/lib/libvirt/isos/"),
        "{d}"
    );
    assert!(!d.contains("+ "), "{d}");
}

#[test]
fn an_edit_keeps_the_vnc_password_it_cannot_show_without_secrets() {
    let (rt, conn) = demo();
    let with_password = rt
        .block_on(conn.domain_xml(INSTALLER, true))
        .unwrap()
        .replace(
            "<graphics type='vnc' port='-1'",
            "<graphics type='vnc' passwd='s3cret' port='-1'",
        );
    assert!(with_password.contains("passwd='s3cret'"));
    rt.block_on(conn.define_xml(&with_password)).unwrap();
    rt.block_on(conn.edit(INSTALLER, Edit::BootMenu(true)))
        .unwrap();
    let saved = rt.block_on(conn.domain_xml(INSTALLER, true)).unwrap();
    assert!(saved.contains("passwd='s3cret'"), "{saved}");
    assert!(saved.contains("<bootmenu enable='yes'/>"), "{saved}");
}

#[test]
fn a_running_vm_takes_its_title_now_and_its_boot_order_at_the_next_boot() {
    let (rt, conn) = demo();
    let applied = rt
        .block_on(conn.edit(WEB_SERVER, Edit::Title(Some("Front end, renewed".into()))))
        .unwrap();
    assert_eq!(
        (applied.next_boot, applied.now),
        (Some(Ok(())), Some(Ok(())))
    );
    for inactive in [false, true] {
        let xml = rt.block_on(conn.domain_xml(WEB_SERVER, inactive)).unwrap();
        assert!(xml.contains("<title>Front end, renewed</title>"), "{xml}");
    }

    let applied = rt
        .block_on(conn.edit(WEB_SERVER, Edit::BootOrder(vec!["network".into()])))
        .unwrap();
    assert_eq!((applied.next_boot, applied.now), (Some(Ok(())), None));
    let live = rt.block_on(conn.domain_xml(WEB_SERVER, false)).unwrap();
    assert!(!live.contains("<boot dev='network'/>"), "{live}");
    let saved = rt.block_on(conn.domain_xml(WEB_SERVER, true)).unwrap();
    assert!(saved.contains("<boot dev='network'/>"), "{saved}");

    // An edit of a device that is not there changes nothing anywhere.
    let err = rt
        .block_on(conn.edit(
            WEB_SERVER,
            Edit::Device {
                kind: DeviceKind::Disk,
                key: DeviceKey::Target("vdq".into()),
                path: "driver/@cache".into(),
                value: Some("none".into()),
            },
        ))
        .unwrap();
    assert!(
        matches!(err.next_boot, Some(Err(ref e)) if e.contains("disk")),
        "{err:?}"
    );
    assert_eq!(err.now, None);
    assert_eq!(
        rt.block_on(conn.domain_xml(WEB_SERVER, true)).unwrap(),
        saved
    );
}

/// Add Disk and Remove Disk are one request each, with their rollback: a
/// disk libvirt refuses leaves no volume behind and the definition as it
/// was; a removed disk's image goes with it.
#[test]
fn add_and_remove_disk_are_one_operation_each_and_leave_nothing_behind() {
    use vireo::core::hardware::{DiskStorage, NewDisk, Scope};
    let (rt, conn) = demo();
    let volumes = || {
        rt.block_on(conn.wizard_facts())
            .unwrap()
            .pool("default")
            .unwrap()
            .volumes
            .clone()
    };
    let disk = |cache: &str| NewDisk {
        storage: DiskStorage::NewVolume {
            pool: "default".into(),
            pool_path: "/var/lib/libvirt/images".into(),
            name: "installer-data.qcow2".into(),
            size_bytes: 1 << 30,
        },
        bus: "virtio".into(),
        cache: Some(cache.into()),
    };
    let before = rt.block_on(conn.domain_xml(INSTALLER, true)).unwrap();
    let listed = volumes();

    // libvirt's validation refuses the cache mode after the volume was made.
    let err = rt
        .block_on(conn.add_disk(INSTALLER, disk("bogus"), Scope::NEXT_BOOT))
        .expect_err("an invalid cache mode is refused");
    assert!(err.message.contains("failed to validate"), "{err}");
    assert_eq!(volumes(), listed, "the new volume was deleted again");
    assert_eq!(
        rt.block_on(conn.domain_xml(INSTALLER, true)).unwrap(),
        before
    );

    // The same disk, valid: its volume and the disk, named after the others.
    let target = rt
        .block_on(conn.add_disk(INSTALLER, disk("none"), Scope::NEXT_BOOT))
        .unwrap();
    assert_eq!(target, "vdb");
    assert!(volumes().contains(&"installer-data.qcow2".to_string()));
    let with = rt.block_on(conn.domain_xml(INSTALLER, true)).unwrap();
    assert!(
        with.contains("/var/lib/libvirt/images/installer-data.qcow2"),
        "{with}"
    );

    // Removed with its image.
    let removed = rt
        .block_on(conn.remove_disk(
            INSTALLER,
            "vdb",
            true,
            Scope::NEXT_BOOT,
            std::time::Duration::ZERO,
        ))
        .unwrap();
    assert_eq!(removed.detached, vireo::core::libvirt::Detached::Done);
    assert_eq!(removed.image, Some(Ok(())));
    assert_eq!(volumes(), listed);
    assert_eq!(
        rt.block_on(conn.domain_xml(INSTALLER, true)).unwrap(),
        before
    );

    // A disk the VM does not have: said so, nothing deleted.
    let err = rt
        .block_on(conn.remove_disk(
            INSTALLER,
            "vdz",
            true,
            Scope::NEXT_BOOT,
            std::time::Duration::ZERO,
        ))
        .expect_err("no such disk");
    assert!(err.message.contains("vdz"), "{err}");
    assert_eq!(volumes(), listed);
}

/// Media changes read the drive from the current XML: a drive the VM does
/// not have is refused with its name, and nothing changes.
#[test]
fn media_changes_name_a_missing_drive_and_change_nothing() {
    use vireo::core::hardware::Scope;
    let (rt, conn) = demo();
    let before = rt.block_on(conn.domain_xml(INSTALLER, true)).unwrap();
    let err = rt
        .block_on(conn.change_media(INSTALLER, "hdz", None, Scope::NEXT_BOOT, false))
        .expect_err("no such drive");
    assert!(err.message.contains("hdz"), "{err}");
    assert_eq!(
        rt.block_on(conn.domain_xml(INSTALLER, true)).unwrap(),
        before
    );
}

#[test]
fn a_hosts_load_reads_its_cpu_counters_and_memory() {
    let (rt, conn) = demo();
    let load = rt.block_on(conn.host_load()).unwrap();
    // The demo node: the test driver's fixed CPU counters, the fixture's
    // 32 GiB, and no free-memory figure (its cells have none).
    assert!(load.cpu_total_ns.unwrap() > load.cpu_busy_ns.unwrap());
    assert_eq!(load.memory_total_kib, Some(32 << 20), "{load:?}");
    assert_eq!(load.memory_used_kib(), None, "{load:?}");
    let again = rt.block_on(conn.host_load()).unwrap();
    assert_eq!(
        vireo::core::libvirt::HostLoad::cpu_percent(&load, &again),
        None
    );
}

/// The bulk listing tells a transient domain (a running one whose
/// definition was removed) from the persistent ones, and keeps its title,
/// memory and vCPUs.
#[test]
fn a_running_domain_undefined_is_listed_transient() {
    let (rt, conn) = demo();
    let before = rt.block_on(conn.list_domains()).unwrap();
    let web = before
        .iter()
        .find(|d| d.name == "web-server")
        .unwrap()
        .clone();
    assert!(web.persistent);
    rt.block_on(conn.undefine(&web.uuid)).unwrap();
    let after = rt.block_on(conn.list_domains()).unwrap();
    assert_eq!(after.len(), before.len(), "still running, still listed");
    let now = after.iter().find(|d| d.uuid == web.uuid).unwrap();
    assert!(!now.persistent, "transient once undefined");
    assert_eq!(
        (now.title.as_deref(), now.memory_kib, now.vcpus, now.state),
        (web.title.as_deref(), web.memory_kib, web.vcpus, web.state)
    );
    assert!(
        after
            .iter()
            .filter(|d| d.uuid != web.uuid)
            .all(|d| d.persistent),
        "the others keep their definitions"
    );
}
