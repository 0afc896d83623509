//! `vireo clone`: the clone dialog's command-line twin (virt-clone's
//! options). It makes the dialog's default plan, applies the line to it,
//! checks it as the dialog does, then prints the XML (`--print-xml`) or
//! makes the clone with the same core operation.

use crate::core::clone::args::{ArgsProblem, CloneArgs};
use crate::core::libvirt::CloneJob;
use crate::ui::create_cli::{fail, with_connection};
use crate::ui::dialogs::clone::{problem_text, step_text};
use crate::ui::i18n::gettext_f;

/// Run `vireo clone`; the process's exit code.
pub fn run(args: CloneArgs) -> u8 {
    with_connection(args.connect.clone(), |conn| async move {
        let original = match conn.lookup_domain(&args.original).await {
            Ok(d) => d,
            Err(e) => return fail(e.to_string()),
        };
        let source = match conn.clone_source(&original.uuid).await {
            Ok(s) => s,
            Err(e) => return fail(e.to_string()),
        };
        let mut plan = match source.plan() {
            Ok(p) => p,
            Err(p) => return fail(problem_text(&p)),
        };
        if let Err(problem) = args.apply(&mut plan, &|p| source.path_taken(p)) {
            return fail(match problem {
                ArgsProblem::Plan(p) => problem_text(&p),
                ArgsProblem::NeedsFile(target) => gettext_f(
                    "Disk {target} needs a --file PATH for its copy (or use --auto-clone).",
                    &[("target", &target)],
                ),
            });
        }
        let problems = source.problems(&plan);
        if !problems.is_empty() {
            for p in &problems {
                eprintln!("vireo: {}", problem_text(p));
            }
            return 1;
        }
        if args.print_xml {
            let uuid = crate::core::clone::random_uuid();
            return match plan.domain_xml(&uuid, &plan.new_macs()) {
                Ok(xml) => {
                    print!("{xml}");
                    0
                }
                Err(p) => fail(problem_text(&p)),
            };
        }
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let name = plan.name.clone();
        let job = CloneJob {
            plan,
            progress: Some(tx),
            cancel: Default::default(),
        };
        let printer = async {
            let mut last = String::new();
            while let Some(step) = rx.recv().await {
                let line = step_text(&step);
                // Progress lines only when the percentage moves.
                if line != last {
                    eprintln!("{line}");
                    last = line;
                }
            }
        };
        let (result, ()) = tokio::join!(conn.clone_vm(&original.uuid, job), printer);
        match result {
            Ok(_) => {
                println!(
                    "{}",
                    gettext_f("Clone “{name}” created successfully.", &[("name", &name)])
                );
                0
            }
            Err(e) => fail(gettext_f(
                "Cloning into “{name}” failed; nothing was left behind: {error}",
                &[("name", &name), ("error", &e.to_string())],
            )),
        }
    })
}
