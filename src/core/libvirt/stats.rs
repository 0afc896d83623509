//! Usage statistics: one bulk `virConnectGetAllDomainStats` call per
//! interval per connection (never a call per domain), and the arithmetic
//! that turns two samples into CPU %, memory in use and I/O rates.
//!
//! virt 0.5's `all_domain_stats` frees the record list with `free()` and
//! leaks every record, so the call and its typed parameters are read here,
//! with `virDomainStatsRecordListFree`.

use std::ffi::{CStr, c_char};
use std::time::Duration;

use virt::connect::Connect;
use virt::sys;

use super::Error;

/// The raw counters of one domain at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DomainStats {
    pub uuid: String,
    /// `state.state`, as libvirt numbers it.
    pub state: Option<u32>,
    /// `cpu.time`: guest CPU time in nanoseconds.
    pub cpu_time_ns: Option<u64>,
    /// `vcpu.current`
    pub vcpus: Option<u32>,
    /// `balloon.current` (KiB): memory the guest has.
    pub balloon_current_kib: Option<u64>,
    /// `balloon.available` and `balloon.usable` (KiB), reported by a guest
    /// with a balloon driver.
    pub balloon_available_kib: Option<u64>,
    pub balloon_usable_kib: Option<u64>,
    /// `balloon.rss` (KiB): what QEMU holds on the host.
    pub balloon_rss_kib: Option<u64>,
    /// Sums over `block.N.rd.bytes` / `wr.bytes` and `net.N.rx.bytes` / `tx.bytes`.
    pub block_read_bytes: u64,
    pub block_write_bytes: u64,
    pub net_rx_bytes: u64,
    pub net_tx_bytes: u64,
}

/// Usage between two samples of one domain.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Usage {
    /// Guest CPU use, 0–100 % of its vCPUs; `None` when the driver reports
    /// no CPU time (the test driver).
    pub cpu_percent: Option<f64>,
    /// Memory in use by the guest, KiB (what the guest reports when it can,
    /// else what QEMU holds, else what the guest was given).
    pub memory_kib: Option<u64>,
    pub disk_read_bps: f64,
    pub disk_write_bps: f64,
    pub net_rx_bps: f64,
    pub net_tx_bps: f64,
}

fn rate(prev: u64, cur: u64, secs: f64) -> f64 {
    // Counters restart with the guest: never report a negative rate.
    if secs <= 0.0 || cur < prev {
        0.0
    } else {
        (cur - prev) as f64 / secs
    }
}

/// Usage from two samples taken `elapsed` apart.
pub fn usage(prev: &DomainStats, cur: &DomainStats, elapsed: Duration) -> Usage {
    let secs = elapsed.as_secs_f64();
    let cpu_percent = match (prev.cpu_time_ns, cur.cpu_time_ns) {
        (Some(a), Some(b)) if secs > 0.0 && b >= a => {
            let vcpus = f64::from(cur.vcpus.unwrap_or(1).max(1));
            Some(((b - a) as f64 / (secs * 1e9 * vcpus) * 100.0).clamp(0.0, 100.0))
        }
        (Some(_), Some(_)) => Some(0.0),
        _ => None,
    };
    let memory_kib = match (cur.balloon_available_kib, cur.balloon_usable_kib) {
        (Some(avail), Some(usable)) if usable <= avail => Some(avail - usable),
        _ => cur.balloon_rss_kib.or(cur.balloon_current_kib),
    };
    Usage {
        cpu_percent,
        memory_kib,
        disk_read_bps: rate(prev.block_read_bytes, cur.block_read_bytes, secs),
        disk_write_bps: rate(prev.block_write_bytes, cur.block_write_bytes, secs),
        net_rx_bps: rate(prev.net_rx_bytes, cur.net_rx_bytes, secs),
        net_tx_bps: rate(prev.net_tx_bytes, cur.net_tx_bytes, secs),
    }
}

fn param_u64(p: &sys::virTypedParameter) -> Option<u64> {
    // SAFETY: the union member read is the one `type_` names.
    unsafe {
        match p.type_ as u32 {
            sys::VIR_TYPED_PARAM_INT => u64::try_from(p.value.i).ok(),
            sys::VIR_TYPED_PARAM_UINT => Some(u64::from(p.value.ui)),
            sys::VIR_TYPED_PARAM_LLONG => u64::try_from(p.value.l).ok(),
            sys::VIR_TYPED_PARAM_ULLONG => Some(p.value.ul),
            _ => None,
        }
    }
}

/// Fold one typed parameter into the record.
fn absorb(stats: &mut DomainStats, field: &str, value: u64) {
    let parts: Vec<&str> = field.split('.').collect();
    match parts.as_slice() {
        ["state", "state"] => stats.state = u32::try_from(value).ok(),
        ["cpu", "time"] => stats.cpu_time_ns = Some(value),
        ["vcpu", "current"] => stats.vcpus = u32::try_from(value).ok(),
        ["balloon", "current"] => stats.balloon_current_kib = Some(value),
        ["balloon", "available"] => stats.balloon_available_kib = Some(value),
        ["balloon", "usable"] => stats.balloon_usable_kib = Some(value),
        ["balloon", "rss"] => stats.balloon_rss_kib = Some(value),
        ["block", _, "rd", "bytes"] => stats.block_read_bytes += value,
        ["block", _, "wr", "bytes"] => stats.block_write_bytes += value,
        ["net", _, "rx", "bytes"] => stats.net_rx_bytes += value,
        ["net", _, "tx", "bytes"] => stats.net_tx_bytes += value,
        _ => {}
    }
}

/// One `virConnectGetAllDomainStats` call: `each` gets every record's
/// domain (alive until the call returns), its UUID and its numeric
/// parameters as (field, value); the record list is freed after.
pub(super) fn bulk(
    conn: &Connect,
    wanted: u32,
    flags: u32,
    mut each: impl FnMut(sys::virDomainPtr, String, &[(&str, u64)]),
) -> Result<(), Error> {
    let mut records: *mut sys::virDomainStatsRecordPtr = std::ptr::null_mut();
    // SAFETY: libvirt fills `records` with `n` records, freed below.
    let n = unsafe { sys::virConnectGetAllDomainStats(conn.as_ptr(), wanted, &mut records, flags) };
    if n < 0 {
        return Err(virt::error::Error::last_error().into());
    }
    let mut fields = Vec::new();
    for i in 0..n as usize {
        // SAFETY: `i < n`; each record, its domain and its parameters live
        // until the list is freed.
        let record = unsafe { &**records.add(i) };
        let mut buf = [0 as c_char; 48];
        if unsafe { sys::virDomainGetUUIDString(record.dom, buf.as_mut_ptr()) } != 0 {
            continue;
        }
        let uuid = unsafe { CStr::from_ptr(buf.as_ptr()) }
            .to_string_lossy()
            .into_owned();
        let params: &[sys::virTypedParameter] = if record.params.is_null() || record.nparams <= 0 {
            &[]
        } else {
            unsafe { std::slice::from_raw_parts(record.params, record.nparams as usize) }
        };
        fields.clear();
        fields.extend(params.iter().filter_map(|p| {
            let field = unsafe { CStr::from_ptr(p.field.as_ptr()) }.to_str().ok()?;
            Some((field, param_u64(p)?))
        }));
        each(record.dom, uuid, &fields);
    }
    if !records.is_null() {
        // SAFETY: the list libvirt allocated above, freed once.
        unsafe { sys::virDomainStatsRecordListFree(records) };
    }
    Ok(())
}

/// One bulk call for every running domain of the connection.
pub(super) fn collect(conn: &Connect) -> Result<Vec<DomainStats>, Error> {
    let wanted = sys::VIR_DOMAIN_STATS_STATE
        | sys::VIR_DOMAIN_STATS_CPU_TOTAL
        | sys::VIR_DOMAIN_STATS_BALLOON
        | sys::VIR_DOMAIN_STATS_VCPU
        | sys::VIR_DOMAIN_STATS_INTERFACE
        | sys::VIR_DOMAIN_STATS_BLOCK;
    // Stopped domains have no usage: asking only for running ones keeps a
    // host of many stopped guests cheap.
    let flags = sys::VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE;
    let mut out = Vec::new();
    bulk(conn, wanted, flags, |_, uuid, fields| {
        let mut stats = DomainStats {
            uuid,
            ..Default::default()
        };
        for (field, value) in fields {
            absorb(&mut stats, field, *value);
        }
        out.push(stats);
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_become_rates_and_percentages() {
        let mut a = DomainStats {
            cpu_time_ns: Some(1_000_000_000),
            vcpus: Some(2),
            ..Default::default()
        };
        for (f, v) in [
            ("block.0.rd.bytes", 1000),
            ("block.1.rd.bytes", 500),
            ("net.0.tx.bytes", 10),
        ] {
            absorb(&mut a, f, v);
        }
        assert_eq!(a.block_read_bytes, 1500);
        let mut b = a.clone();
        b.cpu_time_ns = Some(2_000_000_000); // one CPU-second in two seconds on two vCPUs
        absorb(&mut b, "block.0.rd.bytes", 4000);
        absorb(&mut b, "net.0.tx.bytes", 1990);
        let u = usage(&a, &b, Duration::from_secs(2));
        assert!(
            (u.cpu_percent.unwrap() - 25.0).abs() < 1e-9,
            "{:?}",
            u.cpu_percent
        );
        assert_eq!(u.disk_read_bps, 2000.0);
        assert_eq!(u.net_tx_bps, 995.0);
    }

    #[test]
    fn memory_prefers_what_the_guest_reports() {
        let mut s = DomainStats {
            balloon_current_kib: Some(4096),
            balloon_rss_kib: Some(3000),
            ..Default::default()
        };
        assert_eq!(usage(&s, &s, Duration::from_secs(1)).memory_kib, Some(3000));
        s.balloon_available_kib = Some(4000);
        s.balloon_usable_kib = Some(1000);
        assert_eq!(usage(&s, &s, Duration::from_secs(1)).memory_kib, Some(3000));
        s.balloon_rss_kib = None;
        s.balloon_available_kib = None;
        assert_eq!(usage(&s, &s, Duration::from_secs(1)).memory_kib, Some(4096));
    }

    #[test]
    fn restarts_and_zero_intervals_give_zero_not_nonsense() {
        let a = DomainStats {
            cpu_time_ns: Some(5_000),
            block_write_bytes: 900,
            ..Default::default()
        };
        let b = DomainStats {
            cpu_time_ns: Some(10),
            block_write_bytes: 100,
            ..Default::default()
        };
        let u = usage(&a, &b, Duration::from_secs(1));
        assert_eq!((u.cpu_percent, u.disk_write_bps), (Some(0.0), 0.0));
        assert_eq!(usage(&a, &a, Duration::ZERO).cpu_percent, Some(0.0));
        let none = DomainStats::default();
        assert_eq!(
            usage(&none, &none, Duration::from_secs(1)).cpu_percent,
            None,
            "no CPU time, no figure"
        );
    }
}
