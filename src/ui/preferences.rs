//! The Preferences window. Its sections fill up as the features that own
//! them land (the grab keys and scaling with the console).

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
        let switch = gtk::Switch::builder().valign(gtk::Align::Center).build();
        settings.bind(key, &switch, "active").build();
        let row = adw::ActionRow::builder()
            .title(title)
            .subtitle(subtitle)
            .activatable_widget(&switch)
            .build();
        row.add_suffix(&switch);
        stats.add(&row);
    }
    page.add(&stats);

    page.add(&group(
        gettext("Console"),
        gettext("The keys that release the keyboard grab, and scaling."),
    ));
    window.add(&page);
    window.present();
}
