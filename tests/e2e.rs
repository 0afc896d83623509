//! End-to-end tests on a real hypervisor: a private libvirt daemon, QEMU
//! under TCG, and the tiny guest. They drive libvirt through Vireo's own
//! core service.

mod common;

use std::time::Duration;

use common::daemon::Daemon;
use common::guest::{self, Boot};
use vireo::core::libvirt::{Connection, DomainState};

/// Define and start the tiny guest, wait for its shell on the serial port,
/// and return the serial log. Fails loudly with every log on a timeout.
fn boot_to_shell(daemon: &Daemon, name: &str, boot: Boot) -> String {
    let files = guest::install(daemon);
    let vm_dir = daemon.vm_dir();
    let xml = guest::domain_xml(name, boot, &files, &vm_dir);
    let log_path = vm_dir.join(format!("{name}.serial.log"));

    let rt = common::runtime();
    rt.block_on(async {
        let conn = Connection::open(&daemon.uri)
            .await
            .unwrap_or_else(|e| panic!("open {}: {e}\n{}", daemon.uri, daemon.logs()));
        let domain = conn
            .define_xml(&xml)
            .await
            .unwrap_or_else(|e| panic!("define: {e}\n{}", daemon.logs()));
        assert_eq!(domain.state, DomainState::ShutOff);
        conn.start(&domain.uuid)
            .await
            .unwrap_or_else(|e| panic!("start: {e}\n{}", daemon.logs()));

        let listed = conn.list_domains().await.unwrap();
        let me = listed
            .iter()
            .find(|d| d.uuid == domain.uuid)
            .expect("the guest is listed");
        assert_eq!(me.state, DomainState::Running);
        assert!(me.id.is_some(), "a running guest has an ID");

        let serial = common::wait_for(
            "the guest's shell prompt on ttyS0",
            Duration::from_secs(120),
            || {
                let log = std::fs::read_to_string(&log_path).ok()?;
                log.contains("TINY-SHELL-READY on /dev/ttyS0")
                    .then_some(log)
            },
        )
        .unwrap_or_else(|e| panic!("{e}\n{}", daemon.logs()));

        // Usage of the running guest, from two bulk samples. An idle guest
        // can use less than the 10 ms granularity of CPU time between two
        // samples: sample again until it has used some (it always does).
        let pick = |all: &[vireo::core::libvirt::DomainStats]| {
            all.iter().find(|s| s.uuid == domain.uuid).cloned().unwrap()
        };
        let a = pick(&conn.stats().await.unwrap());
        let mut waited = Duration::ZERO;
        let b = loop {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            waited += Duration::from_millis(1500);
            let b = pick(&conn.stats().await.unwrap());
            if b.cpu_time_ns > a.cpu_time_ns || waited >= Duration::from_secs(30) {
                break b;
            }
        };
        assert!(
            b.cpu_time_ns > a.cpu_time_ns,
            "the guest used CPU: {a:?} {b:?}"
        );
        let usage = vireo::core::libvirt::usage(&a, &b, waited);
        assert!(
            usage.cpu_percent.is_some_and(|c| c > 0.0 && c <= 100.0),
            "{usage:?}"
        );
        assert!(
            usage
                .memory_kib
                .is_some_and(|m| m > 0 && m <= 192 * 1024 * 2),
            "{usage:?} {b:?}"
        );

        conn.force_off(&domain.uuid).await.unwrap();
        let after = conn.lookup_domain(name).await.unwrap();
        assert_eq!(after.state, DomainState::ShutOff);
        conn.undefine(&domain.uuid).await.unwrap();
        serial
    })
}

#[test]
fn tiny_guest_boots_to_a_shell_prompt() {
    let daemon = Daemon::start();
    let serial = boot_to_shell(&daemon, "tiny-direct", Boot::Direct);
    assert!(
        serial.contains("Linux version"),
        "the kernel logged to the serial port"
    );
}

#[test]
fn tiny_guest_boots_from_its_iso() {
    let daemon = Daemon::start();
    let serial = boot_to_shell(&daemon, "tiny-iso", Boot::Cdrom);
    assert!(serial.contains("TINY-SHELL-READY"));
}

#[test]
fn a_daemon_that_dies_is_reported_as_a_closed_connection() {
    use vireo::core::libvirt::{CloseReason, Event};
    let mut daemon = Daemon::start();
    let rt = common::runtime();
    let conn = rt.block_on(Connection::open(&daemon.uri)).unwrap();
    let mut events = conn.subscribe();
    assert!(rt.block_on(conn.list_domains()).unwrap().is_empty());
    daemon.kill();
    let event = rt
        .block_on(async { tokio::time::timeout(Duration::from_secs(30), events.recv()).await })
        .expect("the close is reported without any call being made")
        .unwrap();
    assert!(
        matches!(event, Event::Closed(CloseReason::Eof | CloseReason::Error)),
        "{event:?}"
    );
    let err = rt.block_on(conn.list_domains()).unwrap_err();
    assert!(
        !err.message.is_empty(),
        "calls on a dead connection fail with a message"
    );
}

/// The wizard's all-or-nothing creation on a real hypervisor: the default
/// pool is created, then a VM whose start fails after its volume was made
/// (a bridge the host does not have) leaves neither volume nor domain.
#[test]
fn a_failed_creation_on_a_real_hypervisor_leaves_nothing_behind() {
    use vireo::core::libvirt::CreateJob;
    use vireo::core::wizard::{GIB, InstallSource, NetworkChoice, OsProfile, Plan, StorageChoice};

    let daemon = Daemon::start();
    let files = guest::install(&daemon);
    let data_home = daemon.vm_dir().parent().unwrap().join("data");
    let rt = common::runtime();
    rt.block_on(async {
        let conn = Connection::open(&daemon.uri).await.unwrap();
        let facts = conn.wizard_facts().await.unwrap();
        assert!(facts.pools.is_empty(), "a fresh session daemon has no pool");
        conn.create_default_pool(Some(data_home.display().to_string()))
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", daemon.logs()));
        let facts = conn.wizard_facts().await.unwrap();
        let pool = facts.pool("default").expect("the default pool exists now");
        assert!(pool.active);
        assert_eq!(
            pool.path.as_deref(),
            Some(data_home.join("libvirt/images").to_str().unwrap())
        );

        let mut plan = Plan::new(
            "doomed",
            InstallSource::Iso(files.iso.display().to_string()),
            OsProfile::generic(),
            &facts,
        );
        plan.memory_mib = 128;
        plan.storage = StorageChoice::New {
            pool: "default".into(),
            size_bytes: GIB / 10,
        };
        plan.network = NetworkChoice::Bridge("vireo-nobr0".into());
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let err = conn
            .create(
                CreateJob {
                    plan,
                    host: facts,
                    start: true,
                },
                Some(tx),
            )
            .await
            .expect_err("no such bridge on this host");
        let mut steps = Vec::new();
        while let Ok(s) = rx.try_recv() {
            steps.push(s);
        }
        use vireo::core::libvirt::CreateStep::*;
        assert_eq!(
            steps,
            [CreatingVolume, Defining, Starting],
            "it failed late"
        );
        assert!(!err.message.is_empty());
        let after = conn.wizard_facts().await.unwrap();
        assert!(
            after.pool("default").unwrap().volumes.is_empty(),
            "the volume was deleted"
        );
        assert!(!data_home.join("libvirt/images/doomed.qcow2").exists());
        assert!(after.domain_names.is_empty(), "no domain stays defined");
    });
}

/// A network install on a real hypervisor: the tree's kernel and initrd
/// are fetched and booted once, while the persistent definition boots the
/// new disk.
#[test]
fn a_network_install_boots_the_trees_kernel_once_and_keeps_the_disk_boot() {
    use vireo::core::libvirt::CreateJob;
    use vireo::core::wizard::{GIB, InstallSource, OsProfile, Plan, StorageChoice};

    let daemon = Daemon::start();
    let files = guest::install(&daemon);
    let data_home = daemon.vm_dir().parent().unwrap().join("data");
    // An install tree in the isolinux layout, as a directory.
    let tree = daemon.vm_dir().join("tree");
    std::fs::create_dir_all(tree.join("isolinux")).unwrap();
    std::fs::copy(&files.kernel, tree.join("isolinux/vmlinuz")).unwrap();
    std::fs::copy(&files.initrd, tree.join("isolinux/initrd.img")).unwrap();
    let rt = common::runtime();
    rt.block_on(async {
        let conn = Connection::open(&daemon.uri).await.unwrap();
        conn.create_default_pool(Some(data_home.display().to_string()))
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", daemon.logs()));
        let facts = conn.wizard_facts().await.unwrap();
        let mut plan = Plan::new(
            "netinst",
            InstallSource::Location {
                url: tree.display().to_string(),
                kernel_args: "console=ttyS0 vireo.netinst=1".into(),
            },
            OsProfile::generic(),
            &facts,
        );
        (plan.memory_mib, plan.vcpus) = (192, 1);
        plan.storage = StorageChoice::New {
            pool: "default".into(),
            size_bytes: GIB / 10,
        };
        let created = conn
            .create(
                CreateJob {
                    plan,
                    host: facts,
                    start: true,
                },
                None,
            )
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", daemon.logs()));
        assert_eq!(created.domain.state, DomainState::Running);
        let live = conn.domain_xml(&created.domain.uuid, false).await.unwrap();
        assert!(live.contains("<kernel>"), "{live}");
        assert!(
            live.contains(&format!(
                "url={} console=ttyS0 vireo.netinst=1",
                tree.display()
            )),
            "{live}"
        );
        assert!(live.contains("<on_reboot>destroy</on_reboot>"));
        let persistent = conn.domain_xml(&created.domain.uuid, true).await.unwrap();
        assert!(!persistent.contains("<kernel>"), "{persistent}");
        assert!(persistent.contains("<boot dev='hd'/>"));
        conn.force_off(&created.domain.uuid).await.unwrap();
    });
}

#[test]
fn a_console_over_ssh_goes_through_a_tunnel_that_ends_with_it() {
    use std::io::Read;
    use vireo::core::libvirt::ConsoleTarget;
    let daemon = Daemon::start();
    let sshd = common::sshd::Sshd::start();
    let files = guest::install(&daemon);
    let vm_dir = daemon.vm_dir();
    let name = "tunnelled";
    let xml = guest::domain_xml(name, Boot::Direct, &files, &vm_dir);
    let uri = sshd.libvirt_uri(&daemon.socket());
    let rt = common::runtime();
    rt.block_on(async {
        // libvirt itself goes over SSH: the same account carries the console.
        let conn = Connection::open(&uri)
            .await
            .unwrap_or_else(|e| panic!("open {uri}: {e}\n{}\n{}", sshd.log(), daemon.logs()));
        let vm = conn.define_xml(&xml).await.unwrap();
        conn.start(&vm.uuid).await.unwrap();
        let target = conn
            .open_console(&vm.uuid, None)
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", sshd.log()))
            .target;
        let ConsoleTarget::Tunnel { fd, tunnel, .. } = target else {
            panic!("an SSH connection tunnels its console: {target:?}");
        };
        // QEMU's VNC server greets through the tunnel (its UNIX socket, on
        // the "remote" side of ssh).
        let mut stream = std::os::unix::net::UnixStream::from(fd);
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut greeting = [0u8; 12];
        stream
            .read_exact(&mut greeting)
            .unwrap_or_else(|e| panic!("no greeting through ssh: {e}\n{}", sshd.log()));
        assert_eq!(&greeting, b"RFB 003.008\n");
        // The tunnel ends with the console.
        let pid = tunnel.pid();
        assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
        drop(tunnel);
        let gone = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map_or(true, |s| s.split_whitespace().nth(2) == Some("Z"));
        assert!(gone, "ssh {pid} still runs");
        conn.force_off(&vm.uuid).await.unwrap();
        conn.undefine(&vm.uuid).await.unwrap();
    });
}

/// Run `script` as root in a mount namespace of its own, with an empty
/// tmpfs on /run: the system daemons it starts there have their own pid
/// files and sockets, whatever runs on the machine, and the script stops
/// them itself. Returns (success, stdout + stderr).
fn in_private_run(script: &str) -> (bool, String) {
    let out = std::process::Command::new("unshare")
        .args(["--mount", "--propagation", "private", "bash", "-c"])
        .arg(format!(
            "set -u; mount -t tmpfs vireo-run /run || exit 90\n{script}"
        ))
        .current_dir(common::root())
        .output()
        .expect("run unshare (util-linux)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_ne!(out.status.code(), Some(90), "no private /run: {text}");
    (out.status.success(), text)
}

/// Stop the system daemons named by the private /run's pid files: only the
/// processes this test started.
const STOP_STARTED: &str = r#"
for p in libvirtd virtlogd; do
  pid=$(cat /run/$p.pid 2>/dev/null) || continue
  kill "$pid"
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
done
"#;

/// `make run`'s daemon step beside another user's libvirtd: the session
/// daemon is also called `libvirtd`, and the system one must still start.
#[test]
fn make_daemon_starts_the_system_daemon_beside_a_session_libvirtd() {
    if !common::daemon::is_root() {
        eprintln!("skipped: starting the system daemon needs root");
        return;
    }
    let session = Daemon::start();
    let before = std::process::Command::new("pgrep")
        .args(["-x", "libvirtd"])
        .output()
        .unwrap();
    assert!(
        before.status.success(),
        "the session daemon runs as `libvirtd`"
    );
    let (ok, out) = in_private_run(&format!(
        "make -s daemon; rc=$?\n\
         echo \"answer: $(virsh -c qemu:///system uri 2>&1)\"\n\
         {STOP_STARTED}\n\
         exit $rc"
    ));
    assert!(ok, "make daemon failed:\n{out}");
    assert!(
        out.contains("answer: qemu:///system"),
        "qemu:///system does not answer after make daemon:\n{out}"
    );
    // The session daemon was left alone.
    let rt = common::runtime();
    rt.block_on(vireo::core::libvirt::Connection::open(&session.uri))
        .unwrap_or_else(|e| panic!("the session daemon went away: {e}\n{out}"));
}

/// A system daemon that cannot start says why in its own words.
#[test]
fn make_daemon_shows_libvirtds_own_error_when_it_cannot_start() {
    if !common::daemon::is_root() {
        eprintln!("skipped: starting the system daemon needs root");
        return;
    }
    let (ok, out) = in_private_run(&format!(
        "conf=$(mktemp -d)\n\
         cp -a /etc/libvirt/. \"$conf\"/\n\
         echo 'this is = not a setting' > \"$conf/libvirtd.conf\"\n\
         mount --bind \"$conf\" /etc/libvirt\n\
         bash .ci/libvirtd.sh; rc=$?\n\
         {STOP_STARTED}\n\
         rm -rf \"$conf\"\n\
         exit $rc"
    ));
    assert!(!ok, "a broken libvirtd.conf was accepted:\n{out}");
    assert!(
        out.contains("libvirtd, run in the foreground, says:")
            && out.contains("/etc/libvirt/libvirtd.conf:1: expecting an assignment"),
        "libvirtd's own error is not shown:\n{out}"
    );
}
