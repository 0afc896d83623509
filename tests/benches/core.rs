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
    // `cargo test --all-targets` runs benchmarks too; only `cargo bench`
    // (which passes --bench) measures.
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("core benchmark: run it with `make bench`");
        return;
    }
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

    xml_benchmarks();

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

/// Parse + write throughput of the lossless XML layer.
fn xml_benchmarks() {
    use vireo::core::xml::{Document, builder};

    let mut big = vireo::core::xml::builder::DomainBuilder::new("big", 1 << 20, 2);
    for i in 0..200 {
        let dev = match i % 4 {
            0 => builder::disk_file(
                &format!("/var/lib/libvirt/images/d{i}.qcow2"),
                "qcow2",
                &format!("vd{i}"),
                "virtio",
            ),
            1 => builder::interface_network(
                "default",
                "virtio",
                Some(&format!("52:54:00:00:{:02x}:{:02x}", i / 256, i % 256)),
            ),
            2 => builder::controller("pci", i, Some("pcie-root-port")),
            _ => builder::serial_pty(),
        };
        big = big.device(dev);
    }
    let big = big.build();
    throughput("parse + write a domain with 200 devices", &[big]);

    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/xml/corpus");
    let mut corpus = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            corpus.push(std::fs::read_to_string(e.path()).unwrap());
        }
    }
    throughput(
        &format!("parse + write the corpus ({} documents)", corpus.len()),
        &corpus,
    );

    fn throughput(name: &str, docs: &[String]) {
        let bytes: usize = docs.iter().map(String::len).sum();
        if bytes == 0 {
            return;
        }
        let rounds = (50_000_000 / bytes).max(3);
        let start = Instant::now();
        for _ in 0..rounds {
            for d in docs {
                let doc = Document::parse(d).unwrap();
                std::hint::black_box(doc.to_xml_string());
            }
        }
        let secs = start.elapsed().as_secs_f64();
        let mb = (bytes * rounds) as f64 / 1e6;
        println!(
            "{name:<48} {:>7.1} MB/s  ({} KB, {rounds} rounds)",
            mb / secs,
            bytes / 1000
        );
    }
}
