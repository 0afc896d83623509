//! The command line, shaped like virt-manager's.
//!
//! ```text
//! vireo [--connect URI]... [--show-domain-console NAME|UUID]
//!       [--show-domain-editor NAME|UUID] [--show-domain-creator]
//!       [--version] [--help]
//! ```
//!
//! Parsing is pure so that it can be tested without a display; the text of
//! `--help` lives with the UI, where it is translated.

use std::fmt;

/// What the user asked the application to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Print the usage and exit.
    Help,
    /// Print the version and exit.
    Version,
    /// Start the application.
    Run(Options),
    /// `vireo create …`: define (and start) a VM, or print its XML.
    Create(Box<crate::core::wizard::args::CreateArgs>),
    /// `vireo clone …`: clone a VM, or print the clone's XML.
    Clone(Box<crate::core::clone::args::CloneArgs>),
}

/// Options for a normal start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// `--connect URI`, once per host: the connections to open instead of
    /// the saved ones.
    pub connect: Vec<String>,
    /// What to show once connected, besides the main window.
    pub show: Option<Show>,
}

/// The `--show-*` options. At most one may be given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Show {
    /// `--show-domain-console NAME|UUID`
    DomainConsole(String),
    /// `--show-domain-editor NAME|UUID`
    DomainEditor(String),
    /// `--show-domain-creator`
    DomainCreator,
}

/// A command line that cannot be understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliError {
    /// An option this program does not know.
    UnknownOption(String),
    /// An option that needs a value was given none.
    MissingValue(String),
    /// A flag was given a value (`--version=3`).
    UnexpectedValue(String),
    /// A positional argument; Vireo takes none.
    UnexpectedArgument(String),
    /// Two `--show-*` options, or one twice.
    ConflictingShow(String, String),
    /// `--connect` given twice.
    RepeatedOption(String),
    /// An empty value, as in `--connect ""`.
    EmptyValue(String),
    /// A value the option cannot take (`--virt-type xen`).
    InvalidValue(String, String),
    /// A required option is missing (`vireo create` without `--name`).
    MissingOption(String),
    /// Two options that exclude each other (`--cdrom` and `--import`).
    ConflictingOptions(String, String),
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::UnknownOption(o) => write!(f, "unknown option '{o}'"),
            CliError::MissingValue(o) => write!(f, "option '{o}' needs a value"),
            CliError::UnexpectedValue(o) => write!(f, "option '{o}' takes no value"),
            CliError::UnexpectedArgument(a) => write!(f, "unexpected argument '{a}'"),
            CliError::ConflictingShow(a, b) => {
                write!(f, "options '{a}' and '{b}' cannot be used together")
            }
            CliError::RepeatedOption(o) => write!(f, "option '{o}' given more than once"),
            CliError::EmptyValue(o) => write!(f, "option '{o}' needs a non-empty value"),
            CliError::InvalidValue(o, v) => write!(f, "option '{o}' cannot take '{v}'"),
            CliError::MissingOption(o) => write!(f, "missing option {o}"),
            CliError::ConflictingOptions(a, b) => {
                write!(f, "options '{a}' and '{b}' cannot be used together")
            }
        }
    }
}

impl std::error::Error for CliError {}

/// The value of option `opt`: what followed its `=` (`inline`), else the
/// next argument; never empty.
pub(crate) fn option_value<'a>(
    opt: &str,
    inline: Option<&str>,
    rest: &mut impl Iterator<Item = &'a String>,
) -> Result<String, CliError> {
    let v = match inline {
        Some(v) => v.to_owned(),
        None => rest
            .next()
            .cloned()
            .ok_or_else(|| CliError::MissingValue(opt.to_owned()))?,
    };
    if v.is_empty() {
        return Err(CliError::EmptyValue(opt.to_owned()));
    }
    Ok(v)
}

impl Show {
    fn option_name(&self) -> &'static str {
        match self {
            Show::DomainConsole(_) => "--show-domain-console",
            Show::DomainEditor(_) => "--show-domain-editor",
            Show::DomainCreator => "--show-domain-creator",
        }
    }
}

/// Parse the arguments that follow the program name.
///
/// `--help` and `--version` win over everything else, as in most GNU tools,
/// but only once the whole line has been read without error.
pub fn parse<I, S>(args: I) -> Result<Command, CliError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let all: Vec<String> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    if all.first().map(String::as_str) == Some("create") {
        if all.iter().skip(1).any(|a| a == "--help" || a == "-h") {
            return Ok(Command::Help);
        }
        return crate::core::wizard::args::parse(&all[1..]).map(|a| Command::Create(Box::new(a)));
    }
    if all.first().map(String::as_str) == Some("clone") {
        if all.iter().skip(1).any(|a| a == "--help" || a == "-h") {
            return Ok(Command::Help);
        }
        return crate::core::clone::args::parse(&all[1..]).map(|a| Command::Clone(Box::new(a)));
    }
    let mut options = Options::default();
    let mut help = false;
    let mut version = false;
    let mut args = all.into_iter();

    while let Some(arg) = args.next() {
        if !arg.starts_with('-') || arg == "-" {
            return Err(CliError::UnexpectedArgument(arg));
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, CliError> {
            let v = match inline.clone() {
                Some(v) => v,
                None => args
                    .next()
                    .ok_or_else(|| CliError::MissingValue(name.to_owned()))?,
            };
            if v.is_empty() {
                return Err(CliError::EmptyValue(name.to_owned()));
            }
            Ok(v)
        };
        let flag = |name: &str| -> Result<(), CliError> {
            match inline {
                Some(_) => Err(CliError::UnexpectedValue(name.to_owned())),
                None => Ok(()),
            }
        };
        let mut set_show = |show: Show| -> Result<(), CliError> {
            if let Some(old) = &options.show {
                return Err(CliError::ConflictingShow(
                    old.option_name().to_owned(),
                    show.option_name().to_owned(),
                ));
            }
            options.show = Some(show);
            Ok(())
        };
        match name.as_str() {
            "-h" | "--help" => {
                flag(&name)?;
                help = true;
            }
            "--version" => {
                flag(&name)?;
                version = true;
            }
            "-c" | "--connect" => {
                let uri = value("--connect")?;
                if !options.connect.contains(&uri) {
                    options.connect.push(uri);
                }
            }
            "--show-domain-console" => set_show(Show::DomainConsole(value(&name)?))?,
            "--show-domain-editor" => set_show(Show::DomainEditor(value(&name)?))?,
            "--show-domain-creator" => {
                flag(&name)?;
                set_show(Show::DomainCreator)?
            }
            _ => return Err(CliError::UnknownOption(name)),
        }
    }

    Ok(if help {
        Command::Help
    } else if version {
        Command::Version
    } else {
        Command::Run(options)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Options {
        match parse(args) {
            Ok(Command::Run(o)) => o,
            other => panic!("expected Run, got {other:?}"),
        }
    }

    #[test]
    fn no_arguments_starts_on_the_default_connection() {
        assert_eq!(run(&[]), Options::default());
    }

    #[test]
    fn connect_takes_a_separate_or_inline_value() {
        assert_eq!(
            run(&["--connect", "qemu:///system"])
                .connect
                .first()
                .map(String::as_str),
            Some("qemu:///system")
        );
        assert_eq!(
            run(&["--connect=test:///default"])
                .connect
                .first()
                .map(String::as_str),
            Some("test:///default")
        );
        assert_eq!(
            run(&["-c", "qemu+ssh://root@host/system"])
                .connect
                .first()
                .map(String::as_str),
            Some("qemu+ssh://root@host/system")
        );
    }

    #[test]
    fn inline_value_keeps_later_equals_signs() {
        let o = run(&["--connect=qemu+unix:///session?socket=/tmp/a=b/sock"]);
        assert_eq!(
            o.connect.first().map(String::as_str),
            Some("qemu+unix:///session?socket=/tmp/a=b/sock")
        );
    }

    #[test]
    fn show_options_name_a_domain() {
        let o = run(&[
            "--connect",
            "test:///default",
            "--show-domain-console",
            "web",
        ]);
        assert_eq!(o.show, Some(Show::DomainConsole("web".into())));
        let o = run(&["--show-domain-editor=6695eb01-f6a4-8304-79aa-97f2502e193f"]);
        assert_eq!(
            o.show,
            Some(Show::DomainEditor(
                "6695eb01-f6a4-8304-79aa-97f2502e193f".into()
            ))
        );
        assert_eq!(
            run(&["--show-domain-creator"]).show,
            Some(Show::DomainCreator)
        );
    }

    #[test]
    fn help_and_version_win_once_the_line_is_valid() {
        assert_eq!(parse(["--connect", "x", "--help"]), Ok(Command::Help));
        assert_eq!(parse(["-h"]), Ok(Command::Help));
        assert_eq!(parse(["--version"]), Ok(Command::Version));
        assert_eq!(
            parse(["--help", "--bogus"]),
            Err(CliError::UnknownOption("--bogus".into()))
        );
    }

    #[test]
    fn bad_lines_are_refused_with_the_reason() {
        assert_eq!(
            parse(["--connect"]),
            Err(CliError::MissingValue("--connect".into()))
        );
        assert_eq!(
            parse(["--connect="]),
            Err(CliError::EmptyValue("--connect".into()))
        );
        assert_eq!(
            parse(["--version=2"]),
            Err(CliError::UnexpectedValue("--version".into()))
        );
        assert_eq!(
            parse(["somevm"]),
            Err(CliError::UnexpectedArgument("somevm".into()))
        );
        assert_eq!(
            parse(["-c", "a", "-c", "b", "-c", "a"]).map(|c| match c {
                Command::Run(o) => o.connect,
                _ => vec![],
            }),
            Ok(vec!["a".to_owned(), "b".to_owned()]),
            "one connection per host, each once"
        );
        assert_eq!(
            parse(["--show-domain-creator", "--show-domain-console", "x"]),
            Err(CliError::ConflictingShow(
                "--show-domain-creator".into(),
                "--show-domain-console".into()
            ))
        );
        assert_eq!(
            parse(["--show-domain-console"]),
            Err(CliError::MissingValue("--show-domain-console".into()))
        );
    }

    #[test]
    fn errors_read_as_sentences() {
        assert_eq!(
            CliError::UnknownOption("--x".into()).to_string(),
            "unknown option '--x'"
        );
    }
}
