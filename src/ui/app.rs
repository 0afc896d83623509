//! The main window: the connections and their virtual machines.

use std::collections::HashMap;

use gettextrs::gettext;
use relm4::adw::{self, prelude::*};
use relm4::gtk::{self, gio, glib};
use relm4::{Component, ComponentParts, ComponentSender};

use crate::core::cli::{Options, Show};
use crate::core::libvirt::{Connection, ErrorKind, Event};
use crate::core::uri;
use crate::core::xml::{DeviceKind, DomainXml};
use crate::ui::a11y::AccessibleLabelExt;
use crate::ui::delete_dialog;
use crate::ui::i18n::{gettext_f, ngettext_f};
use crate::ui::msg::{AppCommandOutput, AppInput, DeletableDisk, ShowWhat};
use crate::ui::usage;
use crate::ui::vm_list::{self, ConnStatus, ConnectionView, PollGuard};
use crate::ui::{about, add_connection, host_window, preferences, settings};

/// What the application was started with.
pub struct AppInit {
    pub options: Options,
}

pub struct App {
    settings: gio::Settings,
    options: Options,
    /// Bumped on every reconnect, so that late answers of old attempts are dropped.
    generation: u64,
    connections: Vec<ConnectionView>,
    /// The `--show-*` request, served once the first connection answers.
    pending_show: Option<Show>,
    list_box: gtk::Box,
    toasts: adw::ToastOverlay,
    /// The open host window, and the token its data must carry.
    host_window: Option<(u64, adw::PreferencesWindow)>,
    host_token: u64,
    /// Usage per (connection, VM) and the rows that show it.
    usage: HashMap<(usize, String), usage::History>,
    rows: HashMap<(usize, String), usage::RowHandle>,
    /// `stats-interval` in seconds, shared with the polling commands.
    stats_interval: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl App {
    fn page(&self) -> &'static str {
        let all = |f: fn(&ConnStatus) -> bool| {
            !self.connections.is_empty() && self.connections.iter().all(|c| f(&c.status))
        };
        if self.connections.is_empty() || all(|s| matches!(s, ConnStatus::Connecting)) {
            "connecting"
        } else if all(|s| matches!(s, ConnStatus::Failed(_))) {
            "error"
        } else if self.connections.len() == 1
            && matches!(&self.connections[0].status, ConnStatus::Connected { domains, .. } if domains.is_empty())
        {
            "empty"
        } else {
            "list"
        }
    }

    fn subtitle(&self) -> String {
        match self.connections.as_slice() {
            [one] => one.uri.clone(),
            [] => String::new(),
            many => ngettext_f(
                "{count} connection",
                "{count} connections",
                many.len() as u32,
                &[("count", &many.len().to_string())],
            ),
        }
    }

    fn error_description(&self) -> String {
        let messages: Vec<String> = self
            .connections
            .iter()
            .filter_map(|c| match &c.status {
                ConnStatus::Failed(m) => Some(if self.connections.len() == 1 {
                    m.clone()
                } else {
                    format!("{}: {m}", c.uri)
                }),
                _ => None,
            })
            .collect();
        glib::markup_escape_text(&messages.join("\n")).to_string()
    }

    fn connect_all(&mut self, sender: &ComponentSender<Self>) {
        self.generation += 1;
        self.connections.clear();
        self.usage.clear();
        let generation = self.generation;
        let cli = self.options.connect.clone();
        let saved: Vec<String> = self
            .settings
            .strv("autoconnect")
            .iter()
            .map(|s| s.to_string())
            .collect();
        sender.spawn_oneshot_command(move || {
            let uris = uri::initial_uris(cli.as_deref(), &saved, uri::system_daemon_reachable);
            AppCommandOutput::InitialUris { generation, uris }
        });
    }

    fn open(&mut self, index: usize, sender: &ComponentSender<Self>) {
        self.connections[index].status = ConnStatus::Connecting;
        self.try_open(index, sender);
    }

    /// Open a connection and list its VMs, leaving what is shown alone
    /// until the answer comes (automatic reconnects do not flicker).
    fn try_open(&self, index: usize, sender: &ComponentSender<Self>) {
        let generation = self.generation;
        let uri = self.connections[index].uri.clone();
        sender.oneshot_command(async move {
            let result = async {
                let conn = Connection::open(&uri).await?;
                let domains = conn.list_domains().await?;
                Ok((conn, domains))
            }
            .await;
            AppCommandOutput::Opened {
                generation,
                index,
                result,
            }
        });
    }

    /// Forward the connection's events into this component for as long as
    /// it lives (a shutdown-aware, long-lived command).
    fn watch(generation: u64, index: usize, conn: &Connection, sender: &ComponentSender<Self>) {
        let mut events = conn.subscribe();
        sender.command(move |out, shutdown| {
            shutdown
                .register(async move {
                    use tokio::sync::broadcast::error::RecvError;
                    loop {
                        let event = match events.recv().await {
                            Ok(e) => e,
                            // Fell behind: any lifecycle event makes us re-list.
                            Err(RecvError::Lagged(_)) => continue,
                            Err(RecvError::Closed) => break,
                        };
                        if out
                            .send(AppCommandOutput::Libvirt {
                                generation,
                                index,
                                event,
                            })
                            .is_err()
                        {
                            break;
                        }
                    }
                })
                .drop_on_shutdown()
        });
    }

    /// Sample the connection's statistics every `stats-interval` seconds
    /// (one bulk call) until its status changes.
    fn poll(
        &self,
        generation: u64,
        index: usize,
        conn: &Connection,
        guard: &PollGuard,
        sender: &ComponentSender<Self>,
    ) {
        let conn = conn.clone();
        let alive = guard.0.clone();
        let interval = self.stats_interval.clone();
        sender.command(move |out, shutdown| {
            shutdown
                .register(async move {
                    use std::sync::atomic::Ordering;
                    while alive.load(Ordering::SeqCst) {
                        if let Ok(stats) = conn.stats().await {
                            let at = std::time::Instant::now();
                            if out
                                .send(AppCommandOutput::Stats {
                                    generation,
                                    index,
                                    stats,
                                    at,
                                })
                                .is_err()
                            {
                                break;
                            }
                        }
                        let secs = interval.load(Ordering::Relaxed).max(1);
                        tokio::time::sleep(std::time::Duration::from_secs(secs)).await;
                    }
                })
                .drop_on_shutdown()
        });
    }

    fn schedule_reconnect(
        generation: u64,
        index: usize,
        attempt: u32,
        sender: &ComponentSender<Self>,
    ) {
        let delay = crate::core::libvirt::reconnect_delay(attempt);
        sender.oneshot_command(async move {
            tokio::time::sleep(delay).await;
            AppCommandOutput::ReconnectDue { generation, index }
        });
    }

    fn serve_pending_show(&mut self, sender: &ComponentSender<Self>) {
        let Some(conn) = self.connections.iter().find_map(|c| match &c.status {
            ConnStatus::Connected { conn, .. } => Some(conn.clone()),
            _ => None,
        }) else {
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
                self.toast(&gettext(
                    "The New Virtual Machine assistant is not available yet",
                ));
                return;
            }
            Some(Show::DomainConsole(key)) => (ShowWhat::Console, key),
            Some(Show::DomainEditor(key)) => (ShowWhat::Editor, key),
        };
        sender.oneshot_command(async move {
            let result = conn.lookup_domain(&key).await;
            AppCommandOutput::ShowTarget { what, key, result }
        });
    }

    /// A connected connection's handle and the name of one of its VMs.
    fn domain(&self, index: usize, uuid: &str) -> Option<(Connection, String)> {
        match &self.connections.get(index)?.status {
            ConnStatus::Connected { conn, domains, .. } => {
                let d = domains.iter().find(|d| d.uuid == uuid)?;
                Some((conn.clone(), d.name.clone()))
            }
            _ => None,
        }
    }

    fn toast(&self, text: &str) {
        let toast = adw::Toast::new(&glib::markup_escape_text(text));
        toast.set_timeout(8);
        self.toasts.add_toast(toast);
    }

    fn rebuild_list(&mut self, sender: &ComponentSender<Self>) {
        // Take the focus off rows about to be destroyed: GTK 4.8's AT-SPI
        // bridge crashes when it reports focus on a widget that is gone.
        if let Some(window) = self.list_box.root().and_downcast::<gtk::Window>()
            && gtk::prelude::GtkWindowExt::focus(&window)
                .is_some_and(|f| f.is_ancestor(&self.list_box))
        {
            gtk::prelude::GtkWindowExt::set_focus(&window, None::<&gtk::Widget>);
        }
        let input = sender.input_sender().clone();
        let host = sender.input_sender().clone();
        self.rows = vm_list::rebuild(
            &self.list_box,
            &self.connections,
            move |i| input.emit(AppInput::RetryConnection(i)),
            move |i| host.emit(AppInput::ShowHost(Some(i))),
        );
        for (key, row) in &self.rows {
            if let Some(h) = self.usage.get(key) {
                row.show(h);
            }
        }
    }
}

/// Read what the delete dialog shows from the VM's persistent XML.
async fn delete_info(
    conn: &Connection,
    uuid: &str,
) -> Result<(String, bool, Vec<DeletableDisk>), crate::core::libvirt::Error> {
    let summary = conn.lookup_domain(uuid).await?;
    let xml = conn.domain_xml(uuid, true).await?;
    let disks = match DomainXml::parse(&xml) {
        Ok(vm) => vm
            .devices(DeviceKind::Disk)
            .iter()
            .filter(|d| matches!(d.device_type().as_deref(), Some("file" | "block") | None))
            .filter_map(|d| {
                let path = d.source_file().or_else(|| d.source_dev())?;
                let media = matches!(d.disk_device().as_deref(), Some("cdrom" | "floppy"));
                let shared = d.element().child("shareable").is_some();
                Some(DeletableDisk {
                    path,
                    checked: !(d.readonly() || media || shared),
                })
            })
            .collect(),
        // The VM can still be deleted; its storage is then left alone.
        Err(_) => Vec::new(),
    };
    Ok((summary.name, summary.state.is_active(), disks))
}

/// What a lost connection shows while Vireo reconnects, with libvirt's
/// latest reason when there is one.
fn lost_message(reason: &str) -> String {
    let mut text = gettext("The connection to libvirt was lost. Vireo keeps trying to reconnect.");
    if !reason.is_empty() {
        text.push('\n');
        text.push_str(reason);
    }
    text
}

/// Remember a connection; `autoconnect` opens it at every start.
fn save_connection(settings: &gio::Settings, uri: &str, autoconnect: bool) {
    let mut saved: Vec<String> = settings
        .strv("connections")
        .iter()
        .map(|s| s.to_string())
        .collect();
    if !saved.iter().any(|s| s == uri) {
        saved.push(uri.to_owned());
    }
    let mut auto: Vec<String> = settings
        .strv("autoconnect")
        .iter()
        .map(|s| s.to_string())
        .collect();
    auto.retain(|s| s != uri);
    if autoconnect {
        auto.push(uri.to_owned());
    }
    fn as_refs(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }
    let _ = settings.set_strv("connections", as_refs(&saved));
    let _ = settings.set_strv("autoconnect", as_refs(&auto));
    gio::Settings::sync();
}

fn save_window_state(window: &adw::ApplicationWindow, settings: &gio::Settings) {
    let maximized = window.is_maximized();
    if !maximized {
        let (w, h) = window.default_size();
        let _ = settings.set_int("window-width", w);
        let _ = settings.set_int("window-height", h);
    }
    let _ = settings.set_boolean("window-maximized", maximized);
    gio::Settings::sync();
}

#[relm4::component(pub)]
impl Component for App {
    type Init = AppInit;
    type Input = AppInput;
    type Output = ();
    type CommandOutput = AppCommandOutput;

    view! {
        main_window = adw::ApplicationWindow {
            set_title: Some("Vireo"),
            set_width_request: 360,
            set_height_request: 294,

            gtk::Box {
                set_orientation: gtk::Orientation::Vertical,

                adw::HeaderBar {
                    #[wrap(Some)]
                    set_title_widget = &adw::WindowTitle {
                        set_title: "Vireo",
                        #[watch]
                        set_subtitle: &model.subtitle(),
                    },
                    pack_end = &gtk::MenuButton {
                        set_icon_name: "open-menu-symbolic",
                        set_primary: true,
                        set_menu_model: Some(&primary_menu),
                        set_tooltip_text: Some(&gettext("Main Menu")),
                        set_accessible_label: &gettext("Main Menu"),
                    },
                },

                #[local_ref]
                toasts -> adw::ToastOverlay {
                    set_vexpand: true,

                    gtk::Stack {
                        set_transition_type: gtk::StackTransitionType::Crossfade,

                        add_named[Some("connecting")] = &adw::StatusPage {
                            set_title: &gettext("Connecting…"),
                            #[wrap(Some)]
                            set_child = &gtk::Spinner {
                                set_spinning: true,
                                set_size_request: (32, 32),
                                set_halign: gtk::Align::Center,
                                set_accessible_label: &gettext("Connecting…"),
                            },
                        },
                        add_named[Some("error")] = &adw::StatusPage {
                            set_icon_name: Some("dialog-error-symbolic"),
                            set_title: &gettext("Could Not Connect"),
                            #[watch]
                            set_description: Some(&model.error_description()),
                            #[wrap(Some)]
                            set_child = &gtk::Button {
                                set_label: &gettext("_Try Again"),
                                set_use_underline: true,
                                set_accessible_label: &gettext("Try Again"),
                                set_halign: gtk::Align::Center,
                                add_css_class: "pill",
                                add_css_class: "suggested-action",
                                connect_clicked => AppInput::Reconnect,
                            },
                        },
                        add_named[Some("empty")] = &adw::StatusPage {
                            set_icon_name: Some("computer-symbolic"),
                            set_title: &gettext("No Virtual Machines"),
                            set_description: Some(&gettext("This connection has no virtual machines yet.")),
                        },
                        add_named[Some("list")] = &gtk::ScrolledWindow {
                            set_hscrollbar_policy: gtk::PolicyType::Never,
                            adw::Clamp {
                                set_maximum_size: 800,
                                #[local_ref]
                                list_box -> gtk::Box {
                                    set_orientation: gtk::Orientation::Vertical,
                                    set_spacing: 24,
                                    set_margin_top: 24,
                                    set_margin_bottom: 24,
                                    set_margin_start: 12,
                                    set_margin_end: 12,
                                },
                            },
                        },
                        #[watch]
                        set_visible_child_name: model.page(),
                    },
                },
            },
        }
    }

    fn init(
        init: AppInit,
        root: Self::Root,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let settings = settings::open();
        root.set_default_size(settings.int("window-width"), settings.int("window-height"));
        if settings.boolean("window-maximized") {
            root.maximize();
        }
        {
            let settings = settings.clone();
            root.connect_close_request(move |w| {
                save_window_state(w, &settings);
                glib::Propagation::Proceed
            });
        }

        let primary_menu: gio::MenuModel = gtk::Builder::from_resource("/dev/vireo/Vireo/menus.ui")
            .object("primary_menu")
            .expect("menus.ui defines primary_menu");

        let list_box = gtk::Box::default();
        let toasts = adw::ToastOverlay::new();
        let mut model = App {
            settings,
            pending_show: init.options.show.clone(),
            options: init.options,
            generation: 0,
            connections: Vec::new(),
            list_box: list_box.clone(),
            toasts: toasts.clone(),
            host_window: None,
            host_token: 0,
            usage: HashMap::new(),
            rows: HashMap::new(),
            stats_interval: Default::default(),
        };
        {
            use std::sync::atomic::Ordering;
            let shared = model.stats_interval.clone();
            shared.store(
                u64::from(model.settings.uint("stats-interval")),
                Ordering::Relaxed,
            );
            model
                .settings
                .connect_changed(Some("stats-interval"), move |s, key| {
                    shared.store(u64::from(s.uint(key)), Ordering::Relaxed);
                });
        }
        let widgets = view_output!();

        for (name, msg) in [
            (
                "preferences",
                (|| AppInput::ShowPreferences) as fn() -> AppInput,
            ),
            ("about", || AppInput::ShowAbout),
            ("reconnect", || AppInput::Reconnect),
            ("host-details", || AppInput::ShowHost(None)),
            ("add-connection", || AppInput::ShowAddConnection),
        ] {
            let action = gio::SimpleAction::new(name, None);
            let input = sender.input_sender().clone();
            action.connect_activate(move |_, _| input.emit(msg()));
            root.add_action(&action);
        }

        let power = gio::SimpleAction::new("vm-power", Some(glib::VariantTy::STRING));
        {
            let input = sender.input_sender().clone();
            power.connect_activate(move |_, target| {
                let Some(target) = target.and_then(|t| t.get::<String>()) else {
                    return;
                };
                let mut parts = target.split('\t');
                let (Some(index), Some(uuid), Some(action)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    return;
                };
                if let (Ok(index), Some(action)) = (index.parse(), vm_list::action_from_id(action))
                {
                    input.emit(AppInput::Power {
                        index,
                        uuid: uuid.to_owned(),
                        action,
                    });
                }
            });
        }
        root.add_action(&power);
        let delete = gio::SimpleAction::new("vm-delete", Some(glib::VariantTy::STRING));
        {
            let input = sender.input_sender().clone();
            delete.connect_activate(move |_, target| {
                let Some(target) = target.and_then(|t| t.get::<String>()) else {
                    return;
                };
                if let Some((index, uuid)) = target.split_once('\t')
                    && let Ok(index) = index.parse()
                {
                    input.emit(AppInput::AskDelete {
                        index,
                        uuid: uuid.to_owned(),
                    });
                }
            });
        }
        root.add_action(&delete);

        model.connect_all(&sender);
        ComponentParts { model, widgets }
    }

    fn update(&mut self, msg: AppInput, sender: ComponentSender<Self>, root: &Self::Root) {
        match msg {
            AppInput::Reconnect => {
                self.connect_all(&sender);
                self.rebuild_list(&sender);
            }
            AppInput::RetryConnection(index) if index < self.connections.len() => {
                self.open(index, &sender);
                self.rebuild_list(&sender);
            }
            AppInput::RetryConnection(_) => {}
            AppInput::ShowPreferences => preferences::show(root.upcast_ref(), &self.settings),
            AppInput::ShowAbout => about::show(root.upcast_ref()),
            AppInput::Power {
                index,
                uuid,
                action,
            } => {
                let Some((conn, name)) = self.domain(index, &uuid) else {
                    return;
                };
                sender.oneshot_command(async move {
                    let result = conn.power(&uuid, action).await;
                    AppCommandOutput::PowerDone {
                        name,
                        action,
                        result,
                    }
                });
            }
            AppInput::ShowAddConnection => {
                add_connection::show(root.upcast_ref(), sender.input_sender())
            }
            AppInput::AddConnection { uri, autoconnect } => {
                save_connection(&self.settings, &uri, autoconnect);
                let index = match self.connections.iter().position(|c| c.uri == uri) {
                    Some(i) => i,
                    None => {
                        self.connections.push(ConnectionView {
                            uri,
                            status: ConnStatus::Disconnected,
                            reconnects: 0,
                        });
                        self.connections.len() - 1
                    }
                };
                if !matches!(
                    self.connections[index].status,
                    ConnStatus::Connected { .. } | ConnStatus::Connecting
                ) {
                    self.open(index, &sender);
                }
                self.rebuild_list(&sender);
            }
            AppInput::ShowHost(which) => {
                let found =
                    self.connections
                        .iter()
                        .enumerate()
                        .find_map(|(i, c)| match &c.status {
                            ConnStatus::Connected { conn, .. } if which.is_none_or(|w| w == i) => {
                                Some(conn.clone())
                            }
                            _ => None,
                        });
                let Some(conn) = found else {
                    self.toast(&gettext("Not connected"));
                    return;
                };
                self.host_token += 1;
                let token = self.host_token;
                let window = host_window::open(root.upcast_ref(), conn.uri());
                self.host_window = Some((token, window));
                sender.oneshot_command(async move {
                    let result = conn.host_overview().await;
                    AppCommandOutput::HostLoaded { token, result }
                });
            }
            AppInput::AskDelete { index, uuid } => {
                let Some((conn, _)) = self.domain(index, &uuid) else {
                    return;
                };
                sender.oneshot_command(async move {
                    let result = delete_info(&conn, &uuid).await;
                    AppCommandOutput::DeleteInfo {
                        index,
                        uuid,
                        result,
                    }
                });
            }
            AppInput::Delete {
                index,
                uuid,
                name,
                storage,
            } => {
                let Some((conn, _)) = self.domain(index, &uuid) else {
                    return;
                };
                sender.oneshot_command(async move {
                    let result = conn.delete(&uuid, storage).await;
                    AppCommandOutput::Deleted { name, result }
                });
            }
        }
    }

    fn update_cmd(
        &mut self,
        msg: AppCommandOutput,
        sender: ComponentSender<Self>,
        root: &Self::Root,
    ) {
        // Rows are rebuilt only when what they show changed: every rebuild
        // destroys widgets that assistive technologies may be looking at.
        let mut changes_rows = matches!(
            msg,
            AppCommandOutput::InitialUris { .. }
                | AppCommandOutput::Opened { .. }
                | AppCommandOutput::Listed { .. }
                | AppCommandOutput::Libvirt {
                    event: Event::Closed(_),
                    ..
                }
        );
        match msg {
            AppCommandOutput::InitialUris { generation, uris } if generation == self.generation => {
                let opened = uris.len();
                self.connections = uris
                    .into_iter()
                    .map(|uri| ConnectionView {
                        uri,
                        status: ConnStatus::Connecting,
                        reconnects: 0,
                    })
                    .collect();
                // Saved connections that do not open by themselves are listed too.
                if self.options.connect.is_none() {
                    for uri in self.settings.strv("connections") {
                        if !self.connections.iter().any(|c| c.uri == uri.as_str()) {
                            self.connections.push(ConnectionView {
                                uri: uri.to_string(),
                                status: ConnStatus::Disconnected,
                                reconnects: 0,
                            });
                        }
                    }
                }
                for index in 0..opened {
                    self.open(index, &sender);
                }
            }
            AppCommandOutput::Opened {
                generation,
                index,
                result,
            } if generation == self.generation && index < self.connections.len() => {
                let view = &mut self.connections[index];
                view.status = match result {
                    Ok((conn, domains)) => {
                        view.uri = conn.uri().to_owned();
                        view.reconnects = 0;
                        Self::watch(generation, index, &conn, &sender);
                        let poll = PollGuard::new();
                        ConnStatus::Connected {
                            conn,
                            domains,
                            poll,
                        }
                    }
                    Err(e) if view.reconnects > 0 => {
                        // Still down: try again later, less often.
                        view.reconnects += 1;
                        Self::schedule_reconnect(generation, index, view.reconnects, &sender);
                        ConnStatus::Failed(lost_message(&e.message))
                    }
                    Err(e) => {
                        eprintln!("vireo: cannot connect to {}: {e}", view.uri);
                        ConnStatus::Failed(e.message)
                    }
                };
                if let ConnStatus::Connected { conn, poll, .. } = &self.connections[index].status {
                    self.poll(generation, index, conn, poll, &sender);
                }
                self.serve_pending_show(&sender);
            }
            AppCommandOutput::Stats {
                generation,
                index,
                stats,
                at,
            } if generation == self.generation => {
                for s in stats {
                    let key = (index, s.uuid.clone());
                    let history = self.usage.entry(key.clone()).or_default();
                    history.push(s, at);
                    // Updated in place: the rows (and any open menu) stay.
                    if let Some(row) = self.rows.get(&key) {
                        row.show(history);
                    }
                }
            }
            AppCommandOutput::Libvirt {
                generation,
                index,
                event,
            } if generation == self.generation && index < self.connections.len() => match event {
                Event::Lifecycle { .. } => {
                    if let ConnStatus::Connected { conn, .. } = &self.connections[index].status {
                        let conn = conn.clone();
                        sender.oneshot_command(async move {
                            let result = conn.list_domains().await;
                            AppCommandOutput::Listed {
                                generation,
                                index,
                                result,
                            }
                        });
                    }
                }
                Event::Closed(_) => {
                    let view = &mut self.connections[index];
                    if matches!(view.status, ConnStatus::Connected { .. }) {
                        view.status = ConnStatus::Failed(lost_message(""));
                        view.reconnects = 1;
                        Self::schedule_reconnect(generation, index, 1, &sender);
                    }
                }
            },
            AppCommandOutput::ReconnectDue { generation, index }
                if generation == self.generation && index < self.connections.len() =>
            {
                if matches!(self.connections[index].status, ConnStatus::Failed(_))
                    && self.connections[index].reconnects > 0
                {
                    let reconnects = self.connections[index].reconnects;
                    self.open(index, &sender);
                    self.connections[index].reconnects = reconnects;
                }
            }
            AppCommandOutput::Listed {
                generation,
                index,
                result,
            } if generation == self.generation && index < self.connections.len() => {
                if let ConnStatus::Connected { domains, .. } = &mut self.connections[index].status {
                    match result {
                        Ok(fresh) if fresh == *domains => changes_rows = false,
                        Ok(fresh) => *domains = fresh,
                        Err(e) => self.toast(&e.message),
                    }
                }
            }
            AppCommandOutput::HostLoaded { token, result } => {
                if let Some((t, window)) = &self.host_window
                    && *t == token
                {
                    match result {
                        Ok(host) => host_window::fill(window, &host),
                        Err(e) => host_window::fail(window, &e.message),
                    }
                }
            }
            AppCommandOutput::PowerDone {
                name,
                action,
                result,
            } => {
                if let Err(e) = result {
                    self.toast(&gettext_f(
                        "{action} “{name}” failed: {reason}",
                        &[
                            ("action", &vm_list::action_label(action)),
                            ("name", &name),
                            ("reason", &e.message),
                        ],
                    ));
                }
            }
            AppCommandOutput::DeleteInfo {
                index,
                uuid,
                result,
            } => match result {
                Ok((name, active, disks)) => delete_dialog::show(
                    root.upcast_ref(),
                    index,
                    uuid,
                    name,
                    active,
                    disks,
                    sender.input_sender(),
                ),
                Err(e) => self.toast(&e.message),
            },
            AppCommandOutput::Deleted { name, result } => match result {
                Ok(report) if report.failed.is_empty() => {
                    self.toast(&gettext_f("Deleted “{name}”", &[("name", &name)]));
                }
                Ok(report) => {
                    let failures: Vec<String> = report
                        .failed
                        .iter()
                        .map(|(p, m)| format!("{p}: {m}"))
                        .collect();
                    self.toast(&gettext_f(
                        "Deleted “{name}”, but not all of its storage: {failures}",
                        &[("name", &name), ("failures", &failures.join("; "))],
                    ));
                }
                Err(e) => self.toast(&gettext_f(
                    "Could not delete “{name}”: {reason}",
                    &[("name", &name), ("reason", &e.message)],
                )),
            },
            AppCommandOutput::ShowTarget { what, key, result } => match result {
                Ok(domain) => {
                    let text = match what {
                        ShowWhat::Console => gettext_f(
                            "Found “{name}”. Its console window is not available yet.",
                            &[("name", &domain.name)],
                        ),
                        ShowWhat::Editor => gettext_f(
                            "Found “{name}”. Its details window is not available yet.",
                            &[("name", &domain.name)],
                        ),
                    };
                    self.toast(&text);
                }
                Err(e) if e.kind == ErrorKind::NoSuchDomain => {
                    self.toast(&gettext_f(
                        "No virtual machine named “{name}”",
                        &[("name", &key)],
                    ));
                }
                Err(e) => self.toast(&e.message),
            },
            // Answers to an attempt that a reconnect has replaced.
            AppCommandOutput::InitialUris { .. }
            | AppCommandOutput::Opened { .. }
            | AppCommandOutput::Libvirt { .. }
            | AppCommandOutput::ReconnectDue { .. }
            | AppCommandOutput::Stats { .. }
            | AppCommandOutput::Listed { .. } => {}
        }
        if changes_rows {
            self.rebuild_list(&sender);
        }
    }
}
