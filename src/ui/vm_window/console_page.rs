//! The Console page of a VM window: the guest's screen in a
//! [`ConsoleView`], the session that feeds it, and a status page over it
//! when there is nothing to show (connecting, not running, disconnected,
//! password needed). It follows the guest's life from what the shell
//! forwards, reconnects by itself, and reports toasts and the keyboard grab
//! to the shell.

use gettextrs::gettext;
use relm4::adw::{self, prelude::*};
use relm4::gtk::{self, gdk, gio, glib};
use relm4::{Component, ComponentParts, ComponentSender};

use crate::console::{ConsoleView, Session, TextView, parse_release_combo};
use crate::core::libvirt::{Connection, Protocol, TextConsole, TextDevice};
use crate::ui::a11y::AccessibleLabelExt;
use crate::ui::dialog;
use crate::ui::i18n::gettext_f;

mod files;
mod messages;
mod sessions;
mod text;

use messages::ConsoleState;
pub use messages::{ConsoleCmd, ConsoleInput, ConsoleOutput};

pub struct ConsolePageInit {
    pub conn: Connection,
    pub uuid: String,
    pub name: String,
    pub settings: gio::Settings,
}

pub struct ConsolePage {
    conn: Connection,
    uuid: String,
    name: String,
    active: bool,
    view: ConsoleView,
    session: Option<Box<dyn Session>>,
    /// The `ssh` that carries the session's connection (SSH hosts).
    tunnel: Option<crate::core::libvirt::tunnel::Tunnel>,
    /// The `ssh`s of a SPICE session's other channels.
    channel_tunnels: std::rc::Rc<std::cell::RefCell<Vec<crate::core::libvirt::tunnel::Tunnel>>>,
    /// Bumped on every connection attempt: late answers are dropped.
    attempt: u64,
    /// Automatic reconnects since the screen was last shown.
    retries: u32,
    console: ConsoleState,
    /// The display the user chose (`None`: the first).
    display: Option<u32>,
    /// The VM's displays and the one shown, as last reported.
    displays: Vec<(u32, Protocol)>,
    shown: Option<u32>,
    /// The session plays the guest's sound; the user muted it.
    sound: bool,
    muted: bool,
    /// Share the clipboard with the guest (Preferences).
    share_clipboard: bool,
    /// The session's guest has an agent (`None`: not a SPICE session).
    agent: Option<bool>,
    /// The graphical console and the text console, one shown at a time.
    stack: gtk::Stack,
    text_view: TextView,
    /// The open text console (the terminal's input goes to it).
    text_console: std::rc::Rc<std::cell::RefCell<Option<std::rc::Rc<TextConsole>>>>,
    text_reader: Option<glib::JoinHandle<()>>,
    /// The text console shown or wanted (its alias), and whether the page
    /// shows text rather than graphics.
    text_alias: Option<String>,
    want_text: bool,
    text_devices: Vec<TextDevice>,
    settings: gio::Settings,
    /// The settings handlers this page connected, gone with it.
    settings_watch: Vec<glib::SignalHandlerId>,
}

pub struct ConsoleWidgets {
    status: adw::StatusPage,
    status_button: gtk::Button,
}

/// "Ctrl+Alt" for the release combo.
fn modifiers_label(mods: gdk::ModifierType) -> String {
    let mut parts = Vec::new();
    for (m, name) in [
        (gdk::ModifierType::CONTROL_MASK, "Ctrl"),
        (gdk::ModifierType::ALT_MASK, "Alt"),
        (gdk::ModifierType::SHIFT_MASK, "Shift"),
        (gdk::ModifierType::SUPER_MASK, "Super"),
    ] {
        if mods.contains(m) {
            parts.push(name);
        }
    }
    parts.join("+")
}

impl ConsolePage {
    /// Tell the shell what the console's menu says of the clipboard.
    fn tell_clipboard(&self, sender: &ComponentSender<Self>) {
        let status = self.agent.map(|agent| match (agent, self.share_clipboard) {
            (true, true) => gettext("Clipboard shared with the guest"),
            (true, false) => gettext("Clipboard not shared (see Preferences)"),
            (false, _) => gettext("No shared clipboard: the guest has no spice-vdagent"),
        });
        let _ = sender.output(ConsoleOutput::Clipboard(status));
    }

    fn toast(sender: &ComponentSender<Self>, text: String) {
        let _ = sender.output(ConsoleOutput::Toast(text));
    }

    fn connect_console(&mut self, sender: &ComponentSender<Self>) {
        if self.want_text {
            return self.connect_text(self.text_alias.clone(), false, sender);
        }
        self.close_text();
        self.session = None;
        self.set_sound(false, sender);
        self.attempt += 1;
        self.console = ConsoleState::Connecting;
        let (conn, uuid, attempt) = (self.conn.clone(), self.uuid.clone(), self.attempt);
        let display = self.display;
        {
            let (conn, uuid) = (conn.clone(), uuid.clone());
            // The serial ports too, for the menu (beside the graphics).
            sender.oneshot_command(async move {
                ConsoleCmd::TextDevices(conn.text_devices(&uuid).await.unwrap_or_default())
            });
        }
        sender.oneshot_command(async move {
            ConsoleCmd::Target(attempt, conn.open_console(&uuid, display).await)
        });
        self.arm_watchdog(sender);
    }

    /// Retry the current attempt if it has not shown the screen in 8 s.
    fn arm_watchdog(&self, sender: &ComponentSender<Self>) {
        let attempt = self.attempt;
        sender.oneshot_command(async move {
            tokio::time::sleep(std::time::Duration::from_secs(8)).await;
            ConsoleCmd::Watchdog(attempt)
        });
    }

    /// Connect after `delay`, unless another attempt starts first.
    fn connect_after(&mut self, delay: std::time::Duration, sender: &ComponentSender<Self>) {
        self.attempt += 1;
        let attempt = self.attempt;
        sender.oneshot_command(async move {
            tokio::time::sleep(delay).await;
            ConsoleCmd::ConnectDue(attempt)
        });
    }

    fn message(&mut self, title: String, description: String, action: Option<&'static str>) {
        self.console = ConsoleState::Message {
            title,
            description,
            action,
        };
    }

    /// Whether the guest's sound plays here, told to the shell on change.
    fn set_sound(&mut self, sound: bool, sender: &ComponentSender<Self>) {
        if self.sound != sound {
            self.sound = sound;
            let _ = sender.output(ConsoleOutput::Sound(sound));
        }
    }

    fn not_running(&mut self) {
        self.session = None;
        self.tunnel = None;
        self.channel_tunnels.borrow_mut().clear();
        self.message(
            gettext("The Virtual Machine Is Not Running"),
            gettext("Run it to see its screen here."),
            Some("run"),
        );
    }

    fn ask_password(&self, sender: &ComponentSender<Self>) {
        let Some(parent) = self.view.root().and_downcast::<gtk::Window>() else {
            return;
        };
        let entry = adw::PasswordEntryRow::new();
        entry.set_title(&gettext("Password"));
        let group = adw::PreferencesGroup::new();
        group.add(&entry);
        let input = sender.input_sender().clone();
        let field = entry.clone();
        dialog::show(
            &parent,
            dialog::Texts {
                heading: &gettext("Console Password"),
                body: Some(&gettext_f(
                    "The display of “{name}” asks for a password.",
                    &[("name", &self.name)],
                )),
                cancel: &gettext("Cancel"),
                confirm: &gettext("Connect"),
            },
            Some(group.upcast_ref()),
            dialog::Confirm::Suggested,
            move || input.emit(ConsoleInput::Password(field.text().to_string())),
        );
        entry.grab_focus();
    }
}

impl Component for ConsolePage {
    type Init = ConsolePageInit;
    type Input = ConsoleInput;
    type Output = ConsoleOutput;
    type CommandOutput = ConsoleCmd;
    type Root = gtk::Overlay;
    type Widgets = ConsoleWidgets;

    fn init_root() -> gtk::Overlay {
        gtk::Overlay::new()
    }

    fn init(
        init: ConsolePageInit,
        root: gtk::Overlay,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let view = ConsoleView::new();
        // The text console's terminal, shown instead when a serial port is.
        let text_view = TextView::new();
        view.set_accessible_label(&gettext_f("Console of {name}", &[("name", &init.name)]));
        if let Some(mods) = parse_release_combo(&init.settings.string("console-release-keys")) {
            view.set_release_modifiers(mods);
        }
        let mut settings_watch = Vec::new();
        {
            let view = view.downgrade();
            let text = text_view.clone();
            settings_watch.push(init.settings.connect_changed(
                Some("console-release-keys"),
                move |s, key| {
                    if let (Some(view), Some(mods)) =
                        (view.upgrade(), parse_release_combo(&s.string(key)))
                    {
                        view.set_release_modifiers(mods);
                        text.set_release_modifiers(mods);
                    }
                },
            ));
        }
        {
            let sender = sender.clone();
            settings_watch.push(init.settings.connect_changed(
                Some("share-clipboard"),
                move |s, key| {
                    let _ = sender
                        .input_sender()
                        .send(ConsoleInput::ShareClipboard(s.boolean(key)));
                },
            ));
        }
        {
            let sender = sender.clone();
            let weak = view.downgrade();
            view.connect_grab_changed(move |grabbed| {
                let label = weak
                    .upgrade()
                    .filter(|_| grabbed)
                    .map(|v| modifiers_label(v.release_modifiers()));
                let _ = sender.output(ConsoleOutput::Grab(label));
            });
        }
        {
            // A display that cannot be resized from here: the shell fits it.
            let sender = sender.clone();
            view.connect_resize_refused(move || sender.input(ConsoleInput::ResizeRefused));
        }

        // The view, with a status page over it when there is nothing to show.
        let scroller = gtk::ScrolledWindow::builder()
            .child(&view)
            .hscrollbar_policy(gtk::PolicyType::Automatic)
            .vscrollbar_policy(gtk::PolicyType::Automatic)
            .build();
        if let Some(mods) = parse_release_combo(&init.settings.string("console-release-keys")) {
            text_view.set_release_modifiers(mods);
        }
        let text_console: std::rc::Rc<std::cell::RefCell<Option<std::rc::Rc<TextConsole>>>> =
            Default::default();
        {
            let open = text_console.clone();
            text_view.connect_input(move |bytes| {
                if let Some(console) = open.borrow().as_ref() {
                    console.send(bytes);
                }
            });
            let sender = sender.clone();
            let mods = text_view.clone();
            text_view.connect_grab_changed(move |grabbed| {
                let label = grabbed.then(|| modifiers_label(mods.release_modifiers()));
                let _ = sender.output(ConsoleOutput::Grab(label));
            });
        }
        let text_scroller = gtk::ScrolledWindow::builder()
            .child(text_view.widget())
            .hscrollbar_policy(gtk::PolicyType::Never)
            .vscrollbar_policy(gtk::PolicyType::Automatic)
            .build();
        let stack = gtk::Stack::new();
        stack.add_named(&scroller, Some("graphics"));
        stack.add_named(&text_scroller, Some("text"));
        root.set_child(Some(&stack));
        let status = adw::StatusPage::builder()
            .icon_name("computer-symbolic")
            .build();
        status.add_css_class("console-status");
        let status_button = gtk::Button::builder().halign(gtk::Align::Center).build();
        status_button.add_css_class("pill");
        status_button.add_css_class("suggested-action");
        let status_box = gtk::Box::new(gtk::Orientation::Vertical, 12);
        status_box.append(&status_button);
        status.set_child(Some(&status_box));
        root.add_overlay(&status);
        {
            let sender = sender.clone();
            status_button.connect_clicked(move |b| match b.widget_name().as_str() {
                "run" => {
                    let _ = sender.output(ConsoleOutput::Run);
                }
                "password" => sender.input(ConsoleInput::AskPassword),
                "takeover" => sender.input(ConsoleInput::TakeOver),
                _ => sender.input(ConsoleInput::Reconnect),
            });
        }

        let model = ConsolePage {
            conn: init.conn,
            uuid: init.uuid,
            name: init.name,
            active: false,
            view,
            session: None,
            tunnel: None,
            channel_tunnels: Default::default(),
            attempt: 0,
            retries: 0,
            console: ConsoleState::Connecting,
            display: None,
            displays: Vec::new(),
            shown: None,
            sound: false,
            muted: false,
            share_clipboard: init.settings.boolean("share-clipboard"),
            agent: None,
            stack,
            text_view,
            text_console,
            text_reader: None,
            text_alias: None,
            want_text: false,
            text_devices: Vec::new(),
            settings: init.settings,
            settings_watch,
        };
        let widgets = ConsoleWidgets {
            status,
            status_button,
        };
        ComponentParts { model, widgets }
    }

    fn shutdown(&mut self, _widgets: &mut Self::Widgets, _output: relm4::Sender<Self::Output>) {
        for watch in self.settings_watch.drain(..) {
            self.settings.disconnect(watch);
        }
    }

    fn update(&mut self, msg: ConsoleInput, sender: ComponentSender<Self>, _root: &gtk::Overlay) {
        match msg {
            ConsoleInput::Active(active) => {
                let was_active = self.active;
                self.active = active;
                if active && !was_active && self.session.is_none() {
                    self.connect_console(&sender);
                } else if !active {
                    self.not_running();
                }
            }
            ConsoleInput::Started => {
                self.active = true;
                // QEMU's display is up shortly after the start event.
                self.console = ConsoleState::Connecting;
                self.connect_after(std::time::Duration::from_millis(500), &sender);
            }
            ConsoleInput::Stopped => {
                self.active = false;
                self.close_text();
                self.set_sound(false, &sender);
                self.view.ungrab();
                self.not_running();
            }
            ConsoleInput::Deleted => self.message(
                gettext("Virtual Machine Deleted"),
                gettext("This virtual machine no longer exists."),
                None,
            ),
            ConsoleInput::Unavailable(reason) => {
                self.message(gettext("Virtual Machine Not Available"), reason, None)
            }
            ConsoleInput::ConnectionLost => {
                self.session = None;
                self.message(
                    gettext("Connection Lost"),
                    gettext("The connection to libvirt was lost."),
                    None,
                );
            }
            ConsoleInput::Renamed(name) => self.name = name,
            ConsoleInput::Reconnect => {
                if self.active {
                    self.connect_console(&sender);
                } else {
                    let _ = sender.output(ConsoleOutput::CheckState);
                }
            }
            ConsoleInput::Console(event) => self.on_console_event(event, &sender),
            ConsoleInput::SendKeys(keys) => {
                if self.session.is_some() {
                    self.view.send_keys(&keys);
                    self.view.grab_focus();
                }
            }
            ConsoleInput::TypeClipboard => {
                let input = sender.input_sender().clone();
                self.view
                    .clipboard()
                    .read_text_async(None::<&gio::Cancellable>, move |text| {
                        if let Ok(Some(text)) = text {
                            input.emit(ConsoleInput::Type(text.to_string()));
                        }
                    });
            }
            ConsoleInput::Type(text) => {
                if self.session.is_none() {
                    return;
                }
                let missing = self.view.type_text(&text);
                if !missing.is_empty() {
                    let chars: String = missing.into_iter().collect();
                    Self::toast(
                        &sender,
                        gettext_f(
                            "Some characters have no key on this keyboard layout and were skipped: {chars}",
                            &[("chars", &chars)],
                        ),
                    );
                }
            }
            ConsoleInput::Screenshot => self.screenshot(&sender),
            ConsoleInput::SaveScreenshot(path) => self.save_screenshot(&path, &sender),
            ConsoleInput::Scale(mode) => self.view.set_scale_mode(mode),
            ConsoleInput::Password(password) => {
                if let Some(session) = &self.session {
                    session.provide_password(&password);
                    self.console = ConsoleState::Connecting;
                    self.arm_watchdog(&sender);
                }
            }
            ConsoleInput::AskPassword => {
                if self.session.is_some() {
                    self.ask_password(&sender);
                }
            }
            ConsoleInput::ShareClipboard(share) => {
                self.share_clipboard = share;
                if let Some(session) = &self.session {
                    session.share_clipboard(share);
                }
                self.tell_clipboard(&sender);
            }
            ConsoleInput::Mute(muted) => {
                self.muted = muted;
                if let Some(session) = &self.session {
                    session.set_muted(muted);
                }
            }
            ConsoleInput::ResizeRefused => {
                let spice = self
                    .displays
                    .iter()
                    .any(|&(i, p)| Some(i) == self.shown && p == Protocol::Spice);
                let _ = sender.output(ConsoleOutput::ResizeRefused(if spice {
                    gettext(
                        "Resizing this guest’s display needs the SPICE agent (spice-vdagent) running in the guest: it is scaled to the window instead.",
                    )
                } else {
                    gettext(
                        "This guest’s display cannot be resized from here: it is scaled to the window instead.",
                    )
                }));
            }
            ConsoleInput::UseText(alias) => {
                let changed = alias != self.text_alias || alias.is_some() != self.want_text;
                self.want_text = alias.is_some();
                self.text_alias = alias;
                if changed && self.active {
                    self.view.ungrab();
                    self.connect_console(&sender);
                }
            }
            ConsoleInput::TakeOver => {
                if self.active {
                    self.connect_text(self.text_alias.clone(), true, &sender);
                }
            }
            ConsoleInput::TextClosed(attempt, reason) => self.on_text_closed(attempt, reason),
            ConsoleInput::SaveText => self.save_text(&sender),
            ConsoleInput::UseDisplay(index) => {
                self.display = Some(index);
                self.want_text = false;
                self.text_alias = None;
                if self.active
                    && (self.shown != Some(index) || self.text_console.borrow().is_some())
                {
                    self.view.ungrab();
                    self.connect_console(&sender);
                }
            }
        }
    }

    fn update_cmd(&mut self, msg: ConsoleCmd, sender: ComponentSender<Self>, _root: &gtk::Overlay) {
        match msg {
            ConsoleCmd::Target(attempt, result) if attempt == self.attempt => match result {
                Ok(console) => {
                    if console.displays != self.displays || console.shown != self.shown {
                        self.displays.clone_from(&console.displays);
                        self.shown = console.shown;
                        let _ =
                            sender.output(ConsoleOutput::Displays(console.displays, console.shown));
                    }
                    self.start_session(console.target, &sender)
                }
                Err(e) => self.message(
                    gettext("Could Not Connect to the Console"),
                    e.message,
                    Some("reconnect"),
                ),
            },
            ConsoleCmd::Target(..) => {}
            ConsoleCmd::ConnectDue(attempt) if attempt == self.attempt => {
                if self.active {
                    self.connect_console(&sender)
                }
            }
            ConsoleCmd::ConnectDue(_) => {}
            ConsoleCmd::Watchdog(attempt)
                if attempt == self.attempt
                    && self.console != ConsoleState::Connected
                    && self.active
                    && self.retries < 20 =>
            {
                // Try again shortly, less often each time (a rebooting
                // guest's display comes back by itself).
                self.session = None;
                self.retries += 1;
                let delay = std::time::Duration::from_millis(500 * u64::from(self.retries.min(10)));
                self.connect_after(delay, &sender);
            }
            ConsoleCmd::Watchdog(_) => {}
            ConsoleCmd::Text(attempt, devices, alias, opened) if attempt == self.attempt => {
                self.on_text(devices, alias, opened, &sender)
            }
            ConsoleCmd::Text(..) => {}
            ConsoleCmd::TextDevices(devices) => self.set_text_devices(devices, &sender),
        }
    }

    fn update_view(&self, widgets: &mut ConsoleWidgets, _sender: ComponentSender<Self>) {
        match &self.console {
            ConsoleState::Connected => widgets.status.set_visible(false),
            ConsoleState::Connecting => {
                widgets.status.set_visible(true);
                widgets.status.set_title(&gettext("Connecting…"));
                widgets.status.set_description(None);
                // No spinner: a continuous animation starves gvnc (see console::vnc).
                widgets
                    .status
                    .set_icon_name(Some("network-transmit-receive-symbolic"));
                widgets.status_button.set_visible(false);
            }
            ConsoleState::Message {
                title,
                description,
                action,
            } => {
                widgets.status.set_visible(true);
                widgets.status.set_title(title);
                widgets
                    .status
                    .set_description(Some(&glib::markup_escape_text(description)));
                widgets
                    .status
                    .set_icon_name(Some(if *action == Some("password") {
                        "dialog-password-symbolic"
                    } else {
                        "computer-symbolic"
                    }));
                widgets.status_button.set_visible(action.is_some());
                if let Some(action) = action {
                    widgets.status_button.set_widget_name(action);
                    widgets.status_button.set_label(&match *action {
                        "run" => gettext("Run"),
                        "password" => gettext("Enter Password…"),
                        "takeover" => gettext("Take Over"),
                        _ => gettext("Reconnect"),
                    });
                }
            }
        }
    }
}
