//! Snapshots, as pure data: a snapshot's XML read into [`Snapshot`], the
//! snapshots of a VM arranged as a tree by parent, what libvirt 9.0 will
//! take for a given guest ([`offer`]), the XML asked of it, and what a
//! deletion removes.
//!
//! libvirt 9.0 (Debian 12) takes *internal* snapshots of qcow2 disks (a
//! running guest's include its memory) and *external* disk-only ones (new
//! overlay files), but reverts only to internal ones (external revert came in
//! 9.9). A running guest with pflash (UEFI) firmware refuses internal
//! snapshots; raw disks cannot hold internal ones at all.

use crate::core::xml::{Document, Element};

/// The state of the guest a snapshot holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotState {
    /// Taken while running, with its memory: reverting resumes it.
    Running,
    /// Taken while paused, with its memory.
    Paused,
    /// Taken while shut off: the disks only.
    ShutOff,
    /// The disks of a running guest, without its memory (external).
    DiskOnly,
    Other(String),
}

impl SnapshotState {
    fn parse(s: &str) -> SnapshotState {
        match s {
            "running" | "blocked" => SnapshotState::Running,
            "paused" | "pmsuspended" => SnapshotState::Paused,
            "shutoff" | "shutdown" | "crashed" => SnapshotState::ShutOff,
            "disk-snapshot" => SnapshotState::DiskOnly,
            other => SnapshotState::Other(other.to_owned()),
        }
    }

    /// Whether the snapshot holds the guest's memory.
    pub fn has_memory(&self) -> bool {
        matches!(self, SnapshotState::Running | SnapshotState::Paused)
    }
}

/// One disk in a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotDisk {
    /// The guest's name for it (`vda`).
    pub target: String,
    /// `internal`, `external` or `no`.
    pub kind: String,
    /// An external snapshot's overlay file.
    pub file: Option<String>,
}

/// One snapshot of a VM, as libvirt describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub name: String,
    pub description: String,
    /// Seconds since the epoch.
    pub created: i64,
    pub state: SnapshotState,
    pub parent: Option<String>,
    /// The snapshot the guest's disks currently build on.
    pub current: bool,
    /// An external memory file.
    pub memory_file: Option<String>,
    pub disks: Vec<SnapshotDisk>,
}

impl Snapshot {
    /// Read `<domainsnapshot>` XML. `current` comes from libvirt, not the XML.
    pub fn parse(xml: &str, current: bool) -> Result<Snapshot, String> {
        let doc = Document::parse(xml).map_err(|e| e.to_string())?;
        let root = &doc.root;
        if root.name != "domainsnapshot" {
            return Err(format!("<{}> is not a snapshot", root.name));
        }
        let text = |name: &str| root.child(name).and_then(Element::text);
        let name = text("name").ok_or("a snapshot without a name")?;
        let memory_file = root
            .child("memory")
            .filter(|m| m.attr("snapshot").as_deref() == Some("external"))
            .and_then(|m| m.attr("file"));
        let disks = root
            .child("disks")
            .map(|d| {
                d.children_named("disk")
                    .map(|disk| SnapshotDisk {
                        target: disk.attr("name").unwrap_or_default(),
                        kind: disk.attr("snapshot").unwrap_or_default(),
                        file: disk
                            .child("source")
                            .and_then(|s| s.attr("file").or_else(|| s.attr("dev"))),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Snapshot {
            name,
            description: text("description").unwrap_or_default(),
            created: text("creationTime")
                .and_then(|t| t.trim().parse().ok())
                .unwrap_or(0),
            state: SnapshotState::parse(text("state").as_deref().unwrap_or("")),
            parent: root
                .child("parent")
                .and_then(|p| p.child("name"))
                .and_then(Element::text),
            current,
            memory_file,
            disks,
        })
    }

    /// Whether any part of it lives in files of its own (external).
    pub fn is_external(&self) -> bool {
        self.memory_file.is_some() || self.disks.iter().any(|d| d.kind == "external")
    }

    /// The files an external snapshot made: disk overlays, then the memory
    /// file.
    pub fn files(&self) -> Vec<String> {
        self.disks
            .iter()
            .filter(|d| d.kind == "external")
            .filter_map(|d| d.file.clone())
            .chain(self.memory_file.clone())
            .collect()
    }
}

/// One line of the snapshot tree: `snapshots[index]` at `depth` (0: a root).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeRow {
    pub index: usize,
    pub depth: usize,
}

/// The snapshots as a tree by parent, depth first; siblings oldest first
/// (newest last), then by name. A snapshot whose parent is not in the list
/// is a root.
pub fn tree(snapshots: &[Snapshot]) -> Vec<TreeRow> {
    let known = |name: &str| snapshots.iter().any(|s| s.name == name);
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); snapshots.len()];
    let mut roots = Vec::new();
    for (i, s) in snapshots.iter().enumerate() {
        match s.parent.as_deref().filter(|p| known(p) && *p != s.name) {
            Some(p) => {
                let parent = snapshots.iter().position(|o| o.name == p).unwrap_or(i);
                children[parent].push(i);
            }
            None => roots.push(i),
        }
    }
    let order = |list: &mut Vec<usize>| {
        list.sort_by(|&a, &b| {
            let (a, b) = (&snapshots[a], &snapshots[b]);
            (a.created, &a.name).cmp(&(b.created, &b.name))
        })
    };
    order(&mut roots);
    children.iter_mut().for_each(order);
    let mut rows = Vec::with_capacity(snapshots.len());
    let mut stack: Vec<(usize, usize)> = roots.iter().rev().map(|&i| (i, 0)).collect();
    let mut seen = vec![false; snapshots.len()];
    while let Some((i, depth)) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        rows.push(TreeRow { index: i, depth });
        stack.extend(children[i].iter().rev().map(|&c| (c, depth + 1)));
    }
    // A cycle of parents (impossible from libvirt) still shows every snapshot.
    for (i, s) in seen.iter().enumerate() {
        if !s {
            rows.push(TreeRow { index: i, depth: 0 });
        }
    }
    rows
}

/// A disk as snapshots see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestDisk {
    pub target: String,
    /// The image format (`qcow2`, `raw`).
    pub format: String,
    /// The image's path (`None`: an empty drive or a network disk).
    pub source: Option<String>,
    /// Read-only media (CD-ROMs) and shareable disks stay out of snapshots.
    pub skipped: bool,
}

/// What decides which snapshots a guest can take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestFacts {
    pub running: bool,
    /// pflash (UEFI) firmware.
    pub uefi: bool,
    pub disks: Vec<GuestDisk>,
    /// A connected QEMU guest agent (it can freeze filesystems).
    pub agent: bool,
}

impl GuestFacts {
    /// Read from the domain's live XML (`running`: the guest runs).
    pub fn read(domain_xml: &str, running: bool) -> Result<GuestFacts, String> {
        let doc = Document::parse(domain_xml).map_err(|e| e.to_string())?;
        let root = &doc.root;
        let os = root.child("os");
        let uefi = os.is_some_and(|os| {
            os.attr("firmware").as_deref() == Some("efi")
                || os
                    .child("loader")
                    .is_some_and(|l| l.attr("type").as_deref() == Some("pflash"))
        });
        let devices = root.child("devices");
        let disks = devices
            .map(|d| {
                d.children_named("disk")
                    .map(|disk| {
                        let source = disk.child("source").and_then(|s| {
                            s.attr("file")
                                .or_else(|| s.attr("dev"))
                                .or_else(|| s.attr("volume"))
                        });
                        let device = disk.attr("device").unwrap_or_else(|| "disk".into());
                        GuestDisk {
                            target: disk
                                .child("target")
                                .and_then(|t| t.attr("dev"))
                                .unwrap_or_default(),
                            format: disk
                                .child("driver")
                                .and_then(|d| d.attr("type"))
                                .unwrap_or_else(|| "raw".into()),
                            skipped: source.is_none()
                                || device == "cdrom"
                                || device == "floppy"
                                || disk.child("readonly").is_some()
                                || disk.child("shareable").is_some(),
                            source,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let agent = devices.is_some_and(|d| {
            d.children_named("channel").any(|c| {
                c.child("target").is_some_and(|t| {
                    t.attr("name").as_deref() == Some("org.qemu.guest_agent.0")
                        && t.attr("state").as_deref() == Some("connected")
                })
            })
        });
        Ok(GuestFacts {
            running,
            uefi,
            disks,
            agent,
        })
    }

    fn snapshotted(&self) -> impl Iterator<Item = &GuestDisk> {
        self.disks.iter().filter(|d| !d.skipped)
    }
}

/// Where a snapshot's data goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Inside the qcow2 images (with the memory of a running guest).
    /// Revertible.
    Internal,
    /// New overlay files for the disks, no memory. libvirt 9.0 cannot
    /// revert to it.
    ExternalDiskOnly,
}

/// Why an internal snapshot is not possible now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocker {
    /// A running guest with UEFI firmware (shut it down, then it works).
    RunningUefi,
    /// A disk whose image cannot hold snapshots (its target and format).
    NotQcow2 { target: String, format: String },
}

/// What the Take Snapshot dialog offers for a guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// Possible modes, the preferred first. Empty: nothing can be taken.
    pub modes: Vec<Mode>,
    /// Why [`Mode::Internal`] is missing.
    pub blocker: Option<Blocker>,
    /// An internal snapshot now includes the guest's memory.
    pub memory: bool,
    /// A disk-only snapshot freezes the guest's filesystems first.
    pub quiesce: bool,
}

/// What libvirt 9.0 will take for this guest, and why not more.
pub fn offer(facts: &GuestFacts) -> Offer {
    let not_qcow2 = facts
        .snapshotted()
        .find(|d| d.format != "qcow2")
        .map(|d| Blocker::NotQcow2 {
            target: d.target.clone(),
            format: d.format.clone(),
        });
    let blocker =
        not_qcow2.or_else(|| (facts.running && facts.uefi).then_some(Blocker::RunningUefi));
    let files = facts.snapshotted().count() > 0 && facts.snapshotted().all(|d| d.source.is_some());
    let mut modes = Vec::new();
    if blocker.is_none() {
        modes.push(Mode::Internal);
    }
    if files {
        modes.push(Mode::ExternalDiskOnly);
    }
    Offer {
        modes,
        blocker,
        memory: facts.running,
        quiesce: facts.running && facts.agent,
    }
}

/// A name the user typed that cannot be a snapshot's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameProblem {
    Empty,
    /// Names become parts of paths: no `/`.
    Slash,
    Taken,
}

/// Check a new snapshot's name against the VM's snapshots.
pub fn check_name(name: &str, existing: &[Snapshot]) -> Result<(), NameProblem> {
    if name.trim().is_empty() {
        Err(NameProblem::Empty)
    } else if name.contains('/') {
        Err(NameProblem::Slash)
    } else if existing.iter().any(|s| s.name == name) {
        Err(NameProblem::Taken)
    } else {
        Ok(())
    }
}

/// What to take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakeSpec {
    pub name: String,
    pub description: String,
    pub mode: Mode,
}

/// The external overlay for a disk image: `disk.qcow2` →
/// `disk.NAME.qcow2` beside it (libvirt's own default is `disk.NAME`).
pub fn overlay_path(image: &str, snapshot: &str) -> String {
    let path = std::path::Path::new(image);
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file = format!("{stem}.{snapshot}.qcow2");
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(file).display().to_string(),
        _ => file,
    }
}

/// The `<domainsnapshot>` XML to create `spec` for a guest.
pub fn snapshot_xml(spec: &TakeSpec, facts: &GuestFacts) -> String {
    let mut root =
        Element::new("domainsnapshot").with_child(Element::new("name").with_text(&spec.name));
    if !spec.description.is_empty() {
        root = root.with_child(Element::new("description").with_text(&spec.description));
    }
    let mut disks = Element::new("disks");
    for disk in &facts.disks {
        let mut el = Element::new("disk").with_attr("name", &disk.target);
        if disk.skipped {
            el = el.with_attr("snapshot", "no");
        } else {
            match spec.mode {
                Mode::Internal => el = el.with_attr("snapshot", "internal"),
                Mode::ExternalDiskOnly => {
                    let file = overlay_path(disk.source.as_deref().unwrap_or(""), &spec.name);
                    el = el
                        .with_attr("snapshot", "external")
                        .with_child(Element::new("driver").with_attr("type", "qcow2"))
                        .with_child(Element::new("source").with_attr("file", &file));
                }
            }
        }
        disks = disks.with_child(el);
    }
    if spec.mode == Mode::Internal {
        let memory = if facts.running { "internal" } else { "no" };
        root = root.with_child(Element::new("memory").with_attr("snapshot", memory));
    } else {
        root = root.with_child(Element::new("memory").with_attr("snapshot", "no"));
    }
    root.with_child(disks).into_pretty().to_xml_string()
}

/// The same snapshot with a new description, for libvirt's REDEFINE.
pub fn with_description(snapshot_xml: &str, description: &str) -> Result<String, String> {
    let mut doc = Document::parse(snapshot_xml).map_err(|e| e.to_string())?;
    match doc.root.child_mut("description") {
        Some(d) => d.set_text(Some(description)),
        None => {
            doc.root.insert_pretty(
                Element::new("description").with_text(description),
                "",
                &["name", "description"],
            );
        }
    }
    Ok(doc.to_xml_string())
}

/// What deleting a snapshot does, said before it is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deletion {
    /// The snapshots that go, the chosen one first.
    pub snapshots: Vec<String>,
    /// Files that go away with them (external snapshots' overlays).
    pub files: Vec<String>,
    /// The current snapshot goes too: the guest keeps running as it is,
    /// with no current snapshot.
    pub current_goes: bool,
    /// Children that will hang from the deleted one's parent instead.
    pub reparented: Vec<String>,
}

/// Why a deletion is refused before libvirt is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteRefusal {
    NoSuchSnapshot,
    /// libvirt 9.0 deletes an external snapshot only when nothing builds
    /// on it (the names of what does).
    ExternalWithChildren(Vec<String>),
    /// "With its children" is for internal snapshots only.
    ExternalSubtree,
}

/// Plan deleting `name` (with its descendants when `children`).
pub fn deletion(
    snapshots: &[Snapshot],
    name: &str,
    children: bool,
) -> Result<Deletion, DeleteRefusal> {
    let target = snapshots
        .iter()
        .find(|s| s.name == name)
        .ok_or(DeleteRefusal::NoSuchSnapshot)?;
    let kids: Vec<&Snapshot> = snapshots
        .iter()
        .filter(|s| s.parent.as_deref() == Some(name))
        .collect();
    let mut gone = vec![target];
    if children {
        let mut i = 0;
        while i < gone.len() {
            let parent = gone[i].name.clone();
            gone.extend(
                snapshots
                    .iter()
                    .filter(|s| s.parent.as_deref() == Some(&parent)),
            );
            i += 1;
        }
    }
    if target.is_external() {
        if children && gone.len() > 1 {
            return Err(DeleteRefusal::ExternalSubtree);
        }
        if !kids.is_empty() {
            return Err(DeleteRefusal::ExternalWithChildren(
                kids.iter().map(|s| s.name.clone()).collect(),
            ));
        }
    }
    if children && gone.iter().any(|s| s.is_external()) {
        return Err(DeleteRefusal::ExternalSubtree);
    }
    Ok(Deletion {
        snapshots: gone.iter().map(|s| s.name.clone()).collect(),
        files: gone.iter().flat_map(|s| s.files()).collect(),
        current_goes: gone.iter().any(|s| s.current),
        reparented: if children {
            Vec::new()
        } else {
            kids.iter().map(|s| s.name.clone()).collect()
        },
    })
}

/// The state a reverted guest is left in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterRevert {
    /// As the snapshot holds it (running snapshots run, others stay off).
    AsTaken,
    Running,
    Paused,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let path = format!("{}/tests/data/snapshot/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn snap(name: &str, parent: Option<&str>, created: i64) -> Snapshot {
        Snapshot {
            name: name.into(),
            description: String::new(),
            created,
            state: SnapshotState::ShutOff,
            parent: parent.map(Into::into),
            current: false,
            memory_file: None,
            disks: Vec::new(),
        }
    }

    #[test]
    fn snapshot_xml_matches_the_fixtures_for_each_mode() {
        let facts = GuestFacts::read(&fixture("guest.xml"), true).unwrap();
        assert!(facts.agent && !facts.uefi);
        let spec = |mode| TakeSpec {
            name: "before-upgrade".into(),
            description: "Kernel 6.1 & nginx 1.22".into(),
            mode,
        };
        assert_eq!(
            snapshot_xml(&spec(Mode::Internal), &facts).trim(),
            fixture("internal-running.xml").trim()
        );
        assert_eq!(
            snapshot_xml(&spec(Mode::ExternalDiskOnly), &facts).trim(),
            fixture("external-disk-only.xml").trim()
        );
        let o = offer(&facts);
        assert_eq!(o.modes, [Mode::Internal, Mode::ExternalDiskOnly]);
        assert!(o.memory && o.quiesce);
    }

    #[test]
    fn a_listed_snapshot_reads_with_its_parent_time_and_state() {
        let s = Snapshot::parse(&fixture("listed.xml"), true).unwrap();
        assert_eq!(s.name, "updated");
        assert_eq!(s.parent.as_deref(), Some("base"));
        assert_eq!(s.created, 1764614400);
        assert_eq!(s.state, SnapshotState::Running);
        assert!(s.state.has_memory() && s.current && !s.is_external());
        assert!(Snapshot::parse("<domain/>", false).is_err());
        assert!(Snapshot::parse("<domainsnapshot>", false).is_err());
    }

    #[test]
    fn the_tree_is_depth_first_with_the_newest_sibling_last() {
        let list = vec![
            snap("c", Some("a"), 30),
            snap("a", None, 10),
            snap("b", Some("a"), 20),
            snap("d", Some("b"), 40),
            snap("orphan", Some("gone"), 5),
        ];
        let rows: Vec<(usize, &str)> = tree(&list)
            .iter()
            .map(|r| (r.depth, list[r.index].name.as_str()))
            .collect();
        assert_eq!(
            rows,
            [(0, "orphan"), (0, "a"), (1, "b"), (2, "d"), (1, "c")]
        );
        // A loop of parents still lists every snapshot once.
        let looped = vec![snap("x", Some("y"), 1), snap("y", Some("x"), 2)];
        assert_eq!(tree(&looped).len(), 2);
    }

    #[test]
    fn uefi_and_raw_disks_are_refused_with_the_way_out() {
        let mut facts = GuestFacts::read(&fixture("guest.xml"), true).unwrap();
        facts.uefi = true;
        let o = offer(&facts);
        assert_eq!(o.blocker, Some(Blocker::RunningUefi));
        assert_eq!(o.modes, [Mode::ExternalDiskOnly]);
        facts.running = false;
        assert_eq!(
            offer(&facts).modes[0],
            Mode::Internal,
            "shut off, UEFI works"
        );
        facts.disks[0].format = "raw".into();
        assert!(matches!(
            offer(&facts).blocker,
            Some(Blocker::NotQcow2 { .. })
        ));
    }

    #[test]
    fn names_and_deletions_are_checked() {
        let list = vec![snap("a", None, 1), snap("b", Some("a"), 2)];
        assert_eq!(check_name("x/y", &list), Err(NameProblem::Slash));
        assert_eq!(check_name("a", &list), Err(NameProblem::Taken));
        assert_eq!(check_name(" ", &list), Err(NameProblem::Empty));
        assert_eq!(check_name("c", &list), Ok(()));

        let mut ext = list.clone();
        ext[0].disks.push(SnapshotDisk {
            target: "vda".into(),
            kind: "external".into(),
            file: Some("/i/web.a.qcow2".into()),
        });
        assert_eq!(
            deletion(&ext, "a", false),
            Err(DeleteRefusal::ExternalWithChildren(vec!["b".into()]))
        );
        assert_eq!(
            deletion(&ext, "a", true),
            Err(DeleteRefusal::ExternalSubtree)
        );
        let mut lone = ext.clone();
        lone.truncate(1);
        lone[0].current = true;
        let d = deletion(&lone, "a", false).unwrap();
        assert_eq!(d.files, ["/i/web.a.qcow2"]);
        assert!(d.current_goes);
        let d = deletion(&list, "a", true).unwrap();
        assert_eq!(d.snapshots, ["a", "b"]);
        assert_eq!(
            deletion(&list, "z", false),
            Err(DeleteRefusal::NoSuchSnapshot)
        );
        assert_eq!(overlay_path("/i/web.qcow2", "s1"), "/i/web.s1.qcow2");
        let xml = with_description(&fixture("listed.xml"), "new words").unwrap();
        assert_eq!(
            Snapshot::parse(&xml, false).unwrap().description,
            "new words"
        );
        let bare =
            with_description("<domainsnapshot><name>n</name></domainsnapshot>", "d").unwrap();
        assert!(bare.contains("<description>d</description>"), "{bare}");
    }
}
