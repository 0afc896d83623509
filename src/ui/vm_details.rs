//! The Details page of a VM window: its overview and every device, read
//! from the XML (read-only until the details/hot-plug work makes it editable).

use gettextrs::gettext;
use relm4::adw::{self, prelude::*};
use relm4::gtk::{self, glib};

use crate::ui::a11y::AccessibleLabelExt;

use crate::core::xml::{DeviceKind, DeviceView, DomainXml};
use crate::ui::host_window::row;
use crate::ui::i18n::gettext_f;

fn kind_title(kind: DeviceKind) -> String {
    match kind {
        DeviceKind::Disk => gettext("Disks"),
        DeviceKind::Controller => gettext("Controllers"),
        DeviceKind::Interface => gettext("Network Interfaces"),
        DeviceKind::Graphics => gettext("Displays"),
        DeviceKind::Video => gettext("Video"),
        DeviceKind::Input => gettext("Input"),
        DeviceKind::Sound => gettext("Sound"),
        DeviceKind::Channel => gettext("Channels"),
        DeviceKind::Serial => gettext("Serial Ports"),
        DeviceKind::Console => gettext("Consoles"),
        DeviceKind::Rng => gettext("Random Number Generators"),
        DeviceKind::Tpm => gettext("TPM"),
        DeviceKind::MemBalloon => gettext("Memory Balloon"),
        DeviceKind::Filesystem => gettext("Shared Folders"),
        DeviceKind::HostDev => gettext("Host Devices"),
    }
}

/// A one-line description of a device, in virt-manager's terms.
fn describe(kind: DeviceKind, d: &DeviceView<'_>) -> (String, String) {
    let join = |parts: &[Option<String>]| {
        parts
            .iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join(" · ")
    };
    match kind {
        DeviceKind::Disk => {
            let device = d.disk_device().unwrap_or_else(|| "disk".into());
            let title = match device.as_str() {
                "cdrom" => gettext("CD-ROM"),
                "floppy" => gettext("Floppy"),
                _ => gettext("Disk"),
            };
            let target = match (d.target_bus(), d.target_dev()) {
                (Some(bus), Some(dev)) => Some(format!("{dev} ({bus})")),
                (None, dev) => dev,
                (bus, None) => bus,
            };
            let source = d
                .disk_source()
                .or_else(|| (device == "cdrom").then(|| gettext("No media")));
            (title, join(&[target, source, d.driver_type()]))
        }
        DeviceKind::Interface => (
            gettext("Network"),
            join(&[
                d.device_type(),
                d.source_network().or(d.source_bridge()).or(d.source_dev()),
                d.model_type(),
                d.mac(),
            ]),
        ),
        DeviceKind::Graphics => {
            let kind = d.device_type().unwrap_or_default().to_uppercase();
            let listen = d
                .graphics_socket()
                .or_else(|| d.graphics_listen_address())
                .or_else(|| d.listen_type());
            let port = d
                .port()
                .ok()
                .flatten()
                .map(|p| gettext_f("port {port}", &[("port", &p.to_string())]));
            (kind, join(&[listen, port]))
        }
        _ => {
            let title = kind_title(kind);
            (
                title,
                join(&[
                    d.device_type(),
                    d.model_type(),
                    d.model(),
                    d.target_bus(),
                    d.bus(),
                    d.backend_model(),
                ]),
            )
        }
    }
}

fn action_button(icon: &str, label: &str, action: &str, target: Option<&str>) -> gtk::Button {
    let b = gtk::Button::builder()
        .icon_name(icon)
        .tooltip_text(label)
        .valign(gtk::Align::Center)
        .action_name(action)
        .build();
    if let Some(t) = target {
        b.set_action_target_value(Some(&t.to_variant()));
    }
    b.add_css_class("flat");
    b.set_accessible_label(label);
    b
}

/// Kinds whose devices the window offers to remove (controllers, consoles
/// and the balloon follow other devices; libvirt manages them).
fn removable(kind: DeviceKind) -> bool {
    !matches!(
        kind,
        DeviceKind::Controller | DeviceKind::Console | DeviceKind::MemBalloon
    )
}

/// Media buttons on CD-ROM rows, Remove on disk rows (actions of the VM window).
fn disk_actions(r: &adw::ActionRow, d: &DeviceView<'_>) {
    let Some(target) = d.target_dev() else { return };
    match d.disk_device().as_deref() {
        Some("cdrom") | Some("floppy") => {
            r.add_suffix(&action_button(
                "document-open-symbolic",
                &gettext_f("Choose an ISO Image for {target}", &[("target", &target)]),
                "vm.browse-media",
                Some(&target),
            ));
            if d.disk_source().is_some() {
                r.add_suffix(&action_button(
                    "media-eject-symbolic",
                    &gettext_f("Eject {target}", &[("target", &target)]),
                    "vm.eject-media",
                    Some(&target),
                ));
            }
        }
        _ => r.add_suffix(&action_button(
            "user-trash-symbolic",
            &gettext_f("Remove {target}", &[("target", &target)]),
            "vm.remove-disk",
            Some(&target),
        )),
    }
}

/// What a pending setting is called.
fn pending_title(what: &str) -> String {
    match what {
        "vcpus" => gettext("Processors"),
        "memory" => gettext("Memory"),
        "max-memory" => gettext("Maximum memory"),
        "title" => gettext("Title"),
        "machine" => gettext("Machine type"),
        "boot" => gettext("Boot order"),
        "disk" => gettext("Disk"),
        "interface" => gettext("Network"),
        other => other.to_owned(),
    }
}

/// Build the page for `xml` (with `pending`, the saved changes the running
/// guest does not have yet); an unreadable XML gives a page that says so.
pub fn page(xml: &str, pending: &[crate::core::hardware::Pending]) -> adw::PreferencesPage {
    let page = adw::PreferencesPage::new();
    if !pending.is_empty() {
        let group = adw::PreferencesGroup::builder()
            .title(gettext("Changes at the Next Boot"))
            .description(gettext(
                "Saved, but not in the running guest yet: they take effect when it restarts.",
            ))
            .build();
        let none = gettext("none");
        for p in pending {
            let now = if p.now.is_empty() { &none } else { &p.now };
            let next = if p.next_boot.is_empty() {
                &none
            } else {
                &p.next_boot
            };
            group.add(&row(
                &pending_title(p.what),
                &gettext_f("{now} → {next}", &[("now", now), ("next", next)]),
            ));
        }
        page.add(&group);
    }
    let vm = match DomainXml::parse(xml) {
        Ok(vm) => vm,
        Err(e) => {
            let group = adw::PreferencesGroup::builder()
                .title(gettext("Could not read the configuration"))
                .description(glib::markup_escape_text(&e.to_string()).as_str())
                .build();
            page.add(&group);
            return page;
        }
    };
    let overview = adw::PreferencesGroup::builder()
        .title(gettext("Overview"))
        .build();
    let add = |title: String, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            overview.add(&row(&title, &value));
        }
    };
    add(gettext("Name"), vm.name().ok());
    add(gettext("Title"), vm.title());
    add(gettext("UUID"), vm.uuid());
    add(
        gettext("Hypervisor"),
        vm.domain_type().map(|t| match t.as_str() {
            "kvm" => gettext("KVM"),
            "qemu" => gettext("QEMU (emulation)"),
            other => other.to_owned(),
        }),
    );
    add(
        gettext("Architecture"),
        Some(
            [vm.arch(), vm.machine()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · "),
        ),
    );
    let max_vcpus = vm.vcpus_max().ok().flatten();
    if let Some(n) = vm.vcpus_current().ok().flatten().or(max_vcpus) {
        let mut text = n.to_string();
        if let Some(max) = max_vcpus.filter(|m| *m > n) {
            text = gettext_f(
                "{n} (up to {max})",
                &[("n", &text), ("max", &max.to_string())],
            );
        }
        let r = row(&gettext("Processors"), &text);
        r.add_suffix(&action_button(
            "document-edit-symbolic",
            &gettext("Change the Number of Processors"),
            "vm.edit-vcpus",
            None,
        ));
        overview.add(&r);
    }
    let size =
        |kib: u64| glib::format_size_full(kib * 1024, glib::FormatSizeFlags::IEC_UNITS).to_string();
    let max_kib = vm.memory_kib().ok().flatten();
    if let Some(kib) = vm.current_memory_kib().ok().flatten().or(max_kib) {
        let mut text = size(kib);
        if let Some(max) = max_kib.filter(|m| *m > kib) {
            text = gettext_f("{n} (up to {max})", &[("n", &text), ("max", &size(max))]);
        }
        let r = row(&gettext("Memory"), &text);
        r.add_suffix(&action_button(
            "document-edit-symbolic",
            &gettext("Change the Memory"),
            "vm.edit-memory",
            None,
        ));
        overview.add(&r);
    }
    add(gettext("Description"), vm.description());
    add(
        gettext("CPU model"),
        match (vm.cpu_mode(), vm.cpu_model()) {
            (Some(mode), Some(model)) => Some(format!("{model} ({mode})")),
            (mode, model) => model.or(mode),
        },
    );
    add(
        gettext("CPU topology"),
        vm.cpu_topology().ok().flatten().map(|t| {
            gettext_f(
                "{sockets} sockets, {cores} cores, {threads} threads",
                &[
                    ("sockets", &t.sockets.to_string()),
                    ("cores", &t.cores.to_string()),
                    ("threads", &t.threads.to_string()),
                ],
            )
        }),
    );
    add(gettext("Boot order"), Some(vm.boot_devices().join(", ")));
    add(
        gettext("Boot menu"),
        vm.boot_menu().ok().flatten().map(|on| {
            if on {
                gettext("Shown")
            } else {
                gettext("Hidden")
            }
        }),
    );
    add(
        gettext("Direct kernel boot"),
        vm.kernel().map(|k| {
            [Some(k), vm.cmdline()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · ")
        }),
    );
    add(gettext("Firmware"), vm.firmware().or(vm.loader()));
    let autostart = gtk::Switch::builder()
        .valign(gtk::Align::Center)
        .action_name("vm.autostart")
        .build();
    let autostart_row = adw::ActionRow::builder()
        .title(gettext("Start with the host"))
        .activatable_widget(&autostart)
        .build();
    autostart_row.add_suffix(&autostart);
    overview.add(&autostart_row);
    let add = gtk::Button::builder()
        .label(gettext("Add Hardware…"))
        .valign(gtk::Align::Center)
        .action_name("vm.add-hardware")
        .build();
    overview.set_header_suffix(Some(&add));
    page.add(&overview);

    for kind in DeviceKind::ALL {
        let devices = vm.devices(kind);
        if devices.is_empty() {
            continue;
        }
        let group = adw::PreferencesGroup::builder()
            .title(kind_title(kind))
            .build();
        for (index, d) in devices.iter().enumerate() {
            let (title, subtitle) = describe(kind, d);
            let r = row(&title, &subtitle);
            if kind == DeviceKind::Disk {
                disk_actions(&r, d);
            } else if removable(kind) {
                r.add_suffix(&action_button(
                    "user-trash-symbolic",
                    &gettext_f("Remove {device}", &[("device", &title)]),
                    "vm.remove-device",
                    Some(&format!("{}:{index}", kind.element())),
                ));
            }
            group.add(&r);
        }
        if kind == DeviceKind::Disk {
            let add = gtk::Button::builder()
                .icon_name("list-add-symbolic")
                .tooltip_text(gettext("Add Disk…"))
                .action_name("vm.add-disk")
                .build();
            add.add_css_class("flat");
            add.set_accessible_label(&gettext("Add Disk…"));
            group.set_header_suffix(Some(&add));
        }
        page.add(&group);
    }
    page
}
