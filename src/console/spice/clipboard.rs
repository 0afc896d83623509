//! The clipboard, shared both ways with the guest's agent (spice-vdagent):
//! a copy on either side is announced to the other (a grab), and its text
//! is sent when the other side asks for it (by demand). Text only, on the
//! CLIPBOARD selection; nothing crosses while sharing is off.

use std::rc::Rc;

use gtk::glib;
use spice_client_glib as spice;

use super::Inner;
use crate::console::display::ConsoleEvent;

/// spice-protocol's agent clipboard: the CLIPBOARD selection (not PRIMARY),
/// UTF-8 text, and the agent capabilities that matter to it.
const SELECTION_CLIPBOARD: u32 = 0;
const CLIPBOARD_UTF8_TEXT: u32 = 1;
const CAP_CLIPBOARD_BY_DEMAND: u32 = 5;
const CAP_GUEST_LINEEND_CRLF: u32 = 9;

/// Text from the guest's clipboard as the desktop keeps it: without the
/// trailing NULs some agents send, and with `\n` line ends when the guest
/// uses `\r\n` (Windows).
pub fn text_from_guest(data: &[u8], crlf: bool) -> String {
    let text = String::from_utf8_lossy(data);
    let text = text.trim_end_matches('\0');
    if crlf {
        text.replace("\r\n", "\n")
    } else {
        text.to_string()
    }
}

/// The desktop's clipboard text as the guest takes it.
pub fn text_to_guest(text: &str, crlf: bool) -> Vec<u8> {
    if crlf {
        text.replace("\r\n", "\n")
            .replace('\n', "\r\n")
            .into_bytes()
    } else {
        text.as_bytes().to_vec()
    }
}

impl Inner {
    /// The main channel, when the guest's agent takes clipboard text and
    /// sharing is on.
    fn clipboard_agent(&self) -> Option<spice::MainChannel> {
        if !self.share_clipboard.get() {
            return None;
        }
        let main = self.main.borrow().clone()?;
        (main.is_agent_connected() && main.agent_test_capability(CAP_CLIPBOARD_BY_DEMAND))
            .then_some(main)
    }

    fn guest_crlf(main: &spice::MainChannel) -> bool {
        main.agent_test_capability(CAP_GUEST_LINEEND_CRLF)
    }

    /// The desktop's clipboard changed (or the agent arrived): offer its
    /// text to the guest. What this session put there itself came from
    /// the guest and is not offered back.
    pub(super) fn offer_clipboard(&self) {
        let Some(main) = self.clipboard_agent() else {
            return;
        };
        if self.clipboard.is_local() {
            return;
        }
        if self.clipboard.formats().contains_type(glib::Type::STRING) {
            main.clipboard_selection_grab(SELECTION_CLIPBOARD, &[CLIPBOARD_UTF8_TEXT]);
        }
    }

    /// The guest asks for the text the desktop offered: read it and send
    /// it (nothing, typed 0, when there is none or it is too long).
    fn send_clipboard(&self, main: &spice::MainChannel) {
        let clipboard = self.clipboard.clone();
        let main = main.clone();
        glib::spawn_future_local(async move {
            let text = clipboard.read_text_future().await.ok().flatten();
            let data = text.map(|t| text_to_guest(&t, Self::guest_crlf(&main)));
            let limit = main.max_clipboard();
            match data {
                Some(data) if limit < 0 || data.len() <= limit as usize => {
                    main.clipboard_selection_notify(SELECTION_CLIPBOARD, CLIPBOARD_UTF8_TEXT, &data)
                }
                _ => main.clipboard_selection_notify(SELECTION_CLIPBOARD, 0, &[]),
            }
        });
    }
}

/// Follow the main channel's agent and clipboard signals.
pub(super) fn watch(inner: &Rc<Inner>, main: &spice::MainChannel) {
    let weak = Rc::downgrade(inner);
    let with = move |f: &dyn Fn(&Inner)| {
        if let Some(inner) = weak.upgrade() {
            f(&inner);
        }
    };
    // The clipboard, both ways (agent only).
    let w = with.clone();
    main.connect_agent_connected_notify(move |main| {
        w(&|i| {
            i.emit(ConsoleEvent::Agent(main.is_agent_connected()));
            i.offer_clipboard();
        })
    });
    let w = with.clone();
    main.connect_main_clipboard_selection_grab(move |main, selection, types| {
        w(&|i| {
            if selection == SELECTION_CLIPBOARD
                && types.contains(&CLIPBOARD_UTF8_TEXT)
                && i.clipboard_agent().is_some()
            {
                main.clipboard_selection_request(selection, CLIPBOARD_UTF8_TEXT);
            }
        })
    });
    let w = with.clone();
    main.connect_main_clipboard_selection(move |main, selection, kind, data| {
        w(&|i| {
            if selection == SELECTION_CLIPBOARD
                && kind == CLIPBOARD_UTF8_TEXT
                && i.clipboard_agent().is_some()
            {
                i.clipboard
                    .set_text(&text_from_guest(data, Inner::guest_crlf(main)));
            }
        })
    });
    let weak = Rc::downgrade(inner);
    main.connect_main_clipboard_selection_request(move |main, selection, kind| {
        let Some(inner) = weak.upgrade() else {
            return false;
        };
        if selection != SELECTION_CLIPBOARD
            || kind != CLIPBOARD_UTF8_TEXT
            || inner.clipboard_agent().is_none()
        {
            return false;
        }
        inner.send_clipboard(main);
        true
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipboard_text_crosses_line_ends_and_drops_nuls() {
        assert_eq!(text_from_guest(b"one\ntwo\0", false), "one\ntwo");
        assert_eq!(text_from_guest(b"one\r\ntwo", true), "one\ntwo");
        assert_eq!(text_from_guest("héllo".as_bytes(), false), "héllo");
        assert_eq!(text_to_guest("one\ntwo", true), b"one\r\ntwo");
        assert_eq!(
            text_to_guest("one\r\ntwo", true),
            b"one\r\ntwo",
            "not doubled"
        );
        assert_eq!(text_to_guest("one\ntwo", false), b"one\ntwo");
    }
}
