//! The console widget driven by a real gvnc connection against a small RFB
//! 3.8 server of our own, over a socket pair: the handshake, framebuffer
//! bytes landing in the widget's buffer, the QEMU extended key event sent
//! for a key, and the updates on the X screen, drawn straight onto the
//! window by GTK's cairo renderer path without painting over a widget laid
//! over the console; and Resize Guest to Window asking the server for the
//! console's size in device pixels (also at GTK's scale 2).
//!
//! Needs an X display (GTK): `make test` runs it under Xvfb.

use std::cell::RefCell;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use gtk::prelude::*;
use vireo::console::keymap::{keysym, linux};
use vireo::console::{ConsoleEvent, ConsoleView, ScaleMode, VncSession};

/// The guest screen's size.
const W: u16 = 160;
const H: u16 = 120;

/// What the server saw the client do.
#[derive(Debug)]
enum Seen {
    Encodings(Vec<i32>),
    /// QEMU extended key event: down, keysym, keycode.
    ExtKey(bool, u32, u32),
    /// SetDesktopSize: the size the client asked the guest for.
    DesktopSize(u16, u16),
}

/// An ExtendedDesktopSize pseudo-rectangle (`reason` 0: the server's own
/// change, 1: the client's request) for a single screen of `w` × `h`.
fn desktop_size(reason: u16, w: u16, h: u16) -> Vec<u8> {
    let mut rect = Vec::new();
    for v in [reason, 0, w, h] {
        rect.extend(v.to_be_bytes());
    }
    rect.extend((-308i32).to_be_bytes());
    rect.extend([1, 0, 0, 0]); // one screen
    rect.extend(0u32.to_be_bytes()); // its id
    for v in [0u16, 0, w, h] {
        rect.extend(v.to_be_bytes());
    }
    rect.extend(0u32.to_be_bytes()); // flags
    rect
}

fn read_exact(s: &mut UnixStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    s.read_exact(&mut buf).expect("the client keeps talking");
    buf
}

fn u16be(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

fn u32be(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// A 160x120 RFB server with QEMU's pixel format that, once the client asked
/// for encodings, acknowledges extended key events and sends a 4x2 raw
/// rectangle of known pixels at (8, 4).
fn serve(mut s: UnixStream, seen: mpsc::Sender<Seen>, resizable: bool) {
    s.write_all(b"RFB 003.008\n").unwrap();
    let version = read_exact(&mut s, 12);
    assert_eq!(&version[..4], b"RFB ");
    s.write_all(&[1, 1]).unwrap(); // one security type: None
    assert_eq!(read_exact(&mut s, 1), [1]);
    s.write_all(&0u32.to_be_bytes()).unwrap(); // security result: OK
    let _shared = read_exact(&mut s, 1);
    let mut init = Vec::new();
    init.extend(W.to_be_bytes());
    init.extend(H.to_be_bytes());
    // 32 bpp, depth 24, little endian, true colour, max 255, shifts 16/8/0.
    init.extend([32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]);
    let name = b"rfb-test";
    init.extend((name.len() as u32).to_be_bytes());
    init.extend(name);
    s.write_all(&init).unwrap();

    let mut sent_update = false;
    loop {
        let mut kind = [0u8; 1];
        if s.read_exact(&mut kind).is_err() {
            return;
        }
        match kind[0] {
            0 => drop(read_exact(&mut s, 19)), // SetPixelFormat
            2 => {
                let head = read_exact(&mut s, 3);
                let count = u16be(&head[1..]) as usize;
                let body = read_exact(&mut s, count * 4);
                let encodings: Vec<i32> = body
                    .chunks(4)
                    .map(|c| i32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                    .collect();
                let _ = seen.send(Seen::Encodings(encodings));
                if !sent_update {
                    sent_update = true;
                    let mut msg = vec![0u8, 0];
                    msg.extend((2 + u16::from(resizable)).to_be_bytes());
                    // The guest's screen can be resized by the client.
                    if resizable {
                        msg.extend(desktop_size(0, W, H));
                    }
                    // Pseudo-rectangle: extended key events acknowledged.
                    for v in [0u16, 0, W, H] {
                        msg.extend(v.to_be_bytes());
                    }
                    msg.extend((-258i32).to_be_bytes());
                    // Raw 4x2 rectangle at (8, 4): B, G, R, X pixels.
                    for v in [8u16, 4, 4, 2] {
                        msg.extend(v.to_be_bytes());
                    }
                    msg.extend(0i32.to_be_bytes());
                    for i in 0..8u8 {
                        msg.extend([0x10 + i, 0x20 + i, 0x30 + i, 0x00]);
                    }
                    s.write_all(&msg).unwrap();
                }
            }
            3 => drop(read_exact(&mut s, 9)), // FramebufferUpdateRequest
            4 => drop(read_exact(&mut s, 7)), // KeyEvent (plain)
            5 => drop(read_exact(&mut s, 5)), // PointerEvent
            6 => {
                let head = read_exact(&mut s, 7);
                drop(read_exact(&mut s, u32be(&head[3..]) as usize));
            }
            251 => {
                // SetDesktopSize: resize as asked, and say so.
                let head = read_exact(&mut s, 7);
                let (w, h) = (u16be(&head[1..3]), u16be(&head[3..5]));
                drop(read_exact(&mut s, usize::from(head[5]) * 16));
                let _ = seen.send(Seen::DesktopSize(w, h));
                let mut msg = vec![0u8, 0];
                msg.extend(1u16.to_be_bytes());
                msg.extend(desktop_size(1, w, h));
                s.write_all(&msg).unwrap();
            }
            255 => {
                let body = read_exact(&mut s, 11);
                assert_eq!(body[0], 0, "QEMU extended key event subtype");
                let _ = seen.send(Seen::ExtKey(
                    u16be(&body[1..3]) != 0,
                    u32be(&body[3..7]),
                    u32be(&body[7..11]),
                ));
            }
            other => panic!("unexpected client message {other}"),
        }
    }
}

/// A FramebufferUpdate with one raw rectangle of one colour (B, G, R, X).
fn raw_update(x: u16, y: u16, w: u16, h: u16, bgrx: [u8; 4]) -> Vec<u8> {
    let mut msg = vec![0u8, 0];
    msg.extend(1u16.to_be_bytes());
    for v in [x, y, w, h] {
        msg.extend(v.to_be_bytes());
    }
    msg.extend(0i32.to_be_bytes());
    for _ in 0..usize::from(w) * usize::from(h) {
        msg.extend(bgrx);
    }
    msg
}

/// The X screen as R, G, B rows (ImageMagick's `import`, as PPM).
struct Screen {
    width: usize,
    rgb: Vec<u8>,
}

impl Screen {
    fn grab() -> Screen {
        let out = std::process::Command::new("import")
            .args(["-window", "root", "-depth", "8", "ppm:-"])
            .output()
            .expect("ImageMagick's import runs");
        assert!(out.status.success(), "import -window root failed");
        // P6 <width> <height> <max>, one whitespace byte, then the pixels.
        let mut fields = Vec::new();
        let mut at = 0;
        while fields.len() < 4 {
            while out.stdout[at].is_ascii_whitespace() {
                at += 1;
            }
            let start = at;
            while !out.stdout[at].is_ascii_whitespace() {
                at += 1;
            }
            fields.push(String::from_utf8_lossy(&out.stdout[start..at]).into_owned());
        }
        assert_eq!(fields[0], "P6");
        assert_eq!(fields[3], "255");
        Screen {
            width: fields[1].parse().unwrap(),
            rgb: out.stdout[at + 1..].to_vec(),
        }
    }

    fn at(&self, x: usize, y: usize) -> [u8; 3] {
        let i = (y * self.width + x) * 3;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    /// The bounding box (x, y, width, height) of the pixels of `rgb`.
    fn find(&self, rgb: [u8; 3]) -> Option<(usize, usize, usize, usize)> {
        let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
        for (i, px) in self.rgb.chunks_exact(3).enumerate() {
            if px == rgb {
                let (x, y) = (i % self.width, i / self.width);
                (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
            }
        }
        (x0 != usize::MAX).then(|| (x0, y0, x1 - x0 + 1, y1 - y0 + 1))
    }
}

/// Run the main loop until the X screen satisfies `check` (a few seconds).
fn screen_until(what: &str, mut check: impl FnMut(&Screen) -> bool) -> Screen {
    let start = Instant::now();
    loop {
        let ctx = gtk::glib::MainContext::default();
        while ctx.iteration(false) {}
        let screen = Screen::grab();
        if check(&screen) {
            return screen;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the screen never showed {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Run the main loop until `done` or a timeout.
fn iterate_until(what: &str, mut done: impl FnMut() -> bool) {
    let ctx = gtk::glib::MainContext::default();
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        ctx.iteration(false);
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn gvnc_drives_the_console_view_over_a_socket_pair() {
    assert!(
        std::env::var_os("DISPLAY").is_some(),
        "needs an X display: run through `make test`"
    );
    // GTK's cairo renderer, as on machines without a GPU: the console then
    // draws updates onto the window itself.
    // SAFETY: before GTK starts, no other thread reads the environment.
    unsafe {
        std::env::set_var("GSK_RENDERER", "cairo");
        std::env::set_var("GDK_DEBUG", "gl-disable");
    }
    gtk::init().expect("GTK starts");
    let (server, client) = UnixStream::pair().unwrap();
    let mut updates = server.try_clone().unwrap();
    let (tx, seen) = mpsc::channel();
    let thread = std::thread::spawn(move || serve(server, tx, true));

    let view = ConsoleView::new();
    let session = VncSession::new(&view, true);
    let events: Rc<RefCell<Vec<ConsoleEvent>>> = Rc::default();
    {
        let events = events.clone();
        session.connect_event(move |e| events.borrow_mut().push(e.clone()));
    }
    session
        .open_fd(std::os::fd::OwnedFd::from(client))
        .expect("gvnc takes the socket");

    iterate_until("the handshake", || {
        events
            .borrow()
            .iter()
            .any(|e| matches!(e, ConsoleEvent::Initialized { .. }))
    });
    assert!(events.borrow().contains(&ConsoleEvent::Connected));
    assert!(events.borrow().contains(&ConsoleEvent::Initialized {
        width: u32::from(W),
        height: u32::from(H),
        name: "rfb-test".into()
    }));
    assert_eq!(view.guest_size(), (u32::from(W), u32::from(H)));

    // The raw rectangle's bytes land in the widget's buffer, made opaque.
    iterate_until("the rectangle", || {
        view.pixel(8, 4) == Some([0x10, 0x20, 0x30, 0xff])
    });
    assert_eq!(view.pixel(11, 5), Some([0x17, 0x27, 0x37, 0xff]));
    assert_eq!(
        view.pixel(7, 4),
        Some([0, 0, 0, 0xff]),
        "outside stays black"
    );

    let encodings = match seen.recv_timeout(Duration::from_secs(5)).unwrap() {
        Seen::Encodings(e) => e,
        other => panic!("expected SetEncodings, got {other:?}"),
    };
    assert!(
        encodings.contains(&-258),
        "ExtKeyEvent is asked for: {encodings:?}"
    );
    assert_eq!(encodings[0], 0, "Raw first on a local socket");
    iterate_until("the extended key acknowledgement", || {
        session.has_scancodes()
    });

    // Delete, pressed and released: QEMU's scancode for it is 0xd3.
    view.send_keys(&[(keysym::DELETE, linux::DELETE)]);
    let mut keys = Vec::new();
    iterate_until("two key events", || {
        while let Ok(s) = seen.try_recv() {
            if let Seen::ExtKey(down, sym, code) = s {
                keys.push((down, sym, code));
            }
        }
        keys.len() >= 2
    });
    assert_eq!(keys, [(true, 0xffff, 0xd3), (false, 0xffff, 0xd3)]);

    // On screen, 1:1 (a guest pixel per device pixel), with a red box 16
    // pixels wide laid over the right edge. `GDK_SCALE=2` runs it on a
    // HiDPI screen.
    let scale: usize = std::env::var("GDK_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let css = gtk::CssProvider::new();
    css.load_from_data(".cover { background: rgb(255, 0, 0); }");
    gtk::style_context_add_provider_for_display(
        &gtk::gdk::Display::default().unwrap(),
        &css,
        gtk::STYLE_PROVIDER_PRIORITY_APPLICATION,
    );
    view.set_scale_mode(ScaleMode::OneToOne);
    let overlay = gtk::Overlay::new();
    overlay.set_child(Some(&view));
    let cover = gtk::Box::builder()
        .width_request(16)
        .halign(gtk::Align::End)
        .css_classes(["cover"])
        .build();
    overlay.add_overlay(&cover);
    let window = gtk::Window::builder()
        .decorated(false)
        .child(&overlay)
        .build();
    window.present();
    // The first guest column under the box.
    let covered = usize::from(W) - 16 * scale;
    let green = [0x40, 0x80, 0x20, 0]; // B, G, R, X: rgb(32, 128, 64)
    updates.write_all(&raw_update(0, 0, W, H, green)).unwrap();
    let screen = screen_until("the guest screen beside the red box", |s| {
        s.find([0x20, 0x80, 0x40])
            .is_some_and(|(_, _, w, h)| w == covered && h == usize::from(H))
    });
    let (x0, y0, _, _) = screen.find([0x20, 0x80, 0x40]).unwrap();
    assert_eq!(
        screen.at(x0 + covered + 2, y0 + 20),
        [255, 0, 0],
        "the box is on top"
    );

    // A small update away from the box is drawn straight onto the window.
    let direct = view.direct_frames();
    let blue = [0x90, 0x60, 0x30, 0];
    updates.write_all(&raw_update(4, 4, 8, 8, blue)).unwrap();
    iterate_until("a direct draw", || view.direct_frames() > direct);
    screen_until("the update", |s| {
        s.find([0x30, 0x60, 0x90]) == Some((x0 + 4, y0 + 4, 8, 8))
    });

    // One reaching under the box changes the guest screen, not the box.
    let frames = view.frames_rendered();
    let x = covered as u16 - 4;
    updates.write_all(&raw_update(x, 30, 12, 4, blue)).unwrap();
    iterate_until("the hidden update", || {
        view.pixel(u32::from(x) + 6, 31) == Some([0x90, 0x60, 0x30, 0xff])
            && view.frames_rendered() > frames
    });
    let screen = screen_until("the visible part of it", |s| {
        s.at(x0 + covered - 3, y0 + 31) == [0x30, 0x60, 0x90]
    });
    assert_eq!(
        screen.at(x0 + covered + 2, y0 + 31),
        [255, 0, 0],
        "the box stays on top"
    );
    assert_eq!(screen.at(x0 + 3, y0 + 3), [0x20, 0x80, 0x40]);

    // Resize Guest to Window: the window's new size (in device pixels) is
    // asked of the guest, whose answer resizes the screen.
    view.set_scale_mode(ScaleMode::ResizeGuest);
    window.set_default_size(300, 200);
    let asked = loop {
        match seen.recv_timeout(Duration::from_millis(20)) {
            Ok(Seen::DesktopSize(w, h)) => break (w, h),
            Ok(_) | Err(mpsc::RecvTimeoutError::Timeout) => {
                let ctx = gtk::glib::MainContext::default();
                while ctx.iteration(false) {}
            }
            Err(e) => panic!("no SetDesktopSize: {e}"),
        }
    };
    assert_eq!(
        (usize::from(asked.0), usize::from(asked.1)),
        (
            view.width() as usize * scale,
            view.height() as usize * scale
        ),
        "the guest is asked for the console's size"
    );
    assert!(asked.0 >= 300, "the window grew: {asked:?}");
    iterate_until("the guest's new size", || {
        view.guest_size() == (u32::from(asked.0), u32::from(asked.1))
    });
    assert!(events.borrow().contains(&ConsoleEvent::Resized {
        width: u32::from(asked.0),
        height: u32::from(asked.1)
    }));

    session.close();
    iterate_until("the disconnect", || {
        events
            .borrow()
            .iter()
            .any(|e| matches!(e, ConsoleEvent::Disconnected(_)))
    });
    drop(session);
    thread.join().unwrap();

    // A server that cannot resize its screen: Resize Guest to Window says so.
    let refused = Rc::new(std::cell::Cell::new(false));
    {
        let refused = refused.clone();
        view.connect_resize_refused(move || refused.set(true));
    }
    let (server, client) = UnixStream::pair().unwrap();
    let (tx, _seen) = mpsc::channel();
    let thread = std::thread::spawn(move || serve(server, tx, false));
    let session = VncSession::new(&view, true);
    session
        .open_fd(std::os::fd::OwnedFd::from(client))
        .expect("gvnc takes the socket");
    window.set_default_size(320, 240);
    iterate_until("the refusal", || refused.get());
    session.close();
    drop(session);
    thread.join().unwrap();
}
