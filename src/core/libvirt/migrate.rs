//! Live and offline migration between two open connections, as one core
//! operation: check, create the destination volumes (and, for a shut-off
//! VM, stream its disks into them), move, and take the volumes back if the
//! move fails or is cancelled.
//!
//! The move runs on a worker thread of the source connection with a clone
//! of the destination's `Connect` (a [`Peer`]); a second thread reads the
//! job's statistics twice a second, sends them as [`Progress`], applies the
//! maximum downtime once the job runs, and aborts the job
//! (`virDomainAbortJob`) when asked to cancel.

use std::ffi::CString;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use virt::connect::Connect;
use virt::domain::{Domain, MigrateParameters};
use virt::sys;

mod offline;

use super::{DomainSummary, Error, ErrorKind, Reply};
use crate::core::migrate::{
    self, DestinationFacts, LocalDisk, MigratePlan, Mode, Problem, Progress,
};
use crate::core::xml::DomainXml;
use crate::core::xml::caps::Capabilities;

/// The destination end of a migration: a clone of another connection.
/// Only the core can look inside.
pub struct Peer {
    conn: Connect,
    uri: String,
}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Peer({})", self.uri)
    }
}

impl Peer {
    pub(super) fn of(conn: &Connect) -> Result<Peer, Error> {
        Ok(Peer {
            conn: conn.clone(),
            uri: conn.uri()?,
        })
    }
}

/// One migration: where to, how, and the dialog's ends of it.
#[derive(Debug)]
pub struct MigrateJob {
    pub peer: Peer,
    pub plan: MigratePlan,
    /// Folders named differently on the destination: each (source prefix,
    /// destination prefix) is replaced in the XML the destination gets, its
    /// running and its persistent definition (images under
    /// `/var/lib/libvirt/images` here and `/srv/images` there). Copied disks
    /// are pointed at their new volumes after that.
    pub path_map: Vec<(String, String)>,
    pub progress: Option<mpsc::UnboundedSender<Progress>>,
    /// Set to abort the job; the guest then stays on the source.
    pub cancel: Arc<AtomicBool>,
}

/// How a migration ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrated {
    /// The VM on the destination.
    pub summary: DomainSummary,
    /// The guest's pause at the switch-over, when libvirt says.
    pub downtime_ms: Option<u64>,
    /// The whole job, when libvirt says.
    pub elapsed_ms: Option<u64>,
}

/// What will not work (for the dialog, before it offers Migrate).
pub(super) fn problems(
    src: &Connect,
    d: &Domain,
    peer: &Peer,
    plan: &MigratePlan,
) -> Result<Vec<Problem>, Error> {
    let running = d.is_active()?;
    let xml = migratable_xml(d, running)?;
    let xml = DomainXml::parse(&xml).map_err(|e| other(e.to_string()))?;
    let facts = destination_facts(src, d, &xml, &peer.conn, plan)?;
    let source_uuid = host_uuid(src)?;
    Ok(migrate::check(&xml, running, &source_uuid, &facts, plan))
}

/// The source's migratable XML (`VIR_DOMAIN_XML_MIGRATABLE`), what the
/// dialog's XML page starts from.
pub(super) fn migratable_xml(d: &Domain, running: bool) -> Result<String, Error> {
    let mut flags = sys::VIR_DOMAIN_XML_MIGRATABLE | sys::VIR_DOMAIN_XML_SECURE;
    if !running {
        flags |= sys::VIR_DOMAIN_XML_INACTIVE;
    }
    Ok(d.xml_desc(flags)?)
}

fn other(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Other, message)
}

fn host_uuid(conn: &Connect) -> Result<String, Error> {
    let caps = Capabilities::parse(&conn.capabilities()?).map_err(|e| other(e.to_string()))?;
    Ok(caps.host_uuid.unwrap_or_default())
}

fn destination_facts(
    src: &Connect,
    d: &Domain,
    xml: &DomainXml,
    dest: &Connect,
    plan: &MigratePlan,
) -> Result<DestinationFacts, Error> {
    let mut facts = DestinationFacts {
        host_uuid: host_uuid(dest)?,
        ..Default::default()
    };
    let mut bridges = Vec::new();
    // A host without a network driver (a session daemon) has no networks.
    for net in dest.list_all_networks(0).unwrap_or_default() {
        let name = net.name()?;
        facts
            .networks
            .push((name, net.is_active().unwrap_or(false)));
        if let Ok(bridge) = net.bridge_name() {
            bridges.push(bridge);
        }
    }
    // The host's own interfaces, when its libvirt can list them (netcf or
    // udev); otherwise bridges are not checked.
    match dest.list_all_interfaces(0) {
        Ok(ifaces) => {
            bridges.extend(ifaces.iter().filter_map(|i| i.name().ok()));
            facts.bridges = Some(bridges);
        }
        Err(_) => {
            let devs = dest.list_all_node_devices(sys::VIR_CONNECT_LIST_NODE_DEVICES_CAP_NET);
            if let Some(devs) = devs.ok().filter(|d| !d.is_empty()) {
                for dev in devs {
                    if let Ok(x) = dev.xml_desc(0)
                        && let Some(name) = x
                            .split("<interface>")
                            .nth(1)
                            .and_then(|s| s.split("</interface>").next())
                    {
                        bridges.push(name.to_owned());
                    }
                }
                facts.bridges = Some(bridges);
            }
        }
    }
    for pool in dest.list_all_storage_pools(0).unwrap_or_default() {
        let name = pool.name()?;
        let active = pool.is_active().unwrap_or(false);
        if active && plan.pools.iter().any(|(_, p)| *p == name) {
            for vol in pool.list_volumes().unwrap_or_default() {
                facts.taken_volumes.push((name.clone(), vol));
            }
        }
        facts.pools.push((name, active));
    }
    for disk in migrate::local_disks(xml) {
        if src.lookup_storage_vol_by_path(&disk.path).is_err() {
            facts.unpooled_paths.push(disk.path.clone());
        }
        if dest.lookup_storage_vol_by_path(&disk.path).is_ok() {
            facts.shared_paths.push(disk.path);
        }
    }
    let uuid = d.uuid_string()?;
    facts.vm_running_there = dest
        .lookup_domain_by_uuid_string(&uuid)
        .is_ok_and(|v| v.is_active().unwrap_or(false));
    facts.cpu_problem = cpu_problem(src, xml, dest);
    Ok(facts)
}

/// Whether the destination's hypervisor can give the guest its CPU.
fn cpu_problem(src: &Connect, xml: &DomainXml, dest: &Connect) -> Option<String> {
    let doc = xml.document();
    let cpu = doc.root.child("cpu")?;
    match cpu.attr("mode").as_deref() {
        Some("host-passthrough") => {
            let model = |c: &Connect| {
                c.capabilities()
                    .ok()
                    .and_then(|t| Capabilities::parse(&t).ok())
                    .and_then(|c| c.host_cpu_model)
            };
            let (a, b) = (model(src)?, model(dest)?);
            (a != b).then(|| format!("host-passthrough: {a} → {b}"))
        }
        Some("custom") | None => {
            cpu.child("model")?;
            let ty = doc.root.child("os")?.child("type")?;
            let arch = CString::new(ty.attr("arch")?).ok()?;
            let machine = ty.attr("machine").and_then(|m| CString::new(m).ok());
            let virttype = CString::new(doc.root.attr("type")?).ok()?;
            let text = CString::new(cpu.clone().to_xml_string()).ok()?;
            // SAFETY: a live connection and NUL-terminated strings (or NULL).
            let r = unsafe {
                sys::virConnectCompareHypervisorCPU(
                    dest.as_ptr(),
                    std::ptr::null(),
                    arch.as_ptr(),
                    machine.as_ref().map_or(std::ptr::null(), |m| m.as_ptr()),
                    virttype.as_ptr(),
                    text.as_ptr(),
                    0,
                )
            };
            (r == sys::VIR_CPU_COMPARE_INCOMPATIBLE)
                .then(|| virt::error::Error::last_error().message().to_owned())
        }
        _ => None,
    }
}

/// Run a migration on a worker thread.
pub(super) fn spawn(
    src: &Connect,
    domain: Result<Domain, Error>,
    job: Box<MigrateJob>,
    reply: Reply<Migrated>,
) {
    let domain = match domain {
        Ok(d) => d,
        Err(e) => {
            let _ = reply.send(Err(e));
            return;
        }
    };
    let src = src.clone();
    let _ = std::thread::Builder::new()
        .name("libvirt migrate".into())
        .spawn(move || {
            let _ = reply.send(run(&src, &domain, &job));
        });
}

fn run(src: &Connect, d: &Domain, job: &MigrateJob) -> Result<Migrated, Error> {
    let plan = &job.plan;
    let dest = &job.peer.conn;
    let running = d.is_active()?;
    let source_xml = migratable_xml(d, running)?;
    let parsed = DomainXml::parse(&source_xml).map_err(|e| other(e.to_string()))?;
    let problems = {
        let facts = destination_facts(src, d, &parsed, dest, plan)?;
        migrate::check(&parsed, running, &host_uuid(src)?, &facts, plan)
    };
    if !problems.is_empty() {
        let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        return Err(other(format!("Cannot migrate: {}.", text.join("; "))));
    }

    // The destination's volumes first, taken back if anything later fails.
    let mut created = Vec::new();
    let mut moves = Vec::new();
    let mut sources = Vec::new();
    if plan.copy_storage {
        for disk in migrate::local_disks(&parsed) {
            match create_volume(src, dest, &disk, plan) {
                Ok((vol, path)) => {
                    created.push(vol);
                    moves.push((disk.target.clone(), path));
                    sources.push(disk.path.clone());
                }
                Err(e) => {
                    undo(&created);
                    return Err(e);
                }
            }
        }
    }
    // A shut-off VM's disks: libvirt's migration copies only a running
    // guest's, so they are streamed volume to volume first.
    if !running
        && !created.is_empty()
        && let Err(e) = offline::copy_volumes(src, dest, &sources, &created, job)
    {
        undo(&created);
        return Err(e);
    }
    let result = move_guest(d, job, running, &source_xml, &moves);
    if result.is_err() {
        undo(&created);
    }
    let dom = result?;
    let summary = DomainSummary::read(&dom)?;
    let done = job_stats(&dom, sys::VIR_DOMAIN_JOB_STATS_COMPLETED);
    Ok(Migrated {
        summary,
        downtime_ms: done.and_then(|s| s.downtime_ms),
        elapsed_ms: done.map(|s| s.elapsed_ms).filter(|ms| *ms > 0),
    })
}

fn undo(volumes: &[virt::storage_vol::StorageVol]) {
    for vol in volumes {
        let _ = vol.delete(0);
    }
}

/// A new, empty volume for `disk` in its chosen destination pool, as large
/// as the source's image: (the volume, its path).
fn create_volume(
    src: &Connect,
    dest: &Connect,
    disk: &LocalDisk,
    plan: &MigratePlan,
) -> Result<(virt::storage_vol::StorageVol, String), Error> {
    let pool_name = plan
        .pools
        .iter()
        .find(|(t, _)| *t == disk.target)
        .map(|(_, p)| p.as_str())
        .ok_or_else(|| other(format!("No pool chosen for {}", disk.target)))?;
    let capacity = match src.lookup_storage_vol_by_path(&disk.path) {
        Ok(vol) => vol.info()?.capacity,
        Err(_) => std::fs::metadata(&disk.path)
            .map_err(|e| other(format!("{}: {e}", disk.path)))?
            .len(),
    };
    let pool = dest.lookup_storage_pool_by_name(pool_name)?;
    let xml = crate::core::clone::copy_volume_xml(
        &migrate::volume_name(&disk.path),
        capacity,
        &disk.format,
    );
    let vol = virt::storage_vol::StorageVol::create_xml(&pool, &xml, 0)?;
    let path = vol.path()?;
    Ok((vol, path))
}

/// `xml` with each (from, to) folder prefix replaced, as XML text.
fn map_paths(xml: &str, map: &[(String, String)]) -> String {
    let escape = |p: &str| {
        p.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('\'', "&apos;")
            .replace('"', "&quot;")
    };
    map.iter().fold(xml.to_owned(), |xml, (from, to)| {
        xml.replace(&escape(from), &escape(to))
    })
}

pub(super) fn cancelled() -> Error {
    Error::new(ErrorKind::Cancelled, "The migration was cancelled.")
}

/// The migration call itself, with the progress and cancel thread beside it.
fn move_guest(
    d: &Domain,
    job: &MigrateJob,
    running: bool,
    source_xml: &str,
    moves: &[(String, String)],
) -> Result<Domain, Error> {
    let plan = &job.plan;
    let for_destination = |xml: &str| {
        migrate::destination_xml(&map_paths(xml, &job.path_map), moves)
            .map_err(|e| other(e.to_string()))
    };
    let persist = !plan.temporary || !running;
    // The definition kept there: the source's persistent one (what libvirt
    // would send as it is, with this host's paths), moved the same way.
    let persist_xml = if persist && d.is_persistent()? {
        let inactive = d.xml_desc(
            sys::VIR_DOMAIN_XML_INACTIVE
                | sys::VIR_DOMAIN_XML_SECURE
                | sys::VIR_DOMAIN_XML_MIGRATABLE,
        )?;
        Some(for_destination(&inactive)?)
    } else {
        None
    };
    let mut params = MigrateParameters {
        dest_xml: Some(for_destination(source_xml)?),
        persist_xml,
        bandwidth: plan.bandwidth_mib,
        // Copied by QEMU while the guest runs (a shut-off VM's already are).
        migrate_disks: if running {
            moves.iter().map(|(t, _)| t.clone()).collect()
        } else {
            Vec::new()
        },
        ..Default::default()
    };
    if plan.mode != Mode::Tunnelled
        && let Some(address) = plan.address.as_deref().filter(|a| !a.is_empty())
    {
        params.uri = Some(migrate::migration_uri(address, plan.port));
        if address.parse::<std::net::IpAddr>().is_ok() {
            params.listen_address = Some(address.to_owned());
        }
    }
    let mut flags = 0;
    if running {
        flags |= sys::VIR_MIGRATE_LIVE;
    } else {
        flags |= sys::VIR_MIGRATE_OFFLINE;
    }
    if persist {
        flags |= sys::VIR_MIGRATE_PERSIST_DEST | sys::VIR_MIGRATE_UNDEFINE_SOURCE;
    }
    if running && !moves.is_empty() {
        flags |= sys::VIR_MIGRATE_NON_SHARED_DISK;
    }
    match plan.mode {
        Mode::Direct => {}
        Mode::PeerToPeer => flags |= sys::VIR_MIGRATE_PEER2PEER,
        Mode::Tunnelled => flags |= sys::VIR_MIGRATE_PEER2PEER | sys::VIR_MIGRATE_TUNNELLED,
    }

    let finished = Arc::new(AtomicBool::new(false));
    let watcher = running.then(|| watch(d.clone(), job, finished.clone()));
    let result = match plan.mode {
        Mode::Direct => d.migrate3(&job.peer.conn, params, flags),
        Mode::PeerToPeer | Mode::Tunnelled => d
            .migrate_to_uri3(Some(&job.peer.uri), params, flags)
            .and_then(|()| {
                let uuid = d.uuid_string()?;
                job.peer.conn.lookup_domain_by_uuid_string(&uuid)
            }),
    };
    finished.store(true, Ordering::SeqCst);
    if let Some(w) = watcher {
        let _ = w.join();
    }
    result.map_err(|e| {
        if job.cancel.load(Ordering::SeqCst) {
            cancelled()
        } else {
            e.into()
        }
    })
}

/// Read the job twice a second until `finished`; apply the downtime limit;
/// abort when cancelled.
fn watch(d: Domain, job: &MigrateJob, finished: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    let progress = job.progress.clone();
    let cancel = job.cancel.clone();
    let mut downtime = job.plan.max_downtime_ms;
    std::thread::spawn(move || {
        let mut aborted = false;
        while !finished.load(Ordering::SeqCst) {
            if cancel.load(Ordering::SeqCst) && !aborted {
                // SAFETY: a valid domain reference, held for the call.
                aborted = unsafe { sys::virDomainAbortJob(d.as_ptr()) } == 0;
            }
            if let Some(stats) = job_stats(&d, 0) {
                if let Some(ms) = downtime
                    && d.migrate_set_max_downtime(ms, 0).is_ok()
                {
                    downtime = None;
                }
                if let Some(tx) = &progress {
                    let _ = tx.send(stats);
                }
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    })
}

impl super::Connection {
    /// What would stop moving `uuid` to `dest` with `plan`.
    pub async fn migration_problems(
        &self,
        uuid: &str,
        dest: &super::Connection,
        plan: MigratePlan,
    ) -> Result<Vec<Problem>, Error> {
        let peer = dest.ask(|reply| super::Request::Peer { reply }).await?;
        let uuid = uuid.to_owned();
        self.ask(|reply| super::Request::MigrationProblems {
            uuid,
            peer,
            plan,
            reply,
        })
        .await
    }

    /// The domain's migratable XML, what the destination starts from.
    pub async fn migratable_xml(&self, uuid: &str) -> Result<String, Error> {
        let uuid = uuid.to_owned();
        self.ask(|reply| super::Request::MigratableXml { uuid, reply })
            .await
    }

    /// Move `uuid` to `dest` (folders renamed there as `path_map` says),
    /// progress sent to `progress`; setting `cancel` aborts the job.
    pub async fn migrate(
        &self,
        uuid: &str,
        dest: &super::Connection,
        plan: MigratePlan,
        path_map: Vec<(String, String)>,
        progress: Option<mpsc::UnboundedSender<Progress>>,
        cancel: Arc<AtomicBool>,
    ) -> Result<Migrated, Error> {
        let peer = dest.ask(|reply| super::Request::Peer { reply }).await?;
        let uuid = uuid.to_owned();
        let job = Box::new(MigrateJob {
            peer,
            plan,
            path_map,
            progress,
            cancel,
        });
        self.ask(|reply| super::Request::Migrate { uuid, job, reply })
            .await
    }
}

/// `virDomainGetJobStats`, read and freed here (virt 0.5's wrapper breaks
/// on a job with no statistics); `None` when no job runs.
fn job_stats(d: &Domain, flags: u32) -> Option<Progress> {
    let mut kind = 0;
    let mut params: sys::virTypedParameterPtr = std::ptr::null_mut();
    let mut n = 0;
    // SAFETY: a valid domain; libvirt allocates `n` parameters.
    let rc =
        unsafe { sys::virDomainGetJobStats(d.as_ptr(), &mut kind, &mut params, &mut n, flags) };
    if rc < 0 {
        return None;
    }
    // SAFETY: what libvirt allocated just above.
    let values = unsafe { super::guest::take_params(params, n) };
    if kind == sys::VIR_DOMAIN_JOB_NONE as i32 {
        return None;
    }
    let get = |name: &str| {
        values
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.parse::<u64>().ok())
    };
    let rate = match (get("memory_bps"), get("disk_bps")) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
    };
    Some(Progress {
        elapsed_ms: get("time_elapsed").unwrap_or(0),
        total: get("data_total").unwrap_or(0),
        processed: get("data_processed").unwrap_or(0),
        remaining: get("data_remaining").unwrap_or(0),
        mem_remaining: get("memory_remaining"),
        disk_remaining: get("disk_remaining"),
        rate,
        downtime_ms: get("downtime"),
    })
}
