//! Plain-data views of domains, safe to send to the UI.

use virt::domain::Domain;

use super::Error;

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
