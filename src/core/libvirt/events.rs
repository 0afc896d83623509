//! Domain lifecycle and connection-close events, pushed by libvirt.
//!
//! Callbacks are registered on the actor thread right after the connection
//! opens and run on the event-loop thread; each one turns libvirt's call into
//! a plain [`Event`] on a broadcast channel, so the UI learns of a VM that
//! started or stopped without polling.

use std::ffi::{CStr, c_char, c_int, c_void};

use tokio::sync::broadcast;
use virt::connect::Connect;
use virt::sys;

/// What changed in a domain's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    Defined,
    Undefined,
    Started,
    Suspended,
    Resumed,
    Stopped,
    ShuttingDown,
    PmSuspended,
    Crashed,
    /// An event this libvirt knows and Vireo does not.
    Other(i32),
}

impl Lifecycle {
    fn from_raw(event: c_int) -> Lifecycle {
        match event as u32 {
            sys::VIR_DOMAIN_EVENT_DEFINED => Lifecycle::Defined,
            sys::VIR_DOMAIN_EVENT_UNDEFINED => Lifecycle::Undefined,
            sys::VIR_DOMAIN_EVENT_STARTED => Lifecycle::Started,
            sys::VIR_DOMAIN_EVENT_SUSPENDED => Lifecycle::Suspended,
            sys::VIR_DOMAIN_EVENT_RESUMED => Lifecycle::Resumed,
            sys::VIR_DOMAIN_EVENT_STOPPED => Lifecycle::Stopped,
            sys::VIR_DOMAIN_EVENT_SHUTDOWN => Lifecycle::ShuttingDown,
            sys::VIR_DOMAIN_EVENT_PMSUSPENDED => Lifecycle::PmSuspended,
            sys::VIR_DOMAIN_EVENT_CRASHED => Lifecycle::Crashed,
            _ => Lifecycle::Other(event),
        }
    }
}

/// Why libvirt closed a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    Error,
    /// The daemon went away (stopped or restarted).
    Eof,
    /// Keepalives went unanswered.
    Keepalive,
    Client,
}

/// What a connection tells its subscribers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Lifecycle {
        uuid: String,
        name: String,
        change: Lifecycle,
        /// libvirt's detail code (why it stopped, how it was defined, …).
        detail: i32,
    },
    Closed(CloseReason),
    /// The guest agent of a running domain connected or went away.
    Agent {
        uuid: String,
        connected: bool,
    },
}

impl Event {
    /// A rename: libvirt undefines the old name and defines the new one.
    pub fn is_rename(&self) -> bool {
        matches!(self, Event::Lifecycle { change: Lifecycle::Undefined, detail, .. }
            if *detail == sys::VIR_DOMAIN_EVENT_UNDEFINED_RENAMED as i32)
            || matches!(self, Event::Lifecycle { change: Lifecycle::Defined, detail, .. }
            if *detail == sys::VIR_DOMAIN_EVENT_DEFINED_RENAMED as i32)
    }
}

type Sender = broadcast::Sender<Event>;

unsafe extern "C" fn free_sender(opaque: *mut c_void) {
    // SAFETY: `opaque` is the Box made in `register` and libvirt frees it once.
    drop(unsafe { Box::from_raw(opaque as *mut Sender) });
}

/// A domain's UUID and name, as an event callback receives it.
fn identity(dom: sys::virDomainPtr) -> (String, String) {
    // SAFETY: libvirt passes a valid domain for the duration of the call.
    let name = unsafe {
        let p = sys::virDomainGetName(dom);
        if p.is_null() {
            String::new()
        } else {
            CStr::from_ptr(p).to_string_lossy().into_owned()
        }
    };
    let mut buf = [0 as c_char; 48];
    let uuid = unsafe {
        if sys::virDomainGetUUIDString(dom, buf.as_mut_ptr()) == 0 {
            CStr::from_ptr(buf.as_ptr()).to_string_lossy().into_owned()
        } else {
            String::new()
        }
    };
    (uuid, name)
}

unsafe extern "C" fn on_agent(
    _conn: sys::virConnectPtr,
    dom: sys::virDomainPtr,
    state: c_int,
    _reason: c_int,
    opaque: *mut c_void,
) {
    // SAFETY: as for `on_lifecycle`.
    let tx = unsafe { &*(opaque as *const Sender) };
    let (uuid, _) = identity(dom);
    let connected = state as u32 == sys::VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_STATE_CONNECTED;
    let _ = tx.send(Event::Agent { uuid, connected });
}

unsafe extern "C" fn on_lifecycle(
    _conn: sys::virConnectPtr,
    dom: sys::virDomainPtr,
    event: c_int,
    detail: c_int,
    opaque: *mut c_void,
) -> c_int {
    // SAFETY: libvirt passes the opaque pointer registered below and a valid
    // domain for the duration of the call.
    let tx = unsafe { &*(opaque as *const Sender) };
    let (uuid, name) = identity(dom);
    let _ = tx.send(Event::Lifecycle {
        uuid,
        name,
        change: Lifecycle::from_raw(event),
        detail,
    });
    0
}

unsafe extern "C" fn on_close(_conn: sys::virConnectPtr, reason: c_int, opaque: *mut c_void) {
    // SAFETY: as above.
    let tx = unsafe { &*(opaque as *const Sender) };
    let reason = match reason as u32 {
        sys::VIR_CONNECT_CLOSE_REASON_EOF => CloseReason::Eof,
        sys::VIR_CONNECT_CLOSE_REASON_KEEPALIVE => CloseReason::Keepalive,
        sys::VIR_CONNECT_CLOSE_REASON_CLIENT => CloseReason::Client,
        _ => CloseReason::Error,
    };
    let _ = tx.send(Event::Closed(reason));
}

/// The callbacks registered on one connection.
pub(super) struct Registration {
    lifecycle: Option<c_int>,
    agent: Option<c_int>,
    close: bool,
}

type LifecycleCb =
    unsafe extern "C" fn(sys::virConnectPtr, sys::virDomainPtr, c_int, c_int, *mut c_void) -> c_int;
type AgentCb =
    unsafe extern "C" fn(sys::virConnectPtr, sys::virDomainPtr, c_int, c_int, *mut c_void);
type GenericCb = unsafe extern "C" fn(sys::virConnectPtr, sys::virDomainPtr, *mut c_void);

/// Register `cb` for domain event `id`, with a clone of `tx` as its opaque.
fn register_domain_event(
    ptr: sys::virConnectPtr,
    tx: &Sender,
    id: u32,
    cb: GenericCb,
) -> Option<c_int> {
    let opaque = Box::into_raw(Box::new(tx.clone())) as *mut c_void;
    // SAFETY: a valid connection; libvirt frees `opaque` with `free_sender`.
    let rc = unsafe {
        sys::virConnectDomainEventRegisterAny(
            ptr,
            std::ptr::null_mut(),
            id as c_int,
            Some(cb),
            opaque,
            Some(free_sender),
        )
    };
    if rc < 0 {
        // SAFETY: libvirt did not take it.
        unsafe { free_sender(opaque) };
        None
    } else {
        Some(rc)
    }
}

pub(super) fn register(conn: &Connect, tx: &Sender) -> Registration {
    let ptr = unsafe { conn.as_ptr() };
    // SAFETY: libvirt calls the generic callback with the signature of the
    // event registered (its documented cast).
    let lifecycle = register_domain_event(ptr, tx, sys::VIR_DOMAIN_EVENT_ID_LIFECYCLE, unsafe {
        std::mem::transmute::<LifecycleCb, GenericCb>(on_lifecycle)
    });
    let agent = register_domain_event(ptr, tx, sys::VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE, unsafe {
        std::mem::transmute::<AgentCb, GenericCb>(on_agent)
    });
    let close = {
        let opaque = Box::into_raw(Box::new(tx.clone())) as *mut c_void;
        let rc = unsafe {
            sys::virConnectRegisterCloseCallback(ptr, Some(on_close), opaque, Some(free_sender))
        };
        if rc < 0 {
            unsafe { free_sender(opaque) };
        }
        rc >= 0
    };
    Registration {
        lifecycle,
        agent,
        close,
    }
}

impl Registration {
    /// Undo [`register`] before the connection is closed.
    pub(super) fn deregister(self, conn: &Connect) {
        let ptr = unsafe { conn.as_ptr() };
        for id in [self.lifecycle, self.agent].into_iter().flatten() {
            unsafe { sys::virConnectDomainEventDeregisterAny(ptr, id) };
        }
        if self.close {
            unsafe { sys::virConnectUnregisterCloseCallback(ptr, Some(on_close)) };
        }
    }
}
