//! Hardware changes on a running guest (the private QEMU daemon, the tiny
//! guest booted from its ISO): disks hot-plugged and unplugged, an IDE
//! hot-plug refused then added for the next boot (a refused new disk leaves
//! no volume behind), ISOs inserted and ejected.
//! The guest's own view is read over its serial shell.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::daemon::Daemon;
use common::guest::{self, Boot};
use common::shell::guest_until;
use vireo::core::edit::{DeviceKey, Edit};
use vireo::core::hardware::{self, DiskStorage, NewDisk, Scope};
use vireo::core::libvirt::{Connection, Detached, ErrorKind};
use vireo::core::xml::DomainXml;

fn make_iso(dir: &Path, label: &str) -> PathBuf {
    let tree = dir.join(format!("{label}-tree"));
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(tree.join("HELLO.TXT"), label).unwrap();
    let iso = dir.join(format!("{label}.iso"));
    let ok = Command::new("xorriso")
        .args(["-as", "mkisofs", "-quiet", "-V", label, "-o"])
        .arg(&iso)
        .arg(&tree)
        .status()
        .expect("xorriso")
        .success();
    assert!(ok);
    iso
}

#[test]
fn disks_and_media_change_on_a_running_guest() {
    let daemon = Daemon::start();
    let files = guest::install(&daemon);
    let vm_dir = daemon.vm_dir();
    let name = "hotplug";
    let log = vm_dir.join(format!("{name}.serial.log"));
    let sock = vm_dir.join(format!("{name}.serial.sock"));
    let second = make_iso(&vm_dir, "VIREO_SECOND");
    daemon.give(&vm_dir);
    let data_home = vm_dir.parent().unwrap().join("data");
    let rt = common::runtime();
    rt.block_on(async {
        let conn = Connection::open(&daemon.uri).await.unwrap();
        let vm = conn
            .define_xml(&guest::domain_xml(name, Boot::Cdrom, &files, &vm_dir))
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", daemon.logs()));
        conn.start(&vm.uuid).await.unwrap();
        common::wait_for("the guest's shell", Duration::from_secs(120), || {
            std::fs::read_to_string(&log)
                .ok()
                .filter(|s| s.contains("TINY-SHELL-READY on /dev/ttyS0"))
        })
        .unwrap_or_else(|e| panic!("{e}\n{}", daemon.logs()));
        conn.create_default_pool(Some(data_home.display().to_string()))
            .await
            .unwrap();
        let facts = conn.wizard_facts().await.unwrap();
        let pool_path = facts.pool("default").unwrap().path.clone().unwrap();
        let live = || async {
            DomainXml::parse(&conn.domain_xml(&vm.uuid, false).await.unwrap()).unwrap()
        };

        // A new 64 MiB virtio disk, attached live and persistently: the
        // guest's kernel finds it.
        let disk = NewDisk {
            storage: DiskStorage::NewVolume {
                pool: "default".into(),
                pool_path: pool_path.clone(),
                name: format!("{name}-1.qcow2"),
                size_bytes: 64 << 20,
            },
            bus: "virtio".into(),
            cache: None,
        };
        // One request: the volume is made, then attached.
        let target = conn
            .add_disk(&vm.uuid, disk, Scope::BOTH)
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", daemon.logs()));
        assert_eq!(target, "vda");
        let path = format!("{pool_path}/{name}-1.qcow2");
        assert!(Path::new(&path).exists(), "the new volume {path}");
        guest_until(
            &daemon,
            &sock,
            &log,
            "the guest to see vda",
            "cat /proc/partitions",
            |o| {
                o.lines()
                    .any(|l| l.trim_end().ends_with(" vda") && l.contains("65536"))
            },
        );
        let persistent = conn.domain_xml(&vm.uuid, true).await.unwrap();
        assert!(
            persistent.contains(&path),
            "kept after shutdown: {persistent}"
        );

        // Removed with its image: the guest lets it go, the definition
        // forgets it, then the image goes.
        let removed = conn
            .remove_disk(&vm.uuid, "vda", true, Scope::BOTH, Duration::from_secs(20))
            .await
            .unwrap();
        assert_eq!(removed.detached, Detached::Done);
        assert_eq!(removed.image, Some(Ok(())));
        assert!(!Path::new(&path).exists(), "the image was deleted");
        guest_until(
            &daemon,
            &sock,
            &log,
            "the guest to lose vda",
            "cat /proc/partitions",
            |o| o.contains("major") && !o.lines().any(|l| l.trim_end().ends_with(" vda")),
        );
        assert!(
            !conn
                .domain_xml(&vm.uuid, true)
                .await
                .unwrap()
                .contains(&path)
        );

        // Rollback: a new SATA disk cannot be hot-plugged. The refusal is
        // typed (the UI offers the next boot), and the volume made for it
        // is gone again; the definition is unchanged.
        let before = conn.domain_xml(&vm.uuid, true).await.unwrap();
        let sata = NewDisk {
            storage: DiskStorage::NewVolume {
                pool: "default".into(),
                pool_path: pool_path.clone(),
                name: format!("{name}-2.qcow2"),
                size_bytes: 64 << 20,
            },
            bus: "sata".into(),
            cache: None,
        };
        let err = conn
            .add_disk(&vm.uuid, sata, Scope::BOTH)
            .await
            .expect_err("SATA disks cannot be hot-plugged");
        assert_eq!(err.kind, ErrorKind::RefusedLive, "{err}");
        let orphan = format!("{pool_path}/{name}-2.qcow2");
        assert!(!Path::new(&orphan).exists(), "{orphan} was left behind");
        assert_eq!(conn.domain_xml(&vm.uuid, true).await.unwrap(), before);

        // IDE cannot be hot-plugged either; for the next boot it works.
        let ide = NewDisk {
            storage: DiskStorage::Existing {
                path: second.display().to_string(),
                format: "raw".into(),
            },
            bus: "ide".into(),
            cache: None,
        };
        let err = conn
            .add_disk(&vm.uuid, ide.clone(), Scope::BOTH)
            .await
            .expect_err("IDE disks cannot be hot-plugged");
        assert_eq!(err.kind, ErrorKind::RefusedLive, "{err}");
        assert!(err.message.to_lowercase().contains("ide"), "{err}");
        assert!(
            !conn
                .domain_xml(&vm.uuid, true)
                .await
                .unwrap()
                .contains("VIREO_SECOND")
        );
        conn.add_disk(&vm.uuid, ide, Scope::NEXT_BOOT)
            .await
            .unwrap();
        let persistent = conn.domain_xml(&vm.uuid, true).await.unwrap();
        assert!(
            persistent.contains("<target dev='hda' bus='ide'/>"),
            "{persistent}"
        );
        assert!(
            !conn
                .domain_xml(&vm.uuid, false)
                .await
                .unwrap()
                .contains("VIREO_SECOND")
        );

        // Media: insert the second ISO, the guest reads its label; eject it,
        // the guest finds no medium.
        let read_label = "dd if=/dev/sr0 bs=1 skip=32808 count=32 2>&1; echo";
        conn.change_media(&vm.uuid, "hdc", second.to_str(), Scope::NOW_ONLY, false)
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", daemon.logs()));
        guest_until(
            &daemon,
            &sock,
            &log,
            "the guest to read VIREO_SECOND",
            read_label,
            |o| o.contains("VIREO_SECOND"),
        );
        conn.change_media(&vm.uuid, "hdc", None, Scope::NOW_ONLY, true)
            .await
            .unwrap();
        guest_until(
            &daemon,
            &sock,
            &log,
            "the guest to see no medium",
            read_label,
            |o| o.contains("No medium found"),
        );
        assert_eq!(
            hardware::removable_drives(&live().await),
            vec![("hdc".to_string(), None)]
        );

        // Another kind from Add Hardware: a virtio NIC (PCI device 0x1000)
        // appears in the guest, then leaves it.
        let nic = hardware::NewDevice::Interface {
            source: vireo::core::wizard::NetworkChoice::User,
            model: "virtio".into(),
        };
        let pci = "cat /sys/bus/pci/devices/*/device";
        conn.attach_device(&vm.uuid, &nic.xml(&live().await), Scope::BOTH)
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", daemon.logs()));
        guest_until(&daemon, &sock, &log, "the guest to see the NIC", pci, |o| {
            o.lines().any(|l| l.trim() == "0x1000")
        });
        // Its link, cut and restored from Details: the running guest sees
        // the carrier go and come back, the definition keeps the setting.
        let mac = live()
            .await
            .devices(vireo::core::xml::DeviceKind::Interface)[0]
            .mac()
            .expect("libvirt gives the NIC a MAC");
        let carrier = "ip link set eth0 up; cat /sys/class/net/eth0/carrier";
        guest_until(&daemon, &sock, &log, "the NIC's carrier", carrier, |o| {
            o.lines().any(|l| l.trim() == "1")
        });
        for (state, carrier_now) in [("down", "0"), ("up", "1")] {
            let applied = conn
                .edit(
                    &vm.uuid,
                    Edit::Device {
                        kind: vireo::core::xml::DeviceKind::Interface,
                        key: DeviceKey::Mac(mac.clone()),
                        path: "link/@state".into(),
                        value: Some(state.into()),
                    },
                )
                .await
                .unwrap();
            assert_eq!(
                (applied.next_boot, applied.now),
                (Some(Ok(())), Some(Ok(()))),
                "a link state changes now and for the next boot"
            );
            guest_until(
                &daemon,
                &sock,
                &log,
                &format!("the guest to see the link {state}"),
                carrier,
                |o| o.lines().any(|l| l.trim() == carrier_now),
            );
            let saved = conn.domain_xml(&vm.uuid, true).await.unwrap();
            assert!(
                saved.contains(&format!("<link state='{state}'/>")),
                "{saved}"
            );
        }
        let nic_xml = live()
            .await
            .devices(vireo::core::xml::DeviceKind::Interface)[0]
            .to_xml_string();
        let detached = conn
            .detach_device(&vm.uuid, &nic_xml, None, Scope::BOTH, Duration::ZERO)
            .await
            .unwrap();
        assert_eq!(
            detached,
            Detached::Pending,
            "the guest releases it in its own time"
        );
        guest_until(
            &daemon,
            &sock,
            &log,
            "the guest to lose the NIC",
            pci,
            |o| o.contains("0x") && !o.lines().any(|l| l.trim() == "0x1000"),
        );
        assert!(
            !conn
                .domain_xml(&vm.uuid, true)
                .await
                .unwrap()
                .contains("<interface")
        );
        conn.force_off(&vm.uuid).await.unwrap();
    });
}

#[test]
fn vcpu_and_memory_changes_say_where_they_applied() {
    let daemon = Daemon::start();
    let files = guest::install(&daemon);
    let vm_dir = daemon.vm_dir();
    let name = "resize";
    let log = vm_dir.join(format!("{name}.serial.log"));
    let sock = vm_dir.join(format!("{name}.serial.sock"));
    // Room for a second vCPU; no balloon device (the tiny guest's XML).
    let xml = guest::domain_xml(name, Boot::Direct, &files, &vm_dir)
        .replace("<vcpu>1</vcpu>", "<vcpu current='1'>2</vcpu>");
    assert!(xml.contains("<memballoon model='none'/>"));
    let rt = common::runtime();
    rt.block_on(async {
        let conn = Connection::open(&daemon.uri).await.unwrap();
        let vm = conn
            .define_xml(&xml)
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", daemon.logs()));
        // Shut off: the definition only.
        let applied = conn.set_vcpus(&vm.uuid, 2).await.unwrap();
        assert_eq!((applied.next_boot, applied.now), (Some(Ok(())), None));
        conn.set_vcpus(&vm.uuid, 1).await.unwrap();

        conn.start(&vm.uuid).await.unwrap();
        common::wait_for("the guest's shell", Duration::from_secs(120), || {
            std::fs::read_to_string(&log)
                .ok()
                .filter(|s| s.contains("TINY-SHELL-READY on /dev/ttyS0"))
        })
        .unwrap_or_else(|e| panic!("{e}\n{}", daemon.logs()));

        // Running: a vCPU is hot-plugged now and kept for the next boot.
        let applied = conn.set_vcpus(&vm.uuid, 2).await.unwrap();
        assert_eq!(applied.next_boot, Some(Ok(())));
        assert_eq!(applied.now, Some(Ok(())), "{applied:?}");
        guest_until(
            &daemon,
            &sock,
            &log,
            "the guest to see cpu1",
            "ls /sys/devices/system/cpu",
            |o| o.split_whitespace().any(|w| w == "cpu1"),
        );

        // Memory without a balloon: saved for the next boot, refused now,
        // and both are said.
        let applied = conn.set_memory(&vm.uuid, 160 * 1024).await.unwrap();
        assert_eq!(applied.next_boot, Some(Ok(())));
        assert!(
            matches!(&applied.now, Some(Err(e)) if !e.is_empty()),
            "{applied:?}"
        );
        let saved = DomainXml::parse(&conn.domain_xml(&vm.uuid, true).await.unwrap()).unwrap();
        assert_eq!(saved.current_memory_kib().unwrap(), Some(160 * 1024));
        assert_eq!(saved.vcpus_current().unwrap(), Some(2));
        conn.force_off(&vm.uuid).await.unwrap();
    });
}
