//! The main window: the connections and their virtual machines.
//!
//! Length: the main window's component still routes every input of the window
//! (about forty: list, selection, power, connections, dialogs) in one
//! `update`; its connections (`connections.rs`) and the windows it opens
//! (`windows.rs`) are split out, and splitting the header and list into child
//! components is the next step.

mod connections;
pub mod early;
mod hosts;
mod nearby;
pub mod usage;
pub mod vm_item;
pub mod vm_list;
pub mod vm_row;
mod windows;

use std::collections::HashMap;

use gettextrs::gettext;
use relm4::adw::{self, prelude::*};
use relm4::gtk::{self, gio, glib};
use relm4::{Component, ComponentController, ComponentParts, ComponentSender};

use crate::core::cli::{Options, Show};
use crate::core::libvirt::PowerAction;
use crate::core::libvirt::{Connection, ErrorKind, Event};
use crate::core::uri;
use crate::core::xml::{DeviceKind, DomainXml};
use crate::ui::a11y::AccessibleLabelExt;
use crate::ui::i18n::{gettext_f, ngettext_f};
use crate::ui::msg::{AppCommandOutput, AppInput, DeletableDisk, ShowWhat};

use crate::ui::dialogs::clone::{CloneDialog, CloneInit, CloneOutput};
use crate::ui::dialogs::{about, connection as add_connection, preferences};
use crate::ui::dialogs::{credentials as auth_dialog, delete as delete_dialog};
use crate::ui::main_window::vm_row::Graphs;
use crate::ui::vm_window::{VmWindow, VmWindowInit, VmWindowInput};
use crate::ui::wizard::{Wizard, WizardInit, WizardOutput};
use crate::ui::{host_window, settings};
use connections::{delete_info, forget_connection, lost_message, save_connection};
use vm_list::{ConnStatus, ConnectionView, PollGuard, SortKey, VmList};

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
    list: VmList,
    /// The initial connections were decided (before that: "Connecting…").
    started: bool,
    query: String,
    search_bar: gtk::SearchBar,
    /// The actions on the selected VM, enabled by its state.
    sel_actions: Vec<(&'static str, gio::SimpleAction)>,
    toasts: adw::ToastOverlay,
    /// The host window: its token, window, connection and Storage and
    /// Networks pages (added once the overview is read).
    host_window: Option<(
        u64,
        adw::PreferencesWindow,
        Connection,
        Option<host_window::Pages>,
    )>,
    host_token: u64,
    /// Usage per (connection, VM) and the rows that show it.
    usage: HashMap<(usize, String), usage::Shared>,
    /// Open VM windows, by connection and UUID.
    vm_windows: HashMap<(usize, String), relm4::Controller<VmWindow>>,
    /// The open New VM wizard.
    wizard: Option<relm4::Controller<Wizard>>,
    /// The open Clone dialog (one at a time).
    clone_dialog: Option<relm4::Controller<CloneDialog>>,
    /// The hosts section of the list menu, and the hosts it lists.
    hosts_menu: gio::Menu,
    menu_hosts: Vec<String>,
    /// The latest counters of each connected host.
    host_loads: HashMap<usize, crate::core::libvirt::HostLoad>,
    /// What each connected host's header shows of its load.
    header_loads: HashMap<usize, vm_item::HeaderLoad>,
    /// Every host was connected at the last look (for `VIREO_TRACE_STARTUP`).
    all_connected: bool,
    /// A list rebuild is queued for when the main loop is idle (answers
    /// of many hosts arriving together make one rebuild).
    rebuild_queued: bool,
    /// The latest memory trim scheduled (earlier ones are skipped).
    trim_token: std::rc::Rc<std::cell::Cell<u64>>,
    /// The open Migrate dialog (one at a time).
    migrate_dialog: Option<relm4::Controller<crate::ui::dialogs::migrate::MigrateDialog>>,
    /// `stats-interval` in seconds, shared with the polling commands.
    stats_interval: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl App {
    fn shown(&self) -> impl Iterator<Item = &ConnectionView> {
        self.connections
            .iter()
            .filter(|c| !matches!(c.status, ConnStatus::Removed))
    }

    fn page(&self) -> &'static str {
        let shown: Vec<&ConnectionView> = self.shown().collect();
        let all =
            |f: fn(&ConnStatus) -> bool| !shown.is_empty() && shown.iter().all(|c| f(&c.status));
        if !self.started || all(|s| matches!(s, ConnStatus::Connecting)) {
            "connecting"
        } else if shown.is_empty() {
            "no-connections"
        } else if all(|s| matches!(s, ConnStatus::Failed(_)))
            && shown.iter().all(|c| c.kept.is_empty())
        {
            "error"
        } else if shown.len() == 1
            && matches!(&shown[0].status, ConnStatus::Connected { domains, .. } if domains.is_empty())
        {
            "empty"
        } else if !self.query.is_empty() && self.list.matching_vms() == 0 {
            "no-results"
        } else {
            "list"
        }
    }

    /// Whether the selected VM is paused (the header bar offers Resume).
    fn selected_paused(&self) -> bool {
        self.list.selected().is_some_and(|(_, d)| {
            matches!(
                d.state,
                crate::core::libvirt::DomainState::Paused
                    | crate::core::libvirt::DomainState::PmSuspended
            )
        })
    }

    fn subtitle(&self) -> String {
        let shown: Vec<&ConnectionView> = self.shown().collect();
        match shown.as_slice() {
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

    fn rebuild_list(&mut self, _sender: &ComponentSender<Self>) {
        self.sync_hosts_menu();
        self.trace_all_connected();
        crate::ui::trace("list rebuild starts");
        self.list.sync(&self.connections, &self.usage);
        for (index, load) in &self.header_loads {
            if matches!(
                self.connections.get(*index).map(|c| &c.status),
                Some(ConnStatus::Connected { .. })
            ) {
                self.list.show_load(*index, *load);
            }
        }
        crate::ui::trace("list model built");
        self.update_selection_actions();
        self.update_stats_wanted();
        self.schedule_trim();
    }

    /// Return the memory a rebuild's burst freed, once rebuilds settle.
    fn schedule_trim(&self) {
        let token = self.trim_token.get() + 1;
        self.trim_token.set(token);
        let current = self.trim_token.clone();
        glib::timeout_add_local_once(std::time::Duration::from_secs(3), move || {
            if current.get() == token {
                crate::ui::return_free_memory();
            }
        });
    }

    /// Tell each host's poll whether its domain statistics are wanted.
    fn update_stats_wanted(&self) {
        for (index, view) in self.connections.iter().enumerate() {
            if let ConnStatus::Connected { poll, .. } = &view.status {
                poll.want_stats(self.list.wants_stats(index));
            }
        }
    }

    /// Enable the header bar's and the shortcuts' actions for the selected VM.
    fn update_selection_actions(&self) {
        let selected = self.list.selected();
        let state = selected.as_ref().map(|(_, d)| d.state);
        for (id, action) in &self.sel_actions {
            let enabled = match (*id, state) {
                (_, None) => false,
                ("open" | "delete" | "clone" | "migrate", Some(_)) => true,
                (id, Some(state)) => vm_list::action_from_id(id)
                    .is_some_and(|a| PowerAction::available(state).contains(&a)),
            };
            action.set_enabled(enabled);
        }
    }
}

/// Give a status page its icon when it is first shown: GTK 4.8 loads a
/// large symbolic icon from its SVG (through librsvg, ~7 MB resident) as
/// soon as the page exists, though most of these pages never show.
fn lazy_icon(page: &adw::StatusPage, icon: &str) {
    if page.icon_name().is_none() {
        page.set_icon_name(Some(icon));
    }
}

/// A lost host's VMs stay listed (dimmed) for this many reconnect
/// attempts, about 10 s: a daemon restart or a network blip costs no rows.
const KEEP_LOST_VMS: u32 = crate::core::libvirt::QUICK_RECONNECTS + 8;

/// Show a status page's spinner after half a second on screen.
fn spinner_later(page: &adw::StatusPage) {
    let page = page.downgrade();
    glib::timeout_add_local_once(std::time::Duration::from_millis(500), move || {
        if let Some(page) = page.upgrade()
            && page.is_mapped()
            && let Some(child) = page.child()
        {
            child.set_visible(true);
        }
    });
}

fn graphs(settings: &gio::Settings) -> Graphs {
    Graphs {
        disk: settings.boolean("show-disk-graph"),
        network: settings.boolean("show-network-graph"),
        host: false,
    }
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
                    pack_start = &gtk::Box {
                        set_spacing: 6,
                        gtk::Button {
                            set_icon_name: "list-add-symbolic",
                            set_action_name: Some("win.new-vm"),
                            set_tooltip_text: Some(&gettext("New Virtual Machine")),
                            set_accessible_label: &gettext("New Virtual Machine"),
                        },
                        gtk::Button {
                            set_icon_name: "media-playback-start-symbolic",
                            set_action_name: Some("win.sel-run"),
                            set_tooltip_text: Some(&gettext("Run")),
                            set_accessible_label: &gettext("Run"),
                        },
                        gtk::Button {
                            set_icon_name: "media-playback-pause-symbolic",
                            set_action_name: Some("win.sel-pause"),
                            set_tooltip_text: Some(&gettext("Pause")),
                            set_accessible_label: &gettext("Pause"),
                            #[watch]
                            set_visible: !model.selected_paused(),
                        },
                        gtk::Button {
                            set_icon_name: "media-playback-start-symbolic",
                            set_action_name: Some("win.sel-resume"),
                            set_tooltip_text: Some(&gettext("Resume")),
                            set_accessible_label: &gettext("Resume"),
                            #[watch]
                            set_visible: model.selected_paused(),
                        },
                        gtk::Box {
                            add_css_class: "linked",
                            gtk::Button {
                                set_icon_name: "system-shutdown-symbolic",
                                set_action_name: Some("win.sel-shutdown"),
                                set_tooltip_text: Some(&gettext("Shut Down")),
                                set_accessible_label: &gettext("Shut Down"),
                            },
                            gtk::MenuButton {
                                set_icon_name: "pan-down-symbolic",
                                set_create_popup_func: menu_when_opened(power_menu.clone().upcast()),
                                set_tooltip_text: Some(&gettext("More Power Actions")),
                                set_accessible_label: &gettext("More Power Actions"),
                            },
                        },
                    },
                    #[wrap(Some)]
                    set_title_widget = &adw::WindowTitle {
                        set_title: "Vireo",
                        #[watch]
                        set_subtitle: &model.subtitle(),
                    },
                    pack_end = &gtk::MenuButton {
                        set_icon_name: "open-menu-symbolic",
                        set_primary: true,
                        set_create_popup_func: menu_when_opened(primary_menu.clone()),
                        set_tooltip_text: Some(&gettext("Main Menu")),
                        set_accessible_label: &gettext("Main Menu"),
                    },
                    pack_end = &gtk::MenuButton {
                        set_icon_name: "view-sort-descending-symbolic",
                        // Made now: its radio items are announced as such
                        // only when the popover exists before they are shown.
                        set_menu_model: Some(&sort_menu),
                        set_tooltip_text: Some(&gettext("Sort")),
                        set_accessible_label: &gettext("Sort"),
                    },
                    pack_end = &gtk::ToggleButton {
                        set_icon_name: "system-search-symbolic",
                        set_tooltip_text: Some(&gettext("Search")),
                        set_accessible_label: &gettext("Search"),
                        set_action_name: Some("win.search"),
                    },
                },

                #[local_ref]
                search_bar -> gtk::SearchBar {
                    #[wrap(Some)]
                    set_child = &adw::Clamp {
                        set_maximum_size: 400,
                        #[local_ref]
                        search_entry -> gtk::SearchEntry {
                            set_placeholder_text: Some(&gettext("Search virtual machines")),
                            set_accessible_label: &gettext("Search virtual machines"),
                            connect_search_changed[sender] => move |e| {
                                sender.input(AppInput::Search(e.text().to_string()));
                            },
                            connect_activate[sender] => move |_| {
                                sender.input(AppInput::OpenFirstMatch);
                            },
                        },
                    },
                },

                #[local_ref]
                toasts -> adw::ToastOverlay {
                    set_vexpand: true,

                    gtk::Stack {
                        set_transition_type: gtk::StackTransitionType::Crossfade,

                        add_named[Some("connecting")] = &adw::StatusPage {
                            set_title: &gettext("Connecting…"),
                            // The spinner shows only when connecting takes a
                            // while: no flash for a local host.
                            connect_map => |p| { spinner_later(p); },
                            connect_unmap => |p| if let Some(c) = p.child() { c.set_visible(false) },
                            #[wrap(Some)]
                            set_child = &gtk::Spinner {
                                set_visible: false,
                                // Spinning only while shown: GTK 4.8 animates
                                // a spinning spinner on a hidden page too.
                                connect_map => |s| s.set_spinning(true),
                                connect_unmap => |s| s.set_spinning(false),
                                set_size_request: (32, 32),
                                set_halign: gtk::Align::Center,
                                set_accessible_label: &gettext("Connecting…"),
                            },
                        },
                        add_named[Some("error")] = &adw::StatusPage {
                            // Icons load when shown (see `lazy_icon`).
                            connect_map => |p| lazy_icon(p, "dialog-error-symbolic"),
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
                            // Icons load when shown (see `lazy_icon`).
                            connect_map => |p| lazy_icon(p, "computer-symbolic"),
                            set_title: &gettext("No Virtual Machines"),
                            set_description: Some(&gettext("This connection has no virtual machines yet.")),
                            #[wrap(Some)]
                            set_child = &gtk::Button {
                                set_label: &gettext("Create a VM"),
                                set_halign: gtk::Align::Center,
                                add_css_class: "pill",
                                add_css_class: "suggested-action",
                                connect_clicked => AppInput::ShowCreator,
                            },
                        },
                        add_named[Some("no-connections")] = &adw::StatusPage {
                            // Icons load when shown (see `lazy_icon`).
                            connect_map => |p| lazy_icon(p, "network-server-symbolic"),
                            set_title: &gettext("No Connections"),
                            set_description: Some(&gettext("Add a connection to a libvirt host to see its virtual machines.")),
                            #[wrap(Some)]
                            set_child = &gtk::Button {
                                set_label: &gettext("Add Connection…"),
                                set_halign: gtk::Align::Center,
                                add_css_class: "pill",
                                add_css_class: "suggested-action",
                                connect_clicked => AppInput::ShowAddConnection,
                            },
                        },
                        add_named[Some("no-results")] = &adw::StatusPage {
                            // Icons load when shown (see `lazy_icon`).
                            connect_map => |p| lazy_icon(p, "system-search-symbolic"),
                            set_title: &gettext("No Results Found"),
                            set_description: Some(&gettext("No virtual machine matches the search.")),
                        },
                        add_named[Some("list")] = &gtk::ScrolledWindow {
                            set_hscrollbar_policy: gtk::PolicyType::Never,
                            adw::ClampScrollable {
                                set_maximum_size: 900,
                                #[local_ref]
                                list_view -> gtk::ListView {
                                    set_margin_start: 12,
                                    set_margin_end: 12,
                                    set_margin_bottom: 12,
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

        let list = VmList::new();
        let list_view = list.view.clone();
        let search_bar = gtk::SearchBar::new();
        let search_entry = gtk::SearchEntry::new();
        search_bar.connect_entry(&search_entry);
        search_bar.set_key_capture_widget(Some(&root));
        let toasts = adw::ToastOverlay::new();
        let power_menu = vm_list::selection_power_menu();
        let sort_menu = vm_list::sort_menu();
        let hosts_menu = gio::Menu::new();
        sort_menu.append_section(Some(&gettext("Hosts")), &hosts_menu);
        let mut model = App {
            settings,
            pending_show: init.options.show.clone(),
            options: init.options,
            generation: 0,
            connections: Vec::new(),
            list,
            started: false,
            query: String::new(),
            search_bar: search_bar.clone(),
            sel_actions: Vec::new(),
            toasts: toasts.clone(),
            host_window: None,
            host_token: 0,
            usage: HashMap::new(),
            vm_windows: HashMap::new(),
            wizard: None,
            clone_dialog: None,
            migrate_dialog: None,
            hosts_menu,
            menu_hosts: Vec::new(),
            host_loads: HashMap::new(),
            header_loads: HashMap::new(),
            all_connected: false,
            rebuild_queued: false,
            trim_token: Default::default(),
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
        {
            // Scrolling binds many rows: one check per idle.
            let queued = std::rc::Rc::new(std::cell::Cell::new(false));
            let input = sender.input_sender().clone();
            model.list.connect_rows_changed(move || {
                if !queued.replace(true) {
                    let queued = queued.clone();
                    let input = input.clone();
                    glib::idle_add_local_once(move || {
                        queued.set(false);
                        input.emit(AppInput::RowsChanged);
                    });
                }
            });
        }
        let widgets = view_output!();
        crate::ui::trace("window built");

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
        for (name, ask) in [
            (
                "vm-delete",
                (|index, uuid| AppInput::AskDelete { index, uuid })
                    as fn(usize, String) -> AppInput,
            ),
            ("vm-clone", |index, uuid| AppInput::ShowClone {
                index,
                uuid,
            }),
            ("vm-migrate", |index, uuid| AppInput::ShowMigrate {
                index,
                uuid,
            }),
        ] {
            let action = gio::SimpleAction::new(name, Some(glib::VariantTy::STRING));
            let input = sender.input_sender().clone();
            action.connect_activate(move |_, target| {
                let Some(target) = target.and_then(|t| t.get::<String>()) else {
                    return;
                };
                if let Some((index, uuid)) = target.split_once('\t')
                    && let Ok(index) = index.parse()
                {
                    input.emit(ask(index, uuid.to_owned()));
                }
            });
            root.add_action(&action);
        }

        // Buttons of the connection headers carry the connection's index.
        for (name, msg) in [
            (
                "connection-retry",
                AppInput::RetryConnection as fn(usize) -> AppInput,
            ),
            ("connection-connect", AppInput::RetryConnection),
            ("connection-host", |i| AppInput::ShowHost(Some(i))),
            ("connection-remove", AppInput::RemoveConnection),
        ] {
            let action = gio::SimpleAction::new(name, Some(glib::VariantTy::UINT32));
            let input = sender.input_sender().clone();
            action.connect_activate(move |_, target| {
                if let Some(index) = target.and_then(|t| t.get::<u32>()) {
                    input.emit(msg(index as usize));
                }
            });
            root.add_action(&action);
        }

        let ids = PowerAction::ALL.into_iter().map(vm_list::action_id);
        for id in std::iter::once("open")
            .chain(ids)
            .chain(["clone", "migrate", "delete"])
        {
            let action = gio::SimpleAction::new(&format!("sel-{id}"), None);
            action.set_enabled(false);
            let input = sender.input_sender().clone();
            action.connect_activate(move |_, _| input.emit(AppInput::Selected(id)));
            root.add_action(&action);
            model.sel_actions.push((id, action));
        }

        {
            let action = gio::SimpleAction::new("new-vm", None);
            let input = sender.input_sender().clone();
            action.connect_activate(move |_, _| input.emit(AppInput::ShowCreator));
            root.add_action(&action);
        }
        root.add_action(&gio::PropertyAction::new(
            "search",
            &model.search_bar,
            "search-mode-enabled",
        ));
        root.add_action(&model.settings.create_action("list-sort"));
        model
            .list
            .set_sort(SortKey::from_id(&model.settings.string("list-sort")));
        model.list.set_graphs(graphs(&model.settings));
        {
            let input = sender.input_sender().clone();
            model
                .settings
                .connect_changed(None, move |s, key| match key {
                    "list-sort" => input.emit(AppInput::Sort(SortKey::from_id(&s.string(key)))),
                    "show-disk-graph" | "show-network-graph" => input.emit(AppInput::GraphsChanged),
                    _ => {}
                });
        }
        {
            let input = sender.input_sender().clone();
            model
                .list
                .selection
                .connect_selection_changed(move |_, _, _| input.emit(AppInput::SelectionChanged));
            let input = sender.input_sender().clone();
            model
                .list
                .view
                .connect_activate(move |_, position| input.emit(AppInput::Activate(position)));
        }

        Self::add_migrate_action(&sender);
        model.add_host_actions(&root, &sender);
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
                self.list
                    .set_busy(index, &uuid, Some(vm_list::action_progress(action)));
                sender.oneshot_command(async move {
                    let result = conn.power(&uuid, action).await;
                    AppCommandOutput::PowerDone {
                        index,
                        uuid,
                        name,
                        action,
                        result,
                    }
                });
            }
            AppInput::Authenticate {
                uri,
                prompts,
                reply,
            } => auth_dialog::show(root.upcast_ref(), &uri, prompts, reply),
            AppInput::Search(query) => {
                self.list.set_query(&query);
                self.query = query;
            }
            AppInput::OpenFirstMatch => {
                let first = (0..self.list.selection.n_items()).find_map(|i| self.list.vm_at(i));
                if let Some((index, d)) = first {
                    sender.input(AppInput::Open {
                        index,
                        uuid: d.uuid,
                    });
                }
            }
            AppInput::ShowCreator => self.show_creator(root, &sender),
            AppInput::WizardClosed => self.wizard = None,
            AppInput::Created {
                index,
                uuid,
                name,
                started,
            } => {
                let Some(ConnStatus::Connected { conn, .. }) =
                    self.connections.get(index).map(|c| &c.status)
                else {
                    return;
                };
                let conn = conn.clone();
                self.toast(&gettext_f("Created “{name}”", &[("name", &name)]));
                self.open_vm_window(index, uuid, conn, name, !started, &sender);
            }
            AppInput::Disconnect(index) => self.disconnect(index, &sender),
            AppInput::Rebuild => {
                self.rebuild_queued = false;
                self.rebuild_list(&sender);
            }
            AppInput::RowsChanged => self.update_stats_wanted(),
            AppInput::HostView(id) => self.set_host_view(&id),
            AppInput::RemoveConnection(index) => {
                if let Some(view) = self.connections.get_mut(index) {
                    forget_connection(&self.settings, &view.uri);
                    view.status = ConnStatus::Removed;
                    let uri = view.uri.clone();
                    self.usage.retain(|(i, _), _| *i != index);
                    self.rebuild_list(&sender);
                    self.toast(&gettext_f("Removed connection {uri}", &[("uri", &uri)]));
                }
            }
            AppInput::Selected(id) => {
                let Some((index, d)) = self.list.selected() else {
                    return;
                };
                let uuid = d.uuid;
                match id {
                    "open" => sender.input(AppInput::Open { index, uuid }),
                    "delete" => sender.input(AppInput::AskDelete { index, uuid }),
                    "clone" => sender.input(AppInput::ShowClone { index, uuid }),
                    "migrate" => sender.input(AppInput::ShowMigrate { index, uuid }),
                    id => {
                        if let Some(action) = vm_list::action_from_id(id) {
                            sender.input(AppInput::Power {
                                index,
                                uuid,
                                action,
                            });
                        }
                    }
                }
            }
            AppInput::SelectionChanged => self.update_selection_actions(),
            AppInput::Activate(position) => {
                if let Some((index, d)) = self.list.vm_at(position) {
                    sender.input(AppInput::Open {
                        index,
                        uuid: d.uuid,
                    });
                }
            }
            AppInput::Sort(key) => {
                self.list.set_sort(key);
                self.update_stats_wanted();
            }
            AppInput::GraphsChanged => self.list.set_graphs(graphs(&self.settings)),
            AppInput::Open { index, uuid } => {
                let key = (index, uuid.clone());
                if let Some(window) = self.vm_windows.get(&key) {
                    window.emit(VmWindowInput::Present);
                    return;
                }
                let Some((conn, name)) = self.domain(index, &uuid) else {
                    return;
                };
                self.open_vm_window(index, uuid, conn, name, false, &sender);
            }
            AppInput::ShowDetails { index, uuid } => {
                if let Some(window) = self.vm_windows.get(&(index, uuid)) {
                    window.emit(VmWindowInput::ShowPage("details"));
                }
            }
            AppInput::VmWindowClosed { index, uuid } => {
                self.vm_windows.remove(&(index, uuid));
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
                            kept: Vec::new(),
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
                self.host_window = Some((token, window, conn.clone(), None));
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
            AppInput::ShowClone { index, uuid } => {
                let Some((conn, name)) = self.domain(index, &uuid) else {
                    return;
                };
                let dialog = CloneDialog::builder()
                    .launch(CloneInit {
                        conn,
                        uuid,
                        name,
                        parent: Some(root.clone().upcast()),
                    })
                    .forward(sender.input_sender(), |out| match out {
                        CloneOutput::Cloned(name) => AppInput::Cloned(name),
                    });
                self.clone_dialog = Some(dialog);
            }
            AppInput::ShowMigrate { index, uuid } => self.show_migrate(index, uuid, root, &sender),
            AppInput::MigrateFrom { uri, uuid } => {
                let index = self.connections.iter().position(|c| {
                    matches!(&c.status, ConnStatus::Connected { conn, .. } if conn.uri() == uri)
                });
                if let Some(index) = index {
                    self.show_migrate(index, uuid, root, &sender);
                }
            }
            AppInput::Migrated {
                from,
                index,
                uuid,
                name,
                downtime_ms,
            } => self.migrated(from, index, uuid, name, downtime_ms, &sender),
            AppInput::Cloned(name) => {
                self.clone_dialog = None;
                self.toast(&gettext_f("Cloned into “{name}”", &[("name", &name)]));
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
                // Its snapshots' thumbnails go with it.
                let thumbnails = crate::ui::vm_window::snapshots_page::thumbnail_root().join(&uuid);
                sender.oneshot_command(async move {
                    let result = conn.delete(&uuid, storage).await;
                    if result.is_ok() {
                        let _ = std::fs::remove_dir_all(thumbnails);
                    }
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
                self.started = true;
                let opened = uris.len();
                self.connections = uris
                    .into_iter()
                    .map(|uri| ConnectionView {
                        uri,
                        status: ConnStatus::Connecting,
                        reconnects: 0,
                        kept: Vec::new(),
                    })
                    .collect();
                // Saved connections that do not open by themselves are listed too.
                if self.options.connect.is_empty() {
                    for uri in self.settings.strv("connections") {
                        if !self.connections.iter().any(|c| c.uri == uri.as_str()) {
                            self.connections.push(ConnectionView {
                                uri: uri.to_string(),
                                status: ConnStatus::Disconnected,
                                reconnects: 0,
                                kept: Vec::new(),
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
                nudge,
                result,
            } if generation == self.generation && index < self.connections.len() => {
                let view = &mut self.connections[index];
                // A second answer (a nudge and a scheduled attempt both
                // succeeded): the first connection stays.
                if matches!(view.status, ConnStatus::Connected { .. }) {
                    return;
                }
                if nudge && result.is_err() {
                    return;
                }
                if result.is_ok() && view.reconnects > 0 {
                    self.nudge_lost_hosts(index, &sender);
                }
                let view = &mut self.connections[index];
                crate::ui::trace(&match &result {
                    Ok(_) => format!("host {index} open"),
                    Err(e) => format!("host {index} not open ({}): {e}", view.reconnects),
                });
                view.status = match result {
                    Ok((conn, domains)) => {
                        view.uri = conn.uri().to_owned();
                        view.reconnects = 0;
                        view.kept.clear();
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
                        // Down for longer than a restart: its VMs leave the list.
                        if view.reconnects > KEEP_LOST_VMS {
                            view.kept.clear();
                        }
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
                // Only running domains report: a stopped VM's history goes.
                let running: std::collections::HashSet<&str> =
                    stats.iter().map(|s| s.uuid.as_str()).collect();
                self.usage
                    .retain(|(i, uuid), _| *i != index || running.contains(uuid.as_str()));
                for s in stats {
                    let key = (index, s.uuid.clone());
                    let history = self.usage.entry(key).or_default();
                    let uuid = s.uuid.clone();
                    history.borrow_mut().push(s, at);
                    // Updated in place: the rows (and any open menu) stay.
                    self.list.show_usage(index, &uuid, history);
                }
                self.list.resort_by_usage();
            }
            AppCommandOutput::HostLoad {
                generation,
                index,
                load,
            } if generation == self.generation => self.show_host_load(index, load),
            AppCommandOutput::Addresses {
                generation,
                index,
                addresses,
            } if generation == self.generation => {
                for (uuid, a) in addresses {
                    self.list.show_addresses(index, &uuid, a);
                }
            }
            AppCommandOutput::Libvirt {
                generation,
                index,
                event,
            } if generation == self.generation && index < self.connections.len() => match event {
                Event::Agent { .. } => {
                    if let ConnStatus::Connected { conn, .. } = &self.connections[index].status {
                        self.ask_addresses(generation, index, conn, &sender);
                    }
                }
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
                    crate::ui::trace(&format!("host {index} closed"));
                    if matches!(view.status, ConnStatus::Connected { .. }) {
                        let lost = ConnStatus::Failed(lost_message(""));
                        if let ConnStatus::Connected { domains, .. } =
                            std::mem::replace(&mut view.status, lost)
                        {
                            // Listed as they were while the first attempts run.
                            view.kept = domains;
                        }
                        view.reconnects = 1;
                        Self::schedule_reconnect(generation, index, 1, &sender);
                    }
                }
            },
            AppCommandOutput::ReconnectDue { generation, index }
                if generation == self.generation && index < self.connections.len() =>
            {
                crate::ui::trace(&format!("host {index} reconnect due"));
                if matches!(self.connections[index].status, ConnStatus::Failed(_))
                    && self.connections[index].reconnects > 0
                {
                    // What is shown (the lost message, the kept VMs) stays
                    // until the attempt answers.
                    self.try_open(index, false, &sender);
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
                if let Some((t, window, conn, pages)) = &mut self.host_window
                    && *t == token
                {
                    match result {
                        Ok(host) => host_window::fill(window, &host),
                        Err(e) => host_window::fail(window, &e.message),
                    }
                    if pages.is_none() {
                        *pages = Some(host_window::add_pages(window, conn));
                    }
                }
            }
            AppCommandOutput::PowerDone {
                index,
                uuid,
                name,
                action,
                result,
            } => {
                self.list.set_busy(index, &uuid, None);
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
            AppCommandOutput::ShowTarget {
                index,
                what,
                key,
                result,
            } => match result {
                Ok(domain) => {
                    sender.input(AppInput::Open {
                        index,
                        uuid: domain.uuid.clone(),
                    });
                    // The editor is the window's Details page (read-only
                    // until editing arrives with the details work).
                    if what == ShowWhat::Editor {
                        sender.input(AppInput::ShowDetails {
                            index,
                            uuid: domain.uuid,
                        });
                    }
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
            | AppCommandOutput::HostLoad { .. }
            | AppCommandOutput::Addresses { .. }
            | AppCommandOutput::Listed { .. } => {}
        }
        if changes_rows {
            // Read as the hosts' states change, not when the list catches up.
            self.trace_all_connected();
            self.schedule_rebuild(&sender);
        }
    }
}

/// Give a menu button its menu when first opened: a popover menu makes
/// its items' widgets as soon as it has a model. (Not for menus with
/// radio or check items: GTK 4.8 then gives them the role of plain items.)
fn menu_when_opened(menu: gio::MenuModel) -> impl Fn(&gtk::MenuButton) + 'static {
    move |button| {
        if button.menu_model().is_none() {
            button.set_menu_model(Some(&menu));
        }
    }
}
