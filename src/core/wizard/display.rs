//! How a new guest is reached: its display (graphical or none) and text
//! consoles, and the host CPUs its vCPUs may use.

/// How the guest's screen is reached: a graphical display (VNC or SPICE),
/// or none (a headless guest, reached on its serial console).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisplayChoice {
    Graphical {
        /// `vnc` or `spice`.
        protocol: String,
        /// The address it listens on; `None`: a local socket on this
        /// machine, 127.0.0.1 on a remote host.
        listen: Option<String>,
        /// A fixed port; `None`: libvirt picks one.
        port: Option<u16>,
        password: Option<String>,
    },
    None,
}

impl Default for DisplayChoice {
    fn default() -> Self {
        DisplayChoice::Graphical {
            protocol: "vnc".into(),
            listen: None,
            port: None,
            password: None,
        }
    }
}

/// A text console the guest gets (`--console`, `--serial`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextConsoleChoice {
    /// A serial port on a pty.
    Serial,
    /// A console on a pty with a serial target (libvirt adds the port).
    SerialConsole,
    /// A virtio console on a pty.
    VirtioConsole,
}

/// The host CPUs a cpuset (`0-3,^2,6`) names, or `None` when it is not one.
pub fn cpuset_cpus(cpuset: &str) -> Option<Vec<u32>> {
    let mut cpus = std::collections::BTreeSet::new();
    let mut excluded = Vec::new();
    for part in cpuset.split(',') {
        let part = part.trim();
        if let Some(n) = part.strip_prefix('^') {
            excluded.push(n.parse::<u32>().ok()?);
        } else if let Some((a, b)) = part.split_once('-') {
            let (a, b) = (a.parse::<u32>().ok()?, b.parse::<u32>().ok()?);
            if a > b {
                return None;
            }
            cpus.extend(a..=b);
        } else {
            cpus.insert(part.parse::<u32>().ok()?);
        }
    }
    for n in excluded {
        cpus.remove(&n);
    }
    Some(cpus.into_iter().collect())
}
