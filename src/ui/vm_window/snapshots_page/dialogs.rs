//! The Snapshots page's dialogs: Take Snapshot (what libvirt 9.0 allows
//! for this guest, said before it is tried), Revert (and Force when libvirt
//! calls it risky), Delete (what goes with it), Edit Description.

use gettextrs::gettext;
use relm4::ComponentSender;
use relm4::adw::{self, prelude::*};
use relm4::gtk::{self, glib};

use super::{SnapshotsInput, SnapshotsPage, when};
use crate::core::snapshot::{
    self, AfterRevert, Blocker, DeleteRefusal, Mode, NameProblem, Snapshot, TakeSpec,
};
use crate::ui::a11y::AccessibleLabelExt;
use crate::ui::dialog::{self, Confirm};
use crate::ui::i18n::gettext_f;

impl SnapshotsPage {
    pub(super) fn ask_take(&self, parent: &gtk::Window, sender: &ComponentSender<Self>) {
        let Some(view) = &self.view else { return };
        let offer = &view.offer;
        let default_name = glib::DateTime::now_local()
            .and_then(|t| t.format("%Y-%m-%d-%H-%M-%S"))
            .map(|s| s.to_string())
            .unwrap_or_else(|_| "snapshot".into());
        let controls = gtk::Box::new(gtk::Orientation::Vertical, 12);
        let name = adw::EntryRow::builder().title(gettext("Name")).build();
        name.set_text(&default_name);
        let description = adw::EntryRow::builder()
            .title(gettext("Description"))
            .build();
        controls.append(&dialog::boxed_list(&[
            name.upcast_ref(),
            description.upcast_ref(),
        ]));
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
        let shut_down = gtk::Button::with_label(&gettext("Shut Down the Guest"));
        match &offer.blocker {
            Some(Blocker::RunningUefi) => {
                note(
                    gettext(
                        "libvirt 9.0 cannot take a full snapshot of a running UEFI guest. Shut it down to take one, or take a disk-only snapshot now.",
                    ),
                    None,
                );
                shut_down.set_halign(gtk::Align::Start);
                controls.append(&shut_down);
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
            let (full, external) = (dialog::radio_row(&full), dialog::radio_row(&external));
            controls.append(&dialog::boxed_list(&[
                full.upcast_ref(),
                external.upcast_ref(),
            ]));
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
        let take = gettext("Take Snapshot");
        let input = sender.input_sender().clone();
        let (n, d, e) = (name.clone(), description.clone(), external.clone());
        let nothing = offer.modes.is_empty();
        let confirm = dialog::ask(
            parent,
            &heading,
            None,
            Some(controls.upcast_ref()),
            (&take, Confirm::Suggested),
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
        {
            // Shut down, then a full snapshot can be taken.
            let (input, confirm) = (sender.input_sender().clone(), confirm.clone());
            shut_down.connect_clicked(move |_| {
                input.emit(SnapshotsInput::ShutDown);
                if let Some(w) = confirm.root().and_downcast::<gtk::Window>() {
                    w.close();
                }
            });
        }
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

    pub(super) fn ask_revert(
        &self,
        parent: &gtk::Window,
        name: &str,
        sender: &ComponentSender<Self>,
    ) {
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
        let list = dialog::boxed_list(&[after.upcast_ref()]);
        let revert = gettext("Revert");
        let (input, name) = (sender.input_sender().clone(), name.to_owned());
        dialog::ask(
            parent,
            &heading,
            Some(&body),
            Some(list.upcast_ref()),
            (&revert, Confirm::Destructive),
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

    pub(super) fn ask_delete(
        &self,
        parent: &gtk::Window,
        name: &str,
        sender: &ComponentSender<Self>,
    ) {
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
        let delete = gettext("Delete");
        let (input, name) = (sender.input_sender().clone(), name.to_owned());
        dialog::ask(
            parent,
            &heading,
            None,
            Some(controls.upcast_ref()),
            (&delete, Confirm::Destructive),
            move || {
                input.emit(SnapshotsInput::Delete {
                    name: name.clone(),
                    children: also.is_active(),
                })
            },
        );
    }

    pub(super) fn ask_describe(
        &self,
        parent: &gtk::Window,
        name: &str,
        sender: &ComponentSender<Self>,
    ) {
        let Some(s) = self.snapshot(name) else { return };
        let entry = adw::EntryRow::builder()
            .title(gettext("Description"))
            .build();
        entry.set_text(&s.description);
        let list = dialog::boxed_list(&[entry.upcast_ref()]);
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

    pub(super) fn ask_force(
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
        let force = gettext("Force Revert");
        let (input, name) = (sender.input_sender().clone(), name.to_owned());
        dialog::ask(
            parent,
            &heading,
            Some(&body),
            None,
            (&force, Confirm::Destructive),
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
