//! The first page: where the OS comes from (ISO, install tree, disk image or nothing), which OS it is, and the architecture options.

use gettextrs::gettext;
use relm4::ComponentSender;
use relm4::adw::{self, prelude::*};
use relm4::gtk;

use super::{BrowseTarget, Wizard, WizardInput, browse_button, group, radio, string_list};
use crate::ui::a11y::AccessibleLabelExt;

pub struct SourcePage {
    pub connection: adw::ComboRow,
    pub source_iso: gtk::CheckButton,
    pub source_location: gtk::CheckButton,
    pub source_import: gtk::CheckButton,
    pub source_manual: gtk::CheckButton,
    pub iso: adw::EntryRow,
    /// ISO volumes of the host's pools, one click away.
    pub volumes: gtk::MenuButton,
    pub url: adw::EntryRow,
    pub kernel_args: adw::EntryRow,
    pub import: adw::EntryRow,
    pub os_row: adw::ActionRow,
    pub virt_type: adw::ComboRow,
    pub arch: adw::ComboRow,
    pub machine: adw::ComboRow,
    pub firmware: adw::ComboRow,
}

impl SourcePage {
    /// The page's widgets, and the page itself (scrolled).
    pub fn new(
        init: &super::WizardInit,
        sender: &ComponentSender<Wizard>,
    ) -> (SourcePage, gtk::Widget) {
        // Page 1: install source.
        let uris: Vec<String> = init.connections.iter().map(|c| c.1.clone()).collect();
        let connection = adw::ComboRow::builder()
            .title(gettext("Connection"))
            .model(&string_list(&uris))
            .selected(init.selected as u32)
            .build();
        connection.set_visible(uris.len() > 1);
        let source_iso = radio(&gettext("Local install media (ISO image)"), None);
        source_iso.set_active(true);
        let source_location = radio(
            &gettext("Network install (URL of an install tree)"),
            Some(&source_iso),
        );
        let source_import = radio(&gettext("Import an existing disk image"), Some(&source_iso));
        let source_manual = radio(&gettext("Manual install (no media)"), Some(&source_iso));
        let iso = adw::EntryRow::builder()
            .title(gettext("ISO image or volume path"))
            .build();
        let volumes = gtk::MenuButton::builder()
            .icon_name("drive-optical-symbolic")
            .valign(gtk::Align::Center)
            .tooltip_text(gettext("ISO Volumes of the Host"))
            .visible(false)
            .build();
        volumes.add_css_class("flat");
        volumes.set_accessible_label(&gettext("ISO Volumes of the Host"));
        iso.add_suffix(&volumes);
        iso.add_suffix(&browse_button(BrowseTarget::Iso, sender));
        let url = adw::EntryRow::builder()
            .title(gettext("Install tree URL"))
            .build();
        let kernel_args = adw::EntryRow::builder()
            .title(gettext("Kernel arguments (optional)"))
            .build();
        let import = adw::EntryRow::builder()
            .title(gettext("Disk image path"))
            .build();
        import.add_suffix(&browse_button(BrowseTarget::Import, sender));
        let source_group = group(&gettext("How will the operating system be installed?"));
        source_group.add(&connection);
        for b in [
            &source_iso,
            &source_location,
            &source_import,
            &source_manual,
        ] {
            source_group.add(&crate::ui::dialog::radio_row(b));
        }
        let media_group = group("");
        for e in [&iso, &url, &kernel_args, &import] {
            media_group.add(e);
        }
        let os_row = adw::ActionRow::builder()
            .title(gettext("Operating system"))
            .subtitle(gettext("Generic or unknown OS"))
            .build();
        let choose = gtk::Button::builder()
            .label(gettext("Choose…"))
            .valign(gtk::Align::Center)
            .build();
        choose.set_accessible_label(&gettext("Choose the operating system"));
        choose.connect_clicked({
            let input = sender.input_sender().clone();
            move |_| input.emit(WizardInput::PickOs)
        });
        os_row.add_suffix(&choose);
        media_group.add(&os_row);
        let virt_type = adw::ComboRow::builder()
            .title(gettext("Virtualization"))
            .build();
        let arch = adw::ComboRow::builder()
            .title(gettext("Architecture"))
            .build();
        let machine = adw::ComboRow::builder()
            .title(gettext("Machine type"))
            .build();
        let firmware = adw::ComboRow::builder()
            .title(gettext("Firmware"))
            .model(&string_list(&[
                gettext("Automatic (from the OS)"),
                gettext("BIOS"),
                gettext("UEFI"),
                gettext("UEFI with Secure Boot"),
            ]))
            .build();
        let arch_group = group(&gettext("Architecture Options"));
        for r in [&virt_type, &arch, &machine, &firmware] {
            arch_group.add(r);
        }

        let page = super::scrolled_page(&[
            source_group.upcast_ref(),
            media_group.upcast_ref(),
            arch_group.upcast_ref(),
        ]);
        (
            SourcePage {
                connection,
                source_iso,
                source_location,
                source_import,
                source_manual,
                iso,
                volumes,
                url,
                kernel_args,
                import,
                os_row,
                virt_type,
                arch,
                machine,
                firmware,
            },
            page,
        )
    }
}
