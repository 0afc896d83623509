//! The windows the main window opens: a VM's window (one per VM, presented
//! again when asked twice), the New VM assistant, and what the command line
//! asked to show once its connection is open.

#![allow(unused_imports)]
use gettextrs::gettext;
use relm4::adw::{self, prelude::*};
use relm4::gtk::{self, gio, glib};
use relm4::{Component, ComponentController, ComponentSender};

use super::*;

impl App {
    pub(super) fn open_vm_window(
        &mut self,
        index: usize,
        uuid: String,
        conn: Connection,
        name: String,
        begin_install: bool,
        sender: &ComponentSender<Self>,
    ) {
        let window = VmWindow::builder()
            .launch(VmWindowInit {
                conn,
                uuid: uuid.clone(),
                name,
                settings: self.settings.clone(),
                begin_install,
            })
            .detach();
        let input = sender.input_sender().clone();
        let key = (index, uuid.clone());
        window.widget().connect_close_request(move |_| {
            input.emit(AppInput::VmWindowClosed {
                index,
                uuid: uuid.clone(),
            });
            glib::Propagation::Proceed
        });
        self.vm_windows.insert(key, window);
    }

    /// Open the New VM wizard (or present the open one) on the connected
    /// connections, starting with the selected VM's.
    pub(super) fn show_creator(
        &mut self,
        root: &adw::ApplicationWindow,
        sender: &ComponentSender<Self>,
    ) {
        if let Some(w) = &self.wizard {
            w.widget().present();
            return;
        }
        let connections: Vec<(usize, String, Connection)> = self
            .connections
            .iter()
            .enumerate()
            .filter_map(|(i, c)| match &c.status {
                ConnStatus::Connected { conn, .. } => Some((i, c.uri.clone(), conn.clone())),
                _ => None,
            })
            .collect();
        if connections.is_empty() {
            self.toast(&gettext(
                "Connect to a host first: new virtual machines need one",
            ));
            return;
        }
        let selected = self
            .list
            .selected()
            .and_then(|(index, _)| connections.iter().position(|c| c.0 == index))
            .unwrap_or(0);
        let input = sender.input_sender().clone();
        let wizard = Wizard::builder()
            .launch(WizardInit {
                connections,
                selected,
                parent: Some(root.clone().upcast()),
            })
            .forward(sender.input_sender(), |out| match out {
                WizardOutput::Created {
                    index,
                    uuid,
                    name,
                    started,
                } => AppInput::Created {
                    index,
                    uuid,
                    name,
                    started,
                },
            });
        wizard.widget().connect_close_request(move |_| {
            input.emit(AppInput::WizardClosed);
            glib::Propagation::Proceed
        });
        self.wizard = Some(wizard);
    }

    pub(super) fn serve_pending_show(&mut self, sender: &ComponentSender<Self>) {
        let Some((index, conn)) =
            self.connections
                .iter()
                .enumerate()
                .find_map(|(i, c)| match &c.status {
                    ConnStatus::Connected { conn, .. } => Some((i, conn.clone())),
                    _ => None,
                })
        else {
            if self
                .connections
                .iter()
                .all(|c| matches!(c.status, ConnStatus::Failed(_)))
            {
                self.pending_show = None;
            }
            return;
        };
        let (what, key) = match self.pending_show.take() {
            None => return,
            Some(Show::DomainCreator) => {
                sender.input(AppInput::ShowCreator);
                return;
            }
            Some(Show::DomainConsole(key)) => (ShowWhat::Console, key),
            Some(Show::DomainEditor(key)) => (ShowWhat::Editor, key),
        };
        sender.oneshot_command(async move {
            let result = conn.lookup_domain(&key).await;
            AppCommandOutput::ShowTarget {
                index,
                what,
                key,
                result,
            }
        });
    }
}

impl App {
    /// The app-level `app.vm-migrate` action ("URI\tUUID"), for VM windows.
    pub(super) fn add_migrate_action(sender: &ComponentSender<Self>) {
        let action = gio::SimpleAction::new("vm-migrate", Some(glib::VariantTy::STRING));
        let input = sender.input_sender().clone();
        action.connect_activate(move |_, target| {
            if let Some(target) = target.and_then(|t| t.get::<String>())
                && let Some((uri, uuid)) = target.split_once('\t')
            {
                input.emit(AppInput::MigrateFrom {
                    uri: uri.to_owned(),
                    uuid: uuid.to_owned(),
                });
            }
        });
        relm4::main_application().add_action(&action);
    }

    /// Open the Migrate dialog of VM `uuid` of connection `index`, over
    /// its window when one is open.
    pub(super) fn show_migrate(
        &mut self,
        index: usize,
        uuid: String,
        root: &adw::ApplicationWindow,
        sender: &ComponentSender<Self>,
    ) {
        use crate::ui::dialogs::migrate::{Destination, MigrateDialog, MigrateInit, MigrateOutput};
        let Some((conn, name)) = self.domain(index, &uuid) else {
            return;
        };
        let running = match &self.connections[index].status {
            ConnStatus::Connected { domains, .. } => domains
                .iter()
                .any(|d| d.uuid == uuid && d.state.is_active()),
            _ => false,
        };
        let destinations = self
            .connections
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != index)
            .filter_map(|(i, c)| match &c.status {
                ConnStatus::Connected { conn, .. } => Some(Destination {
                    index: i,
                    uri: c.uri.clone(),
                    conn: conn.clone(),
                }),
                _ => None,
            })
            .collect();
        let parent: gtk::Window = match self.vm_windows.get(&(index, uuid.clone())) {
            Some(w) => w.widget().clone().upcast(),
            None => root.clone().upcast(),
        };
        let from = index;
        let dialog = MigrateDialog::builder()
            .launch(MigrateInit {
                conn,
                uuid,
                name,
                running,
                destinations,
                parent: Some(parent),
            })
            .forward(sender.input_sender(), move |out| match out {
                MigrateOutput::Moved {
                    index,
                    uuid,
                    name,
                    downtime_ms,
                } => AppInput::Migrated {
                    from,
                    index,
                    uuid,
                    name,
                    downtime_ms,
                },
            });
        self.migrate_dialog = Some(dialog);
    }

    /// After a move: say so, and let the VM's
    /// window follow it to its new host.
    pub(super) fn migrated(
        &mut self,
        from: usize,
        index: usize,
        uuid: String,
        name: String,
        downtime_ms: Option<u64>,
        sender: &ComponentSender<Self>,
    ) {
        self.migrate_dialog = None;
        let host = self
            .connections
            .get(index)
            .map(|c| c.uri.clone())
            .unwrap_or_default();
        let text = match downtime_ms {
            Some(ms) => gettext_f(
                "Moved “{name}” to {host} (paused for {ms} ms)",
                &[("name", &name), ("host", &host), ("ms", &ms.to_string())],
            ),
            None => gettext_f(
                "Moved “{name}” to {host}",
                &[("name", &name), ("host", &host)],
            ),
        };
        // Both hosts' lists follow libvirt's lifecycle events.
        self.toast(&text);
        if let Some(window) = self.vm_windows.remove(&(from, uuid.clone())) {
            window.widget().destroy();
            if let Some(ConnStatus::Connected { conn, .. }) =
                self.connections.get(index).map(|c| &c.status)
            {
                let conn = conn.clone();
                self.open_vm_window(index, uuid, conn, name, false, sender);
            }
        }
    }
}
