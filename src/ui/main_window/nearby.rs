//! Rows far from the screen wait to be made.
//!
//! GTK 4.8's list view binds up to 200 rows whatever the window shows
//! (GTK 4.12 makes only the visible ones): with every row's widgets made,
//! 200 rows of a large host cost ~6 MB. Here a row whose item lies more
//! than a page above or below the visible part gets no widgets, only the
//! height of a VM row and its list item's accessible name; it is made when
//! scrolling, a resize or a change of the list brings it near.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use relm4::gtk::{self, glib, prelude::*};

use crate::ui::main_window::vm_item::VmItem;
use crate::ui::main_window::vm_row::Row;

/// Before the list has a size: the height of a tall window.
const FIRST_PAGE_PX: f64 = 1200.0;
/// Rows made beyond a page above and below the visible part.
const SPARE_ROWS: f64 = 4.0;
/// A VM row's height until one has been measured.
const GUESS_ROW_PX: i32 = 46;

/// Makes a waiting row: `(list item, row, item)`.
pub type Make = Box<dyn Fn(&gtk::ListItem, &Row, &VmItem)>;

pub struct Nearby {
    view: glib::WeakRef<gtk::ListView>,
    row_height: Cell<i32>,
    /// A row with a VM's widgets, to learn the height of one.
    sample: RefCell<Option<glib::WeakRef<gtk::Box>>>,
    waiting: RefCell<Vec<(glib::WeakRef<gtk::ListItem>, Row)>>,
    queued: Cell<bool>,
    make: RefCell<Option<Make>>,
    /// The adjustment being followed, and its two handlers.
    followed: RefCell<Option<(gtk::Adjustment, [glib::SignalHandlerId; 2])>>,
}

impl Nearby {
    pub fn new() -> Rc<Nearby> {
        Rc::new(Nearby {
            view: glib::WeakRef::new(),
            row_height: Cell::new(GUESS_ROW_PX),
            sample: RefCell::default(),
            waiting: RefCell::default(),
            queued: Cell::new(false),
            make: RefCell::default(),
            followed: RefCell::default(),
        })
    }

    /// Follow `view`'s scrolling and model; `make` makes a waiting row.
    pub fn attach(self: &Rc<Self>, view: &gtk::ListView, model: &gtk::SingleSelection, make: Make) {
        self.view.set(Some(view));
        self.make.replace(Some(make));
        let this = Rc::downgrade(self);
        view.connect_notify_local(Some("vadjustment"), move |view, _| {
            if let Some(this) = this.upgrade() {
                this.follow(view.vadjustment());
            }
        });
        self.follow(view.vadjustment());
        let this = Rc::downgrade(self);
        model.connect_items_changed(move |_, _, _, _| {
            if let Some(this) = this.upgrade() {
                this.queue_check();
            }
        });
    }

    fn follow(self: &Rc<Self>, adjustment: Option<gtk::Adjustment>) {
        if let Some((old, ids)) = self.followed.take() {
            for id in ids {
                old.disconnect(id);
            }
        }
        let Some(adjustment) = adjustment else {
            return;
        };
        let on_value = {
            let this = Rc::downgrade(self);
            adjustment.connect_value_changed(move |_| {
                if let Some(this) = this.upgrade() {
                    this.queue_check();
                }
            })
        };
        let on_size = {
            let this = Rc::downgrade(self);
            adjustment.connect_changed(move |_| {
                if let Some(this) = this.upgrade() {
                    this.queue_check();
                }
            })
        };
        self.followed
            .replace(Some((adjustment, [on_value, on_size])));
    }

    /// Whether the item at `position` is on screen or within a page of it.
    /// The list view's scroll range is its own estimate of every row's
    /// height (and lags behind a list that just grew or shrank), so the
    /// top of the screen is read as a fraction of it, and a page as a
    /// number of VM rows.
    pub fn covers(&self, position: u32) -> bool {
        let Some(view) = self.view.upgrade() else {
            return true;
        };
        let (Some(adjustment), Some(model)) = (view.vadjustment(), view.model()) else {
            return true;
        };
        let row = f64::from(self.row_height.get().max(1));
        let (upper, page) = (adjustment.upper(), adjustment.page_size());
        let position = f64::from(position);
        if upper <= 0.0 || page <= 0.0 {
            // Not laid out yet: the first screen of a tall window (the
            // rest is made once the list has its size).
            return position <= FIRST_PAGE_PX / row + SPARE_ROWS;
        }
        let top = adjustment.value() / upper * f64::from(model.n_items());
        let page_rows = page / row;
        position >= top - page_rows - SPARE_ROWS && position <= top + 2.0 * page_rows + SPARE_ROWS
    }

    /// The height a waiting row keeps.
    pub fn row_height(&self) -> i32 {
        self.row_height.get()
    }

    /// `row` shows a VM with its widgets: measure it once it is laid out.
    pub fn made(&self, row: &Row) {
        let mut sample = self.sample.borrow_mut();
        if sample.as_ref().and_then(|s| s.upgrade()).is_none() {
            *sample = Some(row.root.downgrade());
        }
    }

    /// `row`, bound to `list_item`, waits.
    pub fn wait(&self, list_item: &gtk::ListItem, row: &Row) {
        let mut waiting = self.waiting.borrow_mut();
        if !waiting
            .iter()
            .any(|(l, _)| l.upgrade().as_ref() == Some(list_item))
        {
            waiting.push((list_item.downgrade(), row.clone()));
        }
    }

    /// Check soon: after GTK has placed the rows of a changed list, and
    /// outside its layout (the adjustment changes while the list view
    /// allocates its rows, and rows made then would never be laid out).
    fn queue_check(self: &Rc<Self>) {
        if self.queued.replace(true) {
            return;
        }
        let this = Rc::downgrade(self);
        glib::idle_add_local_full(glib::Priority::HIGH_IDLE, move || {
            if let Some(this) = this.upgrade() {
                this.queued.set(false);
                this.check();
            }
            glib::ControlFlow::Break
        });
    }

    /// Make the waiting rows that are now near the screen.
    fn check(&self) {
        self.learn_height();
        let waiting = self.waiting.take();
        if waiting.is_empty() {
            return;
        }
        let make = self.make.borrow();
        let mut still = Vec::with_capacity(waiting.len());
        let mut near = Vec::new();
        for (weak, row) in waiting {
            // Gone or unbound: a new bind decides again.
            let Some(list_item) = weak.upgrade() else {
                continue;
            };
            let Some(item) = list_item.item().and_downcast::<VmItem>() else {
                continue;
            };
            if !row.waits_for(&item) {
                continue;
            }
            if self.covers(list_item.position()) {
                near.push((list_item, row, item));
            } else {
                row.set_waiting_height(self.row_height.get());
                still.push((weak, row));
            }
        }
        self.waiting.borrow_mut().extend(still);
        if let Some(make) = make.as_ref() {
            for (list_item, row, item) in near {
                make(&list_item, &row, &item);
            }
        }
    }

    fn learn_height(&self) {
        let sample = self.sample.borrow().as_ref().and_then(|s| s.upgrade());
        if let Some(height) = sample
            .filter(|s| s.has_css_class("vm"))
            .map(|s| s.height())
            .filter(|h| *h > 0)
        {
            self.row_height.set(height);
        }
    }
}
