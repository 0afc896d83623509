//! The content of the main window's list page: one group per connection.
//!
//! Rebuilt whenever a connection changes state. The scalable list view with
//! live graphs replaces this with the VM-list work; the states and texts here
//! stay.

use gettextrs::gettext;
use relm4::adw::{self, prelude::*};
use relm4::gtk;

use crate::core::libvirt::{Connection, DomainState, DomainSummary};
use crate::ui::i18n::ngettext_f;

/// Where one connection stands.
#[derive(Debug)]
pub enum ConnStatus {
    Connecting,
    Failed(String),
    Connected {
        // Kept so that the connection stays open while it is shown.
        #[allow(dead_code)]
        conn: Connection,
        domains: Vec<DomainSummary>,
    },
}

/// One connection as the main window shows it.
#[derive(Debug)]
pub struct ConnectionView {
    pub uri: String,
    pub status: ConnStatus,
}

/// The words for a state, as virt-manager's users know them.
pub fn state_label(state: DomainState) -> String {
    match state {
        DomainState::Running | DomainState::Blocked => gettext("Running"),
        DomainState::Paused => gettext("Paused"),
        DomainState::ShuttingDown => gettext("Shutting Down"),
        DomainState::ShutOff => gettext("Shut Off"),
        DomainState::Crashed => gettext("Crashed"),
        DomainState::PmSuspended => gettext("Suspended"),
        DomainState::NoState => gettext("Unknown"),
    }
}

fn state_icon(state: DomainState) -> (&'static str, Option<&'static str>) {
    match state {
        DomainState::Running | DomainState::Blocked => {
            ("media-playback-start-symbolic", Some("vm-state-running"))
        }
        DomainState::Paused | DomainState::PmSuspended => {
            ("media-playback-pause-symbolic", Some("vm-state-paused"))
        }
        DomainState::Crashed => ("dialog-error-symbolic", Some("vm-state-crashed")),
        DomainState::ShuttingDown => ("system-shutdown-symbolic", None),
        DomainState::ShutOff | DomainState::NoState => ("media-playback-stop-symbolic", None),
    }
}

fn domain_row(domain: &DomainSummary) -> adw::ActionRow {
    let row = adw::ActionRow::builder()
        .title(glib_escape(&domain.name))
        .subtitle(state_label(domain.state))
        .build();
    let (icon, class) = state_icon(domain.state);
    let image = gtk::Image::from_icon_name(icon);
    if let Some(class) = class {
        image.add_css_class(class);
    }
    row.add_prefix(&image);
    row.set_widget_name(&format!("vm-{}", domain.uuid));
    row
}

fn glib_escape(text: &str) -> String {
    relm4::gtk::glib::markup_escape_text(text).to_string()
}

/// Replace the children of `container` with one group per connection.
/// `retry(index)` is called when the user asks to reconnect a failed one.
pub fn rebuild(
    container: &gtk::Box,
    connections: &[ConnectionView],
    retry: impl Fn(usize) + Clone + 'static,
) {
    while let Some(child) = container.first_child() {
        container.remove(&child);
    }
    for (index, view) in connections.iter().enumerate() {
        let group = adw::PreferencesGroup::builder()
            .title(glib_escape(&view.uri))
            .build();
        match &view.status {
            ConnStatus::Connecting => {
                let row = adw::ActionRow::builder()
                    .title(gettext("Connecting…"))
                    .build();
                let spinner = gtk::Spinner::builder().spinning(true).build();
                row.add_suffix(&spinner);
                group.add(&row);
            }
            ConnStatus::Failed(message) => {
                let row = adw::ActionRow::builder()
                    .title(gettext("Could not connect"))
                    .subtitle(glib_escape(message))
                    .build();
                row.add_prefix(&gtk::Image::from_icon_name("dialog-error-symbolic"));
                let button = gtk::Button::builder()
                    .label(gettext("Try Again"))
                    .valign(gtk::Align::Center)
                    .build();
                let retry = retry.clone();
                button.connect_clicked(move |_| retry(index));
                row.add_suffix(&button);
                group.add(&row);
            }
            ConnStatus::Connected { domains, .. } => {
                if domains.is_empty() {
                    let row = adw::ActionRow::builder()
                        .title(gettext("No virtual machines on this connection"))
                        .build();
                    group.add(&row);
                }
                for domain in domains {
                    group.add(&domain_row(domain));
                }
                let count = domains.len() as u32;
                group.set_description(Some(&ngettext_f(
                    "{count} virtual machine",
                    "{count} virtual machines",
                    count,
                    &[("count", &count.to_string())],
                )));
            }
        }
        container.append(&group);
    }
}
