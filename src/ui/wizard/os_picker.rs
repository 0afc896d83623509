//! The searchable OS picker of the New VM wizard: every OS libosinfo knows,
//! filtered as the user types (name, vendor or short ID).

use gettextrs::gettext;
use relm4::adw::{self, prelude::*};
use relm4::gtk;

use crate::osinfo::OsEntry;
use crate::ui::a11y::AccessibleLabelExt;
use crate::ui::i18n::gettext_f;

/// A light row (two labels): 800 of them stay cheap to build.
fn row(title: &str, subtitle: &str) -> gtk::ListBoxRow {
    let title = gtk::Label::builder()
        .label(title)
        .xalign(0.0)
        .wrap(true)
        .build();
    let sub = gtk::Label::builder()
        .label(subtitle)
        .xalign(0.0)
        .wrap(true)
        .build();
    sub.add_css_class("dim-label");
    sub.add_css_class("caption");
    let b = gtk::Box::builder()
        .orientation(gtk::Orientation::Vertical)
        .spacing(2)
        .margin_top(8)
        .margin_bottom(8)
        .margin_start(12)
        .margin_end(12)
        .build();
    b.append(&title);
    b.append(&sub);
    gtk::ListBoxRow::builder()
        .child(&b)
        .activatable(true)
        .build()
}

/// Show the picker over `parent`; `chosen` gets the short ID of the OS the
/// user activates ("generic" for the first row, Generic or unknown OS).
pub fn show(parent: &gtk::Window, oses: &[OsEntry], chosen: impl Fn(String) + 'static) {
    let window = adw::Window::builder()
        .title(gettext("Choose an Operating System"))
        .transient_for(parent)
        .modal(true)
        .default_width(460)
        .default_height(560)
        .build();
    let search = gtk::SearchEntry::builder()
        .placeholder_text(gettext("Search by name, vendor or ID"))
        .hexpand(true)
        .build();
    search.set_accessible_label(&gettext("Search operating systems"));
    let header = adw::HeaderBar::new();
    header.set_title_widget(Some(&search));

    let list = gtk::ListBox::builder()
        .selection_mode(gtk::SelectionMode::None)
        .build();
    list.add_css_class("boxed-list");
    list.set_accessible_label(&gettext("Operating systems"));
    let mut ids = vec!["generic".to_owned()];
    let mut haystacks = vec![gettext("Generic or unknown OS").to_lowercase() + " generic"];
    list.append(&row(
        &gettext("Generic or unknown OS"),
        &gettext("Modern defaults that boot most media"),
    ));
    for os in oses {
        let mut subtitle = os.short_id.clone();
        if !os.vendor.is_empty() {
            subtitle = format!("{} · {}", os.vendor, subtitle);
        }
        if os.eol {
            subtitle = gettext_f("{details} · end of life", &[("details", &subtitle)]);
        }
        let row = row(&os.name, &subtitle);
        list.append(&row);
        ids.push(os.short_id.clone());
        haystacks.push(format!("{} {} {}", os.name, os.vendor, os.short_id).to_lowercase());
    }
    {
        let search = search.clone();
        let haystacks = haystacks.clone();
        list.set_filter_func(move |row| {
            let q = search.text().to_lowercase();
            let i = row.index().max(0) as usize;
            q.split_whitespace()
                .all(|word| haystacks.get(i).is_some_and(|h| h.contains(word)))
        });
    }
    {
        let list = list.clone();
        search.connect_search_changed(move |_| list.invalidate_filter());
    }
    {
        let window = window.clone();
        list.connect_row_activated(move |_, row| {
            if let Some(id) = ids.get(row.index().max(0) as usize) {
                chosen(id.clone());
            }
            window.close();
        });
    }
    {
        // Enter in the search field takes the first match.
        let list = list.clone();
        search.connect_activate(move |_| {
            let mut i = 0;
            while let Some(row) = list.row_at_index(i) {
                if row.is_child_visible() {
                    row.activate();
                    return;
                }
                i += 1;
            }
        });
    }
    let scrolled = gtk::ScrolledWindow::builder()
        .vexpand(true)
        .hscrollbar_policy(gtk::PolicyType::Never)
        .child(
            &adw::Clamp::builder()
                .child(&list)
                .margin_top(12)
                .margin_bottom(12)
                .margin_start(12)
                .margin_end(12)
                .build(),
        )
        .build();
    let content = gtk::Box::new(gtk::Orientation::Vertical, 0);
    content.append(&header);
    content.append(&scrolled);
    window.set_content(Some(&content));
    search.grab_focus();
    window.present();
}
