//! The Preferences window: connections, statistics and graphs, and the
//! console's keyboard release keys.

use gettextrs::gettext;
use relm4::adw::{self, prelude::*};
use relm4::gtk::{self, gio};

fn group(title: String, description: String) -> adw::PreferencesGroup {
    adw::PreferencesGroup::builder()
        .title(title)
        .description(description)
        .build()
}

/// Present the Preferences window over `parent`; controls are bound to
/// `settings`, so changes apply at once.
pub fn show(parent: &gtk::Window, settings: &gio::Settings) {
    let window = adw::PreferencesWindow::builder()
        .transient_for(parent)
        .modal(true)
        .title(gettext("Preferences"))
        .search_enabled(false)
        .build();
    let page = adw::PreferencesPage::builder()
        .title(gettext("General"))
        .icon_name("preferences-system-symbolic")
        .build();
    page.add(&group(
        gettext("Connections"),
        gettext("Saved connections and which of them open at start-up."),
    ));

    let stats = group(
        gettext("Statistics"),
        gettext("How often usage is read, and which graphs the list shows."),
    );
    let interval = gtk::SpinButton::with_range(1.0, 60.0, 1.0);
    interval.set_valign(gtk::Align::Center);
    // Named by the row (libadwaita makes the row label it).
    settings.bind("stats-interval", &interval, "value").build();
    let row = adw::ActionRow::builder()
        .title(gettext("Update interval"))
        .subtitle(gettext("Seconds between two readings"))
        .activatable_widget(&interval)
        .build();
    row.add_suffix(&interval);
    stats.add(&row);
    for (key, title, subtitle) in [
        (
            "show-disk-graph",
            gettext("Disk graphs"),
            gettext("Show each running VM's disk reads and writes"),
        ),
        (
            "show-network-graph",
            gettext("Network graphs"),
            gettext("Show each running VM's network traffic"),
        ),
    ] {
        let (row, switch) = crate::ui::dialog::switch_row(&title, &subtitle, false);
        settings.bind(key, &switch, "active").build();
        stats.add(&row);
    }
    page.add(&stats);

    let console = group(
        gettext("Console"),
        gettext("A console takes the keyboard when clicked; these keys give it back."),
    );
    // The choices, as stored in `console-release-keys`.
    let combos = [
        ("<Control><Alt>", "Ctrl+Alt"),
        ("<Control><Shift>", "Ctrl+Shift"),
        ("<Control><Alt><Shift>", "Ctrl+Alt+Shift"),
        ("<Super><Alt>", "Super+Alt"),
    ];
    let release = adw::ComboRow::builder()
        .title(gettext("Release keys"))
        .subtitle(gettext(
            "Press together, then let go, to release the keyboard",
        ))
        .model(&gtk::StringList::new(
            &combos.iter().map(|(_, label)| *label).collect::<Vec<_>>(),
        ))
        .build();
    let current = settings.string("console-release-keys");
    if let Some(i) = combos
        .iter()
        .position(|(value, _)| *value == current.as_str())
    {
        release.set_selected(i as u32);
    }
    {
        let settings = settings.clone();
        release.connect_selected_notify(move |row| {
            if let Some((value, _)) = combos.get(row.selected() as usize) {
                let _ = settings.set_string("console-release-keys", value);
            }
        });
    }
    console.add(&release);
    let share = gtk::Switch::builder().valign(gtk::Align::Center).build();
    settings.bind("share-clipboard", &share, "active").build();
    let row = adw::ActionRow::builder()
        .title(gettext("Share clipboard with guests"))
        .subtitle(gettext(
            "Copy and paste text between this desktop and guests with spice-vdagent",
        ))
        .activatable_widget(&share)
        .build();
    row.add_suffix(&share);
    console.add(&row);
    page.add(&console);
    window.add(&page);
    window.present();
}
