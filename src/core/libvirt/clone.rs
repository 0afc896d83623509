//! Cloning on a connection, all or nothing: each disk copied
//! (`virStorageVolCreateXMLFrom`, as virt-clone does) or linked (a qcow2
//! overlay on the original) or shared, the NVRAM copied, then the clone
//! defined. Any failure, or Cancel, removes what was already made.
//!
//! Copies run on a worker thread with a clone of the connection, so the
//! actor keeps answering the list while gigabytes move; a second thread
//! polls the new volume's allocation for the progress bar.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::mpsc;
use virt::connect::Connect;
use virt::domain::Domain;
use virt::storage_pool::StoragePool;
use virt::storage_vol::StorageVol;

use super::{Connection, DomainState, DomainSummary, Error, ErrorKind, Reply};
use crate::core::clone::{self, ClonePlan, CloneProblem, DiskAction};
use crate::core::xml::Document;

/// What a clone starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloneSource {
    /// The original's persistent definition, with its secrets.
    pub xml: String,
    pub state: DomainState,
    /// Every domain name on the host.
    pub names: Vec<String>,
    /// Every path the host's pools and domains use.
    pub paths: Vec<String>,
    /// The bytes each pool volume takes (by path).
    pub allocations: Vec<(String, u64)>,
    /// The free bytes of each active pool (by its folder).
    pub free: Vec<(String, u64)>,
}

impl CloneSource {
    pub fn name_taken(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }

    pub fn path_taken(&self, path: &str) -> bool {
        self.paths.iter().any(|p| p == path)
    }

    /// Running guests' disks change under a copy: they must be shut off or
    /// paused.
    pub fn running(&self) -> bool {
        !matches!(
            self.state,
            DomainState::ShutOff | DomainState::Paused | DomainState::Crashed
        )
    }

    /// The default plan (virt-clone's `--auto-clone`).
    pub fn plan(&self) -> Result<ClonePlan, CloneProblem> {
        ClonePlan::new(&self.xml, &|n| self.name_taken(n), &|p| self.path_taken(p))
    }

    /// Everything wrong with `plan` on this host, a full pool included.
    pub fn problems(&self, plan: &ClonePlan) -> Vec<CloneProblem> {
        let mut out = plan.problems(self.running(), &|n| self.name_taken(n), &|p| {
            self.path_taken(p)
        });
        let mut needed: Vec<(String, u64)> = Vec::new();
        for d in plan.disks.iter().filter(|d| d.action == DiskAction::Copy) {
            let (Some(from), Some(to)) = (&d.source, &d.new_path) else {
                continue;
            };
            let bytes = self
                .allocations
                .iter()
                .find(|(p, _)| p == from)
                .map_or(0, |(_, b)| *b);
            let dir = to.rsplit_once('/').map_or("", |(d, _)| d).to_owned();
            match needed.iter_mut().find(|(d, _)| *d == dir) {
                Some((_, n)) => *n += bytes,
                None => needed.push((dir, bytes)),
            }
        }
        for (dir, needed) in needed {
            if let Some((_, available)) = self.free.iter().find(|(d, _)| *d == dir)
                && needed > *available
            {
                out.push(CloneProblem::NoSpace {
                    dir,
                    needed,
                    available: *available,
                });
            }
        }
        out
    }
}

/// Where a clone is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloneStep {
    /// Disk `target`: `done` of `total` bytes written.
    Copying {
        target: String,
        done: u64,
        total: u64,
    },
    Linking {
        target: String,
    },
    CopyingNvram,
    Defining,
    /// Cancel was pressed: the copy under way finishes, then all is undone.
    Cancelling,
}

/// A clone to make.
#[derive(Debug)]
pub struct CloneJob {
    pub plan: ClonePlan,
    pub progress: Option<mpsc::UnboundedSender<CloneStep>>,
    /// Set to stop after the current step and undo.
    pub cancel: Arc<AtomicBool>,
}

impl CloneJob {
    /// A job without progress reports or Cancel.
    pub fn new(plan: ClonePlan) -> CloneJob {
        CloneJob {
            plan,
            progress: None,
            cancel: Arc::default(),
        }
    }
}

fn other(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Other, message)
}

/// The facts for a clone of `d`.
pub(super) fn source(conn: &Connect, d: &Domain) -> Result<CloneSource, Error> {
    let xml = d.xml_desc(virt::sys::VIR_DOMAIN_XML_INACTIVE | virt::sys::VIR_DOMAIN_XML_SECURE)?;
    let state = DomainSummary::read(d)?.state;
    let domains = conn.list_all_domains(0)?;
    let mut names = Vec::new();
    let mut paths = Vec::new();
    let (mut allocations, mut free) = (Vec::new(), Vec::new());
    for other in &domains {
        names.extend(other.name().ok());
        if let Ok(x) = other.xml_desc(virt::sys::VIR_DOMAIN_XML_INACTIVE) {
            paths.extend(disk_sources(&x));
        }
    }
    for pool in conn.list_all_storage_pools(0)? {
        if pool.is_active().unwrap_or(false) {
            let _ = pool.refresh(0);
            if let (Some(dir), Ok(info)) = (pool_path(&pool), pool.info()) {
                free.push((dir, info.available));
            }
            for vol in pool.list_all_volumes(0).unwrap_or_default() {
                if let Ok(path) = vol.path() {
                    allocations.push((path.clone(), vol.info().map_or(0, |i| i.allocation)));
                    paths.push(path);
                }
            }
        }
    }
    Ok(CloneSource {
        xml,
        state,
        names,
        paths,
        allocations,
        free,
    })
}

fn disk_sources(xml: &str) -> Vec<String> {
    let Ok(doc) = Document::parse(xml) else {
        return Vec::new();
    };
    let mut out: Vec<String> = doc
        .root
        .child("devices")
        .into_iter()
        .flat_map(|d| d.children_named("disk"))
        .filter_map(|d| d.child("source"))
        .filter_map(|s| s.attr("file").or_else(|| s.attr("dev")))
        .collect();
    out.extend(
        doc.root
            .child("os")
            .and_then(|os| os.child("nvram"))
            .and_then(|n| n.text()),
    );
    out
}

/// What has been made so far, to take back on failure.
#[derive(Default)]
struct Made {
    volumes: Vec<StorageVol>,
    pools: Vec<StoragePool>,
    domain: Option<Domain>,
}

impl Made {
    fn undo(self) {
        if let Some(d) = self.domain {
            let _ = d.undefine_flags(virt::sys::VIR_DOMAIN_UNDEFINE_KEEP_NVRAM);
        }
        for v in self.volumes.into_iter().rev() {
            let _ = v.delete(0);
        }
        for p in self.pools {
            let _ = p.destroy();
            let _ = p.undefine();
        }
    }
}

fn split(path: &str) -> Result<(&str, &str), Error> {
    match path.rsplit_once('/') {
        Some((dir, file)) if !file.is_empty() => Ok((if dir.is_empty() { "/" } else { dir }, file)),
        _ => Err(other(format!("“{path}” is not a file path"))),
    }
}

fn pool_path(pool: &StoragePool) -> Option<String> {
    let xml = pool.xml_desc(0).ok()?;
    let doc = Document::parse(&xml).ok()?;
    doc.root
        .child("target")?
        .child("path")?
        .text()
        .map(|p| p.trim_end_matches('/').to_owned())
}

/// The active pool whose folder is `dir`, or a directory pool made for it
/// (named after the folder, autostarted, as virt-install does); `true` when
/// it was made.
pub(super) fn pool_for_dir(conn: &Connect, dir: &str) -> Result<(StoragePool, bool), Error> {
    let dir = dir.trim_end_matches('/');
    let pools = conn.list_all_storage_pools(0)?;
    if let Some(pool) = pools.iter().find(|p| pool_path(p).as_deref() == Some(dir)) {
        if !pool.is_active()? {
            pool.create(0)?;
        }
        return Ok((pool.clone(), false));
    }
    let taken: Vec<String> = pools.iter().filter_map(|p| p.name().ok()).collect();
    let base: String = dir
        .rsplit('/')
        .next()
        .filter(|b| !b.is_empty())
        .unwrap_or("root")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let name = std::iter::once(base.clone())
        .chain((2..).map(|n| format!("{base}-{n}")))
        .find(|n| !taken.contains(n))
        .expect("a free pool name");
    let xml = format!(
        "<pool type='dir'><name>{}</name><target><path>{}</path></target></pool>",
        xml_escape(&name),
        xml_escape(dir)
    );
    let pool = conn.define_storage_pool_xml(&xml, 0)?;
    if let Err(e) = pool.create(0) {
        let _ = pool.undefine();
        return Err(e.into());
    }
    let _ = pool.set_autostart(true);
    Ok((pool, true))
}

fn pool_at(conn: &Connect, dir: &str, made: &mut Made) -> Result<StoragePool, Error> {
    let (pool, new) = pool_for_dir(conn, dir)?;
    if new {
        made.pools.push(pool.clone());
    }
    Ok(pool)
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&apos;")
}

/// The volume at `path`: looked up, else found after refreshing the pool of
/// its folder (made when there is none).
fn volume_at(conn: &Connect, path: &str, made: &mut Made) -> Result<StorageVol, Error> {
    if let Ok(v) = conn.lookup_storage_vol_by_path(path) {
        return Ok(v);
    }
    let (dir, _) = split(path)?;
    let pool = pool_at(conn, dir, made)?;
    pool.refresh(0)?;
    conn.lookup_storage_vol_by_path(path)
        .map_err(|_| other(format!("“{path}” cannot be found in the host's storage")))
}

/// Copy `original` to `new_path`, reporting the bytes written.
fn copy_volume(
    conn: &Connect,
    target: &str,
    original: &StorageVol,
    new_path: &str,
    format: &str,
    report: &dyn Fn(CloneStep),
    made: &mut Made,
) -> Result<(), Error> {
    let (dir, file) = split(new_path)?;
    let pool = pool_at(conn, dir, made)?;
    let info = original.info()?;
    let xml = clone::copy_volume_xml(file, info.capacity, format);
    let total = info.allocation.max(1);
    report(CloneStep::Copying {
        target: target.to_owned(),
        done: 0,
        total,
    });
    // The copy blocks a thread; another one watches the new file grow and
    // is woken the moment the copy ends. `None` on the channel: copy done.
    let finished = Arc::new(AtomicBool::new(false));
    let (tx, rx) = std::sync::mpsc::channel::<Option<u64>>();
    let watcher = {
        let (finished, conn, path, tx) = (
            finished.clone(),
            conn.clone(),
            new_path.to_owned(),
            tx.clone(),
        );
        std::thread::Builder::new()
            .name("clone progress".into())
            .spawn(move || {
                loop {
                    std::thread::park_timeout(std::time::Duration::from_millis(250));
                    if finished.load(Ordering::Acquire) {
                        break;
                    }
                    if let Ok(info) = conn
                        .lookup_storage_vol_by_path(&path)
                        .and_then(|v| v.info())
                    {
                        let _ = tx.send(Some(info.allocation.min(total)));
                    }
                }
            })
            .ok()
    };
    let waker = watcher.as_ref().map(|w| w.thread().clone());
    let (pool, xml) = (&pool, &xml);
    let made_vol = std::thread::scope(|scope| {
        // Owns the last sender: if it dies, the loop below ends too.
        let copy = scope.spawn(move || {
            // Sparse, as virt-clone copies: only what the original holds.
            let r = StorageVol::create_xml_from(pool, xml, original, 0);
            finished.store(true, Ordering::Release);
            if let Some(w) = waker {
                w.unpark();
            }
            let _ = tx.send(None);
            r
        });
        while let Ok(Some(done)) = rx.recv() {
            report(CloneStep::Copying {
                target: target.to_owned(),
                done,
                total,
            });
        }
        copy.join().map_err(|_| other("the copy thread failed"))
    })?;
    if let Some(w) = watcher {
        let _ = w.join();
    }
    made.volumes.push(made_vol?);
    report(CloneStep::Copying {
        target: target.to_owned(),
        done: total,
        total,
    });
    Ok(())
}

/// Make the clone `job` plans; the new domain's summary.
pub(super) fn run(
    conn: &Connect,
    original: &Domain,
    job: &CloneJob,
) -> Result<DomainSummary, Error> {
    let source = source(conn, original)?;
    if let Some(problem) = source.problems(&job.plan).into_iter().next() {
        return Err(other(problem_text(&problem)));
    }
    let mut made = Made::default();
    match make(conn, &source, job, &mut made) {
        Ok(summary) => Ok(summary),
        Err(e) => {
            made.undo();
            Err(e)
        }
    }
}

fn make(
    conn: &Connect,
    source: &CloneSource,
    job: &CloneJob,
    made: &mut Made,
) -> Result<DomainSummary, Error> {
    let report = |s: CloneStep| {
        if let Some(p) = &job.progress {
            let _ = p.send(s);
        }
    };
    let cancelled = || {
        if job.cancel.load(Ordering::Relaxed) {
            report(CloneStep::Cancelling);
            Err(Error::new(
                ErrorKind::Cancelled,
                "The clone was cancelled; nothing was kept.",
            ))
        } else {
            Ok(())
        }
    };
    let _ = source;
    for disk in &job.plan.disks {
        cancelled()?;
        let (Some(from), Some(to)) = (&disk.source, &disk.new_path) else {
            continue;
        };
        match disk.action {
            DiskAction::Share => {}
            DiskAction::Copy => {
                let original = volume_at(conn, from, made)?;
                copy_volume(
                    conn,
                    &disk.target,
                    &original,
                    to,
                    &disk.format,
                    &report,
                    made,
                )?;
            }
            DiskAction::Linked => {
                report(CloneStep::Linking {
                    target: disk.target.clone(),
                });
                let original = volume_at(conn, from, made)?;
                let capacity = original.info()?.capacity;
                let (dir, file) = split(to)?;
                let pool = pool_at(conn, dir, made)?;
                let xml = clone::overlay_volume_xml(file, capacity, from, &disk.format);
                made.volumes.push(StorageVol::create_xml(&pool, &xml, 0)?);
            }
        }
    }
    cancelled()?;
    if let Some((old, new)) = &job.plan.nvram {
        report(CloneStep::CopyingNvram);
        // No NVRAM yet (never booted): libvirt makes it from the template.
        if let Ok(original) = volume_at(conn, old, made) {
            let (dir, file) = split(new)?;
            let pool = pool_at(conn, dir, made)?;
            let info = original.info()?;
            let xml = clone::copy_volume_xml(file, info.capacity, "raw");
            made.volumes
                .push(StorageVol::create_xml_from(&pool, &xml, &original, 0)?);
        }
    }
    cancelled()?;
    report(CloneStep::Defining);
    let uuid = clone::random_uuid();
    let xml = job
        .plan
        .domain_xml(&uuid, &job.plan.new_macs())
        .map_err(|p| other(problem_text(&p)))?;
    let domain = conn.define_domain_xml_flags(&xml, virt::sys::VIR_DOMAIN_DEFINE_VALIDATE)?;
    made.domain = Some(domain.clone());
    DomainSummary::read(&domain)
}

/// The sentence for a problem (the UI has translated ones; this is for
/// the service's own refusals and the command line's log).
pub fn problem_text(p: &CloneProblem) -> String {
    match p {
        CloneProblem::Running => {
            "The VM is running: shut it down (or pause it) before cloning, so that its disks hold still.".into()
        }
        CloneProblem::EmptyName => "The clone needs a name.".into(),
        CloneProblem::NameWithSlash => "A VM name cannot contain “/”.".into(),
        CloneProblem::NameTaken(n) => format!("There is already a VM named “{n}”."),
        CloneProblem::PathTaken { target, path } => {
            format!("Disk {target}: “{path}” is already in use; choose another path.")
        }
        CloneProblem::NothingToCopy(t) => format!("Disk {t} has no image to copy; share it instead."),
        CloneProblem::RelativePath { target, path } => {
            format!("Disk {target}: “{path}” is not an absolute path.")
        }
        CloneProblem::TooManyPaths => "More --file paths were given than the VM has disks to copy.".into(),
        CloneProblem::BadMac(m) => format!("“{m}” is not a MAC address (six pairs of hex digits)."),
        CloneProblem::BadXml(e) => format!("The VM's XML cannot be read: {e}"),
        CloneProblem::NoSpace { dir, needed, available } => format!(
            "The copies need {} MiB in {dir}, which has {} MiB free.",
            needed >> 20,
            available >> 20
        ),
    }
}

impl Connection {
    /// See [`super::Request::CloneSource`].
    pub async fn clone_source(&self, uuid: &str) -> Result<CloneSource, Error> {
        let uuid = uuid.to_owned();
        self.ask(|reply| super::Request::CloneSource { uuid, reply })
            .await
    }

    /// See [`super::Request::Clone`].
    pub async fn clone_vm(&self, uuid: &str, job: CloneJob) -> Result<DomainSummary, Error> {
        let uuid = uuid.to_owned();
        self.ask(|reply| super::Request::Clone {
            uuid,
            job: Box::new(job),
            reply,
        })
        .await
    }
}

/// Run a clone on a worker thread with a clone of the connection.
pub(super) fn spawn(
    conn: &Connect,
    domain: Result<Domain, Error>,
    job: Box<CloneJob>,
    reply: Reply<DomainSummary>,
) {
    let domain = match domain {
        Ok(d) => d,
        Err(e) => {
            let _ = reply.send(Err(e));
            return;
        }
    };
    let conn = conn.clone();
    let _ = std::thread::Builder::new()
        .name("libvirt clone".into())
        .spawn(move || {
            let _ = reply.send(run(&conn, &domain, &job));
        });
}
