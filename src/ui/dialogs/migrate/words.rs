//! The Migrate dialog's sentences: one for each problem the checks name,
//! and the progress line.

use gettextrs::gettext;
use relm4::gtk;

use crate::core::migrate::{Problem, Progress};
use crate::ui::i18n::gettext_f;

/// The sentence for a migration problem.
pub fn problem_text(p: &Problem) -> String {
    match p {
        Problem::SameHost => gettext(
            "Both connections reach the same host (libvirt’s host UUID is the same): choose another host.",
        ),
        Problem::AlreadyThere => gettext("The virtual machine already runs on that host."),
        Problem::MissingNetwork(n) => gettext_f(
            "The virtual network “{name}” is not defined on that host.",
            &[("name", n)],
        ),
        Problem::InactiveNetwork(n) => gettext_f(
            "The virtual network “{name}” is not running on that host: start it there first.",
            &[("name", n)],
        ),
        Problem::MissingBridge(b) => {
            gettext_f("That host has no bridge “{bridge}”.", &[("bridge", b)])
        }
        Problem::Cpu(m) => gettext_f(
            "That host cannot give the guest its CPU: {message}",
            &[("message", m)],
        ),
        Problem::LocalDisk { target, path } => gettext_f(
            "Disk {target} ({path}) is not on that host: copy storage, or put it on shared storage.",
            &[("target", target), ("path", path)],
        ),
        Problem::NoPool { target } => gettext_f(
            "Choose a pool for disk {target} on that host.",
            &[("target", target)],
        ),
        Problem::PoolUnavailable { target, pool } => gettext_f(
            "The pool “{pool}” chosen for disk {target} is not running on that host.",
            &[("pool", pool), ("target", target)],
        ),
        Problem::VolumeExists { target, pool, name } => gettext_f(
            "The pool “{pool}” already has a volume “{name}” (for disk {target}).",
            &[("pool", pool), ("name", name), ("target", target)],
        ),
        Problem::NotAVolume { target, path } => gettext_f(
            "Disk {target} ({path}) is in no storage pool of this host: a shut-off virtual machine’s disks are copied as volumes. Start it to copy the disk while it runs.",
            &[("target", target), ("path", path)],
        ),
    }
}

/// The progress line: what is left, the rate and the time left.
pub fn progress_text(p: &Progress) -> String {
    let size = |b: u64| gtk::glib::format_size(b).to_string();
    let mut text = gettext_f(
        "{done} of {total} sent",
        &[
            ("done", &size(p.total.saturating_sub(p.remaining))),
            ("total", &size(p.total)),
        ],
    );
    if let Some(rate) = p.rate.filter(|r| *r > 0) {
        text.push_str(" · ");
        text.push_str(&gettext_f("{rate}/s", &[("rate", &size(rate))]));
    }
    if let Some(secs) = p.seconds_left() {
        text.push_str(" · ");
        text.push_str(&gettext_f(
            "about {seconds} s left",
            &[("seconds", &secs.to_string())],
        ));
    }
    if let Some(d) = p.disk_remaining.filter(|d| *d > 0) {
        text.push_str(" · ");
        text.push_str(&gettext_f("disks: {left} left", &[("left", &size(d))]));
    }
    if let Some(ms) = p.downtime_ms {
        text.push_str(" · ");
        text.push_str(&gettext_f("paused for {ms} ms", &[("ms", &ms.to_string())]));
    }
    text
}
