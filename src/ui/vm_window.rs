//! The per-VM window: power actions, and a view switcher between the
//! guest's console, its details and its snapshots.

use gettextrs::gettext;
use relm4::adw::{self, prelude::*};
use relm4::gtk::{self, gdk, gio, glib};
use relm4::{Component, ComponentParts, ComponentSender};

use crate::console::keymap::{keysym, linux};
use crate::console::{ConsoleEvent, ConsoleView, ScaleMode, VncSession, parse_release_combo};
use crate::core::hardware::{self, NewDisk, Scope};
use crate::core::libvirt::{
    Connection, ConsoleTarget, Detached, DomainState, DomainSummary, Error, Event, Lifecycle,
    PowerAction,
};
use crate::core::xml::DomainXml;
use crate::ui::a11y::AccessibleLabelExt;
use crate::ui::i18n::gettext_f;
use crate::ui::xml_page::XmlPage;
use crate::ui::{dialog, vm_details, vm_list};

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
    Reconnect,
    Console(ConsoleEvent),
    Grab(bool),
    SendKeys(Vec<(u32, u16)>),
    TypeClipboard,
    Type(String),
    Screenshot,
    SaveScreenshot(std::path::PathBuf),
    Scale(ScaleMode),
    ToggleFullscreen,
    Password(String),
    /// Ask again for the password the console is waiting for.
    AskPassword,
    /// Resize Guest to Window is not possible on this display.
    ResizeRefused,
    Present,
    /// Read the XML again for the Details page.
    RefreshDetails,
    /// Switch to a page: "console", "details" or "snapshots".
    ShowPage(&'static str),
    /// Add Disk: read the host's pools, then ask.
    AddDisk,
    AttachDisk(NewDisk, Scope),
    /// Remove Disk `target`: ask, then detach (and delete its image).
    RemoveDisk(String),
    DetachDisk {
        target: String,
        delete: bool,
    },
    /// Show the saved definition on the XML page (unless it is being edited).
    LoadXml,
    EditVcpus,
    EditMemory,
    /// Add Hardware: read the host's networks and USB devices, then ask.
    AddHardware,
    AttachDevice(hardware::NewDevice, Scope),
    /// Remove device `index` of the kind named by its element.
    RemoveDevice(String),
    SetVcpus(u32),
    /// New memory in MiB.
    SetMemory(u64),
    /// Define the XML page's confirmed text.
    DefineXml(String),
    /// A setting changed on the Details page.
    Edit(crate::core::edit::Edit),
    /// Choose an ISO for drive `target`.
    BrowseMedia(String),
    /// Insert `iso` into drive `target` (`None`: eject).
    Media {
        target: String,
        iso: Option<String>,
        force: bool,
    },
}

#[derive(Debug)]
pub enum VmWindowCmd {
    State(Result<DomainSummary, Error>),
    Target(u64, Result<ConsoleTarget, Error>),
    /// Live XML, the saved one, whether it starts with the host.
    Xml(Result<(String, Option<String>, Option<bool>), Error>),
    AutostartSet(Result<bool, Error>),
    Event(Event),
    PowerDone(PowerAction, Result<(), Error>),
    /// The guest started: connect once QEMU's display is up.
    ConnectDue(u64),
    /// A connection attempt that has not shown the screen by now is retried.
    Watchdog(u64),
    PoolsForDisk(Result<crate::core::wizard::HostFacts, Error>),
    Attached {
        disk: NewDisk,
        scope: Scope,
        result: Result<(), Error>,
    },
    DiskDetached {
        target: String,
        result: Result<Detached, Error>,
        /// The image's deletion, when asked for.
        deleted: Option<Result<(), Error>>,
    },
    MediaDone {
        target: String,
        iso: Option<String>,
        force: bool,
        result: Result<(), Error>,
    },
    PersistentXml(Result<String, Error>),
    HardwareChoices(Result<(Vec<String>, Vec<crate::core::libvirt::UsbDevice>), Error>),
    DeviceAttached {
        device: hardware::NewDevice,
        scope: Scope,
        result: Result<(), Error>,
    },
    DeviceDetached(Result<Detached, Error>),
    Applied(Result<crate::core::libvirt::Applied, Error>),
    /// A Details edit's outcome (a rename also renames the window).
    Edited(
        crate::core::edit::Edit,
        Result<crate::core::libvirt::Applied, Error>,
    ),
    XmlDefined(Result<DomainSummary, Error>),
}

#[derive(Debug, Clone, PartialEq)]
enum ConsoleState {
    Connecting,
    Connected,
    Message {
        title: String,
        description: String,
        /// "run" (not running), "password" (the display waits for one) or
        /// "reconnect" (disconnected).
        action: Option<&'static str>,
    },
}

pub struct VmWindow {
    conn: Connection,
    uuid: String,
    name: String,
    state: Option<DomainState>,
    view: ConsoleView,
    session: Option<VncSession>,
    /// The `ssh` that carries the session's connection (SSH hosts).
    tunnel: Option<crate::core::libvirt::tunnel::Tunnel>,
    /// Bumped on every connection attempt: late answers are dropped.
    attempt: u64,
    /// Automatic reconnects since the screen was last shown.
    retries: u32,
    console: ConsoleState,
    grabbed: bool,
    toasts: adw::ToastOverlay,
    details: gtk::ScrolledWindow,
    header: adw::HeaderBar,
    stack: adw::ViewStack,
    settings: gio::Settings,
    /// The running (or defined) configuration last read, for device changes.
    xml: Option<DomainXml>,
    /// The header's removable-media menu.
    media_button: gtk::MenuButton,
    xml_page: XmlPage,
    /// `vm.autostart`, its state the VM's autostart flag.
    autostart: gio::SimpleAction,
}

pub struct VmWindowWidgets {
    status: adw::StatusPage,
    status_button: gtk::Button,
    title: adw::ViewSwitcherTitle,
    run: gtk::Button,
    pause: gtk::Button,
    resume: gtk::Button,
    shutdown: gtk::Button,
}

fn icon_button(icon: &str, label: &str, action: &str) -> gtk::Button {
    let b = gtk::Button::builder()
        .icon_name(icon)
        .tooltip_text(label)
        .action_name(action)
        .build();
    b.set_accessible_label(label);
    b
}

/// The Send Key menu, with virt-manager's combinations.
fn send_key_menu() -> gio::Menu {
    let menu = gio::Menu::new();
    let item = |label: &str, target: &str| {
        gio::MenuItem::new(
            Some(label),
            Some(&gio::Action::print_detailed_name(
                "vm.send-keys",
                Some(&target.to_variant()),
            )),
        )
    };
    let common = gio::Menu::new();
    common.append_item(&item("Ctrl+Alt+Delete", "ctrl-alt-delete"));
    common.append_item(&item("Ctrl+Alt+Backspace", "ctrl-alt-backspace"));
    common.append_item(&item(&gettext("Print Screen"), "print"));
    menu.append_section(None, &common);
    let vt = gio::Menu::new();
    for n in 1..=12 {
        vt.append_item(&item(&format!("Ctrl+Alt+F{n}"), &format!("ctrl-alt-f{n}")));
    }
    menu.append_section(None, &vt);
    let typing = gio::Menu::new();
    typing.append(
        Some(&gettext("Type Clipboard Text")),
        Some("vm.type-clipboard"),
    );
    menu.append_section(None, &typing);
    menu
}

/// The keys of a Send Key menu target.
fn combo(target: &str) -> Option<Vec<(u32, u16)>> {
    let ctrl_alt = vec![
        (keysym::CONTROL_L, linux::LEFT_CTRL),
        (keysym::ALT_L, linux::LEFT_ALT),
    ];
    let with = |k: (u32, u16)| {
        let mut v = ctrl_alt.clone();
        v.push(k);
        Some(v)
    };
    match target {
        "ctrl-alt-delete" => with((keysym::DELETE, linux::DELETE)),
        "ctrl-alt-backspace" => with((keysym::BACKSPACE, linux::BACKSPACE)),
        "print" => Some(vec![(keysym::PRINT, linux::SYSRQ)]),
        f => {
            let n: u16 = f.strip_prefix("ctrl-alt-f")?.parse().ok()?;
            (1..=12)
                .contains(&n)
                .then(|| with((keysym::F1 + u32::from(n) - 1, linux::f(n))))?
        }
    }
}

fn view_menu() -> gio::Menu {
    let menu = gio::Menu::new();
    let scaling = gio::Menu::new();
    for (label, id) in [
        (gettext("Fit to Window"), "fit"),
        (gettext("Original Size (1:1)"), "one"),
        (gettext("Resize Guest to Window"), "resize"),
    ] {
        scaling.append(
            Some(&label),
            Some(&gio::Action::print_detailed_name(
                "vm.scale",
                Some(&id.to_variant()),
            )),
        );
    }
    menu.append_section(Some(&gettext("Scaling")), &scaling);
    let more = gio::Menu::new();
    more.append(Some(&gettext("Fullscreen")), Some("vm.fullscreen"));
    more.append(Some(&gettext("Take Screenshot…")), Some("vm.screenshot"));
    more.append(Some(&gettext("Reconnect")), Some("vm.reconnect"));
    menu.append_section(None, &more);
    menu
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

impl VmWindow {
    fn load_state(&self, sender: &ComponentSender<Self>) {
        let conn = self.conn.clone();
        let uuid = self.uuid.clone();
        sender.oneshot_command(async move { VmWindowCmd::State(conn.lookup_domain(&uuid).await) });
    }

    fn load_details(&self, sender: &ComponentSender<Self>) {
        let conn = self.conn.clone();
        let uuid = self.uuid.clone();
        sender.oneshot_command(async move {
            let live = conn.domain_xml(&uuid, false).await;
            // The saved definition, to show what waits for the next boot.
            let saved = conn.domain_xml(&uuid, true).await.ok();
            let autostart = conn.autostart(&uuid, None).await.ok();
            VmWindowCmd::Xml(live.map(|l| (l, saved, autostart)))
        });
    }

    fn connect_console(&mut self, sender: &ComponentSender<Self>) {
        self.session = None;
        self.attempt += 1;
        self.console = ConsoleState::Connecting;
        let (conn, uuid, attempt) = (self.conn.clone(), self.uuid.clone(), self.attempt);
        sender.oneshot_command(async move {
            VmWindowCmd::Target(attempt, conn.open_console(&uuid).await)
        });
        self.arm_watchdog(sender);
    }

    /// Retry the current attempt if it has not shown the screen in 8 s.
    fn arm_watchdog(&self, sender: &ComponentSender<Self>) {
        let attempt = self.attempt;
        sender.oneshot_command(async move {
            tokio::time::sleep(std::time::Duration::from_secs(8)).await;
            VmWindowCmd::Watchdog(attempt)
        });
    }

    /// Try again shortly, less often each time (a rebooting guest's display
    /// comes back by itself).
    fn schedule_reconnect(&mut self, sender: &ComponentSender<Self>) {
        self.retries += 1;
        self.attempt += 1;
        let attempt = self.attempt;
        let delay = std::time::Duration::from_millis(500 * u64::from(self.retries.min(10)));
        sender.oneshot_command(async move {
            tokio::time::sleep(delay).await;
            VmWindowCmd::ConnectDue(attempt)
        });
    }

    fn message(&mut self, title: String, description: String, action: Option<&'static str>) {
        self.console = ConsoleState::Message {
            title,
            description,
            action,
        };
    }

    fn not_running(&mut self) {
        self.session = None;
        self.tunnel = None;
        self.message(
            gettext("The Virtual Machine Is Not Running"),
            gettext("Run it to see its screen here."),
            Some("run"),
        );
    }

    fn start_session(&mut self, target: ConsoleTarget, sender: &ComponentSender<Self>) {
        match target {
            ConsoleTarget::SpiceOnly => {
                self.message(
                    gettext("SPICE Consoles Are Not Supported Yet"),
                    gettext("This virtual machine’s display uses SPICE. Add a VNC display to it, or open it with virt-viewer."),
                    None,
                );
                return;
            }
            ConsoleTarget::NoGraphics => {
                self.message(
                    gettext("No Display"),
                    gettext("This virtual machine has no graphical display. Its serial console is not shown here yet."),
                    None,
                );
                return;
            }
            ConsoleTarget::NotRunning => {
                self.not_running();
                return;
            }
            _ => {}
        }
        let local = matches!(
            target,
            ConsoleTarget::Fd { .. } | ConsoleTarget::Socket { .. }
        );
        let session = VncSession::new(&self.view, local);
        {
            let input = sender.input_sender().clone();
            session.connect_event(move |e| input.emit(VmWindowInput::Console(e.clone())));
        }
        self.tunnel = None;
        let opened = match target {
            ConsoleTarget::Fd { fd, .. } => session.open_fd(fd),
            ConsoleTarget::Tunnel { fd, tunnel, .. } => {
                self.tunnel = Some(tunnel);
                session.open_fd(fd)
            }
            ConsoleTarget::Socket { path, .. } => session.open_socket(&path),
            ConsoleTarget::Tcp { host, port, .. } => session.open_host(&host, port),
            _ => return,
        };
        match opened {
            Ok(()) => self.session = Some(session),
            Err(e) => self.message(
                gettext("Could Not Connect to the Console"),
                e,
                Some("reconnect"),
            ),
        }
    }

    /// Where a device change goes: the running guest and its definition,
    /// or only the definition when it is shut off.
    fn scope(&self) -> Scope {
        if self.state.is_some_and(|s| s.is_active()) {
            Scope::BOTH
        } else {
            Scope::NEXT_BOOT
        }
    }

    /// The header's media menu for the first removable drive.
    fn update_media_menu(&self) {
        let drive = self
            .xml
            .as_ref()
            .and_then(|vm| hardware::removable_drives(vm).into_iter().next());
        self.media_button.set_visible(drive.is_some());
        if let Some((target, media)) = drive {
            let recent: Vec<String> = self
                .settings
                .strv("recent-isos")
                .iter()
                .map(|s| s.to_string())
                .collect();
            self.media_button
                .set_menu_model(Some(&crate::ui::hardware::media_menu(
                    &target,
                    &recent,
                    media.is_some(),
                )));
        }
    }

    fn toast(&self, text: &str) {
        let toast = adw::Toast::new(&glib::markup_escape_text(text));
        toast.set_timeout(6);
        self.toasts.add_toast(toast);
    }

    fn ask_password(&self, root: &adw::Window, sender: &ComponentSender<Self>) {
        let entry = adw::PasswordEntryRow::new();
        entry.set_title(&gettext("Password"));
        let group = adw::PreferencesGroup::new();
        group.add(&entry);
        let input = sender.input_sender().clone();
        let field = entry.clone();
        dialog::show(
            root.upcast_ref(),
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
            move || input.emit(VmWindowInput::Password(field.text().to_string())),
        );
        entry.grab_focus();
    }
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

        let view = ConsoleView::new();
        view.set_accessible_label(&gettext_f("Console of {name}", &[("name", &init.name)]));
        if let Some(mods) = parse_release_combo(&init.settings.string("console-release-keys")) {
            view.set_release_modifiers(mods);
        }
        {
            let view = view.downgrade();
            init.settings
                .connect_changed(Some("console-release-keys"), move |s, key| {
                    if let (Some(view), Some(mods)) =
                        (view.upgrade(), parse_release_combo(&s.string(key)))
                    {
                        view.set_release_modifiers(mods);
                    }
                });
        }
        {
            let input = sender.input_sender().clone();
            view.connect_grab_changed(move |g| input.emit(VmWindowInput::Grab(g)));
        }

        // Header: power actions, the view switcher, Send Key and View menus.
        let header = adw::HeaderBar::new();
        let run = icon_button("media-playback-start-symbolic", &gettext("Run"), "vm.run");
        let pause = icon_button(
            "media-playback-pause-symbolic",
            &gettext("Pause"),
            "vm.pause",
        );
        let resume = icon_button(
            "media-playback-start-symbolic",
            &gettext("Resume"),
            "vm.resume",
        );
        let shutdown = icon_button(
            "system-shutdown-symbolic",
            &gettext("Shut Down"),
            "vm.shutdown",
        );
        let more_power = gtk::MenuButton::builder()
            .icon_name("pan-down-symbolic")
            .tooltip_text(gettext("More Power Actions"))
            .build();
        more_power.set_accessible_label(&gettext("More Power Actions"));
        let power_menu = gio::Menu::new();
        power_menu.append(Some(&gettext("Reboot")), Some("vm.reboot"));
        power_menu.append(Some(&gettext("Force Reset")), Some("vm.reset"));
        power_menu.append(Some(&gettext("Force Off")), Some("vm.destroy"));
        power_menu.append(Some(&gettext("Save")), Some("vm.save"));
        more_power.set_menu_model(Some(&power_menu));
        let power_box = gtk::Box::new(gtk::Orientation::Horizontal, 0);
        power_box.add_css_class("linked");
        power_box.append(&shutdown);
        power_box.append(&more_power);
        let start = gtk::Box::new(gtk::Orientation::Horizontal, 6);
        for w in [
            run.upcast_ref::<gtk::Widget>(),
            pause.upcast_ref(),
            resume.upcast_ref(),
            power_box.upcast_ref(),
        ] {
            start.append(w);
        }
        header.pack_start(&start);

        let stack = adw::ViewStack::new();
        let title = adw::ViewSwitcherTitle::builder()
            .stack(&stack)
            .title(glib::markup_escape_text(&init.name).as_str())
            .build();
        header.set_title_widget(Some(&title));

        let leave_fullscreen = gtk::Button::builder()
            .icon_name("view-restore-symbolic")
            .tooltip_text(gettext("Leave Fullscreen"))
            .action_name("vm.fullscreen")
            .visible(false)
            .build();
        leave_fullscreen.set_accessible_label(&gettext("Leave Fullscreen"));
        header.pack_end(&leave_fullscreen);
        let view_button = gtk::MenuButton::builder()
            .icon_name("view-more-symbolic")
            .menu_model(&view_menu())
            .tooltip_text(gettext("Console Options"))
            .build();
        view_button.set_accessible_label(&gettext("Console Options"));
        header.pack_end(&view_button);
        let keys_button = gtk::MenuButton::builder()
            .icon_name("input-keyboard-symbolic")
            .menu_model(&send_key_menu())
            .tooltip_text(gettext("Send Key"))
            .build();
        keys_button.set_accessible_label(&gettext("Send Key"));
        header.pack_end(&keys_button);
        let media_button = gtk::MenuButton::builder()
            .icon_name("media-optical-symbolic")
            .tooltip_text(gettext("Removable Media"))
            .visible(false)
            .build();
        media_button.set_accessible_label(&gettext("Removable Media"));
        header.pack_end(&media_button);

        // Console page: the view, with a status page over it when there is
        // nothing to show.
        let scroller = gtk::ScrolledWindow::builder()
            .child(&view)
            .hscrollbar_policy(gtk::PolicyType::Automatic)
            .vscrollbar_policy(gtk::PolicyType::Automatic)
            .build();
        let overlay = gtk::Overlay::new();
        overlay.set_child(Some(&scroller));
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
        overlay.add_overlay(&status);
        let console_page = stack.add_titled(&overlay, Some("console"), &gettext("Console"));
        console_page.set_icon_name(Some("computer-symbolic"));

        let details = gtk::ScrolledWindow::builder()
            .hscrollbar_policy(gtk::PolicyType::Never)
            .build();
        let details_page = stack.add_titled(&details, Some("details"), &gettext("Details"));
        details_page.set_icon_name(Some("document-properties-symbolic"));
        let snapshots = adw::StatusPage::builder()
            .icon_name("camera-photo-symbolic")
            .title(gettext("Snapshots"))
            .description(gettext(
                "Taking and restoring snapshots is not available yet.",
            ))
            .build();
        let xml_page = {
            let input = sender.input_sender().clone();
            XmlPage::new(move |text| input.emit(VmWindowInput::DefineXml(text)))
        };
        let xml_stack_page = stack.add_titled(&xml_page.widget, Some("xml"), &gettext("XML"));
        xml_stack_page.set_icon_name(Some("text-x-generic-symbolic"));
        let snapshots_page = stack.add_titled(&snapshots, Some("snapshots"), &gettext("Snapshots"));
        snapshots_page.set_icon_name(Some("camera-photo-symbolic"));
        {
            let sender = sender.clone();
            stack.connect_visible_child_name_notify(move |s| {
                match s.visible_child_name().as_deref() {
                    Some("details") => sender.input(VmWindowInput::RefreshDetails),
                    Some("xml") => sender.input(VmWindowInput::LoadXml),
                    _ => {}
                }
            });
        }

        let toasts = adw::ToastOverlay::new();
        toasts.set_child(Some(&stack));
        let content = gtk::Box::new(gtk::Orientation::Vertical, 0);
        content.append(&header);
        // After "Customize configuration before install": the installation
        // begins when the user says so (libadwaita 1.2 has no AdwBanner).
        let install_bar = gtk::Revealer::builder()
            .reveal_child(init.begin_install)
            .build();
        {
            let bar = gtk::Box::builder()
                .spacing(12)
                .margin_top(6)
                .margin_bottom(6)
                .margin_start(12)
                .margin_end(12)
                .build();
            let label = gtk::Label::builder()
                .label(gettext(
                    "Review the new virtual machine’s details, then begin its installation.",
                ))
                .wrap(true)
                .xalign(0.0)
                .hexpand(true)
                .build();
            let begin = gtk::Button::with_label(&gettext("Begin Installation"));
            begin.add_css_class("suggested-action");
            let input = sender.input_sender().clone();
            let revealer = install_bar.clone();
            begin.connect_clicked(move |_| {
                revealer.set_reveal_child(false);
                input.emit(VmWindowInput::Power(PowerAction::Run));
                input.emit(VmWindowInput::ShowPage("console"));
            });
            bar.append(&label);
            bar.append(&begin);
            let frame = gtk::Box::new(gtk::Orientation::Vertical, 0);
            frame.add_css_class("view");
            frame.append(&bar);
            frame.append(&gtk::Separator::new(gtk::Orientation::Horizontal));
            install_bar.set_child(Some(&frame));
        }
        content.append(&install_bar);
        content.append(&toasts);
        // Fullscreen: the header bar leaves the column and slides in over
        // the console when the pointer reaches the top edge.
        let top_bar = gtk::Revealer::builder()
            .transition_type(gtk::RevealerTransitionType::SlideDown)
            .valign(gtk::Align::Start)
            .build();
        let frame = gtk::Overlay::new();
        frame.set_child(Some(&content));
        frame.add_overlay(&top_bar);
        root.set_content(Some(&frame));
        {
            let (header, content, top_bar) = (header.clone(), content.clone(), top_bar.clone());
            root.connect_fullscreened_notify(move |w| {
                leave_fullscreen.set_visible(w.is_fullscreen());
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

        // Window actions.
        let actions = gio::SimpleActionGroup::new();
        for action in PowerAction::ALL {
            let a = gio::SimpleAction::new(vm_list::action_id(action), None);
            let input = sender.input_sender().clone();
            a.connect_activate(move |_, _| input.emit(VmWindowInput::Power(action)));
            actions.add_action(&a);
        }
        let send = gio::SimpleAction::new("send-keys", Some(glib::VariantTy::STRING));
        {
            let input = sender.input_sender().clone();
            send.connect_activate(move |_, t| {
                if let Some(keys) = t.and_then(|t| t.get::<String>()).and_then(|t| combo(&t)) {
                    input.emit(VmWindowInput::SendKeys(keys));
                }
            });
        }
        actions.add_action(&send);
        let scale = gio::SimpleAction::new_stateful(
            "scale",
            Some(glib::VariantTy::STRING),
            &"fit".to_variant(),
        );
        {
            let input = sender.input_sender().clone();
            scale.connect_activate(move |a, t| {
                let Some(id) = t.and_then(|t| t.get::<String>()) else {
                    return;
                };
                a.set_state(&id.to_variant());
                input.emit(VmWindowInput::Scale(match id.as_str() {
                    "one" => ScaleMode::OneToOne,
                    "resize" => ScaleMode::ResizeGuest,
                    _ => ScaleMode::Fit,
                }));
            });
        }
        actions.add_action(&scale);
        {
            // A display that cannot be resized from here: say so, and fit.
            let (input, scale) = (sender.input_sender().clone(), scale.clone());
            view.connect_resize_refused(move || {
                scale.activate(Some(&"fit".to_variant()));
                input.emit(VmWindowInput::ResizeRefused);
            });
        }
        for (name, msg) in [
            (
                "type-clipboard",
                (|| VmWindowInput::TypeClipboard) as fn() -> VmWindowInput,
            ),
            ("screenshot", || VmWindowInput::Screenshot),
            ("fullscreen", || VmWindowInput::ToggleFullscreen),
            ("reconnect", || VmWindowInput::Reconnect),
        ] {
            let a = gio::SimpleAction::new(name, None);
            let input = sender.input_sender().clone();
            a.connect_activate(move |_, _| input.emit(msg()));
            actions.add_action(&a);
        }
        for (name, msg) in [
            (
                "edit-vcpus",
                (|| VmWindowInput::EditVcpus) as fn() -> VmWindowInput,
            ),
            ("edit-memory", || VmWindowInput::EditMemory),
            ("add-hardware", || VmWindowInput::AddHardware),
        ] {
            let a = gio::SimpleAction::new(name, None);
            let input = sender.input_sender().clone();
            a.connect_activate(move |_, _| input.emit(msg()));
            actions.add_action(&a);
        }
        let autostart = gio::SimpleAction::new_stateful("autostart", None, &false.to_variant());
        {
            let (conn, uuid) = (init.conn.clone(), init.uuid.clone());
            let sender = sender.clone();
            autostart.connect_change_state(move |a, value| {
                let Some(on) = value.and_then(|v| v.get::<bool>()) else {
                    return;
                };
                a.set_state(&on.to_variant());
                let (conn, uuid) = (conn.clone(), uuid.clone());
                sender.oneshot_command(async move {
                    VmWindowCmd::AutostartSet(conn.autostart(&uuid, Some(on)).await)
                });
            });
        }
        actions.add_action(&autostart);
        let add_disk = gio::SimpleAction::new("add-disk", None);
        {
            let input = sender.input_sender().clone();
            add_disk.connect_activate(move |_, _| input.emit(VmWindowInput::AddDisk));
        }
        actions.add_action(&add_disk);
        for (name, make) in [
            (
                "remove-disk",
                VmWindowInput::RemoveDisk as fn(String) -> VmWindowInput,
            ),
            ("remove-device", VmWindowInput::RemoveDevice),
            ("browse-media", VmWindowInput::BrowseMedia),
            ("eject-media", |target| VmWindowInput::Media {
                target,
                iso: None,
                force: false,
            }),
        ] {
            let a = gio::SimpleAction::new(name, Some(glib::VariantTy::STRING));
            let input = sender.input_sender().clone();
            a.connect_activate(move |_, t| {
                if let Some(target) = t.and_then(|t| t.get::<String>()) {
                    input.emit(make(target));
                }
            });
            actions.add_action(&a);
        }
        let insert =
            gio::SimpleAction::new("insert-media", Some(glib::VariantTy::new("(ss)").unwrap()));
        {
            let input = sender.input_sender().clone();
            insert.connect_activate(move |_, t| {
                if let Some((target, iso)) = t.and_then(|t| t.get::<(String, String)>()) {
                    input.emit(VmWindowInput::Media {
                        target,
                        iso: Some(iso),
                        force: false,
                    });
                }
            });
        }
        actions.add_action(&insert);
        root.insert_action_group("vm", Some(&actions));
        {
            let keys = gtk::EventControllerKey::new();
            let input = sender.input_sender().clone();
            let view = view.clone();
            // Before the console, which takes every key it is given.
            keys.set_propagation_phase(gtk::PropagationPhase::Capture);
            keys.connect_key_pressed(move |_, key, _, _| {
                if key == gdk::Key::F11 && !view.is_grabbed() {
                    input.emit(VmWindowInput::ToggleFullscreen);
                    return glib::Propagation::Stop;
                }
                glib::Propagation::Proceed
            });
            root.add_controller(keys);
        }
        // Fullscreen: the header bar comes when the pointer touches the top
        // edge and goes when it moves away from the bar.
        {
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

        if init.begin_install {
            stack.set_visible_child_name("details");
        }
        let model = VmWindow {
            conn: init.conn.clone(),
            uuid: init.uuid,
            name: init.name,
            state: None,
            view,
            session: None,
            tunnel: None,
            attempt: 0,
            retries: 0,
            console: ConsoleState::Connecting,
            grabbed: false,
            toasts,
            details,
            header,
            stack: stack.clone(),
            settings: init.settings.clone(),
            xml: None,
            media_button,
            xml_page,
            autostart,
        };

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
        model.load_details(&sender);

        let widgets = VmWindowWidgets {
            status,
            status_button,
            title,
            run,
            pause,
            resume,
            shutdown,
        };
        {
            let input = sender.input_sender().clone();
            widgets
                .status_button
                .connect_clicked(move |b| match b.widget_name().as_str() {
                    "run" => input.emit(VmWindowInput::Power(PowerAction::Run)),
                    "password" => input.emit(VmWindowInput::AskPassword),
                    _ => input.emit(VmWindowInput::Reconnect),
                });
        }
        root.present();
        ComponentParts { model, widgets }
    }

    fn update(&mut self, msg: VmWindowInput, sender: ComponentSender<Self>, root: &Self::Root) {
        if std::env::var_os("VIREO_DEBUG").is_some() {
            eprintln!("vm-window input: {msg:?}");
        }
        match msg {
            VmWindowInput::Present => root.present(),
            VmWindowInput::RefreshDetails => self.load_details(&sender),
            VmWindowInput::ShowPage(page) => self.stack.set_visible_child_name(page),
            VmWindowInput::EditVcpus => {
                let Some(vm) = &self.xml else { return };
                let max = vm.vcpus_max().ok().flatten().unwrap_or(1);
                let current = vm.vcpus_current().ok().flatten().unwrap_or(max);
                let input = sender.input_sender().clone();
                crate::ui::hardware::edit_amount(
                    root.upcast_ref(),
                    &gettext("Change the Number of Processors"),
                    &gettext("Processors"),
                    current as f64,
                    1.0,
                    max as f64,
                    1.0,
                    self.state.is_some_and(|s| s.is_active()),
                    move |n| input.emit(VmWindowInput::SetVcpus(n as u32)),
                );
            }
            VmWindowInput::EditMemory => {
                let Some(vm) = &self.xml else { return };
                let max = vm.memory_kib().ok().flatten().unwrap_or(0) / 1024;
                let current = vm
                    .current_memory_kib()
                    .ok()
                    .flatten()
                    .map_or(max, |k| k / 1024);
                let input = sender.input_sender().clone();
                crate::ui::hardware::edit_amount(
                    root.upcast_ref(),
                    &gettext("Change the Memory"),
                    &gettext("Memory (MiB)"),
                    current as f64,
                    64.0_f64.min(max as f64),
                    max as f64,
                    64.0,
                    self.state.is_some_and(|s| s.is_active()),
                    move |mib| input.emit(VmWindowInput::SetMemory(mib)),
                );
            }
            VmWindowInput::Edit(edit) => {
                let (conn, uuid) = (self.conn.clone(), self.uuid.clone());
                sender.oneshot_command(async move {
                    let result = conn.edit(&uuid, edit.clone()).await;
                    VmWindowCmd::Edited(edit, result)
                });
            }
            VmWindowInput::SetVcpus(n) => {
                let (conn, uuid) = (self.conn.clone(), self.uuid.clone());
                sender.oneshot_command(async move {
                    VmWindowCmd::Applied(conn.set_vcpus(&uuid, n).await)
                });
            }
            VmWindowInput::SetMemory(mib) => {
                let (conn, uuid) = (self.conn.clone(), self.uuid.clone());
                sender.oneshot_command(async move {
                    VmWindowCmd::Applied(conn.set_memory(&uuid, mib * 1024).await)
                });
            }
            VmWindowInput::AddHardware => {
                let conn = self.conn.clone();
                sender.oneshot_command(async move {
                    let result = async {
                        let facts = conn.wizard_facts().await?;
                        // No USB listing (a remote or test host) is not fatal.
                        let usb = conn.usb_devices().await.unwrap_or_default();
                        let networks = facts.networks.into_iter().map(|n| n.name).collect();
                        Ok((networks, usb))
                    }
                    .await;
                    VmWindowCmd::HardwareChoices(result)
                });
            }
            VmWindowInput::AttachDevice(device, scope) => {
                let Some(vm) = &self.xml else { return };
                let xml = device.xml(vm);
                let (conn, uuid) = (self.conn.clone(), self.uuid.clone());
                sender.oneshot_command(async move {
                    let result = conn.attach_device(&uuid, &xml, scope).await;
                    VmWindowCmd::DeviceAttached {
                        device,
                        scope,
                        result,
                    }
                });
            }
            VmWindowInput::RemoveDevice(which) => {
                let Some(vm) = &self.xml else { return };
                let Some((element, index)) = which
                    .split_once(':')
                    .and_then(|(e, i)| Some((e.to_owned(), i.parse::<usize>().ok()?)))
                else {
                    return;
                };
                let Some(kind) = crate::core::xml::DeviceKind::ALL
                    .into_iter()
                    .find(|k| k.element() == element)
                else {
                    return;
                };
                let Some(xml) = vm.devices(kind).get(index).map(|d| d.to_xml_string()) else {
                    return;
                };
                let scope = self.scope();
                let (conn, uuid) = (self.conn.clone(), self.uuid.clone());
                let heading = gettext("Remove Device?");
                let body = gettext("The device is removed from the virtual machine.");
                let (cancel, remove) = (gettext("Cancel"), gettext("Remove"));
                let sender2 = sender.clone();
                dialog::show(
                    root.upcast_ref(),
                    dialog::Texts {
                        heading: &heading,
                        body: Some(&body),
                        cancel: &cancel,
                        confirm: &remove,
                    },
                    None,
                    dialog::Confirm::Destructive,
                    move || {
                        let (conn, uuid, xml) = (conn.clone(), uuid.clone(), xml.clone());
                        sender2.oneshot_command(async move {
                            let result = conn
                                .detach_device(&uuid, &xml, None, scope, std::time::Duration::ZERO)
                                .await;
                            VmWindowCmd::DeviceDetached(result)
                        });
                    },
                );
            }
            VmWindowInput::LoadXml => {
                if !self.xml_page.dirty() {
                    let (conn, uuid) = (self.conn.clone(), self.uuid.clone());
                    sender.oneshot_command(async move {
                        VmWindowCmd::PersistentXml(conn.domain_xml(&uuid, true).await)
                    });
                }
            }
            VmWindowInput::DefineXml(text) => {
                let conn = self.conn.clone();
                sender.oneshot_command(async move {
                    VmWindowCmd::XmlDefined(conn.define_xml(&text).await)
                });
            }
            VmWindowInput::AddDisk => {
                let conn = self.conn.clone();
                sender.oneshot_command(async move {
                    VmWindowCmd::PoolsForDisk(conn.wizard_facts().await)
                });
            }
            VmWindowInput::AttachDisk(disk, scope) => {
                let Some(vm) = &self.xml else { return };
                let xml = disk.xml(vm);
                let (conn, uuid) = (self.conn.clone(), self.uuid.clone());
                sender.oneshot_command(async move {
                    let mut made = None;
                    let mut result = match disk.volume() {
                        Some(v) => conn.create_volume(v).await.map(|p| made = Some(p)),
                        None => Ok(()),
                    };
                    if result.is_ok() {
                        result = conn.attach_device(&uuid, &xml, scope).await;
                    }
                    // Nothing is left behind by a disk that was not added.
                    if let (Err(_), Some(path)) = (&result, &made) {
                        let _ = conn.delete_volume(path).await;
                    }
                    VmWindowCmd::Attached {
                        disk,
                        scope,
                        result,
                    }
                });
            }
            VmWindowInput::RemoveDisk(target) => {
                let source = self
                    .xml
                    .as_ref()
                    .and_then(|vm| hardware::disk_source(vm, &target));
                let input = sender.input_sender().clone();
                let t = target.clone();
                crate::ui::hardware::remove_disk(
                    root.upcast_ref(),
                    &target,
                    source.as_deref(),
                    move |delete| {
                        input.emit(VmWindowInput::DetachDisk {
                            target: t.clone(),
                            delete,
                        })
                    },
                );
            }
            VmWindowInput::DetachDisk { target, delete } => {
                let Some(vm) = &self.xml else { return };
                let Some(xml) = hardware::disk_xml_by_target(vm, &target) else {
                    return;
                };
                let source = hardware::disk_source(vm, &target);
                let scope = self.scope();
                let (conn, uuid) = (self.conn.clone(), self.uuid.clone());
                sender.oneshot_command(async move {
                    let result = conn
                        .detach_device(
                            &uuid,
                            &xml,
                            Some(&target),
                            scope,
                            std::time::Duration::from_secs(10),
                        )
                        .await;
                    // The image goes only once nothing uses it.
                    let deleted = match (&result, delete, source) {
                        (Ok(Detached::Done), true, Some(path)) => {
                            Some(conn.delete_volume(&path).await)
                        }
                        _ => None,
                    };
                    VmWindowCmd::DiskDetached {
                        target,
                        result,
                        deleted,
                    }
                });
            }
            VmWindowInput::BrowseMedia(target) => {
                let input = sender.input_sender().clone();
                let opened =
                    dialog::choose_file(root, &gettext("Choose an ISO Image"), true, move |iso| {
                        input.emit(VmWindowInput::Media {
                            target: target.clone(),
                            iso: Some(iso),
                            force: false,
                        })
                    });
                if let Err(e) = opened {
                    self.toast(&e);
                }
            }
            VmWindowInput::Media { target, iso, force } => {
                let Some(vm) = &self.xml else { return };
                let xml = match hardware::media_xml(vm, &target, iso.as_deref()) {
                    Ok(x) => x,
                    Err(e) => return self.toast(&e.to_string()),
                };
                let scope = self.scope();
                let (conn, uuid) = (self.conn.clone(), self.uuid.clone());
                sender.oneshot_command(async move {
                    let result = conn.update_device(&uuid, &xml, scope, force).await;
                    VmWindowCmd::MediaDone {
                        target,
                        iso,
                        force,
                        result,
                    }
                });
            }
            VmWindowInput::Power(action) => {
                let (conn, uuid) = (self.conn.clone(), self.uuid.clone());
                sender.oneshot_command(async move {
                    VmWindowCmd::PowerDone(action, conn.power(&uuid, action).await)
                });
            }
            VmWindowInput::Reconnect => {
                if self.state.is_some_and(|s| s.is_active()) {
                    self.connect_console(&sender);
                } else {
                    self.load_state(&sender);
                }
            }
            VmWindowInput::Console(event) => match event {
                ConsoleEvent::Connected => {}
                ConsoleEvent::Initialized { .. } | ConsoleEvent::Resized { .. } => {
                    self.console = ConsoleState::Connected;
                    self.retries = 0;
                    self.view.grab_focus();
                }
                ConsoleEvent::PasswordNeeded => {
                    // No watchdog while the user types: it restarts with the
                    // answer. Behind the dialog (and after Cancel) the
                    // console says what it waits for.
                    self.attempt += 1;
                    self.message(
                        gettext("Password Needed"),
                        gettext_f(
                            "The display of “{name}” asks for a password.",
                            &[("name", &self.name)],
                        ),
                        Some("password"),
                    );
                    self.ask_password(root, &sender);
                }
                ConsoleEvent::AuthFailed(reason) => self.toast(&gettext_f(
                    "The console refused the password: {reason}",
                    &[("reason", &reason)],
                )),
                ConsoleEvent::PointerMode { absolute } => {
                    if !absolute {
                        self.toast(&gettext(
                            "The guest has no tablet: the pointer may not follow the mouse. Add a USB tablet to the VM.",
                        ));
                    }
                }
                ConsoleEvent::Disconnected(reason) => {
                    self.session = None;
                    self.tunnel = None;
                    self.view.ungrab();
                    if self.state.is_some_and(|s| s.is_active()) {
                        self.message(
                            gettext("Console Disconnected"),
                            reason.unwrap_or_else(|| {
                                gettext("The connection to the display was closed.")
                            }),
                            Some("reconnect"),
                        );
                        // A rebooting guest's display comes back with its
                        // Started event; a stop arrives as an event too.
                        // (Connecting while QEMU shuts down has left later
                        // gvnc connections stalled, so no retry here.)
                        self.load_state(&sender);
                    } else {
                        self.not_running();
                    }
                }
            },
            VmWindowInput::Grab(grabbed) => self.grabbed = grabbed,
            VmWindowInput::SendKeys(keys) => {
                if self.session.is_some() {
                    self.view.send_keys(&keys);
                    self.view.grab_focus();
                }
            }
            VmWindowInput::TypeClipboard => {
                let input = sender.input_sender().clone();
                root.clipboard()
                    .read_text_async(None::<&gio::Cancellable>, move |text| {
                        if let Ok(Some(text)) = text {
                            input.emit(VmWindowInput::Type(text.to_string()));
                        }
                    });
            }
            VmWindowInput::Type(text) => {
                if self.session.is_none() {
                    return;
                }
                let missing = self.view.type_text(&text);
                if !missing.is_empty() {
                    let chars: String = missing.into_iter().collect();
                    self.toast(&gettext_f(
                        "Some characters have no key on this keyboard layout and were skipped: {chars}",
                        &[("chars", &chars)],
                    ));
                }
            }
            VmWindowInput::Screenshot => {
                let Some(_) = self.view.texture() else {
                    self.toast(&gettext("There is no screen to save"));
                    return;
                };
                let stamp = glib::DateTime::now_local()
                    .and_then(|d| d.format("%Y-%m-%d %H-%M-%S"))
                    .map(|s| s.to_string())
                    .unwrap_or_default();
                let dir = glib::user_special_dir(glib::UserDirectory::Pictures)
                    .unwrap_or_else(glib::home_dir);
                let path = dir.join(format!("{} {stamp}.png", self.name));
                sender.input(VmWindowInput::SaveScreenshot(path));
            }
            VmWindowInput::SaveScreenshot(path) => {
                let Some(texture) = self.view.texture() else {
                    return;
                };
                let _ = std::fs::create_dir_all(path.parent().unwrap_or(&path));
                match texture.save_to_png(&path) {
                    Ok(()) => self.toast(&gettext_f(
                        "Screenshot saved to {path}",
                        &[("path", &path.display().to_string())],
                    )),
                    Err(e) => self.toast(&gettext_f(
                        "Could not save the screenshot: {reason}",
                        &[("reason", &e.to_string())],
                    )),
                }
            }
            VmWindowInput::Scale(mode) => self.view.set_scale_mode(mode),
            // The header follows the window's real state (fullscreened notify).
            VmWindowInput::ToggleFullscreen => {
                if root.is_fullscreen() {
                    root.unfullscreen();
                } else {
                    root.fullscreen();
                }
            }
            VmWindowInput::Password(password) => {
                if let Some(session) = &self.session {
                    session.provide_password(&password);
                    self.console = ConsoleState::Connecting;
                    self.arm_watchdog(&sender);
                }
            }
            VmWindowInput::ResizeRefused => self.toast(&gettext(
                "This guest’s display cannot be resized from here: it is scaled to the window instead.",
            )),
            VmWindowInput::AskPassword => {
                if self.session.is_some() {
                    self.ask_password(root, &sender);
                }
            }
        }
    }

    fn update_cmd(&mut self, msg: VmWindowCmd, sender: ComponentSender<Self>, _root: &Self::Root) {
        if std::env::var_os("VIREO_DEBUG").is_some() {
            eprintln!("vm-window command: {msg:?}");
        }
        match msg {
            VmWindowCmd::State(Ok(summary)) => {
                // Renamed (from Details or elsewhere): the window follows.
                if summary.name != self.name {
                    self.name.clone_from(&summary.name);
                    _root.set_title(Some(&summary.name));
                    if let Some(t) = self
                        .header
                        .title_widget()
                        .and_then(|t| t.downcast::<adw::ViewSwitcherTitle>().ok())
                    {
                        t.set_title(glib::markup_escape_text(&summary.name).as_str());
                    }
                }
                let was_active = self.state.is_some_and(|s| s.is_active());
                self.state = Some(summary.state);
                if summary.state.is_active() && !was_active && self.session.is_none() {
                    self.connect_console(&sender);
                } else if !summary.state.is_active() {
                    self.not_running();
                }
            }
            VmWindowCmd::State(Err(e)) => {
                self.message(gettext("Virtual Machine Not Available"), e.message, None);
            }
            VmWindowCmd::Target(attempt, result) if attempt == self.attempt => match result {
                Ok(target) => self.start_session(target, &sender),
                Err(e) => self.message(
                    gettext("Could Not Connect to the Console"),
                    e.message,
                    Some("reconnect"),
                ),
            },
            VmWindowCmd::Target(..) => {}
            VmWindowCmd::Xml(Ok((xml, saved, autostart))) => {
                self.xml = DomainXml::parse(&xml).ok();
                let running = self.state.is_some_and(|s| s.is_active());
                let pending = match (&self.xml, saved.as_deref().map(DomainXml::parse)) {
                    (Some(live), Some(Ok(saved))) if running => {
                        hardware::pending_changes(live, &saved)
                    }
                    _ => Vec::new(),
                };
                let input = sender.input_sender().clone();
                let cx = vm_details::Context {
                    running,
                    state: self.state.map(vm_list::state_label),
                    on_edit: std::rc::Rc::new(move |e| input.emit(VmWindowInput::Edit(e))),
                };
                // The page shown (a device's) stays shown when it still exists.
                let shown = self
                    .details
                    .child()
                    .and_then(|c| c.downcast::<gtk::Viewport>().ok())
                    .and_then(|v| v.child())
                    .or_else(|| self.details.child())
                    .and_then(|c| c.downcast::<gtk::Stack>().ok())
                    .and_then(|s| s.visible_child_name());
                let stack = vm_details::page(&xml, &pending, &cx);
                if let Some(name) = shown.filter(|n| stack.child_by_name(n).is_some()) {
                    stack.set_transition_type(gtk::StackTransitionType::None);
                    stack.set_visible_child_name(&name);
                    stack.set_transition_type(gtk::StackTransitionType::SlideLeftRight);
                }
                self.details.set_child(Some(&stack));
                if let Some(on) = autostart {
                    self.autostart.set_state(&on.to_variant());
                }
                self.update_media_menu();
            }
            VmWindowCmd::AutostartSet(Ok(on)) => self.autostart.set_state(&on.to_variant()),
            VmWindowCmd::AutostartSet(Err(e)) => {
                self.toast(&e.message);
                self.load_details(&sender);
            }
            VmWindowCmd::Xml(Err(e)) => self.toast(&e.message),
            VmWindowCmd::PersistentXml(Ok(xml)) => self.xml_page.show(&xml),
            VmWindowCmd::HardwareChoices(Ok((networks, usb))) => {
                let (input, input2) =
                    (sender.input_sender().clone(), sender.input_sender().clone());
                crate::ui::hardware::add_hardware(
                    _root.upcast_ref(),
                    &networks,
                    &usb,
                    self.state.is_some_and(|s| s.is_active()),
                    move || input.emit(VmWindowInput::AddDisk),
                    move |device, scope| input2.emit(VmWindowInput::AttachDevice(device, scope)),
                );
            }
            VmWindowCmd::HardwareChoices(Err(e)) => self.toast(&e.message),
            VmWindowCmd::DeviceAttached {
                device,
                scope,
                result,
            } => match result {
                Ok(()) => {
                    self.toast(&if scope.live {
                        gettext("Device added to the running guest")
                    } else {
                        gettext("Device added; the guest sees it from its next boot")
                    });
                    self.load_details(&sender);
                }
                Err(e) if scope.live && scope.persistent => {
                    let input = sender.input_sender().clone();
                    crate::ui::hardware::offer_next_boot(
                        _root.upcast_ref(),
                        &e.message,
                        move || {
                            input.emit(VmWindowInput::AttachDevice(
                                device.clone(),
                                Scope::NEXT_BOOT,
                            ))
                        },
                    );
                }
                Err(e) => self.toast(&gettext_f(
                    "The device was not added: {error}",
                    &[("error", &e.message)],
                )),
            },
            VmWindowCmd::DeviceDetached(result) => {
                match result {
                    Ok(Detached::Done) => self.toast(&gettext("Device removed")),
                    Ok(Detached::Pending) => self.toast(&gettext(
                        "The guest was asked to release the device; it leaves the running guest when the guest lets go",
                    )),
                    Err(e) => self.toast(&gettext_f(
                        "The device was not removed: {error}",
                        &[("error", &e.message)],
                    )),
                }
                self.load_details(&sender);
            }
            VmWindowCmd::Edited(edit, result) => {
                match result {
                    Ok(applied) => self.toast(&crate::ui::hardware::applied_text(&applied)),
                    Err(e) => {
                        self.toast(&gettext_f("Not changed: {error}", &[("error", &e.message)]))
                    }
                }
                if matches!(edit, crate::core::edit::Edit::Rename(_)) {
                    self.load_state(&sender);
                }
                self.load_details(&sender);
            }
            VmWindowCmd::Applied(result) => {
                match result {
                    Ok(applied) => self.toast(&crate::ui::hardware::applied_text(&applied)),
                    Err(e) => self.toast(&e.message),
                }
                self.load_details(&sender);
            }
            VmWindowCmd::PersistentXml(Err(e)) => self.xml_page.refused(&e.message),
            VmWindowCmd::XmlDefined(Ok(_)) => {
                self.toast(&if self.state.is_some_and(|s| s.is_active()) {
                    gettext("Configuration saved; the guest uses it from its next boot")
                } else {
                    gettext("Configuration saved")
                });
                let (conn, uuid) = (self.conn.clone(), self.uuid.clone());
                sender.oneshot_command(async move {
                    VmWindowCmd::PersistentXml(conn.domain_xml(&uuid, true).await)
                });
                self.load_details(&sender);
            }
            // libvirt's words, the user's text kept.
            VmWindowCmd::XmlDefined(Err(e)) => self.xml_page.refused(&e.message),
            VmWindowCmd::PoolsForDisk(result) => match result {
                Ok(facts) => {
                    let input = sender.input_sender().clone();
                    crate::ui::hardware::add_disk(
                        _root.upcast_ref(),
                        &self.name,
                        &facts.pools,
                        self.state.is_some_and(|s| s.is_active()),
                        move |disk, scope| input.emit(VmWindowInput::AttachDisk(disk, scope)),
                    );
                }
                Err(e) => self.toast(&e.message),
            },
            VmWindowCmd::Attached {
                disk,
                scope,
                result,
            } => match result {
                Ok(()) => {
                    self.toast(&if scope.live {
                        gettext("Disk added to the running guest")
                    } else {
                        gettext("Disk added; the guest sees it from its next boot")
                    });
                    self.load_details(&sender);
                }
                Err(e) if scope.live && scope.persistent => {
                    // Not hot-pluggable (IDE, SATA) or refused by the guest.
                    let input = sender.input_sender().clone();
                    let why = if hardware::hotpluggable(&disk.bus) {
                        e.message.clone()
                    } else {
                        gettext_f(
                            "{bus} disks cannot be added to a running guest ({error})",
                            &[("bus", &disk.bus.to_uppercase()), ("error", &e.message)],
                        )
                    };
                    crate::ui::hardware::offer_next_boot(_root.upcast_ref(), &why, move || {
                        input.emit(VmWindowInput::AttachDisk(disk.clone(), Scope::NEXT_BOOT))
                    });
                }
                Err(e) => self.toast(&gettext_f(
                    "The disk was not added: {error}",
                    &[("error", &e.message)],
                )),
            },
            VmWindowCmd::DiskDetached {
                target,
                result,
                deleted,
            } => {
                match result {
                    Ok(Detached::Done) => self.toast(&gettext_f(
                        "Disk {target} removed",
                        &[("target", &target)],
                    )),
                    Ok(Detached::Pending) => self.toast(&gettext_f(
                        "The guest has not released {target} yet; it leaves the running guest when the guest lets go",
                        &[("target", &target)],
                    )),
                    Err(e) => self.toast(&gettext_f(
                        "Disk {target} was not removed: {error}",
                        &[("target", &target), ("error", &e.message)],
                    )),
                }
                if let Some(Err(e)) = deleted {
                    self.toast(&gettext_f(
                        "The disk image was not deleted: {error}",
                        &[("error", &e.message)],
                    ));
                }
                self.load_details(&sender);
            }
            VmWindowCmd::MediaDone {
                target,
                iso,
                force,
                result,
            } => match (result, iso) {
                (Ok(()), Some(iso)) => {
                    crate::ui::hardware::remember_iso(&self.settings, &iso);
                    let name = std::path::Path::new(&iso)
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or(iso);
                    self.toast(&gettext_f(
                        "{iso} inserted into {target}",
                        &[("iso", &name), ("target", &target)],
                    ));
                    self.load_details(&sender);
                }
                (Ok(()), None) => {
                    self.toast(&gettext_f("{target} ejected", &[("target", &target)]));
                    self.load_details(&sender);
                }
                // QEMU: "Device '…' is locked and force was not specified".
                (Err(e), None) if !force && e.message.to_lowercase().contains("lock") => {
                    let input = sender.input_sender().clone();
                    crate::ui::hardware::offer_force_eject(
                        _root.upcast_ref(),
                        &e.message,
                        move || {
                            input.emit(VmWindowInput::Media {
                                target: target.clone(),
                                iso: None,
                                force: true,
                            })
                        },
                    );
                }
                (Err(e), _) => self.toast(&gettext_f(
                    "The medium was not changed: {error}",
                    &[("error", &e.message)],
                )),
            },
            VmWindowCmd::Event(ref event @ Event::Lifecycle { ref uuid, .. })
                if *uuid == self.uuid && event.is_rename() =>
            {
                // Not deleted: the same VM (by UUID) under a new name.
                self.load_state(&sender);
                self.load_details(&sender);
            }
            VmWindowCmd::Event(Event::Lifecycle { uuid, change, .. }) if uuid == self.uuid => {
                match change {
                    Lifecycle::Started => {
                        self.state = Some(DomainState::Running);
                        // QEMU's display is up shortly after the start event.
                        self.attempt += 1;
                        let attempt = self.attempt;
                        self.console = ConsoleState::Connecting;
                        sender.oneshot_command(async move {
                            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                            VmWindowCmd::ConnectDue(attempt)
                        });
                    }
                    Lifecycle::Stopped | Lifecycle::Crashed => {
                        self.state = Some(DomainState::ShutOff);
                        self.view.ungrab();
                        self.not_running();
                    }
                    Lifecycle::Undefined => {
                        self.message(
                            gettext("Virtual Machine Deleted"),
                            gettext("This virtual machine no longer exists."),
                            None,
                        );
                    }
                    _ => self.load_state(&sender),
                }
                self.load_details(&sender);
            }
            VmWindowCmd::Event(Event::Closed(_)) => {
                self.session = None;
                self.message(
                    gettext("Connection Lost"),
                    gettext("The connection to libvirt was lost."),
                    None,
                );
            }
            VmWindowCmd::Event(_) => {}
            VmWindowCmd::ConnectDue(attempt) if attempt == self.attempt => {
                if self.state.is_some_and(|s| s.is_active()) {
                    self.connect_console(&sender)
                }
            }
            VmWindowCmd::ConnectDue(_) => {}
            VmWindowCmd::Watchdog(attempt)
                if attempt == self.attempt
                    && self.console != ConsoleState::Connected
                    && self.state.is_some_and(|s| s.is_active())
                    && self.retries < 20 =>
            {
                self.session = None;
                self.schedule_reconnect(&sender);
            }
            VmWindowCmd::Watchdog(_) => {}
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
        let subtitle = if self.grabbed {
            gettext_f(
                "Press {keys} to release the keyboard",
                &[("keys", &modifiers_label(self.view.release_modifiers()))],
            )
        } else {
            vm_list::state_label(state)
        };
        widgets.title.set_subtitle(&subtitle);
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
                        _ => gettext("Reconnect"),
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_key_targets_name_virt_managers_combos() {
        let cad = combo("ctrl-alt-delete").unwrap();
        assert_eq!(cad.iter().map(|k| k.1).collect::<Vec<_>>(), [29, 56, 111]);
        let f2 = combo("ctrl-alt-f2").unwrap();
        assert_eq!(f2[2], (keysym::F1 + 1, 60));
        assert_eq!(combo("ctrl-alt-f12").unwrap()[2].1, 88);
        assert_eq!(combo("print").unwrap(), [(keysym::PRINT, 99)]);
        assert!(combo("ctrl-alt-f13").is_none());
        assert!(combo("nonsense").is_none());
    }
}
