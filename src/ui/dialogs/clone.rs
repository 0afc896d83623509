//! "Clone “VM”": the clone's name, what happens to each disk (Copy, Linked
//! clone, Share), what the clone gets anew, then the clone made as one core
//! operation with a progress bar and Cancel (everything made is removed).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use gettextrs::gettext;
use relm4::adw::{self, prelude::*};
use relm4::gtk;
use relm4::{Component, ComponentParts, ComponentSender};

use crate::core::clone::{ClonePlan, CloneProblem, DiskAction};
use crate::core::libvirt::{
    CloneJob, CloneSource, CloneStep, Connection, DomainSummary, Error, ErrorKind,
};
use crate::ui::a11y::AccessibleLabelExt;
use crate::ui::i18n::gettext_f;

/// The sentence for a clone problem.
pub fn problem_text(p: &CloneProblem) -> String {
    match p {
        CloneProblem::Running => gettext(
            "The virtual machine is running: shut it down or pause it first, so that its disks hold still while they are copied.",
        ),
        CloneProblem::EmptyName => gettext("The clone needs a name."),
        CloneProblem::NameWithSlash => gettext("A virtual machine’s name cannot contain “/”."),
        CloneProblem::NameTaken(n) => gettext_f(
            "There is already a virtual machine named “{name}”.",
            &[("name", n)],
        ),
        CloneProblem::PathTaken { target, path } => gettext_f(
            "Disk {target}: “{path}” is already in use.",
            &[("target", target), ("path", path)],
        ),
        CloneProblem::NothingToCopy(t) => gettext_f(
            "Disk {target} has no image to copy: share it instead.",
            &[("target", t)],
        ),
        CloneProblem::RelativePath { target, path } => gettext_f(
            "Disk {target}: “{path}” is not an absolute path.",
            &[("target", target), ("path", path)],
        ),
        CloneProblem::TooManyPaths => {
            gettext("More --file paths were given than the virtual machine has disks to copy.")
        }
        CloneProblem::BadMac(m) => gettext_f(
            "“{mac}” is not a MAC address (six pairs of hexadecimal digits).",
            &[("mac", m)],
        ),
        CloneProblem::NoSpace {
            dir,
            needed,
            available,
        } => gettext_f(
            "The copies need {needed} in {dir}, which has {available} free: make linked clones instead, or free space there.",
            &[
                ("needed", &gtk::glib::format_size(*needed)),
                ("dir", dir),
                ("available", &gtk::glib::format_size(*available)),
            ],
        ),
        CloneProblem::BadXml(e) => gettext_f(
            "The virtual machine’s XML cannot be read: {error}",
            &[("error", e)],
        ),
    }
}

/// The progress line of a clone step.
pub fn step_text(step: &CloneStep) -> String {
    match step {
        CloneStep::Copying {
            target,
            done,
            total,
        } => gettext_f(
            "Copying disk {target}… {percent}%",
            &[
                ("target", target),
                (
                    "percent",
                    &(done.saturating_mul(100) / (*total).max(1))
                        .min(100)
                        .to_string(),
                ),
            ],
        ),
        CloneStep::Linking { target } => gettext_f(
            "Making a linked clone of disk {target}…",
            &[("target", target)],
        ),
        CloneStep::CopyingNvram => gettext("Copying the UEFI variables…"),
        CloneStep::Defining => gettext("Defining the clone…"),
        CloneStep::Cancelling => gettext("Cancelling: removing what was made…"),
    }
}

const ACTIONS: [DiskAction; 3] = [DiskAction::Copy, DiskAction::Linked, DiskAction::Share];

pub struct CloneInit {
    pub conn: Connection,
    pub uuid: String,
    pub name: String,
    pub parent: Option<gtk::Window>,
}

#[derive(Debug)]
pub enum CloneInput {
    Name(String),
    Action(usize, u32),
    Clone,
    Cancel,
}

#[derive(Debug)]
pub enum CloneCmd {
    Source(Result<CloneSource, Error>),
    Step(CloneStep),
    Done(Result<DomainSummary, Error>),
}

#[derive(Debug)]
pub enum CloneOutput {
    /// The clone exists: its name.
    Cloned(String),
}

pub struct CloneDialog {
    conn: Connection,
    uuid: String,
    source: Option<CloneSource>,
    plan: Option<ClonePlan>,
    running: Option<Arc<AtomicBool>>,
    name: adw::EntryRow,
    disks: adw::PreferencesGroup,
    disk_rows: Vec<adw::ComboRow>,
    identity: adw::PreferencesGroup,
    status: gtk::Label,
    progress: gtk::ProgressBar,
    clone: gtk::Button,
    cancel: gtk::Button,
}

impl CloneDialog {
    /// Show the plan: disk subtitles, problems, and whether Clone can go.
    fn refresh(&self) {
        let (Some(plan), Some(source)) = (&self.plan, &self.source) else {
            return;
        };
        for (row, disk) in self.disk_rows.iter().zip(&plan.disks) {
            let subtitle = match (disk.action, &disk.new_path, &disk.source) {
                (DiskAction::Share, _, Some(src)) => {
                    gettext_f("{path}, used by both", &[("path", src)])
                }
                (DiskAction::Share, _, None) => gettext("Empty drive"),
                (DiskAction::Copy, Some(p), _) => {
                    gettext_f("A full copy at {path}", &[("path", p)])
                }
                (DiskAction::Linked, Some(p), Some(src)) => gettext_f(
                    "{path}, backed by {original}",
                    &[("path", p), ("original", src)],
                ),
                _ => String::new(),
            };
            row.set_subtitle(&subtitle);
        }
        let problems = source.problems(plan);
        let text: Vec<String> = problems.iter().map(problem_text).collect();
        self.status.set_label(&text.join("\n"));
        self.status.set_visible(!text.is_empty());
        self.status.add_css_class("error");
        self.clone
            .set_sensitive(problems.is_empty() && self.running.is_none());
    }

    fn show_source(&mut self, source: CloneSource, sender: &ComponentSender<Self>) {
        let plan = match source.plan() {
            Ok(p) => p,
            Err(p) => {
                self.status.set_label(&problem_text(&p));
                self.status.set_visible(true);
                return;
            }
        };
        self.name.set_text(&plan.name);
        let labels = [gettext("Copy"), gettext("Linked clone"), gettext("Share")];
        let model = gtk::StringList::new(&labels.iter().map(String::as_str).collect::<Vec<_>>());
        for (i, disk) in plan.disks.iter().enumerate() {
            let row = adw::ComboRow::builder()
                .title(gettext_f("Disk {target}", &[("target", &disk.target)]))
                .model(&model)
                .selected(ACTIONS.iter().position(|a| *a == disk.action).unwrap_or(0) as u32)
                .sensitive(disk.has_image())
                .build();
            row.set_accessible_label(&gettext_f("Disk {target}", &[("target", &disk.target)]));
            let input = sender.input_sender().clone();
            row.connect_selected_notify(move |r| input.emit(CloneInput::Action(i, r.selected())));
            self.disks.add(&row);
            self.disk_rows.push(row);
        }
        self.disks.set_visible(!plan.disks.is_empty());
        let mut anew = vec![gettext("A new UUID"), gettext("New MAC addresses")];
        anew.push(gettext("Display ports chosen when it starts"));
        if let Some((_, nvram)) = &plan.nvram {
            anew.push(gettext_f(
                "Its own UEFI variables at {path}",
                &[("path", nvram)],
            ));
        }
        for line in anew {
            self.identity
                .add(&adw::ActionRow::builder().title(line).build());
        }
        self.source = Some(source);
        self.plan = Some(plan);
        self.refresh();
    }
}

impl Component for CloneDialog {
    type Init = CloneInit;
    type Input = CloneInput;
    type Output = CloneOutput;
    type CommandOutput = CloneCmd;
    type Root = adw::Window;
    type Widgets = ();

    fn init_root() -> adw::Window {
        adw::Window::builder()
            .modal(true)
            .default_width(560)
            .default_height(560)
            .build()
    }

    fn init(
        init: CloneInit,
        root: adw::Window,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let title = gettext_f("Clone “{name}”", &[("name", &init.name)]);
        root.set_title(Some(&title));
        root.set_transient_for(init.parent.as_ref());
        let frame = {
            let (cancel, go) = (sender.input_sender().clone(), sender.input_sender().clone());
            crate::ui::dialog::job_frame(
                &root,
                &gettext("Clone"),
                &gettext("Clone progress"),
                move || cancel.emit(CloneInput::Cancel),
                move || go.emit(CloneInput::Clone),
            )
        };
        let page = &frame.page;
        let naming = adw::PreferencesGroup::new();
        let name = adw::EntryRow::builder().title(gettext("Name")).build();
        naming.add(&name);
        page.add(&naming);
        let disks = adw::PreferencesGroup::builder()
            .title(gettext("Storage"))
            .description(gettext(
                "Copy makes an independent image. A linked clone is made in seconds and takes no space: it keeps only what the clone changes, on top of the original image, which must stay. Shared images are used by both machines.",
            ))
            .build();
        disks.set_visible(false);
        page.add(&disks);
        let identity = adw::PreferencesGroup::builder()
            .title(gettext("The Clone Gets"))
            .build();
        page.add(&identity);
        {
            let input = sender.input_sender().clone();
            name.connect_changed(move |e| input.emit(CloneInput::Name(e.text().to_string())));
        }
        let (conn, uuid) = (init.conn.clone(), init.uuid.clone());
        sender.oneshot_command(async move { CloneCmd::Source(conn.clone_source(&uuid).await) });
        root.present();
        ComponentParts {
            model: CloneDialog {
                conn: init.conn,
                uuid: init.uuid,
                source: None,
                plan: None,
                running: None,
                name,
                disks,
                disk_rows: Vec::new(),
                identity,
                status: frame.status,
                progress: frame.progress,
                clone: frame.action,
                cancel: frame.cancel,
            },
            widgets: (),
        }
    }

    fn update(&mut self, msg: CloneInput, sender: ComponentSender<Self>, root: &adw::Window) {
        match msg {
            CloneInput::Name(name) => {
                if let Some(source) = self.source.clone()
                    && let Some(plan) = &mut self.plan
                    && plan.name != name
                {
                    plan.set_name(&name, &|p| source.path_taken(p));
                }
                self.refresh();
            }
            CloneInput::Action(i, selected) => {
                let action = ACTIONS[(selected as usize).min(ACTIONS.len() - 1)];
                if let Some(source) = self.source.clone()
                    && let Some(plan) = &mut self.plan
                {
                    plan.set_action(i, action, &|p| source.path_taken(p));
                }
                self.refresh();
            }
            CloneInput::Cancel => match &self.running {
                Some(flag) => {
                    flag.store(true, Ordering::Relaxed);
                    self.cancel.set_sensitive(false);
                    self.status.remove_css_class("error");
                    self.status.set_label(&step_text(&CloneStep::Cancelling));
                }
                None => root.destroy(),
            },
            CloneInput::Clone => {
                let Some(plan) = self.plan.clone() else {
                    return;
                };
                let cancel = Arc::new(AtomicBool::new(false));
                self.running = Some(cancel.clone());
                self.clone.set_sensitive(false);
                self.name.set_sensitive(false);
                self.disks.set_sensitive(false);
                self.progress.set_visible(true);
                self.progress.set_fraction(0.0);
                self.status.remove_css_class("error");
                self.status.set_visible(true);
                let (conn, uuid) = (self.conn.clone(), self.uuid.clone());
                sender.command(move |out, shutdown| {
                    shutdown
                        .register(async move {
                            let (tx, steps) =
                                crate::ui::msg::forward_progress(&out, CloneCmd::Step);
                            let job = CloneJob {
                                plan,
                                progress: Some(tx),
                                cancel,
                            };
                            let (result, ()) = tokio::join!(conn.clone_vm(&uuid, job), steps);
                            let _ = out.send(CloneCmd::Done(result));
                        })
                        .drop_on_shutdown()
                });
            }
        }
    }

    fn update_cmd(&mut self, msg: CloneCmd, sender: ComponentSender<Self>, root: &adw::Window) {
        match msg {
            CloneCmd::Source(Ok(source)) => self.show_source(source, &sender),
            CloneCmd::Source(Err(e)) => {
                self.status.add_css_class("error");
                self.status.set_label(&e.to_string());
            }
            CloneCmd::Step(step) => {
                self.status.set_label(&step_text(&step));
                match step {
                    CloneStep::Copying { done, total, .. } => {
                        self.progress
                            .set_fraction((done as f64 / total.max(1) as f64).min(1.0));
                    }
                    _ => self.progress.pulse(),
                }
            }
            CloneCmd::Done(Ok(summary)) => {
                self.running = None;
                let _ = sender.output(CloneOutput::Cloned(summary.name));
                root.destroy();
            }
            CloneCmd::Done(Err(e)) => {
                let cancelled = e.kind == ErrorKind::Cancelled;
                self.running = None;
                self.progress.set_visible(false);
                self.cancel.set_sensitive(true);
                self.name.set_sensitive(true);
                self.disks.set_sensitive(true);
                self.refresh();
                self.status.set_visible(true);
                if cancelled {
                    self.status.remove_css_class("error");
                    self.status
                        .set_label(&gettext("Cancelled: nothing was kept."));
                } else {
                    self.status.add_css_class("error");
                    self.status.set_label(&gettext_f(
                        "The clone could not be made; nothing was kept: {error}",
                        &[("error", &e.to_string())],
                    ));
                }
            }
        }
    }
}
