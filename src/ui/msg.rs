//! Messages of the main window.

use crate::core::libvirt::{
    Connection, DeleteReport, DomainStats, DomainSummary, Error, Event, HostOverview, PowerAction,
};

/// What the main window is asked to do.
#[derive(Debug)]
pub enum AppInput {
    /// Drop every connection and open the initial ones again.
    Reconnect,
    /// Open one failed connection again.
    RetryConnection(usize),
    ShowPreferences,
    ShowAbout,
    /// Run a power action on a VM of a connection.
    Power {
        index: usize,
        uuid: String,
        action: PowerAction,
    },
    ShowAddConnection,
    /// Save a connection (and open it when `autoconnect`).
    AddConnection {
        uri: String,
        autoconnect: bool,
    },
    /// Open the host overview of a connection (the first connected one for `None`).
    ShowHost(Option<usize>),
    /// Ask before deleting a VM (loads its disks first).
    AskDelete {
        index: usize,
        uuid: String,
    },
    /// libvirt asks for credentials while opening `uri`; answer on `reply`.
    Authenticate {
        uri: String,
        prompts: Vec<crate::core::libvirt::CredentialPrompt>,
        reply: std::sync::mpsc::Sender<Option<Vec<String>>>,
    },
    /// The search text changed.
    Search(String),
    /// Enter in the search entry: open the first VM that matches.
    OpenFirstMatch,
    /// Open the New Virtual Machine assistant.
    ShowCreator,
    /// Forget a connection (and close it).
    RemoveConnection(usize),
    /// Rebuild the list (queued by answers that change rows).
    Rebuild,
    /// The rows shown changed: tell each host's poll whether statistics
    /// are wanted.
    RowsChanged,
    /// Close a connection, keeping it in the list.
    Disconnect(usize),
    /// Show the hosts as `win.list-hosts` says (`grouped`, `one-list`, `only:URI`).
    HostView(String),
    /// An action on the selected VM (an id of `vm_list::action_id`, "open" or "delete").
    Selected(&'static str),
    SelectionChanged,
    /// A row was activated (double click, Enter).
    Activate(u32),
    Sort(crate::ui::main_window::vm_list::SortKey),
    GraphsChanged,
    /// Open a VM's window.
    Open {
        index: usize,
        uuid: String,
    },
    /// Show the Details page of an open VM window.
    ShowDetails {
        index: usize,
        uuid: String,
    },
    /// The wizard created a VM: open its window (on the console when its
    /// installation runs, on Details with Begin Installation otherwise).
    Created {
        index: usize,
        uuid: String,
        name: String,
        started: bool,
    },
    /// The New VM wizard was closed.
    WizardClosed,
    /// A VM window was closed.
    VmWindowClosed {
        index: usize,
        uuid: String,
    },
    /// Open the Clone dialog of a VM.
    ShowClone {
        index: usize,
        uuid: String,
    },
    /// A clone was made.
    Cloned(String),
    /// Open the Migrate dialog of a VM.
    ShowMigrate {
        index: usize,
        uuid: String,
    },
    /// The same, asked by a VM window, which knows its connection's URI.
    MigrateFrom {
        uri: String,
        uuid: String,
    },
    /// A VM moved from connection `from` to `index`.
    Migrated {
        from: usize,
        index: usize,
        uuid: String,
        name: String,
        downtime_ms: Option<u64>,
    },
    /// The user confirmed: delete the VM and the chosen storage.
    Delete {
        index: usize,
        uuid: String,
        name: String,
        storage: Vec<String>,
    },
}

/// A disk offered for deletion with its VM.
#[derive(Debug, Clone)]
pub struct DeletableDisk {
    pub path: String,
    /// Read-only and shared media (ISOs) start unchecked.
    pub checked: bool,
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
        /// An extra attempt outside the reconnect schedule (another host
        /// just came back): a failure leaves the schedule as it is.
        nudge: bool,
        result: Result<(Connection, Vec<DomainSummary>), Error>,
    },
    /// Something happened on an open connection (libvirt pushed it).
    Libvirt {
        generation: u64,
        index: usize,
        event: Event,
    },
    /// A sample of one host's CPU and memory counters.
    HostLoad {
        generation: u64,
        index: usize,
        load: crate::core::libvirt::HostLoad,
    },
    /// A bulk statistics sample of one connection.
    Stats {
        generation: u64,
        index: usize,
        stats: Vec<DomainStats>,
        at: std::time::Instant,
    },
    /// The running guests' addresses on one connection: (UUID, addresses).
    Addresses {
        generation: u64,
        index: usize,
        addresses: Vec<(String, Vec<String>)>,
    },
    /// Time for the next automatic reconnect attempt.
    ReconnectDue { generation: u64, index: usize },
    /// A connection's domains, listed again after an event.
    Listed {
        generation: u64,
        index: usize,
        result: Result<Vec<DomainSummary>, Error>,
    },
    /// A power action finished (the list follows through events).
    PowerDone {
        index: usize,
        uuid: String,
        name: String,
        action: PowerAction,
        result: Result<(), Error>,
    },
    /// What the delete dialog needs: the VM's name, whether it runs, its disks.
    DeleteInfo {
        index: usize,
        uuid: String,
        result: Result<(String, bool, Vec<DeletableDisk>), Error>,
    },
    Deleted {
        name: String,
        result: Result<DeleteReport, Error>,
    },
    /// The host overview for the window opened with token `token`.
    HostLoaded {
        token: u64,
        result: Result<HostOverview, Error>,
    },
    /// The domain named on the command line, looked up.
    ShowTarget {
        index: usize,
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

/// A channel for a core operation's progress reports, and the future that
/// hands each one to a command's output as `wrap(report)` until the
/// operation drops its sender. Run the two together (`tokio::join!`).
pub fn forward_progress<T: Send + 'static, C: Send + 'static>(
    out: &relm4::Sender<C>,
    wrap: fn(T) -> C,
) -> (
    tokio::sync::mpsc::UnboundedSender<T>,
    impl std::future::Future<Output = ()> + use<T, C>,
) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let out = out.clone();
    let forward = async move {
        while let Some(report) = rx.recv().await {
            let _ = out.send(wrap(report));
        }
    };
    (tx, forward)
}
