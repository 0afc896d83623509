//! Live migration between two fake hosts (two private daemons with their
//! own host UUIDs), with the tiny guest on a qcow2 disk: what stops a move
//! is named before it starts; a cancelled move leaves the guest running on
//! the source and no volume behind; a move with copy storage carries the
//! running guest, its uptime and its disk's contents to the other host, and
//! a peer-to-peer move brings it back; a host with the same UUID is refused;
//! shut off, it moves with its disk streamed volume to volume and boots.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::daemon::Daemon;
use common::guest::{self, Boot};
use common::shell::{guest_until, wait_shell};
use vireo::core::hardware::{DiskStorage, NewDisk, Scope};
use vireo::core::libvirt::{Connection, DomainState, ErrorKind};
use vireo::core::migrate::{MigratePlan, Mode, Problem, Progress};

const NAME: &str = "mover";

/// Run `command` in the guest's shell on `host` until its output passes `ok`.
fn shell(host: &Daemon, what: &str, command: &str, ok: impl Fn(&str) -> bool) -> String {
    let dir = host.vm_dir();
    guest_until(
        host,
        &dir.join(format!("{NAME}.serial.sock")),
        &dir.join(format!("{NAME}.serial.log")),
        what,
        command,
        ok,
    )
}

/// The guest's uptime in seconds, read in its shell on `host`.
fn uptime(host: &Daemon) -> f64 {
    let out = shell(
        host,
        "the uptime",
        "echo UP=$(cut -d' ' -f1 /proc/uptime)",
        |o| o.lines().any(|l| l.starts_with("UP=")),
    );
    out.lines()
        .find_map(|l| l.strip_prefix("UP="))
        .and_then(|v| v.trim().parse().ok())
        .expect("a number")
}

fn plan_to(pool: &str) -> MigratePlan {
    MigratePlan {
        copy_storage: true,
        pools: vec![("vda".into(), pool.into())],
        address: Some("127.0.0.1".into()),
        ..Default::default()
    }
}

/// Run `migrate` while collecting its progress; cancel after the first
/// reading with data when `cancel_early`.
async fn migrate(
    from: &Connection,
    to: &Connection,
    uuid: &str,
    plan: MigratePlan,
    path_map: Vec<(String, String)>,
    cancel_early: bool,
) -> (
    Result<vireo::core::libvirt::Migrated, vireo::core::libvirt::Error>,
    Vec<Progress>,
) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let cancel = Arc::new(AtomicBool::new(false));
    let job = from.migrate(uuid, to, plan, path_map, Some(tx), cancel.clone());
    tokio::pin!(job);
    let mut seen = Vec::new();
    loop {
        tokio::select! {
            result = &mut job => {
                while let Ok(p) = rx.try_recv() { seen.push(p); }
                return (result, seen);
            }
            Some(p) = rx.recv() => {
                if cancel_early && p.total > 0 {
                    cancel.store(true, Ordering::SeqCst);
                }
                seen.push(p);
            }
        }
    }
}

#[test]
fn a_running_guest_moves_between_hosts_with_its_disk_and_back() {
    let mut hosts = common::hosts::start(2);
    let b = hosts.pop().unwrap();
    let a = hosts.pop().unwrap();
    let files_a = guest::install(&a);
    guest::install(&b);
    let rt = common::runtime();
    rt.block_on(async {
        let ca = Connection::open(&a.uri).await.unwrap();
        let cb = Connection::open(&b.uri).await.unwrap();
        for (host, conn) in [(&a, &ca), (&b, &cb)] {
            let data_home = host.vm_dir().parent().unwrap().join("data");
            conn.create_default_pool(Some(data_home.display().to_string()))
                .await
                .unwrap();
        }
        let pool_a = ca.wizard_facts().await.unwrap();
        let pool_a = pool_a.pool("default").unwrap().path.clone().unwrap();
        let pool_b = cb.wizard_facts().await.unwrap();
        let pool_b = pool_b.pool("default").unwrap().path.clone().unwrap();
        let vm = ca
            .define_xml(&guest::domain_xml(
                NAME,
                Boot::Direct,
                &files_a,
                &a.vm_dir(),
            ))
            .await
            .unwrap();
        let disk = NewDisk {
            storage: DiskStorage::NewVolume {
                pool: "default".into(),
                pool_path: pool_a.clone(),
                name: format!("{NAME}.qcow2"),
                size_bytes: 32 << 20,
            },
            bus: "virtio".into(),
            cache: None,
        };
        ca.add_disk(&vm.uuid, disk, Scope::NEXT_BOOT).await.unwrap();
        ca.start(&vm.uuid).await.unwrap();
        wait_shell(&a, &a.vm_dir().join(format!("{NAME}.serial.log")));
        // Something on its disk to find on the other host.
        shell(
            &a,
            "the token on the disk",
            "echo MOVED-WITH-ME > /dev/vda; sync; head -c 13 /dev/vda; echo",
            |o| o.contains("MOVED-WITH-ME\n") || o.contains("MOVED-WITH-ME\r\n"),
        );

        // What stops a move is named first.
        let shared = MigratePlan::default();
        let problems = ca.migration_problems(&vm.uuid, &cb, shared).await.unwrap();
        assert_eq!(
            problems,
            vec![Problem::LocalDisk {
                target: "vda".into(),
                path: format!("{pool_a}/{NAME}.qcow2")
            }]
        );
        let problems = ca
            .migration_problems(&vm.uuid, &cb, plan_to("nowhere"))
            .await
            .unwrap();
        assert_eq!(
            problems,
            vec![Problem::PoolUnavailable {
                target: "vda".into(),
                pool: "nowhere".into()
            }]
        );
        assert_eq!(
            ca.migration_problems(&vm.uuid, &cb, plan_to("default"))
                .await
                .unwrap(),
            vec![]
        );

        // This host's own folder (kernel, serial socket, log) is the other's
        // on the destination.
        let a_dir = a.base.display().to_string();
        let b_dir = b.base.display().to_string();
        let to_b = vec![(a_dir.clone(), b_dir.clone())];
        let to_a = vec![(b_dir.clone(), a_dir.clone())];
        assert!(ca.migratable_xml(&vm.uuid).await.unwrap().contains(&a_dir));

        // Cancelled: slowed to 1 MiB/s, aborted at the first reading.
        let before = uptime(&a);
        let mut slow = plan_to("default");
        slow.bandwidth_mib = Some(1);
        let (result, seen) = migrate(&ca, &cb, &vm.uuid, slow, to_b.clone(), true).await;
        let err = result.expect_err("a cancelled migration fails");
        assert_eq!(err.kind, ErrorKind::Cancelled, "{err}\n{}", a.logs());
        assert!(seen.iter().any(|p| p.total > 0), "{seen:?}");
        let on_a = ca.lookup_domain(NAME).await.unwrap();
        assert_eq!(on_a.state, DomainState::Running);
        assert!(cb.lookup_domain(NAME).await.is_err(), "nothing left on B");
        assert!(
            !Path::new(&format!("{pool_b}/{NAME}.qcow2")).exists(),
            "the volume made for the copy was taken back"
        );
        assert!(uptime(&a) > before, "still running on A");

        // The real move, with copy storage, and its progress.
        let (result, seen) = migrate(&ca, &cb, &vm.uuid, plan_to("default"), to_b, false).await;
        let moved = result.unwrap_or_else(|e| panic!("{e}\n{}\n{}", a.logs(), b.logs()));
        assert_eq!(moved.summary.uuid, vm.uuid);
        assert_eq!(moved.summary.state, DomainState::Running);
        assert!(moved.summary.persistent, "defined on B");
        assert!(!seen.is_empty(), "progress was reported");
        assert!(ca.lookup_domain(NAME).await.is_err(), "undefined on A");
        // The definition kept on B names B's disk and folders, not A's.
        let kept = cb.domain_xml(&vm.uuid, true).await.unwrap();
        assert!(kept.contains(&format!("{pool_b}/{NAME}.qcow2")), "{kept}");
        assert!(!kept.contains(&a_dir), "{kept}");
        let after = uptime(&b);
        assert!(after > before, "uptime continued: {before} then {after}");
        shell(
            &b,
            "the token on B's copy of the disk",
            "head -c 13 /dev/vda; echo",
            |o| o.contains("MOVED-WITH-ME"),
        );
        let image_b = std::fs::read(format!("{pool_b}/{NAME}.qcow2")).unwrap();
        assert!(
            image_b.windows(13).any(|w| w == b"MOVED-WITH-ME"),
            "the written bytes are in B's image"
        );

        // Back to A peer-to-peer (A's daemon dials B itself), a temporary
        // move this time: the definition stays on B.
        let mut back = plan_to("default");
        back.mode = Mode::PeerToPeer;
        back.temporary = true;
        // A still holds the old image: the copy needs its name free.
        ca.delete_volume(&format!("{pool_a}/{NAME}.qcow2"))
            .await
            .unwrap();
        let (result, _) = migrate(&cb, &ca, &vm.uuid, back, to_a.clone(), false).await;
        let home = result.unwrap_or_else(|e| panic!("{e}\n{}\n{}", a.logs(), b.logs()));
        assert_eq!(home.summary.state, DomainState::Running);
        assert!(!home.summary.persistent, "a temporary move is transient");
        let on_b = cb.lookup_domain(NAME).await.unwrap();
        assert_eq!(on_b.state, DomainState::ShutOff, "still defined on B");
        assert!(uptime(&a) > after);

        // A third host with A's UUID is the same host to libvirt.
        let twin = Daemon::start_host(&common::hosts::host_uuid(0), common::hosts::ports(2));
        let cc = Connection::open(&twin.uri).await.unwrap();
        let problems = ca
            .migration_problems(&vm.uuid, &cc, MigratePlan::default())
            .await
            .unwrap();
        assert!(problems.contains(&Problem::SameHost), "{problems:?}");
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let err = ca
            .migrate(
                &vm.uuid,
                &cc,
                MigratePlan::default(),
                Vec::new(),
                Some(tx),
                Arc::default(),
            )
            .await
            .expect_err("refused");
        assert!(err.message.contains("same host"), "{err}");
        assert_eq!(
            ca.lookup_domain(NAME).await.unwrap().state,
            DomainState::Running
        );

        // Offline: the definition the temporary move left on B goes to A,
        // its disk streamed volume to volume first.
        ca.force_off(&vm.uuid).await.unwrap();
        assert!(
            ca.lookup_domain(NAME).await.is_err(),
            "the transient guest is gone"
        );
        ca.delete_volume(&format!("{pool_a}/{NAME}.qcow2"))
            .await
            .unwrap();
        let offline = plan_to("default");
        assert_eq!(
            cb.migration_problems(&vm.uuid, &ca, offline.clone())
                .await
                .unwrap(),
            vec![]
        );
        let (result, seen) = migrate(&cb, &ca, &vm.uuid, offline, to_a, false).await;
        let parked = result.unwrap_or_else(|e| panic!("{e}\n{}\n{}", a.logs(), b.logs()));
        assert_eq!(parked.summary.state, DomainState::ShutOff);
        assert!(parked.summary.persistent);
        assert!(cb.lookup_domain(NAME).await.is_err(), "undefined on B");
        assert!(
            seen.iter()
                .any(|p| p.total > 0 && p.disk_remaining.is_some()),
            "{seen:?}"
        );
        let image_a = std::fs::read(format!("{pool_a}/{NAME}.qcow2")).unwrap();
        assert!(image_a.windows(13).any(|w| w == b"MOVED-WITH-ME"));
        // It boots on A from the copied disk (a fresh serial log to wait on).
        let _ = std::fs::remove_file(a.vm_dir().join(format!("{NAME}.serial.log")));
        ca.start(&vm.uuid).await.unwrap();
        wait_shell(&a, &a.vm_dir().join(format!("{NAME}.serial.log")));
        shell(
            &a,
            "the token after the offline move",
            "head -c 13 /dev/vda; echo",
            |o| o.contains("MOVED-WITH-ME"),
        );
    });
}
