//! The tiny guest's serial shell, driven through its unix socket; what the
//! commands print is read back from the serial log.

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use super::daemon::Daemon;

/// Wait until the guest's serial log shows its shell is up.
pub fn wait_shell(daemon: &Daemon, log: &Path) {
    super::wait_for("the guest's shell", Duration::from_secs(120), || {
        std::fs::read_to_string(log)
            .ok()
            .filter(|s| s.contains("TINY-SHELL-READY on /dev/ttyS0"))
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", daemon.logs()));
}

/// Type `command` into the guest's serial shell; its output lands in the
/// serial log. Each command ends by printing `marker`.
pub fn serial_run(sock: &Path, command: &str, marker: &str) {
    let mut s = UnixStream::connect(sock).expect("the guest's serial socket");
    writeln!(s, "{command}; echo {marker}").unwrap();
    s.flush().unwrap();
    // Keep the connection until the shell has read the line.
    std::thread::sleep(Duration::from_millis(300));
}

/// Run `command` in the guest until its output (before `marker`) satisfies
/// `ok`; returns that output.
pub fn guest_until(
    daemon: &Daemon,
    sock: &Path,
    log: &Path,
    what: &str,
    command: &str,
    ok: impl Fn(&str) -> bool,
) -> String {
    let mut n = 0;
    super::wait_for(what, Duration::from_secs(60), || {
        n += 1;
        let marker = format!("VIREO-DONE-{n}-{}", std::process::id());
        let before = std::fs::read_to_string(log).unwrap_or_default().len();
        serial_run(sock, command, &marker);
        let out = super::wait_for("the command's end", Duration::from_secs(10), || {
            let text = std::fs::read_to_string(log).ok()?;
            let new = text.get(before..)?.to_owned();
            // The marker alone on a line is the command's own output (an
            // echoed command line has more on it).
            new.lines().any(|l| l.trim() == marker).then_some(new)
        })
        .ok()?;
        ok(&out).then_some(out)
    })
    .unwrap_or_else(|e| {
        panic!(
            "{e}\n--- serial ---\n{}\n{}",
            std::fs::read_to_string(log).unwrap_or_default(),
            daemon.logs()
        )
    })
}
