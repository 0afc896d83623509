//! `make bench`: figures for the core, printed, never judged.
//!
//! Later issues add their benchmarks here (XML parse/write, statistics).

use std::time::{Duration, Instant};

use vireo::core::libvirt::Connection;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn report(name: &str, iterations: u32, total: Duration) {
    let per = total / iterations;
    println!(
        "{name:<48} {iterations:>7} runs  {:>12.1} µs/run",
        per.as_secs_f64() * 1e6
    );
}

/// A test-driver host with `n` domains, written to a temporary file.
fn big_host(n: usize) -> std::path::PathBuf {
    let mut xml = String::from("<node>\n");
    for i in 0..n {
        xml.push_str(&format!(
            "<domain type='test'><name>vm-{i:05}</name><memory>65536</memory><os><type>hvm</type></os></domain>\n"
        ));
    }
    xml.push_str("</node>\n");
    let path = std::env::temp_dir().join(format!("vireo-bench-{n}.xml"));
    std::fs::write(&path, xml).unwrap();
    path
}

fn main() {
    let rt = runtime();
    let demo = format!(
        "test://{}/tests/data/testdriver/demo.xml",
        env!("CARGO_MANIFEST_DIR")
    );

    let n = 50;
    let start = Instant::now();
    for _ in 0..n {
        let conn = rt.block_on(Connection::open(&demo)).unwrap();
        drop(conn);
    }
    report(
        "open + close the demo host (test driver)",
        n,
        start.elapsed(),
    );

    let conn = rt.block_on(Connection::open(&demo)).unwrap();
    let n = 500;
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(rt.block_on(conn.list_domains()).unwrap());
    }
    report("list 12 domains through the actor", n, start.elapsed());

    for size in [1000, 5000] {
        let path = big_host(size);
        let uri = format!("test://{}", path.display());
        let conn = rt.block_on(Connection::open(&uri)).unwrap();
        let n = 10;
        let start = Instant::now();
        for _ in 0..n {
            let list = rt.block_on(conn.list_domains()).unwrap();
            assert_eq!(list.len(), size);
        }
        report(
            &format!("list {size} domains through the actor"),
            n,
            start.elapsed(),
        );
        drop(conn);
        let _ = std::fs::remove_file(path);
    }

    let args = [
        "--connect",
        "qemu+ssh://root@host/system",
        "--show-domain-console",
        "web",
    ];
    let n = 100_000;
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(vireo::core::cli::parse(args).unwrap());
    }
    report("parse a command line", n, start.elapsed());
}
