//! Linux (evdev) key codes to the scancodes QEMU expects.
//!
//! GDK reports the hardware keycode, which on X11 (evdev driver) and Wayland
//! is the Linux key code + 8. QEMU's extended key event takes "qnum" codes:
//! the PC/AT set 1 make code, with the two-byte `E0 xx` codes folded to
//! `0x80 | xx`. Scancodes name key *positions*, not characters, so the
//! guest's own layout decides what a key types: a German or Japanese guest
//! keyboard works without any keysym translation on our side.

/// AT set 1 make codes by Linux key code (`0xE0xx` for extended keys,
/// 0 where there is none). Written from the PC/AT scancode tables.
fn at_set1(linux: u16) -> u16 {
    match linux {
        // Esc, digits, letters, punctuation, F1–F10, the keypad: in this
        // range Linux numbered its keys after set 1.
        1..=83 => linux,
        85 => 0x76,    // KEY_ZENKAKUHANKAKU
        86 => 0x56,    // KEY_102ND (ISO "< >" key, German and other layouts)
        87 => 0x57,    // F11
        88 => 0x58,    // F12
        89 => 0x73,    // KEY_RO (Japanese "\ _")
        90 => 0x78,    // KEY_KATAKANA
        91 => 0x77,    // KEY_HIRAGANA
        92 => 0x79,    // KEY_HENKAN
        93 => 0x70,    // KEY_KATAKANAHIRAGANA
        94 => 0x7b,    // KEY_MUHENKAN
        95 => 0x5c,    // KEY_KPJPCOMMA
        96 => 0xe01c,  // KP Enter
        97 => 0xe01d,  // Right Ctrl
        98 => 0xe035,  // KP /
        99 => 0x54,    // SysRq / Print (QEMU's code for it)
        100 => 0xe038, // Right Alt (AltGr)
        102 => 0xe047, // Home
        103 => 0xe048, // Up
        104 => 0xe049, // Page Up
        105 => 0xe04b, // Left
        106 => 0xe04d, // Right
        107 => 0xe04f, // End
        108 => 0xe050, // Down
        109 => 0xe051, // Page Down
        110 => 0xe052, // Insert
        111 => 0xe053, // Delete
        113 => 0xe020, // Mute
        114 => 0xe02e, // Volume Down
        115 => 0xe030, // Volume Up
        116 => 0xe05e, // Power
        117 => 0x59,   // KP =
        119 => 0xe046, // Pause
        121 => 0x7e,   // KP , (Brazilian)
        122 => 0x72,   // KEY_HANGEUL
        123 => 0x71,   // KEY_HANJA
        124 => 0x7d,   // KEY_YEN
        125 => 0xe05b, // Left Super
        126 => 0xe05c, // Right Super
        127 => 0xe05d, // Menu
        _ => 0,
    }
}

/// The QEMU "qnum" scancode of a Linux key code (0: no such key).
pub fn qnum(linux: u16) -> u16 {
    match at_set1(linux) {
        0 => 0,
        code if code & 0xff00 == 0xe000 => 0x80 | (code & 0x7f),
        code => code,
    }
}

/// The Linux key code of a GDK hardware keycode (X11 evdev and Wayland).
pub fn linux_from_hardware(keycode: u32) -> u16 {
    keycode.saturating_sub(8).min(u32::from(u16::MAX)) as u16
}

/// Linux key codes of the keys the Send Key menu presses.
pub mod linux {
    pub const ESC: u16 = 1;
    pub const BACKSPACE: u16 = 14;
    pub const TAB: u16 = 15;
    pub const ENTER: u16 = 28;
    pub const LEFT_CTRL: u16 = 29;
    pub const LEFT_SHIFT: u16 = 42;
    pub const LEFT_ALT: u16 = 56;
    pub const SPACE: u16 = 57;
    pub const F1: u16 = 59;
    pub const F11: u16 = 87;
    pub const F12: u16 = 88;
    pub const SYSRQ: u16 = 99;
    pub const DELETE: u16 = 111;

    /// Function key `n` (1–12).
    pub fn f(n: u16) -> u16 {
        match n {
            1..=10 => F1 + n - 1,
            11 => F11,
            _ => F12,
        }
    }
}

/// X keysyms matching the keys above (sent alongside the scancode).
pub mod keysym {
    pub const BACKSPACE: u32 = 0xff08;
    pub const TAB: u32 = 0xff09;
    pub const RETURN: u32 = 0xff0d;
    pub const ESCAPE: u32 = 0xff1b;
    pub const PRINT: u32 = 0xff61;
    pub const ISO_LEFT_TAB: u32 = 0xfe20;
    pub const F1: u32 = 0xffbe;
    pub const SHIFT_L: u32 = 0xffe1;
    pub const CONTROL_L: u32 = 0xffe3;
    pub const CONTROL_R: u32 = 0xffe4;
    pub const ALT_L: u32 = 0xffe9;
    pub const ALT_R: u32 = 0xffea;
    pub const DELETE: u32 = 0xffff;
}

/// Remembers which keys are down, so that a release sends the keysym of
/// its press (layouts can give another keysym on release) and everything
/// still held can be released when the console loses the keyboard.
#[derive(Debug, Default)]
pub struct KeyTracker {
    held: Vec<(u16, u32)>,
}

/// A key event to send: down or up, keysym, Linux key code.
pub type KeyEvent = (bool, u32, u16);

impl KeyTracker {
    /// A key went down; returns the events to send (an autorepeat of a held
    /// key is sent as release + press, as QEMU expects).
    pub fn press(&mut self, linux: u16, keysym: u32) -> Vec<KeyEvent> {
        let keysym = if keysym == keysym::ISO_LEFT_TAB {
            keysym::TAB
        } else {
            keysym
        };
        let mut out = Vec::new();
        if let Some(pos) = self.held.iter().position(|(l, _)| *l == linux) {
            let (_, old) = self.held.remove(pos);
            out.push((false, old, linux));
        }
        self.held.push((linux, keysym));
        out.push((true, keysym, linux));
        out
    }

    /// A key went up; unknown keys (pressed before we had focus) are ignored.
    pub fn release(&mut self, linux: u16) -> Option<KeyEvent> {
        let pos = self.held.iter().position(|(l, _)| *l == linux)?;
        let (_, keysym) = self.held.remove(pos);
        Some((false, keysym, linux))
    }

    /// Release everything held, last pressed first.
    pub fn release_all(&mut self) -> Vec<KeyEvent> {
        let mut out: Vec<KeyEvent> = self.held.drain(..).map(|(l, k)| (false, k, l)).collect();
        out.reverse();
        out
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }
}

/// A key combination to send: pressed in order, released in reverse.
pub fn combo_events(keys: &[(u32, u16)]) -> Vec<KeyEvent> {
    let mut out: Vec<KeyEvent> = keys.iter().map(|&(k, l)| (true, k, l)).collect();
    out.extend(keys.iter().rev().map(|&(k, l)| (false, k, l)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_keys_keep_their_set1_codes() {
        assert_eq!(qnum(1), 0x01); // Esc
        assert_eq!(qnum(30), 0x1e); // A
        assert_eq!(qnum(29), 0x1d); // Left Ctrl
        assert_eq!(qnum(56), 0x38); // Left Alt
        assert_eq!(qnum(28), 0x1c); // Enter
        assert_eq!(qnum(88), 0x58); // F12
    }

    #[test]
    fn extended_keys_fold_e0_into_the_high_bit() {
        assert_eq!(qnum(111), 0xd3); // Delete = E0 53
        assert_eq!(qnum(100), 0xb8); // AltGr = E0 38
        assert_eq!(qnum(96), 0x9c); // KP Enter = E0 1C
        assert_eq!(qnum(97), 0x9d); // Right Ctrl
        assert_eq!(qnum(103), 0xc8); // Up
        assert_eq!(qnum(125), 0xdb); // Left Super
    }

    #[test]
    fn international_keys_are_mapped() {
        assert_eq!(qnum(86), 0x56, "ISO < > (German layouts)");
        assert_eq!(qnum(89), 0x73, "Japanese Ro");
        assert_eq!(qnum(124), 0x7d, "Japanese Yen");
        assert_eq!(qnum(92), 0x79, "Henkan");
        assert_eq!(qnum(94), 0x7b, "Muhenkan");
        assert_eq!(qnum(85), 0x76, "Zenkaku/Hankaku");
    }

    #[test]
    fn unknown_keys_give_zero() {
        assert_eq!(qnum(0), 0);
        assert_eq!(qnum(84), 0);
        assert_eq!(qnum(500), 0);
    }

    #[test]
    fn gdk_keycodes_are_linux_codes_plus_eight() {
        assert_eq!(linux_from_hardware(38), 30); // X keycode of A
        assert_eq!(linux_from_hardware(3), 0);
    }

    #[test]
    fn releases_use_the_keysym_of_the_press_and_focus_loss_releases_all() {
        let mut t = KeyTracker::default();
        assert_eq!(t.press(42, keysym::SHIFT_L), [(true, keysym::SHIFT_L, 42)]);
        assert_eq!(t.press(30, 'A' as u32), [(true, 'A' as u32, 30)]);
        // Shift released first: the A key then reports 'a', but its release
        // must repeat the keysym it was pressed with.
        assert_eq!(t.release(42), Some((false, keysym::SHIFT_L, 42)));
        assert_eq!(t.release(30), Some((false, 'A' as u32, 30)));
        assert_eq!(t.release(30), None);

        t.press(29, keysym::CONTROL_L);
        t.press(56, keysym::ALT_L);
        assert_eq!(
            t.release_all(),
            [(false, keysym::ALT_L, 56), (false, keysym::CONTROL_L, 29)]
        );
        assert!(t.is_empty());
    }

    #[test]
    fn autorepeat_is_release_then_press_and_iso_left_tab_is_tab() {
        let mut t = KeyTracker::default();
        t.press(15, keysym::ISO_LEFT_TAB);
        assert_eq!(
            t.press(15, keysym::TAB),
            [(false, keysym::TAB, 15), (true, keysym::TAB, 15)]
        );
    }

    #[test]
    fn combos_press_in_order_and_release_in_reverse() {
        let cad = [
            (keysym::CONTROL_L, linux::LEFT_CTRL),
            (keysym::ALT_L, linux::LEFT_ALT),
            (keysym::DELETE, linux::DELETE),
        ];
        let ev = combo_events(&cad);
        assert_eq!(ev.len(), 6);
        assert_eq!(ev[0], (true, keysym::CONTROL_L, 29));
        assert_eq!(ev[2], (true, keysym::DELETE, 111));
        assert_eq!(ev[3], (false, keysym::DELETE, 111));
        assert_eq!(ev[5], (false, keysym::CONTROL_L, 29));
        assert_eq!(linux::f(1), 59);
        assert_eq!(linux::f(10), 68);
        assert_eq!(linux::f(12), 88);
    }
}
