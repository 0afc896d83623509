//! Volume work on a connection: list a pool's volumes with the VMs that use
//! them, create, delete, resize and wipe, and copy a local file into a
//! volume or a volume into a local file through libvirt streams (so it works
//! on remote hosts too), with progress and Cancel.
//!
//! Wiping and the transfers run on worker threads with a clone of the
//! connection: the actor keeps answering meanwhile.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use virt::connect::Connect;
use virt::storage_vol::StorageVol;
use virt::stream::Stream;

use super::{Connection, Error, ErrorKind, Reply};
use crate::core::storage::{self, FoundSource, NewPool, NewVolume, ResizeProblem};
use crate::core::xml::Document;

/// A volume of a pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeInfo {
    pub name: String,
    pub path: String,
    /// `qcow2`, `raw`, `iso`…
    pub format: String,
    pub capacity: u64,
    pub allocation: u64,
    /// The VMs whose disks use it.
    pub users: Vec<String>,
}

/// Which way a volume's bytes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From a local file into the volume.
    Upload,
    /// From the volume into a local file.
    Download,
}

/// Bytes moved so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transfer {
    pub done: u64,
    pub total: u64,
}

/// A storage pool of the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolDetails {
    pub name: String,
    /// libvirt's type: `dir`, `netfs`, `logical`…
    pub kind: String,
    pub active: bool,
    pub autostart: bool,
    pub capacity: u64,
    pub allocation: u64,
    pub available: u64,
    /// Its folder (or device directory).
    pub path: Option<String>,
}

/// What can be done to a pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolAction {
    Start,
    Stop,
    Refresh,
    Autostart(bool),
    /// Stop and forget it; with `contents`, delete its volumes and (for
    /// folders) the folder first.
    Delete {
        contents: bool,
    },
}

/// One storage request.
#[derive(Debug)]
pub enum StorageRequest {
    /// Every pool, by name.
    Pools {
        reply: Reply<Vec<PoolDetails>>,
    },
    /// Pool sources of type `kind` (`logical`, `netfs`, `iscsi`) libvirt
    /// finds on the host or on server `host`.
    FindSources {
        kind: String,
        host: Option<String>,
        reply: Reply<Vec<FoundSource>>,
    },
    /// Define, build (folders), start and autostart a pool; undone on failure.
    CreatePool {
        pool: NewPool,
        reply: Reply<()>,
    },
    /// Start, stop, refresh, autostart or delete pool `name`.
    Pool {
        name: String,
        action: PoolAction,
        reply: Reply<()>,
    },
    /// The volumes of pool `pool` (refreshed first), by name.
    Volumes {
        pool: String,
        reply: Reply<Vec<VolumeInfo>>,
    },
    /// Create a volume in `pool`; replies with its path.
    CreateVolume {
        pool: String,
        volume: NewVolume,
        reply: Reply<String>,
    },
    DeleteVolume {
        path: String,
        reply: Reply<()>,
    },
    /// Give the volume at `path` a new capacity (shrinking needs `shrink`).
    Resize {
        path: String,
        capacity: u64,
        shrink: bool,
        reply: Reply<()>,
    },
    /// Overwrite the volume's data with zeros.
    Wipe {
        path: String,
        reply: Reply<()>,
    },
    /// Copy the local `file` into the volume at `path` (upload), or the
    /// volume into `file`, made anew (download).
    Stream {
        direction: Direction,
        path: String,
        file: PathBuf,
        progress: Option<mpsc::UnboundedSender<Transfer>>,
        cancel: Arc<AtomicBool>,
        reply: Reply<u64>,
    },
}

fn other(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Other, message)
}

fn cancelled() -> Error {
    Error::new(ErrorKind::Cancelled, "Cancelled.")
}

fn volume(conn: &Connect, path: &str) -> Result<StorageVol, Error> {
    conn.lookup_storage_vol_by_path(path).map_err(Error::from)
}

pub(super) fn serve(conn: &Connect, request: StorageRequest) {
    match request {
        StorageRequest::Pools { reply } => {
            let _ = reply.send(pools(conn));
        }
        StorageRequest::FindSources { kind, host, reply } => {
            let spec = host.as_deref().map(storage::source_spec);
            let _ = reply.send(
                conn.find_storage_pool_sources(&kind, spec.as_deref(), 0)
                    .map(|xml| storage::parse_sources(&xml))
                    .map_err(Error::from),
            );
        }
        StorageRequest::CreatePool { pool, reply } => {
            let _ = reply.send(create_pool(conn, &pool));
        }
        StorageRequest::Pool {
            name,
            action,
            reply,
        } => {
            let _ = reply.send(pool_action(conn, &name, action));
        }
        StorageRequest::Volumes { pool, reply } => {
            let _ = reply.send(volumes(conn, &pool));
        }
        StorageRequest::CreateVolume {
            pool,
            volume: v,
            reply,
        } => {
            let _ = reply.send(create(conn, &pool, &v));
        }
        StorageRequest::DeleteVolume { path, reply } => {
            let _ = reply.send(volume(conn, &path).and_then(|v| Ok(v.delete(0)?)));
        }
        StorageRequest::Resize {
            path,
            capacity,
            shrink,
            reply,
        } => {
            let _ = reply.send(resize(conn, &path, capacity, shrink));
        }
        StorageRequest::Wipe { path, reply } => {
            let conn = conn.clone();
            worker(reply, move || {
                volume(&conn, &path).and_then(|v| Ok(v.wipe(0)?))
            });
        }
        StorageRequest::Stream {
            direction,
            path,
            file,
            progress,
            cancel,
            reply,
        } => {
            let conn = conn.clone();
            worker(reply, move || match direction {
                Direction::Upload => upload(&conn, &path, &file, progress.as_ref(), &cancel),
                Direction::Download => download(&conn, &path, &file, progress.as_ref(), &cancel),
            });
        }
    }
}

fn worker<T: Send + 'static>(
    reply: Reply<T>,
    work: impl FnOnce() -> Result<T, Error> + Send + 'static,
) {
    let _ = std::thread::Builder::new()
        .name("libvirt storage".into())
        .spawn(move || {
            let _ = reply.send(work());
        });
}

fn pools(conn: &Connect) -> Result<Vec<PoolDetails>, Error> {
    let mut out = Vec::new();
    for pool in conn.list_all_storage_pools(0)? {
        let Ok(name) = pool.name() else { continue };
        let info = pool.info()?;
        let doc = pool.xml_desc(0).ok().and_then(|x| Document::parse(&x).ok());
        out.push(PoolDetails {
            name,
            kind: doc
                .as_ref()
                .and_then(|d| d.root.attr("type"))
                .unwrap_or_default(),
            active: pool.is_active()?,
            autostart: pool.autostart().unwrap_or(false),
            capacity: info.capacity,
            allocation: info.allocation,
            available: info.available,
            path: doc
                .as_ref()
                .and_then(|d| d.root.child("target")?.child("path")?.text()),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn create_pool(conn: &Connect, p: &NewPool) -> Result<(), Error> {
    let existing: Vec<String> = conn
        .list_all_storage_pools(0)?
        .iter()
        .filter_map(|p| p.name().ok())
        .collect();
    if let Some(problem) = storage::check_pool(p, &existing).into_iter().next() {
        return Err(other(pool_problem_text(&problem)));
    }
    // A device that is not there, said before anything is defined (on this
    // host only; a remote host's devices are libvirt's to check).
    if let storage::PoolKind::Fs { device, .. } | storage::PoolKind::Disk { device } = &p.kind
        && !conn.uri().unwrap_or_default().starts_with("test:")
        && super::is_local_uri(&conn.uri().unwrap_or_default())
        && !std::path::Path::new(device).exists()
    {
        return Err(other(format!("“{device}” does not exist on this host.")));
    }
    let pool = conn.define_storage_pool_xml(&storage::pool_xml(p), 0)?;
    let started = (|| {
        if p.kind.builds() {
            pool.build(0)?;
        }
        pool.create(0)?;
        pool.set_autostart(true)?;
        Ok::<(), virt::error::Error>(())
    })();
    started.map_err(|e| {
        // Nothing half made: a pool that cannot start is forgotten again.
        let _ = pool.destroy();
        let _ = pool.undefine();
        e.into()
    })
}

/// The sentence for a pool problem (the UI has translated ones).
pub fn pool_problem_text(p: &storage::PoolProblem) -> String {
    use storage::PoolProblem::*;
    match p {
        EmptyName => "The pool needs a name.".into(),
        NameWithSlash => "A pool's name cannot contain “/”.".into(),
        NameTaken(n) => format!("There is already a pool named “{n}”."),
        Missing(field) => format!("The pool needs its {field}."),
        RelativePath(p) => format!("“{p}” is not an absolute path."),
    }
}

fn pool_action(conn: &Connect, name: &str, action: PoolAction) -> Result<(), Error> {
    let pool = conn.lookup_storage_pool_by_name(name)?;
    match action {
        PoolAction::Start => pool.create(0)?,
        PoolAction::Stop => pool.destroy()?,
        PoolAction::Refresh => pool.refresh(0)?,
        PoolAction::Autostart(on) => pool.set_autostart(on)?,
        PoolAction::Delete { contents } => {
            if contents {
                if !pool.is_active()? {
                    pool.create(0)?;
                }
                for v in pool.list_all_volumes(0)? {
                    v.delete(0)?;
                }
            }
            if pool.is_active()? {
                pool.destroy()?;
            }
            if contents {
                // For folders: the (now empty) folder itself.
                let _ = pool.delete(0);
            }
            pool.undefine()?;
        }
    }
    Ok(())
}

fn volumes(conn: &Connect, pool: &str) -> Result<Vec<VolumeInfo>, Error> {
    let pool = conn.lookup_storage_pool_by_name(pool)?;
    let _ = pool.refresh(0);
    let domains: Vec<(String, String)> = conn
        .list_all_domains(0)?
        .iter()
        .filter_map(|d| {
            Some((
                d.name().ok()?,
                d.xml_desc(virt::sys::VIR_DOMAIN_XML_INACTIVE).ok()?,
            ))
        })
        .collect();
    let mut out = Vec::new();
    for v in pool.list_all_volumes(0)? {
        let (Ok(name), Ok(path)) = (v.name(), v.path()) else {
            continue;
        };
        let info = v.info()?;
        let format = v
            .xml_desc(0)
            .ok()
            .and_then(|x| Document::parse(&x).ok())
            .and_then(|d| d.root.child("target")?.child("format")?.attr("type"))
            .unwrap_or_default();
        out.push(VolumeInfo {
            users: storage::users_of(&path, &domains),
            name,
            path,
            format,
            capacity: info.capacity,
            allocation: info.allocation,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn create(conn: &Connect, pool: &str, v: &NewVolume) -> Result<String, Error> {
    let pool = conn.lookup_storage_pool_by_name(pool)?;
    let made = StorageVol::create_xml(&pool, &storage::volume_xml(v), 0)?;
    Ok(made.path()?)
}

fn resize(conn: &Connect, path: &str, capacity: u64, shrink: bool) -> Result<(), Error> {
    let v = volume(conn, path)?;
    let info = v.info()?;
    match storage::check_resize(info.capacity, info.allocation, capacity) {
        Err(ResizeProblem::Unchanged) => Ok(()),
        Err(ResizeProblem::BelowAllocation { allocation }) => Err(other(format!(
            "The volume already holds {} MiB: it cannot be made smaller than that.",
            allocation >> 20
        ))),
        Ok(true) if !shrink => Err(other(
            "Making a volume smaller cuts off what the guest kept past the new end: confirm the shrink first.",
        )),
        Ok(smaller) => {
            let flags = if smaller {
                virt::sys::VIR_STORAGE_VOL_RESIZE_SHRINK
            } else {
                0
            };
            Ok(v.resize(capacity, flags)?)
        }
    }
}

/// Report transfers at most ten times a second, and the last one always.
struct Reporter<'a> {
    progress: Option<&'a mpsc::UnboundedSender<Transfer>>,
    last: Instant,
    total: u64,
}

impl Reporter<'_> {
    fn report(&mut self, done: u64, force: bool) {
        if let Some(p) = self.progress
            && (force || self.last.elapsed() >= Duration::from_millis(100))
        {
            self.last = Instant::now();
            let _ = p.send(Transfer {
                done,
                total: self.total,
            });
        }
    }
}

/// libvirt moves at most 256 KiB a stream message.
const CHUNK: usize = 256 * 1024;

fn upload(
    conn: &Connect,
    path: &str,
    file: &std::path::Path,
    progress: Option<&mpsc::UnboundedSender<Transfer>>,
    cancel: &AtomicBool,
) -> Result<u64, Error> {
    let v = volume(conn, path)?;
    let mut f = std::fs::File::open(file).map_err(|e| other(format!("{}: {e}", file.display())))?;
    let size = f.metadata().map_err(|e| other(e.to_string()))?.len();
    let capacity = v.info()?.capacity;
    if !storage::upload_fits(size, capacity) {
        return Err(other(format!(
            "{} holds {} bytes; the volume takes {capacity}.",
            file.display(),
            size
        )));
    }
    let stream = Stream::new(conn, 0)?;
    v.upload(&stream, 0, size, 0)?;
    let mut reporter = Reporter {
        progress,
        last: Instant::now(),
        total: size,
    };
    let mut buf = vec![0u8; CHUNK];
    let mut done = 0u64;
    loop {
        if cancel.load(Ordering::Relaxed) {
            let _ = stream.abort();
            return Err(cancelled());
        }
        let n = f.read(&mut buf).map_err(|e| other(e.to_string()))?;
        if n == 0 {
            break;
        }
        let mut sent = 0;
        while sent < n {
            match stream.send(&buf[sent..n]) {
                Ok(k) if k > 0 => sent += k as usize,
                Ok(_) => {}
                Err(e) => {
                    let _ = stream.abort();
                    return Err(e.into());
                }
            }
        }
        done += n as u64;
        reporter.report(done, false);
    }
    stream.finish()?;
    reporter.report(done, true);
    Ok(done)
}

fn download(
    conn: &Connect,
    path: &str,
    file: &std::path::Path,
    progress: Option<&mpsc::UnboundedSender<Transfer>>,
    cancel: &AtomicBool,
) -> Result<u64, Error> {
    let v = volume(conn, path)?;
    // The bytes of the file libvirt sends: the image's physical size.
    let total = v
        .info_flags(virt::sys::VIR_STORAGE_VOL_GET_PHYSICAL)
        .map(|i| i.allocation)
        .or_else(|_| v.info().map(|i| i.capacity))?;
    let mut f =
        std::fs::File::create(file).map_err(|e| other(format!("{}: {e}", file.display())))?;
    let stream = Stream::new(conn, 0)?;
    v.download(&stream, 0, 0, 0)?;
    let mut reporter = Reporter {
        progress,
        last: Instant::now(),
        total,
    };
    let mut buf = vec![0u8; CHUNK];
    let mut done = 0u64;
    let result = (|| {
        loop {
            if cancel.load(Ordering::Relaxed) {
                return Err(cancelled());
            }
            let n = stream.recv(&mut buf)?;
            if n <= 0 {
                return Ok(());
            }
            f.write_all(&buf[..n as usize])
                .map_err(|e| other(e.to_string()))?;
            done += n as u64;
            reporter.report(done, false);
        }
    })();
    match result {
        Ok(()) => {
            stream.finish()?;
            f.sync_all().map_err(|e| other(e.to_string()))?;
            reporter.report(done, true);
            Ok(done)
        }
        Err(e) => {
            let _ = stream.abort();
            drop(f);
            // Half a file is no file: it goes.
            let _ = std::fs::remove_file(file);
            Err(e)
        }
    }
}

impl Connection {
    async fn storage<T>(&self, make: impl FnOnce(Reply<T>) -> StorageRequest) -> Result<T, Error> {
        self.ask(|reply| super::Request::Storage(make(reply))).await
    }

    /// See [`StorageRequest::FindSources`].
    pub async fn find_pool_sources(
        &self,
        kind: &str,
        host: Option<&str>,
    ) -> Result<Vec<FoundSource>, Error> {
        let (kind, host) = (kind.to_owned(), host.map(str::to_owned));
        self.storage(|reply| StorageRequest::FindSources { kind, host, reply })
            .await
    }

    /// See [`StorageRequest::Pools`].
    pub async fn pools(&self) -> Result<Vec<PoolDetails>, Error> {
        self.storage(|reply| StorageRequest::Pools { reply }).await
    }

    /// See [`StorageRequest::CreatePool`].
    pub async fn create_pool(&self, pool: NewPool) -> Result<(), Error> {
        self.storage(|reply| StorageRequest::CreatePool { pool, reply })
            .await
    }

    /// See [`StorageRequest::Pool`].
    pub async fn pool_action(&self, name: &str, action: PoolAction) -> Result<(), Error> {
        let name = name.to_owned();
        self.storage(|reply| StorageRequest::Pool {
            name,
            action,
            reply,
        })
        .await
    }

    /// See [`StorageRequest::Volumes`].
    pub async fn volumes(&self, pool: &str) -> Result<Vec<VolumeInfo>, Error> {
        let pool = pool.to_owned();
        self.storage(|reply| StorageRequest::Volumes { pool, reply })
            .await
    }

    /// See [`StorageRequest::CreateVolume`].
    pub async fn create_volume(&self, pool: &str, volume: NewVolume) -> Result<String, Error> {
        let pool = pool.to_owned();
        self.storage(|reply| StorageRequest::CreateVolume {
            pool,
            volume,
            reply,
        })
        .await
    }

    /// See [`StorageRequest::DeleteVolume`].
    pub async fn delete_volume(&self, path: &str) -> Result<(), Error> {
        let path = path.to_owned();
        self.storage(|reply| StorageRequest::DeleteVolume { path, reply })
            .await
    }

    /// See [`StorageRequest::Resize`].
    pub async fn resize_volume(
        &self,
        path: &str,
        capacity: u64,
        shrink: bool,
    ) -> Result<(), Error> {
        let path = path.to_owned();
        self.storage(|reply| StorageRequest::Resize {
            path,
            capacity,
            shrink,
            reply,
        })
        .await
    }

    /// See [`StorageRequest::Wipe`].
    pub async fn wipe_volume(&self, path: &str) -> Result<(), Error> {
        let path = path.to_owned();
        self.storage(|reply| StorageRequest::Wipe { path, reply })
            .await
    }

    /// See [`StorageRequest::Stream`].
    pub async fn transfer_volume(
        &self,
        direction: Direction,
        path: &str,
        file: PathBuf,
        progress: Option<mpsc::UnboundedSender<Transfer>>,
        cancel: Arc<AtomicBool>,
    ) -> Result<u64, Error> {
        let path = path.to_owned();
        self.storage(|reply| StorageRequest::Stream {
            direction,
            path,
            file,
            progress,
            cancel,
            reply,
        })
        .await
    }
}
