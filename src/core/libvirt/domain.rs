//! Plain-data views of domains, safe to send to the UI.

use std::ffi::{CStr, c_void};

use virt::connect::Connect;
use virt::domain::Domain;
use virt::sys;

use super::Error;

unsafe extern "C" {
    fn free(p: *mut c_void);
}

/// A domain's run state, as libvirt reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DomainState {
    NoState,
    Running,
    Blocked,
    Paused,
    ShuttingDown,
    ShutOff,
    Crashed,
    PmSuspended,
}

impl DomainState {
    pub(crate) fn from_raw(raw: u32) -> Self {
        use virt::sys;
        match raw {
            sys::VIR_DOMAIN_RUNNING => DomainState::Running,
            sys::VIR_DOMAIN_BLOCKED => DomainState::Blocked,
            sys::VIR_DOMAIN_PAUSED => DomainState::Paused,
            sys::VIR_DOMAIN_SHUTDOWN => DomainState::ShuttingDown,
            sys::VIR_DOMAIN_SHUTOFF => DomainState::ShutOff,
            sys::VIR_DOMAIN_CRASHED => DomainState::Crashed,
            sys::VIR_DOMAIN_PMSUSPENDED => DomainState::PmSuspended,
            _ => DomainState::NoState,
        }
    }

    /// True while the guest has a QEMU process (running, paused, …).
    pub fn is_active(self) -> bool {
        !matches!(self, DomainState::ShutOff | DomainState::NoState)
    }
}

/// What the VM list needs to know of one domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainSummary {
    pub uuid: String,
    pub name: String,
    pub state: DomainState,
    /// The hypervisor's ID while active.
    pub id: Option<u32>,
    pub persistent: bool,
    pub vcpus: u32,
    /// Current memory in KiB.
    pub memory_kib: u64,
    /// The short description users give a VM (`<title>`), if any.
    pub title: Option<String>,
}

impl DomainSummary {
    pub(crate) fn read(domain: &Domain) -> Result<Self, Error> {
        let info = domain.info()?;
        Ok(DomainSummary {
            uuid: domain.uuid_string()?,
            name: domain.name()?,
            state: DomainState::from_raw(info.state.to_raw()),
            id: domain.id(),
            persistent: domain.is_persistent()?,
            vcpus: info.nr_virt_cpu,
            memory_kib: info.memory,
            // No title is an error from libvirt ("metadata not found").
            title: domain
                .metadata(virt::sys::VIR_DOMAIN_METADATA_TITLE as i32, None, 0)
                .ok()
                .filter(|t| !t.is_empty()),
        })
    }
}

/// Every domain of `conn`, sorted by name, in a few calls whatever their
/// number: one bulk `virConnectGetAllDomainStats` (state, memory, vCPUs),
/// one listing of the transient domains, then a title lookup per domain
/// (libvirt has no bulk call for titles). Reading each domain's info and
/// persistence one by one cost three calls per domain: 3000 round trips
/// for a host of 1000 VMs. Drivers that report no memory or vCPUs for a
/// stopped domain (the test driver) get its info read for it.
pub(super) fn list_all(conn: &Connect) -> Result<Vec<DomainSummary>, Error> {
    let transient: std::collections::HashSet<String> = conn
        .list_all_domains(sys::VIR_CONNECT_LIST_DOMAINS_TRANSIENT)?
        .iter()
        .filter_map(|d| d.uuid_string().ok())
        .collect();
    let wanted =
        sys::VIR_DOMAIN_STATS_STATE | sys::VIR_DOMAIN_STATS_BALLOON | sys::VIR_DOMAIN_STATS_VCPU;
    let mut all = Vec::new();
    super::stats::bulk(conn, wanted, 0, |dom, uuid, fields| {
        // SAFETY: `dom` is the live domain of a record of this call.
        if let Some(summary) = unsafe { summary_of(dom, uuid, fields, &transient) } {
            all.push(summary);
        }
    })?;
    all.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.uuid.cmp(&b.uuid)));
    Ok(all)
}

/// One record as a summary; `None` when its domain vanished meanwhile.
///
/// # Safety
/// `dom` is a live domain of a `virConnectGetAllDomainStats` record.
unsafe fn summary_of(
    dom: sys::virDomainPtr,
    uuid: String,
    fields: &[(&str, u64)],
    transient: &std::collections::HashSet<String>,
) -> Option<DomainSummary> {
    // SAFETY (all calls): `dom` is live; the name is read from the local
    // object, strings libvirt returns are copied (and the metadata string
    // freed).
    let name_ptr = unsafe { sys::virDomainGetName(dom) };
    if name_ptr.is_null() {
        return None;
    }
    let name = unsafe { CStr::from_ptr(name_ptr) }
        .to_string_lossy()
        .into_owned();
    let (mut state, mut memory, mut vcpus) = (None, None, None);
    for &(field, value) in fields {
        match field {
            "state.state" => state = Some(value),
            "balloon.current" => memory = Some(value),
            "vcpu.current" => vcpus = Some(value),
            _ => {}
        }
    }
    let (state, memory, vcpus) = match (state, memory, vcpus) {
        (Some(s), Some(m), Some(v)) => (s, m, v),
        _ => {
            let mut info = sys::virDomainInfo {
                state: 0,
                maxMem: 0,
                memory: 0,
                nrVirtCpu: 0,
                cpuTime: 0,
            };
            if unsafe { sys::virDomainGetInfo(dom, &mut info) } != 0 {
                return None;
            }
            (
                state.unwrap_or(u64::from(info.state)),
                memory.unwrap_or(info.memory),
                vcpus.unwrap_or(u64::from(info.nrVirtCpu)),
            )
        }
    };
    let id = unsafe { sys::virDomainGetID(dom) };
    let title_ptr = unsafe {
        sys::virDomainGetMetadata(
            dom,
            sys::VIR_DOMAIN_METADATA_TITLE as i32,
            std::ptr::null(),
            0,
        )
    };
    // No title is an error from libvirt ("metadata not found").
    let title = (!title_ptr.is_null()).then(|| {
        let t = unsafe { CStr::from_ptr(title_ptr) }
            .to_string_lossy()
            .into_owned();
        unsafe { free(title_ptr.cast()) };
        t
    });
    Some(DomainSummary {
        persistent: !transient.contains(&uuid),
        uuid,
        name,
        state: DomainState::from_raw(u32::try_from(state).unwrap_or(0)),
        id: (id != u32::MAX).then_some(id),
        vcpus: u32::try_from(vcpus).unwrap_or(u32::MAX),
        memory_kib: memory,
        title: title.filter(|t| !t.is_empty()),
    })
}
