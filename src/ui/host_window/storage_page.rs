//! The host window's Storage page: each pool as a group (type, folder,
//! space, state, autostart) with its volumes (format, size, the VMs using
//! them); pools are added, started, stopped, refreshed and deleted, volumes
//! created, resized, wiped, deleted, and files uploaded into them or
//! downloaded from them through libvirt (remote hosts too) with a progress
//! bar and Cancel. Every change is one core request run as a command.

mod dialogs;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use gettextrs::gettext;
use relm4::adw::{self, prelude::*};
use relm4::gtk::{self, gio, glib};
use relm4::{Component, ComponentParts, ComponentSender};

use crate::core::libvirt::{
    Connection, Direction, Error, PoolAction, PoolDetails, Transfer, VolumeInfo,
};
use crate::core::storage::{self, NewPool, NewVolume};
use crate::ui::a11y::AccessibleLabelExt;
use crate::ui::dialog::{self, Confirm};
use crate::ui::i18n::{gettext_f, ngettext_f};

fn size(bytes: u64) -> String {
    glib::format_size_full(bytes, glib::FormatSizeFlags::IEC_UNITS).to_string()
}

#[derive(Debug)]
pub enum StorageInput {
    Pool(String, PoolAction),
    AskDeletePool(String),
    AskNewPool,
    /// Search for pool sources of a type (on a server).
    FindSources(&'static str, Option<String>),
    CreatePool(NewPool),
    AskNewVolume(String),
    CreateVolume(String, NewVolume),
    AskResize(String),
    Resize(String, u64, bool),
    AskWipe(String),
    Wipe(String),
    AskDeleteVolume(String),
    DeleteVolume(String),
    AskUpload(String),
    AskDownload(String),
    /// Move a file's bytes into a volume or out of it (volume path, file).
    Stream(Direction, String, String),
    CancelTransfer,
}

#[derive(Debug)]
pub enum StorageCmd {
    Loaded(Result<Vec<(PoolDetails, Vec<VolumeInfo>)>, Error>),
    /// A change ended: what to say.
    Done(Result<String, Error>),
    Progress(Transfer),
    Found(Result<Vec<storage::FoundSource>, Error>),
}

/// The New Pool dialog's search: its row (saying how it went), the list
/// of what was found, and the sources behind it.
pub(super) struct Finder {
    row: adw::ActionRow,
    combo: adw::ComboRow,
    sources: std::rc::Rc<std::cell::RefCell<Vec<storage::FoundSource>>>,
}

pub struct StoragePage {
    conn: Connection,
    pools: Vec<(PoolDetails, Vec<VolumeInfo>)>,
    groups: Vec<adw::PreferencesGroup>,
    status: gtk::Label,
    progress: gtk::ProgressBar,
    cancel_button: gtk::Button,
    transfer: Option<Arc<AtomicBool>>,
    /// When the transfer started, for its rate.
    started: std::time::Instant,
    /// The open New Pool dialog's search.
    finder: Option<Finder>,
}

impl StoragePage {
    fn load(&self, sender: &ComponentSender<Self>) {
        let conn = self.conn.clone();
        sender.oneshot_command(async move {
            let result = async {
                let mut out = Vec::new();
                for pool in conn.pools().await? {
                    let vols = if pool.active {
                        conn.volumes(&pool.name).await.unwrap_or_default()
                    } else {
                        Vec::new()
                    };
                    out.push((pool, vols));
                }
                Ok(out)
            }
            .await;
            StorageCmd::Loaded(result)
        });
    }

    fn say(&self, text: &str, error: bool) {
        crate::ui::dialog::show_status(&self.status, text, error);
    }

    fn volume(&self, path: &str) -> Option<&VolumeInfo> {
        self.pools
            .iter()
            .flat_map(|(_, v)| v)
            .find(|v| v.path == path)
    }

    fn run(
        &self,
        sender: &ComponentSender<Self>,
        work: impl std::future::Future<Output = Result<String, Error>> + Send + 'static,
    ) {
        sender.oneshot_command(async move { StorageCmd::Done(work.await) });
    }

    fn show(&mut self, root: &adw::PreferencesPage) {
        for g in self.groups.drain(..) {
            root.remove(&g);
        }
        for (pool, vols) in &self.pools {
            let mut facts = vec![pool.kind.clone()];
            facts.extend(pool.path.clone());
            if pool.active {
                facts.push(gettext_f(
                    "{used} allocated, {free} free of {total}",
                    &[
                        ("used", &size(pool.allocation)),
                        ("free", &size(pool.available)),
                        ("total", &size(pool.capacity)),
                    ],
                ));
            }
            facts.push(if pool.active {
                gettext("Active")
            } else {
                gettext("Inactive")
            });
            if pool.autostart {
                facts.push(gettext("Starts with the host"));
            }
            let group = adw::PreferencesGroup::builder()
                .title(glib::markup_escape_text(&pool.name).as_str())
                .description(glib::markup_escape_text(&facts.join(" · ")).as_str())
                .build();
            group.set_header_suffix(Some(&pool_menu(pool)));
            if pool.active && vols.is_empty() {
                group.add(
                    &adw::ActionRow::builder()
                        .title(gettext("No volumes"))
                        .build(),
                );
            }
            for v in vols {
                let mut line = vec![
                    v.format.clone(),
                    gettext_f(
                        "{used} of {size}",
                        &[("used", &size(v.allocation)), ("size", &size(v.capacity))],
                    ),
                ];
                line.push(if v.users.is_empty() {
                    gettext("Not used by any VM")
                } else {
                    gettext_f("Used by {vms}", &[("vms", &v.users.join(", "))])
                });
                let row = adw::ActionRow::builder()
                    .title(glib::markup_escape_text(&v.name).as_str())
                    .subtitle(glib::markup_escape_text(&line.join(" · ")).as_str())
                    .build();
                row.add_suffix(&volume_menu(v));
                group.add(&row);
            }
            root.add(&group);
            self.groups.push(group);
        }
    }

    fn transfer_started(&mut self, what: String) -> Arc<AtomicBool> {
        let cancel = Arc::new(AtomicBool::new(false));
        self.transfer = Some(cancel.clone());
        self.started = std::time::Instant::now();
        self.progress.set_fraction(0.0);
        self.progress.set_visible(true);
        self.cancel_button.set_visible(true);
        self.say(&what, false);
        cancel
    }
}

fn item(menu: &gio::Menu, label: &str, action: &str, target: &str) {
    super::menu_item(menu, label, &format!("storage.{action}"), target);
}

fn pool_menu(pool: &PoolDetails) -> gtk::MenuButton {
    let menu = gio::Menu::new();
    let n = &pool.name;
    if pool.active {
        item(&menu, &gettext("New Volume…"), "new-volume", n);
        item(&menu, &gettext("Refresh"), "pool-refresh", n);
        item(&menu, &gettext("Stop"), "pool-stop", n);
    } else {
        item(&menu, &gettext("Start"), "pool-start", n);
    }
    if pool.autostart {
        item(
            &menu,
            &gettext("Do Not Start with the Host"),
            "pool-autostart-off",
            n,
        );
    } else {
        item(
            &menu,
            &gettext("Start with the Host"),
            "pool-autostart-on",
            n,
        );
    }
    item(&menu, &gettext("Delete Pool…"), "pool-delete", n);
    super::menu_button(&gettext_f("Actions for pool {name}", &[("name", n)]), &menu)
}

fn volume_menu(v: &VolumeInfo) -> gtk::MenuButton {
    let menu = gio::Menu::new();
    let p = &v.path;
    item(&menu, &gettext("Resize…"), "volume-resize", p);
    item(&menu, &gettext("Upload a File…"), "volume-upload", p);
    item(&menu, &gettext("Download to a File…"), "volume-download", p);
    item(&menu, &gettext("Wipe…"), "volume-wipe", p);
    item(&menu, &gettext("Delete…"), "volume-delete", p);
    super::menu_button(
        &gettext_f("Actions for volume {name}", &[("name", &v.name)]),
        &menu,
    )
}

/// The sentence for a pool that cannot be created as typed.
fn pool_problem_text(p: &storage::PoolProblem) -> String {
    use storage::PoolProblem::*;
    match p {
        EmptyName => gettext("The pool needs a name."),
        NameWithSlash => gettext("A pool’s name cannot contain “/”."),
        NameTaken(n) => gettext_f("There is already a pool named “{name}”.", &[("name", n)]),
        Missing(field) => {
            let what = match *field {
                "path" => gettext("a folder"),
                "device" => gettext("a device"),
                "host" => gettext("a server"),
                "dir" => gettext("an exported folder"),
                "group" => gettext("a volume group"),
                _ => gettext("a target IQN"),
            };
            gettext_f("The pool needs {what}.", &[("what", &what)])
        }
        RelativePath(p) => gettext_f("“{path}” is not an absolute path.", &[("path", p)]),
    }
}

use super::entry;

impl Component for StoragePage {
    type Init = Connection;
    type Input = StorageInput;
    type Output = ();
    type CommandOutput = StorageCmd;
    type Root = adw::PreferencesPage;
    type Widgets = ();

    fn init_root() -> adw::PreferencesPage {
        adw::PreferencesPage::builder()
            .title(gettext("Storage"))
            .icon_name("drive-harddisk-symbolic")
            .name("storage")
            .build()
    }

    fn init(
        conn: Connection,
        root: adw::PreferencesPage,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let top = adw::PreferencesGroup::new();
        let add = gtk::Button::with_label(&gettext("New Pool…"));
        add.add_css_class("suggested-action");
        {
            let input = sender.input_sender().clone();
            add.connect_clicked(move |_| input.emit(StorageInput::AskNewPool));
        }
        let status = gtk::Label::builder()
            .wrap(true)
            .xalign(0.0)
            .hexpand(true)
            .visible(false)
            .build();
        let bar = gtk::Box::new(gtk::Orientation::Horizontal, 12);
        bar.append(&status);
        bar.append(&add);
        let progress = gtk::ProgressBar::builder()
            .visible(false)
            .show_text(true)
            .build();
        progress.set_accessible_label(&gettext("Transfer progress"));
        let cancel_button = gtk::Button::builder()
            .label(gettext("Cancel"))
            .visible(false)
            .halign(gtk::Align::End)
            .build();
        {
            let input = sender.input_sender().clone();
            cancel_button.connect_clicked(move |_| input.emit(StorageInput::CancelTransfer));
        }
        let column = gtk::Box::new(gtk::Orientation::Vertical, 6);
        column.append(&bar);
        column.append(&progress);
        column.append(&cancel_button);
        top.add(&column);
        root.add(&top);

        let actions = gio::SimpleActionGroup::new();
        let string_action = |name: &str, msg: fn(String) -> StorageInput| {
            let input = sender.input_sender().clone();
            super::string_action(&actions, name, move |t| input.emit(msg(t)));
        };
        string_action("pool-start", |n| StorageInput::Pool(n, PoolAction::Start));
        string_action("pool-stop", |n| StorageInput::Pool(n, PoolAction::Stop));
        string_action("pool-refresh", |n| {
            StorageInput::Pool(n, PoolAction::Refresh)
        });
        string_action("pool-autostart-on", |n| {
            StorageInput::Pool(n, PoolAction::Autostart(true))
        });
        string_action("pool-autostart-off", |n| {
            StorageInput::Pool(n, PoolAction::Autostart(false))
        });
        string_action("pool-delete", StorageInput::AskDeletePool);
        string_action("new-volume", StorageInput::AskNewVolume);
        string_action("volume-resize", StorageInput::AskResize);
        string_action("volume-upload", StorageInput::AskUpload);
        string_action("volume-download", StorageInput::AskDownload);
        string_action("volume-wipe", StorageInput::AskWipe);
        string_action("volume-delete", StorageInput::AskDeleteVolume);
        root.insert_action_group("storage", Some(&actions));

        let model = StoragePage {
            conn,
            pools: Vec::new(),
            groups: Vec::new(),
            status,
            progress,
            cancel_button,
            transfer: None,
            started: std::time::Instant::now(),
            finder: None,
        };
        model.load(&sender);
        ComponentParts { model, widgets: () }
    }

    fn update(
        &mut self,
        msg: StorageInput,
        sender: ComponentSender<Self>,
        root: &adw::PreferencesPage,
    ) {
        let Some(parent) = root.root().and_downcast::<gtk::Window>() else {
            return;
        };
        let conn = self.conn.clone();
        match msg {
            StorageInput::Pool(name, action) => self.run(&sender, async move {
                conn.pool_action(&name, action).await?;
                Ok(match action {
                    PoolAction::Start => gettext_f("Started pool {name}.", &[("name", &name)]),
                    PoolAction::Stop => gettext_f("Stopped pool {name}.", &[("name", &name)]),
                    PoolAction::Refresh => gettext_f("Refreshed pool {name}.", &[("name", &name)]),
                    PoolAction::Autostart(true) => {
                        gettext_f("Pool {name} starts with the host.", &[("name", &name)])
                    }
                    PoolAction::Autostart(false) => gettext_f(
                        "Pool {name} no longer starts with the host.",
                        &[("name", &name)],
                    ),
                    PoolAction::Delete { .. } => {
                        gettext_f("Deleted pool {name}.", &[("name", &name)])
                    }
                })
            }),
            StorageInput::AskDeletePool(name) => self.ask_delete_pool(&parent, &sender, name),
            StorageInput::AskNewPool => self.ask_new_pool(&parent, &sender),
            StorageInput::FindSources(kind, host) => {
                if let Some(f) = &self.finder {
                    if kind != "logical" && host.is_none() {
                        f.row
                            .set_subtitle(&gettext("Type the server’s name first."));
                        return;
                    }
                    f.row.set_subtitle(&gettext("Searching…"));
                }
                sender.oneshot_command(async move {
                    StorageCmd::Found(conn.find_pool_sources(kind, host.as_deref()).await)
                });
            }
            StorageInput::CreatePool(pool) => {
                let names: Vec<String> = self.pools.iter().map(|(p, _)| p.name.clone()).collect();
                if let Some(problem) = storage::check_pool(&pool, &names).first() {
                    self.say(&pool_problem_text(problem), true);
                    return;
                }
                self.run(&sender, async move {
                    let name = pool.name.clone();
                    conn.create_pool(pool).await?;
                    Ok(gettext_f("Created pool {name}.", &[("name", &name)]))
                })
            }
            StorageInput::AskNewVolume(pool) => self.ask_new_volume(&parent, &sender, pool),
            StorageInput::CreateVolume(pool, v) => {
                if v.capacity == 0 || v.name.is_empty() {
                    self.say(
                        &gettext("A volume needs a name and a size such as “20 GiB”."),
                        true,
                    );
                    return;
                }
                self.run(&sender, async move {
                    let name = v.name.clone();
                    conn.create_volume(&pool, v).await?;
                    Ok(gettext_f("Created volume {name}.", &[("name", &name)]))
                })
            }
            StorageInput::AskResize(path) => self.ask_resize(&parent, &sender, path),
            StorageInput::Resize(path, bytes, shrink) => {
                let Some(v) = self.volume(&path).cloned() else {
                    return;
                };
                match storage::check_resize(v.capacity, v.allocation, bytes) {
                    _ if bytes == 0 => self.say(&gettext("Type a size such as “40 GiB”."), true),
                    Err(storage::ResizeProblem::Unchanged) => {
                        self.say(&gettext("That is its size already."), false)
                    }
                    Err(storage::ResizeProblem::BelowAllocation { allocation }) => self.say(
                        &gettext_f(
                            "{name} already holds {used}: it cannot be made smaller than that.",
                            &[("name", &v.name), ("used", &size(allocation))],
                        ),
                        true,
                    ),
                    Ok(true) if !shrink => {
                        let input = sender.input_sender().clone();
                        dialog::ask(
                            &parent,
                            &gettext_f("Shrink {name}?", &[("name", &v.name)]),
                            Some(&gettext(
                                "Whatever the guest kept past the new end is lost.",
                            )),
                            None,
                            (&gettext("Shrink"), Confirm::Destructive),
                            move || input.emit(StorageInput::Resize(path.clone(), bytes, true)),
                        );
                    }
                    Ok(_) => self.run(&sender, async move {
                        conn.resize_volume(&path, bytes, shrink).await?;
                        Ok(gettext_f(
                            "Resized {name} to {size}.",
                            &[("name", &v.name), ("size", &size(bytes))],
                        ))
                    }),
                }
            }
            StorageInput::AskWipe(path) => self.ask_wipe(&parent, &sender, path),
            StorageInput::Wipe(path) => {
                self.say(&gettext("Wiping…"), false);
                self.run(&sender, async move {
                    conn.wipe_volume(&path).await?;
                    Ok(gettext("Wiped."))
                })
            }
            StorageInput::AskDeleteVolume(path) => self.ask_delete_volume(&parent, &sender, path),
            StorageInput::DeleteVolume(path) => self.run(&sender, async move {
                conn.delete_volume(&path).await?;
                Ok(gettext_f("Deleted {path}.", &[("path", &path)]))
            }),
            StorageInput::AskUpload(path) => {
                let input = sender.input_sender().clone();
                let opened =
                    dialog::choose_file(&parent, &gettext("Upload a File"), false, move |file| {
                        input.emit(StorageInput::Stream(Direction::Upload, path.clone(), file))
                    });
                if let Err(e) = opened {
                    self.say(&e, true);
                }
            }
            StorageInput::AskDownload(path) => {
                let Some(v) = self.volume(&path).cloned() else {
                    return;
                };
                let input = sender.input_sender().clone();
                let opened = dialog::choose_save_file(
                    &parent,
                    &gettext("Download to a File"),
                    &v.name,
                    move |file| {
                        input.emit(StorageInput::Stream(
                            Direction::Download,
                            path.clone(),
                            file,
                        ))
                    },
                );
                if let Err(e) = opened {
                    self.say(&e, true);
                }
            }
            StorageInput::Stream(direction, path, file) => {
                if self.transfer.is_some() {
                    return;
                }
                let what = match direction {
                    Direction::Upload => gettext_f("Uploading {file}…", &[("file", &file)]),
                    Direction::Download => {
                        gettext_f("Downloading into {file}…", &[("file", &file)])
                    }
                };
                let cancel = self.transfer_started(what);
                let file_path = std::path::PathBuf::from(&file);
                sender.command(move |out, shutdown| {
                    shutdown
                        .register(async move {
                            let (tx, steps) =
                                crate::ui::msg::forward_progress(&out, StorageCmd::Progress);
                            let moved =
                                conn.transfer_volume(direction, &path, file_path, Some(tx), cancel);
                            let (r, ()) = tokio::join!(moved, steps);
                            let _ = out.send(StorageCmd::Done(r.map(|n| {
                                let n = size(n);
                                match direction {
                                    Direction::Upload => gettext_f(
                                        "Uploaded {size} into {path}.",
                                        &[("size", &n), ("path", &path)],
                                    ),
                                    Direction::Download => gettext_f(
                                        "Downloaded {size} into {file}.",
                                        &[("size", &n), ("file", &file)],
                                    ),
                                }
                            })));
                        })
                        .drop_on_shutdown()
                });
            }
            StorageInput::CancelTransfer => {
                if let Some(c) = &self.transfer {
                    c.store(true, Ordering::Relaxed);
                    self.say(&gettext("Cancelling…"), false);
                }
            }
        }
    }

    fn update_cmd(
        &mut self,
        msg: StorageCmd,
        sender: ComponentSender<Self>,
        root: &adw::PreferencesPage,
    ) {
        match msg {
            StorageCmd::Loaded(Ok(pools)) => {
                self.pools = pools;
                self.show(root);
            }
            StorageCmd::Loaded(Err(e)) => self.say(&e.to_string(), true),
            StorageCmd::Found(result) => {
                let Some(f) = &self.finder else { return };
                match result {
                    Ok(list) if list.is_empty() => f.row.set_subtitle(&gettext("Nothing found.")),
                    Ok(list) => {
                        f.row.set_subtitle(&ngettext_f(
                            "Found {count}: choose below.",
                            "Found {count}: choose below.",
                            list.len() as u32,
                            &[("count", &list.len().to_string())],
                        ));
                        let labels: Vec<String> = list.iter().map(|s| s.label()).collect();
                        f.sources.replace(list);
                        f.combo.set_model(Some(&gtk::StringList::new(
                            &labels.iter().map(String::as_str).collect::<Vec<_>>(),
                        )));
                        f.combo.set_visible(true);
                        // The first is chosen: its fields are filled.
                        f.combo.notify("selected");
                    }
                    Err(e) => f
                        .row
                        .set_subtitle(&glib::markup_escape_text(&e.to_string())),
                }
            }
            StorageCmd::Progress(t) => {
                let f = t.done as f64 / t.total.max(1) as f64;
                self.progress.set_fraction(f.min(1.0));
                let secs = self.started.elapsed().as_secs_f64();
                let rate = (secs > 0.5).then(|| (t.done as f64 / secs) as u64);
                let text = match rate.filter(|r| *r > 0) {
                    Some(r) => gettext_f(
                        "{done} of {total} · {rate}/s · {left} left",
                        &[
                            ("done", &size(t.done)),
                            ("total", &size(t.total)),
                            ("rate", &size(r)),
                            (
                                "left",
                                &super::time_left(t.total.saturating_sub(t.done) / r),
                            ),
                        ],
                    ),
                    None => gettext_f(
                        "{done} of {total}",
                        &[("done", &size(t.done)), ("total", &size(t.total))],
                    ),
                };
                self.progress.set_text(Some(&text));
            }
            StorageCmd::Done(result) => {
                self.transfer = None;
                self.progress.set_visible(false);
                self.cancel_button.set_visible(false);
                match result {
                    Ok(text) => self.say(&text, false),
                    Err(e) if e.kind == crate::core::libvirt::ErrorKind::Cancelled => {
                        self.say(&gettext("Cancelled."), false)
                    }
                    Err(e) => self.say(&e.to_string(), true),
                }
                self.load(&sender);
            }
        }
    }
}
