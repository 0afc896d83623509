//! The libvirt service: every libvirt call Vireo makes goes through here.
//!
//! ```text
//!   GTK main thread                 connection actor threads          event-loop thread
//!   ───────────────                 ────────────────────────          ─────────────────
//!   Relm4 command ──Request──►  [actor "qemu:///system"] owns Connect   virEventRunDefaultImpl()
//!        ▲                      [actor "test:///…"]      owns Connect   in a loop: keepalives,
//!        ├──────reply (oneshot)──────┘ (blocking calls, run in order)   domain lifecycle events,
//!        └──────Event (broadcast) ◄─────────────────────────────────── connection close
//! ```
//!
//! * [`Connection::open`] starts one actor thread per connection. The thread
//!   owns the `virt::connect::Connect` and runs the blocking libvirt calls one
//!   after the other, so the GTK main loop never waits on libvirt.
//! * A [`Connection`] is a cheap, cloneable handle. Each method sends a
//!   [`Request`] and awaits its reply. When the last handle is dropped the
//!   actor leaves its loop and the connection is closed.
//! * One process-wide thread runs libvirt's default event loop, registered
//!   before the first connection is opened. Domain lifecycle events and the
//!   connection's close arrive there and go out as [`Event`]s to every
//!   [`Connection::subscribe`]r.
//!
//! Length: the protocol's every `Request` with its reply type, and the one
//! typed `Connection` method per request, kept side by side so that each
//! request is documented once.

mod actor;
mod auth;
pub mod clone;
mod create;
mod devices;
mod domain;
mod edit;
mod error;
mod events;
mod graphics;
pub mod guest;
mod host;
mod load;
pub mod migrate;
pub mod networks;
pub mod snapshots;
mod stats;
pub mod storage;
pub mod text;
pub mod tunnel;

pub use crate::core::hardware::Scope;
pub use auth::{Authenticator, CredentialKind, CredentialPrompt};
pub use clone::{CloneJob, CloneSource, CloneStep};
pub use create::{CreateJob, CreateStep, Created};
pub use devices::DiskRemoved;
pub use domain::{DomainState, DomainSummary};
pub use error::{Error, ErrorKind};
pub use events::{CloseReason, Event, Lifecycle};
pub use graphics::{ChannelSocket, Console, ConsoleTarget, GraphicsInfo, Protocol, graphics_of};
pub use guest::{AgentState, GuestReport};
pub use host::{Acceleration, HostOverview, NetworkSummary, PoolSummary, is_local_uri};
pub use load::HostLoad;
pub use migrate::{MigrateJob, Migrated, Peer};
pub use networks::{Lease, NetworkAction, NetworkDetails, NetworkRequest};
pub use snapshots::{Reverted, SnapshotRequest, SnapshotsView};
pub use stats::{DomainStats, Usage, usage};
pub use storage::{Direction, PoolAction, PoolDetails, StorageRequest, Transfer, VolumeInfo};
pub use text::{TextConsole, TextDevice, TextEvent};

use std::sync::OnceLock;
use tokio::sync::{broadcast, mpsc, oneshot};

/// The reply half of a request.
pub type Reply<T> = oneshot::Sender<Result<T, Error>>;

/// What the UI asks of a connection. Domains are addressed by UUID.
#[derive(Debug)]
pub enum Request {
    /// Every domain, active or not, sorted by name.
    ListDomains { reply: Reply<Vec<DomainSummary>> },
    /// How to reach a running domain's console: graphics device `display`
    /// (its index), or the first VNC or SPICE one.
    OpenConsole {
        uuid: String,
        display: Option<u32>,
        reply: Reply<Console>,
    },
    /// One more connected socket to graphics device `index` of a running
    /// domain (a SPICE session needs one per channel).
    ChannelSocket {
        uuid: String,
        index: u32,
        reply: Reply<ChannelSocket>,
    },
    /// The running domain's pty text consoles (serial ports, virtio
    /// consoles).
    TextDevices {
        uuid: String,
        reply: Reply<Vec<TextDevice>>,
    },
    /// Open text console `alias` (`None`: the first); `force` takes it over
    /// from another client.
    OpenText {
        uuid: String,
        alias: Option<String>,
        force: bool,
        reply: Reply<TextConsole>,
    },
    /// Find one domain by name or UUID, as the command line names them.
    LookupDomain {
        key: String,
        reply: Reply<DomainSummary>,
    },
    /// Define (create or replace) a persistent domain from XML, validated by libvirt.
    DefineXml {
        xml: String,
        reply: Reply<DomainSummary>,
    },
    /// Run, pause, shut down, … a domain.
    Power {
        uuid: String,
        action: PowerAction,
        reply: Reply<()>,
    },
    /// Remove a domain's persistent definition (storage is left alone).
    Undefine { uuid: String, reply: Reply<()> },
    /// Delete a VM: force it off when it runs, undefine it with its managed
    /// save, snapshot metadata and NVRAM, then delete the listed storage
    /// volumes (by path). Storage failures do not undo the deletion; they
    /// are reported one by one.
    Delete {
        uuid: String,
        storage: Vec<String>,
        reply: Reply<DeleteReport>,
    },
    /// The domain's XML; `inactive` gives the persistent definition.
    DomainXml {
        uuid: String,
        inactive: bool,
        reply: Reply<String>,
    },
    /// Facts about the host and the hypervisor.
    HostInfo { reply: Reply<HostInfo> },
    /// Usage counters of every running domain, in one bulk call.
    Stats { reply: Reply<Vec<DomainStats>> },
    /// The host overview: info, pools, networks, acceleration. Reads the
    /// capabilities, which takes seconds on some hosts.
    HostOverview { reply: Reply<HostOverview> },
    /// What the New VM wizard needs to know about the host.
    WizardFacts {
        reply: Reply<crate::core::wizard::HostFacts>,
    },
    /// Create a VM from the wizard's plan, all or nothing, reporting steps
    /// on `progress`.
    Create {
        job: Box<CreateJob>,
        progress: Option<mpsc::UnboundedSender<CreateStep>>,
        reply: Reply<Created>,
    },
    /// Define, build, start and autostart the `default` storage pool
    /// (under `data_home` on a session connection).
    CreateDefaultPool {
        data_home: Option<String>,
        reply: Reply<()>,
    },
    /// Start a stopped virtual network.
    StartNetwork { name: String, reply: Reply<()> },
    /// Add a device (its XML) to the running guest and/or the definition.
    AttachDevice {
        uuid: String,
        xml: String,
        scope: Scope,
        reply: Reply<()>,
    },
    /// Remove a device. From a running guest, wait up to `wait` for the
    /// guest to release it (disks are checked by `target`).
    DetachDevice {
        uuid: String,
        xml: String,
        target: Option<String>,
        scope: Scope,
        wait: std::time::Duration,
        reply: Reply<Detached>,
    },
    /// Change a device in place (CD-ROM media); `force` ejects a locked tray.
    UpdateDevice {
        uuid: String,
        xml: String,
        scope: Scope,
        force: bool,
        reply: Reply<()>,
    },
    /// Add Disk: create its volume (when new), attach it, and delete the
    /// volume again when the attach fails. Replies with the disk's target.
    /// A running guest that refuses it gives [`ErrorKind::RefusedLive`].
    AddDisk {
        uuid: String,
        disk: crate::core::hardware::NewDisk,
        scope: Scope,
        reply: Reply<String>,
    },
    /// Remove Disk `target`: detach it, wait up to `wait` for the running
    /// guest to let go, then delete its image when `delete_image` is set.
    RemoveDisk {
        uuid: String,
        target: String,
        delete_image: bool,
        scope: Scope,
        wait: std::time::Duration,
        reply: Reply<DiskRemoved>,
    },
    /// Insert `iso` into drive `target` (`None`: eject); `force` opens a
    /// tray the guest has locked ([`ErrorKind::MediaLocked`] without it).
    ChangeMedia {
        uuid: String,
        target: String,
        iso: Option<String>,
        scope: Scope,
        force: bool,
        reply: Reply<()>,
    },
    /// Read (`set: None`) or change whether the domain starts with the host.
    Autostart {
        uuid: String,
        set: Option<bool>,
        reply: Reply<bool>,
    },
    /// The host's USB devices, for passthrough.
    ListUsbDevices { reply: Reply<Vec<UsbDevice>> },
    /// Set the number of vCPUs (within the maximum) in the definition, then
    /// in the running guest; each part reported on its own.
    SetVcpus {
        uuid: String,
        count: u32,
        reply: Reply<Applied>,
    },
    /// Set the memory (within the maximum) in the definition, then in the
    /// running guest through its balloon.
    SetMemory {
        uuid: String,
        kib: u64,
        reply: Reply<Applied>,
    },
    /// Change one setting: in the saved definition (read with its secrets,
    /// edited as a document, defined again), then in the running guest
    /// where libvirt can; each part reported on its own.
    Edit {
        uuid: String,
        edit: crate::core::edit::Edit,
        reply: Reply<Applied>,
    },
    /// Snapshot work on one domain ([`SnapshotRequest`]); taking and
    /// reverting run on a worker thread.
    Snapshot {
        uuid: String,
        request: SnapshotRequest,
    },
    /// What a clone of the domain starts from (its definition, the names
    /// and paths in use on the host).
    CloneSource {
        uuid: String,
        reply: Reply<CloneSource>,
    },
    /// Make a clone, all or nothing, on a worker thread.
    Clone {
        uuid: String,
        job: Box<CloneJob>,
        reply: Reply<DomainSummary>,
    },
    /// Volume work ([`StorageRequest`]); wipes and transfers run on a
    /// worker thread.
    Storage(StorageRequest),
    /// Virtual network work ([`NetworkRequest`]).
    Network(NetworkRequest),
    /// What the running guest says about itself (addresses, the guest
    /// agent's report), read on a worker thread.
    Guest {
        uuid: String,
        reply: Reply<GuestReport>,
    },
    /// The addresses of every running guest: (UUID, addresses, best
    /// first), read on a worker thread.
    Addresses {
        reply: Reply<Vec<(String, Vec<String>)>>,
    },
    /// A sample of the host's CPU and memory counters.
    HostLoad { reply: Reply<HostLoad> },
    /// This connection as the destination of a migration.
    Peer { reply: Reply<Peer> },
    /// What would stop moving the domain to `peer` with `plan`, read on a
    /// worker thread.
    MigrationProblems {
        uuid: String,
        peer: Peer,
        plan: crate::core::migrate::MigratePlan,
        reply: Reply<Vec<crate::core::migrate::Problem>>,
    },
    /// The domain's migratable XML (what the destination starts from).
    MigratableXml { uuid: String, reply: Reply<String> },
    /// Move the domain to another host, all or nothing, on a worker thread.
    Migrate {
        uuid: String,
        job: Box<MigrateJob>,
        reply: Reply<Migrated>,
    },
}

/// A USB device of the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsbDevice {
    /// `0x046d`
    pub vendor_id: String,
    pub product_id: String,
    pub vendor: String,
    pub product: String,
}

impl UsbDevice {
    /// Read a node device's XML; `None` for anything but a USB device.
    pub fn parse(xml: &str) -> Option<UsbDevice> {
        let doc = crate::core::xml::Document::parse(xml).ok()?;
        let cap = doc
            .root
            .children_named("capability")
            .find(|c| c.attr("type").as_deref() == Some("usb_device"))?;
        let vendor = cap.child("vendor")?;
        let product = cap.child("product")?;
        Some(UsbDevice {
            vendor_id: vendor.attr("id")?,
            product_id: product.attr("id")?,
            vendor: vendor.text().unwrap_or_default(),
            product: product.text().unwrap_or_default(),
        })
    }
}

/// Where a vCPU or memory change took effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The saved definition (next boot): `None` for a transient domain.
    pub next_boot: Option<Result<(), String>>,
    /// The running guest: `None` when it is not running.
    pub now: Option<Result<(), String>>,
}

/// How a detach ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detached {
    /// Gone from everything it was removed from.
    Done,
    /// libvirt asked the guest, which has not released the device yet; it
    /// leaves the running guest when the guest lets go.
    Pending,
}

/// The power actions of the VM list, the VM window and the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PowerAction {
    /// Start a shut-off domain (restoring its managed save, if any).
    Run,
    Pause,
    Resume,
    /// Ask the guest to shut down (ACPI).
    ShutDown,
    /// Ask the guest to reboot.
    Reboot,
    /// Press the reset button.
    ForceReset,
    /// Pull the plug.
    ForceOff,
    /// Save the guest's memory to disk and stop it (managed save).
    Save,
}

impl PowerAction {
    /// Every action, in menu order.
    pub const ALL: [PowerAction; 8] = [
        PowerAction::Run,
        PowerAction::Pause,
        PowerAction::Resume,
        PowerAction::ShutDown,
        PowerAction::Reboot,
        PowerAction::ForceReset,
        PowerAction::ForceOff,
        PowerAction::Save,
    ];

    /// The actions that make sense in a state (what menus offer).
    pub fn available(state: DomainState) -> &'static [PowerAction] {
        use PowerAction::*;
        match state {
            DomainState::ShutOff | DomainState::Crashed | DomainState::NoState => &[Run],
            DomainState::Paused => &[Resume, ForceReset, ForceOff, Save],
            DomainState::PmSuspended => &[Resume, ForceOff],
            DomainState::ShuttingDown => &[ForceOff],
            DomainState::Running | DomainState::Blocked => {
                &[Pause, ShutDown, Reboot, ForceReset, ForceOff, Save]
            }
        }
    }
}

/// What a [`Request::Delete`] did to storage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteReport {
    pub deleted: Vec<String>,
    /// Paths that could not be deleted, with libvirt's message.
    pub failed: Vec<(String, String)>,
}

/// Facts about the connected host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostInfo {
    /// The URI libvirt reports for this connection.
    pub uri: String,
    /// The host name.
    pub hostname: String,
    /// The hypervisor driver, e.g. "QEMU" or "TEST".
    pub driver: String,
    /// The libvirt library version, e.g. "9.0.0".
    pub libvirt_version: String,
    /// Host CPU count.
    pub cpus: u32,
    /// Host memory in KiB.
    pub memory_kib: u64,
}

/// A handle on one open libvirt connection.
#[derive(Debug, Clone)]
pub struct Connection {
    uri: String,
    tx: mpsc::UnboundedSender<Request>,
    events: broadcast::Sender<Event>,
}

impl Connection {
    /// Open `uri` on a new actor thread. Resolves once libvirt has answered;
    /// a URI that cannot be opened gives libvirt's own message.
    pub async fn open(uri: &str) -> Result<Connection, Error> {
        Self::open_with(uri, None).await
    }

    /// [`Connection::open`], answering libvirt's credential questions
    /// (remote hosts, SASL, password-protected test hosts) with `auth`.
    pub async fn open_with(uri: &str, auth: Option<Authenticator>) -> Result<Connection, Error> {
        ensure_event_loop();
        let (tx, rx) = mpsc::unbounded_channel();
        let (ready_tx, ready_rx) = oneshot::channel();
        let (events, _) = broadcast::channel(1024);
        let thread_uri = uri.to_owned();
        let thread_events = events.clone();
        std::thread::Builder::new()
            .name(format!("libvirt {uri}"))
            .spawn(move || actor::run(thread_uri, auth, rx, ready_tx, thread_events))
            .map_err(|e| Error::new(ErrorKind::ServiceGone, e.to_string()))?;
        let uri = ready_rx.await.map_err(|_| Error::service_gone())??;
        Ok(Connection { uri, tx, events })
    }

    /// Domain lifecycle events and the connection's closing, from now on.
    /// A receiver that falls more than 1024 events behind is told it lagged
    /// (then re-list).
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// The URI as libvirt canonicalised it.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// Send a request; the reply arrives on the request's own channel.
    pub fn send(&self, request: Request) -> Result<(), Error> {
        self.tx.send(request).map_err(|_| Error::service_gone())
    }

    async fn ask<T>(&self, make: impl FnOnce(Reply<T>) -> Request) -> Result<T, Error> {
        let (reply, answer) = oneshot::channel();
        self.send(make(reply))?;
        answer.await.map_err(|_| Error::service_gone())?
    }

    /// See [`Request::Guest`].
    pub async fn guest_report(&self, uuid: &str) -> Result<GuestReport, Error> {
        let uuid = uuid.to_owned();
        self.ask(|reply| Request::Guest { uuid, reply }).await
    }

    /// See [`Request::Addresses`].
    pub async fn addresses(&self) -> Result<Vec<(String, Vec<String>)>, Error> {
        self.ask(|reply| Request::Addresses { reply }).await
    }

    /// See [`Request::ListDomains`].
    pub async fn list_domains(&self) -> Result<Vec<DomainSummary>, Error> {
        self.ask(|reply| Request::ListDomains { reply }).await
    }

    /// See [`Request::LookupDomain`].
    /// How to reach a domain's console (a connected socket when libvirt
    /// can hand one over, else the server's address), on graphics device
    /// `display` or the first VNC or SPICE one; with every display it has.
    pub async fn open_console(&self, uuid: &str, display: Option<u32>) -> Result<Console, Error> {
        let uuid = uuid.to_owned();
        self.ask(|reply| Request::OpenConsole {
            uuid,
            display,
            reply,
        })
        .await
    }

    pub async fn lookup_domain(&self, key: &str) -> Result<DomainSummary, Error> {
        let key = key.to_owned();
        self.ask(|reply| Request::LookupDomain { key, reply }).await
    }

    /// See [`Request::DefineXml`].
    pub async fn define_xml(&self, xml: &str) -> Result<DomainSummary, Error> {
        let xml = xml.to_owned();
        self.ask(|reply| Request::DefineXml { xml, reply }).await
    }

    /// See [`Request::Power`].
    pub async fn power(&self, uuid: &str, action: PowerAction) -> Result<(), Error> {
        let uuid = uuid.to_owned();
        self.ask(|reply| Request::Power {
            uuid,
            action,
            reply,
        })
        .await
    }

    /// Start a shut-off domain.
    pub async fn start(&self, uuid: &str) -> Result<(), Error> {
        self.power(uuid, PowerAction::Run).await
    }

    /// Pull the plug.
    pub async fn force_off(&self, uuid: &str) -> Result<(), Error> {
        self.power(uuid, PowerAction::ForceOff).await
    }

    /// See [`Request::Delete`].
    pub async fn delete(&self, uuid: &str, storage: Vec<String>) -> Result<DeleteReport, Error> {
        let uuid = uuid.to_owned();
        self.ask(|reply| Request::Delete {
            uuid,
            storage,
            reply,
        })
        .await
    }

    /// See [`Request::Undefine`].
    pub async fn undefine(&self, uuid: &str) -> Result<(), Error> {
        let uuid = uuid.to_owned();
        self.ask(|reply| Request::Undefine { uuid, reply }).await
    }

    /// See [`Request::DomainXml`].
    pub async fn domain_xml(&self, uuid: &str, inactive: bool) -> Result<String, Error> {
        let uuid = uuid.to_owned();
        self.ask(|reply| Request::DomainXml {
            uuid,
            inactive,
            reply,
        })
        .await
    }

    /// See [`Request::Stats`].
    pub async fn stats(&self) -> Result<Vec<DomainStats>, Error> {
        self.ask(|reply| Request::Stats { reply }).await
    }

    /// See [`Request::HostOverview`].
    pub async fn host_overview(&self) -> Result<HostOverview, Error> {
        self.ask(|reply| Request::HostOverview { reply }).await
    }

    /// See [`Request::WizardFacts`].
    pub async fn wizard_facts(&self) -> Result<crate::core::wizard::HostFacts, Error> {
        self.ask(|reply| Request::WizardFacts { reply }).await
    }

    /// See [`Request::Create`].
    pub async fn create(
        &self,
        job: CreateJob,
        progress: Option<mpsc::UnboundedSender<CreateStep>>,
    ) -> Result<Created, Error> {
        self.ask(|reply| Request::Create {
            job: Box::new(job),
            progress,
            reply,
        })
        .await
    }

    /// See [`Request::CreateDefaultPool`].
    pub async fn create_default_pool(&self, data_home: Option<String>) -> Result<(), Error> {
        self.ask(|reply| Request::CreateDefaultPool { data_home, reply })
            .await
    }

    /// See [`Request::StartNetwork`].
    pub async fn start_network(&self, name: &str) -> Result<(), Error> {
        let name = name.to_owned();
        self.ask(|reply| Request::StartNetwork { name, reply })
            .await
    }

    /// See [`Request::Edit`].
    pub async fn edit(&self, uuid: &str, edit: crate::core::edit::Edit) -> Result<Applied, Error> {
        let uuid = uuid.to_owned();
        self.ask(|reply| Request::Edit { uuid, edit, reply }).await
    }

    /// See [`Request::AttachDevice`].
    pub async fn attach_device(&self, uuid: &str, xml: &str, scope: Scope) -> Result<(), Error> {
        let (uuid, xml) = (uuid.to_owned(), xml.to_owned());
        self.ask(|reply| Request::AttachDevice {
            uuid,
            xml,
            scope,
            reply,
        })
        .await
    }

    /// See [`Request::DetachDevice`].
    pub async fn detach_device(
        &self,
        uuid: &str,
        xml: &str,
        target: Option<&str>,
        scope: Scope,
        wait: std::time::Duration,
    ) -> Result<Detached, Error> {
        let (uuid, xml, target) = (uuid.to_owned(), xml.to_owned(), target.map(str::to_owned));
        self.ask(|reply| Request::DetachDevice {
            uuid,
            xml,
            target,
            scope,
            wait,
            reply,
        })
        .await
    }

    /// See [`Request::UpdateDevice`].
    pub async fn update_device(
        &self,
        uuid: &str,
        xml: &str,
        scope: Scope,
        force: bool,
    ) -> Result<(), Error> {
        let (uuid, xml) = (uuid.to_owned(), xml.to_owned());
        self.ask(|reply| Request::UpdateDevice {
            uuid,
            xml,
            scope,
            force,
            reply,
        })
        .await
    }

    /// See [`Request::ChannelSocket`].
    pub async fn channel_socket(&self, uuid: &str, index: u32) -> Result<ChannelSocket, Error> {
        let uuid = uuid.to_owned();
        self.ask(|reply| Request::ChannelSocket { uuid, index, reply })
            .await
    }

    /// See [`Request::TextDevices`].
    pub async fn text_devices(&self, uuid: &str) -> Result<Vec<TextDevice>, Error> {
        let uuid = uuid.to_owned();
        self.ask(|reply| Request::TextDevices { uuid, reply }).await
    }

    /// See [`Request::OpenText`].
    pub async fn open_text(
        &self,
        uuid: &str,
        alias: Option<&str>,
        force: bool,
    ) -> Result<TextConsole, Error> {
        let (uuid, alias) = (uuid.to_owned(), alias.map(str::to_owned));
        self.ask(|reply| Request::OpenText {
            uuid,
            alias,
            force,
            reply,
        })
        .await
    }

    /// See [`Request::AddDisk`].
    pub async fn add_disk(
        &self,
        uuid: &str,
        disk: crate::core::hardware::NewDisk,
        scope: Scope,
    ) -> Result<String, Error> {
        let uuid = uuid.to_owned();
        self.ask(|reply| Request::AddDisk {
            uuid,
            disk,
            scope,
            reply,
        })
        .await
    }

    /// See [`Request::RemoveDisk`].
    pub async fn remove_disk(
        &self,
        uuid: &str,
        target: &str,
        delete_image: bool,
        scope: Scope,
        wait: std::time::Duration,
    ) -> Result<DiskRemoved, Error> {
        let (uuid, target) = (uuid.to_owned(), target.to_owned());
        self.ask(|reply| Request::RemoveDisk {
            uuid,
            target,
            delete_image,
            scope,
            wait,
            reply,
        })
        .await
    }

    /// See [`Request::ChangeMedia`].
    pub async fn change_media(
        &self,
        uuid: &str,
        target: &str,
        iso: Option<&str>,
        scope: Scope,
        force: bool,
    ) -> Result<(), Error> {
        let (uuid, target, iso) = (uuid.to_owned(), target.to_owned(), iso.map(str::to_owned));
        self.ask(|reply| Request::ChangeMedia {
            uuid,
            target,
            iso,
            scope,
            force,
            reply,
        })
        .await
    }

    /// See [`Request::Autostart`].
    pub async fn autostart(&self, uuid: &str, set: Option<bool>) -> Result<bool, Error> {
        let uuid = uuid.to_owned();
        self.ask(|reply| Request::Autostart { uuid, set, reply })
            .await
    }

    /// See [`Request::ListUsbDevices`].
    pub async fn usb_devices(&self) -> Result<Vec<UsbDevice>, Error> {
        self.ask(|reply| Request::ListUsbDevices { reply }).await
    }

    /// See [`Request::SetVcpus`].
    pub async fn set_vcpus(&self, uuid: &str, count: u32) -> Result<Applied, Error> {
        let uuid = uuid.to_owned();
        self.ask(|reply| Request::SetVcpus { uuid, count, reply })
            .await
    }

    /// See [`Request::SetMemory`].
    pub async fn set_memory(&self, uuid: &str, kib: u64) -> Result<Applied, Error> {
        let uuid = uuid.to_owned();
        self.ask(|reply| Request::SetMemory { uuid, kib, reply })
            .await
    }

    /// See [`Request::HostInfo`].
    pub async fn host_info(&self) -> Result<HostInfo, Error> {
        self.ask(|reply| Request::HostInfo { reply }).await
    }
}

/// The quick reconnect attempts (a quarter second apart, each after the
/// previous one answered) after a connection was lost: a daemon restarting
/// is back within them. (A tenth of a second was tried: with twenty hosts
/// restarting on a two-core machine the extra attempts slowed the daemons.)
pub const QUICK_RECONNECTS: u32 = 8;

/// How long to wait before reconnect attempt `attempt` (1-based) after a
/// connection was lost: a quarter second for the first two seconds (a
/// restarted daemon answers within a second; a refused attempt costs
/// little, and the next waits for its answer), every second for the next
/// eight, then 2 s, 4 s, … up to 30 s.
pub fn reconnect_delay(attempt: u32) -> std::time::Duration {
    use std::time::Duration;
    const SECONDS: u32 = QUICK_RECONNECTS + 8;
    if attempt <= QUICK_RECONNECTS {
        Duration::from_millis(250)
    } else if attempt <= SECONDS {
        Duration::from_secs(1)
    } else {
        Duration::from_secs((1u64 << (attempt - SECONDS).min(5)).min(30))
    }
}

/// Register libvirt's default event loop once per process and run it on a
/// thread of its own. Must happen before the first connection is opened.
fn ensure_event_loop() {
    static STARTED: OnceLock<bool> = OnceLock::new();
    STARTED.get_or_init(|| {
        virt::error::clear_error_callback();
        if virt::event::event_register_default_impl().is_err() {
            return false;
        }
        std::thread::Builder::new()
            .name("libvirt events".into())
            .spawn(|| {
                loop {
                    if virt::event::event_run_default_impl().is_err() {
                        std::thread::sleep(std::time::Duration::from_millis(100));
                    }
                }
            })
            .is_ok()
    });
}

#[cfg(test)]
mod tests {
    use super::reconnect_delay;

    #[test]
    fn usb_devices_are_read_from_node_device_xml() {
        let xml = "<device><name>usb_1_2</name><parent>usb_usb1</parent>\
            <capability type='usb_device'><bus>1</bus><device>2</device>\
            <product id='0xc52b'>Unifying Receiver</product>\
            <vendor id='0x046d'>Logitech, Inc.</vendor></capability></device>";
        assert_eq!(
            super::UsbDevice::parse(xml),
            Some(super::UsbDevice {
                vendor_id: "0x046d".into(),
                product_id: "0xc52b".into(),
                vendor: "Logitech, Inc.".into(),
                product: "Unifying Receiver".into(),
            })
        );
        assert_eq!(
            super::UsbDevice::parse("<device><name>pci</name></device>"),
            None
        );
    }

    #[test]
    fn reconnecting_backs_off_to_thirty_seconds() {
        let ms: Vec<u128> = (1..=24).map(|a| reconnect_delay(a).as_millis()).collect();
        let mut want = vec![250; 8];
        want.extend([1000; 8]);
        want.extend([2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
        assert_eq!(ms, want);
        assert_eq!(reconnect_delay(0).as_millis(), 250);
        assert_eq!(reconnect_delay(u32::MAX).as_secs(), 30);
    }
}
