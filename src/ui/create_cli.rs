//! `vireo create`: the wizard's command-line twin, without a window. It
//! fills the wizard's [`Plan`](crate::core::wizard::Plan) from the
//! arguments and the host's facts, checks it as the wizard's pages do, then
//! prints the XML (`--print-xml`) or creates the VM as the wizard does.

use crate::core::libvirt::{Connection, CreateJob, CreateStep};
use crate::core::wizard::args::{CreateArgs, SourceArg};
use crate::core::wizard::{OsProfile, Problem, Severity};
use crate::ui::i18n::{gettext_f, problem_text};
use gettextrs::gettext;

/// The progress line of a creation step.
pub fn step_text(step: CreateStep) -> String {
    match step {
        CreateStep::StartingNetwork => gettext("Starting the network…"),
        CreateStep::CreatingVolume => gettext("Creating the disk…"),
        CreateStep::Defining => gettext("Defining the virtual machine…"),
        CreateStep::FetchingKernel => gettext("Fetching the installer…"),
        CreateStep::Starting => gettext("Starting the installation…"),
    }
}

/// The OS: `--os-variant`, else detected from the ISO, else generic.
fn os_for(args: &CreateArgs) -> Result<OsProfile, String> {
    if let Some(id) = &args.os_variant {
        return match crate::osinfo::profile(id)? {
            Some(os) => Ok(os),
            None => Err(gettext_f(
                "Unknown OS variant “{id}” (osinfo-query os lists them).",
                &[("id", id)],
            )),
        };
    }
    if let SourceArg::Cdrom(iso) = &args.source
        && let Ok(Some(os)) = crate::osinfo::detect(iso)
    {
        eprintln!("{}", gettext_f("Detected {os}.", &[("os", &os.name)]));
        return Ok(os);
    }
    Ok(OsProfile::generic())
}

/// Print `message` as the command's error; the exit code 1.
pub fn fail(message: String) -> u8 {
    eprintln!("vireo: {message}");
    1
}

/// Open `connect` (else the default connection) on a runtime of its own and
/// run `work` with it; the process's exit code.
pub fn with_connection<F: std::future::Future<Output = u8>>(
    connect: Option<String>,
    work: impl FnOnce(Connection) -> F,
) -> u8 {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(e.to_string()),
    };
    let uri = connect.unwrap_or_else(|| {
        crate::core::uri::default_uri(crate::core::uri::system_daemon_reachable()).to_owned()
    });
    rt.block_on(async move {
        match Connection::open(&uri).await {
            Ok(conn) => work(conn).await,
            Err(e) => fail(e.to_string()),
        }
    })
}

/// Run `vireo create`; the process's exit code.
pub fn run(args: CreateArgs) -> u8 {
    with_connection(args.connect.clone(), |conn| async move {
        let facts = match conn.wizard_facts().await {
            Ok(f) => f,
            Err(e) => return fail(e.to_string()),
        };
        let os = match os_for(&args) {
            Ok(os) => os,
            Err(e) => return fail(e),
        };
        for warning in &args.warnings {
            eprintln!(
                "{}",
                gettext_f("vireo: warning: {problem}", &[("problem", warning)])
            );
        }
        let plan = args.plan(os, &facts);
        let problems = plan.check_all(&facts);
        for p in problems
            .iter()
            .filter(|p| p.severity() == Severity::Warning)
        {
            eprintln!(
                "{}",
                gettext_f(
                    "vireo: warning: {problem}",
                    &[("problem", &problem_text(p))]
                )
            );
        }
        let errors: Vec<&Problem> = problems.iter().filter(|p| p.is_error()).collect();
        if !errors.is_empty() {
            for p in errors {
                eprintln!("vireo: {}", problem_text(p));
            }
            return 1;
        }
        if args.print_xml {
            print!("{}", plan.domain_xml(&facts));
            return 0;
        }
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let name = plan.name.clone();
        let job = CreateJob {
            plan,
            host: facts,
            start: true,
        };
        let printer = async {
            while let Some(step) = rx.recv().await {
                eprintln!("{}", step_text(step));
            }
        };
        let (result, ()) = tokio::join!(conn.create(job, Some(tx)), printer);
        match result {
            Ok(created) => {
                println!(
                    "{}",
                    gettext_f(
                        "Created “{name}”; its installation is running (vireo --show-domain-console {name}).",
                        &[("name", &name)]
                    )
                );
                let _ = created;
                0
            }
            Err(e) => fail(gettext_f(
                "Creating “{name}” failed; nothing was left behind: {error}",
                &[("name", &name), ("error", &e.to_string())],
            )),
        }
    })
}
