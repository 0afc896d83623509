//! Creating a VM from the wizard's [`Plan`]: all or nothing.
//!
//! The steps run on the connection's thread in order: start the networks
//! the user agreed to start, create the new volume, define the domain,
//! fetch a network install's kernel, start the domain. When a step fails,
//! what the earlier ones made is taken back (the domain undefined, the
//! volume deleted) before the error, with libvirt's message, is returned.

use tokio::sync::mpsc;
use virt::connect::Connect;
use virt::domain::Domain;
use virt::storage_pool::StoragePool;
use virt::storage_vol::StorageVol;

use super::{DomainSummary, Error, ErrorKind, host};
use crate::core::wizard::{
    HostFacts, InstallSource, NetworkChoice, NetworkFacts, Plan, PoolFacts, StorageChoice,
    default_pool_path, default_pool_xml, new_image_format, tree, volume_xml_format,
};
use crate::core::xml::caps::{Capabilities, NetworkInfo, PoolInfo};

/// What a creation is doing, for the wizard's progress line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateStep {
    StartingNetwork,
    CreatingVolume,
    Defining,
    FetchingKernel,
    Starting,
}

/// What the wizard asks the service to do.
#[derive(Debug, Clone)]
pub struct CreateJob {
    pub plan: Plan,
    /// The facts the plan was checked against.
    pub host: HostFacts,
    /// Start the installation now; `false` defines the VM only
    /// ("Customize configuration before install").
    pub start: bool,
}

/// What a successful creation made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub domain: DomainSummary,
    /// The new volume's path, if one was created.
    pub volume_path: Option<String>,
}

fn other(message: String) -> Error {
    Error::new(ErrorKind::Other, message)
}

/// Read what the wizard needs to know about the host.
pub(super) fn facts(conn: &Connect) -> Result<HostFacts, Error> {
    let uri = conn.uri()?;
    let node = conn.node_info()?;
    let caps = Capabilities::parse(&conn.capabilities()?).map_err(|e| other(e.to_string()))?;
    let local = host::is_local_uri(&uri);
    let acceleration = host::acceleration(&caps, local);
    let mut arches: Vec<(String, Vec<String>)> = Vec::new();
    for g in caps.guests.iter().filter(|g| g.os_type == "hvm") {
        if !arches.iter().any(|(a, _)| a == &g.arch) {
            arches.push((g.arch.clone(), g.machines.clone()));
        }
    }
    let mut pools = Vec::new();
    for p in conn.list_all_storage_pools(0)? {
        let active = p.is_active()?;
        if active {
            // Free space as of now, and volumes made behind libvirt's back.
            let _ = p.refresh(0);
        }
        let Ok(info) = PoolInfo::parse(&p.xml_desc(0)?) else {
            continue;
        };
        let volumes = if active {
            p.list_volumes().unwrap_or_default()
        } else {
            Vec::new()
        };
        pools.push(PoolFacts {
            name: info.name,
            path: info.target_path,
            available: info.available,
            active,
            volumes,
        });
    }
    pools.sort_by(|a, b| a.name.cmp(&b.name));
    let mut networks = Vec::new();
    for n in conn.list_all_networks(0)? {
        if let Ok(info) = NetworkInfo::parse(&n.xml_desc(0)?) {
            networks.push(NetworkFacts {
                name: info.name,
                active: n.is_active()?,
                forward_mode: info.forward_mode,
            });
        }
    }
    networks.sort_by(|a, b| a.name.cmp(&b.name));
    let mut domain_names = Vec::new();
    for d in conn.list_all_domains(0)? {
        if let Ok(name) = d.name() {
            domain_names.push(name);
        }
    }
    Ok(HostFacts {
        session: uri.contains("/session"),
        local,
        arch: caps.host_arch.clone(),
        kvm: acceleration.available(),
        arches,
        memory_mib: node.memory / 1024,
        cpus: node.cpus,
        domain_names,
        pools,
        networks,
    })
}

/// Define, start and autostart the `default` directory pool. A session
/// daemon keeps it under the user's data directory (`data_home`).
pub(super) fn create_default_pool(conn: &Connect, data_home: Option<&str>) -> Result<(), Error> {
    let session = conn.uri()?.contains("/session");
    let path = default_pool_path(session, data_home);
    // The daemon makes the directory (`build`), as its own user.
    let pool = conn.define_storage_pool_xml(&default_pool_xml(&path), 0)?;
    let started = pool
        .build(0)
        .and_then(|_| pool.create(0))
        .and_then(|_| pool.set_autostart(true));
    if let Err(e) = started {
        let _ = pool.undefine();
        return Err(e.into());
    }
    Ok(())
}

/// Start a stopped virtual network.
pub(super) fn start_network(conn: &Connect, name: &str) -> Result<(), Error> {
    let net = conn.lookup_network_by_name(name)?;
    if !net.is_active()? {
        net.create()?;
    }
    Ok(())
}

/// What has been made so far, to take back on failure.
#[derive(Default)]
struct Made {
    /// A directory pool made for a new image's folder.
    pool: Option<StoragePool>,
    volume: Option<StorageVol>,
    domain: Option<Domain>,
    files: Vec<String>,
}

impl Made {
    fn undo(self) {
        if let Some(d) = self.domain {
            if d.is_active().unwrap_or(false) {
                let _ = d.destroy();
            }
            if d.undefine_flags(virt::sys::VIR_DOMAIN_UNDEFINE_NVRAM)
                .is_err()
            {
                let _ = d.undefine();
            }
        }
        if let Some(v) = self.volume {
            let _ = v.delete(0);
        }
        if let Some(p) = self.pool {
            let _ = p.destroy();
            let _ = p.undefine();
        }
        for f in self.files {
            let _ = std::fs::remove_file(f);
        }
    }
}

/// A new image at `path` through libvirt's storage API: in the pool whose
/// directory holds it, or in a directory pool made for that folder (named
/// after it, started and autostarted, as virt-install does).
fn image_at(
    conn: &Connect,
    path: &str,
    size_bytes: u64,
    made: &mut Made,
) -> Result<StorageVol, Error> {
    let p = std::path::Path::new(path);
    let (Some(dir), Some(file)) = (p.parent(), p.file_name()) else {
        return Err(other(format!("“{path}” is not a file path")));
    };
    let (pool, new) = super::clone::pool_for_dir(conn, &dir.display().to_string())?;
    if new {
        made.pool = Some(pool.clone());
    }
    let xml = volume_xml_format(&file.to_string_lossy(), size_bytes, new_image_format(path));
    Ok(StorageVol::create_xml(&pool, &xml, 0)?)
}

/// Run a [`CreateJob`], reporting each step on `progress`.
pub(super) fn create(
    conn: &Connect,
    job: &CreateJob,
    progress: Option<&mpsc::UnboundedSender<CreateStep>>,
) -> Result<Created, Error> {
    let report = |s| {
        if let Some(p) = progress {
            let _ = p.send(s);
        }
    };
    // Checked again here: the wizard's facts may be minutes old.
    if let Some(problem) = job
        .plan
        .check_all(&job.host)
        .into_iter()
        .find(|p| p.is_error())
    {
        return Err(other(problem.to_string()));
    }
    let mut made = Made::default();
    match steps(conn, job, &report, &mut made) {
        Ok(created) => Ok(created),
        Err(e) => {
            made.undo();
            Err(e)
        }
    }
}

fn steps(
    conn: &Connect,
    job: &CreateJob,
    report: &dyn Fn(CreateStep),
    made: &mut Made,
) -> Result<Created, Error> {
    let plan = &job.plan;
    if let NetworkChoice::Virtual(name) = &plan.network
        && job.host.network(name).is_some_and(|n| !n.active)
    {
        report(CreateStep::StartingNetwork);
        start_network(conn, name)?;
    }
    let mut volume_path = None;
    if let Some(v) = plan.new_volume() {
        report(CreateStep::CreatingVolume);
        let pool = conn.lookup_storage_pool_by_name(&v.pool)?;
        let vol = StorageVol::create_xml(&pool, &v.xml, 0)?;
        volume_path = vol.path().ok();
        made.volume = Some(vol);
    }
    if let StorageChoice::NewAt { path, size_bytes } = &plan.storage {
        report(CreateStep::CreatingVolume);
        let vol = image_at(conn, path, *size_bytes, made)?;
        volume_path = vol.path().ok();
        made.volume = Some(vol);
    }
    report(CreateStep::Defining);
    let xml = plan.domain_xml(&job.host);
    let domain = conn.define_domain_xml_flags(&xml, virt::sys::VIR_DOMAIN_DEFINE_VALIDATE)?;
    made.domain = Some(domain.clone());
    if job.start {
        let install = match &plan.source {
            InstallSource::Location { url, .. } => {
                report(CreateStep::FetchingKernel);
                let dir = std::env::temp_dir().join(format!("vireo-install-{}", plan.name));
                let (kernel, initrd) = if tree::is_local_iso(url) {
                    let iso = url.strip_prefix("file://").unwrap_or(url);
                    tree::extract_boot_files(iso, &dir).map_err(other)?
                } else {
                    tree::fetch_boot_files(url, &dir).map_err(other)?
                };
                made.files.push(kernel.clone());
                made.files.push(initrd.clone());
                let uuid = domain.uuid_string()?;
                plan.install_xml(&job.host, &kernel, &initrd, Some(&uuid))
            }
            _ => None,
        };
        report(CreateStep::Starting);
        match install {
            // The first boot runs the installer's kernel; the persistent
            // definition (booting the disk) is what stays.
            Some(install_xml) => {
                conn.create_domain_xml(&install_xml, 0)?;
            }
            None => domain.create()?,
        }
    }
    let summary = DomainSummary::read(&domain)?;
    // Success: nothing is taken back (the install kernel stays until the
    // guest has booted it; it lives in the temporary directory).
    made.domain = None;
    made.volume = None;
    made.pool = None;
    made.files.clear();
    Ok(Created {
        domain: summary,
        volume_path,
    })
}
