//! Text consoles through libvirt (the private QEMU daemon, the tiny guest
//! headless, its shell on a pty serial port): what is typed runs in the
//! guest and its output comes back; a console another client holds is
//! refused as busy until it is taken over; it works over an SSH
//! connection too; a stopped guest closes it.

mod common;

use std::time::Duration;

use common::daemon::Daemon;
use common::guest::{self, Boot};
use vireo::core::libvirt::{Connection, ErrorKind, TextConsole, TextEvent};

/// Read from `console` until its output holds `token`; the output so far.
async fn read_until(console: &TextConsole, token: &str) -> String {
    let mut seen = String::new();
    let wait = async {
        while let Some(event) = console.next().await {
            match event {
                TextEvent::Data(bytes) => {
                    seen.push_str(&String::from_utf8_lossy(&bytes));
                    if seen.contains(token) {
                        return true;
                    }
                }
                TextEvent::Closed(_) => return false,
            }
        }
        false
    };
    let found = tokio::time::timeout(Duration::from_secs(30), wait).await;
    assert!(
        matches!(found, Ok(true)),
        "{token:?} never came back; read:\n{seen}"
    );
    seen
}

#[test]
fn a_headless_guests_serial_console_runs_commands_and_can_be_taken_over() {
    let daemon = Daemon::start();
    let files = guest::install(&daemon);
    let vm_dir = daemon.vm_dir();
    let name = "headless";
    let xml = guest::headless(
        &guest::domain_xml(name, Boot::Direct, &files, &vm_dir),
        name,
        &vm_dir,
    );
    assert!(!xml.contains("<graphics"), "{xml}");
    let log = vm_dir.join(format!("{name}.serial.log"));
    let second = vm_dir.join(format!("{name}.ttyS1.log"));
    let rt = common::runtime();
    rt.block_on(async {
        let conn = Connection::open(&daemon.uri).await.unwrap();
        let vm = conn
            .define_xml(&xml)
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", daemon.logs()));
        conn.start(&vm.uuid).await.unwrap();
        common::wait_for("the guest's shell", Duration::from_secs(120), || {
            std::fs::read_to_string(&log)
                .ok()
                .filter(|s| s.contains("TINY-SHELL-READY on /dev/ttyS0"))
        })
        .unwrap_or_else(|e| panic!("{e}\n{}", daemon.logs()));

        // One text console: the pty serial port (its console twin is not
        // listed again; the file-backed port is not a console).
        let devices = conn.text_devices(&vm.uuid).await.unwrap();
        assert_eq!(devices.len(), 1, "{devices:?}");
        assert_eq!((devices[0].kind.as_str(), devices[0].number), ("serial", 1));

        // Typed: runs in the guest (its effect on the second port), and its
        // output comes back.
        let console = conn.open_text(&vm.uuid, None, false).await.unwrap();
        let token = format!("vireo-text-{}", std::process::id());
        console.send(format!("echo {token} > /dev/ttyS1; echo out-$((6*7))\n").as_bytes());
        read_until(&console, "out-42").await;
        common::wait_for("the command's effect", Duration::from_secs(30), || {
            std::fs::read_to_string(&second)
                .ok()
                .filter(|s| s.contains(&token))
        })
        .unwrap();

        // Held by us: a second opener is refused as busy, and forcing it
        // takes the console over (ours is closed).
        let refused = conn.open_text(&vm.uuid, None, false).await.unwrap_err();
        assert_eq!(refused.kind, ErrorKind::ConsoleBusy, "{refused:?}");
        let taken = conn.open_text(&vm.uuid, None, true).await.unwrap();
        let closed = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                match console.next().await {
                    Some(TextEvent::Closed(_)) | None => return,
                    Some(TextEvent::Data(_)) => {}
                }
            }
        })
        .await;
        assert!(closed.is_ok(), "the first console closes when taken over");
        taken.send(b"echo taken-$((40+2))\n");
        read_until(&taken, "taken-42").await;
        drop(taken);

        // Over SSH (libvirt's remote transport), the same console.
        let sshd = common::sshd::Sshd::start();
        let remote = Connection::open(&sshd.libvirt_uri(&daemon.socket()))
            .await
            .unwrap();
        let over_ssh = remote.open_text(&vm.uuid, None, true).await.unwrap();
        over_ssh.send(b"echo remote-$((40+2))\n");
        read_until(&over_ssh, "remote-42").await;

        // The guest stops: the console closes.
        conn.force_off(&vm.uuid).await.unwrap();
        let closed = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                match over_ssh.next().await {
                    Some(TextEvent::Closed(_)) | None => return,
                    Some(TextEvent::Data(_)) => {}
                }
            }
        })
        .await;
        assert!(closed.is_ok(), "a stopped guest closes its console");
        // A stopped guest has no console to open.
        assert!(conn.open_text(&vm.uuid, None, false).await.is_err());
    });
}
