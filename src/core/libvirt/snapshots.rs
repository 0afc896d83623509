//! Snapshot work on a connection: list, take, revert, delete, describe.
//!
//! Taking and reverting can take many seconds on a big guest (its memory is
//! written or read), so they run on a worker thread of their own with a
//! clone of the connection: the actor keeps answering the list and the
//! usage graphs meanwhile.

use std::path::{Path, PathBuf};

use virt::connect::Connect;
use virt::domain::Domain;
use virt::domain_snapshot::DomainSnapshot;

use super::{Connection, Error, ErrorKind, Reply};
use crate::core::snapshot::{
    self, AfterRevert, DeleteRefusal, GuestFacts, Mode, Offer, Snapshot, TakeSpec,
};

/// One snapshot request, for the domain named in [`super::Request::Snapshot`].
#[derive(Debug)]
pub enum SnapshotRequest {
    /// The snapshots with what can be taken now.
    List { reply: Reply<SnapshotsView> },
    /// Take a snapshot; a running guest's screen is saved as its thumbnail
    /// under `thumbnails` first.
    Take {
        spec: TakeSpec,
        thumbnails: Option<PathBuf>,
        reply: Reply<Snapshot>,
    },
    /// Go back to a snapshot; `force` accepts what libvirt calls risky.
    Revert {
        name: String,
        after: AfterRevert,
        force: bool,
        reply: Reply<Reverted>,
    },
    /// Delete a snapshot (with its descendants when `children`).
    Delete {
        name: String,
        children: bool,
        reply: Reply<()>,
    },
    /// Give a snapshot a new description.
    Describe {
        name: String,
        description: String,
        reply: Reply<()>,
    },
}

/// The snapshots of a VM and what it can take now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotsView {
    pub snapshots: Vec<Snapshot>,
    pub facts: GuestFacts,
    pub offer: Offer,
}

/// How a revert ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reverted {
    /// The guest runs afterwards.
    pub running: bool,
    /// Its clock was set to the host's through the guest agent.
    pub clock_synced: bool,
}

fn other(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Other, message)
}

/// Serve `request` for `domain`: quick ones here, long ones on a worker.
pub(super) fn serve(conn: &Connect, domain: Result<Domain, Error>, request: SnapshotRequest) {
    macro_rules! answer {
        ($reply:expr, $work:expr) => {{
            let _ = $reply.send(domain.and_then($work));
        }};
    }
    match request {
        SnapshotRequest::List { reply } => answer!(reply, |d| list(&d)),
        SnapshotRequest::Delete {
            name,
            children,
            reply,
        } => answer!(reply, |d| delete(&d, &name, children)),
        SnapshotRequest::Describe {
            name,
            description,
            reply,
        } => answer!(reply, |d| describe(&d, &name, &description)),
        SnapshotRequest::Take {
            spec,
            thumbnails,
            reply,
        } => {
            let conn = conn.clone();
            worker(domain, reply, move |d| {
                take(&conn, &d, &spec, thumbnails.as_deref())
            });
        }
        SnapshotRequest::Revert {
            name,
            after,
            force,
            reply,
        } => worker(domain, reply, move |d| revert(&d, &name, after, force)),
    }
}

fn worker<T: Send + 'static>(
    domain: Result<Domain, Error>,
    reply: Reply<T>,
    work: impl FnOnce(Domain) -> Result<T, Error> + Send + 'static,
) {
    let domain = match domain {
        Ok(d) => d,
        Err(e) => {
            let _ = reply.send(Err(e));
            return;
        }
    };
    let spawned = std::thread::Builder::new()
        .name("libvirt snapshot".into())
        .spawn(move || {
            let _ = reply.send(work(domain));
        });
    if let Err(e) = spawned {
        // The reply went with the closure; the caller sees the service gone.
        eprintln!("vireo: no snapshot thread: {e}");
    }
}

fn read_all(d: &Domain) -> Result<Vec<Snapshot>, Error> {
    d.list_all_snapshots(0)?
        .iter()
        .map(|s| {
            let xml = s.xml_desc(0)?;
            let current = s.is_current(0).unwrap_or(false);
            Snapshot::parse(&xml, current).map_err(other)
        })
        .collect()
}

fn facts(d: &Domain) -> Result<GuestFacts, Error> {
    let running = d.is_active()?;
    GuestFacts::read(&d.xml_desc(0)?, running).map_err(other)
}

fn list(d: &Domain) -> Result<SnapshotsView, Error> {
    let facts = facts(d)?;
    Ok(SnapshotsView {
        snapshots: read_all(d)?,
        offer: snapshot::offer(&facts),
        facts,
    })
}

/// Where a snapshot's thumbnail is kept: one folder per VM (by UUID), one
/// file per snapshot, named by the snapshot (its name hex-encoded when it
/// has characters a file name should not).
pub fn thumbnail_path(root: &Path, uuid: &str, name: &str) -> PathBuf {
    let plain = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.: ".contains(c))
        && !name.starts_with('.');
    let file = if plain {
        name.to_owned()
    } else {
        name.bytes().map(|b| format!("{b:02x}")).collect()
    };
    root.join(uuid).join(file)
}

/// Save the running guest's screen at `path` (with the extension of the
/// image type QEMU hands out: `.ppm`, or `.png` on the test driver).
fn save_screenshot(conn: &Connect, d: &Domain, path: &Path) -> Result<PathBuf, Error> {
    let stream = virt::stream::Stream::new(conn, 0)?;
    let mime = d.screenshot(&stream, 0, 0)?;
    let mut data = Vec::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = stream.recv(&mut buf)?;
        if n <= 0 {
            break;
        }
        data.extend_from_slice(&buf[..n as usize]);
    }
    let _ = stream.finish();
    let ext = match mime.as_str() {
        "image/png" => "png",
        _ => "ppm",
    };
    let file = path.with_extension(ext);
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(|e| other(e.to_string()))?;
    }
    std::fs::write(&file, data).map_err(|e| other(e.to_string()))?;
    Ok(file)
}

fn take(
    conn: &Connect,
    d: &Domain,
    spec: &TakeSpec,
    thumbnails: Option<&Path>,
) -> Result<Snapshot, Error> {
    let existing = read_all(d)?;
    if let Err(problem) = snapshot::check_name(&spec.name, &existing) {
        return Err(other(match problem {
            snapshot::NameProblem::Empty => "A snapshot needs a name.".to_owned(),
            snapshot::NameProblem::Slash => {
                format!("“{}”: a snapshot name cannot contain “/”.", spec.name)
            }
            snapshot::NameProblem::Taken => {
                format!("There is already a snapshot named “{}”.", spec.name)
            }
        }));
    }
    let facts = facts(d)?;
    let offer = snapshot::offer(&facts);
    if !offer.modes.contains(&spec.mode) {
        return Err(other(match (&offer.blocker, spec.mode) {
            (Some(snapshot::Blocker::RunningUefi), Mode::Internal) => {
                "libvirt 9.0 cannot take an internal snapshot of a running UEFI guest: shut it down first, or take a disk-only snapshot.".to_owned()
            }
            (Some(snapshot::Blocker::NotQcow2 { target, format }), Mode::Internal) => format!(
                "Disk {target} is a {format} image, which cannot hold snapshots: take a disk-only snapshot."
            ),
            _ => "This guest's disks cannot be snapshotted.".to_owned(),
        }));
    }
    let uuid = d.uuid_string()?;
    let thumb_dir = thumbnails.filter(|_| facts.running);
    let thumb = thumb_dir.map(|root| thumbnail_path(root, &uuid, &spec.name));
    // The screen before the snapshot is the screen it holds. A guest whose
    // screen cannot be read still gets its snapshot.
    let shot = thumb
        .as_deref()
        .and_then(|path| match save_screenshot(conn, d, path) {
            Ok(file) => Some(file),
            Err(e) => {
                if std::env::var_os("VIREO_DEBUG").is_some() {
                    eprintln!("vireo: no thumbnail for {}: {e}", spec.name);
                }
                None
            }
        });
    let xml = snapshot::snapshot_xml(spec, &facts);
    let made = match spec.mode {
        Mode::Internal => d.create_snapshot_xml(&xml, virt::sys::VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC),
        Mode::ExternalDiskOnly => {
            let flags = virt::sys::VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY
                | virt::sys::VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC;
            // Frozen filesystems make a consistent disk-only snapshot; thawed
            // whatever happens.
            let frozen = offer.quiesce && fs_freeze(d);
            let made = d.create_snapshot_xml(&xml, flags);
            if frozen {
                fs_thaw(d);
            }
            made
        }
    };
    match made {
        Ok(s) => Snapshot::parse(&s.xml_desc(0)?, true).map_err(other),
        Err(e) => {
            if let Some(shot) = shot {
                let _ = std::fs::remove_file(shot);
            }
            Err(e.into())
        }
    }
}

fn fs_freeze(d: &Domain) -> bool {
    // SAFETY: a valid domain pointer, no mount points listed (all of them).
    unsafe { virt::sys::virDomainFSFreeze(d.as_ptr(), std::ptr::null_mut(), 0, 0) >= 0 }
}

fn fs_thaw(d: &Domain) {
    // SAFETY: as above.
    unsafe {
        virt::sys::virDomainFSThaw(d.as_ptr(), std::ptr::null_mut(), 0, 0);
    }
}

fn find(d: &Domain, name: &str) -> Result<DomainSnapshot, Error> {
    Domain::lookup_snapshot_by_name(d, name, 0).map_err(Error::from)
}

fn revert(d: &Domain, name: &str, after: AfterRevert, force: bool) -> Result<Reverted, Error> {
    let snap = find(d, name)?;
    let parsed = Snapshot::parse(&snap.xml_desc(0)?, false).map_err(other)?;
    if parsed.is_external() {
        return Err(other(format!(
            "libvirt 9.0 cannot go back to “{name}”: it is an external snapshot (libvirt 9.9 and later can)."
        )));
    }
    let mut flags = match after {
        AfterRevert::AsTaken => 0,
        AfterRevert::Running => virt::sys::VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING,
        AfterRevert::Paused => virt::sys::VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED,
    };
    if force {
        flags |= virt::sys::VIR_DOMAIN_SNAPSHOT_REVERT_FORCE;
    }
    snap.revert(flags).map_err(|e| {
        let e = Error::from(e);
        match e.kind {
            ErrorKind::Libvirt { code }
                if code == virt::sys::VIR_ERR_SNAPSHOT_REVERT_RISKY as i32 =>
            {
                Error::new(ErrorKind::RevertRisky, e.message)
            }
            _ => e,
        }
    })?;
    let running = d.is_active()?
        && d.info()
            .is_ok_and(|i| i.state.to_raw() == virt::sys::VIR_DOMAIN_RUNNING);
    // The guest's clock stopped at the snapshot; its agent can set it.
    let clock_synced = running
        && facts(d).is_ok_and(|f| f.agent)
        && d.set_time(0, 0, virt::sys::VIR_DOMAIN_TIME_SYNC).is_ok();
    Ok(Reverted {
        running,
        clock_synced,
    })
}

fn delete(d: &Domain, name: &str, children: bool) -> Result<(), Error> {
    let all = read_all(d)?;
    let plan = snapshot::deletion(&all, name, children).map_err(|r| {
        other(match r {
            DeleteRefusal::NoSuchSnapshot => format!("There is no snapshot named “{name}”."),
            DeleteRefusal::ExternalWithChildren(kids) => format!(
                "libvirt 9.0 cannot delete “{name}” while other snapshots build on it ({}).",
                kids.join(", ")
            ),
            DeleteRefusal::ExternalSubtree => {
                "libvirt 9.0 deletes external snapshots one at a time, not with their children."
                    .to_owned()
            }
        })
    })?;
    let flags = if children {
        virt::sys::VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN
    } else {
        0
    };
    find(d, name)?.delete(flags)?;
    // libvirt 9.0 leaves an external snapshot's memory file behind.
    for file in plan.files {
        if Path::new(&file).exists() && !disk_in_use(d, &file) {
            let _ = std::fs::remove_file(&file);
        }
    }
    Ok(())
}

fn disk_in_use(d: &Domain, file: &str) -> bool {
    d.xml_desc(0)
        .is_ok_and(|x| x.contains(&format!("'{file}'")))
}

fn describe(d: &Domain, name: &str, description: &str) -> Result<(), Error> {
    let snap = find(d, name)?;
    let current = snap.is_current(0).unwrap_or(false);
    let xml = snapshot::with_description(
        &snap.xml_desc(virt::sys::VIR_DOMAIN_SNAPSHOT_XML_SECURE)?,
        description,
    )
    .map_err(other)?;
    let mut flags = virt::sys::VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE;
    if current {
        flags |= virt::sys::VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT;
    }
    d.create_snapshot_xml(&xml, flags)?;
    Ok(())
}

impl Connection {
    async fn snapshot<T>(
        &self,
        uuid: &str,
        make: impl FnOnce(Reply<T>) -> SnapshotRequest,
    ) -> Result<T, Error> {
        let uuid = uuid.to_owned();
        self.ask(|reply| super::Request::Snapshot {
            uuid,
            request: make(reply),
        })
        .await
    }

    /// See [`SnapshotRequest::List`].
    pub async fn snapshots(&self, uuid: &str) -> Result<SnapshotsView, Error> {
        self.snapshot(uuid, |reply| SnapshotRequest::List { reply })
            .await
    }

    /// See [`SnapshotRequest::Take`].
    pub async fn take_snapshot(
        &self,
        uuid: &str,
        spec: TakeSpec,
        thumbnails: Option<PathBuf>,
    ) -> Result<Snapshot, Error> {
        self.snapshot(uuid, |reply| SnapshotRequest::Take {
            spec,
            thumbnails,
            reply,
        })
        .await
    }

    /// See [`SnapshotRequest::Revert`].
    pub async fn revert_snapshot(
        &self,
        uuid: &str,
        name: &str,
        after: AfterRevert,
        force: bool,
    ) -> Result<Reverted, Error> {
        let name = name.to_owned();
        self.snapshot(uuid, |reply| SnapshotRequest::Revert {
            name,
            after,
            force,
            reply,
        })
        .await
    }

    /// See [`SnapshotRequest::Delete`].
    pub async fn delete_snapshot(
        &self,
        uuid: &str,
        name: &str,
        children: bool,
    ) -> Result<(), Error> {
        let name = name.to_owned();
        self.snapshot(uuid, |reply| SnapshotRequest::Delete {
            name,
            children,
            reply,
        })
        .await
    }

    /// See [`SnapshotRequest::Describe`].
    pub async fn describe_snapshot(
        &self,
        uuid: &str,
        name: &str,
        description: &str,
    ) -> Result<(), Error> {
        let (name, description) = (name.to_owned(), description.to_owned());
        self.snapshot(uuid, |reply| SnapshotRequest::Describe {
            name,
            description,
            reply,
        })
        .await
    }
}
