//! The Storage page's dialogs: New Pool (only the fields the chosen type
//! needs), Delete Pool (with or without its files), New Volume, Resize,
//! Wipe, Delete Volume (saying which VMs use it).

use gettextrs::gettext;
use relm4::ComponentSender;
use relm4::adw::{self, prelude::*};
use relm4::gtk;

use super::{StorageInput, StoragePage, entry, size};
use crate::core::libvirt::PoolAction;
use crate::core::storage::{self, NewPool, NewVolume, PoolKind, VolumeFormat};
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

    pub(super) fn ask_new_pool(&self, parent: &gtk::Window, sender: &ComponentSender<Self>) {
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
        let list = dialog::boxed_list(&[
            name.upcast_ref(),
            kind.upcast_ref(),
            path.upcast_ref(),
            device.upcast_ref(),
            host.upcast_ref(),
            source.upcast_ref(),
            group.upcast_ref(),
            target.upcast_ref(),
        ]);
        // Only the fields the chosen type needs.
        let show = {
            let (path, device, host, source, group, target) = (
                path.clone(),
                device.clone(),
                host.clone(),
                source.clone(),
                group.clone(),
                target.clone(),
            );
            move |k: u32| {
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
        let list = dialog::boxed_list(&[
            name.upcast_ref(),
            format.upcast_ref(),
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
                let fmt = if format.selected() == 0 {
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
                        backing: None,
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
