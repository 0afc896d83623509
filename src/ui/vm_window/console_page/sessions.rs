//! The console page's session: opened (VNC or SPICE, on a socket from
//! libvirt, an `ssh` tunnel, a UNIX socket or TCP; a SPICE session's other
//! channels get their sockets the same way, when they ask), and what it
//! reports.

use gettextrs::gettext;
use std::os::fd::OwnedFd;

use relm4::ComponentSender;
use relm4::gtk::{glib, prelude::*};

use super::{ConsoleInput, ConsoleOutput, ConsolePage, ConsoleState};
use crate::console::{ConsoleEvent, Session, SocketSource, SpiceSession, VncSession};
use crate::core::libvirt::{ConsoleTarget, Protocol};
use crate::ui::i18n::gettext_f;

impl ConsolePage {
    pub(super) fn start_session(&mut self, target: ConsoleTarget, sender: &ComponentSender<Self>) {
        let protocol = match &target {
            ConsoleTarget::NoGraphics => {
                // No graphics: the first text console instead.
                self.want_text = true;
                self.connect_text(None, false, sender);
                return;
            }
            ConsoleTarget::NotRunning => {
                self.not_running();
                return;
            }
            ConsoleTarget::Fd { protocol, .. }
            | ConsoleTarget::Socket { protocol, .. }
            | ConsoleTarget::Tcp { protocol, .. }
            | ConsoleTarget::Tunnel { protocol, .. } => *protocol,
        };
        self.tunnel = None;
        self.channel_tunnels.borrow_mut().clear();
        self.stack.set_visible_child_name("graphics");
        let _ = sender.output(ConsoleOutput::TextShown(None));
        let opened = match protocol {
            Protocol::Vnc => self.open_vnc(target, sender),
            Protocol::Spice => self.open_spice(target, sender),
        };
        if let Err(e) = opened {
            self.message(
                gettext("Could Not Connect to the Console"),
                e,
                Some("reconnect"),
            );
        }
    }

    fn listen(&self, session: &dyn Session, sender: &ComponentSender<Self>) {
        let input = sender.input_sender().clone();
        session.connect_event(Box::new(move |e| {
            input.emit(ConsoleInput::Console(e.clone()))
        }));
    }

    fn open_vnc(
        &mut self,
        target: ConsoleTarget,
        sender: &ComponentSender<Self>,
    ) -> Result<(), String> {
        let local = matches!(
            target,
            ConsoleTarget::Fd { .. } | ConsoleTarget::Socket { .. }
        );
        let session = VncSession::new(&self.view, local);
        self.listen(&session, sender);
        self.open_on(
            target,
            |fd| session.open_fd(fd),
            |path| session.open_socket(path),
            |host, port, _| {
                let port =
                    port.ok_or_else(|| gettext("The display has no plain (non-TLS) port"))?;
                session.open_host(host, port)
            },
        )?;
        session.set_muted(self.muted);
        self.session = Some(Box::new(session));
        Ok(())
    }

    /// Open `target` through the session's own calls: a connected socket
    /// (kept with its `ssh` tunnel), a UNIX socket, or TCP.
    fn open_on(
        &mut self,
        target: ConsoleTarget,
        open_fd: impl FnOnce(OwnedFd) -> Result<(), String>,
        open_socket: impl FnOnce(&str) -> Result<(), String>,
        open_tcp: impl FnOnce(&str, Option<u16>, Option<(u16, String)>) -> Result<(), String>,
    ) -> Result<(), String> {
        match target {
            ConsoleTarget::Fd { fd, .. } => open_fd(fd),
            ConsoleTarget::Tunnel { fd, tunnel, .. } => {
                self.tunnel = Some(tunnel);
                open_fd(fd)
            }
            ConsoleTarget::Socket { path, .. } => open_socket(&path),
            ConsoleTarget::Tcp {
                host, port, tls, ..
            } => open_tcp(&host, port, tls),
            ConsoleTarget::NoGraphics | ConsoleTarget::NotRunning => Ok(()),
        }
    }

    /// A SPICE session: on a socket from libvirt (or `ssh`), each further
    /// channel gets a socket of its own the same way, asked for when the
    /// channel asks.
    fn open_spice(
        &mut self,
        target: ConsoleTarget,
        sender: &ComponentSender<Self>,
    ) -> Result<(), String> {
        let sockets = match &target {
            ConsoleTarget::Fd { index, .. } | ConsoleTarget::Tunnel { index, .. } => {
                let (conn, uuid, index) = (self.conn.clone(), self.uuid.clone(), *index);
                let tunnels = self.channel_tunnels.clone();
                let source: SocketSource = std::rc::Rc::new(move |reply| {
                    let (conn, uuid, tunnels) = (conn.clone(), uuid.clone(), tunnels.clone());
                    glib::spawn_future_local(async move {
                        let socket = conn.channel_socket(&uuid, index).await;
                        reply(
                            socket
                                .map(|s| {
                                    tunnels.borrow_mut().extend(s.tunnel);
                                    s.fd
                                })
                                .map_err(|e| e.message),
                        );
                    });
                });
                Some(source)
            }
            _ => None,
        };
        let session = SpiceSession::new(&self.view, sockets);
        self.listen(&session, sender);
        self.open_on(
            target,
            |fd| session.open_fd(fd),
            |path| session.open_socket(path),
            |host, port, tls| session.open_host(host, port, tls),
        )?;
        session.set_muted(self.muted);
        session.share_clipboard(self.share_clipboard);
        self.session = Some(Box::new(session));
        Ok(())
    }

    pub(super) fn on_console_event(&mut self, event: ConsoleEvent, sender: &ComponentSender<Self>) {
        match event {
            ConsoleEvent::Connected => {}
            ConsoleEvent::Sound => self.set_sound(true, sender),
            ConsoleEvent::Agent(agent) => {
                if self.agent != Some(agent) {
                    self.agent = Some(agent);
                    self.tell_clipboard(sender);
                }
            }
            ConsoleEvent::Initialized { .. } | ConsoleEvent::Resized { .. } => {
                self.console = ConsoleState::Connected;
                self.retries = 0;
                self.view.grab_focus();
            }
            ConsoleEvent::PasswordNeeded => {
                // No watchdog while the user types: it restarts with the
                // answer. Behind the dialog (and after Cancel) the console
                // says what it waits for.
                self.attempt += 1;
                self.message(
                    gettext("Password Needed"),
                    gettext_f(
                        "The display of “{name}” asks for a password.",
                        &[("name", &self.name)],
                    ),
                    Some("password"),
                );
                self.ask_password(sender);
            }
            ConsoleEvent::AuthFailed(reason) => Self::toast(
                sender,
                gettext_f(
                    "The console refused the password: {reason}",
                    &[("reason", &reason)],
                ),
            ),
            ConsoleEvent::PointerMode { absolute } => {
                if !absolute {
                    Self::toast(
                        sender,
                        gettext(
                            "The guest has no tablet: the pointer may not follow the mouse. Add a USB tablet to the VM.",
                        ),
                    );
                }
            }
            ConsoleEvent::Disconnected(reason) => {
                self.session = None;
                self.set_sound(false, sender);
                if self.agent.take().is_some() {
                    self.tell_clipboard(sender);
                }
                self.tunnel = None;
                self.channel_tunnels.borrow_mut().clear();
                self.view.ungrab();
                if self.active {
                    self.message(
                        gettext("Console Disconnected"),
                        reason.unwrap_or_else(|| {
                            gettext("The connection to the display was closed.")
                        }),
                        Some("reconnect"),
                    );
                    // A rebooting guest's display comes back with its
                    // Started event; a stop arrives as an event too.
                    // (Connecting while QEMU shuts down has left later gvnc
                    // connections stalled, so no retry here.)
                    let _ = sender.output(ConsoleOutput::CheckState);
                } else {
                    self.not_running();
                }
            }
        }
    }
}
