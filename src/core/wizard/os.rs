//! What the wizard needs to know about a guest operating system, as plain
//! data. The values come from libosinfo (`crate::osinfo` reads them); this
//! module knows nothing of where they came from, so the wizard's rules can be
//! tested with profiles written by hand.

/// Resources libosinfo lists for an OS (minimum, recommended, …).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resources {
    pub ram_mib: Option<u64>,
    pub vcpus: Option<u32>,
    pub storage_gib: Option<u64>,
}

/// Which firmware an OS boots from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirmwarePolicy {
    /// BIOS or UEFI both work; BIOS is the default (faster to boot, no NVRAM).
    Either,
    /// Only BIOS (old OSes).
    BiosOnly,
    /// Only UEFI; Secure Boot when the OS asks for it (Windows 11).
    UefiOnly { secure_boot: bool },
}

/// An operating system as the wizard uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsProfile {
    /// libosinfo's short ID (`debian12`, `win11`), what `--os-variant` takes.
    pub short_id: String,
    /// The name users read ("Debian 12").
    pub name: String,
    /// `linux`, `winnt`, `freebsd`, … (empty when unknown).
    pub family: String,
    /// The release date as `YYYY-MM-DD`, when known.
    pub release_date: Option<String>,
    pub minimum: Resources,
    pub recommended: Resources,
    /// Has drivers for virtio block and network devices.
    pub virtio: bool,
    pub firmware: FirmwarePolicy,
    /// Needs a TPM 2.0 (Windows 11).
    pub needs_tpm: bool,
}

/// The profile used when the OS is not known: modern defaults that boot
/// most media (virtio, q35, BIOS), as virt-install's `generic` does.
pub const GENERIC_ID: &str = "generic";

impl OsProfile {
    /// The profile of an unknown OS.
    pub fn generic() -> OsProfile {
        OsProfile {
            short_id: GENERIC_ID.into(),
            name: "Generic or unknown OS".into(),
            family: String::new(),
            release_date: None,
            minimum: Resources::default(),
            recommended: Resources::default(),
            virtio: true,
            firmware: FirmwarePolicy::Either,
            needs_tpm: false,
        }
    }

    pub fn is_generic(&self) -> bool {
        self.short_id == GENERIC_ID
    }

    /// Linux guests get the guest-agent channel and a virtio GPU.
    pub fn is_linux(&self) -> bool {
        self.family == "linux"
    }

    pub fn is_windows(&self) -> bool {
        self.family == "winnt" || self.family == "win9x"
    }

    /// Modern OSes run on the q35 machine type (PCIe, SATA); old ones
    /// (released before 2010) on i440fx (`pc`).
    pub fn prefers_q35(&self) -> bool {
        match &self.release_date {
            Some(date) => date.as_str() >= "2010",
            None => true,
        }
    }

    /// Memory the wizard proposes, in MiB: the recommended amount, else
    /// twice the minimum, else 2 GiB; never more than half the host's.
    pub fn default_memory_mib(&self, host_mib: u64) -> u64 {
        let wanted = self
            .recommended
            .ram_mib
            .or(self.minimum.ram_mib.map(|m| m * 2))
            .unwrap_or(2048);
        let cap = (host_mib / 2).max(256);
        wanted
            .min(cap)
            .max(self.minimum.ram_mib.unwrap_or(0).min(host_mib))
    }

    /// vCPUs the wizard proposes: the recommended count, else 2, within
    /// the host's.
    pub fn default_vcpus(&self, host_cpus: u32) -> u32 {
        self.recommended
            .vcpus
            .unwrap_or(2)
            .clamp(1, host_cpus.max(1))
    }

    /// Disk size the wizard proposes, in GiB: the recommended size, else
    /// the minimum plus room, else 20 GiB.
    pub fn default_disk_gib(&self) -> u64 {
        self.recommended
            .storage_gib
            .or(self.minimum.storage_gib.map(|s| s + 5))
            .unwrap_or(20)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn debian() -> OsProfile {
        OsProfile {
            short_id: "debian12".into(),
            name: "Debian 12".into(),
            family: "linux".into(),
            release_date: Some("2023-06-10".into()),
            minimum: Resources {
                ram_mib: Some(256),
                vcpus: Some(1),
                storage_gib: Some(1),
            },
            recommended: Resources {
                ram_mib: Some(1024),
                vcpus: Some(1),
                storage_gib: Some(10),
            },
            virtio: true,
            firmware: FirmwarePolicy::Either,
            needs_tpm: false,
        }
    }

    #[test]
    fn defaults_follow_the_recommendation_within_the_host() {
        let os = debian();
        assert_eq!(os.default_memory_mib(24 * 1024), 1024);
        // A small host: at most half of it, but never below the OS minimum.
        assert_eq!(os.default_memory_mib(1024), 512);
        assert_eq!(os.default_memory_mib(300), 256);
        assert_eq!(os.default_vcpus(2), 1);
        assert_eq!(os.default_disk_gib(), 10);
    }

    #[test]
    fn an_unknown_os_gets_generous_modern_defaults() {
        let os = OsProfile::generic();
        assert_eq!(os.default_memory_mib(24 * 1024), 2048);
        assert_eq!(os.default_vcpus(2), 2);
        assert_eq!(os.default_vcpus(1), 1);
        assert_eq!(os.default_disk_gib(), 20);
        assert!(os.prefers_q35() && os.virtio);
    }

    #[test]
    fn old_oses_get_the_old_machine_type() {
        let mut os = debian();
        os.release_date = Some("2001-10-25".into());
        assert!(!os.prefers_q35());
    }
}
