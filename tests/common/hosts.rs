//! Several fake hosts on one machine: private session daemons of one user,
//! each with its own libvirt host UUID and migration ports, started in
//! parallel.

use super::daemon::Daemon;

/// The host UUID of fake host `i` (never all digits equal).
pub fn host_uuid(i: usize) -> String {
    format!("5e1f0000-0000-4000-8000-{:012x}", 0x1000 + i)
}

/// The migration ports of fake host `i`: 16 each, disjoint.
pub fn ports(i: usize) -> std::ops::RangeInclusive<u16> {
    let start = 49152 + 16 * i as u16;
    start..=start + 15
}

/// Start `n` hosts at once.
pub fn start(n: usize) -> Vec<Daemon> {
    let handles: Vec<_> = (0..n)
        .map(|i| std::thread::spawn(move || Daemon::start_host(&host_uuid(i), ports(i))))
        .collect();
    handles
        .into_iter()
        .map(|h| h.join().expect("a daemon started"))
        .collect()
}
