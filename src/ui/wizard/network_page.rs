//! The fourth page: the network source (a virtual network, a bridge, a host device, user networking or none),
//! and how the guest's screen is reached (VNC, SPICE, or none: a headless guest on its serial console).

use gettextrs::gettext;
use relm4::adw::{self, prelude::*};
use relm4::gtk;

use super::group;

pub struct NetworkPage {
    pub network: adw::ComboRow,
    pub network_device: adw::EntryRow,
    /// 0: VNC, 1: SPICE, 2: none (a serial console).
    pub display: adw::ComboRow,
}

impl NetworkPage {
    /// The page's widgets, and the page itself (scrolled).
    pub fn new() -> (NetworkPage, gtk::Widget) {
        // Page 4: network.
        let network = adw::ComboRow::builder()
            .title(gettext("Network source"))
            .build();
        let network_device = adw::EntryRow::builder()
            .title(gettext("Bridge name"))
            .build();
        let network_group = group(&gettext("Network"));
        network_group.add(&network);
        network_group.add(&network_device);

        let display = adw::ComboRow::builder()
            .title(gettext("Display"))
            .subtitle(gettext("How the guest’s screen is reached"))
            .model(&super::string_list(&[
                gettext("Graphical (VNC)"),
                gettext("Graphical (SPICE)"),
                gettext("None: a serial console only"),
            ]))
            .build();
        let display_group = group(&gettext("Console"));
        display_group.add(&display);

        let page = super::scrolled_page(&[network_group.upcast_ref(), display_group.upcast_ref()]);
        (
            NetworkPage {
                network,
                network_device,
                display,
            },
            page,
        )
    }
}
