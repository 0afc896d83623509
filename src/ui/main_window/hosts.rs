//! Several hosts in one window: how their VMs are shown (grouped by host,
//! one list sorted across hosts, or one host only: the `win.list-hosts`
//! action and its menu section), each host's load in its header, and
//! closing a host's connection from its header.

use gettextrs::gettext;
use relm4::ComponentSender;
use relm4::gtk::{gio, glib, prelude::*};

use super::*;
use crate::core::libvirt::HostLoad;
use crate::ui::main_window::vm_item::HeaderLoad;
use crate::ui::main_window::vm_list::HostView;

/// The view a `win.list-hosts` state names: `grouped`, `one-list` or `only:URI`.
fn view_from_id(id: &str, connections: &[ConnectionView]) -> HostView {
    match id.strip_prefix("only:") {
        Some(uri) => connections
            .iter()
            .position(|c| c.uri == uri && !matches!(c.status, ConnStatus::Removed))
            .map_or(HostView::Grouped, HostView::Only),
        None if id == "one-list" => HostView::OneList,
        None => HostView::Grouped,
    }
}

impl App {
    /// The `win.list-hosts` action and the `win.connection-disconnect` one.
    pub(super) fn add_host_actions(
        &self,
        root: &adw::ApplicationWindow,
        sender: &ComponentSender<Self>,
    ) {
        let action = gio::SimpleAction::new_stateful(
            "list-hosts",
            Some(glib::VariantTy::STRING),
            &"grouped".to_variant(),
        );
        let input = sender.input_sender().clone();
        action.connect_activate(move |a, target| {
            if let Some(id) = target.and_then(|t| t.get::<String>()) {
                a.set_state(&id.to_variant());
                input.emit(AppInput::HostView(id));
            }
        });
        root.add_action(&action);
        let disconnect =
            gio::SimpleAction::new("connection-disconnect", Some(glib::VariantTy::UINT32));
        let input = sender.input_sender().clone();
        disconnect.connect_activate(move |_, target| {
            if let Some(index) = target.and_then(|t| t.get::<u32>()) {
                input.emit(AppInput::Disconnect(index as usize));
            }
        });
        root.add_action(&disconnect);
    }

    pub(super) fn set_host_view(&mut self, id: &str) {
        self.list.set_host_view(view_from_id(id, &self.connections));
        self.update_selection_actions();
    }

    /// Rebuild the menu's host section when the set of hosts changed.
    pub(super) fn sync_hosts_menu(&mut self) {
        let uris: Vec<String> = self
            .connections
            .iter()
            .filter(|c| !matches!(c.status, ConnStatus::Removed))
            .map(|c| c.uri.clone())
            .collect();
        if uris == self.menu_hosts {
            return;
        }
        // A host that went away cannot stay the only one shown.
        if let HostView::Only(i) = self.list.host_view()
            && matches!(
                self.connections.get(i).map(|c| &c.status),
                None | Some(ConnStatus::Removed)
            )
        {
            self.list.set_host_view(HostView::Grouped);
        }
        let menu = &self.hosts_menu;
        menu.remove_all();
        let item = |label: &str, id: &str| {
            menu.append(
                Some(label),
                Some(&gio::Action::print_detailed_name(
                    "win.list-hosts",
                    Some(&id.to_variant()),
                )),
            );
        };
        item(&gettext("All Hosts, Grouped"), "grouped");
        item(&gettext("All Hosts, One List"), "one-list");
        if uris.len() > 1 {
            for uri in &uris {
                item(
                    &gettext_f("Only {host}", &[("host", &uri::host_label(uri))]),
                    &format!("only:{uri}"),
                );
            }
        }
        self.menu_hosts = uris;
    }

    /// A new sample of a host's counters: its header shows the load.
    pub(super) fn show_host_load(&mut self, index: usize, now: HostLoad) {
        let cpu_percent = self
            .host_loads
            .get(&index)
            .and_then(|prev| HostLoad::cpu_percent(prev, &now));
        self.host_loads.insert(index, now);
        // Without the host's free memory, what its running guests were given.
        let given = || match &self.connections.get(index)?.status {
            ConnStatus::Connected { domains, .. } => Some(
                domains
                    .iter()
                    .filter(|d| d.state.is_active())
                    .map(|d| d.memory_kib)
                    .sum(),
            ),
            _ => None,
        };
        let load = HeaderLoad {
            cpu_percent,
            memory_used_kib: now.memory_used_kib().or_else(given),
            memory_total_kib: now.memory_total_kib,
        };
        // Kept for the header made by the next rebuild (a first sample can
        // come before the list has the host's header; unchanged samples are
        // not sent again).
        self.header_loads.insert(index, load);
        self.list.show_load(index, load);
    }

    /// Rebuild the list once the main loop is idle: the answers of twenty
    /// hosts arriving together cost one rebuild (and one sort), not twenty.
    pub(super) fn schedule_rebuild(&mut self, sender: &ComponentSender<Self>) {
        if self.rebuild_queued {
            return;
        }
        self.rebuild_queued = true;
        let input = sender.input_sender().clone();
        // Above GTK's redraws: with frames that take longer than the frame
        // interval (many rows, a software renderer), a default idle could
        // wait for as long as something animates.
        glib::idle_add_local_full(glib::Priority::HIGH_IDLE, move || {
            input.emit(AppInput::Rebuild);
            glib::ControlFlow::Break
        });
    }

    /// Host `back` has just come back after a loss: hosts lost with it
    /// (a network or a data centre back) are tried again now, not at their
    /// next scheduled attempt.
    pub(super) fn nudge_lost_hosts(&self, back: usize, sender: &ComponentSender<Self>) {
        for (i, c) in self.connections.iter().enumerate() {
            if i != back && c.reconnects > 0 && matches!(c.status, ConnStatus::Failed(_)) {
                self.try_open(i, true, sender);
            }
        }
    }

    /// With `VIREO_TRACE_STARTUP` set, print a line each time every host
    /// has become connected (the hosts benchmark reads it).
    pub(super) fn trace_all_connected(&mut self) {
        static TRACE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        if !*TRACE.get_or_init(|| std::env::var_os("VIREO_TRACE_STARTUP").is_some()) {
            return;
        }
        let hosts = || {
            self.connections
                .iter()
                .filter(|c| !matches!(c.status, ConnStatus::Removed | ConnStatus::Disconnected))
        };
        let all = self.started
            && hosts().next().is_some()
            && hosts().all(|c| matches!(c.status, ConnStatus::Connected { .. }));
        if all && !self.all_connected {
            let vms: usize = hosts()
                .map(|c| match &c.status {
                    ConnStatus::Connected { domains, .. } => domains.len(),
                    _ => 0,
                })
                .sum();
            crate::ui::trace(&format!("all hosts connected ({vms} VMs)"));
        }
        self.all_connected = all;
    }

    /// Close a host's connection (its VM windows keep theirs).
    pub(super) fn disconnect(&mut self, index: usize, sender: &ComponentSender<Self>) {
        if let Some(view) = self.connections.get_mut(index)
            && matches!(view.status, ConnStatus::Connected { .. })
        {
            view.status = ConnStatus::Disconnected;
            view.reconnects = 0;
            view.kept.clear();
            self.usage.retain(|(i, _), _| *i != index);
            self.host_loads.remove(&index);
            self.header_loads.remove(&index);
            self.rebuild_list(sender);
        }
    }
}
