//! The About window.

use gettextrs::gettext;
use relm4::adw;
use relm4::gtk::{self, prelude::*};

use crate::core::config::{APP_ID, VERSION};

/// Present the About window over `parent`.
pub fn show(parent: &gtk::Window) {
    let about = adw::AboutWindow::builder()
        .transient_for(parent)
        .modal(true)
        .application_icon(APP_ID)
        .application_name("Vireo")
        .developer_name(gettext("The Vireo developers"))
        .version(VERSION)
        .comments(gettext(
            "Run and manage KVM and QEMU virtual machines through libvirt.",
        ))
        .license_type(gtk::License::Gpl30)
        .website("https://vireo.dev")
        .issue_url("https://vireo.dev/issues")
        // Translators: put your names here, one per line.
        .translator_credits(gettext("translator-credits"))
        .build();
    about.present();
}
