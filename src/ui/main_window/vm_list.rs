//! The main window's VM list: a `gtk::ListView` over a model of connection
//! headers and VMs, grouped by connection, filtered by name and sorted by
//! name, state, CPU or memory. Rows are recycled: only what is on screen
//! has widgets, so thousands of VMs scroll smoothly.
//!
//! Length: the list's model, grouping, filter, sorter and row factory work on
//! one `gio::ListStore`; they change together.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use gettextrs::gettext;
use relm4::gtk::{self, gio, glib, prelude::*};

use crate::core::libvirt::{Connection, DomainState, DomainSummary, PowerAction};
use crate::ui::main_window::nearby::Nearby;
use crate::ui::main_window::usage::Shared;
use crate::ui::main_window::vm_item::{HeaderLoad, HeaderStatus, ItemData, VmItem};
use crate::ui::main_window::vm_row::{Graphs, Row};

/// Where one connection stands.
#[derive(Debug)]
pub enum ConnStatus {
    /// Saved, not opened at start-up.
    Disconnected,
    /// Removed by the user: not shown, answers for it are ignored (indexes
    /// of the other connections stay valid).
    Removed,
    Connecting,
    Failed(String),
    Connected {
        conn: Connection,
        domains: Vec<DomainSummary>,
        /// Stops the statistics poll when this status is replaced.
        poll: PollGuard,
    },
}

/// Shared with a connection's statistics poll: stops it when dropped, and
/// says whether domain statistics are wanted at all (a running VM of the
/// connection on screen, or the list sorted by usage). Idle hosts, and
/// hosts whose running VMs are scrolled away, cost no statistics calls.
#[derive(Debug)]
pub struct PollGuard {
    pub alive: std::sync::Arc<std::sync::atomic::AtomicBool>,
    pub stats_wanted: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Wakes the poll at once when statistics become wanted.
    pub wake: std::sync::Arc<tokio::sync::Notify>,
}

impl PollGuard {
    pub fn new() -> PollGuard {
        PollGuard {
            alive: std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true)),
            stats_wanted: Default::default(),
            wake: Default::default(),
        }
    }

    /// Say whether statistics are wanted; wake the poll when they become so.
    pub fn want_stats(&self, wanted: bool) {
        use std::sync::atomic::Ordering;
        if !self.stats_wanted.swap(wanted, Ordering::SeqCst) && wanted {
            self.wake.notify_one();
        }
    }
}

impl Drop for PollGuard {
    fn drop(&mut self) {
        self.alive.store(false, std::sync::atomic::Ordering::SeqCst);
        self.wake.notify_one();
    }
}

/// One connection as the main window shows it.
#[derive(Debug)]
pub struct ConnectionView {
    pub uri: String,
    pub status: ConnStatus,
    /// Automatic reconnect attempts since the connection was lost (0: none).
    pub reconnects: u32,
    /// The VMs a lost connection had, still listed (dimmed) while the first
    /// quick reconnect attempts run: a restarted daemon costs no rows.
    pub kept: Vec<DomainSummary>,
}

/// The words for a state, as virt-manager's users know them.
pub fn state_label(state: DomainState) -> String {
    match state {
        DomainState::Running | DomainState::Blocked => gettext("Running"),
        DomainState::Paused => gettext("Paused"),
        DomainState::ShuttingDown => gettext("Shutting Down"),
        DomainState::ShutOff => gettext("Shut Off"),
        DomainState::Crashed => gettext("Crashed"),
        DomainState::PmSuspended => gettext("Suspended"),
        DomainState::NoState => gettext("Unknown"),
    }
}

pub fn state_icon(state: DomainState) -> (&'static str, Option<&'static str>) {
    match state {
        DomainState::Running | DomainState::Blocked => {
            ("media-playback-start-symbolic", Some("vm-state-running"))
        }
        DomainState::Paused | DomainState::PmSuspended => {
            ("media-playback-pause-symbolic", Some("vm-state-paused"))
        }
        DomainState::Crashed => ("dialog-error-symbolic", Some("vm-state-crashed")),
        DomainState::ShuttingDown => ("system-shutdown-symbolic", None),
        DomainState::ShutOff | DomainState::NoState => ("media-playback-stop-symbolic", None),
    }
}

/// The words for a power action, as menus show them.
pub fn action_label(action: PowerAction) -> String {
    match action {
        PowerAction::Run => gettext("Run"),
        PowerAction::Pause => gettext("Pause"),
        PowerAction::Resume => gettext("Resume"),
        PowerAction::ShutDown => gettext("Shut Down"),
        PowerAction::Reboot => gettext("Reboot"),
        PowerAction::ForceReset => gettext("Force Reset"),
        PowerAction::ForceOff => gettext("Force Off"),
        PowerAction::Save => gettext("Save"),
    }
}

/// What a row says while an action runs.
pub fn action_progress(action: PowerAction) -> String {
    match action {
        PowerAction::Run => gettext("Starting…"),
        PowerAction::Pause => gettext("Pausing…"),
        PowerAction::Resume => gettext("Resuming…"),
        PowerAction::ShutDown => gettext("Shutting down…"),
        PowerAction::Reboot => gettext("Rebooting…"),
        PowerAction::ForceReset => gettext("Resetting…"),
        PowerAction::ForceOff => gettext("Forcing off…"),
        PowerAction::Save => gettext("Saving…"),
    }
}

/// The stable name of a power action inside action targets.
pub fn action_id(action: PowerAction) -> &'static str {
    match action {
        PowerAction::Run => "run",
        PowerAction::Pause => "pause",
        PowerAction::Resume => "resume",
        PowerAction::ShutDown => "shutdown",
        PowerAction::Reboot => "reboot",
        PowerAction::ForceReset => "reset",
        PowerAction::ForceOff => "destroy",
        PowerAction::Save => "save",
    }
}

/// The inverse of [`action_id`].
pub fn action_from_id(id: &str) -> Option<PowerAction> {
    PowerAction::ALL.into_iter().find(|a| action_id(*a) == id)
}

/// The menu of a VM's row: the power actions its state allows, then Clone,
/// Migrate and Delete.
/// Targets are `"{connection index}\t{uuid}\t{action}"` for `win.vm-power`
/// and `"{connection index}\t{uuid}"` for `win.vm-clone`, `win.vm-migrate`
/// and `win.vm-delete`.
pub fn domain_menu(index: usize, domain: &DomainSummary) -> gio::Menu {
    let menu = gio::Menu::new();
    let power = gio::Menu::new();
    for action in PowerAction::available(domain.state) {
        let target = format!("{index}\t{}\t{}", domain.uuid, action_id(*action));
        power.append(
            Some(&action_label(*action)),
            Some(&gio::Action::print_detailed_name(
                "win.vm-power",
                Some(&target.to_variant()),
            )),
        );
    }
    menu.append_section(None, &power);
    let delete = gio::Menu::new();
    let target = format!("{index}\t{}", domain.uuid);
    delete.append(
        Some(&gettext("Clone…")),
        Some(&gio::Action::print_detailed_name(
            "win.vm-clone",
            Some(&target.to_variant()),
        )),
    );
    delete.append(
        Some(&gettext("Migrate…")),
        Some(&gio::Action::print_detailed_name(
            "win.vm-migrate",
            Some(&target.to_variant()),
        )),
    );
    delete.append(
        Some(&gettext("Delete…")),
        Some(&gio::Action::print_detailed_name(
            "win.vm-delete",
            Some(&target.to_variant()),
        )),
    );
    menu.append_section(None, &delete);
    menu
}

/// The header bar's menu of less common actions on the selected VM.
pub fn selection_power_menu() -> gio::Menu {
    let menu = gio::Menu::new();
    let power = gio::Menu::new();
    for (label, action) in [
        (gettext("Reboot"), "win.sel-reboot"),
        (gettext("Force Reset"), "win.sel-reset"),
        (gettext("Force Off"), "win.sel-destroy"),
        (gettext("Save"), "win.sel-save"),
    ] {
        power.append(Some(&label), Some(action));
    }
    menu.append_section(None, &power);
    let delete = gio::Menu::new();
    delete.append(Some(&gettext("Clone…")), Some("win.sel-clone"));
    delete.append(Some(&gettext("Migrate…")), Some("win.sel-migrate"));
    delete.append(Some(&gettext("Delete…")), Some("win.sel-delete"));
    menu.append_section(None, &delete);
    menu
}

/// The sort menu: radio items on the `list-sort` setting.
pub fn sort_menu() -> gio::Menu {
    let menu = gio::Menu::new();
    for (label, key) in [
        (gettext("Name"), SortKey::Name),
        (gettext("State"), SortKey::State),
        (gettext("CPU Usage"), SortKey::Cpu),
        (gettext("Memory Usage"), SortKey::Memory),
    ] {
        menu.append(
            Some(&label),
            Some(&gio::Action::print_detailed_name(
                "win.list-sort",
                Some(&key.id().to_variant()),
            )),
        );
    }
    let section = gio::Menu::new();
    section.append_section(Some(&gettext("Sort By")), &menu);
    section
}

/// What the list is sorted by (within each connection).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Name,
    State,
    Cpu,
    Memory,
}

impl SortKey {
    pub fn id(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::State => "state",
            SortKey::Cpu => "cpu",
            SortKey::Memory => "memory",
        }
    }

    pub fn from_id(id: &str) -> SortKey {
        match id {
            "state" => SortKey::State,
            "cpu" => SortKey::Cpu,
            "memory" => SortKey::Memory,
            _ => SortKey::Name,
        }
    }
}

/// Running first, shut off last: what users look for first.
fn state_rank(state: DomainState) -> u8 {
    match state {
        DomainState::Running | DomainState::Blocked => 0,
        DomainState::Paused => 1,
        DomainState::PmSuspended => 2,
        DomainState::ShuttingDown => 3,
        DomainState::Crashed => 4,
        DomainState::ShutOff => 5,
        DomainState::NoState => 6,
    }
}

/// How several hosts' VMs are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HostView {
    /// Every host, each with its header and its VMs.
    #[default]
    Grouped,
    /// Every host's VMs in one list, sorted across hosts, no headers.
    OneList,
    /// One host (a connection index) only.
    Only(usize),
}

impl HostView {
    fn shows(self, item: &ItemData) -> bool {
        match (self, item) {
            (HostView::OneList, ItemData::Header { .. }) => false,
            (HostView::Only(i), item) => item.index() == i,
            _ => true,
        }
    }
}

/// Compare two items: connection (unless `one_list`), then its header, then
/// by `key`, then by name.
fn compare(a: &ItemData, b: &ItemData, key: SortKey, one_list: bool) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let by_index = a.index().cmp(&b.index());
    if by_index != Ordering::Equal && !one_list {
        return by_index;
    }
    match (a, b) {
        (ItemData::Header { .. }, ItemData::Header { .. }) => Ordering::Equal,
        (ItemData::Header { .. }, _) => Ordering::Less,
        (_, ItemData::Header { .. }) => Ordering::Greater,
        (
            ItemData::Vm {
                summary: sa,
                history: ha,
                ..
            },
            ItemData::Vm {
                summary: sb,
                history: hb,
                ..
            },
        ) => {
            let latest =
                |h: &Option<Shared>, f: fn(&crate::core::libvirt::Usage) -> Option<f64>| {
                    h.as_ref()
                        .and_then(|h| h.borrow().last.as_ref().and_then(f))
                        .unwrap_or(-1.0)
                };
            let first = match key {
                SortKey::Name => Ordering::Equal,
                SortKey::State => state_rank(sa.state).cmp(&state_rank(sb.state)),
                // Busiest first.
                SortKey::Cpu => {
                    latest(hb, |u| u.cpu_percent).total_cmp(&latest(ha, |u| u.cpu_percent))
                }
                SortKey::Memory => {
                    let mem = |s: &DomainSummary, h: &Option<Shared>| {
                        if s.state.is_active() {
                            latest(h, |u| u.memory_kib.map(|k| k as f64)).max(s.memory_kib as f64)
                        } else {
                            -1.0
                        }
                    };
                    mem(sb, hb).total_cmp(&mem(sa, ha))
                }
            };
            first
                .then_with(|| natural_cmp(&sa.name, &sb.name))
                .then_with(|| by_index)
                .then_with(|| sa.uuid.cmp(&sb.uuid))
        }
    }
}

/// Case-insensitive, with digit runs compared as numbers ("vm2" before "vm10").
fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (mut a, mut b) = (a.chars().peekable(), b.chars().peekable());
    loop {
        match (a.peek().copied(), b.peek().copied()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let take = |it: &mut std::iter::Peekable<std::str::Chars>| {
                    let mut digits = String::new();
                    while let Some(c) = it.peek().copied().filter(char::is_ascii_digit) {
                        digits.push(c);
                        it.next();
                    }
                    digits
                };
                let (da, db) = (take(&mut a), take(&mut b));
                let (ta, tb) = (da.trim_start_matches('0'), db.trim_start_matches('0'));
                let order = ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb));
                if order != Ordering::Equal {
                    return order;
                }
            }
            (Some(x), Some(y)) => {
                let order = x.to_lowercase().cmp(y.to_lowercase());
                if order != Ordering::Equal {
                    return order;
                }
                a.next();
                b.next();
            }
        }
    }
}

/// Whether a VM matches the search text (case-insensitive, name or title).
pub fn matches_query(summary: &DomainSummary, query: &str) -> bool {
    if query.is_empty() {
        return true;
    }
    let query = query.to_lowercase();
    summary.name.to_lowercase().contains(&query)
        || summary
            .title
            .as_deref()
            .is_some_and(|t| t.to_lowercase().contains(&query))
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Header(usize),
    Vm(usize, String),
}

thread_local! {
    static TRACE_WATCHING: Cell<bool> = const { Cell::new(false) };
    static TRACE_PRINTED: Cell<bool> = const { Cell::new(false) };
}

/// With `VIREO_TRACE_STARTUP` set, print once when the first VM rows
/// have been painted (the list benchmark reads it).
fn report_first_rows(widget: &gtk::Widget) {
    // The flag first: binds are frequent, environment lookups are not free.
    if TRACE_WATCHING.with(|w| w.replace(true)) || std::env::var_os("VIREO_TRACE_STARTUP").is_none()
    {
        return;
    }
    widget.connect_map(|widget| {
        if TRACE_PRINTED.with(Cell::get) {
            return;
        }
        let Some(clock) = widget.frame_clock() else {
            return;
        };
        let slot: Rc<Cell<Option<gtk::glib::SignalHandlerId>>> = Rc::default();
        let inner = slot.clone();
        let id = clock.connect_after_paint(move |clock| {
            if !TRACE_PRINTED.with(|p| p.replace(true)) {
                crate::ui::trace("first rows painted");
            }
            if let Some(id) = inner.take() {
                clock.disconnect(id);
            }
        });
        slot.set(Some(id));
    });
}

/// Draw `item` in `row`, or let the row wait when that would make widgets
/// for an item far from the screen (see [`Nearby`]).
fn present(list_item: &gtk::ListItem, row: &Row, item: &VmItem, graphs: Graphs, nearby: &Nearby) {
    if row.waits_for(item) && !nearby.covers(list_item.position()) {
        set_inert(list_item, item);
        row.render_waiting(item, nearby.row_height());
        nearby.wait(list_item, row);
    } else {
        show(list_item, row, item, graphs);
        nearby.made(row);
    }
}

/// Headers, and the VMs of a host lost a moment ago, cannot be selected
/// or activated.
fn set_inert(list_item: &gtk::ListItem, item: &VmItem) {
    let inert = item.with(|d| {
        matches!(
            d,
            ItemData::Header { .. }
                | ItemData::Vm {
                    unreachable: true,
                    ..
                }
        )
    });
    list_item.set_selectable(!inert);
    list_item.set_activatable(!inert);
}

/// Draw `item` in `row`, the child of `list_item`.
fn show(list_item: &gtk::ListItem, row: &Row, item: &VmItem, graphs: Graphs) {
    set_inert(list_item, item);
    row.render(item, graphs);
}

/// Whether an item's new data would draw the same row as its old.
fn same(old: &ItemData, new: &ItemData) -> bool {
    match (old, new) {
        (
            ItemData::Header {
                index: i,
                uri: u,
                status: s,
            },
            ItemData::Header { index, uri, status },
        ) => i == index && u == uri && s == status,
        (
            ItemData::Vm {
                index: i,
                summary: s,
                history: h,
                busy: b,
                addresses: a,
                host: o,
                unreachable: u,
            },
            ItemData::Vm {
                index,
                summary,
                history,
                busy,
                addresses,
                host,
                unreachable,
            },
        ) => {
            i == index
                && u == unreachable
                && s == summary
                && b == busy
                && a == addresses
                && o == host
                && match (h, history) {
                    (Some(h), Some(history)) => Rc::ptr_eq(h, history),
                    (None, None) => true,
                    _ => false,
                }
        }
        _ => false,
    }
}

/// Call `f` once, right after `widget`'s next frame is painted (or after
/// 300 ms, should no frame come: a minimised window paints none).
fn after_next_paint(widget: &gtk::Widget, f: impl Fn() + 'static) {
    let f = Rc::new(f);
    let fallback = f.clone();
    glib::timeout_add_local_once(std::time::Duration::from_millis(300), move || fallback());
    let hook = move |widget: &gtk::Widget| {
        let Some(clock) = widget.frame_clock() else {
            return;
        };
        let slot: Rc<Cell<Option<glib::SignalHandlerId>>> = Rc::default();
        let inner = slot.clone();
        let f = f.clone();
        let id = clock.connect_after_paint(move |clock| {
            if let Some(id) = inner.take() {
                clock.disconnect(id);
                // Outside the paint: the new items make rows.
                let f = f.clone();
                glib::idle_add_local_once(move || f());
            }
        });
        slot.set(Some(id));
        clock.request_phase(gtk::gdk::FrameClockPhase::PAINT);
    };
    if widget.frame_clock().is_some() {
        hook(widget);
    } else {
        let slot: Rc<Cell<Option<glib::SignalHandlerId>>> = Rc::default();
        let inner = slot.clone();
        let id = widget.connect_realize(move |widget| {
            if let Some(id) = inner.take() {
                widget.disconnect(id);
            }
            hook(widget);
        });
        slot.set(Some(id));
    }
}

/// What to call when the list's rows are bound or unbound.
type RowsChanged = Rc<RefCell<Option<Box<dyn Fn()>>>>;

/// The list, its model and its state.
pub struct VmList {
    pub view: gtk::ListView,
    store: gio::ListStore,
    filter: gtk::CustomFilter,
    filtered: gtk::FilterListModel,
    sorter: gtk::CustomSorter,
    pub selection: gtk::SingleSelection,
    items: HashMap<Key, VmItem>,
    query: Rc<RefCell<String>>,
    sort: Rc<Cell<SortKey>>,
    graphs: Rc<Cell<Graphs>>,
    hosts: Rc<Cell<HostView>>,
    /// Called when the rows shown change (bound or unbound).
    on_rows: RowsChanged,
    /// Items of a large arrival that join the model after the first frame
    /// (see [`VmList::add`]).
    pending: Rc<RefCell<Vec<VmItem>>>,
}

/// When many VMs arrive at once, about a window's worth of rows (the first
/// in the list's order) is made and painted first; the rest join the model
/// right after that frame. GTK makes and binds up to 200 rows whenever a
/// list view's model fills, which otherwise delays the first paint.
const FIRST_ITEMS: usize = 48;

impl VmList {
    pub fn new() -> VmList {
        let store = gio::ListStore::new::<VmItem>();
        let query: Rc<RefCell<String>> = Rc::default();
        let sort: Rc<Cell<SortKey>> = Rc::default();
        let graphs: Rc<Cell<Graphs>> = Rc::default();
        let hosts: Rc<Cell<HostView>> = Rc::default();
        let on_rows: RowsChanged = Rc::default();
        let filter = {
            let query = query.clone();
            let hosts = hosts.clone();
            gtk::CustomFilter::new(move |obj| {
                let Some(item) = obj.downcast_ref::<VmItem>() else {
                    return false;
                };
                item.with(|d| {
                    hosts.get().shows(d)
                        && match d {
                            ItemData::Header { .. } => true,
                            ItemData::Vm { summary, .. } => matches_query(summary, &query.borrow()),
                        }
                })
            })
        };
        let filtered = gtk::FilterListModel::new(Some(store.clone()), Some(filter.clone()));
        let sorter = {
            let sort = sort.clone();
            let hosts = hosts.clone();
            gtk::CustomSorter::new(move |a, b| {
                let (Some(a), Some(b)) = (a.downcast_ref::<VmItem>(), b.downcast_ref::<VmItem>())
                else {
                    return gtk::Ordering::Equal;
                };
                let one_list = hosts.get() == HostView::OneList;
                a.with(|a| b.with(|b| compare(a, b, sort.get(), one_list)))
                    .into()
            })
        };
        let sorted = gtk::SortListModel::new(Some(filtered.clone()), Some(sorter.clone()));
        let selection = gtk::SingleSelection::new(Some(sorted));
        selection.set_autoselect(false);
        selection.set_can_unselect(true);

        let factory = gtk::SignalListItemFactory::new();
        factory.connect_setup(|_, obj| {
            if let Some(list_item) = obj.downcast_ref::<gtk::ListItem>() {
                let row = Row::default();
                list_item.set_child(Some(&row.root));
                // SAFETY: read back in bind with the same type.
                unsafe { list_item.set_data("vireo-row", row) };
            }
        });
        let nearby = Nearby::new();
        {
            let graphs = graphs.clone();
            let on_rows = on_rows.clone();
            let nearby = nearby.clone();
            factory.connect_bind(move |_, obj| {
                let Some(list_item) = obj.downcast_ref::<gtk::ListItem>() else {
                    return;
                };
                let Some(item) = list_item.item().and_downcast::<VmItem>() else {
                    return;
                };
                // SAFETY: set in setup with this type, never removed.
                let Some(row) = (unsafe { list_item.data::<Row>("vireo-row") }) else {
                    return;
                };
                let row = unsafe { row.as_ref() }.clone();
                let header = item.with(|d| matches!(d, ItemData::Header { .. }));
                present(list_item, &row, &item, graphs.get(), &nearby);
                if !header {
                    report_first_rows(row.root.upcast_ref());
                }
                let graphs = graphs.clone();
                let list_item = list_item.downgrade();
                let nearby = Rc::downgrade(&nearby);
                item.set_refresh(Some(Box::new(move |item| {
                    if let (Some(list_item), Some(nearby)) = (list_item.upgrade(), nearby.upgrade())
                    {
                        present(&list_item, &row, item, graphs.get(), &nearby);
                    }
                })));
                if let Some(f) = on_rows.borrow().as_ref() {
                    f();
                }
            });
        }
        {
            let on_rows = on_rows.clone();
            factory.connect_unbind(move |_, obj| {
                if let Some(item) = obj
                    .downcast_ref::<gtk::ListItem>()
                    .and_then(|l| l.item())
                    .and_downcast::<VmItem>()
                {
                    item.set_refresh(None);
                    if let Some(f) = on_rows.borrow().as_ref() {
                        f();
                    }
                }
            });
        }

        let view = gtk::ListView::new(Some(selection.clone()), Some(factory));
        view.add_css_class("vm-list");
        crate::ui::a11y::AccessibleLabelExt::set_accessible_label(
            &view,
            &gettext("Virtual Machines"),
        );
        view.set_single_click_activate(false);
        {
            let graphs = graphs.clone();
            nearby.attach(
                &view,
                &selection,
                Box::new(move |list_item, row, item| show(list_item, row, item, graphs.get())),
            );
        }
        VmList {
            view,
            store,
            filter,
            filtered,
            sorter,
            selection,
            items: HashMap::new(),
            query,
            sort,
            graphs,
            hosts,
            on_rows,
            pending: Rc::default(),
        }
    }

    /// Add new items to the model: all at once when they are few, else the
    /// first [`FIRST_ITEMS`] now and the rest after the next frame.
    fn add(&self, mut added: Vec<VmItem>) {
        if added.len() <= 2 * FIRST_ITEMS {
            self.store.extend_from_slice(&added);
            return;
        }
        let key = self.sort.get();
        let one_list = self.hosts.get() == HostView::OneList;
        // Those shown first: passing the filter, then in the list's order.
        added.sort_by(|a, b| {
            let shown = |i: &VmItem| !self.filter.match_(i);
            shown(a)
                .cmp(&shown(b))
                .then_with(|| a.with(|a| b.with(|b| compare(a, b, key, one_list))))
        });
        let rest = added.split_off(FIRST_ITEMS);
        self.store.extend_from_slice(&added);
        self.pending.borrow_mut().extend(rest);
        let flush = {
            let store = self.store.downgrade();
            let pending = Rc::downgrade(&self.pending);
            move || {
                if let (Some(store), Some(pending)) = (store.upgrade(), pending.upgrade()) {
                    let rest = pending.take();
                    if !rest.is_empty() {
                        store.extend_from_slice(&rest);
                    }
                }
            }
        };
        after_next_paint(self.view.upcast_ref(), flush);
    }

    /// Remove `gone` from the model, a run of neighbours at a time (a
    /// lost host's VMs are one run): one change for the views per run, not
    /// one per VM (each change costs the sorted view a pass over the whole
    /// list). With more than a few runs the model is replaced by what stays,
    /// in one change.
    fn remove(&self, gone: &HashSet<VmItem>) {
        if gone.is_empty() {
            return;
        }
        let all: Vec<VmItem> = (0..self.store.n_items())
            .filter_map(|i| self.store.item(i).and_downcast::<VmItem>())
            .collect();
        let going: Vec<bool> = all.iter().map(|item| gone.contains(item)).collect();
        // Runs of neighbours going, as (start, length), last first.
        let mut runs = Vec::new();
        let mut i = all.len();
        while i > 0 {
            i -= 1;
            if going[i] {
                let end = i + 1;
                while i > 0 && going[i - 1] {
                    i -= 1;
                }
                runs.push((i, end - i));
            }
        }
        const FEW_RUNS: usize = 3;
        if runs.len() <= FEW_RUNS {
            for (start, len) in runs {
                self.store
                    .splice(start as u32, len as u32, &[] as &[VmItem]);
            }
        } else {
            let kept: Vec<VmItem> = all
                .into_iter()
                .zip(going)
                .filter_map(|(item, going)| (!going).then_some(item))
                .collect();
            self.store.splice(0, self.store.n_items(), &kept);
        }
    }

    /// Put any items still waiting for the first frame into the model now.
    fn flush_pending(&self) {
        let rest = self.pending.take();
        if !rest.is_empty() {
            self.store.extend_from_slice(&rest);
        }
    }

    /// Call `f` whenever the rows shown change.
    pub fn connect_rows_changed(&self, f: impl Fn() + 'static) {
        self.on_rows.replace(Some(Box::new(f)));
    }

    /// Whether connection `index` has a running VM whose usage a row shows
    /// (or would, sorted by usage): its statistics are wanted then.
    pub fn wants_stats(&self, index: usize) -> bool {
        let by_usage = matches!(self.sort.get(), SortKey::Cpu | SortKey::Memory);
        self.items.iter().any(|(key, item)| {
            matches!(key, Key::Vm(i, _) if *i == index)
                && (by_usage || item.is_bound())
                && item.with(
                    |d| matches!(d, ItemData::Vm { summary, .. } if summary.state.is_active()),
                )
        })
    }

    /// Make the model show `connections` (with their usage), creating and
    /// dropping items only for VMs that appeared or went away.
    pub fn sync(
        &mut self,
        connections: &[ConnectionView],
        usage: &HashMap<(usize, String), Shared>,
    ) {
        self.flush_pending();
        let mut wanted: Vec<(Key, ItemData)> = Vec::new();
        for (index, view) in connections.iter().enumerate() {
            let status = match &view.status {
                ConnStatus::Removed => continue,
                ConnStatus::Disconnected => HeaderStatus::Disconnected,
                ConnStatus::Connecting => HeaderStatus::Connecting,
                ConnStatus::Failed(m) => HeaderStatus::Failed(m.clone()),
                ConnStatus::Connected { domains, .. } => HeaderStatus::Connected {
                    count: domains.len(),
                    load: None,
                },
            };
            wanted.push((
                Key::Header(index),
                ItemData::Header {
                    index,
                    uri: view.uri.clone(),
                    status,
                },
            ));
            let (domains, unreachable) = match &view.status {
                ConnStatus::Connected { domains, .. } => (&domains[..], false),
                ConnStatus::Failed(_) => (&view.kept[..], true),
                _ => (&[][..], false),
            };
            if !domains.is_empty() {
                let host: Rc<str> = crate::core::uri::host_label(&view.uri).into();
                for d in domains {
                    let key = (index, d.uuid.clone());
                    wanted.push((
                        Key::Vm(index, d.uuid.clone()),
                        ItemData::Vm {
                            index,
                            summary: d.clone(),
                            history: usage.get(&key).cloned(),
                            busy: None,
                            addresses: Vec::new(),
                            host: host.clone(),
                            unreachable,
                        },
                    ));
                }
            }
        }
        let keys: HashSet<&Key> = wanted.iter().map(|(k, _)| k).collect();
        let gone: Vec<Key> = self
            .items
            .keys()
            .filter(|k| !keys.contains(k))
            .cloned()
            .collect();
        let gone: HashSet<VmItem> = gone
            .iter()
            .filter_map(|key| self.items.remove(key))
            .collect();
        self.remove(&gone);
        let mut added = Vec::new();
        // Whether an item already in the model may have moved in the order.
        let mut moved = false;
        for (key, mut data) in wanted {
            match self.items.get(&key) {
                Some(item) => {
                    item.with(|old| {
                        match (old, &mut data) {
                            // A connected host's header keeps its load.
                            (
                                ItemData::Header {
                                    status: HeaderStatus::Connected { load: known, .. },
                                    ..
                                },
                                ItemData::Header {
                                    status: HeaderStatus::Connected { load, .. },
                                    ..
                                },
                            ) => *load = *known,
                            // Keep what only the list knows (busy marks, addresses).
                            (
                                ItemData::Vm {
                                    busy: keep,
                                    addresses: known,
                                    summary: was,
                                    ..
                                },
                                ItemData::Vm {
                                    busy,
                                    addresses,
                                    summary,
                                    ..
                                },
                            ) => {
                                *busy = keep.clone();
                                if summary.state.is_active() {
                                    *addresses = known.clone();
                                }
                                moved |= was.name != summary.name
                                    || was.state != summary.state
                                    || was.memory_kib != summary.memory_kib;
                            }
                            _ => {}
                        }
                    });
                    // An unchanged item keeps its row as drawn.
                    if !item.with(|old| same(old, &data)) {
                        item.update(|old| *old = data);
                    }
                }
                None => {
                    let item = VmItem::new(data);
                    self.items.insert(key, item.clone());
                    added.push(item);
                }
            }
        }
        // Items inserted into a sorted model are placed in order; only those
        // already there may have moved.
        if moved {
            self.sorter.changed(gtk::SorterChange::Different);
        }
        if !added.is_empty() {
            self.add(added);
        }
    }

    /// New usage figures for one VM: its row redraws in place.
    pub fn show_usage(&self, index: usize, uuid: &str, history: &Shared) {
        if let Some(item) = self.items.get(&Key::Vm(index, uuid.to_owned())) {
            item.update(|d| {
                if let ItemData::Vm { history: h, .. } = d
                    && !h.as_ref().is_some_and(|h| std::rc::Rc::ptr_eq(h, history))
                {
                    *h = Some(history.clone());
                }
            });
        }
    }

    /// A connected host's load, in its header.
    pub fn show_load(&self, index: usize, new: HeaderLoad) {
        if let Some(item) = self.items.get(&Key::Header(index)) {
            // A figure that reads the same costs no redraw.
            let same = item.with(|d| {
                matches!(d, ItemData::Header {
                    status: HeaderStatus::Connected { load: Some(old), .. },
                    ..
                } if super::usage::load_text(old) == super::usage::load_text(&new))
            });
            if same {
                return;
            }
            item.update(|d| {
                if let ItemData::Header {
                    status: HeaderStatus::Connected { load, .. },
                    ..
                } = d
                {
                    *load = Some(new);
                }
            });
        }
    }

    /// Show every host grouped, in one list, or one host only.
    pub fn set_host_view(&self, view: HostView) {
        if self.hosts.replace(view) == view {
            return;
        }
        let mut graphs = self.graphs.get();
        graphs.host = view == HostView::OneList;
        self.set_graphs(graphs);
        self.filter.changed(gtk::FilterChange::Different);
        self.sorter.changed(gtk::SorterChange::Different);
    }

    pub fn host_view(&self) -> HostView {
        self.hosts.get()
    }

    /// A running guest's addresses, best first.
    pub fn show_addresses(&self, index: usize, uuid: &str, addresses: Vec<String>) {
        if let Some(item) = self.items.get(&Key::Vm(index, uuid.to_owned())) {
            let same =
                item.with(|d| matches!(d, ItemData::Vm { addresses: a, .. } if *a == addresses));
            if !same {
                item.update(|d| {
                    if let ItemData::Vm { addresses: a, .. } = d {
                        *a = addresses;
                    }
                });
            }
        }
    }

    /// After a round of statistics: usage orders may have changed.
    pub fn resort_by_usage(&self) {
        if matches!(self.sort.get(), SortKey::Cpu | SortKey::Memory) {
            self.sorter.changed(gtk::SorterChange::Different);
        }
    }

    /// Mark a VM busy with a slow action (`None`: done).
    pub fn set_busy(&self, index: usize, uuid: &str, busy: Option<String>) {
        if let Some(item) = self.items.get(&Key::Vm(index, uuid.to_owned())) {
            item.update(|d| {
                if let ItemData::Vm { busy: b, .. } = d {
                    *b = busy;
                }
            });
        }
    }

    pub fn set_query(&self, query: &str) {
        if *self.query.borrow() != query {
            self.query.replace(query.to_owned());
            self.filter.changed(gtk::FilterChange::Different);
        }
    }

    pub fn set_sort(&self, key: SortKey) {
        self.sort.set(key);
        self.sorter.changed(gtk::SorterChange::Different);
    }

    pub fn set_graphs(&self, mut graphs: Graphs) {
        graphs.host = self.hosts.get() == HostView::OneList;
        self.graphs.set(graphs);
        for item in self.items.values() {
            item.refresh();
        }
    }

    /// VMs that pass the search filter.
    pub fn matching_vms(&self) -> usize {
        let is_vm = |item: &VmItem| item.with(|d| matches!(d, ItemData::Vm { .. }));
        let shown = (0..self.filtered.n_items())
            .filter_map(|i| self.filtered.item(i).and_downcast::<VmItem>())
            .filter(is_vm)
            .count();
        let waiting = self.pending.borrow();
        shown
            + waiting
                .iter()
                .filter(|i| is_vm(i) && self.filter.match_(*i))
                .count()
    }

    /// The VM at a position of the view's model (none for a header, or for
    /// a VM of a host lost a moment ago: nothing can act on it).
    pub fn vm_at(&self, position: u32) -> Option<(usize, DomainSummary)> {
        let item = self.selection.item(position).and_downcast::<VmItem>()?;
        item.with(|d| match d {
            ItemData::Vm {
                index,
                summary,
                unreachable: false,
                ..
            } => Some((*index, summary.clone())),
            ItemData::Vm { .. } | ItemData::Header { .. } => None,
        })
    }

    /// The selected VM, if a VM (not a header) is selected.
    pub fn selected(&self) -> Option<(usize, DomainSummary)> {
        let position = self.selection.selected();
        if position == gtk::INVALID_LIST_POSITION {
            return None;
        }
        self.vm_at(position)
    }
}

impl Default for VmList {
    fn default() -> Self {
        VmList::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_naturally_and_case_insensitively() {
        let mut names = vec!["vm10", "Vm2", "alpha", "vm1", "Beta", "vm02b"];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(names, ["alpha", "Beta", "vm1", "Vm2", "vm02b", "vm10"]);
    }
}
