//! Many hosts against one: 20 private libvirt daemons holding 50 defined
//! VMs each (1000 VMs across hosts) beside one daemon holding the same
//! 1000 VMs, both measured in the same run, under the X server `make
//! bench` provides: time from launch until every host is connected with its
//! VMs listed, resident memory after 10 s, CPU while idle for 20 s (the
//! statistics poll on), and, after every daemon restarts at once, the time
//! until `virsh list --all --title` answers on every host beside the time
//! until Vireo's
//! automatic reconnect lists every host again (twenty daemons starting
//! together on one small machine take longer than one: the line "Vireo
//! after virsh" is Vireo's own part).
//!
//! Target: twenty hosts within 1.5x of the one-host figures.

#[path = "../common/mod.rs"]
mod common;
mod proc;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use common::daemon::Daemon;
use proc::{cpu_seconds, rss_mb};
use vireo::core::libvirt::Connection;

const HOSTS: usize = 20;
const PER_HOST: usize = 50;

/// Define `n` small shut-off VMs named `{prefix}-{i}` on `uri`.
fn define(uri: &str, prefix: &str, n: usize) {
    let rt = common::runtime();
    rt.block_on(async {
        let conn = Connection::open(uri).await.unwrap();
        for i in 0..n {
            let xml = format!(
                "<domain type='qemu'><name>{prefix}-{i:04}</name><memory unit='MiB'>64</memory>\
                 <os><type arch='x86_64'>hvm</type></os></domain>"
            );
            conn.define_xml(&xml).await.unwrap();
        }
    });
}

struct Figures {
    all_connected: Duration,
    rss_mb: f64,
    idle_cpu_percent: f64,
    /// From the restart until `virsh list --all --title` answers on every
    /// daemon, and until Vireo lists every host again.
    daemons_back: Duration,
    reconnected: Duration,
}

/// Until `virsh -c URI list --all --title` lists `n` shut-off VMs (polled
/// every 100 ms): virsh doing what Vireo's listing does (every domain with
/// its state and title).
fn virsh_answers(uri: &str, n: usize) {
    loop {
        let out = Command::new("virsh")
            .args(["-c", uri, "list", "--all", "--title"])
            .output()
            .expect("virsh");
        let listed = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.contains("shut off"))
            .count();
        if out.status.success() && listed == n {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn next_all_connected(lines: &Receiver<(Instant, String)>, vms: usize) -> Instant {
    let want = format!("vireo-trace: all hosts connected ({vms} VMs)");
    // What each host went through, printed should one never come back.
    let mut seen = Vec::new();
    loop {
        let Ok((at, line)) = lines.recv_timeout(Duration::from_secs(180)) else {
            for line in seen.iter().rev().take(60).rev() {
                eprintln!("  {line}");
            }
            panic!("not every host connected within 180 s (their last steps above)");
        };
        if line.contains(&want) {
            // VIREO_BENCH_TRACE=1 shows how the hosts came back.
            if std::env::var_os("VIREO_BENCH_TRACE").is_some() {
                seen.iter().for_each(|l| eprintln!("  {l}"));
            }
            return at;
        }
        seen.push(line);
    }
}

/// Launch Vireo on `daemons`, measure, restart them all, measure again.
fn measure(daemons: &mut [Daemon], vms: usize) -> Figures {
    let config = common::fresh_dir("bench-hosts-config");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vireo"));
    for d in daemons.iter() {
        cmd.args(["--connect", &d.uri]);
    }
    let start = Instant::now();
    let mut child = cmd
        .env("VIREO_TRACE_STARTUP", "1")
        .env("XDG_CONFIG_HOME", &config)
        .env("GSETTINGS_BACKEND", "memory")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start vireo");
    let pid = child.id();
    let stderr = child.stderr.take().unwrap();
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send((Instant::now(), line));
        }
    });
    let connected = next_all_connected(&lines, vms);
    std::thread::sleep(Duration::from_secs(10).saturating_sub(start.elapsed()));
    let rss_mb = rss_mb(pid);
    let before = cpu_seconds(pid);
    let idle = Duration::from_secs(20);
    std::thread::sleep(idle);
    let idle_cpu_percent = (cpu_seconds(pid) - before) / idle.as_secs_f64() * 100.0;

    let restart = Instant::now();
    let per_host = vms / daemons.len();
    std::thread::scope(|s| {
        for d in daemons.iter_mut() {
            s.spawn(move || {
                d.restart();
                virsh_answers(&d.uri, per_host);
            });
        }
    });
    let daemons_back = restart.elapsed();
    let back = next_all_connected(&lines, vms);
    let _ = child.kill();
    let _ = child.wait();
    Figures {
        all_connected: connected.duration_since(start),
        rss_mb,
        idle_cpu_percent,
        daemons_back,
        reconnected: back.duration_since(restart),
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("hosts benchmark: run it with `make bench`");
        return;
    }
    if std::env::var_os("DISPLAY").is_none() {
        eprintln!("hosts benchmark skipped: no X display (run it through `make bench`)");
        return;
    }
    let total = HOSTS * PER_HOST;
    let mut many = common::hosts::start(HOSTS);
    let mut one = vec![Daemon::start()];
    std::thread::scope(|s| {
        for (i, d) in many.iter().enumerate() {
            let uri = d.uri.clone();
            s.spawn(move || define(&uri, &format!("h{i:02}"), PER_HOST));
        }
        let uri = one[0].uri.clone();
        s.spawn(move || define(&uri, "vm", total));
    });

    let a = measure(&mut many, total);
    let b = measure(&mut one, total);
    println!(
        "{total} VMs: {HOSTS} private daemons × {PER_HOST} VMs beside one daemon × {total} VMs:"
    );
    println!("  target: {HOSTS} hosts within 1.5x of one host");
    println!(
        "  {:<36} {:>10} {:>10} {:>7}",
        "",
        format!("{HOSTS} hosts"),
        "1 host",
        "ratio"
    );
    let row = |what: &str, x: f64, y: f64, unit: &str| {
        // No ratio of figures that round to zero (one clock tick, 0.00 s).
        let ratio = if y >= 0.005 {
            format!("{:>6.2}x", x / y)
        } else {
            format!("{:>7}", "—")
        };
        println!("  {what:<36} {x:>7.2} {unit:<2} {y:>7.2} {unit:<2} {ratio}");
    };
    row(
        "launch to every host listed",
        a.all_connected.as_secs_f64(),
        b.all_connected.as_secs_f64(),
        "s",
    );
    row("resident memory after 10 s", a.rss_mb, b.rss_mb, "MB");
    row(
        "CPU while idle for 20 s (% core)",
        a.idle_cpu_percent,
        b.idle_cpu_percent,
        "%",
    );
    println!("  after every daemon restarts at once:");
    row(
        "  virsh lists every host again",
        a.daemons_back.as_secs_f64(),
        b.daemons_back.as_secs_f64(),
        "s",
    );
    row(
        "  Vireo lists every host again",
        a.reconnected.as_secs_f64(),
        b.reconnected.as_secs_f64(),
        "s",
    );
    let lag = |f: &Figures| (f.reconnected.as_secs_f64() - f.daemons_back.as_secs_f64()).max(0.0);
    row("  Vireo after virsh", lag(&a), lag(&b), "s");
    // The daemons themselves come back slower when twenty restart together
    // on one small machine: Vireo's time over virsh's on the same hosts.
    let over = |f: &Figures| f.reconnected.as_secs_f64() / f.daemons_back.as_secs_f64();
    row("  Vireo's time ÷ virsh's", over(&a), over(&b), "x");
    println!("  (CPU time is counted in 10 ms ticks: 0.05 % over 20 s is one tick)");
}
