//! The main window's connections: opening them (with libvirt's credential
//! questions answered in a dialog), following their events and statistics,
//! reconnecting when a daemon goes away, and remembering them.

#![allow(unused_imports)]
use gettextrs::gettext;
use relm4::adw::{self, prelude::*};
use relm4::gtk::{self, gio, glib};
use relm4::{Component, ComponentController, ComponentSender};

use super::*;

impl App {
    pub(super) fn connect_all(&mut self, sender: &ComponentSender<Self>) {
        self.generation += 1;
        self.connections.clear();
        self.usage.clear();
        self.host_loads.clear();
        self.header_loads.clear();
        let generation = self.generation;
        let cli = self.options.connect.clone();
        let saved: Vec<String> = self
            .settings
            .strv("autoconnect")
            .iter()
            .map(|s| s.to_string())
            .collect();
        sender.spawn_oneshot_command(move || {
            let uris = uri::initial_uris(&cli, &saved, uri::system_daemon_reachable);
            AppCommandOutput::InitialUris { generation, uris }
        });
    }

    pub(super) fn open(&mut self, index: usize, sender: &ComponentSender<Self>) {
        self.connections[index].status = ConnStatus::Connecting;
        self.connections[index].kept.clear();
        self.try_open(index, false, sender);
    }

    /// Open a connection and list its VMs, leaving what is shown alone
    /// until the answer comes (automatic reconnects do not flicker).
    pub(super) fn try_open(&self, index: usize, nudge: bool, sender: &ComponentSender<Self>) {
        let generation = self.generation;
        let uri = self.connections[index].uri.clone();
        let auth = authenticator(sender.input_sender().clone());
        // The first open of a host may have started before the window.
        let early = super::early::take(&uri);
        sender.oneshot_command(async move {
            let opened = match early {
                Some(early) => early.await,
                None => None,
            };
            let result = match opened {
                Some(opened) => opened,
                None => {
                    async {
                        let conn = Connection::open_with(&uri, Some(auth)).await?;
                        let domains = conn.list_domains().await?;
                        Ok((conn, domains))
                    }
                    .await
                }
            };
            AppCommandOutput::Opened {
                generation,
                index,
                nudge,
                result,
            }
        });
    }

    /// Forward the connection's events into this component for as long as
    /// it lives (a shutdown-aware, long-lived command).
    pub(super) fn watch(
        generation: u64,
        index: usize,
        conn: &Connection,
        sender: &ComponentSender<Self>,
    ) {
        let mut events = conn.subscribe();
        sender.command(move |out, shutdown| {
            shutdown
                .register(async move {
                    use tokio::sync::broadcast::error::RecvError;
                    loop {
                        let event = match events.recv().await {
                            Ok(e) => e,
                            // Fell behind: any lifecycle event makes us re-list.
                            Err(RecvError::Lagged(_)) => continue,
                            Err(RecvError::Closed) => break,
                        };
                        if out
                            .send(AppCommandOutput::Libvirt {
                                generation,
                                index,
                                event,
                            })
                            .is_err()
                        {
                            break;
                        }
                    }
                })
                .drop_on_shutdown()
        });
    }

    /// Ask the running guests of a connection for their addresses now.
    pub(super) fn ask_addresses(
        &self,
        generation: u64,
        index: usize,
        conn: &Connection,
        sender: &ComponentSender<Self>,
    ) {
        let conn = conn.clone();
        sender.oneshot_command(async move {
            AppCommandOutput::Addresses {
                generation,
                index,
                addresses: conn.addresses().await.unwrap_or_default(),
            }
        });
    }

    /// Sample the connection's statistics every `stats-interval` seconds
    /// (one bulk call for its running domains) while they are wanted (see
    /// [`PollGuard`]), and its load for the header, until its status changes.
    pub(super) fn poll(
        &self,
        generation: u64,
        index: usize,
        conn: &Connection,
        guard: &PollGuard,
        sender: &ComponentSender<Self>,
    ) {
        let conn = conn.clone();
        let alive = guard.alive.clone();
        let wanted = guard.stats_wanted.clone();
        let wake = guard.wake.clone();
        let interval = self.stats_interval.clone();
        sender.command(move |out, shutdown| {
            shutdown
                .register(async move {
                    use std::sync::atomic::Ordering;
                    // Addresses change rarely and cost calls per guest:
                    // asked every ADDRESS_EVERY, not every sample.
                    let mut addresses_due = std::time::Instant::now();
                    let mut last_load = None;
                    let mut load_due_at = std::time::Instant::now();
                    while alive.load(Ordering::SeqCst) {
                        if wanted.load(Ordering::SeqCst) {
                            if std::time::Instant::now() >= addresses_due {
                                addresses_due = std::time::Instant::now() + ADDRESS_EVERY;
                                if let Ok(addresses) = conn.addresses().await {
                                    let _ = out.send(AppCommandOutput::Addresses {
                                        generation,
                                        index,
                                        addresses,
                                    });
                                }
                            }
                            if let Ok(stats) = conn.stats().await {
                                let at = std::time::Instant::now();
                                if out
                                    .send(AppCommandOutput::Stats {
                                        generation,
                                        index,
                                        stats,
                                        at,
                                    })
                                    .is_err()
                                {
                                    break;
                                }
                            }
                        }
                        // Unchanged counters (a driver without them) are not news.
                        let load_due = std::time::Instant::now() >= load_due_at;
                        if load_due {
                            load_due_at = std::time::Instant::now() + HOST_LOAD_EVERY;
                        }
                        if load_due
                            && let Ok(load) = conn.host_load().await
                            && last_load.replace(load) != Some(load)
                        {
                            let _ = out.send(AppCommandOutput::HostLoad {
                                generation,
                                index,
                                load,
                            });
                        }
                        let secs = interval.load(Ordering::Relaxed).max(1);
                        let pause = std::time::Duration::from_secs(secs);
                        tokio::select! {
                            _ = tokio::time::sleep(pause) => {}
                            _ = wake.notified() => {}
                        }
                    }
                })
                .drop_on_shutdown()
        });
    }

    pub(super) fn schedule_reconnect(
        generation: u64,
        index: usize,
        attempt: u32,
        sender: &ComponentSender<Self>,
    ) {
        let delay = crate::core::libvirt::reconnect_delay(attempt);
        sender.oneshot_command(async move {
            tokio::time::sleep(delay).await;
            AppCommandOutput::ReconnectDue { generation, index }
        });
    }
}

pub(super) fn authenticator(input: relm4::Sender<AppInput>) -> crate::core::libvirt::Authenticator {
    std::sync::Arc::new(move |uri: &str, prompts| {
        let (reply, answers) = std::sync::mpsc::channel();
        input
            .send(AppInput::Authenticate {
                uri: uri.to_owned(),
                prompts,
                reply,
            })
            .ok()?;
        answers.recv().ok().flatten()
    })
}

/// Read what the delete dialog shows from the VM's persistent XML.
pub(super) async fn delete_info(
    conn: &Connection,
    uuid: &str,
) -> Result<(String, bool, Vec<DeletableDisk>), crate::core::libvirt::Error> {
    let summary = conn.lookup_domain(uuid).await?;
    let xml = conn.domain_xml(uuid, true).await?;
    let disks = match DomainXml::parse(&xml) {
        Ok(vm) => vm
            .devices(DeviceKind::Disk)
            .iter()
            .filter(|d| matches!(d.device_type().as_deref(), Some("file" | "block") | None))
            .filter_map(|d| {
                let path = d.source_file().or_else(|| d.source_dev())?;
                let media = matches!(d.disk_device().as_deref(), Some("cdrom" | "floppy"));
                let shared = d.element().child("shareable").is_some();
                Some(DeletableDisk {
                    path,
                    checked: !(d.readonly() || media || shared),
                })
            })
            .collect(),
        // The VM can still be deleted; its storage is then left alone.
        Err(_) => Vec::new(),
    };
    Ok((summary.name, summary.state.is_active(), disks))
}

/// What a lost connection shows while Vireo reconnects, with libvirt's
/// latest reason when there is one.
pub(super) fn lost_message(reason: &str) -> String {
    let mut text = gettext("The connection to libvirt was lost. Vireo keeps trying to reconnect.");
    if !reason.is_empty() {
        text.push('\n');
        text.push_str(reason);
    }
    text
}

/// Forget a saved connection.
pub(super) fn forget_connection(settings: &gio::Settings, uri: &str) {
    for key in ["connections", "autoconnect"] {
        let kept: Vec<String> = settings
            .strv(key)
            .iter()
            .map(|s| s.to_string())
            .filter(|s| s != uri)
            .collect();
        let _ = settings.set_strv(key, kept.iter().map(String::as_str).collect::<Vec<_>>());
    }
    gio::Settings::sync();
}

/// Remember a connection; `autoconnect` opens it at every start.
pub(super) fn save_connection(settings: &gio::Settings, uri: &str, autoconnect: bool) {
    let mut saved: Vec<String> = settings
        .strv("connections")
        .iter()
        .map(|s| s.to_string())
        .collect();
    if !saved.iter().any(|s| s == uri) {
        saved.push(uri.to_owned());
    }
    let mut auto: Vec<String> = settings
        .strv("autoconnect")
        .iter()
        .map(|s| s.to_string())
        .collect();
    auto.retain(|s| s != uri);
    if autoconnect {
        auto.push(uri.to_owned());
    }
    fn as_refs(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }
    let _ = settings.set_strv("connections", as_refs(&saved));
    let _ = settings.set_strv("autoconnect", as_refs(&auto));
    gio::Settings::sync();
}

/// How often a host's load is read for its header: a new figure repaints
/// the window, which would be most of an idle host's cost at every sample.
const HOST_LOAD_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// How often the running guests' addresses are asked for.
const ADDRESS_EVERY: std::time::Duration = std::time::Duration::from_secs(10);
