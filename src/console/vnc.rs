//! One VNC connection (gvnc) driving a [`ConsoleView`].
//!
//! gvnc starts each connection and emits every signal from idle callbacks
//! (`G_PRIORITY_DEFAULT_IDLE`). GTK's frame clock runs at a higher
//! priority, so a window that animates without pause (a spinning spinner
//! under software rendering) starves gvnc completely: nothing in Vireo may
//! animate continuously while a console connects or runs.
//!
//! Everything gvnc does runs on the GTK main thread: its protocol runs as a
//! coroutine in the default main context and emits signals while suspended.
//! The framebuffer must be replaced inside the resize and pixel-format
//! handlers, before gvnc reads the next rectangle.

use std::cell::RefCell;
use std::os::fd::{IntoRawFd, OwnedFd};
use std::rc::Rc;

use gtk::glib::translate::{IntoGlib, ToGlibPtr};
use gtk::{cairo, gio, glib};
use gvnc::prelude::*;

use super::canvas::ConsoleView;
use super::display::{ConsoleEvent, DisplaySource, Session};
use super::fb::{self, Framebuffer};
use super::keymap;

type Listener = Box<dyn Fn(&ConsoleEvent)>;

struct Inner {
    conn: gvnc::Connection,
    /// gvnc said `vnc-disconnected`: its cleanup is over.
    done: Rc<std::cell::Cell<bool>>,
    /// An `open_*` call succeeded (gvnc's coroutine runs).
    opened: std::cell::Cell<bool>,
    view: glib::WeakRef<ConsoleView>,
    fb: RefCell<Option<Framebuffer>>,
    error: RefCell<Option<String>>,
    listeners: RefCell<Vec<Listener>>,
}

thread_local! {
    /// Connections shutting down: gvnc must stay referenced until it says
    /// it disconnected.
    static CLOSING: RefCell<Vec<gvnc::Connection>> = const { RefCell::new(Vec::new()) };
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Keep an open connection until gvnc has finished with its socket
        // (`vnc-disconnected`): finalizing it mid-cleanup is not safe.
        if self.opened.get() && !self.done.get() {
            self.conn.shutdown();
            CLOSING.with(|c| c.borrow_mut().push(self.conn.clone()));
        }
    }
}

impl Inner {
    fn emit(&self, event: ConsoleEvent) {
        for f in self.listeners.borrow().iter() {
            f(&event);
        }
    }

    /// A framebuffer of the connection's current size and format.
    fn replace_framebuffer(&self) -> bool {
        let (w, h) = (self.conn.width(), self.conn.height());
        let (Ok(w16), Ok(h16)) = (u16::try_from(w), u16::try_from(h)) else {
            return false;
        };
        let Some(remote) = self.conn.pixel_format() else {
            return false;
        };
        let surface = match self.view.upgrade() {
            Some(view) => view.resize(w as u32, h as u32),
            None => cairo::ImageSurface::create(cairo::Format::Rgb24, w, h).ok(),
        };
        let Some(surface) = surface else {
            return false;
        };
        let fb = Framebuffer::new(&surface, &remote);
        if self.conn.set_framebuffer(&fb).is_err() {
            return false;
        }
        self.fb.replace(Some(fb));
        let _ = self.conn.framebuffer_update_request(false, 0, 0, w16, h16);
        true
    }
}

// Input goes out only once the handshake is over: a pointer event written
// before it would be read by the server as part of the handshake, and the
// connection would stall.
impl DisplaySource for Inner {
    fn key(&self, down: bool, keysym: u32, linux: u16) {
        if self.conn.is_initialized() {
            let _ = self.conn.key_event(down, keysym, keymap::qnum(linux));
        }
    }

    fn pointer(&self, buttons: u8, x: u16, y: u16) {
        if self.conn.is_initialized() {
            let _ = self.conn.pointer_event(buttons, x, y);
        }
    }

    fn request_size(&self, width: u32, height: u32) -> bool {
        // Before the handshake there is nothing to refuse yet.
        !self.conn.is_initialized()
            || self.conn.set_size(width, height) != gvnc::ConnectionResizeStatus::Unsupported
    }
}

/// A VNC session shown in a [`ConsoleView`]. Dropping it closes the connection.
pub struct VncSession {
    inner: Rc<Inner>,
}

impl Drop for VncSession {
    fn drop(&mut self) {
        // The view may still hold the session's input half: close now,
        // and tell no one (whoever dropped it has moved on).
        self.inner.listeners.borrow_mut().clear();
        if self.inner.opened.get() && !self.inner.done.get() {
            self.inner.conn.shutdown();
        }
    }
}

fn encodings(local: bool) -> Vec<i32> {
    use gvnc::ConnectionEncoding as E;
    // QEMU uses the first encoding it supports: on a local socket raw
    // pixels cost the least CPU on both sides; over a network compress.
    let mut list: Vec<E> = if local {
        vec![E::Raw, E::Zrle, E::Hextile]
    } else {
        vec![E::Zrle, E::Tight, E::Hextile, E::Raw]
    };
    list.extend([
        E::CopyRect,
        E::ExtKeyEvent,
        E::PointerChange,
        E::AlphaCursor,
        E::RichCursor,
        E::DesktopResize,
        E::ExtendedDesktopResize,
        E::Wmvi,
        E::LastRect,
        E::DesktopName,
        E::LedState,
    ]);
    list.into_iter().map(|e| e.into_glib()).collect()
}

impl VncSession {
    /// A session for `view`; open it with one of the `open_*` methods.
    pub fn new(view: &ConsoleView, local: bool) -> VncSession {
        if std::env::var_os("VIREO_GVNC_DEBUG").is_some() {
            gvnc::set_debug(true);
        }
        let conn = gvnc::Connection::new();
        let _ = conn.set_shared(true);
        let done: Rc<std::cell::Cell<bool>> = Rc::default();
        let inner = Rc::new(Inner {
            conn: conn.clone(),
            done: done.clone(),
            opened: Default::default(),
            view: view.downgrade(),
            fb: RefCell::default(),
            error: RefCell::default(),
            listeners: RefCell::default(),
        });
        let weak = Rc::downgrade(&inner);
        let with = move |f: &dyn Fn(&Inner)| {
            if let Some(inner) = weak.upgrade() {
                f(&inner);
            }
        };
        let w = with.clone();
        conn.connect_vnc_connected(move |_| w(&|i| i.emit(ConsoleEvent::Connected)));
        let w = with.clone();
        conn.connect_vnc_initialized(move |conn| {
            w(&|i| {
                let _ = conn.set_pixel_format(&fb::local_format());
                if !i.replace_framebuffer() || conn.set_encodings(&encodings(local)).is_err() {
                    i.error
                        .replace(Some("could not set up the guest screen".into()));
                    conn.shutdown();
                    return;
                }
                i.emit(ConsoleEvent::Initialized {
                    width: conn.width() as u32,
                    height: conn.height() as u32,
                    name: conn.name().map(|n| n.to_string()).unwrap_or_default(),
                });
                i.emit(ConsoleEvent::PointerMode {
                    absolute: conn.is_abs_pointer(),
                });
            })
        });
        let w = with.clone();
        conn.connect_vnc_framebuffer_update(move |conn, x, y, width, height| {
            w(&|i| {
                if let Some(view) = i.view.upgrade() {
                    view.damage(x as u32, y as u32, width as u32, height as u32);
                }
                let (fw, fh) = (conn.width() as u16, conn.height() as u16);
                let _ = conn.framebuffer_update_request(true, 0, 0, fw, fh);
            })
        });
        let w = with.clone();
        conn.connect_vnc_desktop_resize(move |_, width, height| {
            w(&|i| {
                if i.replace_framebuffer() {
                    i.emit(ConsoleEvent::Resized {
                        width: width as u32,
                        height: height as u32,
                    });
                }
            })
        });
        let w = with.clone();
        conn.connect_vnc_pixel_format_changed(move |_, _| {
            w(&|i| {
                i.replace_framebuffer();
            })
        });
        let w = with.clone();
        conn.connect_vnc_cursor_changed(move |_, cursor| {
            w(&|i| {
                let Some(view) = i.view.upgrade() else { return };
                match cursor {
                    Some(c) if c.width() > 0 && c.height() > 0 => {
                        let (cw, ch) = (u32::from(c.width()), u32::from(c.height()));
                        // gvnc's Cursor::data() overflows for 128x128 and up:
                        // read the RGBA bytes through the C API.
                        let data = unsafe {
                            let ptr = gvnc::ffi::vnc_cursor_get_data(c.to_glib_none().0);
                            if ptr.is_null() {
                                return view.set_guest_cursor(None);
                            }
                            std::slice::from_raw_parts(ptr, (cw * ch * 4) as usize)
                        };
                        view.set_guest_cursor(Some((
                            data,
                            cw,
                            ch,
                            i32::from(c.hotx()),
                            i32::from(c.hoty()),
                        )));
                    }
                    _ => view.set_guest_cursor(None),
                }
            })
        });
        let w = with.clone();
        conn.connect_vnc_pointer_mode_changed(move |_, absolute| {
            w(&|i| i.emit(ConsoleEvent::PointerMode { absolute }))
        });
        conn.connect_vnc_auth_choose_type(|conn, types| {
            let offered: Vec<gvnc::ConnectionAuth> = types
                .iter()
                .filter_map(|v| v.get::<gvnc::ConnectionAuth>().ok())
                .collect();
            let pick = [gvnc::ConnectionAuth::None, gvnc::ConnectionAuth::Vnc]
                .into_iter()
                .find(|a| offered.contains(a));
            match pick {
                Some(auth) => {
                    let _ = conn.set_auth_type(auth.into_glib() as u32);
                }
                // Without a type gvnc waits forever: give up instead.
                None => conn.shutdown(),
            }
        });
        let w = with.clone();
        conn.connect_vnc_auth_credential(move |conn, creds| {
            let wanted: Vec<gvnc::ConnectionCredential> = creds
                .iter()
                .filter_map(|v| v.get::<gvnc::ConnectionCredential>().ok())
                .collect();
            for cred in &wanted {
                if matches!(cred, gvnc::ConnectionCredential::Clientname) {
                    let _ = conn.set_credential(cred.into_glib(), "vireo");
                }
                if matches!(cred, gvnc::ConnectionCredential::Username) {
                    let _ = conn.set_credential(cred.into_glib(), "");
                }
            }
            if wanted.contains(&gvnc::ConnectionCredential::Password) {
                w(&|i| i.emit(ConsoleEvent::PasswordNeeded));
            }
        });
        let w = with.clone();
        conn.connect_vnc_auth_failure(move |_, reason| {
            w(&|i| {
                i.error.replace(Some(reason.to_owned()));
                i.emit(ConsoleEvent::AuthFailed(reason.to_owned()));
            })
        });
        conn.connect_vnc_auth_unsupported(|conn, _| conn.shutdown());
        let w = with.clone();
        conn.connect_vnc_error(move |_, message| {
            w(&|i| {
                i.error.replace(Some(message.to_owned()));
            })
        });
        let w = with;
        conn.connect_vnc_disconnected(move |conn| {
            done.set(true);
            // Let go of a connection kept for its shutdown, but not from
            // inside its own handler.
            let conn = conn.clone();
            glib::idle_add_local_once(move || {
                CLOSING.with(|c| c.borrow_mut().retain(|x| x != &conn));
            });
            w(&|i| {
                let error = i.error.take();
                i.emit(ConsoleEvent::Disconnected(error));
            })
        });
        view.set_input(Some(inner.clone() as Rc<dyn DisplaySource>));
        VncSession { inner }
    }

    /// Be told what happens to the connection.
    pub fn connect_event(&self, f: impl Fn(&ConsoleEvent) + 'static) {
        self.inner.listeners.borrow_mut().push(Box::new(f));
    }

    /// Speak VNC over an already connected socket (libvirt's
    /// `virDomainOpenGraphicsFD`); gvnc owns the fd from here on.
    pub fn open_fd(&self, fd: OwnedFd) -> Result<(), String> {
        let raw = fd.into_raw_fd();
        self.inner.opened.set(true);
        self.inner.conn.open_fd(raw).map_err(|e| {
            self.inner.opened.set(false);
            // SAFETY: gvnc did not take the fd.
            drop(unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(raw) });
            e.to_string()
        })
    }

    /// Connect to a VNC server's UNIX socket.
    pub fn open_socket(&self, path: &str) -> Result<(), String> {
        let addr = gio::UnixSocketAddress::new(std::path::Path::new(path));
        let result = self.inner.conn.open_addr(&addr, None);
        self.inner.opened.set(result.is_ok());
        result.map_err(|e| e.to_string())
    }

    /// Connect to a VNC server over TCP.
    pub fn open_host(&self, host: &str, port: u16) -> Result<(), String> {
        let result = self.inner.conn.open_host(host, &port.to_string());
        self.inner.opened.set(result.is_ok());
        result.map_err(|e| e.to_string())
    }

    pub fn provide_password(&self, password: &str) {
        let _ = self
            .inner
            .conn
            .set_credential(gvnc::ConnectionCredential::Password.into_glib(), password);
    }

    /// Close the connection ([`ConsoleEvent::Disconnected`] follows).
    pub fn close(&self) {
        self.inner.conn.shutdown();
    }

    /// Whether the server took scancodes (QEMU's extended key events).
    pub fn has_scancodes(&self) -> bool {
        self.inner.conn.is_ext_key_event()
    }
}

impl Session for VncSession {
    fn connect_event(&self, f: Box<dyn Fn(&ConsoleEvent)>) {
        self.inner.listeners.borrow_mut().push(f);
    }

    fn provide_password(&self, password: &str) {
        VncSession::provide_password(self, password);
    }
}
