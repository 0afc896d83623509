//! "Migrate “VM”": the destination among the other open connections, how
//! (direct, peer-to-peer, tunnelled), storage (copied into a pool chosen
//! per disk, or shared), a permanent or temporary move, and the stream's
//! address, port, bandwidth and downtime. What will not work is said
//! before Migrate can be pressed; the move then shows its progress and can
//! be cancelled, after which the VM still runs on the source.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use gettextrs::gettext;
use relm4::adw::{self, prelude::*};
use relm4::gtk;
use relm4::{Component, ComponentParts, ComponentSender};

use crate::core::libvirt::{Connection, Error, ErrorKind, Migrated, PoolDetails};
use crate::core::migrate::{self, LocalDisk, MigratePlan, Mode, Problem, Progress};
use crate::core::xml::DomainXml;
use crate::ui::a11y::AccessibleLabelExt;
use crate::ui::i18n::gettext_f;

mod words;
pub use words::{problem_text, progress_text};

const MODES: [Mode; 3] = [Mode::Direct, Mode::PeerToPeer, Mode::Tunnelled];

/// A host the VM can go to.
#[derive(Debug, Clone)]
pub struct Destination {
    pub index: usize,
    pub uri: String,
    pub conn: Connection,
}

pub struct MigrateInit {
    pub conn: Connection,
    pub uuid: String,
    pub name: String,
    pub running: bool,
    /// The other connected hosts.
    pub destinations: Vec<Destination>,
    pub parent: Option<gtk::Window>,
}

#[derive(Debug)]
pub enum MigrateInput {
    Changed,
    Destination,
    Migrate,
    Cancel,
}

#[derive(Debug)]
pub enum MigrateCmd {
    Xml(Result<String, Error>),
    Pools(u32, Result<Vec<PoolDetails>, Error>),
    Problems(u64, Result<Vec<Problem>, Error>),
    Progress(Progress),
    Done(Result<Migrated, Error>),
}

#[derive(Debug)]
pub enum MigrateOutput {
    /// The VM runs on `index` now.
    Moved {
        index: usize,
        uuid: String,
        name: String,
        downtime_ms: Option<u64>,
    },
}

pub struct MigrateDialog {
    init: MigrateInit,
    disks: Vec<LocalDisk>,
    pools: Vec<String>,
    /// The newest check asked; older answers are dropped.
    check: u64,
    running: Option<Arc<AtomicBool>>,
    host: adw::ComboRow,
    mode: adw::ComboRow,
    temporary: gtk::Switch,
    copy: gtk::Switch,
    storage: adw::PreferencesGroup,
    disk_rows: Vec<adw::ComboRow>,
    address: adw::EntryRow,
    port: adw::EntryRow,
    bandwidth: adw::EntryRow,
    downtime: adw::EntryRow,
    page: adw::PreferencesPage,
    status: gtk::Label,
    progress: gtk::ProgressBar,
    migrate: gtk::Button,
    cancel: gtk::Button,
}

/// An entry row; AT-SPI names its text by the title.
fn entry_row(title: &str) -> adw::EntryRow {
    adw::EntryRow::builder().title(title).build()
}

/// A whole number typed in `row`: `Ok(None)` when empty.
fn number(row: &adw::EntryRow) -> Result<Option<u64>, ()> {
    let text = row.text();
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
        .map(Some)
        .ok_or(())
}

impl MigrateDialog {
    fn destination(&self) -> Option<&Destination> {
        self.init.destinations.get(self.host.selected() as usize)
    }

    /// The plan as the fields say, or what is wrong with the fields.
    fn plan(&self) -> Result<MigratePlan, String> {
        let port = number(&self.port)
            .ok()
            .and_then(|p| p.map(u16::try_from).transpose().ok())
            .ok_or_else(|| gettext("The port must be a number from 1 to 65535."))?;
        let bandwidth = number(&self.bandwidth)
            .map_err(|()| gettext("The bandwidth must be a whole number of MiB/s."))?;
        let downtime = number(&self.downtime)
            .map_err(|()| gettext("The downtime must be a whole number of milliseconds."))?;
        let address = self.address.text().trim().to_owned();
        if port.is_some() && address.is_empty() {
            return Err(gettext("A port needs an address."));
        }
        let copy = self.copy.is_active();
        Ok(MigratePlan {
            mode: MODES[(self.mode.selected() as usize).min(MODES.len() - 1)],
            copy_storage: copy,
            pools: if copy {
                self.disks
                    .iter()
                    .zip(&self.disk_rows)
                    .filter_map(|(d, row)| {
                        let pool = self.pools.get(row.selected() as usize)?;
                        Some((d.target.clone(), pool.clone()))
                    })
                    .collect()
            } else {
                Vec::new()
            },
            temporary: self.temporary.is_active(),
            max_downtime_ms: downtime,
            bandwidth_mib: bandwidth,
            address: (!address.is_empty()).then_some(address),
            port,
        })
    }

    fn say(&self, text: &str, error: bool) {
        crate::ui::dialog::show_status(&self.status, text, error);
    }

    /// Check the plan against the destination (unless a move runs).
    fn recheck(&mut self, sender: &ComponentSender<Self>) {
        self.storage.set_visible(!self.disks.is_empty());
        for row in &self.disk_rows {
            row.set_sensitive(self.copy.is_active());
        }
        self.migrate.set_sensitive(false);
        if self.running.is_some() {
            return;
        }
        let Some(dest) = self.destination().cloned() else {
            self.say(
                &gettext("Connect to another host first: a virtual machine migrates between two open connections."),
                true,
            );
            return;
        };
        let plan = match self.plan() {
            Ok(plan) => plan,
            Err(e) => {
                self.say(&e, true);
                return;
            }
        };
        self.check += 1;
        let check = self.check;
        self.say(&gettext("Checking the destination…"), false);
        let (conn, uuid) = (self.init.conn.clone(), self.init.uuid.clone());
        sender.oneshot_command(async move {
            let result = conn.migration_problems(&uuid, &dest.conn, plan).await;
            MigrateCmd::Problems(check, result)
        });
    }

    fn load_pools(&self, sender: &ComponentSender<Self>) {
        let Some(dest) = self.destination().cloned() else {
            return;
        };
        let selected = self.host.selected();
        sender.oneshot_command(async move { MigrateCmd::Pools(selected, dest.conn.pools().await) });
    }

    fn show_pools(&mut self, pools: Vec<PoolDetails>, sender: &ComponentSender<Self>) {
        self.pools = pools
            .iter()
            .filter(|p| p.active)
            .map(|p| p.name.clone())
            .collect();
        let model =
            gtk::StringList::new(&self.pools.iter().map(String::as_str).collect::<Vec<_>>());
        let default = self.pools.iter().position(|p| p == "default").unwrap_or(0) as u32;
        for row in self.disk_rows.drain(..) {
            self.storage.remove(&row);
        }
        for disk in &self.disks {
            let title = gettext_f("Disk {target}", &[("target", &disk.target)]);
            let row = adw::ComboRow::builder()
                .title(&title)
                .subtitle(gettext_f(
                    "{path}, copied into a new volume in this pool",
                    &[("path", &disk.path)],
                ))
                .model(&model)
                .selected(default)
                .build();
            row.set_accessible_label(&gettext_f(
                "Destination pool for disk {target}",
                &[("target", &disk.target)],
            ));
            let input = sender.input_sender().clone();
            row.connect_selected_notify(move |_| input.emit(MigrateInput::Changed));
            self.storage.add(&row);
            self.disk_rows.push(row);
        }
        self.recheck(sender);
    }

    fn set_busy(&self, busy: bool) {
        self.page.set_sensitive(!busy);
        self.progress.set_visible(busy);
        self.migrate.set_sensitive(false);
    }
}

impl Component for MigrateDialog {
    type Init = MigrateInit;
    type Input = MigrateInput;
    type Output = MigrateOutput;
    type CommandOutput = MigrateCmd;
    type Root = adw::Window;
    type Widgets = ();

    fn init_root() -> adw::Window {
        adw::Window::builder()
            .modal(true)
            .default_width(580)
            .default_height(680)
            .build()
    }

    fn init(
        init: MigrateInit,
        root: adw::Window,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        root.set_title(Some(&gettext_f(
            "Migrate “{name}”",
            &[("name", &init.name)],
        )));
        root.set_transient_for(init.parent.as_ref());
        let frame = {
            let (cancel, go) = (sender.input_sender().clone(), sender.input_sender().clone());
            crate::ui::dialog::job_frame(
                &root,
                &gettext("Migrate"),
                &gettext("Migration progress"),
                move || cancel.emit(MigrateInput::Cancel),
                move || go.emit(MigrateInput::Migrate),
            )
        };
        let page = frame.page.clone();
        let where_to = adw::PreferencesGroup::builder()
            .title(gettext("Destination"))
            .build();
        let uris: Vec<&str> = init.destinations.iter().map(|d| d.uri.as_str()).collect();
        let host = adw::ComboRow::builder()
            .title(gettext("Host"))
            .model(&gtk::StringList::new(&uris))
            .sensitive(!uris.is_empty())
            .build();
        host.set_accessible_label(&gettext("Destination host"));
        where_to.add(&host);
        let mode_labels = [
            gettext("Direct"),
            gettext("Peer-to-peer"),
            gettext("Tunnelled"),
        ];
        let mode = adw::ComboRow::builder()
            .title(gettext("Connection"))
            .subtitle(gettext(
                "Direct: Vireo drives both hosts. Peer-to-peer: the source host reaches the destination itself. Tunnelled: through libvirt’s own connection, no extra port.",
            ))
            .model(&gtk::StringList::new(
                &mode_labels.iter().map(String::as_str).collect::<Vec<_>>(),
            ))
            .build();
        mode.set_accessible_label(&gettext("Migration connection"));
        where_to.add(&mode);
        let (temp_row, temporary) = crate::ui::dialog::switch_row(
            &gettext("Temporary Move"),
            &gettext(
                "Keep the definition on this host; the VM runs there until it stops. Off: the definition moves too.",
            ),
            false,
        );
        where_to.add(&temp_row);
        page.add(&where_to);

        let storage = adw::PreferencesGroup::builder()
            .title(gettext("Storage"))
            .build();
        let (copy_row, copy) = crate::ui::dialog::switch_row(
            &gettext("Copy Storage"),
            &gettext(
                "Copy the disks to new volumes on the destination while the VM runs. Off: the disks are on storage both hosts share.",
            ),
            true,
        );
        storage.add(&copy_row);
        storage.set_visible(false);
        page.add(&storage);

        let advanced = adw::PreferencesGroup::builder()
            .title(gettext("Migration Stream"))
            .description(gettext("Leave empty for libvirt’s defaults."))
            .build();
        let address = entry_row(&gettext("Address"));
        let port = entry_row(&gettext("Port"));
        let bandwidth = entry_row(&gettext("Bandwidth (MiB/s)"));
        let downtime = entry_row(&gettext("Maximum Downtime (ms)"));
        for row in [&address, &port, &bandwidth, &downtime] {
            advanced.add(row);
            let input = sender.input_sender().clone();
            row.connect_changed(move |_| input.emit(MigrateInput::Changed));
        }
        page.add(&advanced);

        {
            let input = sender.input_sender().clone();
            host.connect_selected_notify(move |_| input.emit(MigrateInput::Destination));
            let input = sender.input_sender().clone();
            mode.connect_selected_notify(move |_| input.emit(MigrateInput::Changed));
            for switch in [&temporary, &copy] {
                let input = sender.input_sender().clone();
                switch.connect_active_notify(move |_| input.emit(MigrateInput::Changed));
            }
        }
        let (conn, uuid) = (init.conn.clone(), init.uuid.clone());
        sender.oneshot_command(async move { MigrateCmd::Xml(conn.migratable_xml(&uuid).await) });
        root.present();
        ComponentParts {
            model: MigrateDialog {
                init,
                disks: Vec::new(),
                pools: Vec::new(),
                check: 0,
                running: None,
                host,
                mode,
                temporary,
                copy,
                storage,
                disk_rows: Vec::new(),
                address,
                port,
                bandwidth,
                downtime,
                page,
                status: frame.status,
                progress: frame.progress,
                migrate: frame.action,
                cancel: frame.cancel,
            },
            widgets: (),
        }
    }

    fn update(&mut self, msg: MigrateInput, sender: ComponentSender<Self>, root: &adw::Window) {
        match msg {
            MigrateInput::Changed => self.recheck(&sender),
            MigrateInput::Destination => self.load_pools(&sender),
            MigrateInput::Cancel => match &self.running {
                Some(flag) => {
                    flag.store(true, Ordering::Relaxed);
                    self.cancel.set_sensitive(false);
                    self.say(&gettext("Cancelling…"), false);
                }
                None => root.destroy(),
            },
            MigrateInput::Migrate => {
                let (Some(dest), Ok(plan)) = (self.destination().cloned(), self.plan()) else {
                    return;
                };
                let cancel = Arc::new(AtomicBool::new(false));
                self.running = Some(cancel.clone());
                self.set_busy(true);
                self.progress.set_fraction(0.0);
                self.say(
                    &gettext_f("Migrating to {host}…", &[("host", &dest.uri)]),
                    false,
                );
                let (conn, uuid) = (self.init.conn.clone(), self.init.uuid.clone());
                sender.command(move |out, shutdown| {
                    shutdown
                        .register(async move {
                            let (tx, steps) =
                                crate::ui::msg::forward_progress(&out, MigrateCmd::Progress);
                            let job =
                                conn.migrate(&uuid, &dest.conn, plan, Vec::new(), Some(tx), cancel);
                            let (result, ()) = tokio::join!(job, steps);
                            let _ = out.send(MigrateCmd::Done(result));
                        })
                        .drop_on_shutdown()
                });
            }
        }
    }

    fn update_cmd(&mut self, msg: MigrateCmd, sender: ComponentSender<Self>, root: &adw::Window) {
        match msg {
            MigrateCmd::Xml(Ok(xml)) => {
                self.disks = DomainXml::parse(&xml)
                    .map(|x| migrate::local_disks(&x))
                    .unwrap_or_default();
                if self.init.destinations.is_empty() {
                    self.recheck(&sender);
                } else {
                    self.load_pools(&sender);
                }
            }
            MigrateCmd::Xml(Err(e)) => self.say(&e.to_string(), true),
            MigrateCmd::Pools(selected, result) if selected == self.host.selected() => {
                match result {
                    Ok(pools) => self.show_pools(pools, &sender),
                    // A host without storage pools: copying has nowhere to go.
                    Err(_) => self.show_pools(Vec::new(), &sender),
                }
            }
            MigrateCmd::Pools(..) => {}
            MigrateCmd::Problems(check, _) if check != self.check || self.running.is_some() => {}
            MigrateCmd::Problems(_, Ok(problems)) => {
                let text: Vec<String> = problems.iter().map(problem_text).collect();
                if text.is_empty() {
                    let how = if self.init.running {
                        gettext("Ready: the virtual machine keeps running while it moves.")
                    } else if self.copy.is_active() && !self.disks.is_empty() {
                        gettext(
                            "Ready: the shut-off virtual machine’s disks are copied, then its definition moves.",
                        )
                    } else {
                        gettext("Ready: the shut-off virtual machine’s definition moves.")
                    };
                    self.say(&how, false);
                } else {
                    self.say(&text.join("\n"), true);
                }
                self.migrate.set_sensitive(problems.is_empty());
            }
            MigrateCmd::Problems(_, Err(e)) => self.say(&e.to_string(), true),
            MigrateCmd::Progress(p) => {
                if self
                    .running
                    .as_ref()
                    .is_some_and(|c| c.load(Ordering::Relaxed))
                {
                    return;
                }
                self.progress.set_fraction(p.fraction());
                self.say(&progress_text(&p), false);
            }
            MigrateCmd::Done(Ok(moved)) => {
                self.running = None;
                let index = self.destination().map(|d| d.index).unwrap_or_default();
                let _ = sender.output(MigrateOutput::Moved {
                    index,
                    uuid: moved.summary.uuid,
                    name: moved.summary.name,
                    downtime_ms: moved.downtime_ms,
                });
                root.destroy();
            }
            MigrateCmd::Done(Err(e)) => {
                self.running = None;
                self.set_busy(false);
                self.cancel.set_sensitive(true);
                if e.kind == ErrorKind::Cancelled {
                    self.say(
                        &gettext("Cancelled: the virtual machine is still on this host."),
                        false,
                    );
                    self.migrate.set_sensitive(true);
                } else {
                    self.say(
                        &gettext_f(
                            "The migration failed; the virtual machine is still on this host: {error}",
                            &[("error", &e.to_string())],
                        ),
                        true,
                    );
                    self.migrate.set_sensitive(true);
                }
            }
        }
    }
}
