//! The VM window's header bar: power buttons, the view switcher, and the
//! media, Send Key and console menus (their actions are the window's
//! `vm.*`); and the "Begin Installation" bar under it.

use gettextrs::gettext;
use relm4::ComponentSender;
use relm4::adw::{self, prelude::*};
use relm4::gtk::{self, gio, glib};

use super::{VmWindow, VmWindowInput};
use crate::console::keymap::{keysym, linux};
use crate::core::libvirt::{PowerAction, Protocol};
use crate::ui::a11y::AccessibleLabelExt;
use crate::ui::i18n::gettext_f;

fn icon_button(icon: &str, label: &str, action: &str) -> gtk::Button {
    let b = gtk::Button::builder()
        .icon_name(icon)
        .tooltip_text(label)
        .action_name(action)
        .build();
    b.set_accessible_label(label);
    b
}

/// The Send Key menu, with virt-manager's combinations.
fn send_key_menu() -> gio::Menu {
    let menu = gio::Menu::new();
    let item = |label: &str, target: &str| {
        gio::MenuItem::new(
            Some(label),
            Some(&gio::Action::print_detailed_name(
                "vm.send-keys",
                Some(&target.to_variant()),
            )),
        )
    };
    let common = gio::Menu::new();
    common.append_item(&item("Ctrl+Alt+Delete", "ctrl-alt-delete"));
    common.append_item(&item("Ctrl+Alt+Backspace", "ctrl-alt-backspace"));
    common.append_item(&item(&gettext("Print Screen"), "print"));
    menu.append_section(None, &common);
    let vt = gio::Menu::new();
    for n in 1..=12 {
        vt.append_item(&item(&format!("Ctrl+Alt+F{n}"), &format!("ctrl-alt-f{n}")));
    }
    menu.append_section(None, &vt);
    let typing = gio::Menu::new();
    typing.append(
        Some(&gettext("Type Clipboard Text")),
        Some("vm.type-clipboard"),
    );
    menu.append_section(None, &typing);
    menu
}

/// The keys of a Send Key menu target.
pub(super) fn combo(target: &str) -> Option<Vec<(u32, u16)>> {
    let ctrl_alt = vec![
        (keysym::CONTROL_L, linux::LEFT_CTRL),
        (keysym::ALT_L, linux::LEFT_ALT),
    ];
    let with = |k: (u32, u16)| {
        let mut v = ctrl_alt.clone();
        v.push(k);
        Some(v)
    };
    match target {
        "ctrl-alt-delete" => with((keysym::DELETE, linux::DELETE)),
        "ctrl-alt-backspace" => with((keysym::BACKSPACE, linux::BACKSPACE)),
        "print" => Some(vec![(keysym::PRINT, linux::SYSRQ)]),
        f => {
            let n: u16 = f.strip_prefix("ctrl-alt-f")?.parse().ok()?;
            (1..=12)
                .contains(&n)
                .then(|| with((keysym::F1 + u32::from(n) - 1, linux::f(n))))?
        }
    }
}

/// The console's menu; with more than one display (`vm.display`, the
/// graphics device's index), a section to switch between them; with a
/// `clipboard` status (SPICE), a line that says whether the clipboard is
/// shared (an item without an action: shown, never pressed).
pub(super) fn view_menu(
    displays: &[(u32, Protocol)],
    texts: &[(String, String)],
    clipboard: Option<&str>,
) -> gio::Menu {
    let menu = gio::Menu::new();
    // The text consoles (serial ports), beside the graphical one.
    if !texts.is_empty() {
        let section = gio::Menu::new();
        let item = |label: &str, alias: &str| {
            section.append(
                Some(label),
                Some(&gio::Action::print_detailed_name(
                    "vm.console-kind",
                    Some(&alias.to_variant()),
                )),
            )
        };
        if !displays.is_empty() {
            item(&gettext("Graphical Console"), "");
        }
        for (alias, label) in texts {
            item(label, alias);
        }
        menu.append_section(Some(&gettext("Console")), &section);
    }
    if displays.len() > 1 {
        let section = gio::Menu::new();
        for &(index, protocol) in displays {
            let kind = match protocol {
                Protocol::Vnc => "VNC",
                Protocol::Spice => "SPICE",
            };
            let same = displays.iter().filter(|(_, p)| *p == protocol).count();
            let label = if same > 1 {
                gettext_f(
                    "{kind} Display {n}",
                    &[("kind", kind), ("n", &(index + 1).to_string())],
                )
            } else {
                gettext_f("{kind} Display", &[("kind", kind)])
            };
            section.append(
                Some(&label),
                Some(&gio::Action::print_detailed_name(
                    "vm.display",
                    Some(&index.to_variant()),
                )),
            );
        }
        menu.append_section(Some(&gettext("Display")), &section);
    }
    let scaling = gio::Menu::new();
    for (label, id) in [
        (gettext("Fit to Window"), "fit"),
        (gettext("Original Size (1:1)"), "one"),
        (gettext("Resize Guest to Window"), "resize"),
    ] {
        scaling.append(
            Some(&label),
            Some(&gio::Action::print_detailed_name(
                "vm.scale",
                Some(&id.to_variant()),
            )),
        );
    }
    menu.append_section(Some(&gettext("Scaling")), &scaling);
    if let Some(status) = clipboard {
        let section = gio::Menu::new();
        section.append(Some(status), Some("vm.clipboard-status"));
        menu.append_section(None, &section);
    }
    let more = gio::Menu::new();
    more.append(Some(&gettext("Fullscreen")), Some("vm.fullscreen"));
    more.append(Some(&gettext("Take Screenshot…")), Some("vm.screenshot"));
    if !texts.is_empty() {
        more.append(Some(&gettext("Save Console Text")), Some("vm.save-text"));
    }
    more.append(Some(&gettext("Reconnect")), Some("vm.reconnect"));
    menu.append_section(None, &more);
    menu
}

/// The header's power buttons, the view switcher and the console's menus.
pub(super) struct Header {
    pub bar: adw::HeaderBar,
    pub title: adw::ViewSwitcherTitle,
    pub run: gtk::Button,
    pub pause: gtk::Button,
    pub resume: gtk::Button,
    pub shutdown: gtk::Button,
    pub leave_fullscreen: gtk::Button,
    pub media_button: gtk::MenuButton,
    pub view_button: gtk::MenuButton,
    pub mute: gtk::ToggleButton,
}

pub(super) fn header(name: &str, stack: &adw::ViewStack) -> Header {
    let bar = adw::HeaderBar::new();
    let run = icon_button("media-playback-start-symbolic", &gettext("Run"), "vm.run");
    let pause = icon_button(
        "media-playback-pause-symbolic",
        &gettext("Pause"),
        "vm.pause",
    );
    let resume = icon_button(
        "media-playback-start-symbolic",
        &gettext("Resume"),
        "vm.resume",
    );
    let shutdown = icon_button(
        "system-shutdown-symbolic",
        &gettext("Shut Down"),
        "vm.shutdown",
    );
    let more_power = gtk::MenuButton::builder()
        .icon_name("pan-down-symbolic")
        .tooltip_text(gettext("More Power Actions"))
        .build();
    more_power.set_accessible_label(&gettext("More Power Actions"));
    let power_menu = gio::Menu::new();
    power_menu.append(Some(&gettext("Reboot")), Some("vm.reboot"));
    power_menu.append(Some(&gettext("Force Reset")), Some("vm.reset"));
    power_menu.append(Some(&gettext("Force Off")), Some("vm.destroy"));
    power_menu.append(Some(&gettext("Save")), Some("vm.save"));
    let more_menu = gio::Menu::new();
    more_menu.append_section(None, &power_menu);
    let other = gio::Menu::new();
    other.append(Some(&gettext("Clone…")), Some("vm.clone"));
    other.append(Some(&gettext("Migrate…")), Some("vm.migrate"));
    more_menu.append_section(None, &other);
    more_power.set_menu_model(Some(&more_menu));
    let power_box = gtk::Box::new(gtk::Orientation::Horizontal, 0);
    power_box.add_css_class("linked");
    power_box.append(&shutdown);
    power_box.append(&more_power);
    let start = gtk::Box::new(gtk::Orientation::Horizontal, 6);
    for w in [
        run.upcast_ref::<gtk::Widget>(),
        pause.upcast_ref(),
        resume.upcast_ref(),
        power_box.upcast_ref(),
    ] {
        start.append(w);
    }
    bar.pack_start(&start);

    let title = adw::ViewSwitcherTitle::builder()
        .stack(stack)
        .title(glib::markup_escape_text(name).as_str())
        .build();
    bar.set_title_widget(Some(&title));

    let leave_fullscreen = gtk::Button::builder()
        .icon_name("view-restore-symbolic")
        .tooltip_text(gettext("Leave Fullscreen"))
        .action_name("vm.fullscreen")
        .visible(false)
        .build();
    leave_fullscreen.set_accessible_label(&gettext("Leave Fullscreen"));
    bar.pack_end(&leave_fullscreen);
    let view_button = gtk::MenuButton::builder()
        .icon_name("view-more-symbolic")
        .menu_model(&view_menu(&[], &[], None))
        .tooltip_text(gettext("Console Options"))
        .build();
    view_button.set_accessible_label(&gettext("Console Options"));
    bar.pack_end(&view_button);
    let keys_button = gtk::MenuButton::builder()
        .icon_name("input-keyboard-symbolic")
        .menu_model(&send_key_menu())
        .tooltip_text(gettext("Send Key"))
        .build();
    keys_button.set_accessible_label(&gettext("Send Key"));
    bar.pack_end(&keys_button);
    // Shown while the guest's sound plays here (SPICE).
    let mute = gtk::ToggleButton::builder()
        .icon_name("audio-volume-high-symbolic")
        .tooltip_text(gettext("Mute Sound"))
        .visible(false)
        .build();
    mute.set_accessible_label(&gettext("Mute Sound"));
    mute.connect_toggled(|b| {
        b.set_icon_name(if b.is_active() {
            "audio-volume-muted-symbolic"
        } else {
            "audio-volume-high-symbolic"
        });
    });
    bar.pack_end(&mute);
    let media_button = gtk::MenuButton::builder()
        .icon_name("media-optical-symbolic")
        .tooltip_text(gettext("Removable Media"))
        .visible(false)
        .build();
    media_button.set_accessible_label(&gettext("Removable Media"));
    bar.pack_end(&media_button);
    Header {
        bar,
        title,
        run,
        pause,
        resume,
        shutdown,
        leave_fullscreen,
        media_button,
        view_button,
        mute,
    }
}

/// After "Customize configuration before install": the installation begins
/// when the user says so (libadwaita 1.2 has no AdwBanner).
pub(super) fn install_bar(shown: bool, sender: &ComponentSender<VmWindow>) -> gtk::Revealer {
    let revealer = gtk::Revealer::builder().reveal_child(shown).build();
    let bar = gtk::Box::builder()
        .spacing(12)
        .margin_top(6)
        .margin_bottom(6)
        .margin_start(12)
        .margin_end(12)
        .build();
    let label = gtk::Label::builder()
        .label(gettext(
            "Review the new virtual machine’s details, then begin its installation.",
        ))
        .wrap(true)
        .xalign(0.0)
        .hexpand(true)
        .build();
    let begin = gtk::Button::with_label(&gettext("Begin Installation"));
    begin.add_css_class("suggested-action");
    let input = sender.input_sender().clone();
    let r = revealer.clone();
    begin.connect_clicked(move |_| {
        r.set_reveal_child(false);
        input.emit(VmWindowInput::Power(PowerAction::Run));
        input.emit(VmWindowInput::ShowPage("console"));
    });
    bar.append(&label);
    bar.append(&begin);
    let frame = gtk::Box::new(gtk::Orientation::Vertical, 0);
    frame.add_css_class("view");
    frame.append(&bar);
    frame.append(&gtk::Separator::new(gtk::Orientation::Horizontal));
    revealer.set_child(Some(&frame));
    revealer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_key_targets_name_virt_managers_combos() {
        let cad = combo("ctrl-alt-delete").unwrap();
        assert_eq!(cad.iter().map(|k| k.1).collect::<Vec<_>>(), [29, 56, 111]);
        let f2 = combo("ctrl-alt-f2").unwrap();
        assert_eq!(f2[2], (keysym::F1 + 1, 60));
        assert_eq!(combo("ctrl-alt-f12").unwrap()[2].1, 88);
        assert_eq!(combo("print").unwrap(), [(keysym::PRINT, 99)]);
        assert!(combo("ctrl-alt-f13").is_none());
        assert!(combo("nonsense").is_none());
    }
}
