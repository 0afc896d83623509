//! The thread that owns one `virt::connect::Connect`.

use tokio::sync::{broadcast, mpsc, oneshot};
use virt::connect::Connect;
use virt::domain::Domain;

use super::{
    DeleteReport, DomainSummary, Error, ErrorKind, Event, HostInfo, PowerAction, Request, devices,
    events,
};

/// Open `uri`, report the outcome on `ready`, then serve requests in order
/// until every handle is gone; dropping `conn` closes the connection.
pub(super) fn run(
    uri: String,
    auth: Option<super::Authenticator>,
    mut requests: mpsc::UnboundedReceiver<Request>,
    ready: oneshot::Sender<Result<String, Error>>,
    events_tx: broadcast::Sender<Event>,
) {
    let opened = match auth {
        Some(auth) => super::auth::open(&uri, auth),
        None => Connect::open(Some(&uri)),
    };
    let conn = match opened {
        Ok(conn) => conn,
        Err(e) => {
            let _ = ready.send(Err(e.into()));
            return;
        }
    };
    // Keepalives need the event loop; drivers without them (test:///) refuse, harmlessly.
    let _ = conn.set_keep_alive(5, 3);
    let canonical = conn.uri().unwrap_or(uri);
    let registration = events::register(&conn, &events_tx);
    if ready.send(Ok(canonical)).is_ok() {
        while let Some(request) = requests.blocking_recv() {
            serve(&conn, request);
        }
    }
    registration.deregister(&conn);
}

fn serve(conn: &Connect, request: Request) {
    match request {
        Request::ListDomains { reply } => {
            let _ = reply.send(list_domains(conn));
        }
        Request::OpenConsole {
            uuid,
            display,
            reply,
        } => {
            let _ = reply.send(by_uuid(conn, &uuid).and_then(|d| open_console(conn, &d, display)));
        }
        Request::ChannelSocket { uuid, index, reply } => {
            let _ = reply.send(by_uuid(conn, &uuid).and_then(|d| channel_socket(conn, &d, index)));
        }
        Request::TextDevices { uuid, reply } => {
            let _ = reply.send(by_uuid(conn, &uuid).and_then(|d| {
                super::text::text_devices(&d.xml_desc(0)?)
                    .map_err(|e| Error::new(ErrorKind::Other, e))
            }));
        }
        Request::OpenText {
            uuid,
            alias,
            force,
            reply,
        } => {
            let _ =
                reply.send(by_uuid(conn, &uuid).and_then(|d| {
                    super::text::TextConsole::open(conn, &d, alias.as_deref(), force)
                }));
        }
        Request::LookupDomain { key, reply } => {
            let _ = reply.send(lookup(conn, &key).and_then(|d| DomainSummary::read(&d)));
        }
        Request::DefineXml { xml, reply } => {
            let result = conn
                .define_domain_xml_flags(&xml, virt::sys::VIR_DOMAIN_DEFINE_VALIDATE)
                .map_err(Error::from)
                .and_then(|d| DomainSummary::read(&d));
            let _ = reply.send(result);
        }
        Request::Power {
            uuid,
            action,
            reply,
        } => {
            let _ = reply.send(by_uuid(conn, &uuid).and_then(|d| power(&d, action)));
        }
        Request::Delete {
            uuid,
            storage,
            reply,
        } => {
            let _ = reply.send(by_uuid(conn, &uuid).and_then(|d| delete(conn, &d, &storage)));
        }
        Request::Undefine { uuid, reply } => {
            let _ = reply.send(by_uuid(conn, &uuid).and_then(|d| Ok(d.undefine()?)));
        }
        Request::DomainXml {
            uuid,
            inactive,
            reply,
        } => {
            let _ = reply
                .send(by_uuid(conn, &uuid).and_then(|d| super::edit::domain_xml(&d, inactive)));
        }
        Request::HostInfo { reply } => {
            let _ = reply.send(host_info(conn));
        }
        Request::Stats { reply } => {
            let _ = reply.send(super::stats::collect(conn));
        }
        Request::HostOverview { reply } => {
            let _ = reply.send(host_info(conn).and_then(|info| super::host::overview(conn, info)));
        }
        Request::WizardFacts { reply } => {
            let _ = reply.send(super::create::facts(conn));
        }
        Request::Create {
            job,
            progress,
            reply,
        } => {
            let _ = reply.send(super::create::create(conn, &job, progress.as_ref()));
        }
        Request::CreateDefaultPool { data_home, reply } => {
            let _ = reply.send(super::create::create_default_pool(
                conn,
                data_home.as_deref(),
            ));
        }
        Request::StartNetwork { name, reply } => {
            let _ = reply.send(super::create::start_network(conn, &name));
        }
        Request::AttachDevice {
            uuid,
            xml,
            scope,
            reply,
        } => {
            let _ = reply
                .send(by_uuid(conn, &uuid).and_then(|d| devices::attach(conn, &d, &xml, scope)));
        }
        Request::DetachDevice {
            uuid,
            xml,
            target,
            scope,
            wait,
            reply,
        } => {
            let _ = reply.send(
                by_uuid(conn, &uuid)
                    .and_then(|d| devices::detach(conn, &d, &xml, target.as_deref(), scope, wait)),
            );
        }
        Request::UpdateDevice {
            uuid,
            xml,
            scope,
            force,
            reply,
        } => {
            let _ = reply.send(
                by_uuid(conn, &uuid).and_then(|d| devices::update(conn, &d, &xml, scope, force)),
            );
        }
        Request::AddDisk {
            uuid,
            disk,
            scope,
            reply,
        } => {
            let _ = reply
                .send(by_uuid(conn, &uuid).and_then(|d| devices::add_disk(conn, &d, &disk, scope)));
        }
        Request::RemoveDisk {
            uuid,
            target,
            delete_image,
            scope,
            wait,
            reply,
        } => {
            let _ =
                reply.send(by_uuid(conn, &uuid).and_then(|d| {
                    devices::remove_disk(conn, &d, &target, delete_image, scope, wait)
                }));
        }
        Request::ChangeMedia {
            uuid,
            target,
            iso,
            scope,
            force,
            reply,
        } => {
            let _ = reply.send(by_uuid(conn, &uuid).and_then(|d| {
                devices::change_media(conn, &d, &target, iso.as_deref(), scope, force)
            }));
        }
        Request::Autostart { uuid, set, reply } => {
            let _ = reply.send(by_uuid(conn, &uuid).and_then(|d| {
                if let Some(on) = set {
                    d.set_autostart(on)?;
                }
                Ok(d.autostart()?)
            }));
        }
        Request::ListUsbDevices { reply } => {
            let result = conn
                .list_all_node_devices(virt::sys::VIR_CONNECT_LIST_NODE_DEVICES_CAP_USB_DEV)
                .map_err(Error::from)
                .map(|devices| {
                    devices
                        .iter()
                        .filter_map(|d| d.xml_desc(0).ok())
                        .filter_map(|x| super::UsbDevice::parse(&x))
                        // Root hubs are not for guests.
                        .filter(|d| d.vendor_id != "0x1d6b")
                        .collect()
                });
            let _ = reply.send(result);
        }
        Request::SetVcpus { uuid, count, reply } => {
            let _ = reply.send(by_uuid(conn, &uuid).and_then(|d| {
                apply(&d, |flags| {
                    let f = if flags == virt::sys::VIR_DOMAIN_AFFECT_LIVE {
                        virt::sys::VIR_DOMAIN_VCPU_LIVE
                    } else {
                        virt::sys::VIR_DOMAIN_VCPU_CONFIG
                    };
                    d.set_vcpus_flags(count, f)
                })
            }));
        }
        Request::SetMemory { uuid, kib, reply } => {
            let _ = reply.send(by_uuid(conn, &uuid).and_then(|d| {
                apply(&d, |flags| {
                    let f = if flags == virt::sys::VIR_DOMAIN_AFFECT_LIVE {
                        virt::sys::VIR_DOMAIN_MEM_LIVE
                    } else {
                        virt::sys::VIR_DOMAIN_MEM_CONFIG
                    };
                    d.set_memory_flags(kib, f)
                })
            }));
        }
        Request::Snapshot { uuid, request } => {
            super::snapshots::serve(conn, by_uuid(conn, &uuid), request);
        }
        Request::CloneSource { uuid, reply } => {
            let _ = reply.send(by_uuid(conn, &uuid).and_then(|d| super::clone::source(conn, &d)));
        }
        Request::Storage(request) => super::storage::serve(conn, request),
        Request::Network(request) => super::networks::serve(conn, request),
        Request::Guest { uuid, reply } => super::guest::worker(conn, reply, move |c| {
            super::guest::report(c, &by_uuid(c, &uuid)?)
        }),
        Request::Addresses { reply } => {
            super::guest::worker(conn, reply, super::guest::all_addresses)
        }
        Request::Clone { uuid, job, reply } => {
            super::clone::spawn(conn, by_uuid(conn, &uuid), job, reply);
        }
        Request::HostLoad { reply } => {
            let _ = reply.send(super::load::sample(conn));
        }
        Request::Peer { reply } => {
            let _ = reply.send(super::migrate::Peer::of(conn));
        }
        Request::MigrationProblems {
            uuid,
            peer,
            plan,
            reply,
        } => match by_uuid(conn, &uuid) {
            Ok(d) => super::guest::worker(conn, reply, move |c| {
                super::migrate::problems(c, &d, &peer, &plan)
            }),
            Err(e) => {
                let _ = reply.send(Err(e));
            }
        },
        Request::MigratableXml { uuid, reply } => {
            let _ = reply.send(by_uuid(conn, &uuid).and_then(|d| {
                let running = d.is_active()?;
                super::migrate::migratable_xml(&d, running)
            }));
        }
        Request::Migrate { uuid, job, reply } => {
            super::migrate::spawn(conn, by_uuid(conn, &uuid), job, reply);
        }
        Request::Edit { uuid, edit, reply } => {
            let _ =
                reply.send(by_uuid(conn, &uuid).and_then(|d| super::edit::edit(conn, &d, &edit)));
        }
    }
}

/// Apply a change to the definition, then to the running guest, each on
/// its own, so that the user learns where it took effect.
fn apply(
    d: &Domain,
    set: impl Fn(u32) -> Result<(), virt::error::Error>,
) -> Result<super::Applied, Error> {
    let text = |r: Result<(), virt::error::Error>| r.map_err(|e| e.message().to_owned());
    let next_boot = d
        .is_persistent()?
        .then(|| text(set(virt::sys::VIR_DOMAIN_AFFECT_CONFIG)));
    let now = d
        .is_active()?
        .then(|| text(set(virt::sys::VIR_DOMAIN_AFFECT_LIVE)));
    Ok(super::Applied { next_boot, now })
}

fn power(d: &Domain, action: PowerAction) -> Result<(), Error> {
    match action {
        PowerAction::Run => d.create()?,
        PowerAction::Pause => d.suspend()?,
        PowerAction::Resume => {
            // A PM-suspended guest wakes up; a paused one resumes.
            match super::DomainState::from_raw(d.info()?.state.to_raw()) {
                super::DomainState::PmSuspended => {
                    let rc = unsafe { virt::sys::virDomainPMWakeup(d.as_ptr(), 0) };
                    if rc < 0 {
                        return Err(virt::error::Error::last_error().into());
                    }
                }
                _ => d.resume()?,
            }
        }
        PowerAction::ShutDown => d.shutdown()?,
        PowerAction::Reboot => d.reboot(0)?,
        PowerAction::ForceReset => d.reset()?,
        PowerAction::ForceOff => d.destroy()?,
        PowerAction::Save => d.managed_save(0)?,
    }
    Ok(())
}

fn delete(conn: &Connect, d: &Domain, storage: &[String]) -> Result<DeleteReport, Error> {
    use virt::sys;
    if d.is_active()? {
        d.destroy()?;
    }
    if d.is_persistent()? {
        let all = sys::VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
            | sys::VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
            | sys::VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA
            | sys::VIR_DOMAIN_UNDEFINE_NVRAM;
        // Drivers without NVRAM or checkpoints refuse those flags: retry plainly.
        if d.undefine_flags(all).is_err() {
            d.undefine()?;
        }
    }
    let mut report = DeleteReport::default();
    for path in storage {
        let result = conn
            .lookup_storage_vol_by_path(path)
            .and_then(|v| v.delete(0));
        match result {
            Ok(()) => report.deleted.push(path.clone()),
            Err(e) => report.failed.push((path.clone(), e.message().to_owned())),
        }
    }
    Ok(report)
}

fn list_domains(conn: &Connect) -> Result<Vec<DomainSummary>, Error> {
    super::domain::list_all(conn)
}

fn by_uuid(conn: &Connect, uuid: &str) -> Result<Domain, Error> {
    Ok(conn.lookup_domain_by_uuid_string(uuid)?)
}

fn looks_like_uuid(key: &str) -> bool {
    let hex = key.chars().filter(|c| c.is_ascii_hexdigit()).count();
    hex == 32 && key.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

fn lookup(conn: &Connect, key: &str) -> Result<Domain, Error> {
    if looks_like_uuid(key)
        && let Ok(d) = conn.lookup_domain_by_uuid_string(key)
    {
        return Ok(d);
    }
    conn.lookup_domain_by_name(key).map_err(|e| {
        let e = Error::from(e);
        if e.kind == ErrorKind::NoSuchDomain {
            Error::new(ErrorKind::NoSuchDomain, format!("no domain named '{key}'"))
        } else {
            e
        }
    })
}

fn host_info(conn: &Connect) -> Result<HostInfo, Error> {
    let node = conn.node_info()?;
    let v = conn.lib_version()?;
    Ok(HostInfo {
        uri: conn.uri()?,
        hostname: conn.hostname()?,
        driver: conn.driver_type()?,
        libvirt_version: super::host::version(v),
        cpus: node.cpus,
        memory_kib: node.memory,
    })
}

/// The domain's graphics devices.
fn graphics(domain: &Domain) -> Result<Vec<super::GraphicsInfo>, Error> {
    super::graphics_of(&domain.xml_desc(0)?)
        .map_err(|e| Error::new(ErrorKind::Other, e.to_string()))
}

/// A new connected socket to graphics device `g`: libvirt's own on a local
/// read-write connection (its authentication instead of the display's
/// password), or through `ssh` for a `qemu+ssh` connection. `None` when
/// neither applies (the server is dialled directly).
fn graphics_socket(
    conn: &Connect,
    domain: &Domain,
    g: &super::GraphicsInfo,
) -> Result<Option<super::ChannelSocket>, Error> {
    use super::graphics::tcp_host;
    let local = conn.uri().is_ok_and(|u| super::host::is_local_uri(&u));
    if local
        && let Ok(fd) =
            domain.open_graphics_fd(g.index, virt::sys::VIR_DOMAIN_OPEN_GRAPHICS_SKIPAUTH)
    {
        // SAFETY: libvirt returns a new descriptor that we now own.
        let fd =
            unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd as i32) };
        return Ok(Some(super::ChannelSocket { fd, tunnel: None }));
    }
    // Over SSH the server is reached through the same SSH account.
    let Some(ssh) = conn.uri().ok().and_then(|u| super::tunnel::ssh_of(&u)) else {
        return Ok(None);
    };
    let listen = match (&g.socket, g.port) {
        (Some(path), _) => super::tunnel::Listen::Socket(path.clone()),
        (None, Some(port)) => super::tunnel::Listen::Tcp {
            host: tcp_host(g.address.as_deref(), Some("127.0.0.1")),
            port,
        },
        (None, None) if g.tls_port.is_some() => {
            return Err(Error::new(
                ErrorKind::Other,
                "The display accepts only TLS connections, which cannot go through ssh",
            ));
        }
        (None, None) => {
            return Err(Error::new(
                ErrorKind::Other,
                "The console has neither a socket nor a port".to_owned(),
            ));
        }
    };
    let (fd, tunnel) = super::tunnel::Tunnel::open(&ssh, &listen).map_err(|e| {
        Error::new(
            ErrorKind::Other,
            format!("Could not start ssh for the console: {e}"),
        )
    })?;
    Ok(Some(super::ChannelSocket {
        fd,
        tunnel: Some(tunnel),
    }))
}

fn open_console(
    conn: &Connect,
    domain: &Domain,
    wanted: Option<u32>,
) -> Result<super::Console, Error> {
    use super::ConsoleTarget;
    let console = |target, displays, shown| super::Console {
        target,
        displays,
        shown,
    };
    if !domain.is_active()? {
        return Ok(console(ConsoleTarget::NotRunning, Vec::new(), None));
    }
    let all = graphics(domain)?;
    let displays = super::graphics::displays(&all);
    let Some((g, protocol)) = super::graphics::pick(&all, wanted) else {
        return Ok(console(ConsoleTarget::NoGraphics, displays, None));
    };
    let target = console_target(conn, domain, g, protocol)?;
    Ok(console(target, displays, Some(g.index)))
}

/// How to reach graphics device `g`.
fn console_target(
    conn: &Connect,
    domain: &Domain,
    g: &super::GraphicsInfo,
    protocol: super::Protocol,
) -> Result<super::ConsoleTarget, Error> {
    use super::ConsoleTarget;
    use super::graphics::tcp_host;
    let password = g.password;
    match graphics_socket(conn, domain, g)? {
        Some(super::ChannelSocket { fd, tunnel: None }) => {
            return Ok(ConsoleTarget::Fd {
                protocol,
                index: g.index,
                fd,
                password: false,
            });
        }
        Some(super::ChannelSocket {
            fd,
            tunnel: Some(tunnel),
        }) => {
            return Ok(ConsoleTarget::Tunnel {
                protocol,
                index: g.index,
                fd,
                tunnel,
                password,
            });
        }
        None => {}
    }
    if let Some(path) = g.socket.clone() {
        return Ok(ConsoleTarget::Socket {
            protocol,
            path,
            password,
        });
    }
    let tls = match protocol {
        super::Protocol::Spice => {
            super::graphics::spice_tls(g.port, g.tls_port, &super::graphics::spice_cas())
                .map_err(|e| Error::new(ErrorKind::Other, e))?
        }
        super::Protocol::Vnc => None,
    };
    if g.port.is_none() && tls.is_none() {
        return Err(Error::new(
            ErrorKind::Other,
            "The console has neither a socket nor a port".to_owned(),
        ));
    }
    let uri_host = conn.uri().ok().and_then(|u| uri_hostname(&u));
    Ok(ConsoleTarget::Tcp {
        protocol,
        host: tcp_host(g.address.as_deref(), uri_host.as_deref()),
        port: g.port,
        tls,
        password,
    })
}

/// One more socket to graphics device `index` of a running domain.
fn channel_socket(
    conn: &Connect,
    domain: &Domain,
    index: u32,
) -> Result<super::ChannelSocket, Error> {
    let g = graphics(domain)?
        .into_iter()
        .find(|g| g.index == index)
        .ok_or_else(|| Error::new(ErrorKind::Other, "the display is gone"))?;
    graphics_socket(conn, domain, &g)?.ok_or_else(|| {
        Error::new(
            ErrorKind::Other,
            "this connection cannot hand out display sockets",
        )
    })
}

/// The host part of a libvirt URI (`qemu+ssh://user@host:22/system` → `host`).
fn uri_hostname(uri: &str) -> Option<String> {
    let rest = uri.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    let host = authority.rsplit('@').next()?;
    let host = host.split(':').next()?;
    (!host.is_empty()).then(|| host.to_owned())
}

#[cfg(test)]
mod tests {
    use super::looks_like_uuid;

    #[test]
    fn uuid_shapes_are_recognised() {
        assert!(looks_like_uuid("6695eb01-f6a4-8304-79aa-97f2502e193f"));
        assert!(looks_like_uuid("6695eb01f6a4830479aa97f2502e193f"));
        assert!(!looks_like_uuid("web-server"));
        assert!(!looks_like_uuid("6695eb01-f6a4-8304-79aa-97f2502e193"));
    }
}
