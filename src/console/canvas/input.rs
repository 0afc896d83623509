//! The view's input: keys (by scancode through the shared keymap, with the
//! held-keys tracker), the pointer mapped to guest pixels, the keyboard
//! grab and its release combo, typed text, and guest resize requests, all
//! sent to the session through its [`DisplaySource`](crate::console::DisplaySource).

use gtk::glib::translate::IntoGlib;
use gtk::{self, gdk, glib, prelude::*, subclass::prelude::*};

use super::super::keymap;
use super::super::layout;
use super::ConsoleView;

impl ConsoleView {
    /// The modifiers that release the grab when pressed together and let go.
    pub fn set_release_modifiers(&self, mods: gdk::ModifierType) {
        if !mods.is_empty() {
            self.imp().release_mods.set(Some(mods));
        }
    }

    /// The grab's release combo (Ctrl+Alt unless set).
    pub fn release_modifiers(&self) -> gdk::ModifierType {
        self.imp()
            .release_mods
            .get()
            .unwrap_or(gdk::ModifierType::CONTROL_MASK | gdk::ModifierType::ALT_MASK)
    }

    /// Send keys as if typed: pressed in order, released in reverse.
    pub fn send_keys(&self, keys: &[(u32, u16)]) {
        let Some(input) = self.imp().input.borrow().clone() else {
            return;
        };
        for (down, keysym, linux) in keymap::combo_events(keys) {
            input.key(down, keysym, linux);
        }
    }

    /// Type `text` as key presses, through the host's keyboard layout (the
    /// guest is assumed to use the same one). Returns the characters that
    /// have no key on this layout.
    pub fn type_text(&self, text: &str) -> Vec<char> {
        let mut missing = Vec::new();
        let Some(display) = gdk::Display::default() else {
            return text.chars().collect();
        };
        for c in text.chars() {
            let keyval = match c {
                '\n' => gdk::Key::Return,
                '\t' => gdk::Key::Tab,
                c => unsafe { glib::translate::from_glib(gdk::unicode_to_keyval(c as u32)) },
            };
            let key = display.map_keyval(keyval).and_then(|keys| {
                keys.into_iter()
                    .filter(|k| k.group() == 0)
                    .min_by_key(|k| k.level())
            });
            let Some(key) = key else {
                missing.push(c);
                continue;
            };
            let linux = keymap::linux_from_hardware(key.keycode());
            let sym = keyval.into_glib();
            let combo: Vec<(u32, u16)> = match key.level() {
                0 => vec![(sym, linux)],
                1 => vec![
                    (keymap::keysym::SHIFT_L, keymap::linux::LEFT_SHIFT),
                    (sym, linux),
                ],
                2 => vec![(0xfe03, 100), (sym, linux)], // ISO_Level3_Shift on AltGr
                _ => vec![
                    (0xfe03, 100),
                    (keymap::keysym::SHIFT_L, keymap::linux::LEFT_SHIFT),
                    (sym, linux),
                ],
            };
            self.imp()
                .typing
                .borrow_mut()
                .extend(keymap::combo_events(&combo));
        }
        self.pace_typing();
        missing
    }

    /// Send typed text's key events a few milliseconds apart: QEMU puts
    /// SPICE key events straight into the guest's PS/2 queue (16 bytes),
    /// which a burst overflows (its VNC server paces keys itself).
    fn pace_typing(&self) {
        if self.imp().typing_timer.borrow().is_some() {
            return;
        }
        let weak = self.downgrade();
        let id = glib::timeout_add_local(std::time::Duration::from_millis(5), move || {
            let Some(view) = weak.upgrade() else {
                return glib::ControlFlow::Break;
            };
            let imp = view.imp();
            let next = imp.typing.borrow_mut().pop_front();
            match (next, imp.input.borrow().clone()) {
                (Some((down, keysym, linux)), Some(input)) => {
                    input.key(down, keysym, linux);
                    glib::ControlFlow::Continue
                }
                _ => {
                    imp.typing.borrow_mut().clear();
                    imp.typing_timer.take();
                    glib::ControlFlow::Break
                }
            }
        });
        self.imp().typing_timer.replace(Some(id));
    }

    /// Called when Resize Guest to Window cannot resize this guest's
    /// display (its server does not offer it).
    pub fn connect_resize_refused(&self, f: impl Fn() + 'static) {
        self.imp().on_resize_refused.borrow_mut().push(Box::new(f));
    }

    pub fn is_grabbed(&self) -> bool {
        self.imp().grabbed.get()
    }

    /// Called with `true` when the console grabs the keyboard, `false` when it lets go.
    pub fn connect_grab_changed(&self, f: impl Fn(bool) + 'static) {
        self.imp().on_grab.borrow_mut().push(Box::new(f));
    }

    /// Take the keyboard: system shortcuts go to the guest, and the app's
    /// own accelerators are switched off until the release combo.
    pub fn grab(&self) {
        if self.imp().grabbed.replace(true) {
            return;
        }
        self.grab_focus();
        self.set_app_shortcuts(false);
        if let Some(toplevel) = self
            .native()
            .and_then(|n| n.surface())
            .and_downcast::<gdk::Toplevel>()
        {
            toplevel.inhibit_system_shortcuts(None::<&gdk::Event>);
        }
        for f in self.imp().on_grab.borrow().iter() {
            f(true);
        }
    }

    pub fn ungrab(&self) {
        if !self.imp().grabbed.replace(false) {
            return;
        }
        self.set_app_shortcuts(true);
        if let Some(toplevel) = self
            .native()
            .and_then(|n| n.surface())
            .and_downcast::<gdk::Toplevel>()
        {
            toplevel.restore_system_shortcuts();
        }
        for f in self.imp().on_grab.borrow().iter() {
            f(false);
        }
    }

    pub(super) fn set_app_shortcuts(&self, on: bool) {
        super::super::set_app_shortcuts(self.upcast_ref(), on);
    }

    pub(super) fn release_all_keys(&self) {
        let events = self.imp().keys.borrow_mut().release_all();
        if let Some(input) = self.imp().input.borrow().clone() {
            for (down, keysym, linux) in events {
                input.key(down, keysym, linux);
            }
        }
    }

    pub(super) fn send_pointer(&self, x: f64, y: f64) {
        let imp = self.imp();
        let (fw, fh) = imp.fb_size.get();
        if fw == 0 {
            return;
        }
        let pos = layout::to_guest(x, y, self.draw_rect(), fw, fh);
        imp.last_pos.set(pos);
        if let Some(input) = imp.input.borrow().clone() {
            input.pointer(imp.buttons.get(), pos.0, pos.1);
        }
    }

    pub(super) fn schedule_guest_resize(&self, width: i32, height: i32) {
        if let Some(id) = self.imp().resize_timer.take() {
            id.remove();
        }
        let sf = self.scale_factor().max(1);
        let this = self.downgrade();
        let id = glib::timeout_add_local_once(std::time::Duration::from_millis(500), move || {
            if let Some(this) = this.upgrade() {
                this.imp().resize_timer.take();
                let input = this.imp().input.borrow().clone();
                if let Some(input) = input
                    && !input.request_size((width * sf) as u32, (height * sf) as u32)
                {
                    for f in this.imp().on_resize_refused.borrow().iter() {
                        f();
                    }
                }
            }
        });
        self.imp().resize_timer.replace(Some(id));
    }

    pub(super) fn setup_input(&self) {
        let keys = gtk::EventControllerKey::new();
        {
            let this = self.downgrade();
            keys.connect_key_pressed(move |_, keyval, keycode, state| {
                let Some(this) = this.upgrade() else {
                    return glib::Propagation::Proceed;
                };
                this.key_pressed(keyval, keycode, state);
                glib::Propagation::Stop
            });
        }
        {
            let this = self.downgrade();
            keys.connect_key_released(move |_, keyval, keycode, state| {
                if let Some(this) = this.upgrade() {
                    this.key_released(keyval, keycode, state);
                }
            });
        }
        self.add_controller(keys);

        let focus = gtk::EventControllerFocus::new();
        {
            let this = self.downgrade();
            focus.connect_leave(move |_| {
                if let Some(this) = this.upgrade() {
                    this.release_all_keys();
                    this.ungrab();
                }
            });
        }
        self.add_controller(focus);

        let motion = gtk::EventControllerMotion::new();
        {
            let this = self.downgrade();
            motion.connect_motion(move |_, x, y| {
                if let Some(this) = this.upgrade() {
                    this.send_pointer(x, y);
                }
            });
        }
        self.add_controller(motion);

        let click = gtk::GestureClick::builder().button(0).build();
        {
            let this = self.downgrade();
            click.connect_pressed(move |gesture, _, x, y| {
                let Some(this) = this.upgrade() else { return };
                if !this.is_grabbed() {
                    this.grab();
                }
                let bit = button_bit(gesture.current_button());
                this.imp().buttons.set(this.imp().buttons.get() | bit);
                this.send_pointer(x, y);
            });
        }
        {
            let this = self.downgrade();
            click.connect_released(move |gesture, _, x, y| {
                let Some(this) = this.upgrade() else { return };
                let bit = button_bit(gesture.current_button());
                this.imp().buttons.set(this.imp().buttons.get() & !bit);
                this.send_pointer(x, y);
            });
        }
        self.add_controller(click);

        let scroll = gtk::EventControllerScroll::new(
            gtk::EventControllerScrollFlags::BOTH_AXES | gtk::EventControllerScrollFlags::DISCRETE,
        );
        {
            let this = self.downgrade();
            scroll.connect_scroll(move |_, dx, dy| {
                let Some(this) = this.upgrade() else {
                    return glib::Propagation::Proceed;
                };
                let bit = if dy < 0.0 {
                    1 << 3
                } else if dy > 0.0 {
                    1 << 4
                } else if dx < 0.0 {
                    1 << 5
                } else if dx > 0.0 {
                    1 << 6
                } else {
                    return glib::Propagation::Stop;
                };
                let imp = this.imp();
                let (x, y) = imp.last_pos.get();
                if let Some(input) = imp.input.borrow().clone() {
                    input.pointer(imp.buttons.get() | bit, x, y);
                    input.pointer(imp.buttons.get(), x, y);
                }
                glib::Propagation::Stop
            });
        }
        self.add_controller(scroll);
    }

    pub(super) fn key_pressed(&self, keyval: gdk::Key, keycode: u32, state: gdk::ModifierType) {
        let imp = self.imp();
        let linux = keymap::linux_from_hardware(keycode);
        // The release combo: only its modifiers held, nothing else pressed.
        let mods = state & modifier_mask() | modifier_of(keyval);
        if imp.grabbed.get() && modifier_of(keyval) != gdk::ModifierType::empty() {
            imp.combo_armed.set(mods == self.release_modifiers());
        } else {
            imp.combo_armed.set(false);
        }
        let events = imp.keys.borrow_mut().press(linux, keyval.into_glib());
        if let Some(input) = imp.input.borrow().clone() {
            for (down, keysym, linux) in events {
                input.key(down, keysym, linux);
            }
        }
    }

    pub(super) fn key_released(&self, keyval: gdk::Key, keycode: u32, _state: gdk::ModifierType) {
        let imp = self.imp();
        let linux = keymap::linux_from_hardware(keycode);
        if let Some((down, keysym, linux)) = imp.keys.borrow_mut().release(linux)
            && let Some(input) = imp.input.borrow().clone()
        {
            input.key(down, keysym, linux);
        }
        if imp.combo_armed.replace(false) && self.release_modifiers().contains(modifier_of(keyval))
        {
            self.release_all_keys();
            self.ungrab();
        }
    }
}

fn button_bit(button: u32) -> u8 {
    match button {
        1 => 1,
        2 => 2,
        3 => 4,
        _ => 0,
    }
}

pub(crate) fn modifier_mask() -> gdk::ModifierType {
    gdk::ModifierType::CONTROL_MASK
        | gdk::ModifierType::ALT_MASK
        | gdk::ModifierType::SHIFT_MASK
        | gdk::ModifierType::SUPER_MASK
}

/// The modifier a modifier key sets (empty for other keys).
pub(crate) fn modifier_of(key: gdk::Key) -> gdk::ModifierType {
    match key {
        gdk::Key::Control_L | gdk::Key::Control_R => gdk::ModifierType::CONTROL_MASK,
        gdk::Key::Alt_L | gdk::Key::Alt_R | gdk::Key::Meta_L | gdk::Key::Meta_R => {
            gdk::ModifierType::ALT_MASK
        }
        gdk::Key::Shift_L | gdk::Key::Shift_R => gdk::ModifierType::SHIFT_MASK,
        gdk::Key::Super_L | gdk::Key::Super_R => gdk::ModifierType::SUPER_MASK,
        _ => gdk::ModifierType::empty(),
    }
}

/// Parse an accelerator-like modifier combo ("<Control><Alt>") for the
/// grab release; `None` when it names no modifier.
pub fn parse_release_combo(text: &str) -> Option<gdk::ModifierType> {
    let mut mods = gdk::ModifierType::empty();
    for part in text.split('>').map(|p| p.trim_start_matches('<').trim()) {
        mods |= match part.to_ascii_lowercase().as_str() {
            "control" | "ctrl" | "primary" => gdk::ModifierType::CONTROL_MASK,
            "alt" => gdk::ModifierType::ALT_MASK,
            "shift" => gdk::ModifierType::SHIFT_MASK,
            "super" => gdk::ModifierType::SUPER_MASK,
            "" => gdk::ModifierType::empty(),
            _ => return None,
        };
    }
    (!mods.is_empty()).then_some(mods)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_combos_parse_from_settings_strings() {
        let ctrl_alt = gdk::ModifierType::CONTROL_MASK | gdk::ModifierType::ALT_MASK;
        assert_eq!(parse_release_combo("<Control><Alt>"), Some(ctrl_alt));
        assert_eq!(parse_release_combo("<ctrl><alt>"), Some(ctrl_alt));
        assert_eq!(
            parse_release_combo("<Super><Alt>"),
            Some(gdk::ModifierType::SUPER_MASK | gdk::ModifierType::ALT_MASK)
        );
        assert_eq!(parse_release_combo(""), None);
        assert_eq!(parse_release_combo("<Hyper>"), None);
    }
}
