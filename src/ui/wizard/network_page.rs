//! The fourth page: the network source (a virtual network, a bridge, a host device, user networking or none).

use gettextrs::gettext;
use relm4::adw::{self, prelude::*};
use relm4::gtk;

use super::group;

pub struct NetworkPage {
    pub network: adw::ComboRow,
    pub network_device: adw::EntryRow,
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

        let page = super::scrolled_page(&[network_group.upcast_ref()]);
        (
            NetworkPage {
                network,
                network_device,
            },
            page,
        )
    }
}
