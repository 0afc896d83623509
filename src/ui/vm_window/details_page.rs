//! The Details page of a VM window as a component: it reads the VM's XML
//! (live and saved, to list what waits for the next boot), shows it with
//! [`details_view`](super::details_view), and runs what the page and the
//! header's hardware and media actions ask: edits, processors and memory,
//! Add Hardware, Add and Remove Disk, media. Each change is one core
//! request; its outcome comes back as one toast (or one question, when the
//! running guest refuses a device or keeps its tray locked).
//!
//! Length: one request and one outcome (a toast, or a question) for each of
//! the page's fifteen actions; the dialogs themselves are in
//! `hardware_dialogs`, the widgets in `details_view`.

use gettextrs::gettext;
use relm4::adw::prelude::*;
use relm4::gtk::{self, gio};
use relm4::{Component, ComponentParts, ComponentSender};

use super::hardware_dialogs as dialogs;
use super::{details_view, guest_view};
use crate::core::edit::Edit;
use crate::core::guest;
use crate::core::hardware::{self, NewDevice, NewDisk, Scope};
use crate::core::libvirt::{
    Applied, Connection, Detached, DiskRemoved, DomainState, Error, ErrorKind, GuestReport,
    UsbDevice,
};
use crate::core::xml::DomainXml;
use crate::ui::dialog;
use crate::ui::i18n::gettext_f;
use crate::ui::main_window::vm_list;

pub struct DetailsPageInit {
    pub conn: Connection,
    pub uuid: String,
    pub name: String,
    pub settings: gio::Settings,
}

#[derive(Debug)]
pub enum DetailsInput {
    /// The VM's state, as the shell last read it.
    State(DomainState),
    Renamed(String),
    /// Read the XML again.
    Refresh,
    /// The guest agent connected or left: ask the guest again.
    GuestChanged,
    EditVcpus,
    EditMemory,
    SetVcpus(u32),
    /// New memory in MiB.
    SetMemory(u64),
    /// A setting changed on the page.
    Edit(Edit),
    Autostart(bool),
    /// Add Hardware: read the host's networks and USB devices, then ask.
    AddHardware,
    AttachDevice(NewDevice, Scope),
    /// Remove device `element:index`.
    RemoveDevice(String),
    /// Add Disk: read the host's pools, then ask.
    AddDisk,
    AttachDisk(NewDisk, Scope),
    /// Remove Disk `target`: ask, then remove it (and its image).
    RemoveDisk(String),
    DetachDisk {
        target: String,
        delete: bool,
    },
    /// Choose an ISO for drive `target`.
    BrowseMedia(String),
    /// Insert `iso` into drive `target` (`None`: eject).
    Media {
        target: String,
        iso: Option<String>,
        force: bool,
    },
}

#[derive(Debug)]
pub enum DetailsOutput {
    Toast(String),
    /// The first removable drive and whether it holds a medium, for the
    /// header's media menu (`None`: no removable drive).
    Drive(Option<(String, bool)>),
    /// Whether the VM starts with the host.
    Autostart(bool),
    /// The VM was renamed: the shell reads its state again.
    Renamed,
}

#[derive(Debug)]
pub enum DetailsCmd {
    /// What the running guest says (the round it answers).
    Guest(u64, Result<GuestReport, Error>),
    /// Time to ask a guest without an address again (its round).
    GuestDue(u64),
    /// Live XML, the saved one, whether it starts with the host.
    Xml(Result<(String, Option<String>, Option<bool>), Error>),
    AutostartSet(Result<bool, Error>),
    Applied(Result<Applied, Error>),
    Edited(Edit, Result<Applied, Error>),
    HardwareChoices(Result<(Vec<String>, Vec<UsbDevice>), Error>),
    DeviceAttached {
        device: NewDevice,
        scope: Scope,
        result: Result<(), Error>,
    },
    DeviceDetached(Result<Detached, Error>),
    PoolsForDisk(Result<crate::core::wizard::HostFacts, Error>),
    DiskAdded {
        disk: NewDisk,
        scope: Scope,
        result: Result<String, Error>,
    },
    DiskRemoved {
        target: String,
        result: Result<DiskRemoved, Error>,
    },
    MediaChanged {
        target: String,
        iso: Option<String>,
        result: Result<(), Error>,
    },
}

pub struct DetailsPage {
    conn: Connection,
    uuid: String,
    name: String,
    state: Option<DomainState>,
    settings: gio::Settings,
    /// The running (or defined) configuration last read.
    xml: Option<DomainXml>,
    /// The live and saved XML last shown, to show again with a new report.
    shown_xml: Option<(String, Option<String>)>,
    /// What the running guest said last (`Err`: why it could not be asked).
    guest: Option<Result<GuestReport, String>>,
    /// Bumped by each question to the guest; older answers are dropped.
    guest_round: u64,
}

impl DetailsPage {
    fn running(&self) -> bool {
        self.state.is_some_and(|s| s.is_active())
    }

    /// Where a device change goes: the running guest and its definition,
    /// or only the definition when it is shut off.
    fn scope(&self) -> Scope {
        if self.running() {
            Scope::BOTH
        } else {
            Scope::NEXT_BOOT
        }
    }

    fn toast(sender: &ComponentSender<Self>, text: String) {
        let _ = sender.output(DetailsOutput::Toast(text));
    }

    fn load(&mut self, sender: &ComponentSender<Self>) {
        let (conn, uuid) = (self.conn.clone(), self.uuid.clone());
        sender.oneshot_command(async move {
            let live = conn.domain_xml(&uuid, false).await;
            // The saved definition, to show what waits for the next boot.
            let saved = conn.domain_xml(&uuid, true).await.ok();
            let autostart = conn.autostart(&uuid, None).await.ok();
            DetailsCmd::Xml(live.map(|l| (l, saved, autostart)))
        });
        self.ask_guest(sender);
    }

    /// Ask the running guest what it says about itself.
    fn ask_guest(&mut self, sender: &ComponentSender<Self>) {
        self.guest_round += 1;
        if !self.running() {
            self.guest = None;
            return;
        }
        let (conn, uuid, round) = (self.conn.clone(), self.uuid.clone(), self.guest_round);
        sender.oneshot_command(
            async move { DetailsCmd::Guest(round, conn.guest_report(&uuid).await) },
        );
    }

    fn show(
        &mut self,
        root: &gtk::ScrolledWindow,
        xml: &str,
        saved: Option<&str>,
        sender: &ComponentSender<Self>,
    ) {
        self.xml = DomainXml::parse(xml).ok();
        let running = self.running();
        let pending = match (&self.xml, saved.map(DomainXml::parse)) {
            (Some(live), Some(Ok(saved))) if running => hardware::pending_changes(live, &saved),
            _ => Vec::new(),
        };
        let input = sender.input_sender().clone();
        let cx = details_view::Context {
            running,
            state: self.state.map(vm_list::state_label),
            on_edit: std::rc::Rc::new(move |e| input.emit(DetailsInput::Edit(e))),
            guest: self.guest.as_ref().filter(|_| running).map(|report| {
                let input = sender.input_sender().clone();
                guest_view::group(report, move || {
                    input.emit(DetailsInput::AttachDevice(
                        NewDevice::GuestAgent,
                        Scope::BOTH,
                    ))
                })
            }),
        };
        self.shown_xml = Some((xml.to_owned(), saved.map(str::to_owned)));
        // The page shown (a device's) stays shown when it still exists.
        let shown = root
            .child()
            .and_then(|c| c.downcast::<gtk::Viewport>().ok())
            .and_then(|v| v.child())
            .or_else(|| root.child())
            .and_then(|c| c.downcast::<gtk::Stack>().ok())
            .and_then(|s| s.visible_child_name());
        let stack = details_view::page(xml, &pending, &cx);
        if let Some(name) = shown.filter(|n| stack.child_by_name(n).is_some()) {
            stack.set_transition_type(gtk::StackTransitionType::None);
            stack.set_visible_child_name(&name);
            stack.set_transition_type(gtk::StackTransitionType::SlideLeftRight);
        }
        root.set_child(Some(&stack));
        let drive = self
            .xml
            .as_ref()
            .and_then(|vm| hardware::removable_drives(vm).into_iter().next())
            .map(|(target, media)| (target, media.is_some()));
        let _ = sender.output(DetailsOutput::Drive(drive));
    }

    /// Ask before removing device `which` (`element:index`), then remove it.
    fn remove_device(&self, which: &str, parent: &gtk::Window, sender: &ComponentSender<Self>) {
        let Some(vm) = &self.xml else { return };
        let Some((element, index)) = which
            .split_once(':')
            .and_then(|(e, i)| Some((e.to_owned(), i.parse::<usize>().ok()?)))
        else {
            return;
        };
        let Some(kind) = crate::core::xml::DeviceKind::ALL
            .into_iter()
            .find(|k| k.element() == element)
        else {
            return;
        };
        let Some(xml) = vm.devices(kind).get(index).map(|d| d.to_xml_string()) else {
            return;
        };
        let scope = self.scope();
        let (conn, uuid) = (self.conn.clone(), self.uuid.clone());
        let (heading, body) = (
            gettext("Remove Device?"),
            gettext("The device is removed from the virtual machine."),
        );
        let (cancel, remove) = (gettext("Cancel"), gettext("Remove"));
        let sender = sender.clone();
        dialog::show(
            parent,
            dialog::Texts {
                heading: &heading,
                body: Some(&body),
                cancel: &cancel,
                confirm: &remove,
            },
            None,
            dialog::Confirm::Destructive,
            move || {
                let (conn, uuid, xml) = (conn.clone(), uuid.clone(), xml.clone());
                sender.oneshot_command(async move {
                    let result = conn
                        .detach_device(&uuid, &xml, None, scope, std::time::Duration::ZERO)
                        .await;
                    DetailsCmd::DeviceDetached(result)
                });
            },
        );
    }

    fn disk_removed(
        target: &str,
        result: Result<DiskRemoved, Error>,
        sender: &ComponentSender<Self>,
    ) {
        let (detached, image) = match result {
            Ok(DiskRemoved { detached, image }) => (Ok(detached), image),
            Err(e) => (Err(e), None),
        };
        Self::toast(
            sender,
            match detached {
                Ok(Detached::Done) => gettext_f("Disk {target} removed", &[("target", target)]),
                Ok(Detached::Pending) => gettext_f(
                    "The guest has not released {target} yet; it leaves the running guest when the guest lets go",
                    &[("target", target)],
                ),
                Err(e) => gettext_f(
                    "Disk {target} was not removed: {error}",
                    &[("target", target), ("error", &e.message)],
                ),
            },
        );
        if let Some(Err(e)) = image {
            Self::toast(
                sender,
                gettext_f(
                    "The disk image was not deleted: {error}",
                    &[("error", &e.message)],
                ),
            );
        }
    }
}

impl Component for DetailsPage {
    type Init = DetailsPageInit;
    type Input = DetailsInput;
    type Output = DetailsOutput;
    type CommandOutput = DetailsCmd;
    type Root = gtk::ScrolledWindow;
    type Widgets = ();

    fn init_root() -> gtk::ScrolledWindow {
        gtk::ScrolledWindow::builder()
            .hscrollbar_policy(gtk::PolicyType::Never)
            .build()
    }

    fn init(
        init: DetailsPageInit,
        _root: gtk::ScrolledWindow,
        _sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let model = DetailsPage {
            conn: init.conn,
            uuid: init.uuid,
            name: init.name,
            state: None,
            settings: init.settings,
            xml: None,
            shown_xml: None,
            guest: None,
            guest_round: 0,
        };
        // The shell's first reading of the VM's state asks for the XML.
        ComponentParts { model, widgets: () }
    }

    fn update(
        &mut self,
        msg: DetailsInput,
        sender: ComponentSender<Self>,
        root: &gtk::ScrolledWindow,
    ) {
        if std::env::var_os("VIREO_DEBUG").is_some() {
            eprintln!("details input: {msg:?}");
        }
        let parent = root.root().and_downcast::<gtk::Window>();
        let (conn, uuid) = (self.conn.clone(), self.uuid.clone());
        match msg {
            DetailsInput::State(state) => self.state = Some(state),
            DetailsInput::Renamed(name) => self.name = name,
            DetailsInput::Refresh => self.load(&sender),
            DetailsInput::GuestChanged => self.ask_guest(&sender),
            DetailsInput::EditVcpus => {
                let Some(parent) = parent else { return };
                let Some(vm) = &self.xml else { return };
                let max = vm.vcpus_max().ok().flatten().unwrap_or(1);
                let current = vm.vcpus_current().ok().flatten().unwrap_or(max);
                let input = sender.input_sender().clone();
                dialogs::edit_amount(
                    &parent,
                    &gettext("Change the Number of Processors"),
                    &gettext("Processors"),
                    current as f64,
                    1.0,
                    max as f64,
                    1.0,
                    self.running(),
                    move |n| input.emit(DetailsInput::SetVcpus(n as u32)),
                );
            }
            DetailsInput::EditMemory => {
                let Some(parent) = parent else { return };
                let Some(vm) = &self.xml else { return };
                let max = vm.memory_kib().ok().flatten().unwrap_or(0) / 1024;
                let current = vm
                    .current_memory_kib()
                    .ok()
                    .flatten()
                    .map_or(max, |k| k / 1024);
                let input = sender.input_sender().clone();
                dialogs::edit_amount(
                    &parent,
                    &gettext("Change the Memory"),
                    &gettext("Memory (MiB)"),
                    current as f64,
                    64.0_f64.min(max as f64),
                    max as f64,
                    64.0,
                    self.running(),
                    move |mib| input.emit(DetailsInput::SetMemory(mib)),
                );
            }
            DetailsInput::SetVcpus(n) => sender.oneshot_command(async move {
                DetailsCmd::Applied(conn.set_vcpus(&uuid, n).await)
            }),
            DetailsInput::SetMemory(mib) => sender.oneshot_command(async move {
                DetailsCmd::Applied(conn.set_memory(&uuid, mib * 1024).await)
            }),
            DetailsInput::Edit(edit) => sender.oneshot_command(async move {
                let result = conn.edit(&uuid, edit.clone()).await;
                DetailsCmd::Edited(edit, result)
            }),
            DetailsInput::Autostart(on) => sender.oneshot_command(async move {
                DetailsCmd::AutostartSet(conn.autostart(&uuid, Some(on)).await)
            }),
            DetailsInput::AddHardware => sender.oneshot_command(async move {
                let result = async {
                    let facts = conn.wizard_facts().await?;
                    // No USB listing (a remote or test host) is not fatal.
                    let usb = conn.usb_devices().await.unwrap_or_default();
                    let networks = facts.networks.into_iter().map(|n| n.name).collect();
                    Ok((networks, usb))
                }
                .await;
                DetailsCmd::HardwareChoices(result)
            }),
            DetailsInput::AttachDevice(device, scope) => {
                let Some(vm) = &self.xml else { return };
                let xml = device.xml(vm);
                sender.oneshot_command(async move {
                    let result = conn.attach_device(&uuid, &xml, scope).await;
                    DetailsCmd::DeviceAttached {
                        device,
                        scope,
                        result,
                    }
                });
            }
            DetailsInput::RemoveDevice(which) => {
                if let Some(parent) = parent {
                    self.remove_device(&which, &parent, &sender);
                }
            }
            DetailsInput::AddDisk => sender.oneshot_command(async move {
                DetailsCmd::PoolsForDisk(conn.wizard_facts().await)
            }),
            DetailsInput::AttachDisk(disk, scope) => sender.oneshot_command(async move {
                let result = conn.add_disk(&uuid, disk.clone(), scope).await;
                DetailsCmd::DiskAdded {
                    disk,
                    scope,
                    result,
                }
            }),
            DetailsInput::RemoveDisk(target) => {
                let Some(parent) = parent else { return };
                let source = self
                    .xml
                    .as_ref()
                    .and_then(|vm| hardware::disk_source(vm, &target));
                let input = sender.input_sender().clone();
                let t = target.clone();
                dialogs::remove_disk(&parent, &target, source.as_deref(), move |delete| {
                    input.emit(DetailsInput::DetachDisk {
                        target: t.clone(),
                        delete,
                    })
                });
            }
            DetailsInput::DetachDisk { target, delete } => {
                let scope = self.scope();
                sender.oneshot_command(async move {
                    let wait = std::time::Duration::from_secs(10);
                    let result = conn.remove_disk(&uuid, &target, delete, scope, wait).await;
                    DetailsCmd::DiskRemoved { target, result }
                });
            }
            DetailsInput::BrowseMedia(target) => {
                let Some(parent) = parent else { return };
                let input = sender.input_sender().clone();
                let opened = dialog::choose_file(
                    &parent,
                    &gettext("Choose an ISO Image"),
                    true,
                    move |iso| {
                        input.emit(DetailsInput::Media {
                            target: target.clone(),
                            iso: Some(iso),
                            force: false,
                        })
                    },
                );
                if let Err(e) = opened {
                    Self::toast(&sender, e);
                }
            }
            DetailsInput::Media { target, iso, force } => {
                let scope = self.scope();
                sender.oneshot_command(async move {
                    let result = conn
                        .change_media(&uuid, &target, iso.as_deref(), scope, force)
                        .await;
                    DetailsCmd::MediaChanged {
                        target,
                        iso,
                        result,
                    }
                });
            }
        }
    }

    fn update_cmd(
        &mut self,
        msg: DetailsCmd,
        sender: ComponentSender<Self>,
        root: &gtk::ScrolledWindow,
    ) {
        if std::env::var_os("VIREO_DEBUG").is_some() {
            eprintln!("details command: {msg:?}");
        }
        let Some(parent) = root.root().and_downcast::<gtk::Window>() else {
            return;
        };
        match msg {
            DetailsCmd::Guest(round, report) if round == self.guest_round => {
                let wait = match &report {
                    Ok(r) if guest::shown_addresses(&r.ifaces).is_empty() => Some(10),
                    Ok(_) => None,
                    Err(_) => Some(30),
                };
                let report = Some(report.map_err(|e| e.message));
                // Shown again only when it changed: a rebuilt page loses
                // its scroll position, focus and a button being pressed.
                if report != self.guest {
                    self.guest = report;
                    if let Some((xml, saved)) = self.shown_xml.clone() {
                        self.show(root, &xml, saved.as_deref(), &sender);
                    }
                }
                // A guest still booting gets its address later: ask again.
                if let Some(secs) = wait.filter(|_| self.running()) {
                    sender.oneshot_command(async move {
                        tokio::time::sleep(std::time::Duration::from_secs(secs)).await;
                        DetailsCmd::GuestDue(round)
                    });
                }
            }
            DetailsCmd::Guest(..) => {}
            DetailsCmd::GuestDue(round) if round == self.guest_round => self.ask_guest(&sender),
            DetailsCmd::GuestDue(_) => {}
            DetailsCmd::Xml(Ok((xml, saved, autostart))) => {
                self.show(root, &xml, saved.as_deref(), &sender);
                if let Some(on) = autostart {
                    let _ = sender.output(DetailsOutput::Autostart(on));
                }
            }
            DetailsCmd::Xml(Err(e)) => Self::toast(&sender, e.message),
            DetailsCmd::AutostartSet(Ok(on)) => {
                let _ = sender.output(DetailsOutput::Autostart(on));
            }
            DetailsCmd::AutostartSet(Err(e)) => {
                Self::toast(&sender, e.message);
                self.load(&sender);
            }
            DetailsCmd::Applied(result) => {
                Self::toast(
                    &sender,
                    match result {
                        Ok(applied) => dialogs::applied_text(&applied),
                        Err(e) => e.message,
                    },
                );
                self.load(&sender);
            }
            DetailsCmd::Edited(edit, result) => {
                Self::toast(
                    &sender,
                    match result {
                        Ok(applied) => dialogs::applied_text(&applied),
                        Err(e) => gettext_f("Not changed: {error}", &[("error", &e.message)]),
                    },
                );
                if matches!(edit, Edit::Rename(_)) {
                    let _ = sender.output(DetailsOutput::Renamed);
                }
                self.load(&sender);
            }
            DetailsCmd::HardwareChoices(Ok((networks, usb))) => {
                let (input, input2) =
                    (sender.input_sender().clone(), sender.input_sender().clone());
                dialogs::add_hardware(
                    &parent,
                    &networks,
                    &usb,
                    self.running(),
                    move || input.emit(DetailsInput::AddDisk),
                    move |device, scope| input2.emit(DetailsInput::AttachDevice(device, scope)),
                );
            }
            DetailsCmd::HardwareChoices(Err(e)) => Self::toast(&sender, e.message),
            DetailsCmd::DeviceAttached {
                device,
                scope,
                result,
            } => match result {
                Ok(()) => {
                    Self::toast(
                        &sender,
                        if scope.live {
                            gettext("Device added to the running guest")
                        } else {
                            gettext("Device added; the guest sees it from its next boot")
                        },
                    );
                    self.load(&sender);
                }
                Err(e) if e.kind == ErrorKind::RefusedLive => {
                    let input = sender.input_sender().clone();
                    dialogs::offer_next_boot(&parent, &e.message, move || {
                        input.emit(DetailsInput::AttachDevice(device.clone(), Scope::NEXT_BOOT))
                    });
                }
                Err(e) => Self::toast(
                    &sender,
                    gettext_f(
                        "The device was not added: {error}",
                        &[("error", &e.message)],
                    ),
                ),
            },
            DetailsCmd::DeviceDetached(result) => {
                Self::toast(
                    &sender,
                    match result {
                        Ok(Detached::Done) => gettext("Device removed"),
                        Ok(Detached::Pending) => gettext(
                            "The guest was asked to release the device; it leaves the running guest when the guest lets go",
                        ),
                        Err(e) => gettext_f(
                            "The device was not removed: {error}",
                            &[("error", &e.message)],
                        ),
                    },
                );
                self.load(&sender);
            }
            DetailsCmd::PoolsForDisk(Ok(facts)) => {
                let input = sender.input_sender().clone();
                dialogs::add_disk(
                    &parent,
                    &self.name,
                    &facts.pools,
                    self.running(),
                    move |disk, scope| input.emit(DetailsInput::AttachDisk(disk, scope)),
                );
            }
            DetailsCmd::PoolsForDisk(Err(e)) => Self::toast(&sender, e.message),
            DetailsCmd::DiskAdded {
                disk,
                scope,
                result,
            } => match result {
                Ok(_target) => {
                    Self::toast(
                        &sender,
                        if scope.live {
                            gettext("Disk added to the running guest")
                        } else {
                            gettext("Disk added; the guest sees it from its next boot")
                        },
                    );
                    self.load(&sender);
                }
                Err(e) if e.kind == ErrorKind::RefusedLive => {
                    // Not hot-pluggable (IDE, SATA) or refused by the guest.
                    let input = sender.input_sender().clone();
                    let why = if hardware::hotpluggable(&disk.bus) {
                        e.message.clone()
                    } else {
                        gettext_f(
                            "{bus} disks cannot be added to a running guest ({error})",
                            &[("bus", &disk.bus.to_uppercase()), ("error", &e.message)],
                        )
                    };
                    dialogs::offer_next_boot(&parent, &why, move || {
                        input.emit(DetailsInput::AttachDisk(disk.clone(), Scope::NEXT_BOOT))
                    });
                }
                Err(e) => Self::toast(
                    &sender,
                    gettext_f("The disk was not added: {error}", &[("error", &e.message)]),
                ),
            },
            DetailsCmd::DiskRemoved { target, result } => {
                Self::disk_removed(&target, result, &sender);
                self.load(&sender);
            }
            DetailsCmd::MediaChanged {
                target,
                iso,
                result,
            } => match (result, iso) {
                (Ok(()), Some(iso)) => {
                    dialogs::remember_iso(&self.settings, &iso);
                    let name = std::path::Path::new(&iso)
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or(iso);
                    Self::toast(
                        &sender,
                        gettext_f(
                            "{iso} inserted into {target}",
                            &[("iso", &name), ("target", &target)],
                        ),
                    );
                    self.load(&sender);
                }
                (Ok(()), None) => {
                    Self::toast(
                        &sender,
                        gettext_f("{target} ejected", &[("target", &target)]),
                    );
                    self.load(&sender);
                }
                (Err(e), None) if e.kind == ErrorKind::MediaLocked => {
                    let input = sender.input_sender().clone();
                    dialogs::offer_force_eject(&parent, &e.message, move || {
                        input.emit(DetailsInput::Media {
                            target: target.clone(),
                            iso: None,
                            force: true,
                        })
                    });
                }
                (Err(e), _) => Self::toast(
                    &sender,
                    gettext_f(
                        "The medium was not changed: {error}",
                        &[("error", &e.message)],
                    ),
                ),
            },
        }
    }
}
