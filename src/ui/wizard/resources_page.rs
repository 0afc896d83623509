//! The second page: memory and CPUs, with their optional maximums.

use gettextrs::gettext;
use relm4::adw::{self, prelude::*};
use relm4::gtk;

use super::{group, spin};
use crate::ui::a11y::AccessibleLabelExt;

pub struct ResourcesPage {
    pub memory: gtk::SpinButton,
    pub memory_row: adw::ActionRow,
    pub max_memory_on: gtk::Switch,
    pub max_memory: gtk::SpinButton,
    pub vcpus: gtk::SpinButton,
    pub vcpus_row: adw::ActionRow,
    pub max_vcpus_on: gtk::Switch,
    pub max_vcpus: gtk::SpinButton,
}

impl ResourcesPage {
    /// The page's widgets, and the page itself (scrolled).
    pub fn new() -> (ResourcesPage, gtk::Widget) {
        // Page 2: memory and CPUs.
        let memory = spin(
            1.0,
            16.0 * 1024.0 * 1024.0,
            256.0,
            0,
            &gettext("Memory in MiB"),
        );
        let memory_row = adw::ActionRow::builder()
            .title(gettext("Memory (MiB)"))
            .build();
        memory_row.add_suffix(&memory);
        let max_memory_on = gtk::Switch::builder().valign(gtk::Align::Center).build();
        max_memory_on.set_accessible_label(&gettext("Set a maximum memory"));
        let max_memory = spin(
            1.0,
            16.0 * 1024.0 * 1024.0,
            256.0,
            0,
            &gettext("Maximum memory in MiB"),
        );
        let max_memory_row = adw::ActionRow::builder()
            .title(gettext("Maximum memory (MiB)"))
            .subtitle(gettext(
                "The guest can be given up to this much while it runs",
            ))
            .build();
        max_memory_row.add_suffix(&max_memory);
        max_memory_row.add_suffix(&max_memory_on);
        let vcpus = spin(1.0, 4096.0, 1.0, 0, &gettext("Virtual CPUs"));
        let vcpus_row = adw::ActionRow::builder().title(gettext("CPUs")).build();
        vcpus_row.add_suffix(&vcpus);
        let max_vcpus_on = gtk::Switch::builder().valign(gtk::Align::Center).build();
        max_vcpus_on.set_accessible_label(&gettext("Set a maximum of CPUs"));
        let max_vcpus = spin(1.0, 4096.0, 1.0, 0, &gettext("Maximum virtual CPUs"));
        let max_vcpus_row = adw::ActionRow::builder()
            .title(gettext("Maximum CPUs"))
            .subtitle(gettext("CPUs that can be added while the guest runs"))
            .build();
        max_vcpus_row.add_suffix(&max_vcpus);
        max_vcpus_row.add_suffix(&max_vcpus_on);
        let resources_group = group(&gettext("Memory and CPUs"));
        for r in [&memory_row, &max_memory_row, &vcpus_row, &max_vcpus_row] {
            resources_group.add(r);
        }

        let page = super::scrolled_page(&[resources_group.upcast_ref()]);
        (
            ResourcesPage {
                memory,
                memory_row,
                max_memory_on,
                max_memory,
                vcpus,
                vcpus_row,
                max_vcpus_on,
                max_vcpus,
            },
            page,
        )
    }
}
