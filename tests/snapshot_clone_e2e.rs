//! Snapshots and clones on a real hypervisor (the private QEMU daemon, the
//! tiny guest on a qcow2 disk): a snapshot with memory of the running guest
//! undoes what was written in its shell afterwards; a full clone and a
//! linked clone both boot to the shell while the original's image stays as
//! it was; deleting a clone leaves the original intact.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::daemon::Daemon;
use common::guest::{self, Boot};
use common::shell::{guest_until, wait_shell};
use vireo::core::clone::DiskAction;
use vireo::core::hardware::{DiskStorage, NewDisk, Scope};
use vireo::core::libvirt::{CloneJob, Connection, DomainState};
use vireo::core::snapshot::{AfterRevert, Mode, SnapshotState, TakeSpec};

fn image_info(path: &str) -> String {
    let out = Command::new("qemu-img")
        .args(["info", "--force-share", "--output=json", path])
        .output()
        .expect("qemu-img");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_snapshot_undoes_what_came_after_and_clones_boot_beside_the_original() {
    let daemon = Daemon::start();
    let files = guest::install(&daemon);
    let vm_dir = daemon.vm_dir();
    let name = "snappy";
    let log = vm_dir.join(format!("{name}.serial.log"));
    let sock = vm_dir.join(format!("{name}.serial.sock"));
    let thumbs = common::fresh_dir("thumbnails");
    let data_home = vm_dir.parent().unwrap().join("data");
    let rt = common::runtime();
    rt.block_on(async {
        let conn = Connection::open(&daemon.uri).await.unwrap();
        conn.create_default_pool(Some(data_home.display().to_string()))
            .await
            .unwrap();
        let facts = conn.wizard_facts().await.unwrap();
        let pool_path = facts.pool("default").unwrap().path.clone().unwrap();
        let vm = conn
            .define_xml(&guest::domain_xml(name, Boot::Direct, &files, &vm_dir))
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", daemon.logs()));
        // Its system disk: a qcow2 volume in the pool (internal snapshots
        // and the memory state live in it).
        let disk = NewDisk {
            storage: DiskStorage::NewVolume {
                pool: "default".into(),
                pool_path: pool_path.clone(),
                name: format!("{name}.qcow2"),
                size_bytes: 64 << 20,
            },
            bus: "virtio".into(),
            cache: None,
        };
        conn.add_disk(&vm.uuid, disk, Scope::NEXT_BOOT)
            .await
            .unwrap();
        let image = format!("{pool_path}/{name}.qcow2");
        conn.start(&vm.uuid).await.unwrap();
        wait_shell(&daemon, &log);

        // Something in the guest's memory (its tmpfs), then the snapshot.
        guest_until(
            &daemon,
            &sock,
            &log,
            "the mark",
            "echo before > /tmp/mark; cat /tmp/mark",
            |o| o.contains("before"),
        );
        let view = conn.snapshots(&vm.uuid).await.unwrap();
        assert_eq!(view.offer.modes[0], Mode::Internal, "{view:?}");
        assert!(view.offer.memory);
        let spec = TakeSpec {
            name: "clean".into(),
            description: "Before breaking things".into(),
            mode: Mode::Internal,
        };
        let taken = conn
            .take_snapshot(&vm.uuid, spec, Some(thumbs.clone()))
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", daemon.logs()));
        assert_eq!(taken.state, SnapshotState::Running);
        assert!(taken.current);
        let thumb = vireo::core::libvirt::snapshots::thumbnail_path(&thumbs, &vm.uuid, "clean");
        let shot = ["png", "ppm"]
            .iter()
            .find_map(|ext| std::fs::read(thumb.with_extension(ext)).ok())
            .unwrap_or_else(|| panic!("no thumbnail at {}.*", thumb.display()));
        assert!(
            shot.starts_with(b"\x89PNG") || shot.starts_with(b"P6"),
            "QEMU's screen as an image"
        );
        assert!(
            image_info(&image).contains("\"name\": \"clean\""),
            "an internal snapshot in the image"
        );

        // Break things, then go back.
        guest_until(
            &daemon,
            &sock,
            &log,
            "the breakage",
            "echo after > /tmp/mark; touch /tmp/broken; cat /tmp/mark",
            |o| o.contains("after"),
        );
        let reverted = conn
            .revert_snapshot(&vm.uuid, "clean", AfterRevert::AsTaken, false)
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", daemon.logs()));
        assert!(reverted.running, "a running snapshot resumes");
        assert_eq!(
            conn.lookup_domain(name).await.unwrap().state,
            DomainState::Running
        );
        let out = guest_until(
            &daemon,
            &sock,
            &log,
            "the guest as it was",
            "cat /tmp/mark; ls /tmp/broken 2>&1",
            |o| o.contains("before") && o.contains("No such file"),
        );
        assert!(!out.lines().any(|l| l.trim() == "after"), "{out}");

        // Clones need the original to hold still.
        conn.force_off(&vm.uuid).await.unwrap();
        let source = conn.clone_source(&vm.uuid).await.unwrap();
        let full_plan = source.plan().unwrap();
        assert_eq!(full_plan.name, "snappy-clone");
        let full = conn
            .clone_vm(&vm.uuid, CloneJob::new(full_plan))
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", daemon.logs()));
        let full_image = format!("{pool_path}/snappy-clone.qcow2");
        assert!(
            !image_info(&full_image).contains("backing-filename"),
            "a full copy stands alone"
        );

        let source = conn.clone_source(&vm.uuid).await.unwrap();
        let mut linked_plan = source.plan().unwrap();
        linked_plan.set_name("snappy-linked", &|p| source.path_taken(p));
        linked_plan.set_action(0, DiskAction::Linked, &|p| source.path_taken(p));
        let started = std::time::Instant::now();
        let linked = conn
            .clone_vm(&vm.uuid, CloneJob::new(linked_plan))
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", daemon.logs()));
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "a linked clone takes seconds"
        );
        let linked_image = format!("{pool_path}/snappy-linked.qcow2");
        let info = image_info(&linked_image);
        assert!(
            info.contains(&format!("\"backing-filename\": \"{image}\"")),
            "the overlay's backing file is the original: {info}"
        );

        // Both clones boot to the shell at once, on serial ports of their own.
        for clone in [&full, &linked] {
            conn.start(&clone.uuid)
                .await
                .unwrap_or_else(|e| panic!("{}: {e}\n{}", clone.name, daemon.logs()));
        }
        for clone in [&full, &linked] {
            wait_shell(&daemon, &vm_dir.join(format!("{}.serial.log", clone.name)));
        }
        // The linked clone writes to its overlay, never the original.
        let before = image_info(&image);
        let csock = vm_dir.join("snappy-linked.serial.sock");
        let clog = vm_dir.join("snappy-linked.serial.log");
        guest_until(
            &daemon,
            &csock,
            &clog,
            "the clone's shell",
            "echo clone-alive",
            |o| o.contains("clone-alive"),
        );
        for clone in [&full, &linked] {
            conn.force_off(&clone.uuid).await.unwrap();
        }

        // Deleting a clone with its storage leaves the original intact.
        let report = conn
            .delete(&full.uuid, vec![full_image.clone()])
            .await
            .unwrap();
        assert_eq!(report.deleted, std::slice::from_ref(&full_image));
        assert!(!Path::new(&full_image).exists());
        let report = conn
            .delete(&linked.uuid, vec![linked_image.clone()])
            .await
            .unwrap();
        assert!(report.failed.is_empty(), "{report:?}");
        let check = Command::new("qemu-img")
            .args(["check", &image])
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stdout)
        );
        assert_eq!(
            image_info(&image),
            before,
            "the original image did not change"
        );
        let names: Vec<String> = conn
            .snapshots(&vm.uuid)
            .await
            .unwrap()
            .snapshots
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names, ["clean"], "the original keeps its snapshot");
        assert_eq!(
            conn.lookup_domain(name).await.unwrap().state,
            DomainState::ShutOff
        );
    });
}
