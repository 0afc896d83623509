//! Volumes: on the test driver (list with their users, create with a
//! backing volume, delete) and on the private QEMU daemon (a file uploaded
//! and downloaded back byte for byte, resized, wiped; refusals said before
//! anything changes).

mod common;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use common::daemon::Daemon;
use vireo::core::libvirt::{Connection, Direction, ErrorKind, PoolAction};
use vireo::core::storage::{NewPool, NewVolume, PoolKind, VolumeFormat};

#[test]
fn volumes_are_listed_with_their_users_created_and_deleted_on_the_test_driver() {
    let rt = common::runtime();
    let conn = rt
        .block_on(Connection::open(&common::fixture_uri("clones.xml")))
        .unwrap();
    let vols = rt.block_on(conn.volumes("default")).unwrap();
    let golden = vols.iter().find(|v| v.name == "golden.qcow2").unwrap();
    assert_eq!(golden.users, ["golden"]);
    assert_eq!(
        (golden.format.as_str(), golden.capacity),
        ("qcow2", 20 << 30)
    );
    let runner = vols.iter().find(|v| v.name == "runner.qcow2").unwrap();
    assert_eq!(runner.users, ["broken", "runner"], "shared by two VMs");
    let iso = rt.block_on(conn.volumes("isos")).unwrap();
    assert_eq!(iso[0].users, ["golden"]);

    let path = rt
        .block_on(conn.create_volume(
            "default",
            NewVolume {
                name: "overlay.qcow2".into(),
                format: VolumeFormat::Qcow2,
                capacity: 20 << 30,
                backing: Some((golden.path.clone(), "qcow2".into())),
            },
        ))
        .unwrap();
    assert_eq!(path, "/var/lib/libvirt/images/overlay.qcow2");
    let vols = rt.block_on(conn.volumes("default")).unwrap();
    let made = vols.iter().find(|v| v.name == "overlay.qcow2").unwrap();
    assert!(made.users.is_empty());
    let again = rt.block_on(conn.create_volume(
        "default",
        NewVolume {
            name: "overlay.qcow2".into(),
            format: VolumeFormat::Raw,
            capacity: 1 << 20,
            backing: None,
        },
    ));
    assert!(again.is_err(), "a name taken in the pool");
    rt.block_on(conn.delete_volume(&path)).unwrap();
    let vols = rt.block_on(conn.volumes("default")).unwrap();
    assert!(!vols.iter().any(|v| v.name == "overlay.qcow2"));
    let err = rt.block_on(conn.volumes("nosuch")).unwrap_err();
    assert!(err.message.contains("nosuch"), "{err}");
}

#[test]
fn pools_are_created_started_stopped_and_deleted_on_the_test_driver() {
    let rt = common::runtime();
    let conn = rt
        .block_on(Connection::open(&common::fixture_uri("clones.xml")))
        .unwrap();
    let pool = |name: &str| {
        rt.block_on(conn.pools())
            .unwrap()
            .into_iter()
            .find(|p| p.name == name)
    };
    let default = pool("default").unwrap();
    assert_eq!((default.kind.as_str(), default.active), ("dir", true));
    assert_eq!(default.path.as_deref(), Some("/var/lib/libvirt/images"));

    let new = NewPool {
        name: "lab".into(),
        kind: PoolKind::Dir {
            path: "/srv/lab".into(),
        },
    };
    rt.block_on(conn.create_pool(new.clone())).unwrap();
    let lab = pool("lab").unwrap();
    assert!(lab.active && lab.autostart, "{lab:?}");
    let err = rt.block_on(conn.create_pool(new)).unwrap_err();
    assert_eq!(err.message, "There is already a pool named “lab”.");

    rt.block_on(conn.pool_action("lab", PoolAction::Autostart(false)))
        .unwrap();
    rt.block_on(conn.pool_action("lab", PoolAction::Stop))
        .unwrap();
    let lab = pool("lab").unwrap();
    assert!(!lab.active && !lab.autostart);
    rt.block_on(conn.pool_action("lab", PoolAction::Start))
        .unwrap();
    rt.block_on(conn.pool_action("lab", PoolAction::Refresh))
        .unwrap();
    rt.block_on(conn.create_volume(
        "lab",
        NewVolume {
            name: "scratch.raw".into(),
            format: VolumeFormat::Raw,
            capacity: 1 << 20,
            backing: None,
        },
    ))
    .unwrap();
    rt.block_on(conn.pool_action("lab", PoolAction::Delete { contents: true }))
        .unwrap();
    assert!(pool("lab").is_none());
    let err = rt
        .block_on(conn.create_pool(NewPool {
            name: "rel".into(),
            kind: PoolKind::Dir {
                path: "images".into(),
            },
        }))
        .unwrap_err();
    assert_eq!(err.message, "“images” is not an absolute path.");
    assert!(pool("rel").is_none(), "nothing defined");
}

#[test]
fn a_file_goes_into_a_volume_and_comes_back_byte_for_byte() {
    let daemon = Daemon::start();
    let dir = common::fresh_dir("storage");
    let data_home = daemon.vm_dir().parent().unwrap().join("data");
    let rt = common::runtime();
    rt.block_on(async {
        let conn = Connection::open(&daemon.uri).await.unwrap();
        conn.create_default_pool(Some(data_home.display().to_string()))
            .await
            .unwrap();
        let mib = 1u64 << 20;
        let path = conn
            .create_volume(
                "default",
                NewVolume {
                    name: "data.img".into(),
                    format: VolumeFormat::Raw,
                    capacity: 8 * mib,
                    backing: None,
                },
            )
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", daemon.logs()));

        // 5 MiB and a bit of varied bytes (not a multiple of the chunk).
        let upload: Vec<u8> = (0..5 * mib + 12345)
            .map(|i| (i * 7 + i / 4096) as u8)
            .collect();
        let source = dir.join("upload.bin");
        std::fs::write(&source, &upload).unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let sent = conn
            .transfer_volume(
                Direction::Upload,
                &path,
                source.clone(),
                Some(tx),
                Arc::default(),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", daemon.logs()));
        assert_eq!(sent, upload.len() as u64);
        let mut last = None;
        while let Ok(t) = rx.try_recv() {
            last = Some(t);
        }
        let last = last.expect("progress was reported");
        assert_eq!((last.done, last.total), (sent, sent));

        let back = dir.join("download.bin");
        let got = conn
            .transfer_volume(
                Direction::Download,
                &path,
                back.clone(),
                None,
                Arc::default(),
            )
            .await
            .unwrap();
        assert_eq!(got, 8 * mib, "the whole volume comes back");
        let bytes = std::fs::read(&back).unwrap();
        assert_eq!(&bytes[..upload.len()], &upload[..], "byte for byte");
        assert!(bytes[upload.len()..].iter().all(|b| *b == 0));

        // Too big a file: refused, the volume unchanged.
        let big = dir.join("big.bin");
        std::fs::write(&big, vec![1u8; 9 * mib as usize]).unwrap();
        let err = conn
            .transfer_volume(Direction::Upload, &path, big, None, Arc::default())
            .await
            .unwrap_err();
        assert!(err.message.contains("the volume takes"), "{err}");

        // Grown, then refused below what it holds, and a shrink asks first.
        conn.resize_volume(&path, 16 * mib, false).await.unwrap();
        let vols = conn.volumes("default").await.unwrap();
        let v = vols.iter().find(|v| v.path == path).unwrap();
        assert_eq!(v.capacity, 16 * mib, "seen resized");
        let err = conn
            .resize_volume(&path, 12 * mib, false)
            .await
            .unwrap_err();
        assert!(err.message.contains("confirm the shrink"), "{err}");
        conn.resize_volume(&path, 12 * mib, true).await.unwrap();
        let v = conn.volumes("default").await.unwrap();
        assert_eq!(
            v.iter().find(|v| v.path == path).unwrap().capacity,
            12 * mib
        );

        // Cancelled before it starts: no half file is left.
        let cancelled = dir.join("cancelled.bin");
        let err = conn
            .transfer_volume(
                Direction::Download,
                &path,
                cancelled.clone(),
                None,
                Arc::new(AtomicBool::new(true)),
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Cancelled);
        assert!(!cancelled.exists());

        // Wiped: zeros where the upload was.
        conn.wipe_volume(&path).await.unwrap();
        conn.transfer_volume(
            Direction::Download,
            &path,
            back.clone(),
            None,
            Arc::default(),
        )
        .await
        .unwrap();
        assert!(std::fs::read(&back).unwrap().iter().all(|b| *b == 0));

        conn.delete_volume(&path).await.unwrap();
        assert!(!std::path::Path::new(&path).exists());

        // A folder pool where there was no folder (nor its parent): libvirt's
        // build makes it; deleted with its contents, the folder goes too.
        let folder = daemon.vm_dir().join("pools/lab");
        let lab = NewPool {
            name: "lab".into(),
            kind: PoolKind::Dir {
                path: folder.display().to_string(),
            },
        };
        conn.create_pool(lab)
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", daemon.logs()));
        assert!(folder.is_dir(), "built, parents and all");
        conn.pool_action("lab", PoolAction::Delete { contents: true })
            .await
            .unwrap();
        assert!(!folder.exists(), "deleted with its folder");
        assert!(!conn.pools().await.unwrap().iter().any(|p| p.name == "lab"));

        // A device that is not there: one sentence, nothing defined.
        let missing = NewPool {
            name: "usb".into(),
            kind: PoolKind::Fs {
                device: "/dev/vireo-no-such-disk".into(),
                path: daemon.vm_dir().join("pools/usb").display().to_string(),
            },
        };
        let err = conn.create_pool(missing).await.unwrap_err();
        assert_eq!(
            err.message,
            "“/dev/vireo-no-such-disk” does not exist on this host."
        );
        assert!(!conn.pools().await.unwrap().iter().any(|p| p.name == "usb"));
    });
}

#[test]
fn pool_sources_are_found_on_the_host_and_on_a_server() {
    let rt = common::runtime();
    let conn = rt
        .block_on(Connection::open(&common::fixture_uri("clones.xml")))
        .unwrap();
    // The test driver's volume groups and NFS export.
    let groups = rt
        .block_on(conn.find_pool_sources("logical", None))
        .unwrap();
    let labels: Vec<String> = groups.iter().map(|s| s.label()).collect();
    assert_eq!(labels, ["testvg1 (/dev/sda20)", "testvg2 (/dev/sda21)"]);
    let exports = rt
        .block_on(conn.find_pool_sources("netfs", Some("nas.example.test")))
        .unwrap();
    assert_eq!(exports.len(), 1);
    assert_eq!(exports[0].label(), "nas.example.test:/testshare");
    assert_eq!(exports[0].dir.as_deref(), Some("/testshare"));
    // A type libvirt cannot search says so.
    let err = rt
        .block_on(conn.find_pool_sources("iscsi", Some("nas.example.test")))
        .unwrap_err();
    assert!(err.message.contains("source discovery"), "{err}");
}
