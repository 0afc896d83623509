//! A host's load for its header in the VM list: the node's CPU time
//! counters (`virNodeGetCPUStats`, all CPUs) and its memory
//! (`virNodeGetMemoryStats`, or the node's size and free memory where the
//! driver has no memory statistics). Two samples make a CPU percentage.

use std::ffi::CStr;

use virt::connect::Connect;
use virt::sys;

use super::Error;

/// One sample of a host's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HostLoad {
    /// CPU time spent working (user, kernel, …) and in all, ns, summed over
    /// every CPU; `None` when the host does not say.
    pub cpu_busy_ns: Option<u64>,
    pub cpu_total_ns: Option<u64>,
    /// Memory, KiB.
    pub memory_total_kib: Option<u64>,
    /// Free for guests: free plus buffers and page cache.
    pub memory_free_kib: Option<u64>,
}

impl HostLoad {
    /// CPU use between two samples, 0–100 %.
    pub fn cpu_percent(prev: &HostLoad, now: &HostLoad) -> Option<f64> {
        let busy = now.cpu_busy_ns?.checked_sub(prev.cpu_busy_ns?)?;
        let total = now.cpu_total_ns?.checked_sub(prev.cpu_total_ns?)?;
        (total > 0).then(|| (busy as f64 * 100.0 / total as f64).clamp(0.0, 100.0))
    }

    /// Memory in use, KiB.
    pub fn memory_used_kib(&self) -> Option<u64> {
        Some(self.memory_total_kib?.saturating_sub(self.memory_free_kib?))
    }
}

/// Read the `virNodeGetCPUStats` / `virNodeGetMemoryStats` records.
fn node_params(
    call: impl Fn(*mut sys::virNodeCPUStats, *mut i32) -> i32,
) -> Option<Vec<(String, u64)>> {
    let mut n = 0;
    if call(std::ptr::null_mut(), &mut n) < 0 || n <= 0 {
        return None;
    }
    let mut records: Vec<sys::virNodeCPUStats> = vec![
        sys::virNodeCPUStats {
            field: [0; 80],
            value: 0,
        };
        n as usize
    ];
    if call(records.as_mut_ptr(), &mut n) < 0 {
        return None;
    }
    Some(
        records
            .iter()
            .take(n.max(0) as usize)
            .map(|r| {
                // SAFETY: libvirt writes NUL-terminated field names.
                let name = unsafe { CStr::from_ptr(r.field.as_ptr()) }
                    .to_string_lossy()
                    .into_owned();
                (name, r.value)
            })
            .collect(),
    )
}

/// A sample of the host's counters; what the driver does not report is `None`.
pub(super) fn sample(conn: &Connect) -> Result<HostLoad, Error> {
    let mut load = HostLoad::default();
    let cpu = node_params(|records, n| {
        // SAFETY: a live connection; `records` holds `*n` entries (or is NULL to count).
        unsafe {
            sys::virNodeGetCPUStats(
                conn.as_ptr(),
                sys::VIR_NODE_CPU_STATS_ALL_CPUS,
                records,
                n,
                0,
            )
        }
    });
    if let Some(cpu) = cpu {
        let get = |k: &str| cpu.iter().find(|(n, _)| n == k).map(|(_, v)| *v);
        let busy = ["kernel", "user"]
            .iter()
            .filter_map(|k| get(k))
            .sum::<u64>();
        let idle = get("idle").unwrap_or(0) + get("iowait").unwrap_or(0);
        if get("idle").is_some() {
            load.cpu_busy_ns = Some(busy);
            load.cpu_total_ns = Some(busy + idle);
        }
    }
    let memory = node_params(|records, n| {
        // SAFETY: as above; virNodeMemoryStats has the same layout as
        // virNodeCPUStats (an 80-byte name and a 64-bit value).
        unsafe {
            sys::virNodeGetMemoryStats(
                conn.as_ptr(),
                sys::VIR_NODE_MEMORY_STATS_ALL_CELLS,
                records.cast(),
                n,
                0,
            )
        }
    });
    match memory {
        Some(mem) => {
            let get = |k: &str| mem.iter().find(|(n, _)| n == k).map(|(_, v)| *v);
            load.memory_total_kib = get("total");
            load.memory_free_kib =
                get("free").map(|f| f + get("buffers").unwrap_or(0) + get("cached").unwrap_or(0));
        }
        None => {
            if let Ok(info) = conn.node_info() {
                load.memory_total_kib = Some(info.memory);
            }
            load.memory_free_kib = conn.free_memory().ok().map(|b| b / 1024);
        }
    }
    Ok(load)
}

impl super::Connection {
    /// A sample of the host's CPU and memory counters.
    pub async fn host_load(&self) -> Result<HostLoad, Error> {
        self.ask(|reply| super::Request::HostLoad { reply }).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_percent_comes_from_two_samples() {
        let a = HostLoad {
            cpu_busy_ns: Some(1_000),
            cpu_total_ns: Some(10_000),
            ..Default::default()
        };
        let b = HostLoad {
            cpu_busy_ns: Some(3_500),
            cpu_total_ns: Some(20_000),
            memory_total_kib: Some(1000),
            memory_free_kib: Some(250),
        };
        assert_eq!(HostLoad::cpu_percent(&a, &b), Some(25.0));
        assert_eq!(HostLoad::cpu_percent(&b, &a), None, "counters went back");
        assert_eq!(HostLoad::cpu_percent(&a, &a), None);
        assert_eq!(b.memory_used_kib(), Some(750));
        assert_eq!(a.memory_used_kib(), None);
    }
}
