//! Console throughput, side by side with gtk-vnc's own `gvncviewer` (VNC)
//! and virt-viewer's `remote-viewer` (SPICE).
//!
//! The tiny guest runs on the private libvirt daemon with its display on
//! TCP (gvncviewer speaks TCP only) and a framebuffer of 1024x768, then
//! 1920x1080, that it redraws without pause (two solid colours, so QEMU's
//! encoding costs little and the clients' own work shows). Each client runs
//! for 10 s after a warm-up, the two taking turns twice (the guest's own
//! rate drifts under TCG); both use the same gvnc library, and both are
//! counted the same way: framebuffer update messages received (gvnc's
//! debug log) per second, and the process's CPU time per update.
//!
//! Vireo's side is this binary run again as a client (`VIREO_BENCH_CLIENT`):
//! a GTK window with `ConsoleView` and `VncSession`, as the VM window uses them.

#[path = "../common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use vireo::core::libvirt::{Connection, graphics_of};

const SECONDS: u64 = 10;

/// Run as the Vireo client: "host:port:width:height" (VNC), or
/// "spice:host:port:width:height".
fn client(spec: &str) {
    let spice = spec.starts_with("spice:");
    let f: Vec<&str> = spec.trim_start_matches("spice:").split(':').collect();
    let (host, port) = (f[0], f[1].parse::<u16>().unwrap());
    let (w, h) = (f[2].parse::<i32>().unwrap(), f[3].parse::<i32>().unwrap());
    // The renderer the app would choose on this machine.
    vireo::ui::choose_renderer();
    gtk::init().expect("GTK starts");
    use gtk::prelude::*;
    let window = gtk::Window::builder()
        .default_width(w)
        .default_height(h)
        .build();
    let view = vireo::console::ConsoleView::new();
    view.set_focusable(true);
    window.set_child(Some(&view));
    window.present();
    view.grab_focus();
    let _session: Box<dyn vireo::console::Session> = if spice {
        let session = vireo::console::SpiceSession::new(&view, None);
        session
            .open_host(host, Some(port), None)
            .expect("open the display");
        Box::new(session)
    } else {
        let session = vireo::console::VncSession::new(&view, false);
        session.open_host(host, port).expect("open the display");
        Box::new(session)
    };
    // Frames actually painted, for the parent to read.
    {
        let view = view.clone();
        gtk::glib::timeout_add_local(Duration::from_millis(250), move || {
            println!("vireo-frames {}", view.frames_rendered());
            gtk::glib::ControlFlow::Continue
        });
    }
    let ctx = gtk::glib::MainContext::default();
    loop {
        ctx.iteration(true);
    }
}

/// utime + stime of `pid`, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let Some(end) = stat.rfind(')') else {
        return 0.0;
    };
    let f: Vec<&str> = stat[end + 2..].split_whitespace().collect();
    let ticks: f64 = f[11].parse::<f64>().unwrap_or(0.0) + f[12].parse::<f64>().unwrap_or(0.0);
    ticks / 100.0 // USER_HZ on Linux
}

/// CPU seconds of the X server (Xvfb) of this `DISPLAY`: a client that
/// draws with the X server (gvncviewer, GTK 3) moves work there. Only that
/// server counts: summing every Xvfb on the machine came out negative
/// once, when another one exited during a measurement.
fn x_server_cpu() -> f64 {
    static PID: std::sync::OnceLock<Option<u32>> = std::sync::OnceLock::new();
    PID.get_or_init(x_server_pid).map_or(0.0, cpu_seconds)
}

/// The Xvfb whose command line names this `DISPLAY` (`Xvfb :99 …`).
fn x_server_pid() -> Option<u32> {
    let display = std::env::var("DISPLAY").ok()?;
    let display = display.split('.').next()?.to_owned();
    std::fs::read_dir("/proc")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .find(|pid| {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            comm.trim() == "Xvfb"
                && cmdline
                    .split(|b| *b == 0)
                    .any(|arg| arg == display.as_bytes())
        })
}

struct Figures {
    updates_per_s: f64,
    cpu_ms_per_update: f64,
    cpu_percent: f64,
    /// The X server's CPU per update while this client ran.
    x_ms_per_update: f64,
    /// Frames painted (Vireo's client only; gvncviewer does not say).
    frames_per_s: f64,
}

/// Start `cmd`, let it warm up, then count gvnc's "Num rects" lines (one per
/// framebuffer update message) and its CPU time over `SECONDS`.
/// VIREO_BENCH_SHOTS=DIR: what the client shows, as DIR/`name`.png.
fn save_screen(name: &str) {
    if let Ok(dir) = std::env::var("VIREO_BENCH_SHOTS") {
        let _ = Command::new("import")
            .args(["-window", "root", &format!("{dir}/{name}.png")])
            .status();
    }
}

/// What a client's debug log counts as one update.
#[derive(Clone, Copy)]
enum Count {
    /// gvnc: one "Num rects" line per framebuffer update message.
    VncUpdates,
    /// spice-client-glib: the pixels of the images it decoded
    /// ("decode_header: WxH"), in whole screens of this many pixels.
    SpiceScreens(u64),
}

fn measure(cmd: Command, shot: &str) -> Figures {
    measure_counting(cmd, shot, Count::VncUpdates)
}

fn measure_counting(mut cmd: Command, shot: &str, count: Count) -> Figures {
    // GLib writes debug messages to stdout (spice-client-glib's to stderr).
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the client");
    let pid = child.id();
    // Updates counted in thousandths (SPICE counts screens' worth of pixels).
    let updates = Arc::new(AtomicU64::new(0));
    let frames = Arc::new(AtomicU64::new(0));
    let reader = |stream: Box<dyn std::io::Read + Send>| {
        let updates = updates.clone();
        let frames = frames.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                match count {
                    Count::VncUpdates if line.contains("Num rects") => {
                        updates.fetch_add(1000, Ordering::Relaxed);
                    }
                    Count::SpiceScreens(screen) if line.contains("decode_header: ") => {
                        let area = line
                            .split("decode_header: ")
                            .nth(1)
                            .and_then(|r| r.split(',').next())
                            .and_then(|wh| wh.split_once('x'))
                            .and_then(|(w, h)| {
                                Some(w.trim().parse::<u64>().ok()? * h.trim().parse::<u64>().ok()?)
                            })
                            .unwrap_or(0);
                        updates.fetch_add(area * 1000 / screen.max(1), Ordering::Relaxed);
                    }
                    _ => {
                        if let Some(n) = line.strip_prefix("vireo-frames ") {
                            frames.store(n.trim().parse().unwrap_or(0), Ordering::Relaxed);
                        }
                    }
                }
            }
        });
    };
    reader(Box::new(child.stdout.take().unwrap()));
    reader(Box::new(child.stderr.take().unwrap()));
    std::thread::sleep(Duration::from_secs(4));
    // VIREO_BENCH_PERF=FILE: a CPU profile of the client (perf record).
    if let Ok(file) = std::env::var("VIREO_BENCH_PERF") {
        let _ = Command::new("perf")
            .args([
                "record",
                "-q",
                "-g",
                "-o",
                &file,
                "-p",
                &pid.to_string(),
                "--",
                "sleep",
                "5",
            ])
            .status();
    }
    let f0 = frames.load(Ordering::Relaxed);
    let (u0, c0, x0, t0) = (
        updates.load(Ordering::Relaxed),
        cpu_seconds(pid),
        x_server_cpu(),
        Instant::now(),
    );
    std::thread::sleep(Duration::from_secs(SECONDS));
    let (u1, c1, x1, secs) = (
        updates.load(Ordering::Relaxed),
        cpu_seconds(pid),
        x_server_cpu(),
        t0.elapsed().as_secs_f64(),
    );
    let f1 = frames.load(Ordering::Relaxed);
    save_screen(shot);
    let _ = child.kill();
    let _ = child.wait();
    let n = ((u1 - u0) as f64 / 1000.0).max(0.001);
    Figures {
        updates_per_s: n / secs,
        cpu_ms_per_update: (c1 - c0) * 1000.0 / n,
        cpu_percent: (c1 - c0) / secs * 100.0,
        x_ms_per_update: (x1 - x0) * 1000.0 / n,
        frames_per_s: (f1 - f0) as f64 / secs,
    }
}

/// Key-press-to-guest latency through a client (`cmd`, showing the idle
/// text console of the guest whose serial log is `serial_log`): type a
/// command that writes a marker to the serial port, press Return and time
/// until the marker arrives. Returns the latencies in milliseconds.
fn key_latency(mut cmd: Command, serial_log: &std::path::Path, who: &str) -> Vec<f64> {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the client");
    let pid = child.id().to_string();
    let window = common::wait_for("the client's window", Duration::from_secs(20), || {
        let out = Command::new("xdotool")
            .args(["search", "--onlyvisible", "--pid", &pid])
            .output()
            .ok()?;
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .map(str::to_owned)
    })
    .expect("the client shows a window");
    // Let it connect and draw the console (a kernel message on the serial
    // port can share the line with a marker: markers are matched at ends).
    std::thread::sleep(Duration::from_secs(4));
    let xdotool = |args: &[&str]| {
        let ok = Command::new("xdotool")
            .args(args)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "xdotool {args:?}");
    };
    xdotool(&["windowfocus", "--sync", &window]);
    // gvncviewer takes keys once its display was clicked.
    xdotool(&["mousemove", "--window", &window, "100", "100", "click", "1"]);
    let mut out = Vec::new();
    for i in 0..12 {
        let marker = format!("KEYLAT-{who}-{i}");
        xdotool(&[
            "type",
            "--delay",
            "30",
            &format!("echo {marker} > /dev/ttyS0"),
        ]);
        std::thread::sleep(Duration::from_millis(300));
        let t0 = Instant::now();
        xdotool(&["key", "Return"]);
        let seen = common::wait_for(
            "the marker on the serial port",
            Duration::from_secs(10),
            || {
                std::fs::read_to_string(serial_log)
                    .ok()?
                    .lines()
                    .any(|l| l.trim_end().ends_with(&marker))
                    .then(|| t0.elapsed())
            },
        );
        if let Ok(d) = seen {
            out.push(d.as_secs_f64() * 1000.0);
        }
    }
    save_screen(&format!("keys-{who}"));
    let _ = child.kill();
    let _ = child.wait();
    out
}

/// Define `xml` with a `kind` (`vnc`, `spice`) display on TCP (gvncviewer
/// cannot use a UNIX socket), start it and wait for its shell on `tty`; the
/// VM and its serial log.
fn boot_on_tcp(
    rt: &tokio::runtime::Runtime,
    conn: &Connection,
    daemon: &common::daemon::Daemon,
    name: &str,
    xml: &str,
    tty: &str,
    kind: &str,
) -> (vireo::core::libvirt::DomainSummary, std::path::PathBuf) {
    let start = xml.find("<graphics").unwrap();
    let end = xml.find("</graphics>").unwrap() + "</graphics>".len();
    let xml = format!(
        "{}<graphics type='{kind}' autoport='yes' listen='127.0.0.1'/>{}",
        &xml[..start],
        &xml[end..]
    );
    let vm = rt.block_on(conn.define_xml(&xml)).unwrap();
    rt.block_on(conn.start(&vm.uuid))
        .unwrap_or_else(|e| panic!("{e}\n{}", daemon.logs()));
    let serial_log = daemon.vm_dir().join(format!("{name}.serial.log"));
    let ready = format!("TINY-SHELL-READY on {tty}");
    common::wait_for("the guest's shell", Duration::from_secs(120), || {
        std::fs::read_to_string(&serial_log)
            .ok()
            .filter(|s| s.contains(&ready))
    })
    .unwrap_or_else(|e| {
        panic!(
            "{e}\n{}",
            std::fs::read_to_string(&serial_log).unwrap_or_default()
        )
    });
    (vm, serial_log)
}

/// The running VM's display port (VNC or SPICE).
fn vnc_port(rt: &tokio::runtime::Runtime, conn: &Connection, uuid: &str) -> u16 {
    let live = rt.block_on(conn.domain_xml(uuid, false)).unwrap();
    graphics_of(&live).unwrap()[0].port.expect("a display port")
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn main() {
    if let Ok(spec) = std::env::var("VIREO_BENCH_CLIENT") {
        return client(&spec);
    }
    // `cargo test --all-targets` runs benchmarks too; only `cargo bench`
    // (which passes --bench) measures.
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("console benchmark: run it with `make bench`");
        return;
    }
    if std::env::var_os("DISPLAY").is_none() {
        eprintln!("console benchmark skipped: no X display (run it through `make bench`)");
        return;
    }
    let gvncviewer = Command::new("sh")
        .args(["-c", "command -v gvncviewer"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !gvncviewer {
        eprintln!("console benchmark skipped: gvncviewer is missing (`make bench` installs it)");
        return;
    }
    let daemon = common::daemon::Daemon::start();
    let files = common::guest::install(&daemon);
    let vm_dir = daemon.vm_dir();
    let rt = common::runtime();
    let conn = rt.block_on(Connection::open(&daemon.uri)).unwrap();
    let me = std::env::current_exe().unwrap();

    println!(
        "Console throughput against QEMU's VNC server (tiny guest redrawing its whole screen):"
    );
    // VESA modes set by the kernel's real-mode setup (vga=0x200+mode):
    // 0x118 is 1024x768 at 24 bits, SeaVGABIOS's 0x192 1920x1080 at 32.
    // VIREO_BENCH_ROUNDS=N: turns per client and size (2).
    let rounds: u32 = std::env::var("VIREO_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    // VIREO_BENCH_ONLY=keys measures key latency only.
    let sizes: &[(u32, u32, &str)] = if std::env::var("VIREO_BENCH_ONLY").as_deref() == Ok("keys") {
        &[]
    } else {
        &[(1024, 768, "0x318"), (1920, 1080, "0x392")]
    };
    // VIREO_BENCH_ONLY=spice measures the SPICE clients only.
    let spice_only = std::env::var("VIREO_BENCH_ONLY").as_deref() == Ok("spice");
    for &(w, h, mode) in sizes.iter().filter(|_| !spice_only) {
        let name = format!("bench-{w}x{h}");
        let xml = common::guest::domain_xml(&name, common::guest::Boot::Direct, &files, &vm_dir)
            .replace(
                "console=tty0 console=ttyS0,115200",
                &format!("console=tty0 console=ttyS0,115200 vga={mode}"),
            );
        let (vm, serial_log) = boot_on_tcp(&rt, &conn, &daemon, &name, &xml, "/dev/ttyS0", "vnc");
        let mut serial =
            std::os::unix::net::UnixStream::connect(vm_dir.join(format!("{name}.serial.sock")))
                .unwrap();
        serial.write_all(b"fb-redraw &\n").unwrap();
        let ready = common::wait_for("the redraw loop", Duration::from_secs(180), || {
            std::fs::read_to_string(&serial_log)
                .ok()?
                .lines()
                .find(|l| l.contains("FB-REDRAW "))
                .map(str::to_owned)
        })
        .unwrap_or_else(|e| {
            panic!(
                "{e}\n{}",
                std::fs::read_to_string(&serial_log).unwrap_or_default()
            )
        });
        let port = vnc_port(&rt, &conn, &vm.uuid);

        let ours = || {
            let mut c = Command::new(&me);
            c.env("VIREO_BENCH_CLIENT", format!("127.0.0.1:{port}:{w}:{h}"))
                .env("VIREO_GVNC_DEBUG", "1")
                .env("G_MESSAGES_DEBUG", "all");
            c
        };
        let theirs = || {
            let mut c = Command::new("gvncviewer");
            c.args(["--gtk-vnc-debug", &format!("127.0.0.1:{}", port - 5900)])
                .env("G_MESSAGES_DEBUG", "all");
            c
        };
        // The guest's own redraw rate drifts (TCG): the clients take turns,
        // ROUNDS times each, so neither gets only the good or bad stretches.
        let mut runs = Vec::new();
        let perf = std::env::var_os("VIREO_BENCH_PERF");
        for round in 1..=rounds {
            let vireo = measure(ours(), &format!("fb-vireo-{w}x{h}"));
            // Profile only Vireo's client, once.
            // SAFETY: single-threaded here; the measuring threads do not read the environment.
            unsafe { std::env::remove_var("VIREO_BENCH_PERF") };
            let gvnc = measure(theirs(), &format!("fb-gvncviewer-{w}x{h}"));
            runs.push((round, vireo, gvnc));
        }
        if let Some(perf) = perf {
            // SAFETY: as above.
            unsafe {
                std::env::set_var(
                    "VIREO_BENCH_PERF",
                    format!("{}-{w}", perf.to_string_lossy()),
                )
            };
        }
        println!("  {w}x{h} ({}):", ready.trim());
        for (round, vireo, gvnc) in &runs {
            for (who, f) in [("Vireo", vireo), ("gvncviewer", gvnc)] {
                println!(
                    "    {round}. {who:<10} {:>6.1} updates/s   {:>6.2} ms CPU per update ({:>5.1} % of a core), X server {:>5.2} ms per update",
                    f.updates_per_s, f.cpu_ms_per_update, f.cpu_percent, f.x_ms_per_update
                );
                if who == "Vireo" {
                    println!("                  {:>6.1} frames painted/s", f.frames_per_s);
                }
            }
        }
        rt.block_on(conn.force_off(&vm.uuid)).ok();
        rt.block_on(conn.undefine(&vm.uuid)).ok();
    }

    // SPICE, beside virt-viewer's remote-viewer, on the same redrawing guest.
    let remote_viewer = Command::new("sh")
        .args(["-c", "command -v remote-viewer"])
        .output()
        .is_ok_and(|o| o.status.success());
    if remote_viewer && !sizes.is_empty() {
        println!(
            "SPICE throughput (QEMU's SPICE server, the same guest; decoded screens per second, whole screens' worth of image pixels):"
        );
    }
    for &(w, h, mode) in sizes.iter().filter(|_| remote_viewer) {
        let name = format!("bench-spice-{w}x{h}");
        let xml = common::guest::domain_xml(&name, common::guest::Boot::Direct, &files, &vm_dir)
            .replace(
                "console=tty0 console=ttyS0,115200",
                &format!("console=tty0 console=ttyS0,115200 vga={mode}"),
            );
        let (vm, serial_log) = boot_on_tcp(&rt, &conn, &daemon, &name, &xml, "/dev/ttyS0", "spice");
        let mut serial =
            std::os::unix::net::UnixStream::connect(vm_dir.join(format!("{name}.serial.sock")))
                .unwrap();
        serial.write_all(b"fb-redraw &\n").unwrap();
        common::wait_for("the redraw loop", Duration::from_secs(180), || {
            std::fs::read_to_string(&serial_log)
                .ok()?
                .contains("FB-REDRAW ")
                .then_some(())
        })
        .unwrap();
        let port = vnc_port(&rt, &conn, &vm.uuid);
        let screen = Count::SpiceScreens(u64::from(w) * u64::from(h));
        let mut runs = Vec::new();
        for round in 1..=rounds {
            let mut ours = Command::new(&me);
            ours.env(
                "VIREO_BENCH_CLIENT",
                format!("spice:127.0.0.1:{port}:{w}:{h}"),
            )
            .env("SPICE_DEBUG", "1");
            let vireo = measure_counting(ours, &format!("spice-vireo-{w}x{h}"), screen);
            let mut theirs = Command::new("remote-viewer");
            theirs
                .arg(format!("spice://127.0.0.1:{port}"))
                .env("SPICE_DEBUG", "1");
            let rv = measure_counting(theirs, &format!("spice-remote-viewer-{w}x{h}"), screen);
            runs.push((round, vireo, rv));
        }
        println!("  {w}x{h}:");
        for (round, vireo, rv) in &runs {
            for (who, f) in [("Vireo", vireo), ("remote-viewer", rv)] {
                println!(
                    "    {round}. {who:<13} {:>6.1} screens/s   {:>6.2} ms CPU per screen ({:>5.1} % of a core), X server {:>5.2} ms per screen",
                    f.updates_per_s, f.cpu_ms_per_update, f.cpu_percent, f.x_ms_per_update
                );
            }
        }
        rt.block_on(conn.force_off(&vm.uuid)).ok();
        rt.block_on(conn.undefine(&vm.uuid)).ok();
    }

    // Typing into an idle guest's text console, each client the same way.
    let mut results: Vec<(&str, Vec<f64>)> = Vec::new();
    if remote_viewer {
        let name = "bench-spice-keys";
        let xml = common::guest::domain_xml(name, common::guest::Boot::Direct, &files, &vm_dir);
        let (vm, serial_log) = boot_on_tcp(&rt, &conn, &daemon, name, &xml, "/dev/tty1", "spice");
        let port = vnc_port(&rt, &conn, &vm.uuid);
        let mut ours = Command::new(&me);
        ours.env(
            "VIREO_BENCH_CLIENT",
            format!("spice:127.0.0.1:{port}:720:400"),
        );
        results.push((
            "Vireo (SPICE)",
            key_latency(ours, &serial_log, "vireo-spice"),
        ));
        let mut theirs = Command::new("remote-viewer");
        theirs.arg(format!("spice://127.0.0.1:{port}"));
        results.push((
            "remote-viewer",
            key_latency(theirs, &serial_log, "remote-viewer"),
        ));
        rt.block_on(conn.force_off(&vm.uuid)).ok();
        rt.block_on(conn.undefine(&vm.uuid)).ok();
    }
    if spice_only {
        print_latencies(&mut results);
        return;
    }
    let name = "bench-keys";
    let xml = common::guest::domain_xml(name, common::guest::Boot::Direct, &files, &vm_dir);
    let (vm, serial_log) = boot_on_tcp(&rt, &conn, &daemon, name, &xml, "/dev/tty1", "vnc");
    let port = vnc_port(&rt, &conn, &vm.uuid);
    let mut ours = Command::new(&me);
    ours.env("VIREO_BENCH_CLIENT", format!("127.0.0.1:{port}:720:400"));
    results.insert(0, ("Vireo (VNC)", key_latency(ours, &serial_log, "vireo")));
    let mut theirs = Command::new("gvncviewer");
    theirs.arg(format!("127.0.0.1:{}", port - 5900));
    results.insert(
        1,
        ("gvncviewer", key_latency(theirs, &serial_log, "gvncviewer")),
    );
    print_latencies(&mut results);
    rt.block_on(conn.force_off(&vm.uuid)).ok();
    rt.block_on(conn.undefine(&vm.uuid)).ok();
}

fn print_latencies(results: &mut [(&str, Vec<f64>)]) {
    println!(
        "Key press to guest (Return typed, the guest's shell writes to its serial port; 12 tries):"
    );
    for (who, v) in results.iter_mut() {
        let n = v.len();
        let max = v.iter().copied().fold(f64::NAN, f64::max);
        println!(
            "    {who:<14} median {:>6.1} ms, max {:>6.1} ms ({n} of 12 arrived)",
            median(v),
            max
        );
    }
}
