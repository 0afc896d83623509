//! The New Virtual Machine assistant: one page per step (install source,
//! memory and CPUs, storage, network, summary) with Back and Forward, each
//! page checked by the core's [`Plan::check`] before the next one opens.
//! Creating is all or nothing (the core's `create`); the VM window then
//! opens on the installing guest's console.
//!
//! Length: the assistant reads one plan from all five pages and checks it as
//! a whole (the core's `Plan::check`), so reading, checking, the summary and
//! navigation stay in one component; each page's widgets are in its own file.

mod network_page;
pub mod os_picker;
mod resources_page;
mod source_page;
mod storage_page;
mod summary_page;

use gettextrs::gettext;
use relm4::adw::{self, prelude::*};
use relm4::gtk::{self, glib};
use relm4::{Component, ComponentParts, ComponentSender};

use crate::core::libvirt::{Connection, CreateJob, CreateStep, Created, Error};
use crate::core::wizard::check::format_gib;
use crate::core::wizard::{
    DisplayChoice, FirmwareChoice, GIB, HostFacts, InstallSource, NetworkChoice, OsProfile, Page,
    Plan, Problem, Severity, StorageChoice, VirtType,
};
use crate::osinfo::OsEntry;
use crate::ui::a11y::AccessibleLabelExt;
use crate::ui::create_cli::step_text;
use crate::ui::i18n::gettext_f;
use crate::ui::i18n::problem_text;
use network_page::NetworkPage;
use resources_page::ResourcesPage;
use source_page::SourcePage;
use storage_page::StoragePage;
use summary_page::SummaryPage;

/// Which connection the VM goes to: the app's index, its URI, its handle.
pub struct WizardInit {
    pub connections: Vec<(usize, String, Connection)>,
    /// Position in `connections` to start with.
    pub selected: usize,
    pub parent: Option<gtk::Window>,
}

#[derive(Debug)]
pub enum WizardInput {
    /// Any field changed: read the pages into the plan and check it.
    Changed,
    ConnectionChanged,
    Back,
    Forward,
    Create,
    Browse(BrowseTarget),
    FileChosen(BrowseTarget, String),
    PickOs,
    OsPicked(String),
    CreateDefaultPool,
    Retry,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrowseTarget {
    Iso,
    Import,
    Disk,
}

#[derive(Debug)]
pub enum WizardOutput {
    /// A VM was created on the app's connection `index`.
    Created {
        index: usize,
        uuid: String,
        name: String,
        /// Its installation is running (else: customize first).
        started: bool,
    },
}

#[derive(Debug)]
pub enum WizardCmd {
    Facts(u64, Result<HostFacts, Error>),
    Detected(String, Result<Option<OsProfile>, String>),
    Profile(Result<Option<OsProfile>, String>),
    OsList(Result<Vec<OsEntry>, String>),
    Step(CreateStep),
    Created(Result<Created, Error>),
    PoolCreated(Result<(), Error>),
}

/// How the current OS was chosen, for the OS row's subtitle.
#[derive(Debug, Clone, PartialEq, Eq)]
enum OsOrigin {
    Default,
    Detected,
    NotDetected,
    Chosen,
}

struct Widgets {
    title: adw::WindowTitle,
    back: gtk::Button,
    forward: gtk::Button,
    stack: gtk::Stack,
    status: gtk::Label,
    spinner: gtk::Spinner,
    problems: gtk::Box,
    error: gtk::Label,
    retry: gtk::Button,
    confirm: gtk::CheckButton,
    source: SourcePage,
    resources: ResourcesPage,
    storage: StoragePage,
    network: NetworkPage,
    summary: SummaryPage,
}

pub struct Wizard {
    init: WizardInit,
    w: Widgets,
    facts: Option<HostFacts>,
    facts_generation: u64,
    plan: Option<Plan>,
    os: OsProfile,
    os_origin: OsOrigin,
    detected_path: String,
    os_list: Option<Vec<OsEntry>>,
    page: usize,
    /// The defaults last put in the spin buttons, to tell the user's own
    /// values from them when the OS changes.
    defaults: (f64, f64, f64),
    suggested_name: String,
    /// Network choices of the network combo, in order.
    network_choices: Vec<NetworkChoice>,
    creating: bool,
    /// The architecture whose machine types the machine combo lists.
    arch_shown: u32,
    /// Programmatic changes of the widgets, not the user's.
    quiet: bool,
}

fn group(title: &str) -> adw::PreferencesGroup {
    adw::PreferencesGroup::builder().title(title).build()
}

fn spin(min: f64, max: f64, step: f64, digits: u32, label: &str) -> gtk::SpinButton {
    let s = gtk::SpinButton::with_range(min, max, step);
    s.set_digits(digits);
    s.set_valign(gtk::Align::Center);
    s.set_numeric(true);
    s.set_accessible_label(label);
    s
}

fn radio(label: &str, group: Option<&gtk::CheckButton>) -> gtk::CheckButton {
    let b = gtk::CheckButton::with_label(label);
    if let Some(g) = group {
        b.set_group(Some(g));
    }
    b
}

fn string_list(items: &[String]) -> gtk::StringList {
    gtk::StringList::new(&items.iter().map(String::as_str).collect::<Vec<_>>())
}

fn page_title(page: Page) -> String {
    match page {
        Page::Source => gettext("Install Source"),
        Page::Resources => gettext("Memory and CPUs"),
        Page::Storage => gettext("Storage"),
        Page::Network => gettext("Network"),
        Page::Summary => gettext("Summary"),
    }
}

fn page_name(page: Page) -> &'static str {
    match page {
        Page::Source => "source",
        Page::Resources => "resources",
        Page::Storage => "storage",
        Page::Network => "network",
        Page::Summary => "summary",
    }
}

/// The Browse button of a path field: a file chooser for `target`.
fn browse_button(target: BrowseTarget, sender: &ComponentSender<Wizard>) -> gtk::Button {
    let label = match target {
        BrowseTarget::Iso => gettext("Browse for an ISO Image…"),
        _ => gettext("Browse for a Disk Image…"),
    };
    let b = gtk::Button::builder()
        .icon_name("document-open-symbolic")
        .valign(gtk::Align::Center)
        .tooltip_text(&label)
        .build();
    b.add_css_class("flat");
    b.set_accessible_label(&label);
    let input = sender.input_sender().clone();
    b.connect_clicked(move |_| input.emit(WizardInput::Browse(target)));
    b
}

fn scrolled_page(groups: &[&gtk::Widget]) -> gtk::Widget {
    let page = adw::PreferencesPage::new();
    for g in groups {
        if let Some(g) = g.downcast_ref::<adw::PreferencesGroup>() {
            page.add(g);
        }
    }
    page.upcast()
}

impl Wizard {
    fn conn(&self) -> &(usize, String, Connection) {
        let i = (self.w.source.connection.selected() as usize).min(self.init.connections.len() - 1);
        &self.init.connections[i]
    }

    fn load_facts(&mut self, sender: &ComponentSender<Self>) {
        self.facts = None;
        self.w.retry.set_visible(false);
        self.facts_generation += 1;
        let generation = self.facts_generation;
        let conn = self.conn().2.clone();
        self.set_status(Some(&gettext("Reading the host’s resources…")));
        sender.oneshot_command(
            async move { WizardCmd::Facts(generation, conn.wizard_facts().await) },
        );
    }

    /// An error the user must read: what failed, and libvirt's words.
    fn show_error(&self, heading: &str, message: &str) {
        self.w.error.set_text(&format!("{heading}\n{message}"));
        self.w.error.set_visible(true);
    }

    fn set_status(&self, text: Option<&str>) {
        self.w.status.set_text(text.unwrap_or(""));
        self.w.status.set_visible(text.is_some());
        self.w.spinner.set_visible(text.is_some());
        self.w.spinner.set_spinning(text.is_some());
    }

    /// Put the host's choices (pools, networks, architectures) in the combos.
    fn fill_from_facts(&mut self) {
        let Some(f) = self.facts.clone() else { return };
        self.quiet = true;
        let arches: Vec<String> = f.arches.iter().map(|(a, _)| a.clone()).collect();
        self.w.source.arch.set_model(Some(&string_list(&arches)));
        if let Some(i) = arches.iter().position(|a| a == &f.arch) {
            self.w.source.arch.set_selected(i as u32);
        }
        self.arch_shown = self.w.source.arch.selected();
        self.fill_machines();
        let kvm_label = if f.kvm {
            gettext("Automatic (KVM)")
        } else {
            gettext("Automatic (QEMU emulation: KVM is not available)")
        };
        self.w.source.virt_type.set_model(Some(&string_list(&[
            kvm_label,
            gettext("KVM"),
            gettext("QEMU emulation"),
        ])));
        let pools: Vec<String> = f
            .pools
            .iter()
            .map(|p| match p.available {
                Some(a) => gettext_f(
                    "{pool} ({free} free)",
                    &[("pool", &p.name), ("free", &format_gib(a))],
                ),
                None => p.name.clone(),
            })
            .collect();
        self.w.storage.pool.set_model(Some(&string_list(&pools)));
        if let Some(d) = f.default_pool()
            && let Some(i) = f.pools.iter().position(|p| p.name == d.name)
        {
            self.w.storage.pool.set_selected(i as u32);
        }
        self.fill_volumes(&f);
        self.w.storage.no_pool.set_visible(f.pools.is_empty());
        self.w.storage.pool.set_visible(!f.pools.is_empty());
        if f.pools.is_empty() && self.w.storage.storage_new.is_active() {
            self.w.storage.storage_none.set_active(true);
        }
        self.w
            .storage
            .storage_new
            .set_sensitive(!f.pools.is_empty());

        self.network_choices = f
            .networks
            .iter()
            .map(|n| NetworkChoice::Virtual(n.name.clone()))
            .chain([
                NetworkChoice::Bridge(String::new()),
                NetworkChoice::Macvtap(String::new()),
                NetworkChoice::User,
                NetworkChoice::None,
            ])
            .collect();
        let labels: Vec<String> = f
            .networks
            .iter()
            .map(|n| {
                let mode = match n.forward_mode.as_deref() {
                    Some("nat") => gettext("NAT"),
                    Some("route") => gettext("routed"),
                    Some("bridge") => gettext("bridged"),
                    Some("open") => gettext("open"),
                    Some(other) => other.to_owned(),
                    None => gettext("isolated"),
                };
                let mut label = gettext_f("{name} ({mode})", &[("name", &n.name), ("mode", &mode)]);
                if !n.active {
                    label = gettext_f("{network} (inactive)", &[("network", &label)]);
                }
                label
            })
            .chain([
                gettext("Host bridge"),
                gettext("Macvtap on a host interface"),
                gettext("User-mode networking"),
                gettext("No network"),
            ])
            .collect();
        self.w
            .network
            .network
            .set_model(Some(&string_list(&labels)));
        let default = f.default_network();
        let i = self
            .network_choices
            .iter()
            .position(|c| c == &default)
            .unwrap_or(0);
        self.w.network.network.set_selected(i as u32);
        self.w.resources.memory_row.set_subtitle(&gettext_f(
            "The host has {memory} MiB",
            &[("memory", &f.memory_mib.to_string())],
        ));
        self.w.resources.vcpus_row.set_subtitle(&gettext_f(
            "The host has {cpus} CPUs",
            &[("cpus", &f.cpus.to_string())],
        ));
        self.quiet = false;
        self.apply_os_defaults();
    }

    /// The ISO images the host's pools hold, offered beside the ISO path.
    fn fill_volumes(&self, f: &HostFacts) {
        let isos: Vec<(String, String)> = f
            .pools
            .iter()
            .filter_map(|p| Some((p, p.path.as_deref()?)))
            .flat_map(|(p, dir)| {
                p.volumes
                    .iter()
                    .filter(|v| v.to_lowercase().ends_with(".iso"))
                    .map(move |v| {
                        (
                            format!("{} / {v}", p.name),
                            format!("{}/{v}", dir.trim_end_matches('/')),
                        )
                    })
            })
            .collect();
        self.w.source.volumes.set_visible(!isos.is_empty());
        // One flat button per volume: each is named by its label and
        // pressed by keyboard, pointer or assistive technology alike.
        let list = gtk::Box::new(gtk::Orientation::Vertical, 0);
        list.set_accessible_label(&gettext("ISO Volumes of the Host"));
        let popover = gtk::Popover::builder().child(&list).build();
        for (label, path) in isos {
            let button = gtk::Button::builder().label(&label).build();
            button.add_css_class("flat");
            if let Some(l) = button.child().and_downcast::<gtk::Label>() {
                l.set_xalign(0.0);
            }
            let (entry, pop) = (self.w.source.iso.clone(), popover.clone());
            button.connect_clicked(move |_| {
                entry.set_text(&path);
                pop.popdown();
            });
            list.append(&button);
        }
        self.w.source.volumes.set_popover(Some(&popover));
    }

    fn fill_machines(&self) {
        let Some(f) = &self.facts else { return };
        let arch = f
            .arches
            .get(self.w.source.arch.selected() as usize)
            .map(|(_, m)| m.clone())
            .unwrap_or_default();
        let mut items = vec![gettext("Automatic (from the OS)")];
        items.extend(arch);
        self.w.source.machine.set_model(Some(&string_list(&items)));
        self.w.source.machine.set_selected(0);
    }

    /// Put the OS's defaults in the spin buttons the user has not changed.
    fn apply_os_defaults(&mut self) {
        let Some(f) = &self.facts else { return };
        let new = (
            self.os.default_memory_mib(f.memory_mib) as f64,
            self.os.default_vcpus(f.cpus) as f64,
            self.os.default_disk_gib() as f64,
        );
        self.quiet = true;
        let (old_m, old_c, old_d) = self.defaults;
        if self.w.resources.memory.value() == old_m {
            self.w.resources.memory.set_value(new.0);
        }
        if self.w.resources.vcpus.value() == old_c {
            self.w.resources.vcpus.set_value(new.1);
        }
        if self.w.storage.size.value() == old_d {
            self.w.storage.size.set_value(new.2);
        }
        self.quiet = false;
        self.defaults = new;
        let subtitle = match self.os_origin {
            OsOrigin::Detected => gettext_f("Detected: {os}", &[("os", &self.os.name)]),
            OsOrigin::NotDetected => gettext("Not detected: choose it for better defaults"),
            OsOrigin::Chosen => self.os.name.clone(),
            OsOrigin::Default => gettext("Generic or unknown OS"),
        };
        self.w.source.os_row.set_subtitle(&subtitle);
    }

    fn source(&self) -> InstallSource {
        let text = |e: &adw::EntryRow| e.text().trim().to_owned();
        if self.w.source.source_location.is_active() {
            InstallSource::Location {
                url: text(&self.w.source.url),
                kernel_args: text(&self.w.source.kernel_args),
            }
        } else if self.w.source.source_import.is_active() {
            let path = text(&self.w.source.import);
            InstallSource::Import {
                format: crate::core::wizard::probe_format(&path).into(),
                path,
            }
        } else if self.w.source.source_manual.is_active() {
            InstallSource::Manual
        } else {
            InstallSource::Iso(text(&self.w.source.iso))
        }
    }

    /// Read every page into the plan.
    fn read(&mut self) {
        let Some(f) = &self.facts else {
            self.plan = None;
            return;
        };
        let name = self.w.summary.name.text().trim().to_owned();
        let mut plan = Plan::new(&name, self.source(), self.os.clone(), f);
        plan.virt_type = match self.w.source.virt_type.selected() {
            1 => VirtType::Kvm,
            2 => VirtType::Qemu,
            _ => VirtType::Auto,
        };
        if let Some((arch, machines)) = f.arches.get(self.w.source.arch.selected() as usize) {
            plan.arch = arch.clone();
            let m = self.w.source.machine.selected() as usize;
            plan.machine = (m > 0).then(|| machines.get(m - 1).cloned()).flatten();
        }
        plan.firmware = match self.w.source.firmware.selected() {
            1 => FirmwareChoice::Bios,
            2 => FirmwareChoice::Uefi { secure_boot: false },
            3 => FirmwareChoice::Uefi { secure_boot: true },
            _ => FirmwareChoice::Auto,
        };
        plan.memory_mib = self.w.resources.memory.value() as u64;
        plan.max_memory_mib = self
            .w
            .resources
            .max_memory_on
            .is_active()
            .then(|| self.w.resources.max_memory.value() as u64);
        plan.vcpus = self.w.resources.vcpus.value() as u32;
        plan.max_vcpus = self
            .w
            .resources
            .max_vcpus_on
            .is_active()
            .then(|| self.w.resources.max_vcpus.value() as u32);
        plan.storage = if self.w.storage.storage_new.is_active() {
            match f.pools.get(self.w.storage.pool.selected() as usize) {
                Some(p) => StorageChoice::New {
                    pool: p.name.clone(),
                    size_bytes: (self.w.storage.size.value() * GIB as f64).round() as u64,
                },
                None => StorageChoice::None,
            }
        } else if self.w.storage.storage_existing.is_active() {
            let path = self.w.storage.existing.text().trim().to_owned();
            StorageChoice::Existing {
                format: crate::core::wizard::probe_format(&path).into(),
                path,
            }
        } else {
            StorageChoice::None
        };
        let device = self.w.network.network_device.text().trim().to_owned();
        plan.network = match self
            .network_choices
            .get(self.w.network.network.selected() as usize)
        {
            Some(NetworkChoice::Bridge(_)) => NetworkChoice::Bridge(device),
            Some(NetworkChoice::Macvtap(_)) => NetworkChoice::Macvtap(device),
            Some(other) => other.clone(),
            None => NetworkChoice::None,
        };
        plan.display = match self.w.network.display.selected() {
            1 => DisplayChoice::Graphical {
                protocol: "spice".into(),
                listen: None,
                port: None,
                password: None,
            },
            2 => DisplayChoice::None,
            _ => DisplayChoice::default(),
        };
        self.plan = Some(plan);
    }

    fn current_page(&self) -> Page {
        Page::ALL[self.page]
    }

    /// Show what the current page's fields need and enable Forward/Create.
    fn refresh(&mut self) {
        let loc = self.w.source.source_location.is_active();
        let import = self.w.source.source_import.is_active();
        let iso = !loc && !import && !self.w.source.source_manual.is_active();
        self.w.source.iso.set_visible(iso);
        self.w.source.url.set_visible(loc);
        self.w.source.kernel_args.set_visible(loc);
        self.w.source.import.set_visible(import);
        self.w.storage.storage_group.set_visible(!import);
        self.w.storage.import_group.set_visible(import);
        self.w
            .storage
            .pool
            .set_sensitive(self.w.storage.storage_new.is_active());
        self.w
            .storage
            .size_row
            .set_sensitive(self.w.storage.storage_new.is_active());
        self.w
            .storage
            .existing
            .set_visible(self.w.storage.storage_existing.is_active());
        self.w
            .resources
            .max_memory
            .set_sensitive(self.w.resources.max_memory_on.is_active());
        self.w
            .resources
            .max_vcpus
            .set_sensitive(self.w.resources.max_vcpus_on.is_active());
        // An unused maximum follows the value, ready to be raised.
        self.quiet = true;
        if !self.w.resources.max_memory_on.is_active() {
            self.w
                .resources
                .max_memory
                .set_value(self.w.resources.memory.value());
        }
        if !self.w.resources.max_vcpus_on.is_active() {
            self.w
                .resources
                .max_vcpus
                .set_value(self.w.resources.vcpus.value());
        }
        self.quiet = false;
        let device_kind = self
            .network_choices
            .get(self.w.network.network.selected() as usize);
        match device_kind {
            Some(NetworkChoice::Bridge(_)) => {
                self.w
                    .network
                    .network_device
                    .set_title(&gettext("Bridge name"));
                self.w.network.network_device.set_visible(true);
            }
            Some(NetworkChoice::Macvtap(_)) => {
                self.w
                    .network
                    .network_device
                    .set_title(&gettext("Host interface"));
                self.w.network.network_device.set_visible(true);
            }
            _ => self.w.network.network_device.set_visible(false),
        }

        let page = self.current_page();
        self.w.title.set_subtitle(&gettext_f(
            "Step {n} of {total}: {page}",
            &[
                ("n", &(self.page + 1).to_string()),
                ("total", &Page::ALL.len().to_string()),
                ("page", &page_title(page)),
            ],
        ));
        self.w.back.set_label(&if self.page == 0 {
            gettext("Cancel")
        } else {
            gettext("Back")
        });
        let last = page == Page::Summary;
        self.w.forward.set_label(&if last {
            gettext("Create")
        } else {
            gettext("Forward")
        });

        while let Some(child) = self.w.problems.first_child() {
            self.w.problems.remove(&child);
        }
        let problems = match (&self.plan, &self.facts) {
            (Some(plan), Some(f)) => plan.check(page, f),
            _ => Vec::new(),
        };
        let errors = problems.iter().any(Problem::is_error);
        let warnings = problems.iter().any(|p| p.severity() == Severity::Warning);
        // A field not filled in yet keeps Forward off without scolding.
        let unfilled = |p: &&Problem| {
            matches!(
                p,
                Problem::IsoEmpty
                    | Problem::LocationEmpty
                    | Problem::ImportEmpty
                    | Problem::ExistingDiskEmpty
                    | Problem::NameEmpty
                    | Problem::BridgeEmpty
                    | Problem::MacvtapEmpty
            )
        };
        for p in problems.iter().filter(|p| !unfilled(p)) {
            let icon = if p.is_error() {
                "dialog-error-symbolic"
            } else {
                "dialog-warning-symbolic"
            };
            let row = gtk::Box::new(gtk::Orientation::Horizontal, 8);
            row.append(&gtk::Image::from_icon_name(icon));
            let label = gtk::Label::builder()
                .label(problem_text(p))
                .wrap(true)
                .xalign(0.0)
                .hexpand(true)
                .build();
            label.add_css_class(if p.is_error() { "error" } else { "warning" });
            row.append(&label);
            self.w.problems.append(&row);
        }
        self.w.confirm.set_visible(warnings && !errors);
        if !warnings {
            self.w.confirm.set_active(false);
        }
        let ready = self.facts.is_some()
            && self.plan.is_some()
            && !errors
            && (!warnings || self.w.confirm.is_active())
            && !self.creating;
        self.w.forward.set_sensitive(ready);
        self.w.back.set_sensitive(!self.creating);
        if last {
            self.fill_summary();
        }
    }

    fn fill_summary(&self) {
        let (Some(plan), Some(f)) = (&self.plan, &self.facts) else {
            return;
        };
        while let Some(child) = self.w.summary.summary.first_child() {
            self.w.summary.summary.remove(&child);
        }
        let r = plan.resolve(f);
        let source = match &plan.source {
            InstallSource::Iso(p) => gettext_f("ISO image {path}", &[("path", p)]),
            InstallSource::Location { url, .. } => {
                gettext_f("Network install from {url}", &[("url", url)])
            }
            InstallSource::Import { path, .. } => {
                gettext_f("Import the disk image {path}", &[("path", path)])
            }
            InstallSource::Manual => gettext("Manual install (empty CD-ROM drive)"),
        };
        let mut memory = gettext_f("{n} MiB", &[("n", &plan.memory_mib.to_string())]);
        if let Some(max) = plan.max_memory_mib {
            memory = gettext_f(
                "{memory}, up to {max} MiB",
                &[("memory", &memory), ("max", &max.to_string())],
            );
        }
        let mut cpus = plan.vcpus.to_string();
        if let Some(max) = plan.max_vcpus {
            cpus = gettext_f(
                "{n}, up to {max}",
                &[("n", &cpus), ("max", &max.to_string())],
            );
        }
        let storage = match (&plan.source, &plan.storage) {
            (InstallSource::Import { path, .. }, _) => path.clone(),
            (_, StorageChoice::New { pool, size_bytes }) => gettext_f(
                "New {size} qcow2 volume “{volume}” in the pool “{pool}”",
                &[
                    ("size", &format_gib(*size_bytes)),
                    ("volume", &plan.volume_name()),
                    ("pool", pool),
                ],
            ),
            (_, StorageChoice::Existing { path, format }) => format!("{path} ({format})"),
            (_, StorageChoice::NewAt { path, size_bytes }) => gettext_f(
                "New {size} image {path}",
                &[("size", &format_gib(*size_bytes)), ("path", path)],
            ),
            (_, StorageChoice::None) => gettext("No disk"),
        };
        let network = match &plan.network {
            NetworkChoice::Virtual(n) => gettext_f("Virtual network “{name}”", &[("name", n)]),
            NetworkChoice::Bridge(b) => gettext_f("Host bridge {name}", &[("name", b)]),
            NetworkChoice::Macvtap(d) => gettext_f("Macvtap on {name}", &[("name", d)]),
            NetworkChoice::User => gettext("User-mode networking"),
            NetworkChoice::None => gettext("No network"),
        };
        let display = match &plan.display {
            DisplayChoice::Graphical { protocol, .. } if protocol == "spice" => {
                gettext("Graphical (SPICE)")
            }
            DisplayChoice::Graphical { .. } => gettext("Graphical (VNC)"),
            DisplayChoice::None => gettext("None: a serial console only"),
        };
        let firmware = match r.firmware {
            crate::core::xml::builder::Firmware::Bios => gettext("BIOS"),
            crate::core::xml::builder::Firmware::Efi { secure_boot: false } => gettext("UEFI"),
            crate::core::xml::builder::Firmware::Efi { secure_boot: true } => {
                gettext("UEFI with Secure Boot")
            }
        };
        let hypervisor = if r.domain_type == "kvm" {
            gettext("KVM")
        } else {
            gettext("QEMU emulation")
        };
        for (title, value) in [
            (gettext("Connection"), self.conn().1.clone()),
            (gettext("Operating system"), plan.os.name.clone()),
            (gettext("Install"), source),
            (gettext("Memory"), memory),
            (gettext("CPUs"), cpus),
            (gettext("Storage"), storage),
            (gettext("Network"), network),
            (gettext("Display"), display),
            (gettext("Firmware"), firmware),
            (
                gettext("Hypervisor"),
                format!("{hypervisor} · {} · {}", plan.arch, r.machine),
            ),
        ] {
            self.w
                .summary
                .summary
                .append(&crate::ui::host_window::row(&title, &value));
        }
        self.w.summary.xml.buffer().set_text(&plan.domain_xml(f));
    }

    fn go_to(&mut self, page: usize) {
        self.page = page;
        self.w.error.set_visible(false);
        self.w.confirm.set_active(false);
        let p = self.current_page();
        if p == Page::Summary {
            // Suggest a name from the OS unless the user typed one.
            let current = self.w.summary.name.text().to_string();
            if let Some(f) = &self.facts
                && (current.is_empty() || current == self.suggested_name)
            {
                self.suggested_name = Plan::suggest_name(&self.os, &f.domain_names);
                self.quiet = true;
                self.w.summary.name.set_text(&self.suggested_name);
                self.quiet = false;
            }
        }
        self.w.stack.set_visible_child_name(page_name(p));
        self.read();
        self.refresh();
    }

    fn detect_if_new(&mut self, sender: &ComponentSender<Self>) {
        // After `read()`: the plan holds the source.
        let Some(InstallSource::Iso(path)) = self.plan.as_ref().map(|p| p.source.clone()) else {
            return;
        };
        if path == self.detected_path || self.os_origin == OsOrigin::Chosen {
            return;
        }
        let local = self.facts.as_ref().is_some_and(|f| f.local);
        if !local || !std::path::Path::new(&path).is_file() {
            return;
        }
        self.detected_path = path.clone();
        sender.oneshot_command(async move {
            let p = path.clone();
            let result = tokio::task::spawn_blocking(move || crate::osinfo::detect(&p))
                .await
                .unwrap_or_else(|e| Err(e.to_string()));
            WizardCmd::Detected(path, result)
        });
    }
}

impl Component for Wizard {
    type Init = WizardInit;
    type Input = WizardInput;
    type Output = WizardOutput;
    type CommandOutput = WizardCmd;
    type Root = adw::Window;
    type Widgets = ();

    fn init_root() -> Self::Root {
        adw::Window::builder()
            .default_width(640)
            .default_height(720)
            .build()
    }

    fn init(
        init: WizardInit,
        root: Self::Root,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        root.set_title(Some(&gettext("New Virtual Machine")));
        root.set_application(Some(&relm4::main_application()));
        if let Some(parent) = &init.parent {
            root.set_transient_for(Some(parent));
        }
        let changed = {
            let input = sender.input_sender().clone();
            move || input.emit(WizardInput::Changed)
        };

        // Header: Cancel/Back, the title with the step, Forward/Create.
        let title = adw::WindowTitle::new(&gettext("New Virtual Machine"), "");
        let back = gtk::Button::with_label(&gettext("Cancel"));
        let forward = gtk::Button::with_label(&gettext("Forward"));
        forward.add_css_class("suggested-action");
        let header = adw::HeaderBar::builder()
            .title_widget(&title)
            .show_end_title_buttons(false)
            .show_start_title_buttons(false)
            .build();
        header.pack_start(&back);
        header.pack_end(&forward);
        back.connect_clicked({
            let input = sender.input_sender().clone();
            move |_| input.emit(WizardInput::Back)
        });
        forward.connect_clicked({
            let input = sender.input_sender().clone();
            move |_| input.emit(WizardInput::Forward)
        });

        let (source, source_page) = SourcePage::new(&init, &sender);
        let (resources, resources_page) = ResourcesPage::new();
        let (storage, storage_page) = StoragePage::new(&sender);
        let (network, network_page) = NetworkPage::new();
        let (summary, summary_page) = SummaryPage::new();

        let stack = gtk::Stack::builder()
            .transition_type(gtk::StackTransitionType::SlideLeftRight)
            .vexpand(true)
            .build();
        for (page, name) in [
            (&source_page, "source"),
            (&resources_page, "resources"),
            (&storage_page, "storage"),
            (&network_page, "network"),
            (&summary_page, "summary"),
        ] {
            stack.add_named(page, Some(name));
        }

        // Bottom: status (spinner + text), problems, the confirmation.
        let spinner = gtk::Spinner::new();
        spinner.set_accessible_label(&gettext("Working"));
        let status = gtk::Label::builder().xalign(0.0).wrap(true).build();
        let status_box = gtk::Box::new(gtk::Orientation::Horizontal, 8);
        status_box.append(&spinner);
        status_box.append(&status);
        let problems = gtk::Box::new(gtk::Orientation::Vertical, 6);
        let error = gtk::Label::builder()
            .xalign(0.0)
            .wrap(true)
            .selectable(true)
            .visible(false)
            .build();
        error.add_css_class("error");
        let confirm = gtk::CheckButton::with_label(&gettext("Use these values anyway"));
        confirm.set_visible(false);
        let bottom = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(6)
            .margin_start(18)
            .margin_end(18)
            .margin_top(6)
            .margin_bottom(12)
            .build();
        bottom.append(&status_box);
        bottom.append(&error);
        let retry = gtk::Button::builder()
            .label(gettext("Try Again"))
            .halign(gtk::Align::Start)
            .visible(false)
            .build();
        retry.connect_clicked({
            let input = sender.input_sender().clone();
            move |_| input.emit(WizardInput::Retry)
        });
        bottom.append(&retry);
        bottom.append(&problems);
        bottom.append(&confirm);

        let content = gtk::Box::new(gtk::Orientation::Vertical, 0);
        content.append(&header);
        content.append(&stack);
        content.append(&bottom);
        root.set_content(Some(&content));

        // Every field reports its changes.
        for e in [
            &source.iso,
            &source.url,
            &source.kernel_args,
            &source.import,
            &storage.existing,
            &network.network_device,
            &summary.name,
        ] {
            let changed = changed.clone();
            e.connect_changed(move |_| changed());
        }
        for b in [
            &source.source_iso,
            &source.source_location,
            &source.source_import,
            &source.source_manual,
            &storage.storage_new,
            &storage.storage_existing,
            &storage.storage_none,
            &confirm,
        ] {
            let changed = changed.clone();
            b.connect_toggled(move |_| changed());
        }
        for s in [
            &resources.memory,
            &resources.max_memory,
            &resources.vcpus,
            &resources.max_vcpus,
            &storage.size,
        ] {
            let changed = changed.clone();
            s.connect_value_changed(move |_| changed());
        }
        for s in [&resources.max_memory_on, &resources.max_vcpus_on] {
            let changed = changed.clone();
            s.connect_active_notify(move |_| changed());
        }
        for c in [
            &source.virt_type,
            &source.machine,
            &source.firmware,
            &storage.pool,
            &network.network,
            &network.display,
        ] {
            let changed = changed.clone();
            c.connect_selected_notify(move |_| changed());
        }
        source.arch.connect_selected_notify({
            let input = sender.input_sender().clone();
            move |_| input.emit(WizardInput::Changed)
        });
        source.connection.connect_selected_notify({
            let input = sender.input_sender().clone();
            move |_| input.emit(WizardInput::ConnectionChanged)
        });

        let w = Widgets {
            title,
            back,
            forward,
            stack,
            status,
            spinner,
            problems,
            error,
            retry,
            confirm,
            source,
            resources,
            storage,
            network,
            summary,
        };
        let mut model = Wizard {
            init,
            w,
            facts: None,
            facts_generation: 0,
            plan: None,
            os: OsProfile::generic(),
            os_origin: OsOrigin::Default,
            detected_path: String::new(),
            os_list: None,
            page: 0,
            defaults: (1.0, 1.0, 0.0),
            suggested_name: String::new(),
            network_choices: Vec::new(),
            creating: false,
            arch_shown: 0,
            quiet: false,
        };
        model.load_facts(&sender);
        model.go_to(0);
        root.present();
        model.w.source.iso.grab_focus();
        ComponentParts { model, widgets: () }
    }

    fn update(&mut self, msg: WizardInput, sender: ComponentSender<Self>, root: &Self::Root) {
        match msg {
            WizardInput::Changed => {
                if self.quiet {
                    return;
                }
                // A new architecture lists its own machine types.
                let arch = self.w.source.arch.selected();
                if self.facts.is_some() && self.arch_shown != arch {
                    self.arch_shown = arch;
                    self.quiet = true;
                    self.fill_machines();
                    self.quiet = false;
                }
                self.read();
                self.detect_if_new(&sender);
                self.refresh();
            }
            WizardInput::ConnectionChanged => {
                self.load_facts(&sender);
                self.read();
                self.refresh();
            }
            WizardInput::Back => {
                if self.page == 0 {
                    root.close();
                } else {
                    self.go_to(self.page - 1);
                }
            }
            WizardInput::Forward => {
                if self.current_page() == Page::Summary {
                    sender.input(WizardInput::Create);
                } else {
                    self.go_to(self.page + 1);
                }
            }
            WizardInput::Create => {
                let (Some(plan), Some(facts)) = (self.plan.clone(), self.facts.clone()) else {
                    return;
                };
                if plan.check_all(&facts).iter().any(Problem::is_error) {
                    return;
                }
                self.creating = true;
                self.w.error.set_visible(false);
                self.w.stack.set_sensitive(false);
                self.refresh();
                let conn = self.conn().2.clone();
                let start = !self.w.summary.customize.is_active();
                sender.command(move |out, shutdown| {
                    shutdown
                        .register(async move {
                            let (tx, steps) =
                                crate::ui::msg::forward_progress(&out, WizardCmd::Step);
                            let job = CreateJob {
                                plan,
                                host: facts,
                                start,
                            };
                            let (result, ()) = tokio::join!(conn.create(job, Some(tx)), steps);
                            let _ = out.send(WizardCmd::Created(result));
                        })
                        .drop_on_shutdown()
                });
            }
            WizardInput::Browse(target) => {
                let title = match target {
                    BrowseTarget::Iso => gettext("Choose an ISO Image"),
                    _ => gettext("Choose a Disk Image"),
                };
                let input = sender.input_sender().clone();
                let opened = crate::ui::dialog::choose_file(
                    root,
                    &title,
                    target == BrowseTarget::Iso,
                    move |path| input.emit(WizardInput::FileChosen(target, path)),
                );
                if let Err(e) = opened {
                    self.show_error(&title, &e);
                }
            }
            WizardInput::FileChosen(target, path) => match target {
                BrowseTarget::Iso => self.w.source.iso.set_text(&path),
                BrowseTarget::Import => self.w.source.import.set_text(&path),
                BrowseTarget::Disk => self.w.storage.existing.set_text(&path),
            },
            WizardInput::PickOs => match &self.os_list {
                Some(list) => {
                    let input = sender.input_sender().clone();
                    crate::ui::wizard::os_picker::show(root.upcast_ref(), list, move |id| {
                        input.emit(WizardInput::OsPicked(id))
                    });
                }
                None => {
                    self.set_status(Some(&gettext("Reading the OS database…")));
                    sender.oneshot_command(async {
                        WizardCmd::OsList(
                            tokio::task::spawn_blocking(crate::osinfo::all)
                                .await
                                .unwrap_or_else(|e| Err(e.to_string())),
                        )
                    });
                }
            },
            WizardInput::OsPicked(id) => {
                sender.oneshot_command(async move {
                    WizardCmd::Profile(
                        tokio::task::spawn_blocking(move || crate::osinfo::profile(&id))
                            .await
                            .unwrap_or_else(|e| Err(e.to_string())),
                    )
                });
            }
            WizardInput::CreateDefaultPool => {
                let conn = self.conn().2.clone();
                let data_home = glib::user_data_dir().display().to_string();
                self.set_status(Some(&gettext("Creating the default storage pool…")));
                sender.oneshot_command(async move {
                    WizardCmd::PoolCreated(conn.create_default_pool(Some(data_home)).await)
                });
            }
            WizardInput::Retry => self.load_facts(&sender),
        }
    }

    fn update_cmd(&mut self, msg: WizardCmd, sender: ComponentSender<Self>, root: &Self::Root) {
        match msg {
            WizardCmd::Facts(generation, result) => {
                if generation != self.facts_generation {
                    return;
                }
                match result {
                    Ok(facts) => {
                        self.set_status(None);
                        self.facts = Some(facts);
                        self.fill_from_facts();
                    }
                    Err(e) => {
                        self.set_status(None);
                        self.w.retry.set_visible(true);
                        self.show_error(&gettext("The host could not be read"), &e.to_string());
                    }
                }
                self.read();
                self.detect_if_new(&sender);
                self.refresh();
            }
            WizardCmd::Detected(path, result) => {
                if path != self.detected_path || self.os_origin == OsOrigin::Chosen {
                    return;
                }
                match result {
                    Ok(Some(os)) => {
                        self.os = os;
                        self.os_origin = OsOrigin::Detected;
                    }
                    Ok(None) | Err(_) => {
                        self.os = OsProfile::generic();
                        self.os_origin = OsOrigin::NotDetected;
                    }
                }
                self.apply_os_defaults();
                self.read();
                self.refresh();
            }
            WizardCmd::Profile(result) => {
                if let Ok(Some(os)) = result {
                    self.os = os;
                    self.os_origin = OsOrigin::Chosen;
                    self.apply_os_defaults();
                    self.read();
                    self.refresh();
                }
            }
            WizardCmd::OsList(result) => {
                self.set_status(None);
                match result {
                    Ok(list) => {
                        self.os_list = Some(list);
                        sender.input(WizardInput::PickOs);
                    }
                    Err(e) => self.show_error(&gettext("The OS database could not be read"), &e),
                }
            }
            WizardCmd::Step(step) => self.set_status(Some(&step_text(step))),
            WizardCmd::Created(result) => {
                self.creating = false;
                self.set_status(None);
                match result {
                    Ok(created) => {
                        let index = self.conn().0;
                        let _ = sender.output(WizardOutput::Created {
                            index,
                            uuid: created.domain.uuid,
                            name: created.domain.name,
                            started: !self.w.summary.customize.is_active(),
                        });
                        root.close();
                    }
                    Err(e) => {
                        self.w.stack.set_sensitive(true);
                        self.refresh();
                        self.show_error(
                            &gettext("The virtual machine could not be created"),
                            &gettext_f(
                                "Nothing was left behind. libvirt said: {error}",
                                &[("error", &e.to_string())],
                            ),
                        );
                        // The host may have changed (a name taken, a pool filled).
                        self.load_facts(&sender);
                    }
                }
            }
            WizardCmd::PoolCreated(result) => {
                self.set_status(None);
                if let Err(e) = result {
                    self.show_error(
                        &gettext("The default storage pool could not be created"),
                        &e.to_string(),
                    );
                }
                self.w.storage.storage_new.set_active(true);
                self.load_facts(&sender);
            }
        }
    }
}
