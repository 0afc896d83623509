//! The Snapshots page of a VM window: the VM's snapshots as a tree by
//! parent (newest sibling last), each with its name, description, time, the
//! state it holds, the current one marked, and a thumbnail of the screen
//! when it was taken; Take Snapshot, Revert, Delete and Edit Description.
//! Taking and reverting run as commands (the core does them on a worker
//! thread); the page shows what runs and never blocks the window.

mod dialogs;

use std::path::PathBuf;

use gettextrs::gettext;
use relm4::adw::{self, prelude::*};
use relm4::gtk::{self, glib};
use relm4::{Component, ComponentParts, ComponentSender};

use crate::core::libvirt::{Connection, Error, ErrorKind, Reverted, SnapshotsView};
use crate::core::snapshot::{self, AfterRevert, Snapshot, SnapshotState, TakeSpec};
use crate::ui::a11y::AccessibleLabelExt;
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
    /// Shut the guest down (a running UEFI guest's full snapshot needs it).
    ShutDown,
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
        forced: bool,
        result: Result<Reverted, Error>,
    },
    Done(Result<String, Error>),
}

#[derive(Debug)]
pub enum SnapshotsOutput {
    /// A revert changed the VM's state: read it again.
    StateChanged,
    /// Run a power action on the VM.
    Power(crate::core::libvirt::PowerAction),
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

/// A row button's question about a snapshot (by name).
type AskFor = fn(String) -> SnapshotsInput;

/// Where thumbnails are cached.
pub(crate) fn thumbnail_root() -> PathBuf {
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
        crate::ui::dialog::show_status(&self.status, text, error);
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
        let buttons: [(&str, String, AskFor); 3] = [
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
            if icon == "edit-undo-symbolic" && s.is_external() {
                // Said on the button rather than after a failed try.
                b.set_sensitive(false);
                b.set_tooltip_text(Some(&gettext(
                    "libvirt 9.0 cannot revert to an external snapshot",
                )));
            }
            b.set_accessible_label(&label);
            let (input, name) = (sender.input_sender().clone(), s.name.clone());
            b.connect_clicked(move |_| input.emit(msg(name.clone())));
            row.add_suffix(&b);
        }
        row
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
            SnapshotsInput::ShutDown => {
                self.say(&gettext("Shutting the guest down…"), false);
                let _ = sender.output(SnapshotsOutput::Power(
                    crate::core::libvirt::PowerAction::ShutDown,
                ));
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
                        forced: force,
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
                forced,
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
                    // Asked once: when even a forced revert is refused,
                    // libvirt's reason is shown.
                    Err(e) if e.kind == ErrorKind::RevertRisky && !forced => {
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
