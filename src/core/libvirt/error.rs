//! Errors of the libvirt service, carrying libvirt's own message.

use std::fmt;

/// What went wrong, coarsely, so that the UI can choose its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// libvirt refused; `code` is its `virErrorNumber`.
    Libvirt { code: i32 },
    /// No domain with that name or UUID.
    NoSuchDomain,
    /// The connection's thread is gone (the connection was closed).
    ServiceGone,
    /// The running guest refused a device added to it and its definition
    /// (it cannot be hot-plugged there); nothing changed, and it can be
    /// added for the next boot instead.
    RefusedLive,
    /// The guest has locked the drive's tray; forcing it open is possible.
    MediaLocked,
    /// Another client (e.g. `virsh console`) holds the text console; it can
    /// be taken over.
    ConsoleBusy,
    /// libvirt calls a snapshot revert risky (the guest's configuration
    /// differs from the snapshot's); it can be forced.
    RevertRisky,
    /// The user cancelled; everything made was taken back.
    Cancelled,
    /// Something Vireo itself could not make sense of (unreadable XML, a
    /// console with no address).
    Other,
}

/// An error from the libvirt service. `message` is shown to the user as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
}

impl Error {
    /// libvirt's "not supported by the connection driver".
    pub fn is_unsupported(&self) -> bool {
        self.kind
            == (ErrorKind::Libvirt {
                code: virt::sys::VIR_ERR_NO_SUPPORT as i32,
            })
    }

    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
        }
    }

    pub(crate) fn service_gone() -> Self {
        Error::new(ErrorKind::ServiceGone, "the connection was closed")
    }
}

impl From<virt::error::Error> for Error {
    fn from(e: virt::error::Error) -> Self {
        let code = e.code().to_raw() as i32;
        let kind = if code == virt::sys::VIR_ERR_NO_DOMAIN as i32 {
            ErrorKind::NoSuchDomain
        } else {
            ErrorKind::Libvirt { code }
        };
        Error::new(kind, e.message().to_owned())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
