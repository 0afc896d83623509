//! The per-VM window's shell: the header bar (power actions, the view
//! switcher, the media, Send Key and console menus), the view stack of its
//! pages, toasts, fullscreen, the "Begin Installation" bar, and the
//! window-wide events (the VM's state and lifecycle, Present). Each page is
//! a component of its own in this folder and talks to the shell through
//! messages:
//!
//! * `console_page`: the guest's screen and its session;
//! * `details_page` (built by `details_view` and `device_page`), with the
//!   hardware dialogs of `hardware_dialogs`;
//! * `xml_page`: the saved definition, edited as text;
//! * `snapshots_page`.

mod actions;
pub mod console_page;
pub mod details_page;
pub mod details_view;
pub mod device_page;
pub mod guest_view;
pub mod hardware_dialogs;
mod header;
pub mod snapshots_page;
pub mod xml_page;

use std::cell::Cell;
use std::rc::Rc;

use gettextrs::gettext;
use relm4::adw::{self, prelude::*};
use relm4::gtk::{self, gdk, gio, glib};
use relm4::{Component, ComponentController, ComponentParts, ComponentSender, Controller};

use crate::core::libvirt::{
    Connection, DomainState, DomainSummary, Error, Event, Lifecycle, PowerAction, Protocol,
};
use crate::ui::i18n::gettext_f;
use crate::ui::main_window::vm_list;
use console_page::{ConsoleInput, ConsoleOutput, ConsolePage, ConsolePageInit};
use details_page::{DetailsInput, DetailsOutput, DetailsPage, DetailsPageInit};
use header::{Header, header, install_bar};
use snapshots_page::{SnapshotsInput, SnapshotsOutput, SnapshotsPage, SnapshotsPageInit};
use xml_page::{XmlPage, XmlPageInit, XmlPageInput, XmlPageOutput};

pub struct VmWindowInit {
    pub conn: Connection,
    pub uuid: String,
    pub name: String,
    pub settings: gio::Settings,
    /// Just created with "Customize configuration before install": open on
    /// Details with a Begin Installation bar.
    pub begin_install: bool,
}

#[derive(Debug)]
pub enum VmWindowInput {
    Power(PowerAction),
    Present,
    /// Switch to a page: "console", "details", "xml" or "snapshots".
    ShowPage(&'static str),
    ToggleFullscreen,
    /// Read the VM's state again.
    CheckState,
    Toast(String),
    /// The console grabbed the keyboard (with its release combo) or let go.
    Grab(Option<String>),
    /// Resize Guest to Window is not possible (why): back to Fit.
    ResizeRefused(String),
    /// The Details page's removable drive, for the media menu.
    Drive(Option<(String, bool)>),
    /// The VM's displays and the one shown, for the console's menu.
    Displays(Vec<(u32, Protocol)>, Option<u32>),
    /// The guest's sound plays here: the mute button shows.
    Sound(bool),
    /// What the console's menu says of the clipboard.
    Clipboard(Option<String>),
    /// The guest's text consoles (alias, label), for the console's menu.
    TextConsoles(Vec<(String, String)>),
    /// The text console shown (`None`: the graphical one).
    TextShown(Option<String>),
    Autostart(bool),
    /// Open the Clone dialog.
    Clone,
    /// Ask the main window for the Migrate dialog (it knows the other hosts).
    Migrate,
    /// The Clone dialog made a clone (its name).
    Cloned(String),
    /// To the pages.
    Console(ConsoleInput),
    Details(DetailsInput),
}

#[derive(Debug)]
pub enum VmWindowCmd {
    State(Result<DomainSummary, Error>),
    Event(Event),
    PowerDone(PowerAction, Result<(), Error>),
}

pub struct VmWindow {
    conn: Connection,
    uuid: String,
    name: String,
    state: Option<DomainState>,
    grab: Option<String>,
    /// Read by the window's key controller: F11 goes to the guest while
    /// the console holds the keyboard.
    grabbed: Rc<Cell<bool>>,
    toasts: adw::ToastOverlay,
    stack: adw::ViewStack,
    settings: gio::Settings,
    /// The header's removable-media menu.
    media_button: gtk::MenuButton,
    /// `vm.autostart`, its state the VM's autostart flag.
    autostart: gio::SimpleAction,
    /// `vm.scale`, its state the console's scaling mode.
    scale: gio::SimpleAction,
    /// `vm.display`, its state the graphics device shown.
    display: gio::SimpleAction,
    /// The console's menu button (its menu lists the displays).
    view_button: gtk::MenuButton,
    /// The displays its menu lists, and what it says of the clipboard.
    menu_displays: Vec<(u32, Protocol)>,
    menu_clipboard: Option<String>,
    menu_texts: Vec<(String, String)>,
    /// `vm.console-kind`, its state the text console shown ("": graphics).
    console_kind: gio::SimpleAction,
    mute: gtk::ToggleButton,
    console: Controller<ConsolePage>,
    details: Controller<DetailsPage>,
    xml: Controller<XmlPage>,
    snapshots: Controller<SnapshotsPage>,
    /// The open Clone dialog.
    clone_dialog: Option<Controller<crate::ui::dialogs::clone::CloneDialog>>,
}

pub struct VmWindowWidgets {
    title: adw::ViewSwitcherTitle,
    run: gtk::Button,
    pause: gtk::Button,
    resume: gtk::Button,
    shutdown: gtk::Button,
}

impl VmWindow {
    fn load_state(&self, sender: &ComponentSender<Self>) {
        let (conn, uuid) = (self.conn.clone(), self.uuid.clone());
        sender.oneshot_command(async move { VmWindowCmd::State(conn.lookup_domain(&uuid).await) });
    }

    fn rebuild_view_menu(&self) {
        self.view_button.set_menu_model(Some(&header::view_menu(
            &self.menu_displays,
            &self.menu_texts,
            self.menu_clipboard.as_deref(),
        )));
    }

    fn toast(&self, text: &str) {
        let toast = adw::Toast::new(&glib::markup_escape_text(text));
        toast.set_timeout(6);
        self.toasts.add_toast(toast);
    }

    fn refresh_details(&self) {
        self.details.emit(DetailsInput::Refresh);
    }

    /// The header's media menu for the first removable drive.
    fn update_media_menu(&self, drive: Option<(String, bool)>) {
        self.media_button.set_visible(drive.is_some());
        if let Some((target, inserted)) = drive {
            let recent: Vec<String> = self
                .settings
                .strv("recent-isos")
                .iter()
                .map(|s| s.to_string())
                .collect();
            self.media_button
                .set_menu_model(Some(&hardware_dialogs::media_menu(
                    &target, &recent, inserted,
                )));
        }
    }
}

/// Fullscreen: the header bar leaves the column and slides in over the
/// console when the pointer reaches the top edge, and goes when the
/// pointer moves away from it.
fn follow_fullscreen(
    root: &adw::Window,
    head: &Header,
    content: &gtk::Box,
    top_bar: &gtk::Revealer,
) {
    {
        let (header, content, top_bar) = (head.bar.clone(), content.clone(), top_bar.clone());
        let leave = head.leave_fullscreen.clone();
        root.connect_fullscreened_notify(move |w| {
            leave.set_visible(w.is_fullscreen());
            if w.is_fullscreen() {
                if header.parent().is_some_and(|p| p == content) {
                    content.remove(&header);
                    top_bar.set_reveal_child(false);
                    top_bar.set_child(Some(&header));
                }
            } else if header.parent().is_some_and(|p| p != content) {
                top_bar.set_child(None::<&gtk::Widget>);
                content.prepend(&header);
            }
        });
    }
    let motion = gtk::EventControllerMotion::new();
    let (top_bar, root2) = (top_bar.clone(), root.clone());
    motion.connect_motion(move |_, _, y| {
        if !root2.is_fullscreen() {
            return;
        }
        let bar = top_bar.child().map_or(0, |c| c.height());
        if y <= 4.0 {
            top_bar.set_reveal_child(true);
        } else if y > f64::from(bar) + 24.0 {
            top_bar.set_reveal_child(false);
        }
    });
    root.add_controller(motion);
}

impl Component for VmWindow {
    type Init = VmWindowInit;
    type Input = VmWindowInput;
    type Output = ();
    type CommandOutput = VmWindowCmd;
    type Root = adw::Window;
    type Widgets = VmWindowWidgets;

    fn init_root() -> Self::Root {
        adw::Window::builder()
            .default_width(1024)
            .default_height(768)
            .build()
    }

    fn init(
        init: Self::Init,
        root: Self::Root,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        root.set_title(Some(&init.name));
        root.set_application(Some(&relm4::main_application()));

        let console = ConsolePage::builder()
            .launch(ConsolePageInit {
                conn: init.conn.clone(),
                uuid: init.uuid.clone(),
                name: init.name.clone(),
                settings: init.settings.clone(),
            })
            .forward(sender.input_sender(), |out| match out {
                ConsoleOutput::Toast(text) => VmWindowInput::Toast(text),
                ConsoleOutput::Grab(label) => VmWindowInput::Grab(label),
                ConsoleOutput::Run => VmWindowInput::Power(PowerAction::Run),
                ConsoleOutput::ResizeRefused(why) => VmWindowInput::ResizeRefused(why),
                ConsoleOutput::CheckState => VmWindowInput::CheckState,
                ConsoleOutput::Displays(all, shown) => VmWindowInput::Displays(all, shown),
                ConsoleOutput::Sound(on) => VmWindowInput::Sound(on),
                ConsoleOutput::Clipboard(status) => VmWindowInput::Clipboard(status),
                ConsoleOutput::TextConsoles(all) => VmWindowInput::TextConsoles(all),
                ConsoleOutput::TextShown(alias) => VmWindowInput::TextShown(alias),
            });
        let details = DetailsPage::builder()
            .launch(DetailsPageInit {
                conn: init.conn.clone(),
                uuid: init.uuid.clone(),
                name: init.name.clone(),
                settings: init.settings.clone(),
            })
            .forward(sender.input_sender(), |out| match out {
                DetailsOutput::Toast(text) => VmWindowInput::Toast(text),
                DetailsOutput::Drive(drive) => VmWindowInput::Drive(drive),
                DetailsOutput::Autostart(on) => VmWindowInput::Autostart(on),
                DetailsOutput::Renamed => VmWindowInput::CheckState,
            });
        let xml = XmlPage::builder()
            .launch(XmlPageInit {
                conn: init.conn.clone(),
                uuid: init.uuid.clone(),
            })
            .forward(sender.input_sender(), |out| match out {
                XmlPageOutput::Toast(text) => VmWindowInput::Toast(text),
                XmlPageOutput::Defined => VmWindowInput::Details(DetailsInput::Refresh),
            });
        let snapshots = SnapshotsPage::builder()
            .launch(SnapshotsPageInit {
                conn: init.conn.clone(),
                uuid: init.uuid.clone(),
            })
            .forward(sender.input_sender(), |out| match out {
                SnapshotsOutput::StateChanged => VmWindowInput::CheckState,
                SnapshotsOutput::Power(action) => VmWindowInput::Power(action),
            });

        let stack = adw::ViewStack::new();
        for (widget, name, title, icon) in [
            (
                console.widget().upcast_ref::<gtk::Widget>(),
                "console",
                gettext("Console"),
                "computer-symbolic",
            ),
            (
                details.widget().upcast_ref(),
                "details",
                gettext("Details"),
                "document-properties-symbolic",
            ),
            (
                xml.widget().upcast_ref(),
                "xml",
                gettext("XML"),
                "text-x-generic-symbolic",
            ),
            (
                snapshots.widget().upcast_ref(),
                "snapshots",
                gettext("Snapshots"),
                "camera-photo-symbolic",
            ),
        ] {
            stack
                .add_titled(widget, Some(name), &title)
                .set_icon_name(Some(icon));
        }
        {
            let (details, xml) = (details.sender().clone(), xml.sender().clone());
            let snaps = snapshots.sender().clone();
            stack.connect_visible_child_name_notify(move |s| {
                match s.visible_child_name().as_deref() {
                    Some("details") => details.emit(DetailsInput::Refresh),
                    Some("xml") => xml.emit(XmlPageInput::Load),
                    Some("snapshots") => snaps.emit(SnapshotsInput::Load),
                    _ => {}
                }
            });
        }
        let head = header(&init.name, &stack);
        {
            let input = sender.input_sender().clone();
            head.mute.connect_toggled(move |b| {
                input.emit(VmWindowInput::Console(ConsoleInput::Mute(b.is_active())))
            });
        }

        let toasts = adw::ToastOverlay::new();
        toasts.set_child(Some(&stack));
        let content = gtk::Box::new(gtk::Orientation::Vertical, 0);
        content.append(&head.bar);
        content.append(&install_bar(init.begin_install, &sender));
        content.append(&toasts);
        let top_bar = gtk::Revealer::builder()
            .transition_type(gtk::RevealerTransitionType::SlideDown)
            .valign(gtk::Align::Start)
            .build();
        let frame = gtk::Overlay::new();
        frame.set_child(Some(&content));
        frame.add_overlay(&top_bar);
        root.set_content(Some(&frame));
        follow_fullscreen(&root, &head, &content, &top_bar);

        let model = VmWindow {
            conn: init.conn.clone(),
            uuid: init.uuid,
            name: init.name,
            state: None,
            grab: None,
            grabbed: Rc::new(Cell::new(false)),
            toasts,
            stack: stack.clone(),
            settings: init.settings.clone(),
            media_button: head.media_button.clone(),
            autostart: gio::SimpleAction::new_stateful("autostart", None, &false.to_variant()),
            scale: gio::SimpleAction::new_stateful(
                "scale",
                Some(glib::VariantTy::STRING),
                &"fit".to_variant(),
            ),
            display: gio::SimpleAction::new_stateful(
                "display",
                Some(glib::VariantTy::UINT32),
                &0u32.to_variant(),
            ),
            view_button: head.view_button.clone(),
            menu_displays: Vec::new(),
            menu_clipboard: None,
            menu_texts: Vec::new(),
            console_kind: gio::SimpleAction::new_stateful(
                "console-kind",
                Some(glib::VariantTy::STRING),
                &"".to_variant(),
            ),
            mute: head.mute.clone(),
            console,
            details,
            xml,
            snapshots,
            clone_dialog: None,
        };
        root.insert_action_group("vm", Some(&model.actions(&sender)));
        {
            let keys = gtk::EventControllerKey::new();
            let input = sender.input_sender().clone();
            let grabbed = model.grabbed.clone();
            // Before the console, which takes every key it is given.
            keys.set_propagation_phase(gtk::PropagationPhase::Capture);
            keys.connect_key_pressed(move |_, key, _, _| {
                if key == gdk::Key::F11 && !grabbed.get() {
                    input.emit(VmWindowInput::ToggleFullscreen);
                    return glib::Propagation::Stop;
                }
                glib::Propagation::Proceed
            });
            root.add_controller(keys);
        }
        if init.begin_install {
            stack.set_visible_child_name("details");
        }

        // Follow the VM's lifecycle for as long as the window lives.
        let mut events = init.conn.subscribe();
        sender.command(move |out, shutdown| {
            shutdown
                .register(async move {
                    use tokio::sync::broadcast::error::RecvError;
                    loop {
                        match events.recv().await {
                            Ok(e) => {
                                if out.send(VmWindowCmd::Event(e)).is_err() {
                                    break;
                                }
                            }
                            Err(RecvError::Lagged(_)) => continue,
                            Err(RecvError::Closed) => break,
                        }
                    }
                })
                .drop_on_shutdown()
        });
        model.load_state(&sender);

        let widgets = VmWindowWidgets {
            title: head.title,
            run: head.run,
            pause: head.pause,
            resume: head.resume,
            shutdown: head.shutdown,
        };
        root.present();
        ComponentParts { model, widgets }
    }

    fn update(&mut self, msg: VmWindowInput, sender: ComponentSender<Self>, root: &Self::Root) {
        if std::env::var_os("VIREO_DEBUG").is_some() {
            eprintln!("vm-window input: {msg:?}");
        }
        match msg {
            VmWindowInput::Present => root.present(),
            VmWindowInput::ShowPage(page) => self.stack.set_visible_child_name(page),
            VmWindowInput::Power(action) => {
                let (conn, uuid) = (self.conn.clone(), self.uuid.clone());
                sender.oneshot_command(async move {
                    VmWindowCmd::PowerDone(action, conn.power(&uuid, action).await)
                });
            }
            // The header follows the window's real state (fullscreened notify).
            VmWindowInput::ToggleFullscreen => {
                if root.is_fullscreen() {
                    root.unfullscreen();
                } else {
                    root.fullscreen();
                }
            }
            VmWindowInput::CheckState => self.load_state(&sender),
            VmWindowInput::Toast(text) => self.toast(&text),
            VmWindowInput::Grab(label) => {
                self.grabbed.set(label.is_some());
                self.grab = label;
            }
            VmWindowInput::ResizeRefused(why) => {
                self.scale.activate(Some(&"fit".to_variant()));
                self.toast(&why);
            }
            VmWindowInput::Drive(drive) => self.update_media_menu(drive),
            VmWindowInput::Sound(on) => self.mute.set_visible(on),
            VmWindowInput::Displays(all, shown) => {
                if let Some(index) = shown {
                    self.display.set_state(&index.to_variant());
                }
                // Rebuilt only when it lists displays (or listed them, or
                // offers the graphical console beside text ones): a rebuilt
                // GTK 4.8 menu names its radio items "menu item" to
                // assistive technologies.
                let rebuild = all.len() > 1
                    || self.menu_displays.len() > 1
                    || (!self.menu_texts.is_empty() && all != self.menu_displays);
                self.menu_displays = all;
                if rebuild {
                    self.rebuild_view_menu();
                }
            }
            VmWindowInput::TextConsoles(all) => {
                if all != self.menu_texts {
                    self.menu_texts = all;
                    self.rebuild_view_menu();
                }
            }
            VmWindowInput::TextShown(alias) => {
                self.console_kind
                    .set_state(&alias.unwrap_or_default().to_variant());
            }
            VmWindowInput::Clipboard(status) => {
                if status != self.menu_clipboard {
                    self.menu_clipboard = status;
                    self.rebuild_view_menu();
                }
            }
            VmWindowInput::Autostart(on) => self.autostart.set_state(&on.to_variant()),
            VmWindowInput::Console(msg) => self.console.emit(msg),
            VmWindowInput::Details(msg) => self.details.emit(msg),
            VmWindowInput::Clone => {
                use crate::ui::dialogs::clone::{CloneDialog, CloneInit, CloneOutput};
                let dialog = CloneDialog::builder()
                    .launch(CloneInit {
                        conn: self.conn.clone(),
                        uuid: self.uuid.clone(),
                        name: self.name.clone(),
                        parent: Some(root.clone().upcast()),
                    })
                    .forward(sender.input_sender(), |out| match out {
                        CloneOutput::Cloned(name) => VmWindowInput::Cloned(name),
                    });
                self.clone_dialog = Some(dialog);
            }
            VmWindowInput::Migrate => {
                let target = format!("{}\t{}", self.conn.uri(), self.uuid);
                relm4::main_application().activate_action("vm-migrate", Some(&target.to_variant()));
            }
            VmWindowInput::Cloned(name) => {
                self.clone_dialog = None;
                sender.input(VmWindowInput::Toast(gettext_f(
                    "Cloned into “{name}”",
                    &[("name", &name)],
                )));
            }
        }
    }

    fn update_cmd(&mut self, msg: VmWindowCmd, sender: ComponentSender<Self>, root: &Self::Root) {
        if std::env::var_os("VIREO_DEBUG").is_some() {
            eprintln!("vm-window command: {msg:?}");
        }
        match msg {
            VmWindowCmd::State(Ok(summary)) => {
                let changed = self.state != Some(summary.state) || summary.name != self.name;
                // Renamed (from Details or elsewhere): the window follows.
                if summary.name != self.name {
                    self.name.clone_from(&summary.name);
                    root.set_title(Some(&summary.name));
                    self.console
                        .emit(ConsoleInput::Renamed(summary.name.clone()));
                    self.details
                        .emit(DetailsInput::Renamed(summary.name.clone()));
                }
                self.state = Some(summary.state);
                let active = summary.state.is_active();
                self.details.emit(DetailsInput::State(summary.state));
                self.xml.emit(XmlPageInput::Running(active));
                self.console.emit(ConsoleInput::Active(active));
                if changed {
                    self.snapshots.emit(SnapshotsInput::VmChanged);
                    self.refresh_details();
                }
            }
            VmWindowCmd::State(Err(e)) => self.console.emit(ConsoleInput::Unavailable(e.message)),
            VmWindowCmd::Event(ref event @ Event::Lifecycle { ref uuid, .. })
                if *uuid == self.uuid && event.is_rename() =>
            {
                // Not deleted: the same VM (by UUID) under a new name.
                self.load_state(&sender);
            }
            VmWindowCmd::Event(Event::Lifecycle { uuid, change, .. }) if uuid == self.uuid => {
                match change {
                    Lifecycle::Started => {
                        self.set_state(DomainState::Running);
                        self.console.emit(ConsoleInput::Started);
                    }
                    Lifecycle::Stopped | Lifecycle::Crashed => {
                        self.set_state(DomainState::ShutOff);
                        self.console.emit(ConsoleInput::Stopped);
                    }
                    Lifecycle::Undefined => self.console.emit(ConsoleInput::Deleted),
                    _ => self.load_state(&sender),
                }
                self.refresh_details();
            }
            VmWindowCmd::Event(Event::Closed(_)) => self.console.emit(ConsoleInput::ConnectionLost),
            VmWindowCmd::Event(Event::Agent { uuid, .. }) if uuid == self.uuid => {
                self.details.emit(DetailsInput::GuestChanged)
            }
            VmWindowCmd::Event(_) => {}
            VmWindowCmd::PowerDone(action, Err(e)) => self.toast(&gettext_f(
                "{action} “{name}” failed: {reason}",
                &[
                    ("action", &vm_list::action_label(action)),
                    ("name", &self.name),
                    ("reason", &e.message),
                ],
            )),
            VmWindowCmd::PowerDone(_, Ok(())) => self.load_state(&sender),
        }
    }

    fn update_view(&self, widgets: &mut Self::Widgets, _sender: ComponentSender<Self>) {
        let state = self.state.unwrap_or(DomainState::NoState);
        let available = PowerAction::available(state);
        widgets.run.set_visible(!state.is_active());
        let paused = matches!(state, DomainState::Paused | DomainState::PmSuspended);
        widgets.pause.set_visible(state.is_active() && !paused);
        widgets.resume.set_visible(paused);
        widgets
            .shutdown
            .set_sensitive(available.contains(&PowerAction::ShutDown));
        let subtitle = match &self.grab {
            Some(keys) => gettext_f("Press {keys} to release the keyboard", &[("keys", keys)]),
            None => vm_list::state_label(state),
        };
        widgets.title.set_subtitle(&subtitle);
        widgets
            .title
            .set_title(glib::markup_escape_text(&self.name).as_str());
    }
}

impl VmWindow {
    /// A state known from an event: the pages learn it without a round trip.
    fn set_state(&mut self, state: DomainState) {
        self.state = Some(state);
        self.details.emit(DetailsInput::State(state));
        self.xml.emit(XmlPageInput::Running(state.is_active()));
        self.snapshots.emit(SnapshotsInput::VmChanged);
    }
}
