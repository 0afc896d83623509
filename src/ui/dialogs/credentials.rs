//! The dialog that answers libvirt's credential questions (user name,
//! password, passphrase) while a connection opens.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::mpsc::Sender;

use gettextrs::gettext;
use relm4::adw::{self, prelude::*};
use relm4::gtk;

use crate::core::libvirt::{CredentialKind, CredentialPrompt};
use crate::ui::a11y::AccessibleLabelExt;
use crate::ui::dialog::{self, Confirm, Texts};
use crate::ui::i18n::gettext_f;

/// libvirt prompts end with a colon or not; the row titles should not.
fn title(prompt: &CredentialPrompt) -> String {
    let text = prompt.prompt.trim().trim_end_matches(':').trim();
    if !text.is_empty() {
        return text.to_owned();
    }
    match prompt.kind {
        CredentialKind::Username => gettext("User name"),
        CredentialKind::Password | CredentialKind::Secret => gettext("Password"),
        CredentialKind::Visible => gettext("Answer"),
    }
}

/// libadwaita 1.2 leaves the password row's show/hide button unnamed.
fn name_reveal_button(widget: &gtk::Widget) {
    let mut child = widget.first_child();
    while let Some(c) = child {
        if c.is::<gtk::Button>() || c.is::<gtk::ToggleButton>() {
            c.set_accessible_label(&gettext("Show Password"));
        }
        name_reveal_button(&c);
        child = c.next_sibling();
    }
}

/// Ask over `parent`; the answers (or `None` when the user cancels or
/// closes the dialog) go to `reply`, exactly once.
pub fn show(
    parent: &gtk::Window,
    uri: &str,
    prompts: Vec<CredentialPrompt>,
    reply: Sender<Option<Vec<String>>>,
) {
    let reply = Rc::new(RefCell::new(Some(reply)));
    let group = adw::PreferencesGroup::new();
    let mut rows: Vec<adw::EntryRow> = Vec::new();
    for prompt in &prompts {
        let row: adw::EntryRow = match prompt.kind {
            CredentialKind::Password | CredentialKind::Secret => {
                let row = adw::PasswordEntryRow::new();
                name_reveal_button(row.upcast_ref());
                row.upcast()
            }
            _ => adw::EntryRow::new(),
        };
        row.set_title(&title(prompt));
        if !prompt.default.is_empty() {
            row.set_text(&prompt.default);
        }
        group.add(&row);
        rows.push(row);
    }
    let confirm = {
        let rows = rows.clone();
        let reply = reply.clone();
        dialog::show(
            parent,
            Texts {
                heading: &gettext("Authentication Required"),
                body: Some(&gettext_f("{uri} asks for credentials.", &[("uri", uri)])),
                cancel: &gettext("Cancel"),
                confirm: &gettext("Connect"),
            },
            Some(group.upcast_ref()),
            Confirm::Suggested,
            move || {
                let answers = rows.iter().map(|r| r.text().to_string()).collect();
                if let Some(tx) = reply.borrow_mut().take() {
                    let _ = tx.send(Some(answers));
                }
            },
        )
    };
    // Closing or cancelling answers "no" (libvirt then reports the failure).
    if let Some(window) = group.root().and_downcast::<gtk::Window>() {
        window.connect_close_request(move |_| {
            if let Some(tx) = reply.borrow_mut().take() {
                let _ = tx.send(None);
            }
            gtk::glib::Propagation::Proceed
        });
    }
    // Enter in the last field connects.
    for (i, row) in rows.iter().enumerate() {
        let confirm = confirm.clone();
        let next = rows.get(i + 1).cloned();
        row.connect_entry_activated(move |_| match &next {
            Some(next) => {
                next.grab_focus();
            }
            None => confirm.emit_clicked(),
        });
    }
    if let Some(first) = rows.first() {
        first.grab_focus();
    }
}
