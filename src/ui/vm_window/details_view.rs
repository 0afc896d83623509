//! The Details page of a VM window: its overview, processors and memory,
//! boot options and every device (each with a page of its own), read from
//! the XML; the settings users change are edited in place.
//!
//! Length: the page's sections (overview, processors and memory, boot
//! options, changes at the next boot, the device list) each build their rows
//! from the XML in a few dozen lines; the device pages are in `device_page`.

use gettextrs::gettext;
use relm4::adw::{self, prelude::*};
use relm4::gtk::{self, glib};

use crate::ui::a11y::AccessibleLabelExt;

use crate::core::edit::{DeviceKey, Edit};
use crate::core::xml::{DeviceKind, DeviceView, DomainXml};
use crate::ui::host_window::row;
use crate::ui::i18n::gettext_f;
use crate::ui::vm_window::device_page::{self, OnEdit};

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
        "description" => gettext("Description"),
        "boot-menu" => gettext("Show the boot menu"),
        "nic-model" => gettext("Device model"),
        "nic-link" => gettext("Link connected"),
        "disk-cache" => gettext("Cache mode"),
        "video-model" | "sound-model" => gettext("Model"),
        other => other.to_owned(),
    }
}

/// Who a boot device is, in words.
fn boot_title(dev: &str) -> String {
    match dev {
        "hd" => gettext("Hard disk"),
        "cdrom" => gettext("CD-ROM"),
        "network" => gettext("Network (PXE)"),
        "fd" => gettext("Floppy"),
        other => other.to_owned(),
    }
}

/// The boot order dialog: the four boot devices, on or off, moved up and
/// down; confirmed with at least one on.
fn edit_boot_order(parent: &gtk::Window, current: &[String], running: bool, on_edit: OnEdit) {
    use std::cell::RefCell;
    use std::rc::Rc;
    let mut order: Vec<(String, bool)> = current.iter().map(|d| (d.clone(), true)).collect();
    for d in ["hd", "cdrom", "network", "fd"] {
        if !order.iter().any(|(o, _)| o == d) {
            order.push((d.to_owned(), false));
        }
    }
    let order = Rc::new(RefCell::new(order));
    let list = gtk::ListBox::builder()
        .selection_mode(gtk::SelectionMode::None)
        .build();
    list.add_css_class("boxed-list");
    type Order = Rc<RefCell<Vec<(String, bool)>>>;
    type ConfirmButton = Rc<RefCell<Option<gtk::Button>>>;
    let confirm: ConfirmButton = Rc::default();
    // Change needs at least one device to boot from.
    fn update_confirm(order: &Order, confirm: &ConfirmButton) {
        if let Some(b) = confirm.borrow().as_ref() {
            b.set_sensitive(order.borrow().iter().any(|(_, on)| *on));
        }
    }
    fn fill(list: &gtk::ListBox, order: &Order, confirm: &ConfirmButton) {
        while let Some(c) = list.first_child() {
            list.remove(&c);
        }
        update_confirm(order, confirm);
        let items = order.borrow().clone();
        for (i, (dev, on)) in items.iter().enumerate() {
            let title = boot_title(dev);
            let check = gtk::CheckButton::builder()
                .active(*on)
                .valign(gtk::Align::Center)
                .build();
            let r = adw::ActionRow::builder()
                .title(&title)
                .activatable_widget(&check)
                .build();
            r.add_prefix(&check);
            let (o, c) = (order.clone(), confirm.clone());
            check.connect_toggled(move |b| {
                o.borrow_mut()[i].1 = b.is_active();
                update_confirm(&o, &c);
            });
            for (icon, label, delta, enabled) in [
                (
                    "go-up-symbolic",
                    gettext_f("Move {device} Up", &[("device", &title)]),
                    -1,
                    i > 0,
                ),
                (
                    "go-down-symbolic",
                    gettext_f("Move {device} Down", &[("device", &title)]),
                    1,
                    i + 1 < items.len(),
                ),
            ] {
                let b = gtk::Button::builder()
                    .icon_name(icon)
                    .tooltip_text(&label)
                    .valign(gtk::Align::Center)
                    .sensitive(enabled)
                    .build();
                b.add_css_class("flat");
                b.set_accessible_label(&label);
                // Weak: the list owns this button.
                let (l, o, c) = (list.downgrade(), order.clone(), confirm.clone());
                b.connect_clicked(move |_| {
                    let j = (i as i64 + delta) as usize;
                    o.borrow_mut().swap(i, j);
                    if let Some(l) = l.upgrade() {
                        fill(&l, &o, &c);
                    }
                });
                r.add_suffix(&b);
            }
            list.append(&r);
        }
    }
    fill(&list, &order, &confirm);
    let body = if running {
        gettext("Takes effect at the next boot.")
    } else {
        gettext("The virtual machine tries the checked devices in this order.")
    };
    let o = order.clone();
    let button = crate::ui::dialog::change(
        parent,
        &gettext("Change the Boot Order"),
        &body,
        list.upcast_ref(),
        move || {
            let devs = o
                .borrow()
                .iter()
                .filter(|(_, on)| *on)
                .map(|(d, _)| d.clone())
                .collect();
            on_edit(Edit::BootOrder(devs));
        },
    );
    *confirm.borrow_mut() = Some(button);
}

/// The description dialog: several lines of text.
fn edit_description(parent: &gtk::Window, current: &str, running: bool, on_edit: OnEdit) {
    let buffer = gtk::TextBuffer::new(None);
    buffer.set_text(current);
    let view = gtk::TextView::builder()
        .buffer(&buffer)
        .wrap_mode(gtk::WrapMode::WordChar)
        .top_margin(6)
        .bottom_margin(6)
        .left_margin(6)
        .right_margin(6)
        .build();
    view.set_accessible_label(&gettext("Description"));
    let scrolled = gtk::ScrolledWindow::builder()
        .child(&view)
        .min_content_height(120)
        .build();
    scrolled.add_css_class("card");
    let body = if running {
        gettext("Takes effect now and at the next boot.")
    } else {
        gettext("Saved with the virtual machine.")
    };
    crate::ui::dialog::change(
        parent,
        &gettext("Change the Description"),
        &body,
        scrolled.upcast_ref(),
        move || {
            let (a, b) = buffer.bounds();
            let text = buffer.text(&a, &b, false).to_string();
            on_edit(Edit::Description((!text.trim().is_empty()).then_some(text)));
        },
    );
    view.grab_focus();
}

/// A button that runs `f` with the window it is in.
fn dialog_button(icon: &str, label: &str, f: impl Fn(&gtk::Window) + 'static) -> gtk::Button {
    let b = gtk::Button::builder()
        .icon_name(icon)
        .tooltip_text(label)
        .valign(gtk::Align::Center)
        .build();
    b.add_css_class("flat");
    b.set_accessible_label(label);
    b.connect_clicked(move |b| {
        if let Some(w) = b.root().and_downcast::<gtk::Window>() {
            f(&w);
        }
    });
    b
}

/// An entry row that applies its text: `check` gives the reason to refuse it.
fn entry_row(
    title: &str,
    text: &str,
    check: impl Fn(&str) -> Option<String> + 'static,
    apply: impl Fn(String) + 'static,
) -> adw::EntryRow {
    let r = adw::EntryRow::builder()
        .title(title)
        .text(text)
        .show_apply_button(true)
        .build();
    r.connect_changed(move |r| {
        let problem = check(r.text().as_str());
        if problem.is_some() {
            r.add_css_class("error");
        } else {
            r.remove_css_class("error");
        }
        r.set_tooltip_text(problem.as_deref());
    });
    r.connect_apply(move |r| {
        if !r.has_css_class("error") {
            apply(r.text().to_string());
        }
    });
    r
}

/// What the Details view shows of the VM's state, and where edits go.
pub struct Context {
    pub running: bool,
    /// The state in words ("Running", "Shut off").
    pub state: Option<String>,
    pub on_edit: OnEdit,
    /// What the running guest says (addresses, agent), after the overview.
    pub guest: Option<adw::PreferencesGroup>,
}

/// Build the Details view for `xml` (with `pending`, the saved changes the
/// running guest does not have yet): a stack of the overview with every
/// device, and a page per device ("main" and [`device_page::page_name`]).
/// An unreadable XML gives a page that says so.
pub fn page(xml: &str, pending: &[crate::core::hardware::Pending], cx: &Context) -> gtk::Stack {
    let stack = gtk::Stack::builder()
        .transition_type(gtk::StackTransitionType::SlideLeftRight)
        .build();
    let page = adw::PreferencesPage::new();
    stack.add_named(&page, Some("main"));
    if !pending.is_empty() {
        let group = adw::PreferencesGroup::builder()
            .title(gettext("Changes at the Next Boot"))
            .description(gettext(
                "Saved, but not in the running guest yet: they take effect when it restarts.",
            ))
            .build();
        let none = gettext("none");
        let (shown, hidden) = (gettext("Shown"), gettext("Hidden"));
        for p in pending {
            let word = |v: &str| match (p.what, v) {
                ("boot-menu", "true") => shown.clone(),
                ("boot-menu", _) => hidden.clone(),
                (_, v) => v.to_owned(),
            };
            let (now, next_boot) = (word(&p.now), word(&p.next_boot));
            let now = if now.is_empty() { &none } else { &now };
            let next = if next_boot.is_empty() {
                &none
            } else {
                &next_boot
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
            return stack;
        }
    };
    let running = cx.running;
    let on_edit = &cx.on_edit;
    let overview = adw::PreferencesGroup::builder()
        .title(gettext("Overview"))
        .build();
    let add_to = |group: &adw::PreferencesGroup, title: String, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            group.add(&row(&title, &value));
        }
    };
    if running {
        overview.set_description(Some(&gettext(
            "The title and description change now and at the next boot; shut the virtual machine down to rename it.",
        )));
    }
    let name = vm.name().unwrap_or_default();
    if running {
        let r = row(&gettext("Name"), &name);
        r.set_tooltip_text(Some(&gettext("Shut the virtual machine down to rename it")));
        overview.add(&r);
    } else {
        let e = on_edit.clone();
        let old = name.clone();
        overview.add(&entry_row(
            &gettext("Name"),
            &name,
            |n| {
                crate::core::wizard::check::check_name(n, &[])
                    .first()
                    .map(crate::ui::i18n::problem_text)
            },
            move |n| {
                if n != old {
                    e(Edit::Rename(n))
                }
            },
        ));
    }
    let e = on_edit.clone();
    let old_title = vm.title().unwrap_or_default();
    let title_row = entry_row(
        &gettext("Title"),
        &old_title.clone(),
        |_| None,
        move |t| {
            if t != old_title {
                e(Edit::Title((!t.trim().is_empty()).then_some(t)))
            }
        },
    );
    if running {
        title_row.set_tooltip_text(Some(&gettext("Takes effect now and at the next boot")));
    }
    overview.add(&title_row);
    let description = vm.description().unwrap_or_default();
    let description_row = row(
        &gettext("Description"),
        &if description.is_empty() {
            gettext("None")
        } else {
            description.clone()
        },
    );
    let e = on_edit.clone();
    description_row.add_suffix(&dialog_button(
        "document-edit-symbolic",
        &gettext("Change the Description"),
        move |w| edit_description(w, &description, running, e.clone()),
    ));
    overview.add(&description_row);
    add_to(&overview, gettext("State"), cx.state.clone());
    add_to(&overview, gettext("UUID"), vm.uuid());
    add_to(
        &overview,
        gettext("Hypervisor"),
        vm.domain_type().map(|t| match t.as_str() {
            "kvm" => gettext("KVM"),
            "qemu" => gettext("QEMU (emulation)"),
            other => other.to_owned(),
        }),
    );
    add_to(
        &overview,
        gettext("Architecture"),
        Some(
            [vm.arch(), vm.machine()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · "),
        ),
    );
    add_to(
        &overview,
        gettext("Firmware"),
        vm.firmware().or(vm.loader()),
    );
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
    if let Some(guest) = &cx.guest {
        page.add(guest);
    }

    let cpus = adw::PreferencesGroup::builder()
        .title(gettext("Processors and Memory"))
        .build();
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
        cpus.add(&r);
    }
    add_to(
        &cpus,
        gettext("CPU model"),
        match (vm.cpu_mode(), vm.cpu_model()) {
            (Some(mode), Some(model)) => Some(format!("{model} ({mode})")),
            (mode, model) => model.or(mode),
        },
    );
    add_to(
        &cpus,
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
        cpus.add(&r);
    }
    page.add(&cpus);

    let boot = adw::PreferencesGroup::builder()
        .title(gettext("Boot Options"))
        .build();
    if running {
        boot.set_description(Some(&gettext("Changes here take effect at the next boot.")));
    }
    let per_device = DeviceKind::ALL
        .iter()
        .flat_map(|k| vm.devices(*k))
        .any(|d| d.boot_order().ok().flatten().is_some());
    let devices = vm.boot_devices();
    if per_device {
        boot.add(&row(
            &gettext("Boot order"),
            &gettext("Set on each device (change it on the XML page)"),
        ));
    } else {
        let shown = if devices.is_empty() {
            gettext("Hard disk")
        } else {
            devices
                .iter()
                .map(|d| boot_title(d))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let r = row(&gettext("Boot order"), &shown);
        let e = on_edit.clone();
        r.add_suffix(&dialog_button(
            "document-edit-symbolic",
            &gettext("Change the Boot Order"),
            move |w| edit_boot_order(w, &devices, running, e.clone()),
        ));
        boot.add(&r);
    }
    let menu = gtk::Switch::builder()
        .active(vm.boot_menu().ok().flatten().unwrap_or(false))
        .valign(gtk::Align::Center)
        .build();
    menu.set_accessible_label(&gettext("Show the boot menu"));
    let e = on_edit.clone();
    menu.connect_state_set(move |_, on| {
        e(Edit::BootMenu(on));
        glib::Propagation::Proceed
    });
    let menu_row = adw::ActionRow::builder()
        .title(gettext("Show the boot menu"))
        .activatable_widget(&menu)
        .build();
    menu_row.add_suffix(&menu);
    boot.add(&menu_row);
    add_to(
        &boot,
        gettext("Direct kernel boot"),
        vm.kernel().map(|k| {
            [Some(k), vm.cmdline()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · ")
        }),
    );
    page.add(&boot);

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
            let remove = if kind == DeviceKind::Disk {
                disk_actions(&r, d);
                d.target_dev()
                    .filter(|_| !matches!(d.disk_device().as_deref(), Some("cdrom" | "floppy")))
                    .map(|t| {
                        action_button(
                            "user-trash-symbolic",
                            &gettext_f("Remove {target}", &[("target", &t)]),
                            "vm.remove-disk",
                            Some(&t),
                        )
                    })
            } else if removable(kind) {
                let button = || {
                    action_button(
                        "user-trash-symbolic",
                        &gettext_f("Remove {device}", &[("device", &title)]),
                        "vm.remove-device",
                        Some(&format!("{}:{index}", kind.element())),
                    )
                };
                r.add_suffix(&button());
                Some(button())
            } else {
                None
            };
            let name = device_page::page_name(kind, &DeviceKey::of(d, index));
            let weak = stack.downgrade();
            let details =
                device_page::page(d, index, &title, running, on_edit, remove, move || {
                    if let Some(s) = weak.upgrade() {
                        s.set_visible_child_name("main");
                    }
                });
            stack.add_named(&details, Some(&name));
            // Which one, where a kind has several of the same title.
            let which = match DeviceKey::of(d, index) {
                DeviceKey::Target(t) => format!("{title} {t}"),
                DeviceKey::Mac(m) => format!("{title} {m}"),
                DeviceKey::Index(i) if devices.len() > 1 => format!("{title} {}", i + 1),
                DeviceKey::Index(_) => title.clone(),
            };
            let label = gettext_f("Settings of {device}", &[("device", &which)]);
            let open = gtk::Button::builder()
                .icon_name("go-next-symbolic")
                .tooltip_text(&label)
                .valign(gtk::Align::Center)
                .build();
            open.add_css_class("flat");
            open.set_accessible_label(&label);
            r.add_suffix(&open);
            r.set_activatable(true);
            let weak = stack.downgrade();
            let show = move || {
                if let Some(s) = weak.upgrade() {
                    s.set_visible_child_name(&name);
                }
            };
            let show2 = show.clone();
            open.connect_clicked(move |_| show());
            r.connect_activated(move |_| show2());
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
    stack
}
