//! The Add Connection dialog, like virt-manager's: QEMU/KVM system, user
//! session, remote over SSH (showing the URI it will use), or a custom URI.

use gettextrs::gettext;
use relm4::Sender;
use relm4::adw::{self, prelude::*};
use relm4::gtk;

use crate::core::uri::{ConnectionKind, UriError, uri_for};
use crate::ui::a11y::AccessibleLabelExt;
use crate::ui::dialog::{self, Confirm, Texts};
use crate::ui::msg::AppInput;

fn error_text(e: UriError) -> String {
    match e {
        UriError::MissingHost => gettext("Enter the host name."),
        UriError::InvalidHost => gettext("The host name has characters a host name cannot have."),
        UriError::InvalidUser => gettext("The user name has characters a user name cannot have."),
        UriError::InvalidUri => gettext("Enter a libvirt URI, such as qemu:///system."),
    }
}

/// Show the dialog; confirming sends [`AppInput::AddConnection`].
pub fn show(parent: &gtk::Window, input: &Sender<AppInput>) {
    let kinds = [
        gettext("QEMU/KVM"),
        gettext("QEMU/KVM user session"),
        gettext("QEMU/KVM over SSH"),
        gettext("Custom URI"),
    ];
    let kind_row = adw::ComboRow::builder()
        .title(gettext("Hypervisor"))
        .model(&gtk::StringList::new(
            &kinds.iter().map(String::as_str).collect::<Vec<_>>(),
        ))
        .build();
    let user = adw::EntryRow::builder()
        .title(gettext("User"))
        .text("root")
        .build();
    let host = adw::EntryRow::builder().title(gettext("Host")).build();
    let custom = adw::EntryRow::builder().title(gettext("URI")).build();
    let autoconnect = gtk::Switch::builder()
        .active(true)
        .valign(gtk::Align::Center)
        .build();
    autoconnect.set_accessible_label(&gettext("Connect automatically"));
    let auto_row = adw::ActionRow::builder()
        .title(gettext("Connect automatically"))
        .activatable_widget(&autoconnect)
        .build();
    auto_row.add_suffix(&autoconnect);
    let list = gtk::ListBox::builder()
        .selection_mode(gtk::SelectionMode::None)
        .build();
    list.add_css_class("boxed-list");
    for row in [
        kind_row.upcast_ref::<gtk::Widget>(),
        user.upcast_ref(),
        host.upcast_ref(),
        custom.upcast_ref(),
        auto_row.upcast_ref(),
    ] {
        list.append(row);
    }
    let result = gtk::Label::builder()
        .wrap(true)
        .xalign(0.0)
        .selectable(true)
        .build();
    result.add_css_class("dim-label");
    let content = gtk::Box::new(gtk::Orientation::Vertical, 12);
    content.append(&list);
    content.append(&result);

    let current = {
        let (kind_row, user, host, custom) =
            (kind_row.clone(), user.clone(), host.clone(), custom.clone());
        move || -> Result<String, UriError> {
            let kind = match kind_row.selected() {
                0 => ConnectionKind::System,
                1 => ConnectionKind::Session,
                2 => ConnectionKind::Ssh {
                    user: user.text().to_string(),
                    host: host.text().to_string(),
                },
                _ => ConnectionKind::Custom(custom.text().to_string()),
            };
            uri_for(&kind)
        }
    };
    let input = input.clone();
    let confirm_current = current.clone();
    let confirm_auto = autoconnect.clone();
    let (heading, cancel, connect) = (
        gettext("Add Connection"),
        gettext("Cancel"),
        gettext("Connect"),
    );
    let confirm = dialog::show(
        parent,
        Texts {
            heading: &heading,
            body: None,
            cancel: &cancel,
            confirm: &connect,
        },
        Some(content.upcast_ref()),
        Confirm::Suggested,
        move || {
            if let Ok(uri) = confirm_current() {
                input.emit(AppInput::AddConnection {
                    uri,
                    autoconnect: confirm_auto.is_active(),
                });
            }
        },
    );
    let refresh = {
        let (kind_row, user, host, custom, result, confirm) = (
            kind_row.clone(),
            user.clone(),
            host.clone(),
            custom.clone(),
            result.clone(),
            confirm.clone(),
        );
        let current = current.clone();
        move || {
            let kind = kind_row.selected();
            user.set_visible(kind == 2);
            host.set_visible(kind == 2);
            custom.set_visible(kind == 3);
            match current() {
                Ok(uri) => {
                    result.set_text(&crate::ui::i18n::gettext_f(
                        "Vireo will connect to {uri}",
                        &[("uri", &uri)],
                    ));
                    confirm.set_sensitive(true);
                }
                Err(e) => {
                    result.set_text(&error_text(e));
                    confirm.set_sensitive(false);
                }
            }
        }
    };
    refresh();
    {
        let refresh = refresh.clone();
        kind_row.connect_selected_notify(move |_| refresh());
    }
    for entry in [&user, &host, &custom] {
        let refresh = refresh.clone();
        entry.connect_changed(move |_| refresh());
    }
}
