//! The Networks page's dialogs: New Network (offered a free subnet and
//! its DHCP range), Add Static Lease, Delete Network.

use gettextrs::gettext;
use relm4::ComponentSender;
use relm4::adw::{self, prelude::*};
use relm4::gtk;

use super::{NetworkForm, NetworksInput, NetworksPage};
use crate::core::libvirt::NetworkAction;
use crate::core::network::{self, NetMode, Subnet4};
use crate::ui::dialog::{self, Confirm};
use crate::ui::host_window::entry;
use crate::ui::i18n::gettext_f;

fn mode_help(index: u32) -> String {
    match index {
        0 => gettext("Guests reach outside through the host’s address."),
        1 => gettext("Guests’ addresses are routed; the LAN needs a route back to them."),
        2 => gettext("Guests reach each other and the host only."),
        _ => gettext("libvirt adds no firewall rules at all."),
    }
}

impl NetworksPage {
    pub(super) fn ask_new(&self, parent: &gtk::Window, sender: &ComponentSender<Self>) {
        let taken: Vec<Subnet4> = self
            .networks
            .iter()
            .flat_map(|(n, _)| n.addresses.iter().filter_map(|a| Subnet4::parse(a)))
            .collect();
        let subnet = network::free_subnet(&taken);
        let range = network::default_dhcp(subnet);
        let used: Vec<&str> = self.networks.iter().map(|(n, _)| n.name.as_str()).collect();
        let suggested = (1..)
            .map(|i| format!("network{i}"))
            .find(|n| !used.contains(&n.as_str()))
            .unwrap_or_default();
        let name = entry(&gettext("Name"), &suggested);
        let modes = [
            gettext("NAT"),
            gettext("Routed"),
            gettext("Isolated"),
            gettext("Open"),
        ];
        let mode = adw::ComboRow::builder()
            .title(gettext("Mode"))
            .subtitle(mode_help(0))
            .model(&gtk::StringList::new(
                &modes.iter().map(String::as_str).collect::<Vec<_>>(),
            ))
            .build();
        mode.connect_selected_notify(|m| m.set_subtitle(&mode_help(m.selected())));
        let ipv4 = entry(
            &gettext("IPv4 subnet"),
            &format!("{}/{}", subnet.address, subnet.prefix),
        );
        let (first, last) = range.map_or((String::new(), String::new()), |(a, b)| {
            (a.to_string(), b.to_string())
        });
        let dhcp_start = entry(&gettext("DHCP first address"), &first);
        let dhcp_end = entry(&gettext("DHCP last address"), &last);
        // A new subnet brings its own range.
        {
            let (start, end) = (dhcp_start.clone(), dhcp_end.clone());
            ipv4.connect_changed(move |e| {
                if let Some((a, b)) = Subnet4::parse(&e.text()).and_then(network::default_dhcp) {
                    start.set_text(&a.to_string());
                    end.set_text(&b.to_string());
                }
            });
        }
        let ipv6 = entry(&gettext("IPv6 subnet (optional)"), "");
        let domain = entry(&gettext("DNS domain (optional)"), "");
        let list = dialog::boxed_list(&[
            name.upcast_ref(),
            mode.upcast_ref(),
            ipv4.upcast_ref(),
            dhcp_start.upcast_ref(),
            dhcp_end.upcast_ref(),
            ipv6.upcast_ref(),
            domain.upcast_ref(),
        ]);
        let input = sender.input_sender().clone();
        dialog::ask(
            parent,
            &gettext("New Network"),
            None,
            Some(list.upcast_ref()),
            (&gettext("Create"), Confirm::Suggested),
            move || {
                input.emit(NetworksInput::Create(NetworkForm {
                    name: name.text().to_string(),
                    mode: match mode.selected() {
                        0 => NetMode::Nat,
                        1 => NetMode::Routed,
                        2 => NetMode::Isolated,
                        _ => NetMode::Open,
                    },
                    subnet: ipv4.text().to_string(),
                    dhcp_start: dhcp_start.text().to_string(),
                    dhcp_end: dhcp_end.text().to_string(),
                    ipv6: ipv6.text().to_string(),
                    domain: domain.text().to_string(),
                }))
            },
        );
    }

    pub(super) fn ask_static_lease(
        &self,
        parent: &gtk::Window,
        sender: &ComponentSender<Self>,
        network: String,
    ) {
        let mac = entry(&gettext("MAC address"), "");
        let ip = entry(&gettext("IPv4 address"), "");
        let list = dialog::boxed_list(&[mac.upcast_ref(), ip.upcast_ref()]);
        let input = sender.input_sender().clone();
        let net = network.clone();
        dialog::ask(
            parent,
            &gettext_f("Add a Static Lease to {name}", &[("name", &network)]),
            Some(&gettext(
                "The guest with this MAC address always gets this address. It takes effect at once and is kept.",
            )),
            Some(list.upcast_ref()),
            (&gettext("Add"), Confirm::Suggested),
            move || {
                input.emit(NetworksInput::StaticLease {
                    network: net.clone(),
                    mac: mac.text().to_string(),
                    ip: ip.text().to_string(),
                    remove: false,
                })
            },
        );
    }

    pub(super) fn ask_delete(
        &self,
        parent: &gtk::Window,
        sender: &ComponentSender<Self>,
        name: String,
    ) {
        let input = sender.input_sender().clone();
        let n = name.clone();
        dialog::ask(
            parent,
            &gettext_f("Delete Network {name}?", &[("name", &name)]),
            Some(&gettext(
                "It is stopped and forgotten. Guests connected to it lose their network until they are given another.",
            )),
            None,
            (&gettext("Delete"), Confirm::Destructive),
            move || input.emit(NetworksInput::Act(n.clone(), NetworkAction::Delete)),
        );
    }
}
