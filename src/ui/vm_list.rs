//! The content of the main window's list page: one group per connection.
//!
//! Rebuilt whenever a connection changes state. The scalable list view with
//! live graphs replaces this with the VM-list work; the states and texts here
//! stay.

use gettextrs::gettext;
use relm4::adw::{self, prelude::*};
use relm4::gtk::{self, gio};

use crate::core::libvirt::{Connection, DomainState, DomainSummary, PowerAction};
use std::collections::HashMap;

use crate::ui::a11y::AccessibleLabelExt;
use crate::ui::i18n::{gettext_f, ngettext_f};
use crate::ui::usage::RowHandle;

/// Where one connection stands.
#[derive(Debug)]
pub enum ConnStatus {
    /// Saved, not opened at start-up.
    Disconnected,
    Connecting,
    Failed(String),
    Connected {
        conn: Connection,
        domains: Vec<DomainSummary>,
        /// Stops the statistics poll when this status is replaced.
        poll: PollGuard,
    },
}

/// Set to false when dropped; the statistics poll of a connection checks it.
#[derive(Debug)]
pub struct PollGuard(pub std::sync::Arc<std::sync::atomic::AtomicBool>);

impl PollGuard {
    pub fn new() -> PollGuard {
        PollGuard(std::sync::Arc::new(std::sync::atomic::AtomicBool::new(
            true,
        )))
    }
}

impl Drop for PollGuard {
    fn drop(&mut self) {
        self.0.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}

/// One connection as the main window shows it.
#[derive(Debug)]
pub struct ConnectionView {
    pub uri: String,
    pub status: ConnStatus,
    /// Automatic reconnect attempts since the connection was lost (0: none).
    pub reconnects: u32,
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

/// The words for a power action, as menus show them.
pub fn action_label(action: PowerAction) -> String {
    match action {
        PowerAction::Run => gettext("Run"),
        PowerAction::Pause => gettext("Pause"),
        PowerAction::Resume => gettext("Resume"),
        PowerAction::ShutDown => gettext("Shut Down"),
        PowerAction::Reboot => gettext("Reboot"),
        PowerAction::ForceReset => gettext("Force Reset"),
        PowerAction::ForceOff => gettext("Force Off"),
        PowerAction::Save => gettext("Save"),
    }
}

/// The stable name of a power action inside action targets.
pub fn action_id(action: PowerAction) -> &'static str {
    match action {
        PowerAction::Run => "run",
        PowerAction::Pause => "pause",
        PowerAction::Resume => "resume",
        PowerAction::ShutDown => "shutdown",
        PowerAction::Reboot => "reboot",
        PowerAction::ForceReset => "reset",
        PowerAction::ForceOff => "destroy",
        PowerAction::Save => "save",
    }
}

/// The inverse of [`action_id`].
pub fn action_from_id(id: &str) -> Option<PowerAction> {
    [
        PowerAction::Run,
        PowerAction::Pause,
        PowerAction::Resume,
        PowerAction::ShutDown,
        PowerAction::Reboot,
        PowerAction::ForceReset,
        PowerAction::ForceOff,
        PowerAction::Save,
    ]
    .into_iter()
    .find(|a| action_id(*a) == id)
}

/// The menu of a VM's row: the power actions its state allows, then Delete.
/// Targets are `"{connection index}\t{uuid}\t{action}"` for `win.vm-power`
/// and `"{connection index}\t{uuid}"` for `win.vm-delete`.
fn domain_menu(index: usize, domain: &DomainSummary) -> gio::Menu {
    let menu = gio::Menu::new();
    let power = gio::Menu::new();
    for action in PowerAction::available(domain.state) {
        let target = format!("{index}\t{}\t{}", domain.uuid, action_id(*action));
        power.append(
            Some(&action_label(*action)),
            Some(&gio::Action::print_detailed_name(
                "win.vm-power",
                Some(&target.to_variant()),
            )),
        );
    }
    menu.append_section(None, &power);
    let delete = gio::Menu::new();
    let target = format!("{index}\t{}", domain.uuid);
    delete.append(
        Some(&gettext("Delete…")),
        Some(&gio::Action::print_detailed_name(
            "win.vm-delete",
            Some(&target.to_variant()),
        )),
    );
    menu.append_section(None, &delete);
    menu
}

fn domain_row(index: usize, domain: &DomainSummary) -> (adw::ActionRow, Option<RowHandle>) {
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
    let actions = gtk::MenuButton::builder()
        .icon_name("view-more-symbolic")
        .valign(gtk::Align::Center)
        .menu_model(&domain_menu(index, domain))
        .tooltip_text(gettext("Actions"))
        .build();
    actions.add_css_class("flat");
    actions.set_accessible_label(&gettext_f("Actions for {name}", &[("name", &domain.name)]));
    // Only active VMs use anything.
    let handle = domain
        .state
        .is_active()
        .then(|| RowHandle::attach(&row, &domain.name, state_label(domain.state)));
    row.add_suffix(&actions);
    (row, handle)
}

fn glib_escape(text: &str) -> String {
    relm4::gtk::glib::markup_escape_text(text).to_string()
}

/// A button that (re)opens connection `index`.
fn retry_button(label: &str, index: usize, retry: impl Fn(usize) + 'static) -> gtk::Button {
    let button = gtk::Button::builder()
        .label(label)
        .valign(gtk::Align::Center)
        .build();
    button.connect_clicked(move |_| retry(index));
    button
}

/// Replace the children of `container` with one group per connection.
/// `retry(index)` is called when the user asks to reconnect a failed one.
pub fn rebuild(
    container: &gtk::Box,
    connections: &[ConnectionView],
    retry: impl Fn(usize) + Clone + 'static,
    host: impl Fn(usize) + Clone + 'static,
) -> HashMap<(usize, String), RowHandle> {
    let mut handles = HashMap::new();
    while let Some(child) = container.first_child() {
        container.remove(&child);
    }
    for (index, view) in connections.iter().enumerate() {
        let group = adw::PreferencesGroup::builder()
            .title(glib_escape(&view.uri))
            .build();
        match &view.status {
            ConnStatus::Disconnected => {
                let row = adw::ActionRow::builder()
                    .title(gettext("Not connected"))
                    .build();
                row.add_suffix(&retry_button(&gettext("Connect"), index, retry.clone()));
                group.add(&row);
            }
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
                row.add_suffix(&retry_button(&gettext("Try Again"), index, retry.clone()));
                group.add(&row);
            }
            ConnStatus::Connected { domains, .. } => {
                let details = gtk::Button::builder()
                    .label(gettext("Host Details"))
                    .valign(gtk::Align::Center)
                    .build();
                details.add_css_class("flat");
                let host = host.clone();
                details.connect_clicked(move |_| host(index));
                group.set_header_suffix(Some(&details));
                if domains.is_empty() {
                    let row = adw::ActionRow::builder()
                        .title(gettext("No virtual machines on this connection"))
                        .build();
                    group.add(&row);
                }
                for domain in domains {
                    let (row, handle) = domain_row(index, domain);
                    group.add(&row);
                    if let Some(h) = handle {
                        handles.insert((index, domain.uuid.clone()), h);
                    }
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
    handles
}
