//! The Preferences window. Its sections fill up as the features that own
//! them land (statistics with the VM list, the grab keys with the console).

use gettextrs::gettext;
use relm4::adw::{self, prelude::*};
use relm4::gtk;

/// Present the Preferences window over `parent`.
pub fn show(parent: &gtk::Window) {
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
    for (title, description) in [
        (
            gettext("Connections"),
            gettext("Saved connections and which of them open at start-up."),
        ),
        (
            gettext("Statistics"),
            gettext("How often usage is read, and which graphs the list shows."),
        ),
        (
            gettext("Console"),
            gettext("The keys that release the keyboard grab, and scaling."),
        ),
    ] {
        let group = adw::PreferencesGroup::builder()
            .title(title)
            .description(description)
            .build();
        page.add(&group);
    }
    window.add(&page);
    window.present();
}
