//! Text consoles: a guest's pty-backed `<serial>` and `<console>` devices,
//! reached through libvirt itself (`virDomainOpenConsole`), so they work on
//! remote connections as well as local ones.
//!
//! The stream is non-blocking. What the guest writes is read by a stream
//! callback on libvirt's event-loop thread and handed to the UI through a
//! channel ([`TextConsole::next`]); what the user types goes to a writer
//! thread of the console's own ([`TextConsole::send`]), so no UI call waits
//! on libvirt. The `virt` crate's stream callback keeps a pointer to the
//! `Stream` value (which must then never move), so the callback is
//! registered through `virt::sys` with a reference-counted state instead.

use std::os::raw::{c_int, c_void};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::mpsc;
use virt::sys;

use super::error::{Error, ErrorKind};

/// A text console device of a domain, as its live XML lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextDevice {
    /// The device alias libvirt opens it by (`serial0`, `console1`).
    pub alias: String,
    /// `serial` (a serial port) or `virtio` (a virtio console).
    pub kind: String,
    /// 1 for the first of its kind.
    pub number: u32,
}

/// The pty-backed text consoles of a domain's live XML: its serial ports,
/// and its virtio consoles. A `<console>` with a serial target is the first
/// serial port again (libvirt lists it twice) and is left out.
pub fn text_devices(xml: &str) -> Result<Vec<TextDevice>, String> {
    let doc = crate::core::xml::Document::parse(xml).map_err(|e| e.to_string())?;
    let mut devices = Vec::new();
    let mut serials = 0;
    let mut virtios = 0;
    let Some(list) = doc.root.child("devices") else {
        return Ok(devices);
    };
    for dev in list.elements() {
        let name = dev.name.as_str();
        if (name != "serial" && name != "console") || dev.attr("type").as_deref() != Some("pty") {
            continue;
        }
        let target = dev.child("target").and_then(|t| t.attr("type"));
        let kind = match (name, target.as_deref()) {
            ("serial", _) => "serial",
            ("console", Some("virtio")) => "virtio",
            _ => continue,
        };
        let Some(alias) = dev.child("alias").and_then(|a| a.attr("name")) else {
            continue;
        };
        let number = if kind == "serial" {
            serials += 1;
            serials
        } else {
            virtios += 1;
            virtios
        };
        devices.push(TextDevice {
            alias,
            kind: kind.to_owned(),
            number,
        });
    }
    Ok(devices)
}

/// What comes out of a text console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextEvent {
    /// Bytes the guest wrote.
    Data(Vec<u8>),
    /// The console closed: the guest stopped, another client took it over,
    /// or the connection failed (with libvirt's words).
    Closed(Option<String>),
}

/// The stream and what its callback needs; shared with libvirt's event
/// loop (one reference held by the registered callback).
struct Shared {
    stream: virt::stream::Stream,
    output: mpsc::UnboundedSender<TextEvent>,
    closed: AtomicBool,
}

// SAFETY: libvirt streams may be used from any thread (libvirt locks them
// internally); the stream is only read on the event-loop thread and only
// written on the console's writer thread.
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

impl Shared {
    fn close(&self, reason: Option<String>) {
        if !self.closed.swap(true, Ordering::SeqCst) {
            // SAFETY: the stream is alive for as long as `self`.
            unsafe {
                sys::virStreamEventRemoveCallback(self.stream.as_ptr());
            }
            let _ = self.output.send(TextEvent::Closed(reason));
        }
    }

    /// Read what is there (the stream is non-blocking).
    fn drain(&self) {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            // SAFETY: `buf` is writable for its length.
            let n = unsafe {
                sys::virStreamRecv(self.stream.as_ptr(), buf.as_mut_ptr().cast(), buf.len())
            };
            match n {
                n if n > 0 => {
                    let _ = self
                        .output
                        .send(TextEvent::Data(buf[..n as usize].to_vec()));
                }
                0 => return self.close(None),
                -2 => return, // nothing more for now
                _ => return self.close(Some(virt::error::Error::last_error().to_string())),
            }
        }
    }
}

extern "C" fn on_stream_event(_stream: sys::virStreamPtr, events: c_int, opaque: *mut c_void) {
    // SAFETY: `opaque` is the `Arc<Shared>` registered with the callback,
    // released only by `free_shared`.
    let shared = unsafe { &*(opaque as *const Shared) };
    if shared.closed.load(Ordering::SeqCst) {
        return;
    }
    let events = events as sys::virStreamEventType;
    if events & sys::VIR_STREAM_EVENT_READABLE != 0 {
        shared.drain();
    }
    if events & (sys::VIR_STREAM_EVENT_ERROR | sys::VIR_STREAM_EVENT_HANGUP) != 0 {
        // What is still buffered comes first.
        shared.drain();
        shared.close(None);
    }
}

extern "C" fn free_shared(opaque: *mut c_void) {
    // SAFETY: the reference `open` gave the callback.
    unsafe { drop(Arc::from_raw(opaque as *const Shared)) };
}

/// An open text console. Dropping it closes the stream.
pub struct TextConsole {
    shared: Arc<Shared>,
    input: std::sync::mpsc::Sender<Vec<u8>>,
    output: tokio::sync::Mutex<mpsc::UnboundedReceiver<TextEvent>>,
}

impl std::fmt::Debug for TextConsole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TextConsole")
    }
}

impl TextConsole {
    /// Open the text console `alias` of `domain` (`None`: its first).
    /// Another client's session is an error of kind `ConsoleBusy` unless
    /// `force` takes it over.
    pub(super) fn open(
        conn: &virt::connect::Connect,
        domain: &virt::domain::Domain,
        alias: Option<&str>,
        force: bool,
    ) -> Result<TextConsole, Error> {
        let stream = virt::stream::Stream::new(conn, sys::VIR_STREAM_NONBLOCK)?;
        let flags = if force {
            sys::VIR_DOMAIN_CONSOLE_FORCE
        } else {
            0
        };
        domain.open_console(alias, &stream, flags).map_err(|e| {
            let e = Error::from(e);
            if e.message.contains("Active console session") {
                Error::new(ErrorKind::ConsoleBusy, e.message)
            } else {
                e
            }
        })?;
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            stream,
            output: tx,
            closed: AtomicBool::new(false),
        });
        let opaque = Arc::into_raw(shared.clone()) as *mut c_void;
        let events = sys::VIR_STREAM_EVENT_READABLE
            | sys::VIR_STREAM_EVENT_ERROR
            | sys::VIR_STREAM_EVENT_HANGUP;
        // SAFETY: the callback owns one reference, released by `free_shared`.
        let added = unsafe {
            sys::virStreamEventAddCallback(
                shared.stream.as_ptr(),
                events as c_int,
                Some(on_stream_event),
                opaque,
                Some(free_shared),
            )
        };
        if added < 0 {
            // SAFETY: never registered: take the reference back.
            unsafe { drop(Arc::from_raw(opaque as *const Shared)) };
            return Err(virt::error::Error::last_error().into());
        }
        let (input, pending) = std::sync::mpsc::channel::<Vec<u8>>();
        let writer = shared.clone();
        std::thread::Builder::new()
            .name("vireo-text-console".into())
            .spawn(move || write_loop(&writer, &pending))
            .map_err(|e| Error::new(ErrorKind::Other, e.to_string()))?;
        Ok(TextConsole {
            shared,
            input,
            output: tokio::sync::Mutex::new(rx),
        })
    }

    /// Send what the user typed or pasted (never waits).
    pub fn send(&self, bytes: &[u8]) {
        let _ = self.input.send(bytes.to_vec());
    }

    /// The next thing the console says; `None` once it is closed and all
    /// was read.
    pub async fn next(&self) -> Option<TextEvent> {
        self.output.lock().await.recv().await
    }
}

/// Send typed bytes in order, waiting out a full stream.
fn write_loop(shared: &Shared, pending: &std::sync::mpsc::Receiver<Vec<u8>>) {
    while let Ok(bytes) = pending.recv() {
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            if shared.closed.load(Ordering::SeqCst) {
                return;
            }
            match shared.stream.send(rest) {
                Ok(n) if n > 0 => rest = &rest[n as usize..],
                // -2: the stream is full for now.
                Ok(_) => std::thread::sleep(std::time::Duration::from_millis(5)),
                Err(e) => return shared.close(Some(e.to_string())),
            }
        }
    }
}

impl Drop for TextConsole {
    fn drop(&mut self) {
        if !self.shared.closed.swap(true, Ordering::SeqCst) {
            // SAFETY: the stream is alive; the callback goes first.
            unsafe {
                sys::virStreamEventRemoveCallback(self.shared.stream.as_ptr());
                sys::virStreamAbort(self.shared.stream.as_ptr());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_ports_and_virtio_consoles_are_listed_once() {
        let xml = "<domain><devices>\
            <serial type='pty'><target type='isa-serial' port='0'/><alias name='serial0'/></serial>\
            <serial type='file'><target port='1'/><alias name='serial1'/></serial>\
            <serial type='pty'><target type='isa-serial' port='2'/><alias name='serial2'/></serial>\
            <console type='pty'><target type='serial' port='0'/><alias name='serial0'/></console>\
            <console type='pty'><target type='virtio' port='1'/><alias name='console1'/></console>\
            </devices></domain>";
        let found = text_devices(xml).unwrap();
        let names: Vec<(&str, &str, u32)> = found
            .iter()
            .map(|d| (d.alias.as_str(), d.kind.as_str(), d.number))
            .collect();
        assert_eq!(
            names,
            [
                ("serial0", "serial", 1),
                ("serial2", "serial", 2),
                ("console1", "virtio", 1)
            ]
        );
        assert!(text_devices("<domain/>").unwrap().is_empty());
    }
}
