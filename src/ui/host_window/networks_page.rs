//! The host window's Networks page: each virtual network as a group (mode,
//! bridge, addresses, state, autostart) with its static DHCP leases and,
//! while it runs, the leases its DHCP server handed out (each can be made
//! static in one click). Networks are created (NAT, routed, isolated or
//! open, checked against the others first), started, stopped, autostarted
//! and deleted; static leases are added and removed live. Every change is
//! one core request run as a command.

mod dialogs;

use std::net::{Ipv4Addr, Ipv6Addr};

use gettextrs::gettext;
use relm4::adw::{self, prelude::*};
use relm4::gtk::{self, gio, glib};
use relm4::{Component, ComponentParts, ComponentSender};

use crate::core::libvirt::{Connection, Error, Lease, NetworkAction, NetworkDetails};
use crate::core::network::{self, NetMode, NetworkProblem, NewNetwork, Subnet4};
use crate::ui::i18n::gettext_f;

/// What the New Network form holds, as typed.
#[derive(Debug, Clone)]
pub struct NetworkForm {
    pub name: String,
    pub mode: NetMode,
    pub subnet: String,
    pub dhcp_start: String,
    pub dhcp_end: String,
    pub ipv6: String,
    pub domain: String,
}

#[derive(Debug)]
pub enum NetworksInput {
    Act(String, NetworkAction),
    AskDelete(String),
    AskNew,
    Create(NetworkForm),
    AskStaticLease(String),
    /// Add (or remove) a static lease: network, MAC, IP as typed.
    StaticLease {
        network: String,
        mac: String,
        ip: String,
        remove: bool,
    },
}

#[derive(Debug)]
pub enum NetworksCmd {
    Loaded(Result<Vec<(NetworkDetails, Vec<Lease>)>, Error>),
    /// A change ended: what to say.
    Done(Result<String, Error>),
}

pub struct NetworksPage {
    conn: Connection,
    networks: Vec<(NetworkDetails, Vec<Lease>)>,
    groups: Vec<adw::PreferencesGroup>,
    status: gtk::Label,
    add: gtk::Button,
    /// Networks whose lease table is open (kept open across reloads).
    open_tables: std::rc::Rc<std::cell::RefCell<std::collections::HashSet<String>>>,
}

fn mode_text(mode: Option<&str>) -> String {
    match mode {
        None => gettext("Isolated"),
        Some("nat") => gettext("NAT"),
        Some("route") => gettext("Routed"),
        Some("open") => gettext("Open"),
        Some("bridge") => gettext("Host bridge"),
        Some(other) => other.to_owned(),
    }
}

/// The sentence for a network that cannot be created as typed.
fn problem_text(p: &NetworkProblem) -> String {
    match p {
        NetworkProblem::EmptyName => gettext("The network needs a name."),
        NetworkProblem::NameWithSlash => gettext("A network’s name cannot contain “/”."),
        NetworkProblem::NameTaken(n) => {
            gettext_f("There is already a network named “{name}”.", &[("name", n)])
        }
        NetworkProblem::NoSubnet => gettext("A NAT or routed network needs an IPv4 subnet."),
        NetworkProblem::Overlaps(n) => gettext_f(
            "The subnet overlaps that of the network “{name}”.",
            &[("name", n)],
        ),
        NetworkProblem::DhcpOutside => {
            gettext("The DHCP range must lie inside the subnet, first address first.")
        }
        NetworkProblem::DhcpHasHost => gettext("The DHCP range holds the host’s own address."),
    }
}

/// Read the form, or say in one sentence what is wrong with it.
fn read_form(f: &NetworkForm) -> Result<NewNetwork, String> {
    let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let ipv4 = match text(&f.subnet) {
        None => None,
        Some(s) => Some(Subnet4::parse(&s).ok_or_else(|| {
            gettext_f(
                "“{text}” is not a subnet such as 192.168.100.1/24.",
                &[("text", &s)],
            )
        })?),
    };
    let address = |s: String| {
        s.parse::<Ipv4Addr>()
            .map_err(|_| gettext_f("“{text}” is not an IPv4 address.", &[("text", &s)]))
    };
    let dhcp = match (text(&f.dhcp_start), text(&f.dhcp_end)) {
        (None, None) => None,
        (Some(a), Some(b)) if ipv4.is_some() => Some((address(a)?, address(b)?)),
        (Some(_), Some(_)) => return Err(gettext("A DHCP range needs an IPv4 subnet.")),
        _ => {
            return Err(gettext(
                "A DHCP range needs its first and its last address.",
            ));
        }
    };
    let ipv6 = match text(&f.ipv6) {
        None => None,
        Some(s) => {
            let bad = || {
                gettext_f(
                    "“{text}” is not an IPv6 address with a prefix such as fd00:1::1/64.",
                    &[("text", &s)],
                )
            };
            let (a, p) = s.split_once('/').ok_or_else(bad)?;
            let a: Ipv6Addr = a.parse().map_err(|_| bad())?;
            let p: u8 = p.parse().ok().filter(|p| *p <= 128).ok_or_else(bad)?;
            Some((a, p))
        }
    };
    Ok(NewNetwork {
        name: f.name.trim().to_owned(),
        mode: f.mode.clone(),
        ipv4,
        dhcp,
        ipv6,
        domain: text(&f.domain),
    })
}

fn item(menu: &gio::Menu, label: &str, action: &str, target: &str) {
    super::menu_item(menu, label, &format!("network.{action}"), target);
}

fn network_menu(n: &NetworkDetails) -> gtk::MenuButton {
    let menu = gio::Menu::new();
    let name = &n.name;
    if n.active {
        item(&menu, &gettext("Stop"), "stop", name);
    } else {
        item(&menu, &gettext("Start"), "start", name);
    }
    if n.autostart {
        item(
            &menu,
            &gettext("Do Not Start with the Host"),
            "autostart-off",
            name,
        );
    } else {
        item(&menu, &gettext("Start with the Host"), "autostart-on", name);
    }
    if !n.addresses.is_empty() {
        item(&menu, &gettext("Add Static Lease…"), "static-lease", name);
    }
    item(&menu, &gettext("Delete Network…"), "delete", name);
    super::menu_button(
        &gettext_f("Actions for network {name}", &[("name", name)]),
        &menu,
    )
}

/// A flat button emitting `msg`.
fn row_button(
    icon: &str,
    label: &str,
    sender: &ComponentSender<NetworksPage>,
    msg: impl Fn() -> NetworksInput + 'static,
) -> gtk::Button {
    let b = gtk::Button::builder()
        .icon_name(icon)
        .valign(gtk::Align::Center)
        .tooltip_text(label)
        .build();
    b.add_css_class("flat");
    crate::ui::a11y::AccessibleLabelExt::set_accessible_label(&b, label);
    let input = sender.input_sender().clone();
    b.connect_clicked(move |_| input.emit(msg()));
    b
}

/// A lease's expiry in the local time zone.
fn expiry(seconds: i64) -> String {
    glib::DateTime::from_unix_local(seconds)
        .and_then(|t| t.format("%Y-%m-%d %H:%M"))
        .map(|t| t.to_string())
        .unwrap_or_default()
}

impl NetworksPage {
    fn load(&self, sender: &ComponentSender<Self>) {
        let conn = self.conn.clone();
        sender.oneshot_command(async move {
            let result = async {
                let mut out = Vec::new();
                for n in conn.networks().await? {
                    let leases = if n.active {
                        conn.leases(&n.name).await.unwrap_or_default()
                    } else {
                        Vec::new()
                    };
                    out.push((n, leases));
                }
                Ok(out)
            }
            .await;
            NetworksCmd::Loaded(result)
        });
    }

    fn say(&self, text: &str, error: bool) {
        crate::ui::dialog::show_status(&self.status, text, error);
    }

    fn run(
        &self,
        sender: &ComponentSender<Self>,
        work: impl std::future::Future<Output = Result<String, Error>> + Send + 'static,
    ) {
        sender.oneshot_command(async move { NetworksCmd::Done(work.await) });
    }

    fn show(&mut self, root: &adw::PreferencesPage, sender: &ComponentSender<Self>) {
        for g in self.groups.drain(..) {
            root.remove(&g);
        }
        for (n, leases) in &self.networks {
            let mut facts = vec![mode_text(n.mode.as_deref())];
            facts.extend(n.bridge.clone());
            facts.extend(n.addresses.iter().cloned());
            facts.push(if n.active {
                gettext("Active")
            } else {
                gettext("Inactive")
            });
            if n.autostart {
                facts.push(gettext("Starts with the host"));
            }
            let group = adw::PreferencesGroup::builder()
                .title(glib::markup_escape_text(&n.name).as_str())
                .description(glib::markup_escape_text(&facts.join(" · ")).as_str())
                .build();
            group.set_header_suffix(Some(&network_menu(n)));
            for (mac, ip, host) in &n.static_leases {
                let title = gettext_f("{mac} → {ip}", &[("mac", mac), ("ip", ip)]);
                let r = super::row(
                    &title,
                    &host.clone().unwrap_or_else(|| gettext("Static lease")),
                );
                let (net, mac2, ip2) = (n.name.clone(), mac.clone(), ip.clone());
                r.add_suffix(&row_button(
                    "list-remove-symbolic",
                    &gettext_f("Remove the static lease of {mac}", &[("mac", mac)]),
                    sender,
                    move || NetworksInput::StaticLease {
                        network: net.clone(),
                        mac: mac2.clone(),
                        ip: ip2.clone(),
                        remove: true,
                    },
                ));
                group.add(&r);
            }
            if n.active && (n.dhcp || !leases.is_empty()) {
                let table = adw::ExpanderRow::builder()
                    .expanded(self.open_tables.borrow().contains(&n.name))
                    .title(gettext_f(
                        "DHCP leases ({count})",
                        &[("count", &leases.len().to_string())],
                    ))
                    .subtitle(gettext("Addresses handed out to guests"))
                    .build();
                if leases.is_empty() {
                    table.add_row(&super::row(&gettext("No leases"), ""));
                }
                for l in leases {
                    let title = match &l.hostname {
                        Some(h) => format!("{} · {h}", l.ip),
                        None => l.ip.clone(),
                    };
                    let r = super::row(
                        &title,
                        &gettext_f(
                            "{mac} · until {time}",
                            &[("mac", &l.mac), ("time", &expiry(l.expires))],
                        ),
                    );
                    if !n
                        .static_leases
                        .iter()
                        .any(|(m, _, _)| m.eq_ignore_ascii_case(&l.mac))
                    {
                        let (net, mac, ip) = (n.name.clone(), l.mac.clone(), l.ip.clone());
                        let keep = gtk::Button::builder()
                            .label(gettext("Make Static"))
                            .valign(gtk::Align::Center)
                            .tooltip_text(gettext("Always give this address to this MAC"))
                            .build();
                        crate::ui::a11y::AccessibleLabelExt::set_accessible_label(
                            &keep,
                            &gettext_f("Make the lease of {ip} static", &[("ip", &l.ip)]),
                        );
                        let input = sender.input_sender().clone();
                        keep.connect_clicked(move |_| {
                            input.emit(NetworksInput::StaticLease {
                                network: net.clone(),
                                mac: mac.clone(),
                                ip: ip.clone(),
                                remove: false,
                            })
                        });
                        r.add_suffix(&keep);
                    }
                    table.add_row(&r);
                }
                {
                    let (open, name) = (self.open_tables.clone(), n.name.clone());
                    table.connect_expanded_notify(move |t| {
                        if t.is_expanded() {
                            open.borrow_mut().insert(name.clone());
                        } else {
                            open.borrow_mut().remove(&name);
                        }
                    });
                }
                group.add(&table);
            }
            root.add(&group);
            self.groups.push(group);
        }
    }
}

impl Component for NetworksPage {
    type Init = Connection;
    type Input = NetworksInput;
    type Output = ();
    type CommandOutput = NetworksCmd;
    type Root = adw::PreferencesPage;
    type Widgets = ();

    fn init_root() -> adw::PreferencesPage {
        adw::PreferencesPage::builder()
            .title(gettext("Networks"))
            .icon_name("network-workgroup-symbolic")
            .name("networks")
            .build()
    }

    fn init(
        conn: Connection,
        root: adw::PreferencesPage,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let top = adw::PreferencesGroup::new();
        let add = gtk::Button::with_label(&gettext("New Network…"));
        add.add_css_class("suggested-action");
        {
            let input = sender.input_sender().clone();
            add.connect_clicked(move |_| input.emit(NetworksInput::AskNew));
        }
        let status = gtk::Label::builder()
            .wrap(true)
            .xalign(0.0)
            .hexpand(true)
            .visible(false)
            .build();
        let bar = gtk::Box::new(gtk::Orientation::Horizontal, 12);
        bar.append(&status);
        bar.append(&add);
        top.add(&bar);
        root.add(&top);

        let actions = gio::SimpleActionGroup::new();
        let act = |name: &str, msg: fn(String) -> NetworksInput| {
            let input = sender.input_sender().clone();
            super::string_action(&actions, name, move |t| input.emit(msg(t)));
        };
        act("start", |n| NetworksInput::Act(n, NetworkAction::Start));
        act("stop", |n| NetworksInput::Act(n, NetworkAction::Stop));
        act("autostart-on", |n| {
            NetworksInput::Act(n, NetworkAction::Autostart(true))
        });
        act("autostart-off", |n| {
            NetworksInput::Act(n, NetworkAction::Autostart(false))
        });
        act("static-lease", NetworksInput::AskStaticLease);
        act("delete", NetworksInput::AskDelete);
        root.insert_action_group("network", Some(&actions));

        let model = NetworksPage {
            conn,
            networks: Vec::new(),
            groups: Vec::new(),
            status,
            add,
            open_tables: Default::default(),
        };
        model.load(&sender);
        ComponentParts { model, widgets: () }
    }

    fn update(
        &mut self,
        msg: NetworksInput,
        sender: ComponentSender<Self>,
        root: &adw::PreferencesPage,
    ) {
        let Some(parent) = root.root().and_downcast::<gtk::Window>() else {
            return;
        };
        let conn = self.conn.clone();
        match msg {
            NetworksInput::Act(name, action) => self.run(&sender, async move {
                conn.network_action(&name, action).await?;
                let n = [("name", name.as_str())];
                Ok(match action {
                    NetworkAction::Start => gettext_f("Started network {name}.", &n),
                    NetworkAction::Stop => gettext_f("Stopped network {name}.", &n),
                    NetworkAction::Autostart(true) => {
                        gettext_f("Network {name} starts with the host.", &n)
                    }
                    NetworkAction::Autostart(false) => {
                        gettext_f("Network {name} no longer starts with the host.", &n)
                    }
                    NetworkAction::Delete => gettext_f("Deleted network {name}.", &n),
                })
            }),
            NetworksInput::AskDelete(name) => self.ask_delete(&parent, &sender, name),
            NetworksInput::AskNew => self.ask_new(&parent, &sender),
            NetworksInput::Create(form) => {
                let new = match read_form(&form) {
                    Ok(n) => n,
                    Err(e) => return self.say(&e, true),
                };
                let existing: Vec<(String, Vec<Subnet4>)> = self
                    .networks
                    .iter()
                    .map(|(n, _)| {
                        let subnets = n.addresses.iter().filter_map(|a| Subnet4::parse(a));
                        (n.name.clone(), subnets.collect())
                    })
                    .collect();
                if let Some(p) = network::check_network(&new, &existing).first() {
                    return self.say(&problem_text(p), true);
                }
                self.run(&sender, async move {
                    let name = new.name.clone();
                    conn.create_network(new).await?;
                    Ok(gettext_f("Created network {name}.", &[("name", &name)]))
                })
            }
            NetworksInput::AskStaticLease(name) => self.ask_static_lease(&parent, &sender, name),
            NetworksInput::StaticLease {
                network,
                mac,
                ip,
                remove,
            } => {
                let mac = mac.trim().to_ascii_lowercase();
                if crate::core::clone::parse_mac(&mac).is_none() {
                    return self.say(
                        &gettext_f(
                            "“{text}” is not a MAC address such as 52:54:00:12:34:56.",
                            &[("text", &mac)],
                        ),
                        true,
                    );
                }
                let Ok(address) = ip.trim().parse::<Ipv4Addr>() else {
                    return self.say(
                        &gettext_f("“{text}” is not an IPv4 address.", &[("text", ip.trim())]),
                        true,
                    );
                };
                let inside = self
                    .networks
                    .iter()
                    .find(|(n, _)| n.name == network)
                    .is_some_and(|(n, _)| {
                        n.addresses
                            .iter()
                            .filter_map(|a| Subnet4::parse(a))
                            .any(|s| s.contains(address))
                    });
                if !remove && !inside {
                    return self.say(
                        &gettext_f(
                            "{ip} is not in the subnet of network {name}.",
                            &[("ip", &ip), ("name", &network)],
                        ),
                        true,
                    );
                }
                self.run(&sender, async move {
                    conn.static_lease(&network, &mac, address, remove).await?;
                    let words = [("mac", mac.as_str()), ("ip", ip.as_str())];
                    Ok(if remove {
                        gettext_f("{mac} no longer always gets {ip}.", &words)
                    } else {
                        gettext_f("{mac} now always gets {ip}.", &words)
                    })
                })
            }
        }
    }

    fn update_cmd(
        &mut self,
        msg: NetworksCmd,
        sender: ComponentSender<Self>,
        root: &adw::PreferencesPage,
    ) {
        match msg {
            NetworksCmd::Loaded(Ok(networks)) => {
                self.networks = networks;
                self.show(root, &sender);
            }
            NetworksCmd::Loaded(Err(e)) if e.is_unsupported() => {
                self.add.set_sensitive(false);
                self.say(
                    &gettext(
                        "This connection has no virtual networks of its own: its guests use user-mode networking or a bridge of the host.",
                    ),
                    false,
                )
            }
            NetworksCmd::Loaded(Err(e)) => self.say(&e.to_string(), true),
            NetworksCmd::Done(result) => {
                match result {
                    Ok(text) => self.say(&text, false),
                    Err(e) => self.say(&e.to_string(), true),
                }
                self.load(&sender);
            }
        }
    }
}
