//! A page of the Details view for one device: the settings Vireo can
//! change (each saying when the change takes effect), every setting of the
//! device as libvirt stores it, and its XML.

use gettextrs::gettext;
use relm4::adw::{self, prelude::*};
use relm4::gtk::{self, glib};

use crate::core::edit::{DeviceKey, Edit};
use crate::core::xml::{DeviceKind, DeviceView, Element, Node};
use crate::ui::a11y::AccessibleLabelExt;
use crate::ui::host_window::row;
use crate::ui::i18n::gettext_f;

/// Where edits go: the VM window applies them.
pub type OnEdit = std::rc::Rc<dyn Fn(Edit)>;

/// How a setting is changed.
enum Control {
    /// On and off values; `default_on` when the setting is absent.
    Switch {
        on: &'static str,
        off: &'static str,
        default_on: bool,
    },
    /// One of these values; the empty one means "not set" (QEMU's default).
    Choice(&'static [&'static str]),
    /// A password, never shown.
    Secret,
}

struct Setting {
    title: String,
    path: &'static str,
    control: Control,
    /// libvirt changes it in a running guest too.
    live: bool,
}

/// The settings of `d` that the page can change.
fn settings(d: &DeviceView<'_>) -> Vec<Setting> {
    let set = |title: String, path, control, live| Setting {
        title,
        path,
        control,
        live,
    };
    match d.kind {
        DeviceKind::Interface => vec![
            set(
                gettext("Link connected"),
                "link/@state",
                Control::Switch {
                    on: "up",
                    off: "down",
                    default_on: true,
                },
                true,
            ),
            set(
                gettext("Device model"),
                "model/@type",
                Control::Choice(&["virtio", "e1000e", "e1000", "rtl8139"]),
                false,
            ),
        ],
        DeviceKind::Disk if d.disk_device().as_deref().unwrap_or("disk") == "disk" => vec![set(
            gettext("Cache mode"),
            "driver/@cache",
            Control::Choice(&[
                "",
                "none",
                "writeback",
                "writethrough",
                "directsync",
                "unsafe",
            ]),
            false,
        )],
        DeviceKind::Graphics if matches!(d.device_type().as_deref(), Some("vnc" | "spice")) => {
            vec![set(gettext("Password"), "@passwd", Control::Secret, true)]
        }
        DeviceKind::Video => vec![set(
            gettext("Model"),
            "model/@type",
            Control::Choice(&["virtio", "vga", "bochs", "qxl", "cirrus", "ramfb"]),
            false,
        )],
        DeviceKind::Sound => vec![set(
            gettext("Model"),
            "@model",
            Control::Choice(&["ich9", "ich6", "ac97"]),
            false,
        )],
        _ => Vec::new(),
    }
}

/// When a change of a setting takes effect, said before it is made.
fn when(live: bool, running: bool) -> Option<String> {
    match (running, live) {
        (false, _) => None,
        (true, true) => Some(gettext("Takes effect now and at the next boot")),
        (true, false) => Some(gettext("Takes effect at the next boot")),
    }
}

/// The name of a device page in the Details stack: the device's identity,
/// so that the page stays shown when the XML is read again.
pub fn page_name(kind: DeviceKind, key: &DeviceKey) -> String {
    match key {
        DeviceKey::Target(t) => format!("{}:target:{t}", kind.element()),
        DeviceKey::Mac(m) => format!("{}:mac:{m}", kind.element()),
        DeviceKey::Index(i) => format!("{}:{i}", kind.element()),
    }
}

fn control_row(
    s: &Setting,
    d: &DeviceView<'_>,
    key: &DeviceKey,
    running: bool,
    on_edit: &OnEdit,
) -> gtk::Widget {
    let current = d.get(s.path);
    let edit = {
        let (kind, key, path, on_edit) = (d.kind, key.clone(), s.path, on_edit.clone());
        move |value: Option<String>| {
            on_edit(Edit::Device {
                kind,
                key: key.clone(),
                path: path.to_owned(),
                value,
            })
        }
    };
    let subtitle = when(s.live, running);
    match s.control {
        Control::Switch {
            on,
            off,
            default_on,
        } => {
            let active = current.as_deref().map_or(default_on, |v| v == on);
            let switch = gtk::Switch::builder()
                .active(active)
                .valign(gtk::Align::Center)
                .build();
            switch.set_accessible_label(&s.title);
            let r = adw::ActionRow::builder()
                .title(&s.title)
                .activatable_widget(&switch)
                .build();
            if let Some(t) = &subtitle {
                r.set_subtitle(t);
            }
            r.add_suffix(&switch);
            switch.connect_state_set(move |_, state| {
                edit(Some((if state { on } else { off }).to_owned()));
                glib::Propagation::Proceed
            });
            r.upcast()
        }
        Control::Choice(values) => {
            let mut values: Vec<&str> = values.to_vec();
            let now = current.clone().unwrap_or_default();
            if !values.contains(&now.as_str()) {
                values.insert(0, &now);
            }
            let default = gettext("Default");
            let labels: Vec<&str> = values
                .iter()
                .map(|v| if v.is_empty() { default.as_str() } else { v })
                .collect();
            let combo = adw::ComboRow::builder()
                .title(&s.title)
                .model(&gtk::StringList::new(&labels))
                .build();
            if let Some(t) = &subtitle {
                combo.set_subtitle(t);
            }
            let selected = values.iter().position(|v| *v == now).unwrap_or(0);
            combo.set_selected(selected as u32);
            let values: Vec<String> = values.iter().map(|v| v.to_string()).collect();
            combo.connect_selected_notify(move |c| {
                if let Some(v) = values.get(c.selected() as usize)
                    && *v != now
                {
                    edit((!v.is_empty()).then(|| v.clone()));
                }
            });
            combo.upcast()
        }
        Control::Secret => {
            let entry = adw::PasswordEntryRow::builder()
                .title(match (&current, &subtitle) {
                    (Some(_), Some(t)) => gettext_f(
                        "{setting} (set; {when})",
                        &[("setting", &s.title), ("when", t)],
                    ),
                    (Some(_), None) => gettext_f("{setting} (set)", &[("setting", &s.title)]),
                    (None, Some(t)) => {
                        gettext_f("{setting} ({when})", &[("setting", &s.title), ("when", t)])
                    }
                    (None, None) => s.title.clone(),
                })
                .show_apply_button(true)
                .build();
            entry.connect_apply(move |e| {
                let text = e.text().to_string();
                edit((!text.is_empty()).then_some(text));
                e.set_text("");
            });
            entry.upcast()
        }
    }
}

/// What an element of a device is called on the page.
fn part_title(name: &str) -> String {
    match name {
        "source" => gettext("Source"),
        "target" => gettext("Target"),
        "driver" => gettext("Driver"),
        "address" => gettext("Address"),
        "model" => gettext("Model"),
        "mac" => gettext("MAC address"),
        "alias" => gettext("Alias"),
        "listen" => gettext("Listen"),
        "boot" => gettext("Boot"),
        "backend" => gettext("Backend"),
        "link" => gettext("Link"),
        "readonly" => gettext("Read-only"),
        other => other.to_owned(),
    }
}

/// Every element of the device with its attributes and text, in order:
/// (path, "name=value, …").
pub fn all_settings(el: &Element) -> Vec<(String, String)> {
    fn walk(el: &Element, path: &str, out: &mut Vec<(String, String)>) {
        let mut parts: Vec<String> = el
            .attributes()
            .iter()
            .filter(|a| a.name != "passwd")
            .map(|a| format!("{}={}", a.name, a.value()))
            .collect();
        if let Some(text) = el.text().filter(|t| !t.trim().is_empty()) {
            parts.push(text.trim().to_owned());
        }
        if el.attr("passwd").is_some() {
            parts.push("passwd=••••".to_owned());
        }
        let has_children = el.children.iter().any(|c| matches!(c, Node::Element(_)));
        if !parts.is_empty() || !has_children {
            out.push((path.to_owned(), parts.join(", ")));
        }
        for c in el.elements() {
            walk(c, &format!("{path}/{}", c.name), out);
        }
    }
    let mut out = Vec::new();
    walk(el, &el.name, &mut out);
    out
}

/// The page for `d` (the `index`th device of its kind): `title` is what the
/// Details list calls it; `back` returns to the list.
pub fn page(
    d: &DeviceView<'_>,
    index: usize,
    title: &str,
    running: bool,
    on_edit: &OnEdit,
    remove: Option<gtk::Button>,
    back: impl Fn() + 'static,
) -> gtk::Box {
    let key = DeviceKey::of(d, index);
    let outer = gtk::Box::new(gtk::Orientation::Vertical, 0);
    let bar = gtk::Box::builder()
        .spacing(6)
        .margin_top(6)
        .margin_start(6)
        .margin_end(6)
        .build();
    let back_button = gtk::Button::builder()
        .icon_name("go-previous-symbolic")
        .tooltip_text(gettext("Back to All Devices"))
        .build();
    back_button.add_css_class("flat");
    back_button.set_accessible_label(&gettext("Back to All Devices"));
    back_button.connect_clicked(move |_| back());
    let heading = gtk::Label::builder()
        .label(title)
        .xalign(0.0)
        .hexpand(true)
        .build();
    heading.add_css_class("heading");
    bar.append(&back_button);
    bar.append(&heading);
    if let Some(remove) = remove {
        bar.append(&remove);
    }
    outer.append(&bar);

    let page = adw::PreferencesPage::builder().vexpand(true).build();
    let editable = settings(d);
    if !editable.is_empty() {
        let group = adw::PreferencesGroup::builder()
            .title(gettext("Settings"))
            .build();
        for s in &editable {
            group.add(&control_row(s, d, &key, running, on_edit));
        }
        page.add(&group);
    }
    let all = adw::PreferencesGroup::builder()
        .title(gettext("All Settings"))
        .description(gettext("As libvirt stores them"))
        .build();
    for (path, value) in all_settings(d.element()) {
        let r = match path.rsplit_once('/') {
            Some((_, last)) => row(&part_title(last), &value),
            None => row(&gettext("Device"), &value),
        };
        r.set_tooltip_text(Some(&path));
        all.add(&r);
    }
    page.add(&all);
    let xml_group = adw::PreferencesGroup::builder()
        .title(gettext("XML"))
        .build();
    let xml = gtk::Label::builder()
        .label(dedent(&hide_password(&d.to_xml_string())))
        .margin_top(12)
        .margin_bottom(12)
        .margin_start(12)
        .margin_end(12)
        .xalign(0.0)
        .selectable(true)
        .wrap(true)
        .wrap_mode(gtk::pango::WrapMode::WordChar)
        .build();
    xml.add_css_class("monospace");
    xml.set_accessible_label(&gettext_f("XML of {device}", &[("device", title)]));
    let card = gtk::Box::new(gtk::Orientation::Vertical, 0);
    card.add_css_class("card");
    card.append(&xml);
    xml_group.add(&card);
    page.add(&xml_group);
    outer.append(&page);
    outer
}

/// An element's XML as it stands in its document (its first line not
/// indented, the others indented as deep as the element sits) moved left.
fn dedent(xml: &str) -> String {
    let mut lines = xml.lines();
    let first = lines.next().unwrap_or_default();
    let rest: Vec<&str> = lines.collect();
    let indent = rest
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    std::iter::once(first)
        .chain(
            rest.iter()
                .map(|l| l.get(indent..).unwrap_or(l.trim_start())),
        )
        .collect::<Vec<_>>()
        .join("\n")
}

/// The device XML with any `passwd='…'` masked, for showing.
fn hide_password(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(at) = rest.find("passwd=") {
        let (head, tail) = rest.split_at(at + "passwd=".len());
        out.push_str(head);
        let quote = tail.chars().next().unwrap_or('\'');
        match tail[1..].find(quote) {
            Some(end) => {
                out.push(quote);
                out.push_str("••••");
                out.push(quote);
                rest = &tail[end + 2..];
            }
            None => {
                rest = tail;
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::xml::DomainXml;

    #[test]
    fn the_xml_shown_is_moved_left() {
        assert_eq!(
            dedent("<video>\n      <model type='vga'/>\n    </video>"),
            "<video>\n  <model type='vga'/>\n</video>"
        );
        assert_eq!(dedent("<input type='tablet'/>"), "<input type='tablet'/>");
    }

    #[test]
    fn passwords_are_never_shown() {
        assert_eq!(
            hide_password("<graphics type='vnc' passwd='abc' port='-1'/>"),
            "<graphics type='vnc' passwd='••••' port='-1'/>"
        );
        let vm = DomainXml::parse(
            "<domain><name>x</name><devices><graphics type='vnc' passwd=\"s\"><listen type='socket'/></graphics></devices></domain>",
        )
        .unwrap();
        let all = all_settings(vm.devices(DeviceKind::Graphics)[0].element());
        assert_eq!(
            all,
            vec![
                ("graphics".to_owned(), "type=vnc, passwd=••••".to_owned()),
                ("graphics/listen".to_owned(), "type=socket".to_owned())
            ]
        );
    }
}
