//! Messages of the main window.

use crate::core::libvirt::{Connection, DomainSummary, Error, Event};

/// What the main window is asked to do.
#[derive(Debug)]
pub enum AppInput {
    /// Drop every connection and open the initial ones again.
    Reconnect,
    /// Open one failed connection again.
    RetryConnection(usize),
    ShowPreferences,
    ShowAbout,
}

/// Results of the libvirt work the main window started.
#[derive(Debug)]
pub enum AppCommandOutput {
    /// The connections to open, decided off the main thread.
    InitialUris { generation: u64, uris: Vec<String> },
    /// One connection opened (and listed) or failed.
    Opened {
        generation: u64,
        index: usize,
        result: Result<(Connection, Vec<DomainSummary>), Error>,
    },
    /// Something happened on an open connection (libvirt pushed it).
    Libvirt {
        generation: u64,
        index: usize,
        event: Event,
    },
    /// A connection's domains, listed again after an event.
    Listed {
        generation: u64,
        index: usize,
        result: Result<Vec<DomainSummary>, Error>,
    },
    /// The domain named on the command line, looked up.
    ShowTarget {
        what: ShowWhat,
        key: String,
        result: Result<DomainSummary, Error>,
    },
}

/// Which window the command line asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShowWhat {
    Console,
    Editor,
}
