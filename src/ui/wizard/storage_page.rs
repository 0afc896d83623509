//! The third page: a new disk image in a pool, an existing one, or none (and the note shown instead when a disk image is imported).

use gettextrs::gettext;
use relm4::ComponentSender;
use relm4::adw::{self, prelude::*};
use relm4::gtk;

use super::{BrowseTarget, Wizard, WizardInput, browse_button, group, radio, spin};

pub struct StoragePage {
    pub storage_new: gtk::CheckButton,
    pub storage_existing: gtk::CheckButton,
    pub storage_none: gtk::CheckButton,
    pub pool: adw::ComboRow,
    pub size: gtk::SpinButton,
    pub size_row: adw::ActionRow,
    pub existing: adw::EntryRow,
    pub no_pool: adw::ActionRow,
    pub storage_group: adw::PreferencesGroup,
    pub import_group: adw::PreferencesGroup,
}

impl StoragePage {
    /// The page's widgets, and the page itself (scrolled).
    pub fn new(sender: &ComponentSender<Wizard>) -> (StoragePage, gtk::Widget) {
        // Page 3: storage.
        let storage_new = radio(&gettext("Create a disk image"), None);
        storage_new.set_active(true);
        let storage_existing = radio(
            &gettext("Use an existing disk image or volume"),
            Some(&storage_new),
        );
        let storage_none = radio(&gettext("No disk"), Some(&storage_new));
        let storage_group = group(&gettext("Disk"));
        let pool = adw::ComboRow::builder()
            .title(gettext("Storage pool"))
            .build();
        let size = spin(0.0, 1024.0 * 1024.0, 1.0, 1, &gettext("Disk size in GiB"));
        let size_row = adw::ActionRow::builder()
            .title(gettext("Size (GiB)"))
            .build();
        size_row.add_suffix(&size);
        let existing = adw::EntryRow::builder()
            .title(gettext("Disk image path"))
            .build();
        existing.add_suffix(&browse_button(BrowseTarget::Disk, sender));
        let no_pool = adw::ActionRow::builder()
            .title(gettext("This host has no storage pool"))
            .subtitle(gettext("Create the default pool to keep disk images in"))
            .build();
        let create_pool = gtk::Button::builder()
            .label(gettext("Create Default Pool"))
            .valign(gtk::Align::Center)
            .build();
        create_pool.connect_clicked({
            let input = sender.input_sender().clone();
            move |_| input.emit(WizardInput::CreateDefaultPool)
        });
        no_pool.add_suffix(&create_pool);
        no_pool.set_visible(false);
        let radio_row = crate::ui::dialog::radio_row;
        storage_group.add(&radio_row(&storage_new));
        storage_group.add(&pool);
        storage_group.add(&size_row);
        storage_group.add(&no_pool);
        storage_group.add(&radio_row(&storage_existing));
        storage_group.add(&existing);
        storage_group.add(&radio_row(&storage_none));
        let import_note = adw::ActionRow::builder()
            .title(gettext(
                "The imported disk image is the virtual machine’s disk",
            ))
            .build();
        let import_group = group("");
        import_group.add(&import_note);

        let page = super::scrolled_page(&[storage_group.upcast_ref(), import_group.upcast_ref()]);
        (
            StoragePage {
                storage_new,
                storage_existing,
                storage_none,
                pool,
                size,
                size_row,
                existing,
                no_pool,
                storage_group,
                import_group,
            },
            page,
        )
    }
}
