//! `vireo clone`: the clone dialog's command-line twin, with virt-clone's
//! option names so that the guides' lines carry over:
//!
//! ```text
//! vireo clone --original|-o NAME|UUID (--auto-clone | --name|-n NEW --file|-f PATH...)
//!             [--name|-n NEW] [--file|-f PATH]... [--mac|-m MAC|RANDOM]...
//!             [--linked] [--print-xml] [--connect|-c URI]
//! ```
//!
//! `--file` paths go to the disks that are copied, in order; `--mac` to the
//! network interfaces, in order (`RANDOM`, or none given: a new one);
//! `--linked` makes every copied disk a linked clone instead.

use super::{ClonePlan, CloneProblem, DiskAction};
use crate::core::cli::CliError;

/// A parsed `vireo clone` line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CloneArgs {
    pub connect: Option<String>,
    pub original: String,
    pub name: Option<String>,
    pub auto_clone: bool,
    pub files: Vec<String>,
    /// `None`: `RANDOM`.
    pub macs: Vec<Option<String>>,
    pub linked: bool,
    pub print_xml: bool,
}

/// Parse the arguments after `clone`.
pub fn parse(args: &[String]) -> Result<CloneArgs, CliError> {
    let mut out = CloneArgs::default();
    let mut original = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (opt, inline) = match arg.split_once('=') {
            Some((o, v)) if o.starts_with("--") => (o.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        if !opt.starts_with('-') {
            return Err(CliError::UnexpectedArgument(arg.clone()));
        }
        let mut value = || crate::core::cli::option_value(&opt, inline.as_deref(), &mut it);
        let flag = |set: &mut bool| -> Result<(), CliError> {
            if inline.is_some() {
                return Err(CliError::UnexpectedValue(opt.clone()));
            }
            *set = true;
            Ok(())
        };
        match opt.as_str() {
            "-o" | "--original" => {
                if original.is_some() {
                    return Err(CliError::RepeatedOption("--original".into()));
                }
                original = Some(value()?);
            }
            "-n" | "--name" => {
                if out.name.is_some() {
                    return Err(CliError::RepeatedOption("--name".into()));
                }
                out.name = Some(value()?);
            }
            "-f" | "--file" => out.files.push(value()?),
            "-m" | "--mac" => {
                let v = value()?;
                out.macs.push(if v.eq_ignore_ascii_case("RANDOM") {
                    None
                } else {
                    Some(v)
                });
            }
            "-c" | "--connect" => out.connect = Some(value()?),
            "--auto-clone" => flag(&mut out.auto_clone)?,
            "--linked" => flag(&mut out.linked)?,
            "--print-xml" => flag(&mut out.print_xml)?,
            _ => return Err(CliError::UnknownOption(opt)),
        }
    }
    out.original = original.ok_or_else(|| CliError::MissingOption("--original".into()))?;
    if !out.auto_clone && out.name.is_none() {
        return Err(CliError::MissingOption("--name (or --auto-clone)".into()));
    }
    Ok(out)
}

/// What the arguments cannot do to this VM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgsProblem {
    Plan(CloneProblem),
    /// Without `--auto-clone`, each copied disk needs a `--file`.
    NeedsFile(String),
}

impl CloneArgs {
    /// Apply the line to the default plan.
    pub fn apply(
        &self,
        plan: &mut ClonePlan,
        path_taken: &dyn Fn(&str) -> bool,
    ) -> Result<(), ArgsProblem> {
        if let Some(name) = &self.name {
            plan.set_name(name, path_taken);
        }
        if self.linked {
            for i in 0..plan.disks.len() {
                if plan.disks[i].action == DiskAction::Copy {
                    plan.set_action(i, DiskAction::Linked, path_taken);
                }
            }
        }
        let copied: Vec<usize> = (0..plan.disks.len())
            .filter(|&i| plan.disks[i].action != DiskAction::Share)
            .collect();
        if self.files.len() > copied.len() {
            return Err(ArgsProblem::Plan(CloneProblem::TooManyPaths));
        }
        for (k, &i) in copied.iter().enumerate() {
            match self.files.get(k) {
                Some(path) => plan.set_path(i, path),
                None if !self.auto_clone => {
                    return Err(ArgsProblem::NeedsFile(plan.disks[i].target.clone()));
                }
                None => {}
            }
        }
        for (i, mac) in self.macs.iter().enumerate() {
            if let Some(slot) = plan.macs.get_mut(i) {
                *slot = mac.clone();
            }
        }
        Ok(())
    }
}
