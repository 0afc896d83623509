//! The console widget driven by a real gvnc connection against a small RFB
//! 3.8 server of our own, over a socket pair: the handshake, framebuffer
//! bytes landing in the widget's buffer, and the QEMU extended key event
//! sent for a key.
//!
//! Needs an X display (GTK): `make test` runs it under Xvfb.

use std::cell::RefCell;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use vireo::console::keymap::{keysym, linux};
use vireo::console::{ConsoleEvent, ConsoleView, VncSession};

/// What the server saw the client do.
#[derive(Debug)]
enum Seen {
    Encodings(Vec<i32>),
    /// QEMU extended key event: down, keysym, keycode.
    ExtKey(bool, u32, u32),
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

/// A 64x48 RFB server with QEMU's pixel format that, once the client asked
/// for encodings, acknowledges extended key events and sends a 4x2 raw
/// rectangle of known pixels at (8, 4).
fn serve(mut s: UnixStream, seen: mpsc::Sender<Seen>) {
    s.write_all(b"RFB 003.008\n").unwrap();
    let version = read_exact(&mut s, 12);
    assert_eq!(&version[..4], b"RFB ");
    s.write_all(&[1, 1]).unwrap(); // one security type: None
    assert_eq!(read_exact(&mut s, 1), [1]);
    s.write_all(&0u32.to_be_bytes()).unwrap(); // security result: OK
    let _shared = read_exact(&mut s, 1);
    let mut init = Vec::new();
    init.extend(64u16.to_be_bytes());
    init.extend(48u16.to_be_bytes());
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
                    msg.extend(2u16.to_be_bytes());
                    // Pseudo-rectangle: extended key events acknowledged.
                    for v in [0u16, 0, 64, 48] {
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
    gtk::init().expect("GTK starts");
    let (server, client) = UnixStream::pair().unwrap();
    let (tx, seen) = mpsc::channel();
    let thread = std::thread::spawn(move || serve(server, tx));

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
        width: 64,
        height: 48,
        name: "rfb-test".into()
    }));
    assert_eq!(view.guest_size(), (64, 48));

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

    session.close();
    iterate_until("the disconnect", || {
        events
            .borrow()
            .iter()
            .any(|e| matches!(e, ConsoleEvent::Disconnected(_)))
    });
    drop(session);
    thread.join().unwrap();
}
