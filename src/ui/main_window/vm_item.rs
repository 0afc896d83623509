//! One entry of the VM list model: a connection's header or one of its VMs.
//!
//! Items are plain data holders; the list view binds a recycled row widget
//! to whichever items are on screen, so 1000 VMs cost 1000 small objects and
//! about a screenful of widgets.

use std::cell::RefCell;

use relm4::gtk::glib;
use relm4::gtk::subclass::prelude::*;

use crate::core::libvirt::DomainSummary;
use crate::ui::main_window::usage::Shared;

/// Where a connection stands, as its header row shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum HeaderStatus {
    Disconnected,
    Connecting,
    Failed(String),
    Connected {
        count: usize,
        /// The host's load, once two samples are in.
        load: Option<HeaderLoad>,
    },
}

/// A host's CPU and memory use, for its header.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct HeaderLoad {
    pub cpu_percent: Option<f64>,
    pub memory_used_kib: Option<u64>,
    pub memory_total_kib: Option<u64>,
}

#[derive(Debug, Clone)]
pub enum ItemData {
    Header {
        index: usize,
        uri: String,
        status: HeaderStatus,
    },
    Vm {
        index: usize,
        summary: DomainSummary,
        /// Usage while running (none kept for a stopped VM).
        history: Option<Shared>,
        /// A slow action in flight ("Shutting down…").
        busy: Option<String>,
        /// A running guest's IP addresses, best first.
        addresses: Vec<String>,
        /// Its host, as the one-list view names it.
        host: std::rc::Rc<str>,
        /// Its host was lost a moment ago: shown as last known, dimmed.
        unreachable: bool,
    },
}

impl ItemData {
    pub fn index(&self) -> usize {
        match self {
            ItemData::Header { index, .. } | ItemData::Vm { index, .. } => *index,
        }
    }
}

/// Redraws the row that shows an item.
pub type Refresh = Box<dyn Fn(&VmItem)>;

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct VmItem {
        pub data: RefCell<Option<ItemData>>,
        /// Called with the item whenever its data changes, while a row shows it.
        pub refresh: RefCell<Option<super::Refresh>>,
        /// How many rows show it (the list view's rows on and near screen).
        pub bound: std::cell::Cell<u32>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for VmItem {
        const NAME: &'static str = "VireoVmItem";
        type Type = super::VmItem;
    }

    impl ObjectImpl for VmItem {}
}

glib::wrapper! {
    pub struct VmItem(ObjectSubclass<imp::VmItem>);
}

impl VmItem {
    pub fn new(data: ItemData) -> VmItem {
        let item: VmItem = glib::Object::new();
        item.imp().data.replace(Some(data));
        item
    }

    /// Read the item's data.
    pub fn with<R>(&self, f: impl FnOnce(&ItemData) -> R) -> R {
        f(self.imp().data.borrow().as_ref().expect("items carry data"))
    }

    /// Change the item's data and redraw its row if one shows it.
    pub fn update(&self, f: impl FnOnce(&mut ItemData)) {
        f(self
            .imp()
            .data
            .borrow_mut()
            .as_mut()
            .expect("items carry data"));
        self.refresh();
    }

    pub fn refresh(&self) {
        if let Some(refresh) = self.imp().refresh.borrow().as_ref() {
            refresh(self);
        }
    }

    /// Set (or clear) what redraws this item's row; counts the rows that
    /// show the item.
    pub fn set_refresh(&self, refresh: Option<Refresh>) {
        let bound = &self.imp().bound;
        if refresh.is_some() {
            bound.set(bound.get() + 1);
        } else {
            bound.set(bound.get().saturating_sub(1));
        }
        self.imp().refresh.replace(refresh);
    }

    /// Whether a row shows this item.
    pub fn is_bound(&self) -> bool {
        self.imp().bound.get() > 0
    }
}
