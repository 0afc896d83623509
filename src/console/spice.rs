//! One SPICE session (spice-client-glib) driving a [`ConsoleView`].
//!
//! Everything spice-client-glib does runs on the GTK main thread: its
//! channels are coroutines on the default main context that emit signals
//! while suspended. The main, display (the first one), inputs and cursor
//! channels are used; GL scanout is off (GTK 4.8 cannot import dmabufs), so
//! the display channel decodes into its primary surface and reports dirty
//! rectangles, which are copied into the view's screen surface inside the
//! handler (the decoder writes on as soon as it returns). The screen shows
//! once the server marks the surface ready (`display-mark`), as spice-gtk's
//! own widget does.
//!
//! Each SPICE channel needs a socket of its own. Started on a socket from
//! libvirt (or an `ssh` tunnel), the session asks the `sockets` callback for
//! one more per channel when the channel asks (`open-fd`), which may answer
//! later: the channel waits.
//!
//! With an agent in the guest (spice-vdagent), the desktop's clipboard text
//! and the guest's are shared both ways while sharing is on: a new copy on
//! either side is announced to the other (a grab), and its text is sent
//! when the other side asks for it.

use std::cell::{Cell, RefCell};
use std::os::fd::{IntoRawFd, OwnedFd};
use std::rc::Rc;

use gtk::{cairo, gdk, glib, prelude::*};
use spice_client_glib as spice;
use spice_client_glib::prelude::*;

use super::canvas::{ConsoleView, surface_memory};
use super::display::{ConsoleEvent, DisplaySource, Session};
use super::keymap;

mod clipboard;
mod pixels;

pub use pixels::copy_rect;
#[cfg(test)]
use pixels::{FMT_16_555, FMT_16_565, FMT_32_XRGB};

/// Gives one more connected socket for a channel, now or later (`Err`:
/// why there is none).
pub type SocketSource = Rc<dyn Fn(Box<dyn FnOnce(Result<OwnedFd, String>)>)>;

type Listener = Box<dyn Fn(&ConsoleEvent)>;

/// spice-protocol's mouse modes.
const MOUSE_MODE_CLIENT: i32 = 2;

/// The XT (set 1) scancode spice-client-glib takes for Linux key `linux`:
/// extended (`E0 xx`) keys as `0x100 | xx`.
pub fn scancode(linux: u16) -> u32 {
    let q = u32::from(keymap::qnum(linux));
    if q & 0x80 != 0 { 0x100 | (q & 0x7f) } else { q }
}

/// The SPICE button and mask changes for an RFB-style button mask going
/// from `old` to `new`: (button number, pressed). Bits 0-4 (left, middle,
/// right, wheel up, wheel down) are SPICE's own mask bits, and its buttons
/// are numbered from 1 in that order.
pub fn button_changes(old: u8, new: u8) -> Vec<(i32, bool)> {
    (0..5)
        .filter(|bit| (old ^ new) & (1 << bit) != 0)
        .map(|bit| (bit + 1, new & (1 << bit) != 0))
        .collect()
}

struct Inner {
    session: spice::Session,
    view: glib::WeakRef<ConsoleView>,
    main: RefCell<Option<spice::MainChannel>>,
    inputs: RefCell<Option<spice::InputsChannel>>,
    /// The screen surface the view gave for the current primary surface.
    screen: RefCell<Option<cairo::ImageSurface>>,
    /// The display's primary surface (its memory stays put until it is
    /// destroyed), kept rather than asked for on every update: asking
    /// logs a debug line each time.
    primary: RefCell<Option<spice::DisplayPrimary>>,
    marked: Cell<bool>,
    /// A primary surface was shown before (a new one is a resize).
    shown: Cell<bool>,
    buttons: Cell<u8>,
    last: Cell<Option<(u16, u16)>>,
    /// A password was given: a refusal is then reported as such.
    password_given: Cell<bool>,
    /// Waiting for a password: the main channel's close is not the end.
    awaiting_password: Cell<bool>,
    error: RefCell<Option<String>>,
    ended: Cell<bool>,
    listeners: RefCell<Vec<Listener>>,
    sockets: Option<SocketSource>,
    /// The GStreamer player of the playback channel, while it lives.
    audio: RefCell<Option<spice::Audio>>,
    playback: RefCell<Option<spice::PlaybackChannel>>,
    muted: Cell<bool>,
    /// The desktop's clipboard, shared with the guest's agent while
    /// `share_clipboard` is on.
    clipboard: gdk::Clipboard,
    share_clipboard: Cell<bool>,
    clipboard_watch: RefCell<Option<glib::SignalHandlerId>>,
}

impl Inner {
    fn emit(&self, event: ConsoleEvent) {
        for f in self.listeners.borrow().iter() {
            f(&event);
        }
    }

    fn end(&self) {
        if !self.ended.replace(true) {
            let error = self.error.take();
            self.emit(ConsoleEvent::Disconnected(error));
        }
    }

    fn client_mouse(&self) -> bool {
        self.main
            .borrow()
            .as_ref()
            .is_some_and(|m| m.mouse_mode() == MOUSE_MODE_CLIENT)
    }

    /// A new primary surface: a screen of its size from the view, filled.
    fn primary_created(&self, display: &spice::DisplayChannel) {
        let Some(primary) = display.primary(0) else {
            return;
        };
        self.primary.replace(Some(primary.clone()));
        let (w, h) = (primary.width() as u32, primary.height() as u32);
        let Some(view) = self.view.upgrade() else {
            return;
        };
        let Some(surface) = view.resize(w, h) else {
            self.error
                .replace(Some("could not set up the guest screen".into()));
            self.session.disconnect();
            return;
        };
        self.screen.replace(Some(surface));
        self.marked.set(primary.marked());
        self.copy(display, 0, 0, w as usize, h as usize);
        if self.shown.replace(true) {
            self.emit(ConsoleEvent::Resized {
                width: w,
                height: h,
            });
        } else {
            self.emit(ConsoleEvent::Initialized {
                width: w,
                height: h,
                name: String::new(),
            });
            self.emit(ConsoleEvent::PointerMode {
                absolute: self.client_mouse(),
            });
        }
    }

    /// Copy a dirty rectangle of the primary surface into the screen and
    /// show it (once the server has marked the surface ready).
    fn copy(&self, display: &spice::DisplayChannel, x: usize, y: usize, w: usize, h: usize) {
        if self.primary.borrow().is_none() {
            self.primary.replace(display.primary(0));
        }
        // The borrows end before anything that may call back in.
        let copied = {
            let primary = self.primary.borrow();
            let screen = self.screen.borrow();
            let (Some(primary), Some(surface)) = (primary.as_ref(), screen.as_ref()) else {
                return;
            };
            let (pw, ph) = (primary.width(), primary.height());
            let (sw, sh) = (surface.width() as usize, surface.height() as usize);
            if (pw, ph) != (sw, sh) || x >= pw || y >= ph {
                return;
            }
            let (w, h) = (w.min(pw - x), h.min(ph - y));
            let (data, stride) = surface_memory(surface);
            if data.is_null() {
                return;
            }
            // SAFETY: the view's surface is `stride * height` bytes and only
            // this session writes to it, on this thread.
            let dst = unsafe { std::slice::from_raw_parts_mut(data, stride * sh) };
            // SAFETY: a plain field of the primary's description.
            let format = unsafe { (*primary.as_ptr()).format };
            if copy_rect(
                primary.data(),
                primary.stride(),
                format,
                dst,
                stride,
                (x, y, w, h),
            ) {
                Ok((w, h))
            } else {
                Err(format)
            }
        };
        match copied {
            Ok((w, h)) => {
                if self.marked.get()
                    && let Some(view) = self.view.upgrade()
                {
                    view.damage(x as u32, y as u32, w as u32, h as u32);
                }
            }
            Err(format) => {
                self.error.replace(Some(format!(
                    "the guest's screen format ({format}) is not supported"
                )));
                self.session.disconnect();
            }
        }
    }

    fn cursor_changed(&self, cursor: &spice::CursorChannel) {
        let Some(view) = self.view.upgrade() else {
            return;
        };
        let Some(shape) = cursor.cursor() else {
            return view.set_guest_cursor(None);
        };
        let (w, h) = (shape.width().max(0) as u32, shape.height().max(0) as u32);
        // spice-client-glib converts every cursor to RGBA, w * h * 4 bytes
        // (CursorShape::data() sizes it by the wire type instead).
        let data = unsafe { (*shape.as_ptr()).data as *const u8 };
        if data.is_null() || w == 0 || h == 0 {
            return view.set_guest_cursor(None);
        }
        // SAFETY: the shape owns w * h * 4 bytes for as long as it lives.
        let bytes = unsafe { std::slice::from_raw_parts(data, (w * h * 4) as usize) };
        view.set_guest_cursor(Some((bytes, w, h, shape.hot_x(), shape.hot_y())));
    }

    fn channel_event(&self, event: spice::ChannelEvent) {
        use spice::ChannelEvent as E;
        match event {
            E::Opened => {
                // Absolute positions when the guest has a tablet or an
                // agent (asked once the channel is up: not in channel-new).
                let agent = self.main.borrow().as_ref().is_some_and(|main| {
                    main.request_mouse_mode(MOUSE_MODE_CLIENT);
                    main.is_agent_connected()
                });
                self.emit(ConsoleEvent::Connected);
                self.emit(ConsoleEvent::Agent(agent));
            }
            E::ErrorAuth => {
                if self.password_given.get() {
                    self.emit(ConsoleEvent::AuthFailed(
                        "the password was not accepted".into(),
                    ));
                }
                self.awaiting_password.set(true);
                self.emit(ConsoleEvent::PasswordNeeded);
            }
            E::ErrorConnect => {
                self.error
                    .replace(Some("could not connect to the display".into()));
                self.session.disconnect();
            }
            E::ErrorTls => {
                self.error
                    .replace(Some("the display's TLS connection failed".into()));
                self.session.disconnect();
            }
            E::ErrorLink | E::ErrorIo => {
                if self.error.borrow().is_none() {
                    self.error
                        .replace(Some("the connection to the display failed".into()));
                }
                self.session.disconnect();
            }
            E::Closed if !self.awaiting_password.get() => self.session.disconnect(),
            _ => {}
        }
    }
}

impl DisplaySource for Inner {
    fn key(&self, down: bool, _keysym: u32, linux: u16) {
        let Some(inputs) = self.inputs.borrow().clone() else {
            return;
        };
        let code = scancode(linux);
        if down {
            inputs.key_press(code);
        } else {
            inputs.key_release(code);
        }
    }

    fn pointer(&self, buttons: u8, x: u16, y: u16) {
        let Some(inputs) = self.inputs.borrow().clone() else {
            return;
        };
        let held = i32::from(self.buttons.get() & 0x1f);
        if self.last.get() != Some((x, y)) {
            if self.client_mouse() {
                inputs.position(i32::from(x), i32::from(y), 0, held);
            } else if let Some((lx, ly)) = self.last.get() {
                // Server mode: relative motion (GTK 4.8 cannot warp the
                // pointer, so it stops at the window's edges).
                let (dx, dy) = (i32::from(x) - i32::from(lx), i32::from(y) - i32::from(ly));
                inputs.motion(dx, dy, held);
            }
            self.last.set(Some((x, y)));
        }
        let mut mask = self.buttons.get();
        for (button, pressed) in button_changes(self.buttons.get(), buttons) {
            let bit = 1u8 << (button - 1);
            mask = if pressed { mask | bit } else { mask & !bit };
            if pressed {
                inputs.button_press(button, i32::from(mask & 0x1f));
            } else {
                inputs.button_release(button, i32::from(mask & 0x1f));
            }
        }
        self.buttons.set(buttons);
    }

    fn request_size(&self, width: u32, height: u32) -> bool {
        let Some(main) = self.main.borrow().clone() else {
            // Before the session is up there is nothing to refuse yet.
            return true;
        };
        // The guest resizes through its agent (spice-vdagent).
        if !main.is_agent_connected() {
            return false;
        }
        main.update_display_enabled(0, true, false);
        main.update_display(0, 0, 0, width as i32, height as i32, true);
        true
    }
}

/// A SPICE session shown in a [`ConsoleView`]. Dropping it disconnects.
pub struct SpiceSession {
    inner: Rc<Inner>,
}

impl Drop for SpiceSession {
    fn drop(&mut self) {
        self.inner.ended.set(true);
        if let Some(watch) = self.inner.clipboard_watch.take() {
            self.inner.clipboard.disconnect(watch);
        }
        self.inner.session.disconnect();
    }
}

impl SpiceSession {
    /// A session for `view`. `sockets` gives each channel past the first a
    /// socket of its own when the session was opened on one.
    pub fn new(view: &ConsoleView, sockets: Option<SocketSource>) -> SpiceSession {
        let session = spice::Session::new();
        // GTK 4.8 cannot import the dmabufs of GL scanout.
        session.set_gl_scanout(false);
        session.set_enable_usbredir(false);
        // Sound plays through spice-client-glib's GStreamer backend.
        session.set_enable_audio(true);
        let inner = Rc::new(Inner {
            session: session.clone(),
            view: view.downgrade(),
            main: RefCell::default(),
            inputs: RefCell::default(),
            screen: RefCell::default(),
            primary: RefCell::default(),
            marked: Cell::new(false),
            shown: Cell::new(false),
            buttons: Cell::new(0),
            last: Cell::new(None),
            password_given: Cell::new(false),
            awaiting_password: Cell::new(false),
            error: RefCell::default(),
            ended: Cell::new(false),
            listeners: RefCell::default(),
            sockets,
            audio: RefCell::default(),
            playback: RefCell::default(),
            muted: Cell::new(false),
            clipboard: view.clipboard(),
            share_clipboard: Cell::new(true),
            clipboard_watch: RefCell::default(),
        });
        let weak = Rc::downgrade(&inner);
        let watch = inner.clipboard.connect_changed(move |_| {
            if let Some(inner) = weak.upgrade() {
                inner.offer_clipboard();
            }
        });
        inner.clipboard_watch.replace(Some(watch));
        let weak = Rc::downgrade(&inner);
        session.connect_channel_new(move |_, channel| {
            let Some(inner) = weak.upgrade() else { return };
            Self::channel_new(&inner, channel);
        });
        let weak = Rc::downgrade(&inner);
        session.connect_disconnected(move |_| {
            if let Some(inner) = weak.upgrade()
                && !inner.awaiting_password.get()
            {
                inner.end();
            }
        });
        view.set_input(Some(inner.clone() as Rc<dyn DisplaySource>));
        SpiceSession { inner }
    }

    fn channel_new(inner: &Rc<Inner>, channel: &spice::Channel) {
        Self::watch_channel(inner, channel);
        // The session connects its main channel; the others are the
        // client's to connect, once their signals are in place.
        let wanted = channel.is::<spice::DisplayChannel>()
            || channel.is::<spice::InputsChannel>()
            || channel.is::<spice::CursorChannel>()
            || channel.is::<spice::PlaybackChannel>();
        if wanted && !ChannelExt::connect(channel) {
            ChannelExt::disconnect(channel, spice::ChannelEvent::ErrorConnect);
        }
    }

    fn watch_channel(inner: &Rc<Inner>, channel: &spice::Channel) {
        if let Some(sockets) = inner.sockets.clone() {
            channel.connect_open_fd(move |channel, _tls| {
                let channel = channel.clone();
                sockets(Box::new(move |socket| match socket {
                    Ok(fd) => {
                        // spice-client-glib owns the fd from here on.
                        channel.open_fd(fd.into_raw_fd());
                    }
                    Err(_) => ChannelExt::disconnect(&channel, spice::ChannelEvent::ErrorConnect),
                }));
            });
        }
        let weak = Rc::downgrade(inner);
        let with = move |f: &dyn Fn(&Inner)| {
            if let Some(inner) = weak.upgrade() {
                f(&inner);
            }
        };
        if let Some(main) = channel.downcast_ref::<spice::MainChannel>() {
            inner.main.replace(Some(main.clone()));
            let w = with.clone();
            main.connect_channel_event(move |_, event| w(&|i| i.channel_event(event)));
            let w = with.clone();
            main.connect_main_mouse_update(move |main| {
                w(&|i| {
                    i.emit(ConsoleEvent::PointerMode {
                        absolute: main.mouse_mode() == MOUSE_MODE_CLIENT,
                    })
                })
            });
            clipboard::watch(inner, main);
        } else if let Some(display) = channel.downcast_ref::<spice::DisplayChannel>() {
            if channel.property::<i32>("channel-id") != 0 {
                return;
            }
            let w = with.clone();
            display.connect_display_primary_create(move |d| w(&|i| i.primary_created(d)));
            let w = with.clone();
            display.connect_display_invalidate(move |d, x, y, width, height| {
                w(&|i| {
                    let c = |v: i32| v.max(0) as usize;
                    i.copy(d, c(x), c(y), c(width), c(height));
                })
            });
            let w = with.clone();
            display.connect_display_mark(move |d, mark| {
                w(&|i| {
                    let was = i.marked.replace(mark != 0);
                    if mark != 0 && !was {
                        let (width, height) = i
                            .primary
                            .borrow()
                            .as_ref()
                            .map_or((0, 0), |p| (p.width(), p.height()));
                        i.copy(d, 0, 0, width, height);
                    }
                })
            });
            let w = with;
            display.connect_display_primary_destroy(move |_| {
                w(&|i| {
                    i.marked.set(false);
                    i.primary.replace(None);
                })
            });
        } else if let Some(playback) = channel.downcast_ref::<spice::PlaybackChannel>() {
            // The player is made for the first playback channel (it
            // watches the session's channels from then on).
            if inner.audio.borrow().is_none() {
                inner.audio.replace(spice::Audio::get(&inner.session, None));
            }
            playback.set_mute(inner.muted.get());
            inner.playback.replace(Some(playback.clone()));
            let w = with.clone();
            playback.connect_channel_event(move |_, event| {
                if event == spice::ChannelEvent::Opened {
                    w(&|i| i.emit(ConsoleEvent::Sound));
                }
            });
        } else if let Some(inputs) = channel.downcast_ref::<spice::InputsChannel>() {
            inner.inputs.replace(Some(inputs.clone()));
        } else if let Some(cursor) = channel.downcast_ref::<spice::CursorChannel>() {
            let w = with.clone();
            cursor.connect_cursor_notify(move |c| w(&|i| i.cursor_changed(c)));
            let w = with;
            cursor.connect_cursor_hide(move |_| {
                w(&|i| {
                    if let Some(view) = i.view.upgrade() {
                        view.set_guest_cursor(None);
                    }
                })
            });
        }
    }

    /// Speak SPICE over an already connected socket (libvirt's
    /// `virDomainOpenGraphicsFD`, or an `ssh` tunnel); spice-client-glib
    /// owns the fd from here on. Other channels ask `sockets` for theirs.
    pub fn open_fd(&self, fd: OwnedFd) -> Result<(), String> {
        if self.inner.session.open_fd(fd.into_raw_fd()) {
            Ok(())
        } else {
            Err("could not start the SPICE session".into())
        }
    }

    /// Connect to a SPICE server's UNIX socket.
    pub fn open_socket(&self, path: &str) -> Result<(), String> {
        self.inner.session.set_unix_path(Some(path));
        self.connect()
    }

    /// Connect to a SPICE server over TCP: its plain `port`, and its TLS
    /// port with the CA certificate file that signs the server's.
    pub fn open_host(
        &self,
        host: &str,
        port: Option<u16>,
        tls: Option<(u16, String)>,
    ) -> Result<(), String> {
        let session = &self.inner.session;
        session.set_host(Some(host));
        // Only values that are set: the bindings mishandle unset ones.
        if let Some(port) = port {
            session.set_port(Some(&port.to_string()));
        }
        if let Some((tls_port, ca)) = tls {
            session.set_tls_port(Some(&tls_port.to_string()));
            session.set_ca_file(Some(&ca));
        }
        self.connect()
    }

    fn connect(&self) -> Result<(), String> {
        if self.inner.session.connect() {
            Ok(())
        } else {
            Err("could not start the SPICE session".into())
        }
    }
}

impl Session for SpiceSession {
    fn connect_event(&self, f: Box<dyn Fn(&ConsoleEvent)>) {
        self.inner.listeners.borrow_mut().push(f);
    }

    fn provide_password(&self, password: &str) {
        self.inner.password_given.set(true);
        self.inner.awaiting_password.set(false);
        self.inner.session.set_password(Some(password));
        // Started on a socket of its own: the main channel gets a new one
        // the same way (`connect` would dial a host and port it has not).
        let Some(sockets) = self.inner.sockets.clone() else {
            let _ = self.connect();
            return;
        };
        let weak = Rc::downgrade(&self.inner);
        sockets(Box::new(move |socket| {
            let Some(inner) = weak.upgrade() else { return };
            match socket {
                Ok(fd) => {
                    inner.session.open_fd(fd.into_raw_fd());
                }
                Err(e) => {
                    inner.error.replace(Some(e));
                    inner.end();
                }
            }
        }));
    }

    fn share_clipboard(&self, share: bool) {
        if !self.inner.share_clipboard.replace(share) && share {
            self.inner.offer_clipboard();
        }
    }

    fn set_muted(&self, muted: bool) {
        self.inner.muted.set(muted);
        if let Some(playback) = self.inner.playback.borrow().as_ref() {
            playback.set_mute(muted);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scancodes_are_xt_with_extended_keys_as_0x100() {
        assert_eq!(scancode(30), 0x1e, "A");
        assert_eq!(scancode(28), 0x1c, "Return");
        assert_eq!(scancode(97), 0x11d, "Right Ctrl");
        assert_eq!(scancode(103), 0x148, "Up");
        assert_eq!(scancode(111), 0x153, "Delete");
        assert_eq!(scancode(87), 0x57, "F11");
    }

    #[test]
    fn rectangles_are_copied_and_16_bit_pixels_widened() {
        // 2x2 source, 32-bit: only the rectangle (1, 1, 1, 1) moves.
        let src: Vec<u8> = (0..16).collect();
        let mut dst = vec![0u8; 16];
        assert!(copy_rect(&src, 8, FMT_32_XRGB, &mut dst, 8, (1, 1, 1, 1)));
        assert_eq!(&dst[12..16], &[12, 13, 14, 15]);
        assert!(dst[..12].iter().all(|&b| b == 0));
        // 565: pure red, green and blue widen to full intensity.
        let src: Vec<u8> = [0xf800u16, 0x07e0, 0x001f]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let mut dst = vec![0u8; 12];
        assert!(copy_rect(&src, 6, FMT_16_565, &mut dst, 12, (0, 0, 3, 1)));
        assert_eq!(&dst[0..4], &[0, 0, 255, 255]);
        assert_eq!(&dst[4..8], &[0, 255, 0, 255]);
        assert_eq!(&dst[8..12], &[255, 0, 0, 255]);
        // 555: white.
        let src = 0x7fffu16.to_le_bytes();
        let mut dst = vec![0u8; 4];
        assert!(copy_rect(&src, 2, FMT_16_555, &mut dst, 4, (0, 0, 1, 1)));
        assert_eq!(dst, [255, 255, 255, 255]);
        assert!(!copy_rect(&src, 2, 8, &mut dst, 4, (0, 0, 1, 1)), "8_A");
    }

    #[test]
    fn buttons_follow_the_rfb_mask() {
        assert_eq!(button_changes(0, 1), [(1, true)]);
        assert_eq!(button_changes(1, 0), [(1, false)]);
        assert_eq!(button_changes(0b101, 0b001), [(3, false)]);
        assert_eq!(button_changes(0, 0b1000), [(4, true)], "wheel up");
        assert_eq!(button_changes(0b10000, 0), [(5, false)], "wheel down");
        assert!(button_changes(3, 3).is_empty());
    }
}
