//! The XML layer: lossless round trips over a corpus made by libvirt's own
//! tools, a fixture pair per setter, builders checked by libvirt's schemas,
//! and typed errors for bad input.
//!
//! `VIREO_REGENERATE=1 cargo test --test xml` rewrites the `-out.xml` files
//! (and creates missing `-in.xml` files from `rich-domain.xml`); review the diff.

mod common;

use std::path::PathBuf;

use vireo::core::xml::builder::{self, DomainBuilder, Firmware};
use vireo::core::xml::caps::{Capabilities, DomainCapabilities, NetworkInfo, PoolInfo, VolumeInfo};
use vireo::core::xml::{DeviceKind as K, Document, DomainXml, Topology, XmlErrorKind};

fn data() -> PathBuf {
    common::root().join("tests/data/xml")
}

fn regenerate() -> bool {
    std::env::var_os("VIREO_REGENERATE").is_some()
}

fn validate(xml: &str, schema: &str, what: &str) {
    common::validate_xml(xml, schema, what)
}

fn corpus() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data().join("corpus"))
        .expect("tests/data/xml/corpus")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    files
}

#[test]
fn the_corpus_round_trips_byte_for_byte() {
    let files = corpus();
    assert!(
        files.len() >= 200,
        "the corpus has {} documents, want 200+",
        files.len()
    );
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let doc = Document::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert_eq!(
            doc.to_xml_string(),
            text,
            "{} changed on a round trip",
            f.display()
        );
        if doc.root.name == "domain" {
            let vm = DomainXml::from_document(doc).unwrap();
            assert!(vm.name().is_ok(), "{}", f.display());
            for kind in K::ALL {
                for d in vm.devices(kind) {
                    let _ = (d.disk_source(), d.port(), d.boot_order(), d.address());
                }
            }
        }
    }
}

#[test]
fn typed_reads_of_the_rich_domain() {
    let vm = DomainXml::parse(&std::fs::read_to_string(data().join("rich-domain.xml")).unwrap())
        .unwrap();
    assert_eq!(vm.name().unwrap(), "kitchen-sink");
    assert_eq!(vm.description().as_deref(), Some("Tom & Jerry's <lab> VM"));
    assert_eq!(
        vm.memory_kib().unwrap(),
        Some(4 * 1024 * 1024),
        "GiB converted to KiB"
    );
    assert_eq!(vm.current_memory_kib().unwrap(), Some(4194304));
    assert_eq!(
        (vm.vcpus_max().unwrap(), vm.vcpus_current().unwrap()),
        (Some(4), Some(4))
    );
    assert_eq!(vm.machine().as_deref(), Some("pc-q35-7.2"));
    assert_eq!(vm.loader_type().as_deref(), Some("pflash"));
    assert_eq!(vm.boot_devices(), ["hd", "cdrom"]);
    assert_eq!(vm.features(), ["acpi", "apic", "vmport"]);
    assert_eq!(
        vm.cpu_topology().unwrap(),
        Some(Topology {
            sockets: 1,
            dies: Some(1),
            cores: 2,
            threads: 2
        })
    );
    let disks = vm.devices(K::Disk);
    assert_eq!(disks.len(), 3);
    assert_eq!(disks[1].disk_source().as_deref(), Some("/dev/vg0/data"));
    assert_eq!(disks[1].driver_cache().as_deref(), Some("none"));
    assert!(disks[2].readonly() && disks[2].disk_device().as_deref() == Some("cdrom"));
    assert_eq!(
        disks[2].address()[0],
        ("type".to_string(), "drive".to_string())
    );
    let nics = vm.devices(K::Interface);
    assert_eq!(nics[0].source_bridge().as_deref(), Some("br0"));
    assert_eq!(nics[1].mac().as_deref(), Some("52:54:00:07:00:01"));
    let gfx = vm.devices(K::Graphics);
    assert_eq!(gfx[0].device_type().as_deref(), Some("vnc"));
    assert_eq!(gfx[0].port().unwrap(), None, "-1 is not a port");
    assert_eq!(gfx[0].autoport().unwrap(), Some(true));
    assert_eq!(
        gfx[0].graphics_listen_address().as_deref(),
        Some("127.0.0.1")
    );
    assert!(!gfx[0].has_password());
    assert_eq!(
        vm.devices(K::Tpm)[0].backend_version().as_deref(),
        Some("2.0")
    );
    assert_eq!(
        vm.devices(K::Rng)[0].backend_source().as_deref(),
        Some("/dev/urandom")
    );
    assert_eq!(
        vm.devices(K::HostDev)[0].hostdev_mode().as_deref(),
        Some("subsystem")
    );
    assert_eq!(
        vm.devices(K::Filesystem)[0].target_dir().as_deref(),
        Some("share")
    );
    assert_eq!(
        vm.devices(K::Channel)[0].target_name().as_deref(),
        Some("org.qemu.guest_agent.0")
    );
}

type Edit = fn(&mut DomainXml);

fn dev(vm: &mut DomainXml, kind: K, i: usize) -> vireo::core::xml::DeviceMut<'_> {
    vm.device_mut(kind, i)
        .expect("the rich domain has this device")
}

/// One case per setter: (case name, edit).
const CASES: &[(&str, Edit)] = &[
    ("set-name", |vm| vm.set_name("renamed-vm")),
    ("set-uuid", |vm| {
        vm.set_uuid(Some("b6f1b2a0-6a3e-4b8e-9b7e-0c2f2f1a9d11"))
    }),
    ("set-title", |vm| vm.set_title(Some("Build & test box"))),
    ("clear-title", |vm| vm.set_title(None)),
    ("set-description", |vm| {
        vm.set_description(Some("Line one\nLine <two>"))
    }),
    ("clear-description", |vm| vm.set_description(None)),
    ("set-domain-type", |vm| vm.set_domain_type(Some("qemu"))),
    ("set-memory", |vm| vm.set_memory_kib(8 * 1024 * 1024)),
    ("set-current-memory", |vm| {
        vm.set_current_memory_kib(Some(2 * 1024 * 1024))
    }),
    ("clear-current-memory", |vm| vm.set_current_memory_kib(None)),
    ("set-max-memory", |vm| {
        vm.set_max_memory_kib(Some(16 * 1024 * 1024), 16)
    }),
    ("set-vcpus", |vm| vm.set_vcpus(8, None)),
    ("set-vcpus-current", |vm| vm.set_vcpus(8, Some(2))),
    ("set-os-type", |vm| vm.set_os_type(Some("hvm"))),
    ("set-arch", |vm| vm.set_arch(Some("aarch64"))),
    ("set-machine", |vm| vm.set_machine(Some("q35"))),
    ("set-firmware", |vm| {
        vm.set_loader(None);
        vm.set_nvram(None);
        vm.set_firmware(Some("efi"))
    }),
    ("set-loader", |vm| {
        vm.set_loader(Some("/usr/share/OVMF/OVMF_CODE_4M.ms.fd"))
    }),
    ("set-loader-type", |vm| vm.set_loader_type(Some("rom"))),
    ("set-loader-secure", |vm| vm.set_loader_secure(Some("yes"))),
    ("set-nvram", |vm| {
        vm.set_nvram(Some("/var/lib/libvirt/qemu/nvram/other_VARS.fd"))
    }),
    ("set-kernel", |vm| vm.set_kernel(Some("/boot/vmlinuz"))),
    ("set-initrd", |vm| vm.set_initrd(Some("/boot/initrd.img"))),
    ("set-cmdline", |vm| {
        vm.set_cmdline(Some("console=ttyS0 quiet"))
    }),
    ("set-boot-devices", |vm| {
        vm.set_boot_devices(&["cdrom", "network", "hd"])
    }),
    ("set-boot-menu", |vm| vm.set_boot_menu(Some(true))),
    ("set-feature-on", |vm| vm.set_feature("pae", true)),
    ("set-feature-off", |vm| vm.set_feature("apic", false)),
    ("set-cpu-mode", |vm| vm.set_cpu_mode(Some("host-model"))),
    ("set-cpu-model", |vm| {
        vm.set_cpu_mode(Some("custom"));
        vm.set_cpu_model(Some("Skylake-Client"))
    }),
    ("set-cpu-topology", |vm| {
        vm.set_cpu_topology(Some(Topology {
            sockets: 2,
            dies: None,
            cores: 4,
            threads: 1,
        }))
    }),
    ("set-clock-offset", |vm| {
        vm.set_clock_offset(Some("localtime"))
    }),
    ("set-on-poweroff", |vm| vm.set_on_poweroff(Some("preserve"))),
    ("set-on-reboot", |vm| vm.set_on_reboot(Some("destroy"))),
    ("set-on-crash", |vm| {
        vm.set_on_crash(Some("coredump-restart"))
    }),
    ("disk-set-source-file", |vm| {
        dev(vm, K::Disk, 0).set_source_file(Some("/var/lib/libvirt/images/new.qcow2"))
    }),
    ("cdrom-insert", |vm| {
        dev(vm, K::Disk, 2).set_disk_file(Some("/isos/ubuntu-24.04.iso"))
    }),
    ("cdrom-eject", |vm| dev(vm, K::Disk, 2).set_disk_file(None)),
    ("disk-set-source-dev", |vm| {
        dev(vm, K::Disk, 1).set_source_dev(Some("/dev/vg0/other"))
    }),
    ("disk-set-volume", |vm| {
        let mut d = dev(vm, K::Disk, 0);
        d.set("@type", Some("volume"));
        d.set_source_file(None);
        d.set_source_pool(Some("default"));
        d.set_source_volume(Some("kitchen-sink.qcow2"))
    }),
    ("disk-set-network", |vm| {
        let mut d = dev(vm, K::Disk, 1);
        d.set("@type", Some("network"));
        d.set_source_dev(None);
        d.set_source_protocol(Some("nbd"));
        d.set_source_name(Some("export"));
        d.set("source/host/@name", Some("storage.example"))
    }),
    ("disk-set-device", |vm| {
        dev(vm, K::Disk, 1).set_disk_device(Some("lun"))
    }),
    ("disk-clear-driver-name", |vm| {
        dev(vm, K::Disk, 0).set_driver_name(None)
    }),
    ("disk-set-driver-type", |vm| {
        dev(vm, K::Disk, 0).set_driver_type(Some("raw"))
    }),
    ("disk-set-cache", |vm| {
        dev(vm, K::Disk, 0).set_driver_cache(Some("writeback"))
    }),
    ("disk-clear-cache", |vm| {
        dev(vm, K::Disk, 1).set_driver_cache(None)
    }),
    ("disk-set-target", |vm| {
        let mut d = dev(vm, K::Disk, 0);
        d.set_target_dev(Some("sdb"));
        d.set_target_bus(Some("scsi"))
    }),
    ("disk-set-readonly", |vm| {
        dev(vm, K::Disk, 1).set_readonly(true)
    }),
    ("disk-clear-readonly", |vm| {
        dev(vm, K::Disk, 2).set_readonly(false)
    }),
    ("disk-set-boot-order", |vm| {
        vm.set_boot_devices(&[]);
        dev(vm, K::Disk, 0).set_boot_order(Some(1))
    }),
    ("interface-set-mac", |vm| {
        dev(vm, K::Interface, 1).set_mac(Some("52:54:00:ab:cd:ef"))
    }),
    ("interface-set-model", |vm| {
        dev(vm, K::Interface, 0).set_model_type(Some("virtio"))
    }),
    ("interface-set-network", |vm| {
        dev(vm, K::Interface, 1).set_source_network(Some("isolated"))
    }),
    ("interface-set-bridge", |vm| {
        dev(vm, K::Interface, 0).set_source_bridge(Some("br1"))
    }),
    ("interface-set-direct", |vm| {
        let mut d = dev(vm, K::Interface, 0);
        d.set("@type", Some("direct"));
        d.set_source_bridge(None);
        d.set_source_dev(Some("eth0"));
        d.set_source_mode(Some("bridge"))
    }),
    ("graphics-set-port", |vm| {
        dev(vm, K::Graphics, 0).set_port(Some(5910))
    }),
    // Its input has a fixed port 5905.
    ("graphics-set-autoport", |vm| {
        dev(vm, K::Graphics, 0).set_port(None)
    }),
    ("graphics-set-listen", |vm| {
        dev(vm, K::Graphics, 0).set_graphics_listen_address(Some("0.0.0.0"))
    }),
    ("graphics-set-socket", |vm| {
        let mut d = dev(vm, K::Graphics, 1);
        d.set("listen/@address", None);
        d.set_listen_type(Some("socket"));
        d.set_graphics_socket(Some("/run/vireo/spice.sock"))
    }),
    ("video-set-model", |vm| {
        dev(vm, K::Video, 0).set_model_type(Some("qxl"))
    }),
    ("video-set-heads", |vm| {
        dev(vm, K::Video, 0).set_video_heads(Some("2"))
    }),
    ("controller-set-model", |vm| {
        dev(vm, K::Controller, 1).set_model(Some("nec-xhci"))
    }),
    ("controller-set-index", |vm| {
        dev(vm, K::Controller, 0).set_index(Some("1"))
    }),
    ("input-set-bus", |vm| {
        dev(vm, K::Input, 0).set_bus(Some("virtio"))
    }),
    ("sound-set-model", |vm| {
        dev(vm, K::Sound, 0).set_model(Some("ac97"))
    }),
    ("rng-set-backend", |vm| {
        dev(vm, K::Rng, 0).set_backend_source(Some("/dev/random"))
    }),
    ("rng-set-backend-model", |vm| {
        let mut d = dev(vm, K::Rng, 0);
        d.set_backend_source(None);
        d.set_backend_model(Some("builtin"))
    }),
    ("tpm-set-version", |vm| {
        dev(vm, K::Tpm, 0).set_backend_version(Some("1.2"))
    }),
    ("tpm-set-backend-type", |vm| {
        let mut d = dev(vm, K::Tpm, 0);
        d.set_backend_type(Some("passthrough"));
        d.set_backend_version(None);
        d.set("backend/device/@path", Some("/dev/tpm0"))
    }),
    ("tpm-set-model", |vm| {
        dev(vm, K::Tpm, 0).set_model(Some("tpm-tis"))
    }),
    ("memballoon-set-model", |vm| {
        dev(vm, K::MemBalloon, 0).set_model(Some("none"))
    }),
    ("filesystem-set-dirs", |vm| {
        let mut d = dev(vm, K::Filesystem, 0);
        d.set_source_dir(Some("/srv/other"));
        d.set_target_dir(Some("other"))
    }),
    ("filesystem-set-accessmode", |vm| {
        dev(vm, K::Filesystem, 0).set_access_mode(Some("mapped"))
    }),
    ("serial-set-target-port", |vm| {
        dev(vm, K::Serial, 0).set_target_port(Some("1"))
    }),
    ("serial-set-source-path", |vm| {
        let mut d = dev(vm, K::Serial, 0);
        d.set("@type", Some("file"));
        d.set_source_path(Some("/var/log/vm-serial.log"))
    }),
    ("console-set-target-type", |vm| {
        dev(vm, K::Console, 0).set_target_type(Some("virtio"))
    }),
    ("channel-set-target-name", |vm| {
        dev(vm, K::Channel, 0).set_target_name(Some("org.libguestfs.channel.0"))
    }),
    ("add-device-disk", |vm| {
        vm.add_device(builder::disk_file(
            "/var/lib/libvirt/images/extra.qcow2",
            "qcow2",
            "vdc",
            "virtio",
        ))
    }),
    ("add-device-cdrom", |vm| {
        vm.add_device(builder::cdrom(None, "sdb", "sata"))
    }),
    ("remove-device", |vm| {
        vm.remove_device(K::Interface, 0).expect("there is one");
    }),
];

#[test]
fn every_setter_changes_only_its_node_and_matches_its_fixture_pair() {
    let dir = data().join("setters");
    let base = std::fs::read_to_string(data().join("rich-domain.xml")).unwrap();
    let mut failures = Vec::new();
    for (case, edit) in CASES {
        let input = dir.join(format!("{case}-in.xml"));
        let output = dir.join(format!("{case}-out.xml"));
        if !input.exists() && regenerate() {
            std::fs::write(&input, &base).unwrap();
        }
        let text = std::fs::read_to_string(&input)
            .unwrap_or_else(|_| panic!("{} is missing", input.display()));
        let mut vm = DomainXml::parse(&text).unwrap();
        edit(&mut vm);
        let got = vm.to_xml_string();
        assert_ne!(got, text, "{case}: the setter changed nothing");
        if regenerate() {
            std::fs::write(&output, &got).unwrap();
        }
        let want = std::fs::read_to_string(&output)
            .unwrap_or_else(|_| panic!("{} is missing (VIREO_REGENERATE=1)", output.display()));
        if got != want {
            failures.push(format!(
                "{case}: output differs from {}:\n{got}",
                output.display()
            ));
        }
        // Everything the setter did not touch is still there.
        for keep in [
            "<!-- br0 is the lab bridge",
            "<vireo:notes xmlns:vireo=",
            "<qemu:arg value='ich9-intel-hda,id=sound1'/>",
            "<libosinfo:os id=\"http://debian.org/debian/11\"/>",
        ] {
            if !got.contains(keep) {
                failures.push(format!("{case}: lost {keep:?}"));
            }
        }
        validate(&got, "domain", case);
        // Writing what we wrote reads back the same.
        assert_eq!(
            DomainXml::parse(&got).unwrap().to_xml_string(),
            got,
            "{case}"
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    let mut pairs: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    pairs.sort();
    assert_eq!(
        pairs.len(),
        CASES.len() * 2,
        "one -in/-out pair per case and nothing stale: {pairs:?}"
    );
}

#[test]
fn builders_produce_xml_libvirts_schema_accepts() {
    let mut full = DomainBuilder::new("wizard-vm", 2 * 1024 * 1024, 2);
    full.title = Some("From the wizard".into());
    full.description = Some("Debian & friends".into());
    full.max_vcpus = Some(4);
    full.max_memory = Some((4 * 1024 * 1024, 4));
    full.current_memory_kib = Some(1024 * 1024);
    full.firmware = Firmware::Efi { secure_boot: true };
    full.boot = vec!["cdrom".into(), "hd".into()];
    full.emulator = Some("/usr/bin/qemu-system-x86_64".into());
    let devices = [
        builder::with_cache(
            builder::disk_file("/var/lib/libvirt/images/w.qcow2", "qcow2", "vda", "virtio"),
            "none",
        ),
        builder::disk_volume("default", "w2.qcow2", "qcow2", "vdb", "virtio"),
        builder::disk_block("/dev/sdz", "sdc", "scsi"),
        builder::cdrom(Some("/isos/debian.iso"), "sda", "sata"),
        builder::cdrom(None, "sdb", "sata"),
        builder::controller("scsi", 0, Some("virtio-scsi")),
        builder::controller("usb", 0, Some("qemu-xhci")),
        builder::interface_network("default", "virtio", Some("52:54:00:00:00:01")),
        builder::interface_bridge("br0", "e1000e", None),
        builder::interface_direct("eth0", "bridge", "virtio", None),
        builder::interface_user("virtio", None),
        builder::graphics("vnc", "127.0.0.1"),
        builder::graphics("spice", "127.0.0.1"),
        builder::video("virtio"),
        builder::input("tablet", "usb"),
        builder::sound("ich9"),
        builder::serial_pty(),
        builder::console_pty(),
        builder::channel_guest_agent(),
        builder::channel_spice_agent(),
        builder::rng("/dev/urandom"),
        builder::tpm_emulator("tpm-crb", "2.0"),
        builder::memballoon("virtio"),
        builder::filesystem_virtiofs("/srv/share", "share"),
    ];
    for d in devices.iter() {
        full = full.device(d.clone());
    }
    let xml = full.build();
    validate(&xml, "domain", "builder-full");
    let vm = DomainXml::parse(&xml).unwrap();
    assert_eq!(vm.name().unwrap(), "wizard-vm");
    assert_eq!(
        (vm.vcpus_max().unwrap(), vm.vcpus_current().unwrap()),
        (Some(4), Some(2))
    );
    assert_eq!(vm.max_memory_slots().unwrap(), Some(4));
    assert_eq!(vm.firmware().as_deref(), Some("efi"));
    assert!(vm.features().contains(&"smm".to_string()));
    assert_eq!(vm.devices(K::Disk).len(), 5);
    assert!(
        xml.contains("\n    <disk type='file' device='disk'>\n      <driver"),
        "indented as libvirt does:\n{xml}"
    );

    let mut direct = DomainBuilder::new("direct-boot", 192 * 1024, 1);
    direct.machine = Some("pc".into());
    direct.kernel = Some("/boot/vmlinuz".into());
    direct.initrd = Some("/boot/initrd.img".into());
    direct.cmdline = Some("console=ttyS0".into());
    let xml = direct.device(builder::vnc_socket("/tmp/v.sock")).build();
    validate(&xml, "domain", "builder-direct");
    assert!(
        !xml.contains("<boot dev="),
        "no boot devices with a direct kernel"
    );

    // Each device alone, as Add Hardware would send it to attachDevice.
    for (i, d) in devices.iter().enumerate() {
        let mut doc = d.clone().into_pretty().to_xml_string();
        doc.push('\n');
        let wrapped = DomainBuilder::new("one-device", 65536, 1)
            .device(d.clone())
            .build();
        validate(&wrapped, "domain", &format!("device-{i}"));
        assert!(Document::parse(&doc).is_ok());
    }
}

#[test]
fn builder_domains_are_accepted_by_the_test_driver() {
    let rt = common::runtime();
    let conn = rt
        .block_on(vireo::core::libvirt::Connection::open(&common::demo_uri()))
        .unwrap();
    let mut b = DomainBuilder::new("built", 512 * 1024, 1);
    b.domain_type = "test".into();
    b.machine = None;
    let vm = rt
        .block_on(
            conn.define_xml(
                &b.device(builder::disk_file("/tmp/x.qcow2", "qcow2", "vda", "virtio"))
                    .build(),
            ),
        )
        .unwrap();
    let back = rt.block_on(conn.domain_xml(&vm.uuid, true)).unwrap();
    let parsed = DomainXml::parse(&back).unwrap();
    assert_eq!(parsed.memory_kib().unwrap(), Some(512 * 1024));
    assert_eq!(
        parsed.devices(K::Disk)[0].source_file().as_deref(),
        Some("/tmp/x.qcow2")
    );
}

#[test]
fn bad_input_gives_typed_errors_with_positions() {
    let e =
        Document::parse("<domain>\n  <name>x</name>\n  <os><type>hvm</os>\n</domain>").unwrap_err();
    assert!(matches!(e.kind, XmlErrorKind::Malformed(_)), "{e}");
    assert_eq!(e.position.line, 3, "{e}");

    let e = Document::parse("").unwrap_err();
    assert_eq!(e.kind, XmlErrorKind::NoRoot);
    let e = Document::parse("<domain><name>x</name>").unwrap_err();
    assert!(matches!(e.kind, XmlErrorKind::Malformed(_)), "{e}");
    let e = Document::parse("<a/><b/>").unwrap_err();
    assert!(e.to_string().contains("after the root"), "{e}");
    let e = Document::parse("<a>&bogus;</a>").unwrap_err();
    assert!(e.to_string().contains("bogus"), "{e}");
    let e = Document::parse("<a x='1' x='2'/>").unwrap_err();
    assert!(matches!(e.kind, XmlErrorKind::Malformed(_)));

    let e = DomainXml::parse("<network>\n<name>default</name></network>").unwrap_err();
    assert_eq!(
        e.kind,
        XmlErrorKind::WrongRoot {
            expected: "domain".into(),
            found: "network".into()
        }
    );
    assert_eq!(e.position.line, 1);

    let vm = DomainXml::parse(
        "<domain type='kvm'>\n  <memory unit='MiB'>lots</memory>\n  <vcpu>-1</vcpu>\n</domain>",
    )
    .unwrap();
    let e = vm.name().unwrap_err();
    assert_eq!(
        e.kind,
        XmlErrorKind::Missing {
            path: "name".into()
        }
    );
    let e = vm.memory_kib().unwrap_err();
    assert!(matches!(e.kind, XmlErrorKind::InvalidValue { .. }), "{e}");
    assert_eq!((e.position.line, e.position.column), (2, 3), "{e}");
    assert!(vm.vcpus_max().is_err());
    let vm = DomainXml::parse("<domain><memory unit='parsecs'>3</memory></domain>").unwrap();
    assert!(vm.memory_kib().unwrap_err().to_string().contains("unit"));
}

fn tool_output(file: &str) -> String {
    std::fs::read_to_string(data().join("caps").join(file)).unwrap()
}

#[test]
fn capabilities_pools_volumes_and_networks_are_read() {
    let caps = Capabilities::parse(&tool_output("capabilities-qemu.xml")).unwrap();
    assert_eq!(caps.host_arch, "x86_64");
    let x86 = caps
        .guests
        .iter()
        .find(|g| g.arch == "x86_64")
        .expect("an x86_64 guest");
    assert!(x86.domain_types.iter().any(|t| t == "qemu"));
    assert!(
        x86.machines.iter().any(|m| m.starts_with("pc-q35")),
        "{:?}",
        x86.machines
    );

    let dc = DomainCapabilities::parse(&tool_output("domcapabilities-qemu.xml")).unwrap();
    assert_eq!(
        (dc.domain_type.as_str(), dc.arch.as_str()),
        ("qemu", "x86_64")
    );
    assert!(
        dc.disk_buses.iter().any(|b| b == "virtio"),
        "{:?}",
        dc.disk_buses
    );
    assert!(dc.graphics_types.iter().any(|g| g == "vnc"));
    assert!(dc.video_models.iter().any(|v| v == "virtio"));
    assert!(dc.max_vcpus.is_some());

    let pool = PoolInfo::parse(&tool_output("pool-default.xml")).unwrap();
    assert_eq!(
        (pool.name.as_str(), pool.pool_type.as_str()),
        ("default", "dir")
    );
    assert_eq!(
        pool.capacity,
        Some(107_374_182_400),
        "the test driver reports 100 GiB"
    );
    assert_eq!(pool.available, Some(55_834_574_848));
    assert_eq!(pool.target_path.as_deref(), Some("/var/lib/libvirt/images"));
    let vol = VolumeInfo::parse(&tool_output("vol-web-server.xml")).unwrap();
    assert_eq!(vol.format.as_deref(), Some("qcow2"));
    assert_eq!(vol.capacity, Some(20 * 1024 * 1024 * 1024));
    let net = NetworkInfo::parse(&tool_output("net-default.xml")).unwrap();
    assert_eq!(net.forward_mode.as_deref(), Some("nat"));
    assert_eq!(net.dhcp_start.as_deref(), Some("192.168.122.2"));
    let iso = NetworkInfo::parse(&tool_output("net-isolated.xml")).unwrap();
    assert_eq!(iso.forward_mode, None);
    assert!(
        PoolInfo::parse(&tool_output("net-default.xml")).is_err(),
        "wrong root"
    );
}

#[test]
fn every_public_setter_has_a_case() {
    let mut setters = Vec::new();
    for file in ["src/core/xml/domain.rs", "src/core/xml/devices.rs"] {
        let text = std::fs::read_to_string(common::root().join(file)).unwrap();
        for line in text.lines().map(str::trim) {
            let name = if let Some(rest) = line.strip_prefix("pub fn set_") {
                rest.split('(').next().map(|n| format!("set_{n}"))
            } else if line.contains(", set_") && line.ends_with(';') && line.contains("=>") {
                line.split(", ")
                    .nth(1)
                    .and_then(|s| s.split_whitespace().next())
                    .map(str::to_owned)
            } else {
                None
            };
            if let Some(n) = name.filter(|n| n != "set") {
                setters.push(n);
            }
        }
    }
    assert!(setters.len() > 50, "found {} setters", setters.len());
    let tests = std::fs::read_to_string(common::root().join("tests/xml.rs")).unwrap();
    let cases =
        &tests[tests.find("const CASES").unwrap()..tests.find("fn every_setter_changes").unwrap()];
    let missing: Vec<&String> = setters
        .iter()
        .filter(|s| !cases.contains(&format!("{s}(")))
        .collect();
    assert!(
        missing.is_empty(),
        "setters without a fixture case: {missing:?}"
    );
}

#[test]
fn every_device_add_hardware_makes_passes_libvirts_schema() {
    use vireo::core::hardware::{DiskStorage, NewDevice, NewDisk, media_xml};
    use vireo::core::wizard::NetworkChoice;
    let base = DomainBuilder::new("hw", 512 * 1024, 1)
        .device(builder::cdrom(None, "sda", "sata"))
        .build();
    let vm = DomainXml::parse(&base).unwrap();
    let mut devices: Vec<(&str, String)> = vec![
        (
            "disk-new",
            NewDisk {
                storage: DiskStorage::NewVolume {
                    pool: "default".into(),
                    pool_path: "/var/lib/libvirt/images".into(),
                    name: "hw-1.qcow2".into(),
                    size_bytes: 1 << 30,
                },
                bus: "scsi".into(),
                cache: Some("writeback".into()),
            }
            .xml(&vm),
        ),
        (
            "media-insert",
            media_xml(&vm, "sda", Some("/isos/x.iso")).unwrap(),
        ),
    ];
    for (name, d) in [
        (
            "cdrom",
            NewDevice::Cdrom {
                bus: "usb".into(),
                iso: Some("/isos/x.iso".into()),
            },
        ),
        (
            "nic",
            NewDevice::Interface {
                source: NetworkChoice::Bridge("br0".into()),
                model: "e1000e".into(),
            },
        ),
        (
            "graphics",
            NewDevice::Graphics {
                kind: "spice".into(),
            },
        ),
        (
            "video",
            NewDevice::Video {
                model: "virtio".into(),
            },
        ),
        (
            "sound",
            NewDevice::Sound {
                model: "ich9".into(),
            },
        ),
        (
            "input",
            NewDevice::Input {
                kind: "keyboard".into(),
                bus: "virtio".into(),
            },
        ),
        ("serial", NewDevice::Serial),
        ("agent", NewDevice::GuestAgent),
        ("rng", NewDevice::Rng),
        (
            "tpm",
            NewDevice::Tpm {
                model: "tpm-tis".into(),
            },
        ),
        (
            "usb-host",
            NewDevice::UsbHost {
                vendor: "0x046d".into(),
                product: "0xc52b".into(),
            },
        ),
    ] {
        devices.push((name, d.xml(&vm)));
    }
    for (name, xml) in devices {
        // Each device inside a whole domain, as libvirt validates it.
        let whole = base.replace("</devices>", &format!("{xml}\n</devices>"));
        validate(&whole, "domain", &format!("device-{name}"));
    }
}
