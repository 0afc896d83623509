//! The Snapshots page of a VM window: the VM's snapshots as a tree by
//! parent (newest sibling last), each with its name, description, time, the
//! state it holds, the current one marked, and a thumbnail of the screen
//! when it was taken; Take Snapshot, Revert, Delete and Edit Description.
//! Taking and reverting run as commands (the core does them on a worker
//! thread); the page shows what runs and never blocks the window.

use std::path::PathBuf;

use gettextrs::gettext;
use relm4::adw::{self, prelude::*};
use relm4::gtk::{self, glib};
use relm4::{Component, ComponentParts, ComponentSender};

use crate::core::libvirt::{Connection, Error, ErrorKind, Reverted, SnapshotsView};
use crate::core::snapshot::{
    self, AfterRevert, Blocker, DeleteRefusal, Mode, NameProblem, Snapshot, SnapshotState, TakeSpec,
};
use crate::ui::a11y::AccessibleLabelExt;
use crate::ui::dialog::{self, Confirm, Texts};
use crate::ui::i18n::gettext_f;

pub struct SnapshotsPageInit {
    pub conn: Connection,
    pub uuid: String,
}

#[derive(Debug)]
pub enum SnapshotsInput {
    /// Read the snapshots again.
    Load,
    /// The VM's state changed (what can be taken changes with it).
    VmChanged,
    AskTake,
    Take(TakeSpec),
    AskRevert(String),
    Revert {
        name: String,
        after: AfterRevert,
        force: bool,
    },
    AskDelete(String),
    Delete {
        name: String,
        children: bool,
    },
    AskDescribe(String),
    Describe {
        name: String,
        description: String,
    },
}

#[derive(Debug)]
pub enum SnapshotsCmd {
    Loaded(Result<SnapshotsView, Error>),
    Taken(String, Result<Snapshot, Error>),
    Reverted {
        name: String,
        after: AfterRevert,
        result: Result<Reverted, Error>,
    },
    Done(Result<String, Error>),
}

#[derive(Debug)]
pub enum SnapshotsOutput {
    /// A revert changed the VM's state: read it again.
    StateChanged,
}

pub struct SnapshotsPage {
    conn: Connection,
    uuid: String,
    view: Option<SnapshotsView>,
    /// What runs now ("Taking snapshot “x”…").
    busy: Option<String>,
    list: gtk::ListBox,
    stack: gtk::Stack,
    status: gtk::Label,
    spinner: gtk::Spinner,
    take: gtk::Button,
}

/// Where thumbnails are cached.
fn thumbnail_root() -> PathBuf {
    glib::user_cache_dir().join("vireo").join("snapshots")
}

fn thumbnail_of(uuid: &str, name: &str) -> Option<PathBuf> {
    let base = crate::core::libvirt::snapshots::thumbnail_path(&thumbnail_root(), uuid, name);
    ["png", "ppm"]
        .iter()
        .map(|ext| base.with_extension(ext))
        .find(|p| p.exists())
}

fn state_text(state: &SnapshotState) -> String {
    match state {
        SnapshotState::Running => gettext("Running, with its memory"),
        SnapshotState::Paused => gettext("Paused, with its memory"),
        SnapshotState::ShutOff => gettext("Shut off"),
        SnapshotState::DiskOnly => gettext("Disks only"),
        SnapshotState::Other(s) => s.clone(),
    }
}

fn when(created: i64) -> String {
    glib::DateTime::from_unix_local(created)
        .and_then(|t| t.format("%x %X"))
        .map(|s| s.to_string())
        .unwrap_or_default()
}

impl SnapshotsPage {
    fn load(&self, sender: &ComponentSender<Self>) {
        let (conn, uuid) = (self.conn.clone(), self.uuid.clone());
        sender.oneshot_command(async move { SnapshotsCmd::Loaded(conn.snapshots(&uuid).await) });
    }

    fn set_busy(&mut self, busy: Option<String>) {
        self.spinner.set_spinning(busy.is_some());
        self.spinner.set_visible(busy.is_some());
        if let Some(text) = &busy {
            self.say(text, false);
        }
        self.busy = busy;
        self.list.set_sensitive(self.busy.is_none());
        self.take
            .set_sensitive(self.busy.is_none() && self.view.is_some());
    }

    fn say(&self, text: &str, error: bool) {
        self.status.set_label(text);
        self.status.set_visible(!text.is_empty());
        if error {
            self.status.add_css_class("error");
        } else {
            self.status.remove_css_class("error");
        }
    }

    fn snapshot(&self, name: &str) -> Option<&Snapshot> {
        self.view
            .as_ref()?
            .snapshots
            .iter()
            .find(|s| s.name == name)
    }

    fn show(&self, sender: &ComponentSender<Self>) {
        while let Some(row) = self.list.row_at_index(0) {
            self.list.remove(&row);
        }
        let Some(view) = &self.view else { return };
        self.stack
            .set_visible_child_name(if view.snapshots.is_empty() {
                "empty"
            } else {
                "list"
            });
        for r in snapshot::tree(&view.snapshots) {
            let s = &view.snapshots[r.index];
            self.list.append(&self.row(s, r.depth, sender));
        }
    }

    fn row(&self, s: &Snapshot, depth: usize, sender: &ComponentSender<Self>) -> adw::ActionRow {
        let mut subtitle = vec![when(s.created), state_text(&s.state)];
        if s.is_external() {
            subtitle.push(gettext("External"));
        }
        let mut lines = subtitle.join(" · ");
        if !s.description.is_empty() {
            lines = format!("{}\n{lines}", s.description);
        }
        let row = adw::ActionRow::builder()
            .title(glib::markup_escape_text(&s.name).as_str())
            .subtitle(glib::markup_escape_text(&lines).as_str())
            .subtitle_lines(3)
            .build();
        row.set_accessible_label(&if s.current {
            gettext_f("Snapshot “{name}”, current", &[("name", &s.name)])
        } else {
            gettext_f("Snapshot “{name}”", &[("name", &s.name)])
        });
        // The tree: each level indented, with a branch mark.
        let lead = gtk::Box::new(gtk::Orientation::Horizontal, 6);
        lead.set_margin_start((depth as i32) * 28);
        if depth > 0 {
            let branch = gtk::Label::new(Some("↳"));
            branch.add_css_class("dim-label");
            lead.append(&branch);
        }
        let picture = gtk::Picture::builder()
            .width_request(96)
            .height_request(72)
            .can_shrink(true)
            .build();
        picture.set_content_fit(gtk::ContentFit::Contain);
        match thumbnail_of(&self.uuid, &s.name) {
            Some(path) => picture.set_filename(Some(&path)),
            None => {
                let icon = gtk::Image::from_icon_name(if s.state.has_memory() {
                    "media-playback-start-symbolic"
                } else {
                    "drive-harddisk-symbolic"
                });
                icon.set_pixel_size(32);
                icon.add_css_class("dim-label");
                icon.set_size_request(96, 72);
                lead.append(&icon);
            }
        }
        if picture.file().is_some() {
            picture.set_accessible_label(&gettext_f(
                "Screen of “{name}” when it was taken",
                &[("name", &s.name)],
            ));
            lead.append(&picture);
        }
        row.add_prefix(&lead);
        if s.current {
            let tag = gtk::Label::new(Some(&gettext("Current")));
            tag.add_css_class("accent");
            tag.add_css_class("caption-heading");
            tag.set_valign(gtk::Align::Center);
            row.add_suffix(&tag);
        }
        let buttons: [(&str, String, fn(String) -> SnapshotsInput); 3] = [
            (
                "edit-undo-symbolic",
                gettext_f("Revert to “{name}”", &[("name", &s.name)]),
                SnapshotsInput::AskRevert,
            ),
            (
                "document-edit-symbolic",
                gettext_f("Edit the description of “{name}”", &[("name", &s.name)]),
                SnapshotsInput::AskDescribe,
            ),
            (
                "user-trash-symbolic",
                gettext_f("Delete “{name}”", &[("name", &s.name)]),
                SnapshotsInput::AskDelete,
            ),
        ];
        for (icon, label, msg) in buttons {
            let b = gtk::Button::from_icon_name(icon);
            b.set_valign(gtk::Align::Center);
            b.add_css_class("flat");
            b.set_tooltip_text(Some(&label));
            b.set_accessible_label(&label);
            let (input, name) = (sender.input_sender().clone(), s.name.clone());
            b.connect_clicked(move |_| input.emit(msg(name.clone())));
            row.add_suffix(&b);
        }
        row
    }

    fn ask_take(&self, parent: &gtk::Window, sender: &ComponentSender<Self>) {
        let Some(view) = &self.view else { return };
        let offer = &view.offer;
        let default_name = glib::DateTime::now_local()
            .and_then(|t| t.format("%Y-%m-%d-%H-%M-%S"))
            .map(|s| s.to_string())
            .unwrap_or_else(|_| "snapshot".into());
        let controls = gtk::Box::new(gtk::Orientation::Vertical, 12);
        let fields = gtk::ListBox::new();
        fields.add_css_class("boxed-list");
        fields.set_selection_mode(gtk::SelectionMode::None);
        let name = adw::EntryRow::builder().title(gettext("Name")).build();
        name.set_text(&default_name);
        let description = adw::EntryRow::builder()
            .title(gettext("Description"))
            .build();
        fields.append(&name);
        fields.append(&description);
        controls.append(&fields);
        let note = |text: String, css: Option<&str>| {
            let l = gtk::Label::builder()
                .label(text)
                .wrap(true)
                .xalign(0.0)
                .build();
            if let Some(c) = css {
                l.add_css_class(c);
            }
            controls.append(&l);
            l
        };
        match &offer.blocker {
            Some(Blocker::RunningUefi) => {
                note(
                    gettext(
                        "libvirt 9.0 cannot take a full snapshot of a running UEFI guest. Shut it down to take one, or take a disk-only snapshot now.",
                    ),
                    None,
                );
            }
            Some(Blocker::NotQcow2 { target, format }) => {
                note(
                    gettext_f(
                        "Disk {target} is a {format} image, which cannot hold snapshots: only a disk-only snapshot is possible.",
                        &[("target", target), ("format", format)],
                    ),
                    None,
                );
            }
            None if offer.memory => {
                note(
                    gettext(
                        "The guest is running: its memory is saved too, so reverting resumes it where it is now.",
                    ),
                    None,
                );
            }
            None => {}
        }
        // One radio per mode when there is a choice.
        let external =
            gtk::CheckButton::with_label(&gettext("Disk-only snapshot (external overlay files)"));
        if offer.modes.len() > 1 {
            let full = gtk::CheckButton::with_label(&gettext("Full snapshot (recommended)"));
            full.set_active(true);
            external.set_group(Some(&full));
            let modes = gtk::ListBox::new();
            modes.add_css_class("boxed-list");
            modes.set_selection_mode(gtk::SelectionMode::None);
            modes.append(&dialog::radio_row(&full));
            modes.append(&dialog::radio_row(&external));
            controls.append(&modes);
        } else if offer.modes == [Mode::ExternalDiskOnly] {
            external.set_active(true);
        }
        let only_external = offer.modes == [Mode::ExternalDiskOnly];
        let warning = note(
            gettext(
                "libvirt 9.0 cannot revert to a disk-only snapshot: it keeps the disks as they are now, and later writes go to new overlay files.",
            ),
            Some("warning"),
        );
        warning.set_visible(only_external);
        if offer.quiesce {
            let q = note(
                gettext(
                    "The guest agent freezes the guest’s filesystems while a disk-only snapshot is taken.",
                ),
                Some("dim-label"),
            );
            q.set_visible(only_external);
            let q2 = q.clone();
            external.connect_toggled(move |b| q2.set_visible(b.is_active()));
        }
        {
            let w = warning.clone();
            external.connect_toggled(move |b| w.set_visible(b.is_active()));
        }
        let problem = note(String::new(), Some("error"));
        problem.set_visible(false);
        let heading = gettext("Take Snapshot");
        let (cancel, take) = (gettext("Cancel"), gettext("Take Snapshot"));
        let input = sender.input_sender().clone();
        let (n, d, e) = (name.clone(), description.clone(), external.clone());
        let nothing = offer.modes.is_empty();
        let confirm = dialog::show(
            parent,
            Texts {
                heading: &heading,
                body: None,
                cancel: &cancel,
                confirm: &take,
            },
            Some(controls.upcast_ref()),
            Confirm::Suggested,
            move || {
                input.emit(SnapshotsInput::Take(TakeSpec {
                    name: n.text().trim().to_owned(),
                    description: d.text().to_string(),
                    mode: if e.is_active() {
                        Mode::ExternalDiskOnly
                    } else {
                        Mode::Internal
                    },
                }))
            },
        );
        let existing = view.snapshots.clone();
        let check = {
            let (confirm, problem) = (confirm.clone(), problem.clone());
            move |text: &str| {
                let verdict = snapshot::check_name(text.trim(), &existing);
                let words = match &verdict {
                    Ok(()) => None,
                    Err(NameProblem::Empty) => Some(gettext("A snapshot needs a name.")),
                    Err(NameProblem::Slash) => {
                        Some(gettext("A snapshot’s name cannot contain “/”."))
                    }
                    Err(NameProblem::Taken) => Some(gettext_f(
                        "There is already a snapshot named “{name}”.",
                        &[("name", text.trim())],
                    )),
                };
                problem.set_visible(words.is_some());
                problem.set_label(&words.unwrap_or_default());
                confirm.set_sensitive(verdict.is_ok() && !nothing);
            }
        };
        check(&default_name);
        name.connect_changed(move |e| check(&e.text()));
    }

    fn ask_revert(&self, parent: &gtk::Window, name: &str, sender: &ComponentSender<Self>) {
        let Some(s) = self.snapshot(name) else { return };
        let heading = gettext_f("Revert to “{name}”?", &[("name", name)]);
        let body = gettext_f(
            "The virtual machine goes back to how it was on {time}. What changed since then and is in no snapshot is lost.",
            &[("time", &when(s.created))],
        );
        let after = adw::ComboRow::builder()
            .title(gettext("Afterwards"))
            .build();
        let labels = [
            if s.state.has_memory() {
                gettext("As in the snapshot (running)")
            } else {
                gettext("As in the snapshot (shut off)")
            },
            gettext("Running"),
            gettext("Paused"),
        ];
        after.set_model(Some(&gtk::StringList::new(
            &labels.iter().map(String::as_str).collect::<Vec<_>>(),
        )));
        after.set_accessible_label(&gettext("State after reverting"));
        let list = gtk::ListBox::new();
        list.add_css_class("boxed-list");
        list.set_selection_mode(gtk::SelectionMode::None);
        list.append(&after);
        let (cancel, revert) = (gettext("Cancel"), gettext("Revert"));
        let (input, name) = (sender.input_sender().clone(), name.to_owned());
        dialog::show(
            parent,
            Texts {
                heading: &heading,
                body: Some(&body),
                cancel: &cancel,
                confirm: &revert,
            },
            Some(list.upcast_ref()),
            Confirm::Destructive,
            move || {
                input.emit(SnapshotsInput::Revert {
                    name: name.clone(),
                    after: match after.selected() {
                        1 => AfterRevert::Running,
                        2 => AfterRevert::Paused,
                        _ => AfterRevert::AsTaken,
                    },
                    force: false,
                })
            },
        );
    }

    fn ask_delete(&self, parent: &gtk::Window, name: &str, sender: &ComponentSender<Self>) {
        let Some(view) = &self.view else { return };
        let children: Vec<&Snapshot> = view
            .snapshots
            .iter()
            .filter(|s| s.parent.as_deref() == Some(name))
            .collect();
        let alone = snapshot::deletion(&view.snapshots, name, false);
        let with_children = snapshot::deletion(&view.snapshots, name, true);
        let refusal = |r: DeleteRefusal| match r {
            DeleteRefusal::NoSuchSnapshot => {
                gettext_f("There is no snapshot named “{name}”.", &[("name", name)])
            }
            DeleteRefusal::ExternalWithChildren(kids) => gettext_f(
                "libvirt 9.0 cannot delete “{name}” while other snapshots build on it ({children}).",
                &[("name", name), ("children", &kids.join(", "))],
            ),
            DeleteRefusal::ExternalSubtree => gettext(
                "libvirt 9.0 deletes external snapshots one at a time, not with their children.",
            ),
        };
        let plan = match alone {
            Ok(p) => p,
            Err(r) => {
                self.say(&refusal(r), true);
                return;
            }
        };
        let describe = |plan: &snapshot::Deletion| {
            let mut lines = Vec::new();
            if plan.files.is_empty() {
                lines.push(gettext(
                    "No file is removed: the space the snapshot takes inside the disk images is freed.",
                ));
            } else {
                lines.push(gettext_f(
                    "These files are removed: {files}",
                    &[("files", &plan.files.join(", "))],
                ));
            }
            if !plan.reparented.is_empty() {
                lines.push(gettext_f(
                    "Its children ({children}) stay, under its parent.",
                    &[("children", &plan.reparented.join(", "))],
                ));
            }
            if plan.current_goes {
                lines.push(gettext(
                    "The current snapshot goes too: the machine keeps running as it is, with no current snapshot.",
                ));
            }
            if plan.snapshots.len() > 1 {
                lines.push(gettext_f(
                    "Deleted: {names}",
                    &[("names", &plan.snapshots.join(", "))],
                ));
            }
            lines.join("\n")
        };
        let body = gtk::Label::builder()
            .label(describe(&plan))
            .wrap(true)
            .justify(gtk::Justification::Center)
            .build();
        let controls = gtk::Box::new(gtk::Orientation::Vertical, 12);
        controls.append(&body);
        let also = gtk::CheckButton::with_label(&gettext_f(
            "Also delete what builds on it ({count})",
            &[("count", &children.len().to_string())],
        ));
        if !children.is_empty() && with_children.is_ok() {
            let subtree = with_children.clone().ok();
            let (body, single) = (body.clone(), describe(&plan));
            let all = subtree.as_ref().map(&describe).unwrap_or_default();
            also.connect_toggled(move |b| {
                body.set_label(if b.is_active() { &all } else { &single })
            });
            controls.append(&also);
        }
        let heading = gettext_f("Delete “{name}”?", &[("name", name)]);
        let (cancel, delete) = (gettext("Cancel"), gettext("Delete"));
        let (input, name) = (sender.input_sender().clone(), name.to_owned());
        dialog::show(
            parent,
            Texts {
                heading: &heading,
                body: None,
                cancel: &cancel,
                confirm: &delete,
            },
            Some(controls.upcast_ref()),
            Confirm::Destructive,
            move || {
                input.emit(SnapshotsInput::Delete {
                    name: name.clone(),
                    children: also.is_active(),
                })
            },
        );
    }

    fn ask_describe(&self, parent: &gtk::Window, name: &str, sender: &ComponentSender<Self>) {
        let Some(s) = self.snapshot(name) else { return };
        let entry = adw::EntryRow::builder()
            .title(gettext("Description"))
            .build();
        entry.set_text(&s.description);
        let list = gtk::ListBox::new();
        list.add_css_class("boxed-list");
        list.set_selection_mode(gtk::SelectionMode::None);
        list.append(&entry);
        let heading = gettext_f("Description of “{name}”", &[("name", name)]);
        let (input, name) = (sender.input_sender().clone(), name.to_owned());
        dialog::change(
            parent,
            &heading,
            &gettext("Snapshot names cannot change; their descriptions can."),
            list.upcast_ref(),
            move || {
                input.emit(SnapshotsInput::Describe {
                    name: name.clone(),
                    description: entry.text().to_string(),
                })
            },
        );
    }

    fn ask_force(
        &self,
        parent: &gtk::Window,
        name: &str,
        after: AfterRevert,
        why: &str,
        sender: &ComponentSender<Self>,
    ) {
        let heading = gettext_f("Force the Revert to “{name}”?", &[("name", name)]);
        let body = gettext_f(
            "libvirt calls this revert risky: {reason}",
            &[("reason", why)],
        );
        let (cancel, force) = (gettext("Cancel"), gettext("Force Revert"));
        let (input, name) = (sender.input_sender().clone(), name.to_owned());
        dialog::show(
            parent,
            Texts {
                heading: &heading,
                body: Some(&body),
                cancel: &cancel,
                confirm: &force,
            },
            None,
            Confirm::Destructive,
            move || {
                input.emit(SnapshotsInput::Revert {
                    name: name.clone(),
                    after,
                    force: true,
                })
            },
        );
    }
}

impl Component for SnapshotsPage {
    type Init = SnapshotsPageInit;
    type Input = SnapshotsInput;
    type Output = SnapshotsOutput;
    type CommandOutput = SnapshotsCmd;
    type Root = gtk::Box;
    type Widgets = ();

    fn init_root() -> gtk::Box {
        gtk::Box::new(gtk::Orientation::Vertical, 0)
    }

    fn init(
        init: SnapshotsPageInit,
        root: gtk::Box,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let take = gtk::Button::with_label(&gettext("Take Snapshot…"));
        take.add_css_class("suggested-action");
        take.set_sensitive(false);
        {
            let input = sender.input_sender().clone();
            take.connect_clicked(move |_| input.emit(SnapshotsInput::AskTake));
        }
        let spinner = gtk::Spinner::builder().visible(false).build();
        spinner.set_accessible_label(&gettext("Working"));
        let status = gtk::Label::builder()
            .wrap(true)
            .xalign(0.0)
            .hexpand(true)
            .visible(false)
            .build();
        let bar = gtk::Box::builder()
            .spacing(12)
            .margin_top(12)
            .margin_bottom(6)
            .margin_start(18)
            .margin_end(18)
            .build();
        bar.append(&spinner);
        bar.append(&status);
        bar.append(&take);
        root.append(&bar);
        let list = gtk::ListBox::builder()
            .selection_mode(gtk::SelectionMode::None)
            .valign(gtk::Align::Start)
            .build();
        list.add_css_class("boxed-list");
        list.set_accessible_label(&gettext("Snapshots"));
        let clamp = adw::Clamp::builder()
            .maximum_size(900)
            .child(&list)
            .margin_top(6)
            .margin_bottom(18)
            .margin_start(12)
            .margin_end(12)
            .build();
        let scroll = gtk::ScrolledWindow::builder()
            .hscrollbar_policy(gtk::PolicyType::Never)
            .vexpand(true)
            .child(&clamp)
            .build();
        let empty = adw::StatusPage::builder()
            .icon_name("camera-photo-symbolic")
            .title(gettext("No Snapshots"))
            .description(gettext(
                "A snapshot keeps the machine as it is now, so that you can come back to it after trying something.",
            ))
            .vexpand(true)
            .build();
        let stack = gtk::Stack::new();
        stack.add_named(&scroll, Some("list"));
        stack.add_named(&empty, Some("empty"));
        stack.set_visible_child_name("empty");
        root.append(&stack);
        let model = SnapshotsPage {
            conn: init.conn,
            uuid: init.uuid,
            view: None,
            busy: None,
            list,
            stack,
            status,
            spinner,
            take,
        };
        model.load(&sender);
        ComponentParts { model, widgets: () }
    }

    fn update(&mut self, msg: SnapshotsInput, sender: ComponentSender<Self>, root: &gtk::Box) {
        let parent = root.root().and_downcast::<gtk::Window>();
        let (conn, uuid) = (self.conn.clone(), self.uuid.clone());
        match msg {
            SnapshotsInput::Load | SnapshotsInput::VmChanged => {
                if self.busy.is_none() {
                    self.load(&sender)
                }
            }
            SnapshotsInput::AskTake => {
                if let Some(p) = parent {
                    self.ask_take(&p, &sender)
                }
            }
            SnapshotsInput::AskRevert(name) => {
                if let Some(p) = parent {
                    self.ask_revert(&p, &name, &sender)
                }
            }
            SnapshotsInput::AskDelete(name) => {
                if let Some(p) = parent {
                    self.ask_delete(&p, &name, &sender)
                }
            }
            SnapshotsInput::AskDescribe(name) => {
                if let Some(p) = parent {
                    self.ask_describe(&p, &name, &sender)
                }
            }
            SnapshotsInput::Take(spec) => {
                self.set_busy(Some(gettext_f(
                    "Taking snapshot “{name}”…",
                    &[("name", &spec.name)],
                )));
                let name = spec.name.clone();
                let root = thumbnail_root();
                sender.oneshot_command(async move {
                    SnapshotsCmd::Taken(name, conn.take_snapshot(&uuid, spec, Some(root)).await)
                });
            }
            SnapshotsInput::Revert { name, after, force } => {
                self.set_busy(Some(gettext_f(
                    "Reverting to “{name}”…",
                    &[("name", &name)],
                )));
                sender.oneshot_command(async move {
                    let result = conn.revert_snapshot(&uuid, &name, after, force).await;
                    SnapshotsCmd::Reverted {
                        name,
                        after,
                        result,
                    }
                });
            }
            SnapshotsInput::Delete { name, children } => {
                self.set_busy(Some(gettext_f("Deleting “{name}”…", &[("name", &name)])));
                // Their thumbnails go with them.
                let gone: Vec<String> = self
                    .view
                    .as_ref()
                    .and_then(|v| snapshot::deletion(&v.snapshots, &name, children).ok())
                    .map(|d| d.snapshots)
                    .unwrap_or_default();
                sender.oneshot_command(async move {
                    let result = conn.delete_snapshot(&uuid, &name, children).await;
                    if result.is_ok() {
                        for old in gone.iter().filter_map(|n| thumbnail_of(&uuid, n)) {
                            let _ = std::fs::remove_file(old);
                        }
                    }
                    SnapshotsCmd::Done(
                        result
                            .map(|()| gettext_f("Deleted snapshot “{name}”.", &[("name", &name)])),
                    )
                });
            }
            SnapshotsInput::Describe { name, description } => {
                sender.oneshot_command(async move {
                    let result = conn.describe_snapshot(&uuid, &name, &description).await;
                    SnapshotsCmd::Done(result.map(|()| {
                        gettext_f("Changed the description of “{name}”.", &[("name", &name)])
                    }))
                });
            }
        }
    }

    fn update_cmd(&mut self, msg: SnapshotsCmd, sender: ComponentSender<Self>, root: &gtk::Box) {
        match msg {
            SnapshotsCmd::Loaded(Ok(view)) => {
                self.view = Some(view);
                self.take.set_sensitive(self.busy.is_none());
                self.show(&sender);
            }
            SnapshotsCmd::Loaded(Err(e)) => self.say(
                &gettext_f(
                    "The snapshots cannot be read: {error}",
                    &[("error", &e.to_string())],
                ),
                true,
            ),
            SnapshotsCmd::Taken(name, result) => {
                self.set_busy(None);
                match result {
                    Ok(_) => self.say(
                        &gettext_f("Took snapshot “{name}”.", &[("name", &name)]),
                        false,
                    ),
                    Err(e) => self.say(
                        &gettext_f(
                            "Snapshot “{name}” was not taken: {error}",
                            &[("name", &name), ("error", &e.to_string())],
                        ),
                        true,
                    ),
                }
                self.load(&sender);
            }
            SnapshotsCmd::Reverted {
                name,
                after,
                result,
            } => {
                self.set_busy(None);
                match result {
                    Ok(r) => {
                        let mut text = gettext_f("Reverted to “{name}”.", &[("name", &name)]);
                        if r.clock_synced {
                            text.push(' ');
                            text.push_str(&gettext(
                                "The guest’s clock was set to the host’s time.",
                            ));
                        }
                        self.say(&text, false);
                    }
                    Err(e) if e.kind == ErrorKind::RevertRisky => {
                        self.say("", false);
                        if let Some(p) = root.root().and_downcast::<gtk::Window>() {
                            self.ask_force(&p, &name, after, &e.to_string(), &sender);
                        }
                    }
                    Err(e) => self.say(
                        &gettext_f(
                            "Reverting to “{name}” failed: {error}",
                            &[("name", &name), ("error", &e.to_string())],
                        ),
                        true,
                    ),
                }
                let _ = sender.output(SnapshotsOutput::StateChanged);
                self.load(&sender);
            }
            SnapshotsCmd::Done(result) => {
                self.set_busy(None);
                match result {
                    Ok(text) => self.say(&text, false),
                    Err(e) => self.say(&e.to_string(), true),
                }
                self.load(&sender);
            }
        }
    }
}
