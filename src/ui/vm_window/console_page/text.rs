//! The console page's text console: a guest's serial port (or virtio
//! console) through libvirt, shown in a terminal. A VM without graphics
//! opens on its first one; a console another client holds offers Take
//! Over.

use std::rc::Rc;

use gettextrs::gettext;
use relm4::ComponentSender;
use relm4::gtk::{glib, prelude::*};

use super::{ConsoleCmd, ConsoleInput, ConsoleOutput, ConsolePage, ConsoleState};
use crate::core::libvirt::{Error, ErrorKind, TextConsole, TextDevice, TextEvent};
use crate::ui::a11y::AccessibleLabelExt;
use crate::ui::i18n::gettext_f;

/// The menu label of a text console: "Serial 1", "Text Console 1".
pub fn label(device: &TextDevice) -> String {
    let n = device.number.to_string();
    if device.kind == "virtio" {
        gettext_f("Text Console {n}", &[("n", &n)])
    } else {
        gettext_f("Serial {n}", &[("n", &n)])
    }
}

impl ConsolePage {
    /// Open text console `alias` (`None`: the first the guest has);
    /// `force` takes it over from another client.
    pub(super) fn connect_text(
        &mut self,
        alias: Option<String>,
        force: bool,
        sender: &ComponentSender<Self>,
    ) {
        self.close_text();
        self.session = None;
        self.view.set_input(None);
        self.set_sound(false, sender);
        self.attempt += 1;
        self.console = ConsoleState::Connecting;
        let (conn, uuid, attempt) = (self.conn.clone(), self.uuid.clone(), self.attempt);
        sender.oneshot_command(async move {
            let devices = match conn.text_devices(&uuid).await {
                Ok(devices) => devices,
                Err(e) => return ConsoleCmd::Text(attempt, Vec::new(), None, Err(e)),
            };
            let Some(alias) = alias.or_else(|| devices.first().map(|d| d.alias.clone())) else {
                return ConsoleCmd::Text(attempt, devices, None, Ok(None));
            };
            let opened = conn.open_text(&uuid, Some(&alias), force).await;
            ConsoleCmd::Text(attempt, devices, Some(alias), opened.map(Some))
        });
    }

    /// The guest's text consoles, told to the shell (its menu) on change.
    pub(super) fn set_text_devices(
        &mut self,
        devices: Vec<TextDevice>,
        sender: &ComponentSender<Self>,
    ) {
        if devices != self.text_devices {
            let _ = sender.output(ConsoleOutput::TextConsoles(
                devices
                    .iter()
                    .map(|d| (d.alias.clone(), label(d)))
                    .collect(),
            ));
            self.text_devices = devices;
        }
    }

    /// Stop showing the text console (the stream closes).
    pub(super) fn close_text(&mut self) {
        if let Some(reader) = self.text_reader.take() {
            reader.abort();
        }
        self.text_console.replace(None);
        self.text_view.ungrab();
    }

    pub(super) fn on_text(
        &mut self,
        devices: Vec<TextDevice>,
        alias: Option<String>,
        opened: Result<Option<TextConsole>, Error>,
        sender: &ComponentSender<Self>,
    ) {
        self.set_text_devices(devices.clone(), sender);
        let shown = alias
            .as_ref()
            .and_then(|a| devices.iter().find(|d| &d.alias == a));
        let title = shown.map(label).unwrap_or_default();
        match opened {
            Ok(Some(console)) => {
                self.text_alias = alias;
                let _ = sender.output(ConsoleOutput::TextShown(self.text_alias.clone()));
                self.stack.set_visible_child_name("text");
                self.text_view.widget().set_accessible_label(&gettext_f(
                    "{console} of {name}",
                    &[("console", &title), ("name", &self.name)],
                ));
                self.console = ConsoleState::Connected;
                self.retries = 0;
                // A line between what an earlier session showed and this one.
                self.text_view.feed(b"\r\n");
                let console = Rc::new(console);
                self.text_console.replace(Some(console.clone()));
                let (view, input, attempt) = (
                    self.text_view.clone(),
                    sender.input_sender().clone(),
                    self.attempt,
                );
                self.text_reader = Some(glib::spawn_future_local(async move {
                    while let Some(event) = console.next().await {
                        match event {
                            TextEvent::Data(bytes) => view.feed(&bytes),
                            TextEvent::Closed(reason) => {
                                input.emit(ConsoleInput::TextClosed(attempt, reason));
                                break;
                            }
                        }
                    }
                }));
                self.text_view.widget().grab_focus();
            }
            Ok(None) => self.message(
                gettext("No Display"),
                gettext("This virtual machine has neither a graphical display nor a text console."),
                None,
            ),
            Err(e) if e.kind == ErrorKind::ConsoleBusy => {
                self.text_alias = alias;
                self.message(
                    gettext("Console in Use"),
                    gettext_f(
                        "Another client (such as “virsh console”) is using {console}. Taking it over disconnects that client.",
                        &[("console", &title)],
                    ),
                    Some("takeover"),
                );
            }
            Err(e) => self.message(
                gettext("Could Not Connect to the Console"),
                e.message,
                Some("reconnect"),
            ),
        }
    }

    pub(super) fn on_text_closed(&mut self, attempt: u64, reason: Option<String>) {
        if attempt != self.attempt {
            return;
        }
        self.close_text();
        if self.active {
            self.message(
                gettext("Console Disconnected"),
                reason.unwrap_or_else(|| {
                    gettext(
                        "The text console was closed (the guest stopped, or another client took it over).",
                    )
                }),
                Some("reconnect"),
            );
            // A stopping guest says so with its own event (asking for its
            // state now could still hear "running").
        } else {
            self.not_running();
        }
    }
}
