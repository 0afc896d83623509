//! The Details page's "Guest" group: what a running guest says about
//! itself: its addresses (with where they came from and a copy button) and
//! the guest agent's report (OS, kernel, host name, time zone, users,
//! filesystems with usage), or what to do when there is no agent.

use gettextrs::gettext;
use relm4::adw::{self, prelude::*};
use relm4::gtk::{self, glib};

use crate::core::guest::{self, AddressSource, GuestInfo};
use crate::core::libvirt::{AgentState, GuestReport};
use crate::ui::a11y::AccessibleLabelExt;
use crate::ui::host_window::row;
use crate::ui::i18n::gettext_f;

fn size(bytes: u64) -> String {
    glib::format_size_full(bytes, glib::FormatSizeFlags::IEC_UNITS).to_string()
}

/// A flat button that puts `text` on the clipboard.
pub fn copy_button(text: &str, label: &str) -> gtk::Button {
    let b = gtk::Button::builder()
        .icon_name("edit-copy-symbolic")
        .valign(gtk::Align::Center)
        .tooltip_text(label)
        .build();
    b.add_css_class("flat");
    b.set_accessible_label(label);
    let text = text.to_owned();
    b.connect_clicked(move |b| b.clipboard().set_text(&text));
    b
}

fn source_text(source: AddressSource) -> String {
    match source {
        AddressSource::Agent => gettext("Reported by the guest agent"),
        AddressSource::Lease => gettext("From the network’s DHCP leases"),
        AddressSource::Arp => gettext("From the host’s ARP table"),
    }
}

fn add_info(group: &adw::PreferencesGroup, info: &GuestInfo) {
    let fields = [
        (gettext("Operating system"), info.os.clone()),
        (gettext("Kernel"), info.kernel.clone()),
        (gettext("Host name"), info.hostname.clone()),
        (gettext("Time zone"), info.timezone.clone()),
    ];
    for (title, value) in fields {
        if let Some(v) = value {
            group.add(&row(&title, &v));
        }
    }
    let users = if info.users.is_empty() {
        gettext("Nobody")
    } else {
        info.users
            .iter()
            .map(|u| match &u.domain {
                Some(d) => format!("{d}\\{}", u.name),
                None => u.name.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    group.add(&row(&gettext("Logged in"), &users));
    for fs in &info.filesystems {
        let title = if fs.fstype.is_empty() {
            fs.mountpoint.clone()
        } else {
            format!("{} ({})", fs.mountpoint, fs.fstype)
        };
        let usage = match (fs.used_bytes, fs.total_bytes) {
            (Some(used), Some(total)) => gettext_f(
                "{used} used of {total}",
                &[("used", &size(used)), ("total", &size(total))],
            ),
            _ => gettext("Usage unknown"),
        };
        let r = row(&title, &usage);
        if let (Some(used), Some(total)) = (fs.used_bytes, fs.total_bytes)
            && total > 0
        {
            let bar = gtk::LevelBar::builder()
                .value(used as f64 / total as f64)
                .valign(gtk::Align::Center)
                .width_request(96)
                .build();
            bar.set_accessible_label(&gettext_f(
                "Usage of {mountpoint}",
                &[("mountpoint", &fs.mountpoint)],
            ));
            r.add_suffix(&bar);
        }
        group.add(&r);
    }
}

/// The group for a running guest's `report` (`Err`: why it could not be
/// read). `add_agent` adds the guest agent's channel.
pub fn group(
    report: &Result<GuestReport, String>,
    add_agent: impl Fn() + 'static,
) -> adw::PreferencesGroup {
    let group = adw::PreferencesGroup::builder()
        .title(gettext("Guest"))
        .build();
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            group.add(&row(&gettext("Could not ask the guest"), e));
            return group;
        }
    };
    let shown = guest::shown_addresses(&report.ifaces);
    let addresses = if shown.is_empty() {
        row(
            &gettext("IP addresses"),
            &gettext("None known yet: the guest has not asked for an address, or it has none."),
        )
    } else {
        let mut lines = vec![shown.join(", ")];
        lines.extend(report.source.map(source_text));
        let r = row(&gettext("IP addresses"), &lines.join(" · "));
        r.add_suffix(&copy_button(
            &shown[0],
            &gettext_f("Copy {address}", &[("address", &shown[0])]),
        ));
        r
    };
    group.add(&addresses);
    match &report.agent {
        AgentState::Reported(info) => add_info(&group, info),
        AgentState::NoChannel => {
            let r = row(
                &gettext("Guest agent"),
                &gettext(
                    "This VM has no channel for the QEMU guest agent, so the guest cannot report its system, users and filesystems.",
                ),
            );
            let add = gtk::Button::builder()
                .label(gettext("Add Channel"))
                .valign(gtk::Align::Center)
                .build();
            add.connect_clicked(move |_| add_agent());
            r.add_suffix(&add);
            group.add(&r);
        }
        AgentState::ChannelAtNextBoot => {
            group.add(&row(
                &gettext("Guest agent"),
                &gettext(
                    "Its channel is added for the next boot: shut the VM down and start it again, with the agent installed in the guest.",
                ),
            ));
        }
        AgentState::NotConnected => {
            group.add(&row(
                &gettext("Guest agent"),
                &gettext(
                    "Not running in the guest. Install it there: “sudo apt install qemu-guest-agent” on Debian and Ubuntu, “sudo dnf install qemu-guest-agent” on Fedora, the virtio-win guest tools on Windows. This page fills in when it connects.",
                ),
            ));
        }
        AgentState::Failed(e) => {
            group.add(&row(&gettext("Guest agent"), e));
        }
    }
    group
}
