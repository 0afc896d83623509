//! Clones and snapshots against the test driver (tests/data/testdriver/
//! clones.xml), and `vireo clone --print-xml` against virt-clone's own
//! output for the same lines (tests/data/clone/virt-clone).

mod common;

use std::process::Command;

use vireo::core::clone::{DiskAction, args};
use vireo::core::libvirt::{CloneJob, Connection, DomainState, ErrorKind};
use vireo::core::snapshot::{AfterRevert, Blocker, Mode, SnapshotState, TakeSpec};
use vireo::core::xml::Document;

fn clones() -> (tokio::runtime::Runtime, Connection) {
    let rt = common::runtime();
    let conn = rt
        .block_on(Connection::open(&common::fixture_uri("clones.xml")))
        .expect("the clones fixture opens");
    (rt, conn)
}

fn uuid_of(rt: &tokio::runtime::Runtime, conn: &Connection, name: &str) -> String {
    rt.block_on(conn.lookup_domain(name)).unwrap().uuid
}

fn vireo(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vireo"))
        .args(args)
        .env("LANG", "C.UTF-8")
        .env_remove("LANGUAGE")
        .env_remove("LC_ALL")
        .output()
        .expect("run vireo");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The document as (path, attributes, text) lines, with the UUID and MAC
/// addresses (which must differ on every run) replaced by placeholders.
fn shape(xml: &str) -> (Vec<String>, Vec<String>) {
    let doc = Document::parse(xml).unwrap_or_else(|e| panic!("{e}:\n{xml}"));
    let mut lines = Vec::new();
    let mut macs = Vec::new();
    fn walk(
        e: &vireo::core::xml::Element,
        path: &str,
        lines: &mut Vec<String>,
        macs: &mut Vec<String>,
    ) {
        let here = format!("{path}/{}", e.name);
        let mut attrs: Vec<String> = e
            .attributes()
            .iter()
            .map(|a| {
                let v = a.value();
                if here.ends_with("/interface/mac") && a.name == "address" {
                    macs.push(v);
                    format!("{}=MAC", a.name)
                } else {
                    format!("{}={v}", a.name)
                }
            })
            .collect();
        attrs.sort();
        let mut text = e.text().map(|t| t.trim().to_owned()).unwrap_or_default();
        if here == "/domain/uuid" {
            assert_eq!(text.len(), 36, "a UUID: {text}");
            text = "UUID".into();
        }
        lines.push(format!("{here} [{}] {text}", attrs.join(" ")));
        for c in e.elements() {
            walk(c, &here, lines, macs);
        }
    }
    walk(&doc.root, "", &mut lines, &mut macs);
    (lines, macs)
}

#[test]
fn vireo_clone_prints_the_xml_virt_clone_prints_for_the_same_line() {
    let uri = common::fixture_uri("clones.xml");
    let expected = |name: &str| {
        std::fs::read_to_string(
            common::root()
                .join("tests/data/clone/virt-clone")
                .join(name),
        )
        .unwrap()
    };
    // --auto-clone: the name and every path chosen as virt-clone chooses them
    // (golden-clone exists, and so does the image golden-clone1.qcow2).
    let (code, out, err) = vireo(&[
        "clone",
        "--connect",
        &uri,
        "-o",
        "golden",
        "--auto-clone",
        "--print-xml",
    ]);
    assert_eq!(code, 0, "{err}");
    let (ours, our_macs) = shape(&out);
    let (theirs, _) = shape(&expected("auto-clone.xml"));
    assert_eq!(ours, theirs);
    assert!(out.contains("golden-clone1-1.qcow2") && out.contains("<name>golden-clone1</name>"));
    assert_eq!(our_macs.len(), 2);
    assert!(
        our_macs
            .iter()
            .all(|m| m.starts_with("52:54:00:") && m != "52:54:00:11:22:01"),
        "new MACs in QEMU's range: {our_macs:?}"
    );
    assert_ne!(our_macs[0], our_macs[1]);
    common::validate_xml(&out, "domain", "auto clone");

    // Named, with a path per copied disk and the first MAC given.
    let (code, out, err) = vireo(&[
        "clone",
        "--connect",
        &uri,
        "--original=golden",
        "-n",
        "build-7",
        "-f",
        "/var/lib/libvirt/images/build-7.qcow2",
        "--file",
        "/var/lib/libvirt/images/build-7-data.img",
        "--mac",
        "52:54:00:aa:bb:cc",
        "-m",
        "RANDOM",
        "--print-xml",
    ]);
    assert_eq!(code, 0, "{err}");
    let (ours, our_macs) = shape(&out);
    let (theirs, _) = shape(&expected("named.xml"));
    assert_eq!(ours, theirs);
    assert_eq!(our_macs[0], "52:54:00:aa:bb:cc");
    // virt-clone 4.1 writes "RANDOM" itself as the address; Vireo makes one.
    assert!(vireo::core::clone::parse_mac(&our_macs[1]).is_some());
}

#[test]
fn vireo_clone_refuses_bad_lines_with_one_sentence_each() {
    let uri = common::fixture_uri("clones.xml");
    let run = |extra: &[&str]| {
        let mut line = vec!["clone", "--connect", &uri];
        line.extend_from_slice(extra);
        let (code, out, err) = vireo(&line);
        assert_ne!(code, 0, "{extra:?} must fail:\n{out}");
        assert!(out.is_empty(), "nothing printed on failure: {out}");
        err
    };
    assert!(
        run(&["-o", "golden", "-n", "golden-clone", "--auto-clone"])
            .contains("There is already a virtual machine named “golden-clone”.")
    );
    assert!(
        run(&["-o", "runner", "--auto-clone"])
            .contains("The virtual machine is running: shut it down or pause it first")
    );
    assert!(run(&["-o", "golden", "-n", "x"]).contains("Disk vda needs a --file PATH"));
    assert!(run(&["-o", "golden", "-n", "a/b", "--auto-clone"]).contains("cannot contain “/”"));
    assert!(
        run(&[
            "-o",
            "golden",
            "--auto-clone",
            "-f",
            "/var/lib/libvirt/images/golden-clone.qcow2"
        ])
        .contains("Disk vda: “/var/lib/libvirt/images/golden-clone.qcow2” is already in use.")
    );
    assert!(
        run(&["-o", "golden", "--auto-clone", "--mac", "zz:54:00:aa:bb:cc"])
            .contains("“zz:54:00:aa:bb:cc” is not a MAC address")
    );
    assert!(
        run(&["-o", "big", "--auto-clone"])
            .replace('\u{a0}', " ")
            .contains("in /srv/small, which has 1.1 GB free")
    );
    assert!(run(&["--auto-clone"]).contains("missing option --original"));
    assert!(run(&["-o", "nosuch", "--auto-clone"]).contains("nosuch"));
}

#[test]
fn a_clone_copies_links_or_shares_each_disk_and_a_failure_leaves_nothing() {
    let (rt, conn) = clones();
    let golden = uuid_of(&rt, &conn, "golden");
    let before = rt.block_on(conn.clone_source(&golden)).unwrap();
    let mut plan = before.plan().unwrap();
    assert_eq!(plan.name, "golden-clone1");
    let actions: Vec<DiskAction> = plan.disks.iter().map(|d| d.action).collect();
    assert_eq!(
        actions,
        [DiskAction::Copy, DiskAction::Copy, DiskAction::Share],
        "read-only media are shared"
    );
    // The dialog's default plan is what --auto-clone makes.
    let mut cli = before.plan().unwrap();
    args::parse(&["-o".into(), "golden".into(), "--auto-clone".into()])
        .unwrap()
        .apply(&mut cli, &|p| before.path_taken(p))
        .unwrap();
    assert_eq!(cli, plan);

    plan.set_name("fast", &|p| before.path_taken(p));
    plan.set_action(1, DiskAction::Linked, &|p| before.path_taken(p));
    assert_eq!(
        plan.disks[0].new_path.as_deref(),
        Some("/var/lib/libvirt/images/fast.qcow2"),
        "an image named after the VM follows the new name"
    );
    assert_eq!(
        plan.disks[1].new_path.as_deref(),
        Some("/var/lib/libvirt/images/golden-data-clone.qcow2"),
        "a linked clone's overlay is qcow2"
    );
    let job = CloneJob::new(plan);
    let made = rt.block_on(conn.clone_vm(&golden, job)).unwrap();
    assert_eq!(
        (made.name.as_str(), made.state),
        ("fast", DomainState::ShutOff)
    );
    let xml = rt.block_on(conn.domain_xml(&made.uuid, true)).unwrap();
    assert!(xml.contains("/var/lib/libvirt/images/fast.qcow2"));
    assert!(xml.contains("/var/lib/libvirt/images/golden-data-clone.qcow2"));
    assert!(
        xml.contains("/var/lib/libvirt/isos/tools.iso"),
        "the ISO is shared"
    );
    assert!(
        !xml.contains("52:54:00:11:22:0"),
        "no MAC of the original: {xml}"
    );
    assert!(!xml.contains("5905"), "the display port is automatic");
    let after = rt.block_on(conn.clone_source(&golden)).unwrap();
    for path in [
        "/var/lib/libvirt/images/fast.qcow2",
        "/var/lib/libvirt/images/golden-data-clone.qcow2",
    ] {
        assert!(after.path_taken(path), "{path} was made");
    }
    // The original is as it was.
    assert_eq!(
        rt.block_on(conn.domain_xml(&golden, true)).unwrap(),
        before.xml
    );

    // A second image that is gone: the first copy is taken back, no VM,
    // no pool left for the missing image's folder.
    let broken = uuid_of(&rt, &conn, "broken");
    let source = rt.block_on(conn.clone_source(&broken)).unwrap();
    let pools_before = rt.block_on(conn.host_overview()).unwrap().pools.len();
    let job = CloneJob::new(source.plan().unwrap());
    let err = rt.block_on(conn.clone_vm(&broken, job)).unwrap_err();
    assert!(
        err.message
            .contains("“/srv/gone/broken-data.qcow2” cannot be found"),
        "{err}"
    );
    assert!(rt.block_on(conn.lookup_domain("broken-clone")).is_err());
    let after = rt.block_on(conn.clone_source(&broken)).unwrap();
    assert!(!after.path_taken("/var/lib/libvirt/images/runner-clone.qcow2"));
    assert_eq!(after.paths.len(), source.paths.len());
    assert_eq!(
        rt.block_on(conn.host_overview()).unwrap().pools.len(),
        pools_before
    );

    // A UEFI guest's clone gets a copy of its variables of its own.
    let efi = uuid_of(&rt, &conn, "efi-runner");
    rt.block_on(conn.force_off(&efi)).unwrap();
    let source = rt.block_on(conn.clone_source(&efi)).unwrap();
    let plan = source.plan().unwrap();
    let new_vars = "/var/lib/libvirt/qemu/nvram/efi-runner-clone_VARS.fd";
    assert_eq!(plan.nvram.as_ref().map(|(_, n)| n.as_str()), Some(new_vars));
    let made = rt
        .block_on(conn.clone_vm(&efi, CloneJob::new(plan)))
        .unwrap();
    let xml = rt.block_on(conn.domain_xml(&made.uuid, true)).unwrap();
    assert!(xml.contains(&format!("<nvram>{new_vars}</nvram>")), "{xml}");
    let after = rt.block_on(conn.clone_source(&efi)).unwrap();
    assert!(after.path_taken(new_vars), "the variables were copied");
    assert!(after.path_taken("/var/lib/libvirt/qemu/nvram/efi-runner_VARS.fd"));

    // Cancel before the work starts: nothing is made.
    let job = CloneJob {
        plan: before.plan().unwrap(),
        progress: None,
        cancel: std::sync::Arc::new(true.into()),
    };
    let err = rt.block_on(conn.clone_vm(&golden, job)).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Cancelled);
    assert!(rt.block_on(conn.lookup_domain("golden-clone1")).is_err());
}

#[test]
fn snapshots_form_a_tree_and_revert_delete_and_describe_work() {
    let (rt, conn) = clones();
    let runner = uuid_of(&rt, &conn, "runner");
    let view = rt.block_on(conn.snapshots(&runner)).unwrap();
    assert!(view.snapshots.is_empty());
    assert_eq!(view.offer.modes, [Mode::Internal, Mode::ExternalDiskOnly]);
    assert!(
        view.offer.memory,
        "a running guest's snapshot has its memory"
    );
    let take = |name: &str, description: &str| {
        let spec = TakeSpec {
            name: name.into(),
            description: description.into(),
            mode: Mode::Internal,
        };
        rt.block_on(conn.take_snapshot(&runner, spec, None))
    };
    let a = take("base", "Fresh install").unwrap();
    assert_eq!(a.state, SnapshotState::Running);
    assert_eq!(a.parent, None);
    let b = take("updated", "").unwrap();
    assert_eq!(b.parent.as_deref(), Some("base"));
    // Back to base, then a sibling of "updated".
    let r = rt
        .block_on(conn.revert_snapshot(&runner, "base", AfterRevert::AsTaken, false))
        .unwrap();
    assert!(r.running);
    let c = take("experiment", "").unwrap();
    assert_eq!(c.parent.as_deref(), Some("base"));
    let view = rt.block_on(conn.snapshots(&runner)).unwrap();
    let rows = vireo::core::snapshot::tree(&view.snapshots);
    let lines: Vec<(usize, &str, bool)> = rows
        .iter()
        .map(|r| {
            let s = &view.snapshots[r.index];
            (r.depth, s.name.as_str(), s.current)
        })
        .collect();
    assert_eq!(lines[0], (0, "base", false));
    assert_eq!(lines.len(), 3);
    assert!(lines[1..].contains(&(1, "updated", false)));
    assert!(lines[1..].contains(&(1, "experiment", true)));

    // Bad names: one sentence each, nothing made.
    for (name, says) in [
        ("a/b", "cannot contain “/”"),
        ("base", "already a snapshot named “base”"),
        ("  ", "needs a name"),
    ] {
        let err = take(name, "").unwrap_err();
        assert!(err.message.contains(says), "{name}: {err}");
    }
    assert_eq!(
        rt.block_on(conn.snapshots(&runner))
            .unwrap()
            .snapshots
            .len(),
        3
    );

    // A new description, the snapshot still current.
    rt.block_on(conn.describe_snapshot(&runner, "experiment", "Trying a kernel"))
        .unwrap();
    let view = rt.block_on(conn.snapshots(&runner)).unwrap();
    let exp = view
        .snapshots
        .iter()
        .find(|s| s.name == "experiment")
        .unwrap();
    assert_eq!(
        (exp.description.as_str(), exp.current),
        ("Trying a kernel", true)
    );

    // Deleting the current snapshot's parent: its children hang from the root.
    let plan = vireo::core::snapshot::deletion(&view.snapshots, "base", false).unwrap();
    assert_eq!(plan.reparented.len(), 2);
    assert!(!plan.current_goes);
    rt.block_on(conn.delete_snapshot(&runner, "base", false))
        .unwrap();
    let view = rt.block_on(conn.snapshots(&runner)).unwrap();
    assert_eq!(view.snapshots.len(), 2);
    assert!(view.snapshots.iter().all(|s| s.parent.is_none()));
    // With its children: everything below goes.
    take("child", "").unwrap();
    rt.block_on(conn.delete_snapshot(&runner, "experiment", true))
        .unwrap();
    let names: Vec<String> = rt
        .block_on(conn.snapshots(&runner))
        .unwrap()
        .snapshots
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["updated"]);
    let err = rt
        .block_on(conn.delete_snapshot(&runner, "nosuch", false))
        .unwrap_err();
    assert!(err.message.contains("no snapshot named “nosuch”"), "{err}");
}

#[test]
fn what_libvirt_9_refuses_is_said_before_it_is_tried() {
    let (rt, conn) = clones();
    let efi = uuid_of(&rt, &conn, "efi-runner");
    let view = rt.block_on(conn.snapshots(&efi)).unwrap();
    assert_eq!(view.offer.blocker, Some(Blocker::RunningUefi));
    assert_eq!(view.offer.modes, [Mode::ExternalDiskOnly]);
    let spec = TakeSpec {
        name: "s".into(),
        description: String::new(),
        mode: Mode::Internal,
    };
    let err = rt
        .block_on(conn.take_snapshot(&efi, spec.clone(), None))
        .unwrap_err();
    assert!(
        err.message
            .contains("running UEFI guest: shut it down first"),
        "{err}"
    );

    let raw = uuid_of(&rt, &conn, "raw-runner");
    let view = rt.block_on(conn.snapshots(&raw)).unwrap();
    assert_eq!(
        view.offer.blocker,
        Some(Blocker::NotQcow2 {
            target: "vda".into(),
            format: "raw".into()
        })
    );
    let err = rt
        .block_on(conn.take_snapshot(&raw, spec, None))
        .unwrap_err();
    assert!(err.message.contains("Disk vda is a raw image"), "{err}");
    assert!(
        rt.block_on(conn.snapshots(&raw))
            .unwrap()
            .snapshots
            .is_empty()
    );

    // A snapshot without the domain's configuration (an old or redefined
    // one): libvirt calls going back to it risky, and Vireo says so apart
    // from other failures, so that the UI can offer to force it.
    let old = uuid_of(&rt, &conn, "golden-clone");
    let view = rt.block_on(conn.snapshots(&old)).unwrap();
    assert_eq!(view.snapshots[0].name, "legacy");
    assert_eq!(view.snapshots[0].created, 1700000000);
    let err = rt
        .block_on(conn.revert_snapshot(&old, "legacy", AfterRevert::AsTaken, false))
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::RevertRisky, "{err}");
    assert!(err.message.contains("lacks domain"), "{err}");

    // A shut-off guest: internal snapshots without memory.
    let golden = uuid_of(&rt, &conn, "golden");
    let view = rt.block_on(conn.snapshots(&golden)).unwrap();
    assert!(!view.offer.memory);
    assert!(view.offer.blocker.is_some(), "golden's data disk is raw");
}

#[test]
fn the_snapshot_xml_fixtures_are_valid_for_libvirt() {
    for name in ["internal-running", "external-disk-only", "listed"] {
        let path = common::root().join(format!("tests/data/snapshot/{name}.xml"));
        common::validate_xml(
            &std::fs::read_to_string(path).unwrap(),
            "domainsnapshot",
            name,
        );
    }
}
