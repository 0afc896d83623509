//! What running guests say about themselves: their addresses (guest agent,
//! then DHCP leases, then the host's ARP table) and the guest agent's
//! report (`virDomainGetGuestInfo`). Both can wait on a guest, so they run
//! on a worker thread with a clone of the connection.
//!
//! The test driver has no guest agent report and no DHCP leases. For
//! `test:///` connections only, `VIREO_TEST_FIXTURES=DIR` supplies them
//! from `DIR/guestinfo/DOMAIN.txt` (as `virsh guestinfo` prints it) and
//! `DIR/leases/NETWORK.txt` (as `virsh net-dhcp-leases` prints it): the
//! seam the tests use; real connections never read it.

use std::ffi::{CStr, c_char};
use std::net::IpAddr;
use std::path::PathBuf;

use virt::connect::Connect;
use virt::domain::Domain;
use virt::sys;

use super::{Error, ErrorKind, Reply};
use crate::core::guest::{self, AddressSource, GuestInfo, Iface};

/// Where the guest agent stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentState {
    /// It answered.
    Reported(GuestInfo),
    /// The domain has no agent channel: nothing in the guest can answer.
    NoChannel,
    /// The channel is in the definition, not in the running guest yet.
    ChannelAtNextBoot,
    /// The channel is there but no agent listens (not installed or not
    /// running in the guest).
    NotConnected,
    /// It is connected but the call failed (libvirt's message).
    Failed(String),
}

/// What a running guest says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestReport {
    pub ifaces: Vec<Iface>,
    /// Where `ifaces` came from (`None`: no source knew any address).
    pub source: Option<AddressSource>,
    pub agent: AgentState,
}

/// The fixture folder, for a `test:///` connection only.
pub(super) fn fixtures(conn: &Connect) -> Option<PathBuf> {
    let dir = std::env::var_os("VIREO_TEST_FIXTURES")?;
    let uri = conn.uri().ok()?;
    uri.starts_with("test:").then(|| PathBuf::from(dir))
}

fn text(p: *const c_char) -> Option<String> {
    // SAFETY: libvirt's NUL-terminated strings, or NULL.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// `virDomainInterfaceAddresses` from one source, every record freed
/// (virt 0.5's wrapper frees only the array).
fn interfaces(d: &Domain, source: AddressSource) -> Result<Vec<Iface>, Error> {
    let src = match source {
        AddressSource::Agent => sys::VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT,
        AddressSource::Lease => sys::VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE,
        AddressSource::Arp => sys::VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP,
    };
    let mut list: *mut sys::virDomainInterfacePtr = std::ptr::null_mut();
    // SAFETY: a valid domain; libvirt allocates the array and its records.
    let n = unsafe { sys::virDomainInterfaceAddresses(d.as_ptr(), &mut list, src, 0) };
    if n < 0 {
        return Err(virt::error::Error::last_error().into());
    }
    let mut out = Vec::with_capacity(n as usize);
    for i in 0..n as usize {
        // SAFETY: `n` records were returned; each is read, then freed once.
        unsafe {
            let rec = *list.add(i);
            let r = &*rec;
            let addrs = (0..r.naddrs as usize)
                .filter_map(|k| {
                    let a = &*r.addrs.add(k);
                    let ip: IpAddr = text(a.addr)?.parse().ok()?;
                    Some((ip, a.prefix))
                })
                .collect();
            out.push(Iface {
                name: text(r.name).unwrap_or_default(),
                mac: text(r.hwaddr),
                addrs,
            });
            sys::virDomainInterfaceFree(rec);
        }
    }
    if !list.is_null() {
        // SAFETY: the array, allocated by libvirt with malloc.
        unsafe { free(list.cast()) };
    }
    Ok(out)
}

unsafe extern "C" {
    fn free(p: *mut std::ffi::c_void);
}

/// Leases of the networks the guest's NICs are on, from the fixtures.
fn fixture_leases(dir: &std::path::Path, d: &Domain) -> Vec<Iface> {
    let Ok(xml) = d.xml_desc(0) else {
        return Vec::new();
    };
    let Ok(doc) = crate::core::xml::Document::parse(&xml) else {
        return Vec::new();
    };
    let Some(devices) = doc.root.child("devices") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for nic in devices.children_named("interface") {
        let (Some(net), Some(mac)) = (
            nic.child("source").and_then(|s| s.attr("network")),
            nic.child("mac").and_then(|m| m.attr("address")),
        ) else {
            continue;
        };
        let table = std::fs::read_to_string(dir.join("leases").join(format!("{net}.txt")));
        let addrs: Vec<(IpAddr, u32)> = guest::parse_lease_table(&table.unwrap_or_default())
            .into_iter()
            .filter(|l| l.mac.eq_ignore_ascii_case(&mac))
            .filter_map(|l| Some((l.ip.parse().ok()?, l.prefix)))
            .collect();
        if !addrs.is_empty() {
            let name = nic
                .child("target")
                .and_then(|t| t.attr("dev"))
                .unwrap_or_default();
            out.push(Iface {
                name,
                mac: Some(mac),
                addrs,
            });
        }
    }
    out
}

/// The guest's addresses from the first source that knows any.
pub(super) fn addresses(
    d: &Domain,
    fixtures: Option<&std::path::Path>,
) -> (Vec<Iface>, Option<AddressSource>) {
    if let Some(dir) = fixtures {
        let leased = fixture_leases(dir, d);
        if !leased.is_empty() {
            return (leased, Some(AddressSource::Lease));
        }
    }
    for source in [
        AddressSource::Agent,
        AddressSource::Lease,
        AddressSource::Arp,
    ] {
        if let Ok(ifaces) = interfaces(d, source)
            && !guest::shown_addresses(&ifaces).is_empty()
        {
            return (ifaces, Some(source));
        }
    }
    (Vec::new(), None)
}

/// `virDomainGetGuestInfo` as (name, value) text pairs.
fn guest_info_params(d: &Domain) -> Result<Vec<(String, String)>, Error> {
    let mut params: sys::virTypedParameterPtr = std::ptr::null_mut();
    let mut n: std::os::raw::c_int = 0;
    // SAFETY: a valid domain; libvirt allocates `n` parameters, freed below.
    let rc = unsafe { sys::virDomainGetGuestInfo(d.as_ptr(), 0, &mut params, &mut n, 0) };
    if rc < 0 {
        return Err(virt::error::Error::last_error().into());
    }
    // SAFETY: what libvirt allocated just above.
    Ok(unsafe { take_params(params, n) })
}

/// Typed parameters as (name, value) text pairs, then freed.
///
/// # Safety
/// `params` holds `n` parameters allocated by libvirt, not used afterwards.
pub(super) unsafe fn take_params(
    params: sys::virTypedParameterPtr,
    n: std::os::raw::c_int,
) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(n as usize);
    for i in 0..n as usize {
        // SAFETY: `n` initialised parameters; the union member read is the
        // one `type_` names.
        unsafe {
            let p = &*params.add(i);
            let name = CStr::from_ptr(p.field.as_ptr())
                .to_string_lossy()
                .into_owned();
            let value = match p.type_ as u32 {
                sys::VIR_TYPED_PARAM_INT => p.value.i.to_string(),
                sys::VIR_TYPED_PARAM_UINT => p.value.ui.to_string(),
                sys::VIR_TYPED_PARAM_LLONG => p.value.l.to_string(),
                sys::VIR_TYPED_PARAM_ULLONG => p.value.ul.to_string(),
                sys::VIR_TYPED_PARAM_DOUBLE => p.value.d.to_string(),
                sys::VIR_TYPED_PARAM_BOOLEAN => (p.value.b != 0).to_string(),
                sys::VIR_TYPED_PARAM_STRING => text(p.value.s).unwrap_or_default(),
                _ => continue,
            };
            out.push((name, value));
        }
    }
    // SAFETY: the parameters libvirt allocated above.
    unsafe { sys::virTypedParamsFree(params, n) };
    out
}

fn agent_state(d: &Domain, fixtures: Option<&std::path::Path>) -> AgentState {
    if let Some(dir) = fixtures
        && let Ok(name) = d.name()
        && let Ok(listing) =
            std::fs::read_to_string(dir.join("guestinfo").join(format!("{name}.txt")))
    {
        return AgentState::Reported(GuestInfo::from_params(&guest::parse_guestinfo_listing(
            &listing,
        )));
    }
    let channel = d
        .xml_desc(0)
        .ok()
        .and_then(|xml| guest::agent_channel(&xml));
    let saved = || {
        d.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE)
            .ok()
            .and_then(|xml| guest::agent_channel(&xml))
    };
    match channel {
        None if saved().is_some() => AgentState::ChannelAtNextBoot,
        None => AgentState::NoChannel,
        Some(false) => AgentState::NotConnected,
        Some(true) => match guest_info_params(d) {
            Ok(params) => AgentState::Reported(GuestInfo::from_params(&params)),
            Err(e)
                if e.kind
                    == (ErrorKind::Libvirt {
                        code: sys::VIR_ERR_AGENT_UNRESPONSIVE as i32,
                    }) =>
            {
                AgentState::NotConnected
            }
            Err(e) => AgentState::Failed(e.message),
        },
    }
}

/// Everything the guest says, for the Details page.
pub(super) fn report(conn: &Connect, d: &Domain) -> Result<GuestReport, Error> {
    if !d.is_active()? {
        return Err(Error::new(ErrorKind::Other, "The VM is not running."));
    }
    let dir = fixtures(conn);
    let (ifaces, source) = addresses(d, dir.as_deref());
    Ok(GuestReport {
        ifaces,
        source,
        agent: agent_state(d, dir.as_deref()),
    })
}

/// The shown addresses of every running domain: (UUID, addresses).
pub(super) fn all_addresses(conn: &Connect) -> Result<Vec<(String, Vec<String>)>, Error> {
    let dir = fixtures(conn);
    let running = conn.list_all_domains(sys::VIR_CONNECT_LIST_DOMAINS_ACTIVE)?;
    Ok(running
        .iter()
        .filter_map(|d| {
            let uuid = d.uuid_string().ok()?;
            let (ifaces, _) = addresses(d, dir.as_deref());
            Some((uuid, guest::shown_addresses(&ifaces)))
        })
        .collect())
}

/// Run `work` on a thread of its own with a clone of the connection.
pub(super) fn worker<T: Send + 'static>(
    conn: &Connect,
    reply: Reply<T>,
    work: impl FnOnce(&Connect) -> Result<T, Error> + Send + 'static,
) {
    let conn = conn.clone();
    std::thread::spawn(move || {
        let _ = reply.send(work(&conn));
    });
}
