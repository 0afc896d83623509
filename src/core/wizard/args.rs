//! `vireo create`: the wizard's command-line twin. Option names follow
//! virt-install for the subset the wizard offers, so that the seed guides'
//! commands carry over:
//!
//! ```text
//! vireo create --name N --memory MiB[,maxmemory=MiB] [--maxmemory MiB]
//!              --vcpus N[,maxvcpus=N] [--maxvcpus N]
//!              --disk size=GiB[,pool=P]|path=P|none
//!              --cdrom PATH | --location URL [--extra-args ARGS] | --import
//!              [--os-variant ID] [--network network=NAME|bridge=BR|type=direct,source=DEV|user|none]
//!              [--virt-type kvm|qemu] [--connect URI] [--print-xml]
//!              [--graphics none|vnc|spice[,listen=ADDR][,port=N][,password=P]]
//!              [--console pty[,target_type=serial|virtio]]... [--serial pty]...
//!              [--cpuset LIST] [--os-type T (ignored, as virt-install 4 does)]
//! ```
//!
//! The arguments fill the same [`Plan`] the wizard's pages fill.

use super::{
    DisplayChoice, GIB, HostFacts, InstallSource, NetworkChoice, OsProfile, Plan, StorageChoice,
    TextConsoleChoice, VirtType,
};
use crate::core::cli::CliError;

/// The install source options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceArg {
    Cdrom(String),
    Location(String),
    /// `--import`: the disk given by `--disk path=` is the system.
    Import,
}

/// `--disk`.
#[derive(Debug, Clone, PartialEq)]
pub enum DiskArg {
    /// `size=GiB` with an optional `pool=`.
    New { size_gib: f64, pool: Option<String> },
    /// `path=P`.
    Path(String),
    /// `path=P,size=GiB`: a new image at P.
    NewAt { path: String, size_gib: f64 },
    /// `none`.
    None,
}

/// A parsed `vireo create` line.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateArgs {
    pub connect: Option<String>,
    pub name: String,
    pub memory_mib: u64,
    pub max_memory_mib: Option<u64>,
    pub vcpus: u32,
    pub max_vcpus: Option<u32>,
    pub disk: DiskArg,
    pub source: SourceArg,
    pub extra_args: String,
    pub os_variant: Option<String>,
    pub network: Option<NetworkChoice>,
    pub virt_type: VirtType,
    pub print_xml: bool,
    pub display: Option<DisplayChoice>,
    pub consoles: Vec<TextConsoleChoice>,
    pub cpuset: Option<String>,
    /// What was accepted but changes nothing (said on stderr).
    pub warnings: Vec<String>,
}

/// `--graphics none|vnc|spice[,listen=A][,port=N][,password=P]`.
fn graphics(value: &str) -> Result<DisplayChoice, CliError> {
    let mut parts = value.split(',');
    let kind = parts.next().unwrap_or_default();
    let kind = kind.strip_prefix("type=").unwrap_or(kind);
    if kind == "none" {
        return match parts.next() {
            None => Ok(DisplayChoice::None),
            Some(_) => Err(invalid("--graphics", value)),
        };
    }
    if kind != "vnc" && kind != "spice" {
        return Err(invalid("--graphics", value));
    }
    let (mut listen, mut port, mut password) = (None, None, None);
    for part in parts {
        match part.split_once('=') {
            Some(("listen", v)) if !v.is_empty() => listen = Some(v.to_owned()),
            Some(("port", "-1")) => port = None,
            Some(("port", v)) => {
                port = Some(v.parse::<u16>().map_err(|_| invalid("--graphics", value))?)
            }
            Some(("password", v)) => password = Some(v.to_owned()),
            _ => return Err(invalid("--graphics", value)),
        }
    }
    Ok(DisplayChoice::Graphical {
        protocol: kind.to_owned(),
        listen,
        port,
        password,
    })
}

/// `--console pty[,target_type=serial|virtio]`, `--serial pty`.
fn text_console(option: &str, value: &str) -> Result<TextConsoleChoice, CliError> {
    let mut parts = value.split(',');
    if parts.next() != Some("pty") {
        return Err(invalid(option, value));
    }
    let mut target = None;
    for part in parts {
        match part.split_once('=') {
            Some(("target_type" | "target.type", t)) => target = Some(t),
            _ => return Err(invalid(option, value)),
        }
    }
    match (option, target) {
        ("--serial", None) => Ok(TextConsoleChoice::Serial),
        ("--console", None | Some("serial")) => Ok(TextConsoleChoice::SerialConsole),
        ("--console", Some("virtio")) => Ok(TextConsoleChoice::VirtioConsole),
        _ => Err(invalid(option, value)),
    }
}

fn invalid(option: &str, value: &str) -> CliError {
    CliError::InvalidValue(option.to_owned(), value.to_owned())
}

fn number<T: std::str::FromStr>(option: &str, value: &str) -> Result<T, CliError> {
    value.trim().parse().map_err(|_| invalid(option, value))
}

/// `512` or `512,maxmemory=1024` (`key` names the second part).
fn with_max<T: std::str::FromStr + Copy>(
    option: &str,
    value: &str,
    key: &str,
) -> Result<(T, Option<T>), CliError> {
    let mut parts = value.split(',');
    let first = parts.next().unwrap_or_default();
    let first = first
        .strip_prefix(&format!("{}=", &option[2..]))
        .unwrap_or(first);
    let main = number(option, first)?;
    let mut max = None;
    for part in parts {
        match part.split_once('=') {
            Some((k, v)) if k == key => max = Some(number(option, v)?),
            _ => return Err(invalid(option, value)),
        }
    }
    Ok((main, max))
}

fn required<T>(v: Option<T>, option: &str) -> Result<T, CliError> {
    v.ok_or_else(|| CliError::MissingOption(option.to_owned()))
}

fn disk(value: &str) -> Result<DiskArg, CliError> {
    if value == "none" {
        return Ok(DiskArg::None);
    }
    let (mut size, mut pool, mut path) = (None, None, None);
    for part in value.split(',') {
        match part.split_once('=') {
            Some(("size", v)) => {
                let gib: f64 = number("--disk", v)?;
                if !(gib.is_finite() && gib >= 0.0) {
                    return Err(invalid("--disk", value));
                }
                size = Some(gib)
            }
            Some(("pool", v)) if !v.is_empty() => pool = Some(v.to_owned()),
            Some(("path", v)) if !v.is_empty() => path = Some(v.to_owned()),
            // A bare path, as virt-install also takes.
            None if part.starts_with('/') => path = Some(part.to_owned()),
            _ => return Err(invalid("--disk", value)),
        }
    }
    match (size, path) {
        (Some(size_gib), None) => Ok(DiskArg::New { size_gib, pool }),
        (Some(size_gib), Some(path)) if pool.is_none() => Ok(DiskArg::NewAt { path, size_gib }),
        (None, Some(p)) if pool.is_none() => Ok(DiskArg::Path(p)),
        _ => Err(invalid("--disk", value)),
    }
}

fn network(value: &str) -> Result<NetworkChoice, CliError> {
    let pairs: Vec<(&str, &str)> = value
        .split(',')
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect();
    let get = |k: &str| pairs.iter().find(|(key, _)| *key == k).map(|(_, v)| *v);
    Ok(match pairs.first().copied() {
        Some(("none", "")) => NetworkChoice::None,
        Some(("user", "")) => NetworkChoice::User,
        Some(("network", n)) if !n.is_empty() => NetworkChoice::Virtual(n.into()),
        Some(("bridge", b)) if !b.is_empty() => NetworkChoice::Bridge(b.into()),
        Some(("type", "direct")) => match get("source") {
            Some(dev) if !dev.is_empty() => NetworkChoice::Macvtap(dev.into()),
            _ => return Err(invalid("--network", value)),
        },
        _ => return Err(invalid("--network", value)),
    })
}

/// Parse the arguments after `create`.
pub fn parse(args: &[String]) -> Result<CreateArgs, CliError> {
    let mut it = args.iter();
    let (mut connect, mut name, mut memory, mut vcpus, mut disk_arg) =
        (None, None, None, None, None);
    let (mut max_memory, mut max_vcpus, mut os_variant, mut net, mut virt) =
        (None, None, None, None, VirtType::Auto);
    let mut sources: Vec<(String, SourceArg)> = Vec::new();
    let mut extra_args = String::new();
    let mut print_xml = false;
    let (mut display, mut consoles, mut cpuset, mut warnings) =
        (None, Vec::new(), None, Vec::new());
    while let Some(arg) = it.next() {
        if !arg.starts_with("--") && arg != "-c" && arg != "-n" {
            return Err(CliError::UnexpectedArgument(arg.clone()));
        }
        let (opt, inline) = match arg.split_once('=') {
            Some((o, v)) => (o.to_owned(), Some(v.to_owned())),
            None => (arg.clone(), None),
        };
        let mut value = || crate::core::cli::option_value(&opt, inline.as_deref(), &mut it);
        match opt.as_str() {
            "-c" | "--connect" => connect = Some(value()?),
            "-n" | "--name" => name = Some(value()?),
            "--memory" | "--ram" => {
                let (m, max) = with_max::<u64>("--memory", &value()?, "maxmemory")?;
                memory = Some(m);
                max_memory = max.or(max_memory);
            }
            "--maxmemory" => max_memory = Some(number("--maxmemory", &value()?)?),
            "--vcpus" => {
                let (v, max) = with_max::<u32>("--vcpus", &value()?, "maxvcpus")?;
                vcpus = Some(v);
                max_vcpus = max.or(max_vcpus);
            }
            "--maxvcpus" => max_vcpus = Some(number("--maxvcpus", &value()?)?),
            "--disk" => disk_arg = Some(disk(&value()?)?),
            "--cdrom" => sources.push((opt.clone(), SourceArg::Cdrom(value()?))),
            "--location" => sources.push((opt.clone(), SourceArg::Location(value()?))),
            "--import" => {
                if inline.is_some() {
                    return Err(CliError::UnexpectedValue(opt));
                }
                sources.push((opt.clone(), SourceArg::Import))
            }
            "--extra-args" => extra_args = value()?,
            "--os-variant" | "--osinfo" => os_variant = Some(value()?),
            "--network" => net = Some(network(&value()?)?),
            "--graphics" => display = Some(graphics(&value()?)?),
            "--console" | "--serial" => consoles.push(text_console(&opt, &value()?)?),
            "--cpuset" => cpuset = Some(value()?),
            "--os-type" => {
                let _ = value()?;
                warnings.push(
                    "--os-type is ignored (as virt-install 4 does): --os-variant names the OS"
                        .to_owned(),
                );
            }
            "--virt-type" => {
                virt = match value()?.as_str() {
                    "kvm" => VirtType::Kvm,
                    "qemu" => VirtType::Qemu,
                    other => return Err(invalid("--virt-type", other)),
                }
            }
            "--print-xml" => {
                if inline.is_some() {
                    return Err(CliError::UnexpectedValue(opt));
                }
                print_xml = true
            }
            _ => return Err(CliError::UnknownOption(opt)),
        }
    }
    let source = match sources.len() {
        0 => {
            return Err(CliError::MissingOption(
                "--cdrom, --location or --import".into(),
            ));
        }
        1 => sources.remove(0).1,
        _ => {
            return Err(CliError::ConflictingOptions(
                sources[0].0.clone(),
                sources[1].0.clone(),
            ));
        }
    };
    let disk = required(disk_arg, "--disk")?;
    if source == SourceArg::Import && !matches!(disk, DiskArg::Path(_)) {
        return Err(invalid("--disk", "--import needs --disk path=IMAGE"));
    }
    Ok(CreateArgs {
        connect,
        name: required(name, "--name")?,
        memory_mib: required(memory, "--memory")?,
        max_memory_mib: max_memory,
        vcpus: required(vcpus, "--vcpus")?,
        max_vcpus,
        disk,
        source,
        extra_args,
        os_variant,
        network: net,
        virt_type: virt,
        print_xml,
        display,
        consoles,
        cpuset,
        warnings,
    })
}

impl CreateArgs {
    /// The plan these arguments describe for `os` on `host`. Pool-less
    /// `size=` uses the host's default pool, as the wizard does.
    pub fn plan(&self, os: OsProfile, host: &HostFacts) -> Plan {
        let source = match &self.source {
            SourceArg::Cdrom(p) => InstallSource::Iso(p.clone()),
            SourceArg::Location(u) => InstallSource::Location {
                url: u.clone(),
                kernel_args: self.extra_args.clone(),
            },
            SourceArg::Import => {
                let DiskArg::Path(p) = &self.disk else {
                    unreachable!("parse() requires --disk path= with --import")
                };
                InstallSource::Import {
                    path: p.clone(),
                    format: super::probe_format(p).into(),
                }
            }
        };
        let mut plan = Plan::new(&self.name, source, os, host);
        plan.memory_mib = self.memory_mib;
        plan.max_memory_mib = self.max_memory_mib;
        plan.vcpus = self.vcpus;
        plan.max_vcpus = self.max_vcpus;
        plan.virt_type = self.virt_type;
        if let Some(n) = &self.network {
            plan.network = n.clone();
        }
        if let Some(d) = &self.display {
            plan.display = d.clone();
        }
        plan.consoles.clone_from(&self.consoles);
        // A headless guest gets its serial console, as virt-install does.
        if plan.display == DisplayChoice::None && plan.consoles.is_empty() {
            plan.consoles.push(TextConsoleChoice::SerialConsole);
        }
        plan.cpuset.clone_from(&self.cpuset);
        plan.storage = match (&self.source, &self.disk) {
            (SourceArg::Import, _) | (_, DiskArg::None) => StorageChoice::None,
            (_, DiskArg::Path(p)) => StorageChoice::Existing {
                path: p.clone(),
                format: super::probe_format(p).into(),
            },
            (_, DiskArg::NewAt { path, size_gib }) => StorageChoice::NewAt {
                path: path.clone(),
                size_bytes: (size_gib * GIB as f64).round() as u64,
            },
            (_, DiskArg::New { size_gib, pool }) => StorageChoice::New {
                pool: pool
                    .clone()
                    .or_else(|| host.default_pool().map(|p| p.name.clone()))
                    .unwrap_or_else(|| "default".into()),
                size_bytes: (size_gib * GIB as f64).round() as u64,
            },
        };
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn the_seed_guides_lines_parse() {
        let a = parse(&line(
            "--name demo --memory=512,maxmemory=1024 --vcpus=1,maxvcpus=2 --disk size=8 \
             --cdrom /isos/debian.iso --os-variant debian12 --network network=default --virt-type qemu",
        ))
        .unwrap();
        assert_eq!((a.memory_mib, a.max_memory_mib), (512, Some(1024)));
        assert_eq!((a.vcpus, a.max_vcpus), (1, Some(2)));
        assert_eq!(
            a.disk,
            DiskArg::New {
                size_gib: 8.0,
                pool: None
            }
        );
        assert_eq!(a.source, SourceArg::Cdrom("/isos/debian.iso".into()));
        assert_eq!(a.network, Some(NetworkChoice::Virtual("default".into())));
        assert_eq!(a.virt_type, VirtType::Qemu);
        assert!(!a.print_xml);

        let b = parse(&line(
            "--name b --memory 2048 --maxmemory 4096 --vcpus 2 --maxvcpus 4 --disk path=/img/b.qcow2 \
             --import --network bridge=br0 --print-xml",
        ))
        .unwrap();
        assert_eq!((b.max_memory_mib, b.max_vcpus), (Some(4096), Some(4)));
        assert_eq!(b.disk, DiskArg::Path("/img/b.qcow2".into()));
        assert!(b.print_xml && b.source == SourceArg::Import);

        let c = parse(&line(
            "--name c --memory 1024 --vcpus 1 --disk none --location http://deb.debian.org/x \
             --extra-args console=ttyS0 --network type=direct,source=eth0",
        ))
        .unwrap();
        assert_eq!(c.network, Some(NetworkChoice::Macvtap("eth0".into())));
        assert_eq!(c.extra_args, "console=ttyS0");
        assert_eq!(
            parse(&line(
                "--name d --memory 1 --vcpus 1 --disk size=1,pool=fast --cdrom /x --network none"
            ))
            .unwrap()
            .disk,
            DiskArg::New {
                size_gib: 1.0,
                pool: Some("fast".into())
            }
        );
    }

    #[test]
    fn bad_lines_say_which_option_is_wrong() {
        let base = "--name x --memory 512 --vcpus 1 --disk size=1 --cdrom /x";
        let err = |extra: &str| parse(&line(&format!("{base} {extra}"))).unwrap_err();
        assert_eq!(
            err("--import"),
            CliError::ConflictingOptions("--cdrom".into(), "--import".into())
        );
        assert_eq!(
            err("--network wifi=1"),
            CliError::InvalidValue("--network".into(), "wifi=1".into())
        );
        assert_eq!(
            err("--virt-type xen"),
            CliError::InvalidValue("--virt-type".into(), "xen".into())
        );
        assert_eq!(
            err("--memory lots"),
            CliError::InvalidValue("--memory".into(), "lots".into())
        );
        assert_eq!(err("--bogus"), CliError::UnknownOption("--bogus".into()));
        assert_eq!(
            parse(&line("--name x --memory 512 --vcpus 1 --cdrom /x")).unwrap_err(),
            CliError::MissingOption("--disk".into())
        );
        assert_eq!(
            parse(&line("--name x --memory 512 --vcpus 1 --disk size=1")).unwrap_err(),
            CliError::MissingOption("--cdrom, --location or --import".into())
        );
        assert_eq!(
            parse(&line(
                "--name x --memory 512 --vcpus 1 --disk size=-3 --cdrom /x"
            ))
            .unwrap_err(),
            CliError::InvalidValue("--disk".into(), "size=-3".into())
        );
        assert!(matches!(
            parse(&line(
                "--name x --memory 512 --vcpus 1 --disk size=2 --import"
            ))
            .unwrap_err(),
            CliError::InvalidValue(..)
        ));
    }
}
