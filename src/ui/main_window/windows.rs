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
