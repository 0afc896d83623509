//! Cloning a VM with a 1 GiB qcow2 disk, half of it written, side by side
//! with `virt-clone --auto-clone` on the same image in the same run.
//!
//! Both copy through libvirt's storage API (`virStorageVolCreateXMLFrom`,
//! which runs `qemu-img convert` in the daemon): the figures show what each
//! adds around it. Rounds alternate (Vireo, virt-clone, …) and each clone is
//! deleted with its image before the next; a first, uncounted round warms
//! the page cache for both. Vireo's linked clone is timed too.
//! The target is "no slower than virt-clone".

#[path = "../common/mod.rs"]
mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use vireo::core::clone::DiskAction;
use vireo::core::hardware::{DiskStorage, NewDisk, Scope};
use vireo::core::libvirt::{CloneJob, Connection};

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("clone benchmark: run it with `make bench`");
        return;
    }
    let has = |tool: &str| {
        Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !has("virt-clone") || !has("qemu-io") {
        eprintln!(
            "clone benchmark skipped: virt-clone or qemu-io is missing (`make bench` installs them)"
        );
        return;
    }
    let rounds = common::bench_rounds(3);
    let daemon = common::daemon::Daemon::start();
    let files = common::guest::install(&daemon);
    let vm_dir = daemon.vm_dir();
    let data_home = vm_dir.parent().unwrap().join("data");
    let rt = common::runtime();
    let conn = rt.block_on(Connection::open(&daemon.uri)).unwrap();
    rt.block_on(conn.create_default_pool(Some(data_home.display().to_string())))
        .unwrap();
    let facts = rt.block_on(conn.wizard_facts()).unwrap();
    let pool_path = facts.pool("default").unwrap().path.clone().unwrap();
    let name = "bench-src";
    let vm = rt
        .block_on(conn.define_xml(&common::guest::domain_xml(
            name,
            common::guest::Boot::Direct,
            &files,
            &vm_dir,
        )))
        .unwrap();
    let disk = NewDisk {
        storage: DiskStorage::NewVolume {
            pool: "default".into(),
            pool_path: pool_path.clone(),
            name: format!("{name}.qcow2"),
            size_bytes: 1 << 30,
        },
        bus: "virtio".into(),
        cache: None,
    };
    rt.block_on(conn.add_disk(&vm.uuid, disk, Scope::NEXT_BOOT))
        .unwrap();
    let image = format!("{pool_path}/{name}.qcow2");
    // Half of it written, in 1 MiB pieces of a non-zero pattern.
    let written = Command::new("qemu-io")
        .args(["-f", "qcow2", "-c", "write -P 0x5a 0 512M", &image])
        .output()
        .unwrap();
    assert!(
        written.status.success(),
        "{}",
        String::from_utf8_lossy(&written.stderr)
    );
    daemon.give(&vm_dir);

    let clone_path = format!("{pool_path}/{name}-clone.qcow2");
    let remove = |uuid: &str| {
        let report = rt
            .block_on(conn.delete(uuid, vec![clone_path.clone()]))
            .unwrap();
        assert!(report.failed.is_empty(), "{report:?}");
    };
    // Clone with `plan`, time it, delete the clone.
    let timed = |plan| {
        let start = Instant::now();
        let made = rt
            .block_on(conn.clone_vm(&vm.uuid, CloneJob::new(plan)))
            .unwrap_or_else(|e| panic!("{e}\n{}", daemon.logs()));
        let took = start.elapsed();
        remove(&made.uuid);
        took
    };
    let (mut ours, mut theirs, mut linked) = (Vec::new(), Vec::new(), Vec::new());
    // Round 0 warms the page cache for both and is not counted.
    for round in 0..=rounds {
        let keep = round > 0;
        let source = rt.block_on(conn.clone_source(&vm.uuid)).unwrap();
        let took = timed(source.plan().unwrap());
        if keep {
            ours.push(took);
        }

        let start = Instant::now();
        let out = Command::new("virt-clone")
            .args(["--connect", &daemon.uri, "-o", name, "--auto-clone"])
            .output()
            .unwrap();
        if keep {
            theirs.push(start.elapsed());
        }
        assert!(
            out.status.success(),
            "virt-clone: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let made = rt
            .block_on(conn.lookup_domain(&format!("{name}-clone")))
            .unwrap();
        remove(&made.uuid);

        let source = rt.block_on(conn.clone_source(&vm.uuid)).unwrap();
        let mut plan = source.plan().unwrap();
        plan.set_action(0, DiskAction::Linked, &|p| source.path_taken(p));
        let took = timed(plan);
        if keep {
            linked.push(took);
        }
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let show = |v: &[Duration]| {
        v.iter()
            .map(|d| format!("{:.0}", ms(*d)))
            .collect::<Vec<_>>()
            .join("/")
    };
    println!("Clone of a VM with a 1 GiB qcow2 disk, 512 MiB written ({rounds} rounds, ms):");
    println!(
        "  {:<34}{:>10.0}  ({})",
        "Vireo full copy (median)",
        ms(common::median(ours.clone())),
        show(&ours)
    );
    println!(
        "  {:<34}{:>10.0}  ({})",
        "virt-clone --auto-clone (median)",
        ms(common::median(theirs.clone())),
        show(&theirs)
    );
    println!(
        "  {:<34}{:>10.0}  ({})",
        "Vireo linked clone (median)",
        ms(common::median(linked.clone())),
        show(&linked)
    );
    let (a, b) = (common::median(ours), common::median(theirs));
    println!(
        "  target: no slower than virt-clone: {}",
        if a <= b + b / 20 { "met" } else { "NOT met" }
    );
}
