//! Moving a 512 MiB volume through libvirt streams, side by side with
//! `virsh vol-upload` and `virsh vol-download` in the same run (both sides
//! go through the same private daemon and the same stream API).
//! Rounds alternate; the target is "no slower than virsh".

#[path = "../common/mod.rs"]
mod common;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use vireo::core::libvirt::{Connection, Direction};
use vireo::core::storage::{NewVolume, VolumeFormat};

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("volume benchmark: run it with `make bench`");
        return;
    }
    let rounds = common::bench_rounds(3);
    let daemon = common::daemon::Daemon::start();
    let dir = common::fresh_dir("bench-volumes");
    let data_home = daemon.vm_dir().parent().unwrap().join("data");
    let rt = common::runtime();
    let conn = rt.block_on(Connection::open(&daemon.uri)).unwrap();
    rt.block_on(conn.create_default_pool(Some(data_home.display().to_string())))
        .unwrap();
    let size = 512u64 << 20;
    let path = rt
        .block_on(conn.create_volume(
            "default",
            NewVolume {
                name: "bench.img".into(),
                format: VolumeFormat::Raw,
                capacity: size,
                backing: None,
            },
        ))
        .unwrap();
    // Incompressible, non-zero data: nothing to skip.
    let file = dir.join("upload.bin");
    let ok = Command::new("dd")
        .args(["if=/dev/urandom", "bs=1M", "count=512", "status=none"])
        .arg(format!("of={}", file.display()))
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let back = dir.join("download.bin");
    let virsh = |args: &[&str]| {
        let start = Instant::now();
        let out = Command::new("virsh")
            .args(["-c", &daemon.uri])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "virsh: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        start.elapsed()
    };
    let (mut up, mut vup, mut down, mut vdown) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let f = file.display().to_string();
    let b = back.display().to_string();
    for _ in 0..rounds {
        let start = Instant::now();
        rt.block_on(conn.transfer_volume(
            Direction::Upload,
            &path,
            file.clone(),
            None,
            Arc::default(),
        ))
        .unwrap();
        up.push(start.elapsed());
        vup.push(virsh(&["vol-upload", &path, &f]));
        let start = Instant::now();
        rt.block_on(conn.transfer_volume(
            Direction::Download,
            &path,
            back.clone(),
            None,
            Arc::default(),
        ))
        .unwrap();
        down.push(start.elapsed());
        vdown.push(virsh(&["vol-download", &path, &b]));
    }
    let rate = |d: Duration| size as f64 / d.as_secs_f64() / f64::from(1 << 20);
    println!("A 512 MiB volume through libvirt streams ({rounds} rounds, median MiB/s):");
    for (what, ours, theirs) in [("upload", up, vup), ("download", down, vdown)] {
        let (a, b) = (common::median(ours), common::median(theirs));
        println!(
            "  {what:<9} Vireo {:>7.0}   virsh vol-{what} {:>7.0}   target no slower: {}",
            rate(a),
            rate(b),
            if a <= b + b / 20 { "met" } else { "NOT met" }
        );
    }
}
