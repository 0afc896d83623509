//! "Delete “VM”?" with a checkbox per disk, like virt-manager's.

use gettextrs::gettext;
use relm4::Sender;
use relm4::adw::prelude::*;
use relm4::gtk;

use crate::ui::dialog::{self, Confirm, Texts};
use crate::ui::i18n::gettext_f;
use crate::ui::msg::{AppInput, DeletableDisk};

/// Ask whether to delete `name`, and which of its disks. Confirming sends
/// [`AppInput::Delete`] with the checked paths.
pub fn show(
    parent: &gtk::Window,
    index: usize,
    uuid: String,
    name: String,
    active: bool,
    disks: Vec<DeletableDisk>,
    input: &Sender<AppInput>,
) {
    let body = if active {
        gettext(
            "The virtual machine is running: it will be forced off first. This cannot be undone.",
        )
    } else {
        gettext("The virtual machine’s configuration will be removed. This cannot be undone.")
    };
    let checks: Vec<(gtk::CheckButton, String)> = disks
        .into_iter()
        .map(|d| {
            let check = gtk::CheckButton::builder()
                .label(gettext_f("Delete {path}", &[("path", &d.path)]))
                .active(d.checked)
                .build();
            (check, d.path)
        })
        .collect();
    let list = gtk::Box::new(gtk::Orientation::Vertical, 6);
    if !checks.is_empty() {
        list.append(
            &gtk::Label::builder()
                .label(gettext("Storage"))
                .xalign(0.0)
                .css_classes(["heading"])
                .build(),
        );
        for (check, _) in &checks {
            list.append(check);
        }
    }
    let input = input.clone();
    let heading = gettext_f("Delete “{name}”?", &[("name", &name)]);
    let (cancel, delete) = (gettext("Cancel"), gettext("Delete"));
    dialog::show(
        parent,
        Texts {
            heading: &heading,
            body: Some(&body),
            cancel: &cancel,
            confirm: &delete,
        },
        (!checks.is_empty()).then_some(list.upcast_ref()),
        Confirm::Destructive,
        move || {
            let storage = checks
                .iter()
                .filter(|(c, _)| c.is_active())
                .map(|(_, p)| p.clone())
                .collect();
            input.emit(AppInput::Delete {
                index,
                uuid: uuid.clone(),
                name: name.clone(),
                storage,
            });
        },
    );
}
