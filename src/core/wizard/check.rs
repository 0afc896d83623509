//! The checks of each wizard page. Errors stop the wizard; warnings need
//! the user's explicit confirmation (more memory than the host has) or say
//! what Vireo will do (start an inactive network).

use super::{HostFacts, InstallSource, NetworkChoice, Plan, StorageChoice, VirtType};

/// The wizard's pages, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Page {
    Source,
    Resources,
    Storage,
    Network,
    Summary,
}

impl Page {
    pub const ALL: [Page; 5] = [
        Page::Source,
        Page::Resources,
        Page::Storage,
        Page::Network,
        Page::Summary,
    ];
}

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The wizard cannot go on.
    Error,
    /// The wizard goes on once the user confirms.
    Warning,
}

/// Something wrong with the user's choices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    NameEmpty,
    NameTooLong {
        max: usize,
    },
    /// A character outside letters, digits and `-_.+`, or a leading `-`/`.`.
    NameBadChar(char),
    NameTaken(String),
    IsoEmpty,
    /// The file does not exist (on this machine).
    FileMissing(String),
    /// The path exists but is a directory or device.
    NotAFile(String),
    /// The file cannot be read: the OS's reason.
    FileUnreadable {
        path: String,
        reason: String,
    },
    LocationEmpty,
    /// Not an `http://`, `https://`, `ftp://` URL or a local directory.
    LocationScheme(String),
    /// The kernel of a network install is fetched here, so the host must be
    /// this machine.
    LocationNeedsLocal,
    /// An ISO given as an install tree holds none (the reason).
    LocationNoTree(String),
    ImportEmpty,
    ExistingDiskEmpty,
    MemoryZero,
    /// More memory than the host has: needs confirmation.
    MemoryOverHost {
        asked_mib: u64,
        host_mib: u64,
    },
    /// Below what the OS needs: it may not install.
    MemoryBelowMinimum {
        asked_mib: u64,
        minimum_mib: u64,
    },
    MaxMemoryBelowMemory {
        max_mib: u64,
        memory_mib: u64,
    },
    VcpusZero,
    /// More vCPUs than host CPUs: needs confirmation.
    VcpusOverHost {
        asked: u32,
        host: u32,
    },
    MaxVcpusBelowVcpus {
        max: u32,
        vcpus: u32,
    },
    /// KVM was asked for on a host without it.
    KvmUnavailable,
    DiskZero,
    PoolMissing(String),
    PoolInactive(String),
    /// The new disk is larger than the pool's free space.
    DiskOverPool {
        asked_bytes: u64,
        free_bytes: u64,
        pool: String,
    },
    /// The pool already has a volume of that name.
    VolumeExists {
        pool: String,
        volume: String,
    },
    NetworkMissing(String),
    /// The network exists but is stopped: Vireo will start it.
    NetworkInactive(String),
    BridgeEmpty,
    MacvtapEmpty,
    /// Not a CPU list (`0-3,6`), or an empty one.
    CpusetBad(String),
    /// A new image's path is not an absolute file path.
    NewImageBad(String),
    /// Something is already at a new image's path.
    NewImageExists(String),
    NewImageDirMissing(String),
    NewImageDirUnwritable {
        dir: String,
        reason: String,
    },
    /// The cpuset names a CPU the host does not have.
    CpusetNotOnHost {
        cpu: u32,
        host: u32,
    },
}

impl Problem {
    pub fn severity(&self) -> Severity {
        match self {
            Problem::MemoryOverHost { .. }
            | Problem::MemoryBelowMinimum { .. }
            | Problem::VcpusOverHost { .. }
            | Problem::NetworkInactive(_) => Severity::Warning,
            _ => Severity::Error,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }

    /// The message as an English template with named placeholders and
    /// their values. The UI translates the template (`gettext_f`); the
    /// templates are marked with [`n_`] for xgettext.
    pub fn message(&self) -> (&'static str, Vec<(&'static str, String)>) {
        use Problem::*;
        let s = |v: &str| v.to_owned();
        match self {
            NameEmpty => (n_("Give the virtual machine a name."), vec![]),
            NameTooLong { max } => (
                n_("The name is too long: at most {max} characters."),
                vec![("max", max.to_string())],
            ),
            NameBadChar(c) => (
                n_(
                    "The name cannot contain “{char}”: use letters, digits and - _ . + (not first).",
                ),
                vec![("char", c.to_string())],
            ),
            NameTaken(n) => (
                n_("A virtual machine named “{name}” already exists."),
                vec![("name", s(n))],
            ),
            IsoEmpty => (n_("Choose an ISO image to install from."), vec![]),
            FileMissing(p) => (n_("“{path}” does not exist."), vec![("path", s(p))]),
            NotAFile(p) => (n_("“{path}” is not a file."), vec![("path", s(p))]),
            FileUnreadable { path, reason } => (
                n_("“{path}” cannot be read: {reason}."),
                vec![("path", s(path)), ("reason", s(reason))],
            ),
            LocationEmpty => (n_("Enter the URL of the install tree."), vec![]),
            LocationScheme(u) => (
                n_("“{url}” is not an http, https or ftp URL, a directory or an ISO image."),
                vec![("url", s(u))],
            ),
            LocationNeedsLocal => (
                n_("Network installs need a connection to this computer."),
                vec![],
            ),
            LocationNoTree(reason) => (
                n_(
                    "This ISO cannot be installed from as a tree: {reason}. Use it as a CD-ROM (--cdrom) instead.",
                ),
                vec![("reason", s(reason))],
            ),
            ImportEmpty => (n_("Choose the disk image to import."), vec![]),
            ExistingDiskEmpty => (n_("Choose the disk image to use."), vec![]),
            MemoryZero => (n_("The virtual machine needs some memory."), vec![]),
            MemoryOverHost {
                asked_mib,
                host_mib,
            } => (
                n_("{asked} MiB is more memory than the host has ({host} MiB)."),
                vec![
                    ("asked", asked_mib.to_string()),
                    ("host", host_mib.to_string()),
                ],
            ),
            MemoryBelowMinimum {
                asked_mib,
                minimum_mib,
            } => (
                n_("{asked} MiB is less than this OS needs ({minimum} MiB); it may not install."),
                vec![
                    ("asked", asked_mib.to_string()),
                    ("minimum", minimum_mib.to_string()),
                ],
            ),
            MaxMemoryBelowMemory {
                max_mib,
                memory_mib,
            } => (
                n_("The maximum memory ({max} MiB) is below the memory ({memory} MiB)."),
                vec![
                    ("max", max_mib.to_string()),
                    ("memory", memory_mib.to_string()),
                ],
            ),
            VcpusZero => (n_("The virtual machine needs at least one CPU."), vec![]),
            NewImageBad(path) => (
                n_("“{path}” is not a place for a new disk image: give a full file path."),
                vec![("path", s(path))],
            ),
            NewImageExists(path) => (
                n_("{path} already exists: a new disk image would overwrite it."),
                vec![("path", s(path))],
            ),
            NewImageDirMissing(dir) => (
                n_("The folder {dir} does not exist."),
                vec![("dir", s(dir))],
            ),
            NewImageDirUnwritable { dir, reason } => (
                n_("A disk image cannot be written in {dir}: {reason}"),
                vec![("dir", s(dir)), ("reason", s(reason))],
            ),
            CpusetBad(set) => (
                n_("“{cpuset}” is not a list of host CPUs: write it as 0-3,6 for example."),
                vec![("cpuset", s(set))],
            ),
            CpusetNotOnHost { cpu, host } => (
                n_("CPU {cpu} is not on this host: it has CPUs 0 to {last}."),
                vec![
                    ("cpu", cpu.to_string()),
                    ("last", host.saturating_sub(1).to_string()),
                ],
            ),
            VcpusOverHost { asked, host } => (
                n_("{asked} CPUs is more than the host has ({host})."),
                vec![("asked", asked.to_string()), ("host", host.to_string())],
            ),
            MaxVcpusBelowVcpus { max, vcpus } => (
                n_("The maximum CPUs ({max}) is below the CPUs ({vcpus})."),
                vec![("max", max.to_string()), ("vcpus", vcpus.to_string())],
            ),
            KvmUnavailable => (
                n_("KVM is not available on this host: choose QEMU emulation or Automatic."),
                vec![],
            ),
            DiskZero => (n_("The disk needs a size above zero."), vec![]),
            PoolMissing(p) => (
                n_("There is no storage pool “{pool}”."),
                vec![("pool", s(p))],
            ),
            PoolInactive(p) => (
                n_("The storage pool “{pool}” is not running."),
                vec![("pool", s(p))],
            ),
            DiskOverPool {
                asked_bytes,
                free_bytes,
                pool,
            } => (
                n_("{asked} is more than the {free} free in the pool “{pool}”."),
                vec![
                    ("asked", format_gib(*asked_bytes)),
                    ("free", format_gib(*free_bytes)),
                    ("pool", s(pool)),
                ],
            ),
            VolumeExists { pool, volume } => (
                n_("The pool “{pool}” already has a volume “{volume}”: choose another name."),
                vec![("pool", s(pool)), ("volume", s(volume))],
            ),
            NetworkMissing(n) => (
                n_("There is no network “{network}”."),
                vec![("network", s(n))],
            ),
            NetworkInactive(n) => (
                n_("The network “{network}” is not running: it will be started."),
                vec![("network", s(n))],
            ),
            BridgeEmpty => (n_("Enter the name of the host bridge."), vec![]),
            MacvtapEmpty => (n_("Enter the name of the host interface."), vec![]),
        }
    }
}

/// Marks a message for translation without translating it (gettext_noop):
/// `make pot` extracts the argument.
pub const fn n_(msgid: &'static str) -> &'static str {
    msgid
}

/// Bytes as GiB with one decimal ("20.0 GiB").
pub fn format_gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / super::GIB as f64)
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (template, args) = self.message();
        let mut text = template.to_owned();
        for (k, v) in args {
            text = text.replace(&format!("{{{k}}}"), &v);
        }
        f.write_str(&text)
    }
}

/// The longest name accepted (libvirt has no limit, but file names and
/// interface names derived from it do).
pub const NAME_MAX: usize = 64;

pub(super) fn name_char_ok(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_.+".contains(c)
}

/// The problems of a VM name on a host with `taken` names.
pub fn check_name(name: &str, taken: &[String]) -> Vec<Problem> {
    if name.is_empty() {
        return vec![Problem::NameEmpty];
    }
    let mut problems = Vec::new();
    if name.chars().count() > NAME_MAX {
        problems.push(Problem::NameTooLong { max: NAME_MAX });
    }
    let first = name.chars().next().unwrap_or('a');
    if let Some(bad) = name
        .chars()
        .find(|&c| !name_char_ok(c))
        .or((first == '-' || first == '.').then_some(first))
    {
        problems.push(Problem::NameBadChar(bad));
    }
    if taken.iter().any(|t| t == name) {
        problems.push(Problem::NameTaken(name.to_owned()));
    }
    problems
}

/// A file the guest will read, checked when it is on this machine.
/// A new image's place: an absolute path whose directory exists and takes
/// files (tried with a probe file, removed at once), with nothing there
/// yet. Only on this machine; a remote host's libvirt says for itself.
fn check_new_image(path: &str, host: &HostFacts, out: &mut Vec<Problem>) {
    let p = std::path::Path::new(path);
    let (Some(dir), Some(_)) = (p.parent(), p.file_name()) else {
        return out.push(Problem::NewImageBad(path.to_owned()));
    };
    if !p.is_absolute() {
        return out.push(Problem::NewImageBad(path.to_owned()));
    }
    if !host.local {
        return;
    }
    if p.exists() {
        return out.push(Problem::NewImageExists(path.to_owned()));
    }
    if !dir.is_dir() {
        return out.push(Problem::NewImageDirMissing(dir.display().to_string()));
    }
    let probe = dir.join(format!(".vireo-probe-{}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
        }
        Err(e) => out.push(Problem::NewImageDirUnwritable {
            dir: dir.display().to_string(),
            reason: e.to_string(),
        }),
    }
}

fn check_file(path: &str, host: &HostFacts, empty: Problem, out: &mut Vec<Problem>) {
    if path.trim().is_empty() {
        out.push(empty);
        return;
    }
    if !host.local {
        return;
    }
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            out.push(Problem::FileMissing(path.to_owned()))
        }
        Err(e) => out.push(Problem::FileUnreadable {
            path: path.to_owned(),
            reason: e.to_string(),
        }),
        Ok(m) if !m.is_file() => out.push(Problem::NotAFile(path.to_owned())),
        Ok(_) => {
            if let Err(e) = std::fs::File::open(path) {
                out.push(Problem::FileUnreadable {
                    path: path.to_owned(),
                    reason: e.to_string(),
                });
            }
        }
    }
}

impl Plan {
    /// The problems of one page.
    pub fn check(&self, page: Page, host: &HostFacts) -> Vec<Problem> {
        let mut out = Vec::new();
        match page {
            Page::Source => self.check_source(host, &mut out),
            Page::Resources => self.check_resources(host, &mut out),
            Page::Storage => self.check_storage(host, &mut out),
            Page::Network => self.check_network(host, &mut out),
            Page::Summary => out = check_name(&self.name, &host.domain_names),
        }
        out
    }

    /// The problems of every page, in page order.
    pub fn check_all(&self, host: &HostFacts) -> Vec<Problem> {
        Page::ALL
            .iter()
            .flat_map(|p| self.check(*p, host))
            .collect()
    }

    fn check_source(&self, host: &HostFacts, out: &mut Vec<Problem>) {
        match &self.source {
            InstallSource::Iso(path) => check_file(path, host, Problem::IsoEmpty, out),
            InstallSource::Location { url, .. } => {
                let url = url.trim();
                if url.is_empty() {
                    out.push(Problem::LocationEmpty);
                } else if !["http://", "https://", "ftp://", "/"]
                    .iter()
                    .any(|p| url.starts_with(p))
                {
                    out.push(Problem::LocationScheme(url.to_owned()));
                } else if !host.local {
                    out.push(Problem::LocationNeedsLocal);
                } else if url.starts_with('/') && !std::path::Path::new(url).exists() {
                    out.push(Problem::FileMissing(url.to_owned()));
                } else if super::tree::is_local_iso(url) {
                    let iso = url.strip_prefix("file://").unwrap_or(url);
                    if let Err(reason) = super::tree::iso_boot_files(iso) {
                        out.push(Problem::LocationNoTree(reason));
                    }
                }
            }
            InstallSource::Import { path, .. } => check_file(path, host, Problem::ImportEmpty, out),
            InstallSource::Manual => {}
        }
        if self.virt_type == VirtType::Kvm && !host.kvm {
            out.push(Problem::KvmUnavailable);
        }
    }

    fn check_resources(&self, host: &HostFacts, out: &mut Vec<Problem>) {
        if self.memory_mib == 0 {
            out.push(Problem::MemoryZero);
        } else {
            let top = self.max_memory_mib.unwrap_or(0).max(self.memory_mib);
            if host.memory_mib > 0 && top > host.memory_mib {
                out.push(Problem::MemoryOverHost {
                    asked_mib: top,
                    host_mib: host.memory_mib,
                });
            }
            if let Some(min) = self.os.minimum.ram_mib
                && self.memory_mib < min
            {
                out.push(Problem::MemoryBelowMinimum {
                    asked_mib: self.memory_mib,
                    minimum_mib: min,
                });
            }
        }
        if let Some(max) = self.max_memory_mib
            && max < self.memory_mib
        {
            out.push(Problem::MaxMemoryBelowMemory {
                max_mib: max,
                memory_mib: self.memory_mib,
            });
        }
        if self.vcpus == 0 {
            out.push(Problem::VcpusZero);
        } else {
            let top = self.max_vcpus.unwrap_or(0).max(self.vcpus);
            if host.cpus > 0 && top > host.cpus {
                out.push(Problem::VcpusOverHost {
                    asked: top,
                    host: host.cpus,
                });
            }
        }
        if let Some(max) = self.max_vcpus
            && max < self.vcpus
        {
            out.push(Problem::MaxVcpusBelowVcpus {
                max,
                vcpus: self.vcpus,
            });
        }
        if let Some(set) = &self.cpuset {
            match super::cpuset_cpus(set) {
                None => out.push(Problem::CpusetBad(set.clone())),
                Some(cpus) if cpus.is_empty() => out.push(Problem::CpusetBad(set.clone())),
                Some(cpus) => {
                    if let Some(&cpu) = cpus.iter().find(|&&c| host.cpus > 0 && c >= host.cpus) {
                        out.push(Problem::CpusetNotOnHost {
                            cpu,
                            host: host.cpus,
                        });
                    }
                }
            }
        }
    }

    fn check_storage(&self, host: &HostFacts, out: &mut Vec<Problem>) {
        if matches!(self.source, InstallSource::Import { .. }) {
            return;
        }
        match &self.storage {
            StorageChoice::New { pool, size_bytes } => {
                if *size_bytes == 0 {
                    out.push(Problem::DiskZero);
                }
                let Some(p) = host.pool(pool) else {
                    out.push(Problem::PoolMissing(pool.clone()));
                    return;
                };
                if !p.active {
                    out.push(Problem::PoolInactive(pool.clone()));
                }
                if let Some(free) = p.available
                    && *size_bytes > free
                {
                    out.push(Problem::DiskOverPool {
                        asked_bytes: *size_bytes,
                        free_bytes: free,
                        pool: pool.clone(),
                    });
                }
                let volume = self.volume_name();
                if p.volumes.contains(&volume) {
                    out.push(Problem::VolumeExists {
                        pool: pool.clone(),
                        volume,
                    });
                }
            }
            StorageChoice::Existing { path, .. } => {
                check_file(path, host, Problem::ExistingDiskEmpty, out)
            }
            StorageChoice::NewAt { path, size_bytes } => {
                if *size_bytes == 0 {
                    out.push(Problem::DiskZero);
                }
                check_new_image(path, host, out);
            }
            StorageChoice::None => {}
        }
    }

    fn check_network(&self, host: &HostFacts, out: &mut Vec<Problem>) {
        match &self.network {
            NetworkChoice::Virtual(name) => match host.network(name) {
                None => out.push(Problem::NetworkMissing(name.clone())),
                Some(n) if !n.active => out.push(Problem::NetworkInactive(name.clone())),
                Some(_) => {}
            },
            NetworkChoice::Bridge(b) if b.trim().is_empty() => out.push(Problem::BridgeEmpty),
            NetworkChoice::Macvtap(d) if d.trim().is_empty() => out.push(Problem::MacvtapEmpty),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_to_safe_characters() {
        assert!(check_name("web-01_a.b+c", &[]).is_empty());
        assert_eq!(check_name("", &[]), [Problem::NameEmpty]);
        assert_eq!(check_name("my vm", &[]), [Problem::NameBadChar(' ')]);
        assert_eq!(check_name("a/b", &[]), [Problem::NameBadChar('/')]);
        assert_eq!(check_name("-x", &[]), [Problem::NameBadChar('-')]);
        assert_eq!(check_name(".x", &[]), [Problem::NameBadChar('.')]);
        assert_eq!(check_name("é", &[]), [Problem::NameBadChar('é')]);
        assert_eq!(
            check_name(&"a".repeat(65), &[]),
            [Problem::NameTooLong { max: 64 }]
        );
        assert_eq!(
            check_name("web", &["web".into()]),
            [Problem::NameTaken("web".into())]
        );
    }

    #[test]
    fn warnings_are_the_ones_a_user_may_confirm() {
        assert_eq!(
            Problem::MemoryOverHost {
                asked_mib: 2,
                host_mib: 1
            }
            .severity(),
            Severity::Warning
        );
        assert_eq!(
            Problem::NetworkInactive("n".into()).severity(),
            Severity::Warning
        );
        assert!(Problem::DiskZero.is_error());
        assert!(Problem::NameTaken("x".into()).is_error());
    }

    #[test]
    fn messages_fill_every_placeholder() {
        let over = Problem::DiskOverPool {
            asked_bytes: 30 * super::super::GIB,
            free_bytes: super::super::GIB / 2,
            pool: "default".into(),
        };
        assert_eq!(
            over.to_string(),
            "30.0 GiB is more than the 0.5 GiB free in the pool “default”."
        );
        assert_eq!(
            Problem::NameBadChar(' ').to_string(),
            "The name cannot contain “ ”: use letters, digits and - _ . + (not first)."
        );
    }
}
