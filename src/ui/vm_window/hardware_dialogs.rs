//! Hardware dialogs of the VM window: Add Disk, Remove Disk, and the
//! questions a refused hot-plug or a locked CD-ROM tray raise. The VM window
//! runs what they decide against the core's service.
//!
//! Length: one function per dialog (Add Disk, Add Hardware with its nine
//! device kinds, Remove Disk, the amounts, the next-boot and force-eject
//! offers, the media menu); none depends on another.

use gettextrs::gettext;
use relm4::adw::{self, prelude::*};
use relm4::gtk::{self, gio};

use crate::core::hardware::{DiskStorage, NewDisk, Scope, parse_size};
use crate::core::wizard::PoolFacts;
use crate::ui::dialog::{self, Confirm, Texts};
use crate::ui::i18n::gettext_f;

/// The "Keep after shutdown" switch of a running VM's Add dialogs.
fn keep_choice(running: bool) -> (gtk::Switch, adw::ActionRow) {
    let keep = gtk::Switch::builder()
        .active(true)
        .valign(gtk::Align::Center)
        .build();
    let row = adw::ActionRow::builder()
        .title(gettext("Keep after shutdown"))
        .subtitle(gettext(
            "Also add it to the configuration the next boot uses",
        ))
        .activatable_widget(&keep)
        .build();
    row.add_suffix(&keep);
    row.set_visible(running);
    (keep, row)
}

/// Where an added device goes: the definition only for a shut-off VM; the
/// running guest and, when kept, the definition too.
fn add_scope(running: bool, keep: bool) -> Scope {
    match (running, keep) {
        (false, _) => Scope::NEXT_BOOT,
        (true, true) => Scope::BOTH,
        (true, false) => Scope::NOW_ONLY,
    }
}

/// The buses Add Disk offers, with their labels.
fn buses() -> [(&'static str, String); 4] {
    [
        ("virtio", gettext("VirtIO (fastest; hot-pluggable)")),
        ("scsi", gettext("SCSI (hot-pluggable)")),
        ("sata", gettext("SATA (not hot-pluggable)")),
        ("usb", gettext("USB (hot-pluggable)")),
    ]
}

const CACHES: [&str; 5] = ["none", "writeback", "writethrough", "directsync", "unsafe"];

/// The Add Disk dialog. `name` names the new volume (`<vm>-N.qcow2`);
/// `running` shows the Keep after shutdown choice. `confirm` gets the disk
/// and where it should go.
pub fn add_disk(
    parent: &gtk::Window,
    vm_name: &str,
    pools: &[PoolFacts],
    running: bool,
    confirm: impl Fn(NewDisk, Scope) + 'static,
) {
    let pools: Vec<PoolFacts> = pools
        .iter()
        .filter(|p| p.active && p.path.is_some())
        .cloned()
        .collect();
    let new = gtk::CheckButton::with_label(&gettext("Create a disk image"));
    let existing = gtk::CheckButton::with_label(&gettext("Use an existing disk image"));
    existing.set_group(Some(&new));
    let pool_labels: Vec<String> = pools
        .iter()
        .map(|p| match p.available {
            Some(a) => gettext_f(
                "{pool} ({free} free)",
                &[
                    ("pool", &p.name),
                    ("free", &crate::core::wizard::check::format_gib(a)),
                ],
            ),
            None => p.name.clone(),
        })
        .collect();
    let pool = adw::ComboRow::builder()
        .title(gettext("Storage pool"))
        .model(&gtk::StringList::new(
            &pool_labels.iter().map(String::as_str).collect::<Vec<_>>(),
        ))
        .build();
    let size_row = adw::EntryRow::builder()
        .title(gettext("Size (such as 8 GiB or 512 MiB)"))
        .text("8 GiB")
        .build();
    let path = adw::EntryRow::builder()
        .title(gettext("Disk image path"))
        .build();
    let bus_labels = buses();
    let bus = adw::ComboRow::builder()
        .title(gettext("Bus"))
        .model(&gtk::StringList::new(
            &bus_labels
                .iter()
                .map(|(_, l)| l.as_str())
                .collect::<Vec<_>>(),
        ))
        .build();
    let cache_labels: Vec<String> = std::iter::once(gettext("Default"))
        .chain(CACHES.iter().map(|c| (*c).to_owned()))
        .collect();
    let cache = adw::ComboRow::builder()
        .title(gettext("Cache mode"))
        .model(&gtk::StringList::new(
            &cache_labels.iter().map(String::as_str).collect::<Vec<_>>(),
        ))
        .build();
    let (keep, keep_row) = keep_choice(running);

    let list = gtk::ListBox::builder()
        .selection_mode(gtk::SelectionMode::None)
        .build();
    list.add_css_class("boxed-list");
    for (b, enabled) in [(&new, !pools.is_empty()), (&existing, true)] {
        b.set_sensitive(enabled);
        list.append(&dialog::radio_row(b));
        if b == &new {
            list.append(&pool);
            list.append(&size_row);
        } else {
            list.append(&path);
        }
    }
    list.append(&bus);
    list.append(&cache);
    list.append(&keep_row);
    if pools.is_empty() {
        existing.set_active(true);
    } else {
        new.set_active(true);
    }

    let vm_name = vm_name.to_owned();
    let choice = {
        let (new, pool, size, path, bus, cache, keep) = (
            new.clone(),
            pool.clone(),
            size_row.clone(),
            path.clone(),
            bus.clone(),
            cache.clone(),
            keep.clone(),
        );
        let pools = pools.clone();
        move || -> Option<(NewDisk, Scope)> {
            let storage = if new.is_active() {
                let p = pools.get(pool.selected() as usize)?;
                let bytes = parse_size(&size.text())?;
                if p.available.is_some_and(|free| bytes > free) {
                    return None;
                }
                let taken = |n: &str| p.volumes.iter().any(|v| v == n);
                let name = (1..)
                    .map(|i| format!("{vm_name}-{i}.qcow2"))
                    .find(|n| !taken(n))?;
                DiskStorage::NewVolume {
                    pool: p.name.clone(),
                    pool_path: p.path.clone()?,
                    name,
                    size_bytes: bytes,
                }
            } else {
                let p = path.text().trim().to_owned();
                if p.is_empty() {
                    return None;
                }
                DiskStorage::Existing {
                    format: crate::core::wizard::probe_format(&p).into(),
                    path: p,
                }
            };
            let c = cache.selected() as usize;
            let disk = NewDisk {
                storage,
                bus: buses()[bus.selected() as usize].0.to_owned(),
                cache: (c > 0).then(|| CACHES[c - 1].to_owned()),
            };
            Some((disk, add_scope(running, keep.is_active())))
        }
    };
    let problem = gtk::Label::builder()
        .wrap(true)
        .xalign(0.0)
        .visible(false)
        .build();
    problem.add_css_class("error");
    let content = gtk::Box::new(gtk::Orientation::Vertical, 12);
    content.append(&list);
    content.append(&problem);
    // What keeps Add off, in words.
    let why = {
        let (new, pool, size, path) = (new.clone(), pool.clone(), size_row.clone(), path.clone());
        let pools = pools.clone();
        move || -> Option<String> {
            if new.is_active() {
                let Some(bytes) = parse_size(&size.text()) else {
                    return Some(gettext("Enter a size such as 8 GiB or 512 MiB."));
                };
                let p = pools.get(pool.selected() as usize)?;
                if let Some(free) = p.available.filter(|free| bytes > *free) {
                    return Some(crate::ui::i18n::problem_text(
                        &crate::core::wizard::Problem::DiskOverPool {
                            asked_bytes: bytes,
                            free_bytes: free,
                            pool: p.name.clone(),
                        },
                    ));
                }
            } else if !path.text().trim().is_empty()
                && !std::path::Path::new(path.text().trim()).exists()
            {
                return Some(gettext_f(
                    "“{path}” does not exist.",
                    &[("path", path.text().trim())],
                ));
            }
            None
        }
    };
    let (heading, cancel, add) = (gettext("Add Disk"), gettext("Cancel"), gettext("Add"));
    let confirm_choice = choice.clone();
    let button = dialog::show(
        parent,
        Texts {
            heading: &heading,
            body: None,
            cancel: &cancel,
            confirm: &add,
        },
        Some(content.upcast_ref()),
        Confirm::Suggested,
        move || {
            if let Some((disk, scope)) = confirm_choice() {
                confirm(disk, scope);
            }
        },
    );
    let refresh = {
        let (new, pool, size_row, path, button) = (
            new.clone(),
            pool.clone(),
            size_row.clone(),
            path.clone(),
            button.clone(),
        );
        move || {
            let creating = new.is_active();
            pool.set_sensitive(creating);
            size_row.set_sensitive(creating);
            path.set_sensitive(!creating);
            button.set_sensitive(choice().is_some());
            let text = why();
            problem.set_visible(text.is_some());
            problem.set_text(text.as_deref().unwrap_or(""));
        }
    };
    refresh();
    for b in [&new, &existing] {
        let refresh = refresh.clone();
        b.connect_toggled(move |_| refresh());
    }
    {
        let refresh = refresh.clone();
        size_row.connect_changed(move |_| refresh());
    }
    {
        let refresh = refresh.clone();
        path.connect_changed(move |_| refresh());
    }
    pool.connect_selected_notify(move |_| refresh());
}

/// Ask before removing disk `target`; `confirm` gets whether to delete its
/// storage volume too (offered for image files only).
pub fn remove_disk(
    parent: &gtk::Window,
    target: &str,
    source: Option<&str>,
    confirm: impl Fn(bool) + 'static,
) {
    let delete = gtk::CheckButton::with_label(&gettext("Delete the disk image"));
    let extra = source.map(|s| {
        delete.set_tooltip_text(Some(s));
        delete.upcast_ref::<gtk::Widget>().clone()
    });
    let body = match source {
        Some(s) => gettext_f(
            "The disk {target} ({source}) is removed from the virtual machine. Its data stays unless you delete the image too.",
            &[("target", target), ("source", s)],
        ),
        None => gettext_f(
            "The disk {target} is removed from the virtual machine.",
            &[("target", target)],
        ),
    };
    let (heading, cancel, remove) = (
        gettext("Remove Disk?"),
        gettext("Cancel"),
        gettext("Remove"),
    );
    dialog::show(
        parent,
        Texts {
            heading: &heading,
            body: Some(&body),
            cancel: &cancel,
            confirm: &remove,
        },
        extra.as_ref(),
        Confirm::Destructive,
        move || confirm(delete.is_active()),
    );
}

/// Something the running guest refused: what happened, what the offer
/// does, Cancel and the offer.
fn offer(
    parent: &gtk::Window,
    heading: &str,
    refusal: String,
    note: String,
    label: &str,
    style: Confirm,
    confirm: impl Fn() + 'static,
) {
    let body = format!("{refusal}\n\n{note}");
    let cancel = gettext("Cancel");
    let texts = Texts {
        heading,
        body: Some(&body),
        cancel: &cancel,
        confirm: label,
    };
    dialog::show(parent, texts, None, style, confirm);
}

/// A hot-plug the running guest refused: say why, offer the next boot.
pub fn offer_next_boot(parent: &gtk::Window, reason: &str, confirm: impl Fn() + 'static) {
    offer(
        parent,
        &gettext("Not Added to the Running Guest"),
        gettext_f(
            "The running guest could not take the device: {reason}",
            &[("reason", reason)],
        ),
        gettext("It can be added to the configuration instead, for the next boot."),
        &gettext("Add for Next Boot"),
        Confirm::Suggested,
        confirm,
    );
}

/// An eject the guest refused (a locked tray): offer Force Eject.
pub fn offer_force_eject(parent: &gtk::Window, reason: &str, confirm: impl Fn() + 'static) {
    offer(
        parent,
        &gettext("The Tray Is Locked"),
        gettext_f(
            "The guest refused to open the tray: {reason}",
            &[("reason", reason)],
        ),
        gettext("Force Eject removes the medium anyway; a program reading it may fail."),
        &gettext("Force Eject"),
        Confirm::Destructive,
        confirm,
    );
}

/// The media menu of the VM window's header: recent ISOs, Browse, Eject.
pub fn media_menu(target: &str, recent: &[String], inserted: bool) -> gio::Menu {
    let menu = gio::Menu::new();
    let isos = gio::Menu::new();
    for path in recent.iter().take(5) {
        let label = std::path::Path::new(path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.clone());
        let item = gio::MenuItem::new(Some(&label), None);
        item.set_action_and_target_value(
            Some("vm.insert-media"),
            Some(&(target, path.as_str()).to_variant()),
        );
        isos.append_item(&item);
    }
    menu.append_section(None, &isos);
    let actions = gio::Menu::new();
    let browse = gio::MenuItem::new(Some(&gettext("Choose ISO Image…")), None);
    browse.set_action_and_target_value(Some("vm.browse-media"), Some(&target.to_variant()));
    actions.append_item(&browse);
    if inserted {
        let eject = gio::MenuItem::new(Some(&gettext("Eject")), None);
        eject.set_action_and_target_value(Some("vm.eject-media"), Some(&target.to_variant()));
        actions.append_item(&eject);
    }
    menu.append_section(None, &actions);
    menu
}

/// Put `path` first in the recent ISOs (at most 8 kept).
pub fn remember_iso(settings: &gio::Settings, path: &str) {
    let mut recent: Vec<String> = settings
        .strv("recent-isos")
        .iter()
        .map(|s| s.to_string())
        .filter(|s| s != path)
        .collect();
    recent.insert(0, path.to_owned());
    recent.truncate(8);
    let refs: Vec<&str> = recent.iter().map(String::as_str).collect();
    let _ = settings.set_strv("recent-isos", refs.as_slice());
}

/// Ask for a new number of vCPUs or MiB of memory, saying before anything
/// is applied where it will take effect. `confirm` gets the value.
#[allow(clippy::too_many_arguments)]
pub fn edit_amount(
    parent: &gtk::Window,
    heading: &str,
    label: &str,
    value: f64,
    min: f64,
    max: f64,
    step: f64,
    running: bool,
    confirm: impl Fn(u64) + 'static,
) {
    let spin = gtk::SpinButton::with_range(min, max.max(min), step);
    spin.set_value(value);
    spin.set_valign(gtk::Align::Center);
    crate::ui::a11y::AccessibleLabelExt::set_accessible_label(&spin, label);
    let row = adw::ActionRow::builder()
        .title(label)
        .subtitle(gettext_f(
            "Between {min} and {max}",
            &[("min", &min.to_string()), ("max", &max.to_string())],
        ))
        .build();
    row.add_suffix(&spin);
    let list = gtk::ListBox::builder()
        .selection_mode(gtk::SelectionMode::None)
        .build();
    list.add_css_class("boxed-list");
    list.append(&row);
    let body = if running {
        gettext("Takes effect now in the running guest and from the next boot.")
    } else {
        gettext("Takes effect at the next boot.")
    };
    dialog::change(parent, heading, &body, list.upcast_ref(), move || {
        confirm(spin.value() as u64)
    });
}

/// Where a vCPU or memory change took effect, in words.
pub fn applied_text(applied: &crate::core::libvirt::Applied) -> String {
    match (&applied.next_boot, &applied.now) {
        (Some(Ok(())), Some(Ok(()))) => gettext("Changed now and for the next boot"),
        (Some(Ok(())), None) => gettext("Changed; takes effect at the next boot"),
        (Some(Ok(())), Some(Err(e))) => gettext_f(
            "Changed for the next boot only; the running guest refused: {error}",
            &[("error", e)],
        ),
        (None, Some(Ok(()))) => {
            gettext("Changed in the running guest only (it has no saved configuration)")
        }
        (Some(Err(e)), _) | (None, Some(Err(e))) => {
            gettext_f("Not changed: {error}", &[("error", e)])
        }
        (None, None) => gettext("Not changed"),
    }
}

/// The kinds of the Add Hardware dialog, in its order.
fn kinds() -> Vec<String> {
    vec![
        gettext("Disk"),
        gettext("CD-ROM Drive"),
        gettext("Network Interface"),
        gettext("Display"),
        gettext("Video"),
        gettext("Sound"),
        gettext("Input Device"),
        gettext("Serial Port"),
        gettext("Guest Agent Channel"),
        gettext("Random Number Generator"),
        gettext("TPM"),
        gettext("USB Host Device"),
    ]
}

fn combo(title: &str, items: &[String]) -> adw::ComboRow {
    adw::ComboRow::builder()
        .title(title)
        .model(&gtk::StringList::new(
            &items.iter().map(String::as_str).collect::<Vec<_>>(),
        ))
        .build()
}

fn owned(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// The Add Hardware dialog. Choosing Disk hands over to Add Disk
/// (`add_disk`); the other kinds give a [`NewDevice`] to `confirm`.
#[allow(clippy::too_many_arguments)]
pub fn add_hardware(
    parent: &gtk::Window,
    networks: &[String],
    usb: &[crate::core::libvirt::UsbDevice],
    running: bool,
    add_disk: impl Fn() + 'static,
    confirm: impl Fn(crate::core::hardware::NewDevice, Scope) + 'static,
) {
    use crate::core::hardware::NewDevice;
    use crate::core::wizard::NetworkChoice;
    let kind = combo(&gettext("Type"), &kinds());
    // Per kind: the rows shown, and how to read them.
    let cd_bus = combo(&gettext("Bus"), &owned(&["SATA", "IDE", "SCSI", "USB"]));
    let cd_iso = adw::EntryRow::builder()
        .title(gettext("ISO image (optional)"))
        .build();
    let mut sources: Vec<String> = networks
        .iter()
        .map(|n| gettext_f("Virtual network “{name}”", &[("name", n)]))
        .collect();
    sources.push(gettext("User-mode networking"));
    let net_source = combo(&gettext("Network source"), &sources);
    let net_model = combo(&gettext("Model"), &owned(&["virtio", "e1000e", "rtl8139"]));
    let graphics = combo(&gettext("Type"), &owned(&["VNC", "SPICE"]));
    let video = combo(
        &gettext("Model"),
        &owned(&["virtio", "vga", "bochs", "qxl", "ramfb"]),
    );
    let sound = combo(&gettext("Model"), &owned(&["ich9", "ich6", "ac97"]));
    let input_kind = combo(
        &gettext("Type"),
        &[gettext("Tablet"), gettext("Mouse"), gettext("Keyboard")],
    );
    let input_bus = combo(&gettext("Bus"), &owned(&["USB", "VirtIO"]));
    let tpm = combo(&gettext("Model"), &owned(&["tpm-crb", "tpm-tis"]));
    let usb_labels: Vec<String> = usb
        .iter()
        .map(|d| {
            format!(
                "{} {} ({}:{})",
                d.vendor, d.product, d.vendor_id, d.product_id
            )
        })
        .collect();
    let usb_row = combo(&gettext("Device"), &usb_labels);
    let none_note = adw::ActionRow::builder()
        .title(gettext("Nothing to choose: Add adds it"))
        .build();
    let (keep, keep_row) = keep_choice(running);

    let list = gtk::ListBox::builder()
        .selection_mode(gtk::SelectionMode::None)
        .build();
    list.add_css_class("boxed-list");
    list.append(&kind);
    let per_kind: Vec<Vec<gtk::Widget>> = vec![
        vec![],
        vec![cd_bus.clone().upcast(), cd_iso.clone().upcast()],
        vec![net_source.clone().upcast(), net_model.clone().upcast()],
        vec![graphics.clone().upcast()],
        vec![video.clone().upcast()],
        vec![sound.clone().upcast()],
        vec![input_kind.clone().upcast(), input_bus.clone().upcast()],
        vec![none_note.clone().upcast()],
        vec![none_note.clone().upcast()],
        vec![none_note.clone().upcast()],
        vec![tpm.clone().upcast()],
        vec![usb_row.clone().upcast()],
    ];
    let mut seen: Vec<gtk::Widget> = Vec::new();
    for w in per_kind.iter().flatten() {
        if !seen.contains(w) {
            list.append(w);
            seen.push(w.clone());
        }
    }
    list.append(&keep_row);
    let device = {
        let kind = kind.clone();
        let networks = networks.to_vec();
        let usb = usb.to_vec();
        let pick = |c: &adw::ComboRow, items: &[&str]| {
            items
                .get(c.selected() as usize)
                .unwrap_or(&items[0])
                .to_string()
        };
        let (
            cd_bus,
            cd_iso,
            net_source,
            net_model,
            graphics,
            video,
            sound,
            input_kind,
            input_bus,
            tpm,
            usb_row,
        ) = (
            cd_bus.clone(),
            cd_iso.clone(),
            net_source.clone(),
            net_model.clone(),
            graphics.clone(),
            video.clone(),
            sound.clone(),
            input_kind.clone(),
            input_bus.clone(),
            tpm.clone(),
            usb_row.clone(),
        );
        move || -> Option<NewDevice> {
            Some(match kind.selected() {
                1 => NewDevice::Cdrom {
                    bus: pick(&cd_bus, &["sata", "ide", "scsi", "usb"]),
                    iso: Some(cd_iso.text().trim().to_owned()).filter(|s| !s.is_empty()),
                },
                2 => NewDevice::Interface {
                    source: match networks.get(net_source.selected() as usize) {
                        Some(n) => NetworkChoice::Virtual(n.clone()),
                        None => NetworkChoice::User,
                    },
                    model: pick(&net_model, &["virtio", "e1000e", "rtl8139"]),
                },
                3 => NewDevice::Graphics {
                    kind: pick(&graphics, &["vnc", "spice"]),
                },
                4 => NewDevice::Video {
                    model: pick(&video, &["virtio", "vga", "bochs", "qxl", "ramfb"]),
                },
                5 => NewDevice::Sound {
                    model: pick(&sound, &["ich9", "ich6", "ac97"]),
                },
                6 => NewDevice::Input {
                    kind: pick(&input_kind, &["tablet", "mouse", "keyboard"]),
                    bus: pick(&input_bus, &["usb", "virtio"]),
                },
                7 => NewDevice::Serial,
                8 => NewDevice::GuestAgent,
                9 => NewDevice::Rng,
                10 => NewDevice::Tpm {
                    model: pick(&tpm, &["tpm-crb", "tpm-tis"]),
                },
                11 => {
                    let d = usb.get(usb_row.selected() as usize)?;
                    NewDevice::UsbHost {
                        vendor: d.vendor_id.clone(),
                        product: d.product_id.clone(),
                    }
                }
                _ => return None,
            })
        }
    };
    let (heading, cancel, add) = (gettext("Add Hardware"), gettext("Cancel"), gettext("Add"));
    let confirm_device = device.clone();
    let confirm_kind = kind.clone();
    let keep2 = keep.clone();
    let button = dialog::show(
        parent,
        Texts {
            heading: &heading,
            body: None,
            cancel: &cancel,
            confirm: &add,
        },
        Some(list.upcast_ref()),
        Confirm::Suggested,
        move || {
            if confirm_kind.selected() == 0 {
                add_disk();
                return;
            }
            if let Some(d) = confirm_device() {
                confirm(d, add_scope(running, keep2.is_active()));
            }
        },
    );
    let refresh = {
        let kind = kind.clone();
        move || {
            let k = kind.selected() as usize;
            for (i, widgets) in per_kind.iter().enumerate() {
                for w in widgets {
                    if i == k {
                        w.set_visible(true);
                    } else if !per_kind[k].contains(w) {
                        w.set_visible(false);
                    }
                }
            }
            button.set_label(&if k == 0 {
                gettext("Continue")
            } else {
                gettext("Add")
            });
            button.set_sensitive(k == 0 || device().is_some());
        }
    };
    refresh();
    kind.connect_selected_notify(move |_| refresh());
}
