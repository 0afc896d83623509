//! A guest's text console (a serial port, a virtio console) shown in a VTE
//! terminal. VTE is reached through `vte4-sys`: the `vte4` bindings of this
//! generation need GTK 4.10's accessible interface, and Debian 12 has 4.8.
//!
//! The view only shows bytes and reports what the user types; whoever
//! opened the console (libvirt's stream, in the core) moves the bytes. Like
//! the graphical console it takes the keyboard when focused (the app's
//! accelerators and the desktop's shortcuts pause) until the release combo
//! is pressed and let go. Ctrl+Shift+C and Ctrl+Shift+V copy and paste.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gtk::glib::translate::{FromGlibPtrNone, ToGlibPtr};
use gtk::{gdk, gio, glib, pango, prelude::*};

/// Lines of output kept above the screen.
const SCROLLBACK: i64 = 10_000;

type GrabListener = Box<dyn Fn(bool)>;
type InputListener = Box<dyn Fn(&[u8])>;

struct State {
    grabbed: Cell<bool>,
    armed: Cell<bool>,
    release: Cell<gdk::ModifierType>,
    on_grab: RefCell<Vec<GrabListener>>,
    on_input: RefCell<Option<InputListener>>,
}

/// A VTE terminal that shows one text console.
#[derive(Clone)]
pub struct TextView {
    widget: gtk::Widget,
    state: Rc<State>,
}

impl Default for TextView {
    fn default() -> Self {
        Self::new()
    }
}

impl TextView {
    pub fn new() -> TextView {
        // SAFETY: a new floating VteTerminal, owned by the Widget from here.
        let widget: gtk::Widget =
            unsafe { gtk::Widget::from_glib_none(vte_sys::vte_terminal_new() as *mut _) };
        widget.set_hexpand(true);
        widget.set_vexpand(true);
        widget.set_focusable(true);
        widget.add_css_class("console-text");
        let view = TextView {
            widget,
            state: Rc::new(State {
                grabbed: Cell::new(false),
                armed: Cell::new(false),
                release: Cell::new(gdk::ModifierType::CONTROL_MASK | gdk::ModifierType::ALT_MASK),
                on_grab: RefCell::default(),
                on_input: RefCell::default(),
            }),
        };
        // SAFETY: the terminal is alive for these calls.
        unsafe {
            vte_sys::vte_terminal_set_scrollback_lines(view.term(), SCROLLBACK);
        }
        view.follow_monospace_font();
        view.watch_input();
        view.watch_keys();
        view
    }

    fn term(&self) -> *mut vte_sys::VteTerminal {
        self.widget.as_ptr() as *mut vte_sys::VteTerminal
    }

    /// The terminal widget, to put in a window.
    pub fn widget(&self) -> &gtk::Widget {
        &self.widget
    }

    /// Show what the guest wrote.
    pub fn feed(&self, bytes: &[u8]) {
        // SAFETY: VTE copies the bytes.
        unsafe { vte_sys::vte_terminal_feed(self.term(), bytes.as_ptr(), bytes.len() as isize) };
    }

    /// The terminal's text (the scrollback and what is on screen).
    pub fn text(&self) -> String {
        let out = gio::MemoryOutputStream::new_resizable();
        // SAFETY: the terminal and the stream are alive; no error is asked for.
        let ok = unsafe {
            vte_sys::vte_terminal_write_contents_sync(
                self.term(),
                out.upcast_ref::<gio::OutputStream>().to_glib_none().0,
                vte_sys::VTE_WRITE_DEFAULT,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
        };
        if ok == 0 || out.close(None::<&gio::Cancellable>).is_err() {
            return String::new();
        }
        String::from_utf8_lossy(&out.steal_as_bytes()).into_owned()
    }

    /// Copy the selected text to the clipboard.
    pub fn copy(&self) {
        // SAFETY: the terminal is alive.
        unsafe {
            vte_sys::vte_terminal_copy_clipboard_format(self.term(), vte_sys::VTE_FORMAT_TEXT)
        };
    }

    /// Paste the clipboard's text into the console (it arrives as input).
    pub fn paste(&self) {
        // SAFETY: the terminal is alive.
        unsafe { vte_sys::vte_terminal_paste_clipboard(self.term()) };
    }

    /// Be told what the user types or pastes (the bytes to send).
    pub fn connect_input(&self, f: impl Fn(&[u8]) + 'static) {
        self.state.on_input.replace(Some(Box::new(f)));
    }

    /// The modifiers that release the keyboard when pressed and let go.
    pub fn set_release_modifiers(&self, mods: gdk::ModifierType) {
        self.state.release.set(mods);
    }

    pub fn release_modifiers(&self) -> gdk::ModifierType {
        self.state.release.get()
    }

    /// Called with `true` when the terminal takes the keyboard, `false`
    /// when it gives it back.
    pub fn connect_grab_changed(&self, f: impl Fn(bool) + 'static) {
        self.state.on_grab.borrow_mut().push(Box::new(f));
    }

    /// Take the keyboard (the app's accelerators and the desktop's
    /// shortcuts pause).
    pub fn grab(&self) {
        if self.state.grabbed.replace(true) {
            return;
        }
        self.widget.grab_focus();
        super::set_app_shortcuts(&self.widget, false);
        if let Some(toplevel) = self
            .widget
            .native()
            .and_then(|n| n.surface())
            .and_downcast::<gdk::Toplevel>()
        {
            toplevel.inhibit_system_shortcuts(None::<&gdk::Event>);
        }
        for f in self.state.on_grab.borrow().iter() {
            f(true);
        }
    }

    /// Give the keyboard back.
    pub fn ungrab(&self) {
        if !self.state.grabbed.replace(false) {
            return;
        }
        super::set_app_shortcuts(&self.widget, true);
        if let Some(toplevel) = self
            .widget
            .native()
            .and_then(|n| n.surface())
            .and_downcast::<gdk::Toplevel>()
        {
            toplevel.restore_system_shortcuts();
        }
        for f in self.state.on_grab.borrow().iter() {
            f(false);
        }
    }

    /// The desktop's monospace font (GNOME's setting), when it has one.
    fn follow_monospace_font(&self) {
        let Some(source) = gio::SettingsSchemaSource::default() else {
            return;
        };
        let Some(schema) = source.lookup("org.gnome.desktop.interface", true) else {
            return;
        };
        if !schema.has_key("monospace-font-name") {
            return;
        }
        let settings = gio::Settings::new("org.gnome.desktop.interface");
        let apply = {
            let term = self.widget.clone();
            move |settings: &gio::Settings| {
                let name = settings.string("monospace-font-name");
                let font = pango::FontDescription::from_string(&name);
                // SAFETY: VTE copies the description.
                unsafe {
                    vte_sys::vte_terminal_set_font(
                        term.as_ptr() as *mut vte_sys::VteTerminal,
                        font.to_glib_none().0,
                    )
                };
            }
        };
        apply(&settings);
        settings.connect_changed(Some("monospace-font-name"), move |s, _| apply(s));
        // The settings object lives as long as the terminal.
        // SAFETY: stored under a key only this module uses, as the type it is.
        unsafe { self.widget.set_data("vireo-font-settings", settings) };
    }

    fn watch_input(&self) {
        let state = Rc::downgrade(&self.state);
        self.widget.connect_local("commit", false, move |args| {
            let text: String = args.get(1).and_then(|v| v.get().ok()).unwrap_or_default();
            if let Some(state) = state.upgrade()
                && let Some(f) = state.on_input.borrow().as_ref()
            {
                f(text.as_bytes());
            }
            None
        });
    }

    fn watch_keys(&self) {
        let keys = gtk::EventControllerKey::new();
        // Before VTE, which takes every key.
        keys.set_propagation_phase(gtk::PropagationPhase::Capture);
        let view = self.downgrade();
        keys.connect_key_pressed(move |_, key, _, state| {
            let Some(view) = view.upgrade() else {
                return glib::Propagation::Proceed;
            };
            let ctrl_shift = gdk::ModifierType::CONTROL_MASK | gdk::ModifierType::SHIFT_MASK;
            let held = state & super::canvas::modifier_mask();
            if held == ctrl_shift && matches!(key, gdk::Key::C | gdk::Key::c) {
                view.copy();
                return glib::Propagation::Stop;
            }
            if held == ctrl_shift && matches!(key, gdk::Key::V | gdk::Key::v) {
                view.paste();
                return glib::Propagation::Stop;
            }
            // The release combo: only its modifiers held, nothing else.
            let modifier = super::canvas::modifier_of(key);
            let s = &view.state;
            s.armed.set(
                s.grabbed.get()
                    && modifier != gdk::ModifierType::empty()
                    && (held | modifier) == s.release.get(),
            );
            glib::Propagation::Proceed
        });
        let view = self.downgrade();
        keys.connect_key_released(move |_, key, _, _| {
            if let Some(view) = view.upgrade()
                && view.state.armed.replace(false)
                && view
                    .state
                    .release
                    .get()
                    .contains(super::canvas::modifier_of(key))
            {
                view.ungrab();
            }
        });
        self.widget.add_controller(keys);
        // A click or focus takes the keyboard, as the graphical console does.
        let click = gtk::GestureClick::new();
        let view = self.downgrade();
        click.connect_pressed(move |_, _, _, _| {
            if let Some(view) = view.upgrade() {
                view.grab();
            }
        });
        self.widget.add_controller(click);
        let focus = gtk::EventControllerFocus::new();
        let view = self.downgrade();
        focus.connect_enter(move |_| {
            if let Some(view) = view.upgrade() {
                view.grab();
            }
        });
        let view = self.downgrade();
        focus.connect_leave(move |_| {
            if let Some(view) = view.upgrade() {
                view.ungrab();
            }
        });
        self.widget.add_controller(focus);
    }

    fn downgrade(&self) -> WeakTextView {
        WeakTextView {
            widget: self.widget.downgrade(),
            state: Rc::downgrade(&self.state),
        }
    }
}

struct WeakTextView {
    widget: glib::WeakRef<gtk::Widget>,
    state: std::rc::Weak<State>,
}

impl WeakTextView {
    fn upgrade(&self) -> Option<TextView> {
        Some(TextView {
            widget: self.widget.upgrade()?,
            state: self.state.upgrade()?,
        })
    }
}
