//! The Storage page's dialogs: New Pool (only the fields the chosen type
//! needs), Delete Pool (with or without its files), New Volume, Resize,
//! Wipe, Delete Volume (saying which VMs use it).

use gettextrs::gettext;
use relm4::ComponentSender;
use relm4::adw::{self, prelude::*};
use std::cell::RefCell;
use std::rc::Rc;

use relm4::gtk;

use super::{Finder, StorageInput, StoragePage, entry, size};
use crate::core::libvirt::{PoolAction, VolumeInfo};
use crate::core::storage::{self, FoundSource, NewPool, NewVolume, PoolKind, VolumeFormat};
use crate::ui::dialog::{self, Confirm};
use crate::ui::i18n::gettext_f;

impl StoragePage {
    pub(super) fn ask_delete_pool(
        &self,
        parent: &gtk::Window,
        sender: &ComponentSender<Self>,
        name: String,
    ) {
        let count = self
            .pools
            .iter()
            .find(|(p, _)| p.name == name)
            .map_or(0, |(_, v)| v.len());
        let also = gtk::CheckButton::with_label(&gettext_f(
            "Also delete its {count} volumes and its folder",
            &[("count", &count.to_string())],
        ));
        let body =
            gettext("Without that, the pool is only forgotten: its files stay where they are.");
        let input = sender.input_sender().clone();
        let (n, a) = (name.clone(), also.clone());
        dialog::ask(
            parent,
            &gettext_f("Delete Pool {name}?", &[("name", &name)]),
            Some(&body),
            Some(also.upcast_ref()),
            (&gettext("Delete"), Confirm::Destructive),
            move || {
                input.emit(StorageInput::Pool(
                    n.clone(),
                    PoolAction::Delete {
                        contents: a.is_active(),
                    },
                ))
            },
        );
    }

    pub(super) fn ask_new_pool(&mut self, parent: &gtk::Window, sender: &ComponentSender<Self>) {
        let kinds = [
            gettext("Folder"),
            gettext("Filesystem on a device"),
            gettext("NFS share"),
            gettext("LVM volume group"),
            gettext("Whole disk"),
            gettext("iSCSI target"),
        ];
        let kind = adw::ComboRow::builder()
            .title(gettext("Type"))
            .model(&gtk::StringList::new(
                &kinds.iter().map(String::as_str).collect::<Vec<_>>(),
            ))
            .build();
        let name = entry(&gettext("Name"), "");
        let path = entry(&gettext("Folder"), "");
        let device = entry(&gettext("Device"), "");
        let host = entry(&gettext("Server"), "");
        let source = entry(&gettext("Exported folder"), "");
        let group = entry(&gettext("Volume group"), "");
        let target = entry(&gettext("Target IQN"), "");
        // libvirt searches the host for volume groups and a server for
        // NFS exports and iSCSI targets.
        let find = adw::ActionRow::builder()
            .title(gettext("Find What Is There"))
            .build();
        let search = gtk::Button::builder()
            .label(gettext("Search"))
            .valign(gtk::Align::Center)
            .build();
        find.add_suffix(&search);
        let found = adw::ComboRow::builder()
            .title(gettext("Found"))
            .visible(false)
            .build();
        let sources: Rc<RefCell<Vec<FoundSource>>> = Rc::default();
        self.finder = Some(Finder {
            row: find.clone(),
            combo: found.clone(),
            sources: sources.clone(),
        });
        {
            let (kind, host, input) = (kind.clone(), host.clone(), sender.input_sender().clone());
            search.connect_clicked(move |_| {
                let what = match kind.selected() {
                    2 => "netfs",
                    3 => "logical",
                    _ => "iscsi",
                };
                let server = Some(host.text().trim().to_owned()).filter(|h| !h.is_empty());
                input.emit(StorageInput::FindSources(what, server));
            });
        }
        {
            let (host, source, group, target) =
                (host.clone(), source.clone(), group.clone(), target.clone());
            found.connect_selected_notify(move |c| {
                let Some(s) = sources.borrow().get(c.selected() as usize).cloned() else {
                    return;
                };
                if let Some(h) = s.host {
                    host.set_text(&h);
                }
                if let Some(d) = s.dir {
                    source.set_text(&d);
                }
                if let Some(n) = s.name {
                    group.set_text(&n);
                } else if let Some(d) = s.device {
                    target.set_text(&d);
                }
            });
        }
        let list = dialog::boxed_list(&[
            name.upcast_ref(),
            kind.upcast_ref(),
            path.upcast_ref(),
            device.upcast_ref(),
            host.upcast_ref(),
            find.upcast_ref(),
            found.upcast_ref(),
            source.upcast_ref(),
            group.upcast_ref(),
            target.upcast_ref(),
        ]);
        // Only the fields the chosen type needs.
        let show = {
            let (path, device, host, source, group, target, find, found) = (
                path.clone(),
                device.clone(),
                host.clone(),
                source.clone(),
                group.clone(),
                target.clone(),
                find.clone(),
                found.clone(),
            );
            move |k: u32| {
                find.set_visible(matches!(k, 2 | 3 | 5));
                find.set_subtitle(&if k == 3 {
                    gettext("Volume groups on the host")
                } else {
                    gettext("What the server above offers")
                });
                found.set_visible(false);
                path.set_visible(matches!(k, 0..=2));
                device.set_visible(matches!(k, 1 | 4));
                host.set_visible(matches!(k, 2 | 5));
                source.set_visible(k == 2);
                group.set_visible(k == 3);
                target.set_visible(k == 5);
            }
        };
        show(0);
        kind.connect_selected_notify(move |k| show(k.selected()));
        let input = sender.input_sender().clone();
        dialog::ask(
            parent,
            &gettext("New Pool"),
            None,
            Some(list.upcast_ref()),
            (&gettext("Create"), Confirm::Suggested),
            move || {
                let t = |e: &adw::EntryRow| e.text().trim().to_owned();
                let kind = match kind.selected() {
                    0 => PoolKind::Dir { path: t(&path) },
                    1 => PoolKind::Fs {
                        device: t(&device),
                        path: t(&path),
                    },
                    2 => PoolKind::Netfs {
                        host: t(&host),
                        dir: t(&source),
                        path: t(&path),
                    },
                    3 => PoolKind::Logical { group: t(&group) },
                    4 => PoolKind::Disk { device: t(&device) },
                    _ => PoolKind::Iscsi {
                        host: t(&host),
                        target: t(&target),
                    },
                };
                input.emit(StorageInput::CreatePool(NewPool {
                    name: t(&name),
                    kind,
                }))
            },
        );
    }

    pub(super) fn ask_new_volume(
        &self,
        parent: &gtk::Window,
        sender: &ComponentSender<Self>,
        pool: String,
    ) {
        let name = entry(&gettext("Name"), "");
        let format = adw::ComboRow::builder()
            .title(gettext("Format"))
            .model(&gtk::StringList::new(&["qcow2", "raw"]))
            .build();
        let capacity = entry(&gettext("Size"), "20 GiB");
        // An overlay on another volume of the pool (qcow2, its size by
        // default).
        let bases: Vec<VolumeInfo> = self
            .pools
            .iter()
            .find(|(p, _)| p.name == pool)
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let mut choices = vec![gettext("None")];
        choices.extend(bases.iter().map(|v| v.name.clone()));
        let backing = adw::ComboRow::builder()
            .title(gettext("Backing volume"))
            .model(&gtk::StringList::new(
                &choices.iter().map(String::as_str).collect::<Vec<_>>(),
            ))
            .build();
        {
            let (format, capacity, bases) = (format.clone(), capacity.clone(), bases.clone());
            backing.connect_selected_notify(move |b| {
                let base = (b.selected() as usize).checked_sub(1).and_then(|i| bases.get(i));
                b.set_subtitle(&if base.is_some() {
                    gettext("A qcow2 overlay: it reads the backing volume and keeps only its own changes.")
                } else {
                    String::new()
                });
                format.set_sensitive(base.is_none());
                if let Some(v) = base {
                    format.set_selected(0);
                    capacity.set_text(&size(v.capacity));
                }
            });
        }
        let list = dialog::boxed_list(&[
            name.upcast_ref(),
            format.upcast_ref(),
            backing.upcast_ref(),
            capacity.upcast_ref(),
        ]);
        let input = sender.input_sender().clone();
        let p = pool.clone();
        dialog::ask(
            parent,
            &gettext_f("New Volume in {pool}", &[("pool", &pool)]),
            None,
            Some(list.upcast_ref()),
            (&gettext("Create"), Confirm::Suggested),
            move || {
                let base = (backing.selected() as usize)
                    .checked_sub(1)
                    .and_then(|i| bases.get(i));
                let fmt = if format.selected() == 0 || base.is_some() {
                    VolumeFormat::Qcow2
                } else {
                    VolumeFormat::Raw
                };
                // An empty name or an unreadable size is refused by the
                // page with one sentence; a bare name gets its format's
                // extension.
                let mut n = name.text().trim().to_owned();
                if !n.is_empty() && !n.contains('.') {
                    n = format!("{n}.{}", fmt.as_str());
                }
                input.emit(StorageInput::CreateVolume(
                    p.clone(),
                    NewVolume {
                        name: n,
                        format: fmt,
                        capacity: storage::parse_size(&capacity.text()).unwrap_or(0),
                        backing: base.map(|v| (v.path.clone(), v.format.clone())),
                    },
                ))
            },
        );
    }

    pub(super) fn ask_resize(
        &self,
        parent: &gtk::Window,
        sender: &ComponentSender<Self>,
        path: String,
    ) {
        let Some(v) = self.volume(&path).cloned() else {
            return;
        };
        let capacity = entry(&gettext("New size"), &size(v.capacity));
        let list = dialog::boxed_list(&[capacity.upcast_ref()]);
        let body = gettext_f(
            "Now {size}, of which {used} is used. A guest sees the new size after a restart or a rescan; its partitions and filesystems are left to it.",
            &[("size", &size(v.capacity)), ("used", &size(v.allocation))],
        );
        let input = sender.input_sender().clone();
        dialog::ask(
            parent,
            &gettext_f("Resize {name}", &[("name", &v.name)]),
            Some(&body),
            Some(list.upcast_ref()),
            (&gettext("Resize"), Confirm::Suggested),
            move || {
                let bytes = storage::parse_size(&capacity.text()).unwrap_or(0);
                input.emit(StorageInput::Resize(path.clone(), bytes, false))
            },
        );
    }

    pub(super) fn ask_wipe(
        &self,
        parent: &gtk::Window,
        sender: &ComponentSender<Self>,
        path: String,
    ) {
        let Some(v) = self.volume(&path).cloned() else {
            return;
        };
        let input = sender.input_sender().clone();
        dialog::ask(
            parent,
            &gettext_f("Wipe {name}?", &[("name", &v.name)]),
            Some(&gettext(
                "Its data is overwritten with zeros. This cannot be undone.",
            )),
            None,
            (&gettext("Wipe"), Confirm::Destructive),
            move || input.emit(StorageInput::Wipe(path.clone())),
        );
    }

    pub(super) fn ask_delete_volume(
        &self,
        parent: &gtk::Window,
        sender: &ComponentSender<Self>,
        path: String,
    ) {
        let Some(v) = self.volume(&path).cloned() else {
            return;
        };
        let body = if v.users.is_empty() {
            gettext("No virtual machine uses it. This cannot be undone.")
        } else {
            gettext_f(
                "It is a disk of {vms}, which will no longer find it. This cannot be undone.",
                &[("vms", &v.users.join(", "))],
            )
        };
        let input = sender.input_sender().clone();
        dialog::ask(
            parent,
            &gettext_f("Delete {name}?", &[("name", &v.name)]),
            Some(&body),
            None,
            (&gettext("Delete"), Confirm::Destructive),
            move || input.emit(StorageInput::DeleteVolume(path.clone())),
        );
    }
}
