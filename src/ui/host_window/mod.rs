//! The host window: its overview (what the seed guides check first) and
//! its storage (`storage_page`).

pub mod networks_page;
pub mod storage_page;

use gettextrs::gettext;
use relm4::adw::{self, prelude::*};
use relm4::gtk::{self, gio, glib};
use relm4::prelude::*;

use crate::core::libvirt::Connection;
use crate::ui::a11y::AccessibleLabelExt;

use crate::core::libvirt::HostOverview;
use crate::ui::i18n::gettext_f;

/// A read-only property row (title, value), markup-safe.
pub fn row(title: &str, subtitle: &str) -> adw::ActionRow {
    let row = adw::ActionRow::builder()
        .title(glib::markup_escape_text(title).as_str())
        .subtitle(glib::markup_escape_text(subtitle).as_str())
        .build();
    row.add_css_class("property");
    row
}

/// A "more" button opening `menu`, named `label`.
pub fn menu_button(label: &str, menu: &gio::Menu) -> gtk::MenuButton {
    let b = gtk::MenuButton::builder()
        .icon_name("view-more-symbolic")
        .menu_model(menu)
        .valign(gtk::Align::Center)
        .tooltip_text(label)
        .build();
    b.add_css_class("flat");
    b.set_accessible_label(label);
    b
}

/// Append `label`, running `action` (`group.name`) with a string target.
pub fn menu_item(menu: &gio::Menu, label: &str, action: &str, target: &str) {
    menu.append(
        Some(label),
        Some(&gio::Action::print_detailed_name(
            action,
            Some(&target.to_variant()),
        )),
    );
}

/// Add action `name` taking a string to `group`.
pub fn string_action(group: &gio::SimpleActionGroup, name: &str, run: impl Fn(String) + 'static) {
    let a = gio::SimpleAction::new(name, Some(glib::VariantTy::STRING));
    a.connect_activate(move |_, t| {
        if let Some(t) = t.and_then(|t| t.get::<String>()) {
            run(t);
        }
    });
    group.add_action(&a);
}

/// Seconds left, in words ("2 min 5 s", "40 s").
pub fn time_left(secs: u64) -> String {
    if secs >= 60 {
        gettext_f(
            "{min} min {s} s",
            &[
                ("min", &(secs / 60).to_string()),
                ("s", &(secs % 60).to_string()),
            ],
        )
    } else {
        gettext_f("{s} s", &[("s", &secs.to_string())])
    }
}

/// An entry row titled `title` holding `text`.
pub fn entry(title: &str, text: &str) -> adw::EntryRow {
    let e = adw::EntryRow::builder().title(title).build();
    e.set_text(text);
    e
}

/// The pages added once the overview is read (held: dropping them would
/// stop their components).
pub struct Pages {
    _storage: Controller<storage_page::StoragePage>,
    _networks: Controller<networks_page::NetworksPage>,
}

/// Add the Storage and Networks pages to `window`.
pub fn add_pages(window: &adw::PreferencesWindow, conn: &Connection) -> Pages {
    let storage = storage_page::StoragePage::builder()
        .launch(conn.clone())
        .detach();
    window.add(storage.widget());
    let networks = networks_page::NetworksPage::builder()
        .launch(conn.clone())
        .detach();
    window.add(networks.widget());
    Pages {
        _storage: storage,
        _networks: networks,
    }
}

/// Sizes in binary units, as libvirt and virt-manager count memory and disks.
fn size(bytes: u64) -> glib::GString {
    glib::format_size_full(bytes, glib::FormatSizeFlags::IEC_UNITS)
}

fn page_with(group: &adw::PreferencesGroup) -> adw::PreferencesPage {
    let page = adw::PreferencesPage::new();
    page.add(group);
    page
}

/// Open the window at once, with a spinner until [`fill`] or [`fail`].
pub fn open(parent: &gtk::Window, uri: &str) -> adw::PreferencesWindow {
    let window = adw::PreferencesWindow::builder()
        .transient_for(parent)
        .title(gettext("Host Details"))
        .default_width(560)
        .default_height(640)
        .search_enabled(false)
        .build();
    let group = adw::PreferencesGroup::builder()
        .title(glib::markup_escape_text(uri).as_str())
        .build();
    let loading = adw::ActionRow::builder()
        .title(gettext("Reading host details…"))
        .build();
    loading.add_suffix(&gtk::Spinner::builder().spinning(true).build());
    group.add(&loading);
    window.add(&page_with(&group));
    window.present();
    window
}

/// Put `page` in place of the loading page (the window's only page then;
/// the Storage page is added after it).
fn replace_page(window: &adw::PreferencesWindow, page: &adw::PreferencesPage) {
    if let Some(old) = window.visible_page() {
        window.remove(&old);
    }
    page.set_title(&gettext("Overview"));
    page.set_icon_name(Some("computer-symbolic"));
    window.add(page);
}

/// Show libvirt's message instead of the spinner.
pub fn fail(window: &adw::PreferencesWindow, message: &str) {
    let group = adw::PreferencesGroup::new();
    group.add(&row(&gettext("Could not read the host details"), message));
    replace_page(window, &page_with(&group));
}

fn yes_no(v: Option<bool>, yes: String, no: String) -> String {
    match v {
        Some(true) => yes,
        Some(false) => no,
        None => gettext("Not checked (remote host)"),
    }
}

/// Show the overview.
pub fn fill(window: &adw::PreferencesWindow, host: &HostOverview) {
    let page = adw::PreferencesPage::new();

    let general = adw::PreferencesGroup::builder()
        .title(gettext("Host"))
        .build();
    general.add(&row(&gettext("Connection"), &host.info.uri));
    general.add(&row(&gettext("Host name"), &host.info.hostname));
    let hypervisor = match &host.hypervisor_version {
        Some(v) => format!("{} {v}", host.info.driver),
        None => host.info.driver.clone(),
    };
    general.add(&row(&gettext("Hypervisor"), &hypervisor));
    general.add(&row(&gettext("libvirt"), &host.info.libvirt_version));
    general.add(&row(
        &gettext("Processor"),
        &gettext_f(
            "{model}, {count} CPUs",
            &[
                ("model", &host.cpu_model),
                ("count", &host.info.cpus.to_string()),
            ],
        ),
    ));
    general.add(&row(&gettext("Memory"), &size(host.info.memory_kib * 1024)));
    page.add(&general);

    let accel = adw::PreferencesGroup::builder()
        .title(gettext("Acceleration"))
        .build();
    let a = host.acceleration;
    let verdict = if a.available() {
        gettext("Available: guests run with KVM.")
    } else {
        gettext("Not available: guests will run under much slower emulation (QEMU TCG).")
    };
    let main = row(&gettext("Hardware virtualization"), &verdict);
    main.add_prefix(&gtk::Image::from_icon_name(if a.available() {
        "emblem-ok-symbolic"
    } else {
        "dialog-warning-symbolic"
    }));
    accel.add(&main);
    accel.add(&row(
        &gettext("KVM offered by libvirt"),
        &yes_no(Some(a.kvm_offered), gettext("Yes"), gettext("No")),
    ));
    accel.add(&row(
        "/dev/kvm",
        &yes_no(a.dev_kvm, gettext("Present"), gettext("Missing")),
    ));
    accel.add(&row(
        &gettext("CPU virtualization extensions (vmx, svm)"),
        &yes_no(a.cpu_flags, gettext("Yes"), gettext("No")),
    ));
    page.add(&accel);

    let pools = adw::PreferencesGroup::builder()
        .title(gettext("Storage Pools"))
        .build();
    if host.pools.is_empty() {
        pools.add(&row(&gettext("No storage pools"), ""));
    }
    for p in &host.pools {
        let space = match (p.info.available, p.info.capacity) {
            (Some(free), Some(total)) => gettext_f(
                "{free} free of {total}",
                &[("free", &size(free)), ("total", &size(total))],
            ),
            _ => String::new(),
        };
        let path = p.info.target_path.clone().unwrap_or_default();
        let r = row(
            &p.info.name,
            &[space, path]
                .iter()
                .filter(|s| !s.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join(" · "),
        );
        r.add_suffix(&gtk::Label::new(Some(&if p.active {
            gettext("Active")
        } else {
            gettext("Inactive")
        })));
        pools.add(&r);
    }
    page.add(&pools);

    let nets = adw::PreferencesGroup::builder()
        .title(gettext("Networks"))
        .build();
    if host.networks.is_empty() {
        nets.add(&row(&gettext("No virtual networks"), ""));
    }
    for n in &host.networks {
        let mode = match n.info.forward_mode.as_deref() {
            None => gettext("Isolated"),
            Some("nat") => gettext("NAT"),
            Some(other) => other.to_owned(),
        };
        let subtitle = match &n.info.bridge {
            Some(b) => format!("{mode} · {b}"),
            None => mode,
        };
        let r = row(&n.info.name, &subtitle);
        r.add_suffix(&gtk::Label::new(Some(&if n.active {
            gettext("Active")
        } else {
            gettext("Inactive")
        })));
        nets.add(&r);
    }
    page.add(&nets);
    replace_page(window, &page);
}
