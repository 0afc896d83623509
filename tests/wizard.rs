//! The New VM wizard's model: choices to XML (fixture pairs, each checked by
//! libvirt's schema), every check, libosinfo through Vireo's safe layer, and
//! creation against the test driver, all or nothing.
//!
//! `VIREO_REGENERATE=1 cargo test --test wizard` rewrites the fixtures in
//! `tests/data/wizard/`; review the diff.

mod common;

use std::path::PathBuf;
use std::process::Command;

use vireo::core::libvirt::{Connection, CreateJob, DomainState};
use vireo::core::wizard::{
    FirmwareChoice, FirmwarePolicy, GIB, HostFacts, InstallSource, NetworkChoice, NetworkFacts,
    OsProfile, Page, Plan, PoolFacts, Problem, Resources, StorageChoice, VirtType,
};

fn data() -> PathBuf {
    common::root().join("tests/data/wizard")
}

fn validate(xml: &str, schema: &str, what: &str) {
    common::validate_xml(xml, schema, what)
}

/// Compare with the fixture (or rewrite it under VIREO_REGENERATE).
fn fixture(name: &str, xml: &str) {
    let path = data().join(format!("{name}.xml"));
    if std::env::var_os("VIREO_REGENERATE").is_some() {
        std::fs::create_dir_all(data()).unwrap();
        std::fs::write(&path, xml).unwrap();
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (VIREO_REGENERATE=1 writes it)", path.display()));
    assert_eq!(xml, want, "{name} differs from {}", path.display());
}

/// A local host like this machine: no KVM, a default pool with 50 GiB free,
/// the default NAT network.
fn host() -> HostFacts {
    HostFacts {
        local: true,
        session: false,
        arch: "x86_64".into(),
        kvm: false,
        arches: vec![("x86_64".into(), vec!["pc".into(), "q35".into()])],
        memory_mib: 24 * 1024,
        cpus: 2,
        domain_names: vec!["web".into()],
        pools: vec![PoolFacts {
            name: "default".into(),
            path: Some("/var/lib/libvirt/images".into()),
            available: Some(100 * GIB),
            active: true,
            volumes: vec!["web.qcow2".into()],
        }],
        networks: vec![
            NetworkFacts {
                name: "default".into(),
                active: true,
                forward_mode: Some("nat".into()),
            },
            NetworkFacts {
                name: "lab".into(),
                active: false,
                forward_mode: None,
            },
        ],
    }
}

fn debian() -> OsProfile {
    OsProfile {
        short_id: "debian12".into(),
        name: "Debian 12".into(),
        family: "linux".into(),
        release_date: Some("2023-06-10".into()),
        minimum: Resources {
            ram_mib: Some(256),
            vcpus: Some(1),
            storage_gib: Some(1),
        },
        recommended: Resources {
            ram_mib: Some(1024),
            vcpus: Some(1),
            storage_gib: Some(10),
        },
        virtio: true,
        firmware: FirmwarePolicy::Either,
        needs_tpm: false,
    }
}

fn windows11() -> OsProfile {
    OsProfile {
        short_id: "win11".into(),
        name: "Microsoft Windows 11".into(),
        family: "winnt".into(),
        release_date: Some("2021-10-05".into()),
        minimum: Resources {
            ram_mib: Some(4096),
            vcpus: Some(2),
            storage_gib: Some(64),
        },
        recommended: Resources::default(),
        virtio: false,
        firmware: FirmwarePolicy::UefiOnly { secure_boot: true },
        needs_tpm: true,
    }
}

fn old_os() -> OsProfile {
    OsProfile {
        short_id: "winxp".into(),
        name: "Microsoft Windows XP".into(),
        family: "winnt".into(),
        release_date: Some("2001-10-25".into()),
        minimum: Resources {
            ram_mib: Some(64),
            vcpus: Some(1),
            storage_gib: Some(2),
        },
        recommended: Resources {
            ram_mib: Some(512),
            vcpus: None,
            storage_gib: None,
        },
        virtio: false,
        firmware: FirmwarePolicy::BiosOnly,
        needs_tpm: false,
    }
}

fn iso_plan(name: &str, os: OsProfile) -> Plan {
    Plan::new(
        name,
        InstallSource::Iso("/srv/iso/install.iso".into()),
        os,
        &host(),
    )
}

#[test]
fn choices_become_domain_xml_that_libvirt_accepts() {
    let h = host();
    let mut cases: Vec<(&str, Plan, HostFacts)> = Vec::new();

    // The everyday case: a Linux ISO, defaults from the OS, a new volume,
    // the default network, QEMU emulation on a host without KVM.
    cases.push(("debian-iso", iso_plan("debian12", debian()), h.clone()));

    // Windows 11 on a KVM host: UEFI with Secure Boot, a TPM, SATA and e1000e.
    let mut kvm = h.clone();
    kvm.kvm = true;
    let mut win = Plan::new(
        "win11",
        InstallSource::Iso("/srv/iso/Win11.iso".into()),
        windows11(),
        &kvm,
    );
    win.memory_mib = 4096;
    cases.push(("win11-kvm", win, kvm));

    // An old OS: i440fx, IDE, rtl8139, BIOS.
    cases.push(("old-os", iso_plan("xp", old_os()), h.clone()));

    // virt-install's --import with --memory 512,maxmemory=1024 --vcpus 1,maxvcpus=2
    // on a bridge.
    let mut import = Plan::new(
        "imported",
        InstallSource::Import {
            path: "/srv/images/cloud.qcow2".into(),
            format: "qcow2".into(),
        },
        debian(),
        &h,
    );
    (import.memory_mib, import.max_memory_mib) = (512, Some(1024));
    (import.vcpus, import.max_vcpus) = (1, Some(2));
    import.network = NetworkChoice::Bridge("br0".into());
    cases.push(("import-bridge", import, h.clone()));

    // Manual install on a remote host: an existing raw disk, user networking,
    // VNC on the host's loopback, explicit UEFI without Secure Boot.
    let mut remote = h.clone();
    remote.local = false;
    let mut manual = Plan::new(
        "manual",
        InstallSource::Manual,
        OsProfile::generic(),
        &remote,
    );
    manual.storage = StorageChoice::Existing {
        path: "/srv/images/disk.img".into(),
        format: "raw".into(),
    };
    manual.network = NetworkChoice::User;
    manual.firmware = FirmwareChoice::Uefi { secure_boot: false };
    cases.push(("manual-remote", manual, remote));

    // A network install on macvtap without a disk.
    let mut net = Plan::new(
        "netinst",
        InstallSource::Location {
            url: "http://deb.debian.org/debian/dists/bookworm".into(),
            kernel_args: "console=ttyS0".into(),
        },
        debian(),
        &h,
    );
    net.storage = StorageChoice::None;
    net.network = NetworkChoice::Macvtap("eth0".into());
    let install = net
        .install_xml(
            &h,
            "/tmp/vireo-install/vmlinuz",
            "/tmp/vireo-install/initrd",
            Some("0a5e6c1e-7d7f-4f62-9d3b-2b1f0c5a7e12"),
        )
        .expect("a network install has a first-boot definition");
    assert!(install.contains(
        "<cmdline>url=http://deb.debian.org/debian/dists/bookworm console=ttyS0</cmdline>"
    ));
    assert!(install.contains("<on_reboot>destroy</on_reboot>"));
    assert!(install.contains("<uuid>0a5e6c1e-7d7f-4f62-9d3b-2b1f0c5a7e12</uuid>"));
    validate(&install, "domain", "netinst-install");
    fixture("netinst-install", &install);
    cases.push(("netinst", net, h.clone()));

    for (name, plan, host) in &cases {
        let problems: Vec<_> = plan
            .check_all(host)
            .into_iter()
            .filter(|p| !matches!(p, Problem::FileMissing(_)))
            .collect();
        assert!(problems.is_empty(), "{name}: {problems:?}");
        let xml = plan.domain_xml(host);
        validate(&xml, "domain", name);
        fixture(name, &xml);
        if let Some(v) = plan.new_volume() {
            validate(&v.xml, "storagevol", &format!("{name}-volume"));
        }
    }

    // What the fixtures must say, read by a person: spot checks.
    let xml = |n: &str| {
        cases
            .iter()
            .find(|c| c.0 == n)
            .map(|c| c.1.domain_xml(&c.2))
            .unwrap()
    };
    let debian = xml("debian-iso");
    assert!(debian.starts_with("<domain type='qemu'>"));
    assert!(debian.contains("<memory unit='KiB'>1048576</memory>"));
    assert!(debian.contains("machine='q35'"));
    assert!(debian.contains("<source file='/var/lib/libvirt/images/debian12.qcow2'/>"));
    assert!(debian.contains("<target dev='vda' bus='virtio'/>"));
    assert!(debian.contains("<source file='/srv/iso/install.iso'/>"));
    assert!(debian.contains("<listen type='socket'/>"));
    let win = xml("win11-kvm");
    assert!(win.contains("<domain type='kvm'>") && win.contains("host-passthrough"));
    assert!(win.contains("firmware='efi'") && win.contains("name='secure-boot'"));
    assert!(win.contains("<tpm model='tpm-crb'>") && win.contains("bus='sata'"));
    let import = xml("import-bridge");
    assert!(import.contains("<memory unit='KiB'>1048576</memory>"));
    assert!(import.contains("<currentMemory unit='KiB'>524288</currentMemory>"));
    assert!(import.contains("<vcpu placement='static' current='1'>2</vcpu>"));
    assert!(!import.contains("cdrom"));
    assert!(xml("old-os").contains("machine='pc'") && xml("old-os").contains("bus='ide'"));
    assert!(xml("manual-remote").contains("address='127.0.0.1'"));
}

#[test]
fn each_page_refuses_impossible_values_with_the_numbers() {
    let h = host();
    let mut p = iso_plan("new", debian());
    p.source = InstallSource::Iso(String::new());
    assert_eq!(p.check(Page::Source, &h), [Problem::IsoEmpty]);
    p.source = InstallSource::Iso("/nonexistent/vireo.iso".into());
    assert_eq!(
        p.check(Page::Source, &h),
        [Problem::FileMissing("/nonexistent/vireo.iso".into())]
    );
    p.source = InstallSource::Iso("/".into());
    assert_eq!(p.check(Page::Source, &h), [Problem::NotAFile("/".into())]);
    // Unreadable (root reads everything, so only check as another user).
    p.source = InstallSource::Location {
        url: "gopher://x".into(),
        kernel_args: String::new(),
    };
    assert_eq!(
        p.check(Page::Source, &h),
        [Problem::LocationScheme("gopher://x".into())]
    );
    p.virt_type = VirtType::Kvm;
    p.source = InstallSource::Manual;
    assert_eq!(p.check(Page::Source, &h), [Problem::KvmUnavailable]);

    p.memory_mib = 0;
    p.vcpus = 0;
    assert_eq!(
        p.check(Page::Resources, &h),
        [Problem::MemoryZero, Problem::VcpusZero]
    );
    p.memory_mib = 64 * 1024;
    p.vcpus = 4;
    let over = p.check(Page::Resources, &h);
    assert_eq!(
        over,
        [
            Problem::MemoryOverHost {
                asked_mib: 65536,
                host_mib: 24576
            },
            Problem::VcpusOverHost { asked: 4, host: 2 }
        ]
    );
    assert!(
        over.iter().all(|p| !p.is_error()),
        "warnings, confirmed by the user"
    );
    (p.memory_mib, p.max_memory_mib, p.vcpus, p.max_vcpus) = (1024, Some(512), 2, Some(1));
    assert_eq!(
        p.check(Page::Resources, &h),
        [
            Problem::MaxMemoryBelowMemory {
                max_mib: 512,
                memory_mib: 1024
            },
            Problem::MaxVcpusBelowVcpus { max: 1, vcpus: 2 }
        ]
    );

    p.storage = StorageChoice::New {
        pool: "default".into(),
        size_bytes: 0,
    };
    assert_eq!(p.check(Page::Storage, &h), [Problem::DiskZero]);
    p.storage = StorageChoice::New {
        pool: "default".into(),
        size_bytes: 120 * GIB,
    };
    let full = p.check(Page::Storage, &h);
    assert_eq!(
        full,
        [Problem::DiskOverPool {
            asked_bytes: 120 * GIB,
            free_bytes: 100 * GIB,
            pool: "default".into()
        }]
    );
    assert_eq!(
        full[0].to_string(),
        "120.0 GiB is more than the 100.0 GiB free in the pool “default”."
    );
    p.storage = StorageChoice::New {
        pool: "nowhere".into(),
        size_bytes: GIB,
    };
    assert_eq!(
        p.check(Page::Storage, &h),
        [Problem::PoolMissing("nowhere".into())]
    );
    p.name = "web".into();
    p.storage = StorageChoice::New {
        pool: "default".into(),
        size_bytes: GIB,
    };
    assert_eq!(
        p.check(Page::Storage, &h),
        [Problem::VolumeExists {
            pool: "default".into(),
            volume: "web.qcow2".into()
        }]
    );
    assert_eq!(
        p.check(Page::Summary, &h),
        [Problem::NameTaken("web".into())]
    );
    p.name = "my vm".into();
    assert_eq!(p.check(Page::Summary, &h), [Problem::NameBadChar(' ')]);

    p.network = NetworkChoice::Virtual("gone".into());
    assert_eq!(
        p.check(Page::Network, &h),
        [Problem::NetworkMissing("gone".into())]
    );
    p.network = NetworkChoice::Virtual("lab".into());
    assert_eq!(
        p.check(Page::Network, &h),
        [Problem::NetworkInactive("lab".into())]
    );
    p.network = NetworkChoice::Bridge(" ".into());
    assert_eq!(p.check(Page::Network, &h), [Problem::BridgeEmpty]);
}

#[test]
fn libosinfo_knows_the_oses_and_their_needs() {
    let all = vireo::osinfo::all().expect("osinfo-db loads");
    assert!(all.len() > 500, "osinfo-db lists {} OSes", all.len());
    assert!(
        all.iter()
            .any(|o| o.short_id == "debian11" && o.name == "Debian 11")
    );

    let debian = vireo::osinfo::profile("debian11")
        .unwrap()
        .expect("debian11 is known");
    assert_eq!(debian.family, "linux");
    assert!(debian.virtio && debian.prefers_q35());
    assert!(debian.recommended.ram_mib.is_some_and(|r| r >= 512));

    let win = vireo::osinfo::profile("win11")
        .unwrap()
        .expect("win11 is known");
    assert_eq!(win.firmware, FirmwarePolicy::UefiOnly { secure_boot: true });
    assert!(win.needs_tpm && !win.virtio);
    assert_eq!(win.minimum.ram_mib, Some(4096));

    assert_eq!(vireo::osinfo::profile("no-such-os").unwrap(), None);
    assert!(
        vireo::osinfo::profile("generic")
            .unwrap()
            .unwrap()
            .is_generic()
    );
}

#[test]
fn media_detection_reads_the_iso_and_says_when_it_is_unknown() {
    let guest = common::guest::ensure();
    // GLib's global context is held by another thread, as GTK's main loop
    // and libvirt's event thread hold it in the app: reading media must not
    // wait for it (it once hung forever here).
    std::thread::spawn(|| {
        loop {
            // SAFETY: iterating the global default context from one thread.
            unsafe { glib_sys::g_main_context_iteration(std::ptr::null_mut(), 1) };
        }
    });
    std::thread::sleep(std::time::Duration::from_millis(200));
    let (tx, rx) = std::sync::mpsc::channel();
    let iso = guest.iso.to_str().unwrap().to_owned();
    std::thread::spawn(move || {
        let _ = tx.send(vireo::osinfo::detect(&iso));
    });
    let detected = rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("detection finishes while another thread holds GLib's global context");
    // The tiny guest's ISO is not in osinfo-db: detected as unknown, not an error.
    assert_eq!(detected, Ok(None));
    assert_eq!(
        vireo::osinfo::volume_id(guest.iso.to_str().unwrap()).as_deref(),
        Some("TINY_INSTALL")
    );
    // A file that is no ISO is refused with a reason.
    let err = vireo::osinfo::detect(guest.kernel.to_str().unwrap()).unwrap_err();
    assert!(!err.is_empty());
}

fn demo() -> (tokio::runtime::Runtime, Connection) {
    let rt = common::runtime();
    let conn = rt
        .block_on(Connection::open(&common::demo_uri()))
        .expect("the demo fixture opens");
    (rt, conn)
}

/// A readable file that stands in for an ISO on the test driver.
fn local_iso() -> String {
    let dir = common::fresh_dir("wizard-iso");
    let iso = dir.join("install.iso");
    std::fs::write(&iso, b"iso").unwrap();
    iso.display().to_string()
}

#[test]
fn the_test_host_reports_its_pools_networks_and_names() {
    let (rt, conn) = demo();
    let facts = rt.block_on(conn.wizard_facts()).unwrap();
    assert!(facts.local && !facts.kvm);
    // The test driver's capabilities describe an i686 host.
    assert_eq!(facts.arch, "i686");
    assert!(facts.arches.iter().any(|(a, _)| a == "i686"));
    assert!(facts.domain_names.iter().any(|n| n == "web-server"));
    let pool = facts
        .pool("default")
        .expect("the demo host has a default pool");
    // Refreshed before reading: libvirt's own figure, not the fixture's.
    let free = pool.available.expect("a dir pool reports its free space");
    assert!(free > 0 && free <= 500 * GIB, "{free}");
    assert!(pool.volumes.iter().any(|v| v == "web-server.qcow2"));
    assert!(facts.network("default").is_some_and(|n| n.active));
    assert_eq!(
        facts.default_network(),
        NetworkChoice::Virtual("default".into())
    );
    // A disk larger than the pool's free space is refused with the numbers.
    let mut plan = Plan::new("big", InstallSource::Iso(local_iso()), debian(), &facts);
    plan.storage = StorageChoice::New {
        pool: "default".into(),
        size_bytes: free + GIB,
    };
    assert_eq!(
        plan.check(Page::Storage, &facts),
        [Problem::DiskOverPool {
            asked_bytes: free + GIB,
            free_bytes: free,
            pool: "default".into()
        }]
    );
}

#[test]
fn creating_makes_the_volume_defines_and_starts_the_vm() {
    let (rt, conn) = demo();
    let facts = rt.block_on(conn.wizard_facts()).unwrap();
    let plan = Plan::new("fresh", InstallSource::Iso(local_iso()), debian(), &facts);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let created = rt
        .block_on(conn.create(
            CreateJob {
                plan: plan.clone(),
                host: facts.clone(),
                start: true,
            },
            Some(tx),
        ))
        .expect("created");
    assert_eq!(created.domain.name, "fresh");
    assert_eq!(created.domain.state, DomainState::Running);
    assert_eq!(
        created.volume_path.as_deref(),
        Some("/var/lib/libvirt/images/fresh.qcow2")
    );
    let mut steps = Vec::new();
    while let Ok(s) = rx.try_recv() {
        steps.push(s);
    }
    use vireo::core::libvirt::CreateStep::*;
    assert_eq!(steps, [CreatingVolume, Defining, Starting]);
    let after = rt.block_on(conn.wizard_facts()).unwrap();
    assert!(
        after
            .pool("default")
            .unwrap()
            .volumes
            .contains(&"fresh.qcow2".to_string())
    );
    // What libvirt stored is what the summary page previewed.
    let xml = rt
        .block_on(conn.domain_xml(&created.domain.uuid, true))
        .unwrap();
    assert!(xml.contains("/var/lib/libvirt/images/fresh.qcow2"));

    // "Customize before install": defined, not started.
    let plan = Plan::new("later", InstallSource::Iso(local_iso()), debian(), &after);
    let created = rt
        .block_on(conn.create(
            CreateJob {
                plan,
                host: after,
                start: false,
            },
            None,
        ))
        .unwrap();
    assert_eq!(created.domain.state, DomainState::ShutOff);
}

#[test]
fn a_failure_after_the_volume_was_made_leaves_nothing_behind() {
    let (rt, conn) = demo();
    let facts = rt.block_on(conn.wizard_facts()).unwrap();
    let plan = Plan::new("racer", InstallSource::Iso(local_iso()), debian(), &facts);
    // Someone defines a VM of the same name (another UUID) while the wizard
    // is open: the volume is created, the definition is refused.
    let other = plan.domain_xml(&facts).replace(
        "<name>racer</name>",
        "<name>racer</name><uuid>0a5e6c1e-7d7f-4f62-9d3b-2b1f0c5a7e11</uuid>",
    );
    let theirs = rt.block_on(conn.define_xml(&other)).unwrap();
    let err = rt
        .block_on(conn.create(
            CreateJob {
                plan,
                host: facts,
                start: true,
            },
            None,
        ))
        .expect_err("the name is taken by now");
    assert!(err.message.contains("racer"), "libvirt's message: {err}");
    let after = rt.block_on(conn.wizard_facts()).unwrap();
    assert!(
        !after
            .pool("default")
            .unwrap()
            .volumes
            .contains(&"racer.qcow2".to_string()),
        "the new volume was deleted"
    );
    let still = rt.block_on(conn.lookup_domain("racer")).unwrap();
    assert_eq!(still.uuid, theirs.uuid, "the other VM is untouched");

    // A plan that fails its checks by now is refused before anything is made.
    let mut gone = Plan::new("gone", InstallSource::Iso(local_iso()), debian(), &after);
    gone.source = InstallSource::Iso("/nonexistent/vireo.iso".into());
    let err = rt
        .block_on(conn.create(
            CreateJob {
                plan: gone,
                host: after,
                start: true,
            },
            None,
        ))
        .unwrap_err();
    assert_eq!(err.message, "“/nonexistent/vireo.iso” does not exist.");
    let last = rt.block_on(conn.wizard_facts()).unwrap();
    assert!(
        !last
            .pool("default")
            .unwrap()
            .volumes
            .contains(&"gone.qcow2".to_string())
    );
    assert!(!last.domain_names.contains(&"gone".to_string()));
}

fn vireo_create(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vireo"))
        .arg("create")
        .args(args)
        .env("LANG", "C.UTF-8")
        .env_remove("LANGUAGE")
        .env_remove("LC_ALL")
        .output()
        .expect("run vireo create");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_command_line_twin_prints_the_wizards_xml_and_defines_nothing() {
    let uri = common::fixture_uri("demo.xml");
    let iso = local_iso();
    let (code, out, err) = vireo_create(&[
        "--connect",
        &uri,
        "--name",
        "twin",
        "--memory=512,maxmemory=1024",
        "--vcpus=1,maxvcpus=2",
        "--disk",
        "size=8",
        "--cdrom",
        &iso,
        "--os-variant",
        "debian11",
        "--network",
        "network=default",
        "--virt-type",
        "qemu",
        "--print-xml",
    ]);
    assert_eq!(code, 0, "{err}");
    // The same choices made in the wizard's model give the same XML.
    let (rt, conn) = {
        let rt = common::runtime();
        let conn = rt.block_on(Connection::open(&uri)).unwrap();
        (rt, conn)
    };
    let facts = rt.block_on(conn.wizard_facts()).unwrap();
    let os = vireo::osinfo::profile("debian11").unwrap().unwrap();
    let mut plan = Plan::new("twin", InstallSource::Iso(iso.clone()), os, &facts);
    (
        plan.memory_mib,
        plan.max_memory_mib,
        plan.vcpus,
        plan.max_vcpus,
    ) = (512, Some(1024), 1, Some(2));
    plan.storage = StorageChoice::New {
        pool: "default".into(),
        size_bytes: 8 * GIB,
    };
    plan.virt_type = VirtType::Qemu;
    assert_eq!(out, plan.domain_xml(&facts));
    assert!(out.contains("<currentMemory unit='KiB'>524288</currentMemory>"));
    // Warnings are said, not fatal: debian11 wants 1 GiB.
    assert!(
        err.contains("warning: 512 MiB is less than this OS needs"),
        "{err}"
    );
}

#[test]
fn the_command_line_twin_refuses_bad_values_with_every_reason() {
    let uri = common::fixture_uri("demo.xml");
    let (code, out, err) = vireo_create(&[
        "--connect",
        &uri,
        "--name",
        "web-server",
        "--memory",
        "0",
        "--vcpus",
        "1",
        "--disk",
        "size=100000",
        "--cdrom",
        "/nonexistent/vireo.iso",
    ]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    for reason in [
        "“/nonexistent/vireo.iso” does not exist.",
        "The virtual machine needs some memory.",
        "is more than the",
        "A virtual machine named “web-server” already exists.",
    ] {
        assert!(err.contains(reason), "missing “{reason}” in:\n{err}");
    }
    let (code, _, err) = vireo_create(&["--connect", &uri, "--name", "x", "--vcpus", "1"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("missing option --cdrom, --location or --import"),
        "{err}"
    );
    let (code, _, err) = vireo_create(&[
        "--connect",
        &uri,
        "--name",
        "x",
        "--memory",
        "512",
        "--vcpus",
        "1",
        "--disk",
        "none",
        "--cdrom",
        "/x",
        "--os-variant",
        "nosuchos9",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("Unknown OS variant “nosuchos9”"), "{err}");
}

#[test]
fn the_command_line_twin_creates_and_starts_the_vm() {
    // The test driver keeps its state in the process: this run's only.
    let uri = common::fixture_uri("demo.xml");
    let iso = local_iso();
    let (code, out, err) = vireo_create(&[
        "--connect",
        &uri,
        "--name",
        "from-cli",
        "--memory",
        "1024",
        "--vcpus",
        "1",
        "--disk",
        "size=4",
        "--cdrom",
        &iso,
        "--network",
        "none",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Created “from-cli”"), "{out}");
    assert!(
        err.contains("Creating the disk…") && err.contains("Starting the installation…"),
        "{err}"
    );
}

#[test]
fn media_detection_names_a_known_os_from_its_volume_label() {
    // An ISO labelled as Debian's 11.5 netinst is detected as Debian 11.
    let dir = common::fresh_dir("wizard-detect");
    // libosinfo only looks at bootable media: an El Torito boot image.
    std::fs::create_dir_all(dir.join("tree/isolinux")).unwrap();
    std::fs::copy(
        "/usr/lib/ISOLINUX/isolinux.bin",
        dir.join("tree/isolinux/isolinux.bin"),
    )
    .expect("isolinux (make test installs it)");
    let iso = dir.join("debian-11.5.0-amd64-netinst.iso");
    let ok = Command::new("xorriso")
        .args(["-as", "mkisofs", "-quiet", "-V", "Debian 11.5.0 amd64 n"])
        .args(["-b", "isolinux/isolinux.bin", "-c", "isolinux/boot.cat"])
        .args([
            "-no-emul-boot",
            "-boot-load-size",
            "4",
            "-boot-info-table",
            "-o",
        ])
        .arg(&iso)
        .arg(dir.join("tree"))
        .status()
        .expect("xorriso")
        .success();
    assert!(ok);
    let os = vireo::osinfo::detect(iso.to_str().unwrap())
        .unwrap()
        .expect("osinfo-db knows Debian 11's label");
    assert_eq!(os.short_id, "debian11");
    assert_eq!(os.name, "Debian 11");
}

#[test]
fn an_unreadable_iso_is_refused_with_the_reason() {
    use std::os::unix::fs::MetadataExt;
    let h = host();
    let root = std::fs::metadata("/proc/self").unwrap().uid() == 0;
    let path = if root {
        // Root reads any file; a write-only sysfs attribute refuses even root.
        "/sys/bus/pci/rescan".to_owned()
    } else {
        use std::os::unix::fs::PermissionsExt;
        let p = common::fresh_dir("wizard-unreadable").join("locked.iso");
        std::fs::write(&p, b"iso").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
        p.display().to_string()
    };
    let mut plan = iso_plan("x", debian());
    plan.source = InstallSource::Iso(path.clone());
    let problems = plan.check(Page::Source, &h);
    assert!(
        matches!(&problems[..], [Problem::FileUnreadable { path: p, reason }]
            if *p == path && reason.contains("ermission denied")),
        "{problems:?}"
    );
    assert!(
        problems[0]
            .to_string()
            .starts_with(&format!("“{path}” cannot be read: "))
    );
}

/// What a domain's XML says about how it is reached: its vCPUs' cpuset,
/// its graphics (type, fixed port, listen address, password), video and
/// tablet, SPICE's agent channel, and its text consoles. The part of a
/// machine that `--graphics`, `--console`, `--serial` and `--cpuset` make.
fn reach_of(xml: &str) -> Vec<String> {
    use vireo::core::xml::Document;
    let start = xml.find("<domain").expect("a domain");
    let doc = Document::parse(&xml[start..]).unwrap();
    let mut out = Vec::new();
    let vcpu = doc.root.child("vcpu").unwrap();
    out.push(format!("cpuset={:?}", vcpu.attr("cpuset")));
    let devices = doc.root.child("devices").unwrap();
    for g in devices.children_named("graphics") {
        let listen = g
            .attr("listen")
            .or_else(|| g.child("listen").and_then(|l| l.attr("address")));
        let port = g.attr("port").filter(|p| p != "-1");
        out.push(format!(
            "graphics {:?} port={port:?} listen={listen:?} passwd={:?}",
            g.attr("type"),
            g.attr("passwd")
        ));
    }
    out.push(format!("video={}", devices.children_named("video").count()));
    out.push(format!(
        "tablet={}",
        devices
            .children_named("input")
            .any(|i| i.attr("type").as_deref() == Some("tablet"))
    ));
    out.push(format!(
        "spice-agent={}",
        devices
            .children_named("channel")
            .any(|c| c.attr("type").as_deref() == Some("spicevmc"))
    ));
    for c in devices.children_named("console") {
        let target = c.child("target").and_then(|t| t.attr("type"));
        out.push(format!(
            "console {:?} target={}",
            c.attr("type"),
            target.unwrap_or_else(|| "serial".into())
        ));
    }
    for d in devices.children_named("disk") {
        if d.attr("device").as_deref() == Some("disk") {
            out.push(format!(
                "disk {:?} format={:?}",
                d.child("source").and_then(|s| s.attr("file")),
                d.child("driver").and_then(|s| s.attr("type"))
            ));
        }
    }
    let serials: Vec<String> = devices
        .children_named("serial")
        .map(|s| format!("serial {:?}", s.attr("type")))
        .collect();
    // A console on a serial target without a serial port gets one from
    // libvirt when it is defined: the same machine as both written out.
    if serials.is_empty() && out.iter().any(|l| l.ends_with("target=serial")) {
        out.push("serial Some(\"pty\")".into());
    }
    out.extend(serials);
    out
}

/// `vireo create` with the options of the classic headless-server guides
/// (and `--disk path=P,size=N`) gives the same machine as virt-install 4.1
/// for the same line: the
/// expected XML in tests/data/wizard/virt-install/ was printed by
/// virt-install (its command line is the file's first line). (virt-install
/// also adds USB redirection and sound to SPICE guests, which Vireo does not
/// offer yet; those are not compared.)
#[test]
fn headless_and_display_options_give_what_virt_install_gives() {
    let uri = common::fixture_uri("demo.xml");
    let iso = local_iso();
    let dir = data().join("virt-install");
    // The folder of the new image's case, as virt-install was given it.
    std::fs::create_dir_all("/tmp/vireo-fixture").unwrap();
    let _ = std::fs::remove_file("/tmp/vireo-fixture/new-image.qcow2");
    for (case, options) in [
        (
            "headless",
            "--graphics none --console pty,target_type=serial",
        ),
        ("headless-cpuset", "--graphics none --cpuset 0"),
        (
            "virtio-console",
            "--graphics none --console pty,target_type=virtio",
        ),
        ("serial-pty", "--graphics none --serial pty"),
        (
            "vnc-options",
            "--graphics vnc,listen=0.0.0.0,port=5901,password=secret",
        ),
        ("spice", "--graphics spice"),
        (
            "new-image",
            "--disk path=/tmp/vireo-fixture/new-image.qcow2,size=1 --graphics vnc",
        ),
    ] {
        let expected = std::fs::read_to_string(dir.join(format!("{case}.xml"))).unwrap();
        let command = expected.lines().next().unwrap();
        assert!(
            command.contains(options),
            "{case}: the fixture was made with {options}"
        );
        let mut args = vec![
            "--connect",
            &uri,
            "--virt-type",
            "qemu",
            "--name",
            case,
            "--memory",
            "1024",
            "--vcpus",
            "1",
            "--disk",
            "none",
            "--cdrom",
            &iso,
            "--os-variant",
            "debian11",
            "--print-xml",
        ];
        args.extend(options.split(' '));
        let (code, out, err) = vireo_create(&args);
        assert_eq!(code, 0, "{case}: {err}");
        assert_eq!(reach_of(&out), reach_of(&expected), "{case}:\n{out}");
        common::validate_xml(&out, "domain", case);
    }
    // --os-type is taken and said to be ignored, as virt-install 4 does.
    let (code, _, err) = vireo_create(&[
        "--connect",
        &uri,
        "--name",
        "t",
        "--memory",
        "1024",
        "--vcpus",
        "1",
        "--disk",
        "none",
        "--cdrom",
        &iso,
        "--os-type",
        "linux",
        "--graphics",
        "none",
        "--print-xml",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("--os-type is ignored"), "{err}");
}

/// Bad headless options: one sentence each, nothing defined.
#[test]
fn bad_display_console_and_cpuset_options_are_refused_with_a_reason() {
    let uri = common::fixture_uri("demo.xml");
    let iso = local_iso();
    for (options, says) in [
        ("--graphics sdl", "'--graphics' cannot take 'sdl'"),
        (
            "--graphics vnc,port=x",
            "'--graphics' cannot take 'vnc,port=x'",
        ),
        ("--console file,path=/x", "'--console' cannot take"),
        ("--cpuset=", "'--cpuset' needs a non-empty value"),
        ("--cpuset 2-1", "“2-1” is not a list of host CPUs"),
        ("--cpuset 999", "CPU 999 is not on this host"),
    ] {
        let mut args = vec![
            "--connect",
            &uri,
            "--name",
            "bad",
            "--memory",
            "1024",
            "--vcpus",
            "1",
            "--disk",
            "none",
            "--cdrom",
            &iso,
        ];
        args.extend(options.split(' '));
        let (code, out, err) = vireo_create(&args);
        assert_ne!(code, 0, "{options} was taken");
        assert!(out.is_empty(), "{options}: nothing printed: {out}");
        assert!(err.contains(says), "{options}: {err}");
        assert_eq!(
            err.lines().filter(|l| l.starts_with("vireo:")).count(),
            1,
            "{err}"
        );
    }
    let (rt, conn) = demo();
    let names = rt.block_on(conn.wizard_facts()).unwrap().domain_names;
    assert!(!names.contains(&"bad".to_string()));
}

/// `--disk path=P,size=N`: a new image at P, made through the storage API
/// in the pool that holds its folder, or in a directory pool made for the
/// folder; the images libvirt lists are where the domain looks.
#[test]
fn a_new_image_at_a_path_is_made_in_the_pool_of_its_folder() {
    let (rt, conn) = demo();
    let facts = rt.block_on(conn.wizard_facts()).unwrap();
    let dir = common::fresh_dir("new-image");
    // A folder no pool holds: a pool is made for it.
    let path = dir.join("server.qcow2").display().to_string();
    let mut plan = Plan::new("server", InstallSource::Iso(local_iso()), debian(), &facts);
    plan.storage = StorageChoice::NewAt {
        path: path.clone(),
        size_bytes: GIB,
    };
    assert_eq!(
        plan.check_all(&facts)
            .iter()
            .filter(|p| p.is_error())
            .count(),
        0
    );
    let created = rt
        .block_on(conn.create(
            CreateJob {
                plan,
                host: facts.clone(),
                start: false,
            },
            None,
        ))
        .expect("created");
    assert_eq!(created.volume_path.as_deref(), Some(path.as_str()));
    let after = rt.block_on(conn.wizard_facts()).unwrap();
    let pool = after
        .pools
        .iter()
        .find(|p| p.path.as_deref() == Some(dir.to_str().unwrap()))
        .expect("a pool for the folder");
    assert!(pool.active, "{pool:?}");
    assert!(
        pool.volumes.contains(&"server.qcow2".to_string()),
        "{pool:?}"
    );
    let xml = rt
        .block_on(conn.domain_xml(&created.domain.uuid, true))
        .unwrap();
    assert!(xml.contains(&format!("<source file='{path}'/>")), "{xml}");

    // The default pool's folder: its pool takes the image (raw for .img).
    let in_default = "/var/lib/libvirt/images/second.img".to_owned();
    let mut plan = Plan::new("second", InstallSource::Iso(local_iso()), debian(), &after);
    plan.storage = StorageChoice::NewAt {
        path: in_default.clone(),
        size_bytes: GIB,
    };
    // (The test driver's folders are not on this machine.)
    let mut remote = after.clone();
    remote.local = false;
    let created = rt
        .block_on(conn.create(
            CreateJob {
                plan,
                host: remote,
                start: false,
            },
            None,
        ))
        .expect("created");
    assert_eq!(created.volume_path.as_deref(), Some(in_default.as_str()));
    let last = rt.block_on(conn.wizard_facts()).unwrap();
    assert_eq!(last.pools.len(), after.pools.len(), "no new pool");
    assert!(
        last.pool("default")
            .unwrap()
            .volumes
            .contains(&"second.img".to_string())
    );
    let xml = rt
        .block_on(conn.domain_xml(&created.domain.uuid, true))
        .unwrap();
    assert!(xml.contains("<driver name='qemu' type='raw'/>"), "{xml}");
}

/// Bad places for a new image: one sentence each, nothing defined, no
/// file left behind.
#[test]
fn bad_places_for_a_new_image_are_refused_with_the_reason() {
    let uri = common::fixture_uri("demo.xml");
    let iso = local_iso();
    let dir = common::fresh_dir("bad-image");
    let taken = dir.join("taken.qcow2");
    std::fs::write(&taken, b"data").unwrap();
    let missing = dir.join("nowhere/x.qcow2");
    let taken_arg = format!("path={},size=1", taken.display());
    let missing_arg = format!("path={},size=1", missing.display());
    for (disk, says) in [
        (
            taken_arg.as_str(),
            "already exists: a new disk image would overwrite it",
        ),
        (missing_arg.as_str(), "does not exist"),
        (
            "path=/proc/vireo.qcow2,size=1",
            "A disk image cannot be written in /proc",
        ),
        (
            "path=relative.qcow2,size=1",
            "is not a place for a new disk image",
        ),
        (
            "path=/tmp/zero.qcow2,size=0",
            "The disk needs a size above zero.",
        ),
    ] {
        let (code, out, err) = vireo_create(&[
            "--connect",
            &uri,
            "--name",
            "img",
            "--memory",
            "1024",
            "--vcpus",
            "1",
            "--disk",
            disk,
            "--cdrom",
            &iso,
            "--print-xml",
        ]);
        assert_ne!(code, 0, "{disk} was taken");
        assert!(out.is_empty(), "{disk}: {out}");
        assert!(err.contains(says), "{disk}: {err}");
    }
    assert_eq!(std::fs::read(&taken).unwrap(), b"data", "untouched");
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(left.len(), 1, "only the taken file: {left:?}");
    assert!(!std::path::Path::new("/tmp/zero.qcow2").exists());
}

/// `vireo create --print-xml` of a one-CPU VM installed from the tree at
/// `location`, with `extra` options.
fn create_from_tree(uri: &str, location: &str, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec![
        "--connect",
        uri,
        "--name",
        "tree",
        "--memory",
        "1024",
        "--vcpus",
        "1",
        "--disk",
        "none",
        "--location",
        location,
        "--print-xml",
    ];
    args.extend_from_slice(extra);
    vireo_create(&args)
}

/// `--location ISO`: the installer's kernel and initrd come out of the
/// image's tree (read as ISO 9660, nothing mounted), and the image is the
/// installer's CD; an image without a tree, or a file that is no image,
/// is refused with the reason.
#[test]
fn an_install_tree_on_an_iso_gives_its_kernel_and_becomes_the_cd() {
    use vireo::core::wizard::tree;
    let guest = common::guest::ensure();
    let iso = guest.iso.display().to_string();
    assert!(tree::is_local_iso(&iso));
    assert_eq!(
        tree::iso_boot_files(&iso),
        Ok(("isolinux/vmlinuz", "isolinux/initrd.img"))
    );
    let dir = common::fresh_dir("iso-tree");
    let (kernel, initrd) = tree::extract_boot_files(&iso, &dir).unwrap();
    assert_eq!(
        std::fs::read(kernel).unwrap(),
        std::fs::read(&guest.kernel).unwrap()
    );
    assert_eq!(
        std::fs::read(initrd).unwrap(),
        std::fs::read(&guest.initrd).unwrap()
    );

    let uri = common::fixture_uri("demo.xml");
    let (code, out, err) = create_from_tree(&uri, &iso, &["--graphics", "none"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!("<source file='{iso}'/>")),
        "the ISO is the CD:\n{out}"
    );

    // No tree in it, or no image at all; nothing at the path.
    let empty = dir.join("no-tree");
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::write(empty.join("README.TXT"), "no installer here").unwrap();
    let bare = dir.join("bare.iso");
    let made = Command::new("xorriso")
        .args(["-as", "mkisofs", "-quiet", "-o"])
        .arg(&bare)
        .arg(&empty)
        .status()
        .expect("xorriso");
    assert!(made.success());
    let bare = bare.display().to_string();
    let fake = local_iso();
    assert!(std::path::Path::new(&bare).is_file(), "xorriso made {bare}");
    for (file, says) in [
        (bare.as_str(), "cannot be installed from as a tree: "),
        (fake.as_str(), "cannot be installed from as a tree: "),
        ("/nonexistent/tree", "“/nonexistent/tree” does not exist."),
    ] {
        let (code, out, err) = create_from_tree(&uri, file, &[]);
        assert_ne!(code, 0, "{file}");
        assert!(out.is_empty());
        assert!(err.contains(says), "{file}: {err}");
        if file == bare {
            assert!(err.contains("holds no install tree"), "{err}");
        } else if file == fake {
            assert!(err.contains("not an ISO 9660 image"), "{err}");
        }
    }
}
