//! A shut-off VM's disks, copied to the destination before its definition
//! moves: libvirt's migration copies only a running guest's disks, so each
//! source volume is streamed into its new destination volume through the
//! storage API (which works between remote hosts too), with progress and
//! Cancel.

use std::time::Duration;

use virt::connect::Connect;
use virt::sys;

use super::super::Error;
use super::{MigrateJob, Progress, cancelled};
use std::sync::atomic::Ordering;

/// Stream each source volume (`sources`, by path) into its new destination
/// volume, reporting progress and stopping when cancelled.
pub(super) fn copy_volumes(
    src: &Connect,
    dest: &Connect,
    sources: &[String],
    targets: &[virt::storage_vol::StorageVol],
    job: &MigrateJob,
) -> Result<(), Error> {
    let mut volumes = Vec::new();
    for path in sources {
        let vol = src.lookup_storage_vol_by_path(path)?;
        // The bytes libvirt sends: the image file's physical size.
        let size = vol
            .info_flags(sys::VIR_STORAGE_VOL_GET_PHYSICAL)
            .map(|i| i.allocation)
            .or_else(|_| vol.info().map(|i| i.capacity))?;
        volumes.push((vol, size));
    }
    let total: u64 = volumes.iter().map(|(_, s)| s).sum();
    let started = std::time::Instant::now();
    let mut reported = started;
    let mut done = 0u64;
    let report = |done: u64| {
        if let Some(tx) = &job.progress {
            let elapsed = started.elapsed();
            let _ = tx.send(Progress {
                elapsed_ms: elapsed.as_millis() as u64,
                total,
                processed: done,
                remaining: total - done,
                mem_remaining: None,
                disk_remaining: Some(total - done),
                rate: (elapsed.as_secs_f64() > 0.0)
                    .then(|| (done as f64 / elapsed.as_secs_f64()) as u64),
                downtime_ms: None,
            });
        }
    };
    for ((vol, size), target) in volumes.iter().zip(targets) {
        let down = virt::stream::Stream::new(src, 0)?;
        vol.download(&down, 0, 0, 0)?;
        let up = virt::stream::Stream::new(dest, 0)?;
        if let Err(e) = target.upload(&up, 0, *size, 0) {
            let _ = down.abort();
            return Err(e.into());
        }
        let mut buf = vec![0u8; 256 * 1024];
        let result = (|| -> Result<(), Error> {
            loop {
                if job.cancel.load(Ordering::SeqCst) {
                    return Err(cancelled());
                }
                let n = down.recv(&mut buf)?;
                if n <= 0 {
                    return Ok(());
                }
                let n = n as usize;
                let mut sent = 0;
                while sent < n {
                    let k = up.send(&buf[sent..n])?;
                    if k > 0 {
                        sent += k as usize;
                    }
                }
                done += n as u64;
                if reported.elapsed() >= Duration::from_millis(200) {
                    reported = std::time::Instant::now();
                    report(done);
                }
            }
        })();
        match result {
            Ok(()) => {
                down.finish()?;
                up.finish()?;
            }
            Err(e) => {
                let _ = down.abort();
                let _ = up.abort();
                return Err(e);
            }
        }
    }
    report(done);
    Ok(())
}
