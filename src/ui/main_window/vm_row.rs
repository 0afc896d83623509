//! The recycled row widget of the VM list: either a connection's header or
//! one VM with its state, usage graphs and actions.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gettextrs::gettext;
use relm4::gtk::{self, gio, glib, prelude::*};

use crate::core::libvirt::DomainSummary;
use crate::ui::a11y::AccessibleLabelExt;
use crate::ui::i18n::{gettext_f, ngettext_f};
use crate::ui::main_window::usage::{Scale, Sparkline};
use crate::ui::main_window::vm_item::{HeaderStatus, ItemData, VmItem};
use crate::ui::main_window::vm_list::{domain_menu, state_icon, state_label};

/// Which optional graphs rows show (from Preferences).
#[derive(Debug, Clone, Copy, Default)]
pub struct Graphs {
    pub disk: bool,
    pub network: bool,
    /// Name each VM's host (the one-list view of several hosts).
    pub host: bool,
}

/// A list row. Its parts are made the first time a row shows them: most
/// rows only ever show VMs, and a stopped VM's row has no graphs (GTK 4.8
/// keeps up to 200 rows, so every widget here counts 200 times).
#[derive(Clone)]
pub struct Row {
    pub root: gtk::Box,
    header_part: Rc<std::cell::OnceCell<HeaderPart>>,
    vm_part: Rc<std::cell::OnceCell<VmPart>>,
    icon_class: Rc<Cell<Option<&'static str>>>,
    /// The VM the actions button is named for.
    actions_for: Rc<RefCell<String>>,
}

/// A connection's header.
struct HeaderPart {
    header: gtk::Box,
    header_title: gtk::Label,
    header_status: gtk::Label,
    /// The host's CPU and memory use, beside the status.
    header_load: gtk::Label,
    header_spinner: gtk::Spinner,
    header_retry: gtk::Button,
    header_host: gtk::Button,
    header_disconnect: gtk::Button,
    header_remove: gtk::Button,
}

/// One VM.
struct VmPart {
    vm: gtk::Box,
    icon: gtk::Image,
    texts: gtk::Box,
    /// The name, then the title dimmed (one label: every widget here
    /// counts 200 times).
    name: gtk::Label,
    /// State (or the action in flight), usage, address, host.
    subtitle: gtk::Label,
    /// Copies a running guest's first address; made when first needed.
    copy: std::cell::OnceCell<gtk::Button>,
    copy_text: Rc<RefCell<String>>,
    /// Made when an action first runs.
    busy: std::cell::OnceCell<gtk::Spinner>,
    /// Usage graphs, made when the row first shows a running VM.
    graphs: std::cell::OnceCell<UsageGraphs>,
    actions: gtk::Button,
    /// What the VM's menu is made from when opened (by the actions button
    /// or a right click): its host's index and the domain.
    menu: Rc<RefCell<Option<(usize, DomainSummary)>>>,
}

struct UsageGraphs {
    cpu: Sparkline,
    memory: Sparkline,
    disk: Sparkline,
    net: Sparkline,
}

/// A spinner that spins while it is shown (visible and mapped) only: GTK
/// 4.8 animates a spinning spinner even when it is not on screen.
fn spinner(label: &str) -> gtk::Spinner {
    let spinner = gtk::Spinner::new();
    spinner.set_visible(false);
    spinner.set_accessible_label(label);
    spinner.connect_map(|s| s.set_spinning(true));
    spinner.connect_unmap(|s| s.set_spinning(false));
    spinner
}

/// Show `model` in a popover menu on `widget` (pointing `at` a spot in
/// it, or at the whole widget), gone once closed.
fn popup_menu(widget: &gtk::Widget, model: &gio::Menu, at: Option<gtk::gdk::Rectangle>) {
    let popover = gtk::PopoverMenu::from_model(Some(model));
    popover.set_parent(widget);
    if let Some(at) = at {
        popover.set_has_arrow(false);
        popover.set_halign(gtk::Align::Start);
        popover.set_pointing_to(Some(&at));
    }
    popover.connect_closed(|popover| {
        let popover = popover.clone();
        // Unparent once the menu's action has run.
        glib::idle_add_local_once(move || popover.unparent());
    });
    popover.popup();
}

fn flat_button(icon: &str, label: &str) -> gtk::Button {
    let button = gtk::Button::builder()
        .icon_name(icon)
        .valign(gtk::Align::Center)
        .tooltip_text(label)
        .build();
    button.add_css_class("flat");
    button.set_accessible_label(label);
    button
}

impl Row {
    pub fn new() -> Row {
        let root = gtk::Box::new(gtk::Orientation::Horizontal, 0);
        root.add_css_class("vm-row");
        Row {
            root,
            header_part: Rc::default(),
            vm_part: Rc::default(),
            icon_class: Rc::default(),
            actions_for: Rc::default(),
        }
    }

    fn header_part(&self) -> &HeaderPart {
        self.header_part.get_or_init(|| HeaderPart::new(&self.root))
    }

    fn vm_part(&self) -> &VmPart {
        self.vm_part.get_or_init(|| VmPart::new(&self.root))
    }
}

impl HeaderPart {
    fn new(root: &gtk::Box) -> HeaderPart {
        let header = gtk::Box::new(gtk::Orientation::Horizontal, 6);
        header.add_css_class("vm-list-header");
        header.set_hexpand(true);
        let texts = gtk::Box::new(gtk::Orientation::Vertical, 2);
        texts.set_hexpand(true);
        let header_title = gtk::Label::builder()
            .xalign(0.0)
            .ellipsize(gtk::pango::EllipsizeMode::Middle)
            .build();
        header_title.add_css_class("heading");
        let header_status = gtk::Label::builder().xalign(0.0).wrap(true).build();
        header_status.add_css_class("dim-label");
        header_status.add_css_class("caption");
        texts.append(&header_title);
        let header_load = gtk::Label::builder()
            .xalign(0.0)
            .margin_start(12)
            .visible(false)
            .build();
        header_load.add_css_class("dim-label");
        header_load.add_css_class("caption");
        header_load.add_css_class("numeric");
        let status_line = gtk::Box::new(gtk::Orientation::Horizontal, 0);
        status_line.append(&header_status);
        status_line.append(&header_load);
        texts.append(&status_line);
        header.append(&texts);
        let header_spinner = spinner(&gettext("Connecting…"));
        header.append(&header_spinner);
        let header_retry = gtk::Button::builder().valign(gtk::Align::Center).build();
        header.append(&header_retry);
        let header_host = gtk::Button::builder()
            .label(gettext("Host Details"))
            .valign(gtk::Align::Center)
            .build();
        header_host.add_css_class("flat");
        header.append(&header_host);
        let header_disconnect = flat_button("network-offline-symbolic", &gettext("Disconnect"));
        header.append(&header_disconnect);
        let header_remove = flat_button("list-remove-symbolic", &gettext("Remove Connection"));
        header.append(&header_remove);
        root.append(&header);
        HeaderPart {
            header,
            header_title,
            header_status,
            header_load,
            header_spinner,
            header_retry,
            header_host,
            header_disconnect,
            header_remove,
        }
    }
}

impl VmPart {
    fn new(root: &gtk::Box) -> VmPart {
        let vm = gtk::Box::new(gtk::Orientation::Horizontal, 12);
        vm.set_hexpand(true);
        vm.add_css_class("vm-list-vm");
        let icon = gtk::Image::new();
        vm.append(&icon);
        let texts = gtk::Box::new(gtk::Orientation::Vertical, 2);
        texts.set_hexpand(true);
        texts.set_valign(gtk::Align::Center);
        let name = gtk::Label::builder()
            .xalign(0.0)
            .ellipsize(gtk::pango::EllipsizeMode::End)
            .build();
        let subtitle = gtk::Label::builder()
            .xalign(0.0)
            .ellipsize(gtk::pango::EllipsizeMode::End)
            .build();
        subtitle.add_css_class("dim-label");
        subtitle.add_css_class("caption");
        texts.append(&name);
        texts.append(&subtitle);
        vm.append(&texts);
        // A plain button, not a GtkMenuButton (about 13 KB less per row with
        // its toggle button, image and popover slot; GTK 4.8 keeps up to 200
        // rows). The menu and its popover are made when opened.
        let actions = gtk::Button::builder()
            .icon_name("view-more-symbolic")
            .valign(gtk::Align::Center)
            .tooltip_text(gettext("Actions"))
            .build();
        actions.add_css_class("flat");
        actions.set_accessible_has_popup();
        vm.append(&actions);
        root.append(&vm);

        let menu: Rc<RefCell<Option<(usize, DomainSummary)>>> = Rc::default();
        {
            let menu = menu.clone();
            actions.connect_clicked(move |button| {
                if let Some((index, summary)) = menu.borrow().as_ref() {
                    popup_menu(button.upcast_ref(), &domain_menu(*index, summary), None);
                }
            });
        }
        let click = gtk::GestureClick::builder().button(3).build();
        {
            let menu = menu.clone();
            click.connect_pressed(move |gesture, _, x, y| {
                let (Some(widget), Some((index, summary))) =
                    (gesture.widget(), menu.borrow().clone())
                else {
                    return;
                };
                let at = gtk::gdk::Rectangle::new(x as i32, y as i32, 1, 1);
                popup_menu(&widget, &domain_menu(index, &summary), Some(at));
            });
        }
        vm.add_controller(click);

        VmPart {
            vm,
            icon,
            texts,
            name,
            subtitle,
            copy: std::cell::OnceCell::new(),
            copy_text: Rc::default(),
            busy: std::cell::OnceCell::new(),
            graphs: std::cell::OnceCell::new(),
            actions,
            menu,
        }
    }

    /// The copy button, made on first use (after the texts).
    fn copy(&self) -> &gtk::Button {
        self.copy.get_or_init(|| {
            let copy = flat_button("edit-copy-symbolic", &gettext("Copy Address"));
            copy.add_css_class("vm-row-copy");
            let text = self.copy_text.clone();
            copy.connect_clicked(move |b| b.clipboard().set_text(&text.borrow()));
            self.vm.insert_child_after(&copy, Some(&self.texts));
            copy
        })
    }

    /// The spinner of an action in flight, made on first use (after the
    /// texts and the copy button, before the graphs).
    fn busy(&self) -> &gtk::Spinner {
        self.busy.get_or_init(|| {
            let busy = spinner(&gettext("Working…"));
            self.vm.insert_child_after(&busy, Some(self.before_busy()));
            busy
        })
    }

    fn before_busy(&self) -> &gtk::Widget {
        match self.copy.get() {
            Some(copy) => copy.upcast_ref(),
            None => self.texts.upcast_ref(),
        }
    }

    /// The usage graphs, made on first use (before the actions button).
    fn graphs(&self) -> &UsageGraphs {
        self.graphs.get_or_init(|| {
            let graphs = UsageGraphs {
                cpu: Sparkline::new("graph-cpu"),
                memory: Sparkline::new("graph-memory"),
                disk: Sparkline::new("graph-disk"),
                net: Sparkline::new("graph-network"),
            };
            let mut after: gtk::Widget = match self.busy.get() {
                Some(busy) => busy.clone().upcast(),
                None => self.before_busy().clone(),
            };
            for graph in [&graphs.cpu, &graphs.memory, &graphs.disk, &graphs.net] {
                self.vm.insert_child_after(&graph.area, Some(&after));
                after = graph.area.clone().upcast();
            }
            graphs
        })
    }
}

impl Row {
    /// Whether showing `item` needs widgets this row has not made yet.
    pub fn waits_for(&self, item: &VmItem) -> bool {
        item.with(|d| match d {
            ItemData::Header { .. } => self.header_part.get().is_none(),
            ItemData::Vm { .. } => self.vm_part.get().is_none(),
        })
    }

    /// Stand in for `item` while it is far from the screen: no widgets
    /// shown, `height` pixels tall, the list item named.
    pub fn render_waiting(&self, item: &VmItem, height: i32) {
        if let Some(h) = self.header_part.get() {
            h.header.set_visible(false);
        }
        if let Some(v) = self.vm_part.get() {
            v.vm.set_visible(false);
        }
        self.root.remove_css_class("vm");
        self.root.remove_css_class("connection");
        self.set_waiting_height(height);
        item.with(|d| match d {
            ItemData::Header { uri, .. } => self.name_list_item(uri),
            ItemData::Vm { summary, .. } => self.name_list_item(&summary.name),
        });
    }

    pub fn set_waiting_height(&self, height: i32) {
        self.root.set_size_request(-1, height);
    }

    /// Show `item`.
    pub fn render(&self, item: &VmItem, graphs: Graphs) {
        self.root.set_size_request(-1, -1);
        item.with(|data| match data {
            ItemData::Header { index, uri, status } => {
                self.root.set_sensitive(true);
                self.render_header(*index, uri, status)
            }
            ItemData::Vm {
                index,
                summary,
                history,
                busy,
                addresses,
                host,
                unreachable,
            } => {
                // A lost host's VMs, until it is back: dimmed, no actions.
                self.root.set_sensitive(!unreachable);
                let host = graphs.host.then_some(&**host);
                let address = addresses
                    .first()
                    .filter(|_| summary.state.is_active())
                    .map(String::as_str);
                let shown = Shown {
                    busy: busy.as_deref(),
                    address,
                    host,
                };
                self.render_vm(*index, summary, history, shown, graphs);
                self.render_copy(&summary.name, address);
            }
        });
    }

    /// A running guest's copy-address button (the address is in the
    /// subtitle).
    fn render_copy(&self, name: &str, address: Option<&str>) {
        let v = self.vm_part();
        match address {
            Some(a) => {
                let copy = v.copy();
                copy.set_visible(true);
                let label = gettext_f(
                    "Copy address {address} of {name}",
                    &[("address", a), ("name", name)],
                );
                copy.set_tooltip_text(Some(&label));
                copy.set_accessible_label(&label);
                v.copy_text.replace(a.to_owned());
            }
            None => {
                if let Some(copy) = v.copy.get() {
                    copy.set_visible(false);
                }
            }
        }
    }

    /// Name the list item (the row's parent) for assistive technologies.
    fn name_list_item(&self, name: &str) {
        if let Some(parent) = self.root.parent() {
            parent.set_accessible_label(name);
        }
    }

    fn render_header(&self, index: usize, uri: &str, status: &HeaderStatus) {
        let h = self.header_part();
        h.header.set_visible(true);
        if let Some(v) = self.vm_part.get() {
            v.vm.set_visible(false);
        }
        self.root.remove_css_class("vm");
        self.root.add_css_class("connection");
        h.header_title.set_text(uri);
        self.name_list_item(uri);
        let target = (index as u32).to_variant();
        for button in [&h.header_host, &h.header_remove, &h.header_disconnect] {
            button.set_action_target_value(Some(&target));
        }
        h.header_disconnect
            .set_action_name(Some("win.connection-disconnect"));
        let disconnect = gettext_f("Disconnect {uri}", &[("uri", uri)]);
        h.header_disconnect.set_accessible_label(&disconnect);
        h.header_disconnect.set_tooltip_text(Some(&disconnect));
        h.header_retry.set_action_target_value(Some(&target));
        h.header_host.set_action_name(Some("win.connection-host"));
        h.header_remove
            .set_action_name(Some("win.connection-remove"));
        h.header_remove
            .set_accessible_label(&gettext_f("Remove Connection {uri}", &[("uri", uri)]));
        let (text, spinning, retry) = match status {
            HeaderStatus::Disconnected => {
                (gettext("Not connected"), false, Some(gettext("Connect")))
            }
            HeaderStatus::Connecting => (gettext("Connecting…"), true, None),
            HeaderStatus::Failed(message) => (message.clone(), false, Some(gettext("Try Again"))),
            HeaderStatus::Connected { count, .. } => {
                let text = if *count == 0 {
                    gettext("No virtual machines on this connection")
                } else {
                    ngettext_f(
                        "{count} virtual machine",
                        "{count} virtual machines",
                        *count as u32,
                        &[("count", &count.to_string())],
                    )
                };
                (text, false, None)
            }
        };
        h.header_status.set_text(&text);
        let load = match status {
            HeaderStatus::Connected {
                load: Some(load), ..
            } => crate::ui::main_window::usage::load_text(load),
            _ => String::new(),
        };
        h.header_load.set_visible(!load.is_empty());
        h.header_load.set_text(&load);
        h.header_spinner.set_visible(spinning);
        h.header_retry.set_visible(retry.is_some());
        if let Some(label) = retry {
            h.header_retry.set_label(&label);
            h.header_retry.set_action_name(Some(match status {
                HeaderStatus::Disconnected => "win.connection-connect",
                _ => "win.connection-retry",
            }));
        }
        let connected = matches!(status, HeaderStatus::Connected { .. });
        h.header_host.set_visible(connected);
        h.header_disconnect.set_visible(connected);
    }

    fn render_vm(
        &self,
        index: usize,
        summary: &DomainSummary,
        history: &Option<crate::ui::main_window::usage::Shared>,
        shown: Shown,
        graphs: Graphs,
    ) {
        let Shown {
            busy,
            address,
            host,
        } = shown;
        let empty = crate::ui::main_window::usage::History::default();
        let shared = history.as_ref().map(|h| h.borrow());
        let history = shared.as_deref().unwrap_or(&empty);
        if let Some(h) = self.header_part.get() {
            h.header.set_visible(false);
        }
        let v = self.vm_part();
        v.vm.set_visible(true);
        self.root.remove_css_class("connection");
        self.root.add_css_class("vm");
        let name = &summary.name;
        self.name_list_item(name);
        v.name
            .set_markup(&name_markup(name, summary.title.as_deref()));

        let (icon, class) = state_icon(summary.state);
        v.icon.set_icon_name(Some(icon));
        if let Some(old) = self.icon_class.replace(class) {
            v.icon.remove_css_class(old);
        }
        if let Some(class) = class {
            v.icon.add_css_class(class);
        }

        let mut subtitle = state_label(summary.state);
        if let Some(busy) = busy {
            subtitle = busy.to_owned();
        } else if summary.state.is_active()
            && let Some(u) = history.last
        {
            if let Some(cpu) = u.cpu_percent {
                subtitle.push_str(" · ");
                subtitle.push_str(&gettext_f(
                    "CPU {percent}%",
                    &[("percent", &format!("{cpu:.0}"))],
                ));
            }
            if let Some(kib) = u.memory_kib {
                subtitle.push_str(" · ");
                subtitle.push_str(&glib::format_size_full(
                    kib * 1024,
                    glib::FormatSizeFlags::IEC_UNITS,
                ));
            }
        }
        for part in [address, host].into_iter().flatten() {
            subtitle.push_str(" · ");
            subtitle.push_str(part);
        }
        v.subtitle.set_text(&subtitle);
        if busy.is_some() {
            v.busy().set_visible(true);
        } else if let Some(spinner) = v.busy.get() {
            spinner.set_visible(false);
        }

        let active = summary.state.is_active();
        if active {
            let g = v.graphs();
            g.cpu.area.set_visible(true);
            g.memory.area.set_visible(true);
            g.disk.area.set_visible(graphs.disk);
            g.net.area.set_visible(graphs.network);
            let named = |what: &str| gettext_f(what, &[("name", name)]);
            g.cpu.set(
                &history.cpu,
                Scale::Fixed(100.0),
                &named("CPU usage of {name}"),
            );
            g.memory.set(
                &history.memory,
                Scale::Fixed(summary.memory_kib.max(1) as f64),
                &named("Memory usage of {name}"),
            );
            if graphs.disk {
                g.disk
                    .set(&history.disk, Scale::Auto, &named("Disk I/O of {name}"));
            }
            if graphs.network {
                g.net
                    .set(&history.net, Scale::Auto, &named("Network I/O of {name}"));
            }
        } else if let Some(g) = v.graphs.get() {
            for graph in [&g.cpu, &g.memory, &g.disk, &g.net] {
                graph.area.set_visible(false);
            }
        }

        v.menu.replace(Some((index, summary.clone())));
        if *self.actions_for.borrow() != summary.name {
            v.actions
                .set_accessible_label(&gettext_f("Actions for {name}", &[("name", name)]));
            self.actions_for.replace(summary.name.clone());
        }
    }
}

/// What a VM's row shows besides its domain and usage.
struct Shown<'a> {
    /// A slow action in flight.
    busy: Option<&'a str>,
    /// A running guest's first address.
    address: Option<&'a str>,
    /// Its host, in the one-list view.
    host: Option<&'a str>,
}

/// The name in bold, then the title dimmed.
fn name_markup(name: &str, title: Option<&str>) -> String {
    let mut markup = format!("<b>{}</b>", glib::markup_escape_text(name));
    if let Some(title) = title.filter(|t| !t.is_empty()) {
        markup.push_str(&format!(
            "  <span alpha=\"55%\">{}</span>",
            glib::markup_escape_text(title)
        ));
    }
    markup
}

impl Default for Row {
    fn default() -> Self {
        Row::new()
    }
}
