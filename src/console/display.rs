//! The interface between the console's display and a protocol session
//! (VNC today; SPICE and text consoles next). It has two halves:
//!
//! * **session to display**: the session reports the guest screen through
//!   [`ConsoleView`](super::ConsoleView): `resize(width, height)` gives it a
//!   screen surface to decode into (RGB24, the view's own memory, shared
//!   with the X server where it can be), `damage(x, y, w, h)` marks a
//!   rectangle it wrote (shown at the next frame, or drawn straight onto the
//!   window), `set_guest_cursor` shows the guest's pointer image;
//! * **display to session**: the view sends what the user does through a
//!   [`DisplaySource`] the session gives it with `ConsoleView::set_input`:
//!   keys (X keysym and Linux key code; the shared [`keymap`](super::keymap)
//!   turns the code into an XT scancode for protocols that take those),
//!   pointer buttons at guest pixels, and a new screen size for Resize
//!   Guest to Window.
//!
//! The display knows nothing of the protocol behind it.

/// What a protocol session accepts from the display.
pub trait DisplaySource {
    /// A key went down or up: its X keysym and its Linux (evdev) code.
    fn key(&self, down: bool, keysym: u32, linux: u16);
    /// The pointer at a guest pixel with these buttons held: bit 0 left,
    /// 1 middle, 2 right, 3/4 wheel up/down, 5/6 wheel left/right.
    fn pointer(&self, buttons: u8, x: u16, y: u16);
    /// Ask the guest for a new screen size (Resize Guest to Window);
    /// `false` when its display cannot be resized from here.
    fn request_size(&self, _width: u32, _height: u32) -> bool {
        false
    }
}

/// What happens to a console connection, for the window around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsoleEvent {
    /// The socket is connected; the RFB handshake runs.
    Connected,
    /// The guest screen is showing.
    Initialized {
        width: u32,
        height: u32,
        name: String,
    },
    /// The guest changed its screen size.
    Resized { width: u32, height: u32 },
    /// The server wants a password: answer with [`Session::provide_password`].
    PasswordNeeded,
    /// The password was refused (the reason from the server).
    AuthFailed(String),
    /// The connection is over; with the reason when it failed.
    Disconnected(Option<String>),
    /// The guest's pointer is absolute (tablet) or relative (mouse).
    PointerMode { absolute: bool },
    /// The guest's sound plays here (a SPICE playback channel opened).
    Sound,
    /// The guest's agent (spice-vdagent) is there or not: the clipboard
    /// is shared and the guest resized through it.
    Agent(bool),
}

/// A protocol session (VNC, SPICE) shown in a [`ConsoleView`](super::ConsoleView):
/// what the window around it needs, whatever the protocol.
pub trait Session {
    /// Be told what happens to the connection.
    fn connect_event(&self, f: Box<dyn Fn(&ConsoleEvent)>);
    /// Answer [`ConsoleEvent::PasswordNeeded`].
    fn provide_password(&self, password: &str);
    /// Silence the guest's sound here (or not); sessions without sound
    /// ignore it.
    fn set_muted(&self, _muted: bool) {}
    /// Share the clipboard with the guest (or stop); sessions without a
    /// clipboard channel ignore it.
    fn share_clipboard(&self, _share: bool) {}
}
