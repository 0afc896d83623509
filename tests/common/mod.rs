//! Shared test harness: paths, the tiny guest, the private libvirt daemon.
#![allow(dead_code)]

pub mod agent;
pub mod daemon;
pub mod guest;
pub mod hosts;
pub mod netns;
pub mod shell;
pub mod sshd;

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `target/` of this build.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// The demo host of the test driver.
pub fn demo_uri() -> String {
    format!(
        "test://{}",
        root().join("tests/data/testdriver/demo.xml").display()
    )
}

/// A test-driver URI for a fixture under tests/data/testdriver.
pub fn fixture_uri(name: &str) -> String {
    format!(
        "test://{}",
        root().join("tests/data/testdriver").join(name).display()
    )
}

/// Poll `check` until it gives `Some`, or fail with `what` after `timeout`.
pub fn wait_for<T>(
    what: &str,
    timeout: Duration,
    mut check: impl FnMut() -> Option<T>,
) -> Result<T, String> {
    let start = Instant::now();
    loop {
        if let Some(v) = check() {
            return Ok(v);
        }
        if start.elapsed() > timeout {
            return Err(format!("timed out after {:?} waiting for {what}", timeout));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A new, empty directory under the temporary directory, unique to this
/// process and call: `vireo-{what}-{pid}-{n}`.
pub fn fresh_dir(what: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "vireo-{what}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A single-threaded tokio runtime to drive the core's async handle.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Validate `xml` with libvirt's RNG schema `schema` (virt-xml-validate);
/// panics with xmllint's complaint and the document.
pub fn validate_xml(xml: &str, schema: &str, what: &str) {
    let dir = fresh_dir("validate");
    let file = dir.join(format!("{}.xml", what.replace(['/', ' '], "_")));
    std::fs::write(&file, xml).unwrap();
    let out = std::process::Command::new("virt-xml-validate")
        .arg(&file)
        .arg(schema)
        .output()
        .expect("virt-xml-validate (libvirt-clients and libxml2-utils)");
    assert!(
        out.status.success(),
        "{what} does not validate as {schema}:\n{}{}\n{xml}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_file(file);
}

/// The middle of a benchmark's measurements.
pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// How many rounds a benchmark runs: `VIREO_BENCH_ROUNDS`, else `default`.
pub fn bench_rounds(default: usize) -> usize {
    std::env::var("VIREO_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
