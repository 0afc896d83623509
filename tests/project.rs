//! Checks on the project itself: layering, data files, translations, layout.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::root;

fn files_under(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn rel(p: &Path) -> String {
    p.strip_prefix(root())
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// What src/core must never use.
const GUI_CRATES: &[&str] = &[
    "gtk",
    "gtk4",
    "gdk",
    "gdk4",
    "adw",
    "libadwaita",
    "relm4",
    "glib",
    "gio",
    "gvnc",
];

fn forbidden_uses(source: &str) -> Vec<String> {
    uses_of(source, GUI_CRATES)
}

/// Lines of `source` (comments aside) that use one of `crates` as a path root.
fn uses_of(source: &str, crates: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (n, line) in source.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        for word in code.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')) {
            let head = word
                .trim_start_matches("::")
                .split("::")
                .next()
                .unwrap_or("");
            if word.contains("::") && crates.contains(&head) {
                found.push(format!("line {}: {}", n + 1, line.trim()));
            }
        }
        let t = code.trim_start();
        if let Some(rest) = t.strip_prefix("extern crate ") {
            let name = rest
                .trim_end_matches(';')
                .split_whitespace()
                .next()
                .unwrap_or("");
            if crates.contains(&name) {
                found.push(format!("line {}: {}", n + 1, line.trim()));
            }
        }
    }
    found
}

#[test]
fn core_uses_no_gtk_glib_adw_relm4_or_gvnc() {
    let mut offences = Vec::new();
    for file in files_under(&root().join("src/core"), "rs") {
        for o in forbidden_uses(&std::fs::read_to_string(&file).unwrap()) {
            offences.push(format!("{}: {o}", rel(&file)));
        }
    }
    assert!(
        offences.is_empty(),
        "src/core must stay GTK-free:\n{}",
        offences.join("\n")
    );
}

#[test]
fn the_layering_check_catches_what_it_must() {
    assert_eq!(forbidden_uses("use gtk::prelude::*;").len(), 1);
    assert_eq!(forbidden_uses("use relm4::{Component};").len(), 1);
    assert_eq!(
        forbidden_uses("let x = ::glib::MainContext::default();").len(),
        1
    );
    assert_eq!(forbidden_uses("extern crate gvnc;").len(), 1);
    assert_eq!(
        forbidden_uses("use virt::connect::Connect; // not gtk::Widget").len(),
        0
    );
    assert_eq!(forbidden_uses("let adwaita = 1; let glibc = 2;").len(), 0);
    assert_eq!(
        uses_of("use crate::core::libvirt::Connection;", &["virt"]).len(),
        0
    );
    assert_eq!(
        uses_of("let c = virt::connect::Connect::open(None);", &["virt"]).len(),
        1
    );
}

#[test]
fn console_knows_neither_libvirt_nor_relm4() {
    for file in files_under(&root().join("src/console"), "rs") {
        let text = std::fs::read_to_string(&file).unwrap();
        let uses = uses_of(&text, &["virt", "relm4"]);
        assert!(uses.is_empty(), "{}: {uses:?}", rel(&file));
        for layer in ["crate::core", "crate::ui"] {
            assert!(!text.contains(layer), "{} reaches into {layer}", rel(&file));
        }
    }
}

#[test]
fn ui_never_calls_libvirt_directly() {
    for file in files_under(&root().join("src/ui"), "rs") {
        let uses = uses_of(&std::fs::read_to_string(&file).unwrap(), &["virt"]);
        assert!(
            uses.is_empty(),
            "{} calls libvirt directly; go through core::libvirt: {uses:?}",
            rel(&file)
        );
    }
}

#[test]
fn top_level_is_exactly_what_the_owner_asked_for() {
    let allowed: BTreeSet<&str> = [
        "Cargo.toml",
        "src",
        "ui",
        "resources",
        "data",
        "po",
        "tests",
        "README.md",
        "Makefile",
        "build.rs",
        "Cargo.lock",
        "LICENSE",
        ".ci",
        ".gitignore",
        ".git",
        "target",
    ]
    .into();
    for entry in std::fs::read_dir(root()).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            allowed.contains(name.as_str()),
            "unexpected top-level entry {name}"
        );
    }
    for dir in ["src/core", "src/console", "src/ui"] {
        assert!(root().join(dir).is_dir(), "{dir} is missing");
    }
}

#[test]
fn desktop_file_is_valid() {
    let (ok, out) =
        run(Command::new("desktop-file-validate").arg(root().join("data/dev.vireo.Vireo.desktop")));
    assert!(ok && out.trim().is_empty(), "desktop-file-validate:\n{out}");
}

#[test]
fn metainfo_is_valid_and_shows_the_checked_in_screenshot() {
    let path = root().join("data/dev.vireo.Vireo.metainfo.xml");
    let (ok, out) = run(Command::new("appstreamcli")
        .args(["validate", "--no-net"])
        .arg(&path));
    assert!(ok, "appstreamcli validate:\n{out}");
    let text = std::fs::read_to_string(&path).unwrap();
    let image = text
        .split("<image>")
        .nth(1)
        .and_then(|s| s.split("</image>").next())
        .expect("the metainfo has a screenshot");
    let file = image.rsplit("/data/screenshots/").next().unwrap();
    assert!(image.contains("/data/screenshots/"), "{image}");
    assert!(
        root().join("data/screenshots").join(file).is_file(),
        "data/screenshots/{file} is missing"
    );
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("data/screenshots/{file}")),
        "README shows the screenshot"
    );
}

#[test]
fn gsettings_schema_compiles_strictly() {
    let (ok, out) = run(Command::new("glib-compile-schemas")
        .args(["--strict", "--dry-run"])
        .arg(root().join("data")));
    assert!(ok, "glib-compile-schemas:\n{out}");
}

#[test]
fn resources_exist_and_ui_files_load_as_xml() {
    let manifest =
        std::fs::read_to_string(root().join("resources/resources.gresource.xml")).unwrap();
    for file in manifest.split("<file").skip(1) {
        let name = file.split('>').nth(1).unwrap().split('<').next().unwrap();
        assert!(
            root().join("resources").join(name).is_file() || root().join("ui").join(name).is_file(),
            "{name} is listed in the gresource manifest but missing"
        );
    }
    for ui in files_under(&root().join("ui"), "ui") {
        let (ok, out) = run(Command::new("xmllint").arg("--noout").arg(&ui));
        assert!(ok, "{}: {out}", rel(&ui));
    }
}

fn potfiles() -> Vec<String> {
    std::fs::read_to_string(root().join("po/POTFILES.in"))
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// Ask xgettext itself, with the keywords `make pot` uses.
fn has_translatable_strings(path: &Path) -> bool {
    let mut cmd = Command::new("xgettext");
    cmd.args(["--from-code=UTF-8", "-o", "-"]);
    if path.extension().is_some_and(|e| e == "rs") {
        cmd.args([
            "-L",
            "C",
            "--keyword=gettext_f",
            "--keyword=ngettext_f:1,2",
            "--keyword=n_",
        ]);
    }
    let (ok, out) = run(cmd.arg(path));
    assert!(ok, "xgettext {}: {out}", path.display());
    out.matches("\nmsgid \"").count() > 1
}

#[test]
fn potfiles_lists_every_file_with_translatable_strings_sorted() {
    let listed = potfiles();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(listed, sorted, "po/POTFILES.in must be sorted");
    for f in &listed {
        assert!(
            root().join(f).is_file(),
            "POTFILES.in lists {f}, which does not exist"
        );
    }
    let mut candidates = files_under(&root().join("src"), "rs");
    candidates.extend(files_under(&root().join("ui"), "ui"));
    let missing: Vec<String> = candidates
        .iter()
        .filter(|p| has_translatable_strings(p))
        .map(|p| rel(p))
        .filter(|p| !listed.contains(p))
        .collect();
    assert!(
        missing.is_empty(),
        "missing from po/POTFILES.in: {missing:?}"
    );
    for data in [
        "data/dev.vireo.Vireo.desktop",
        "data/dev.vireo.Vireo.metainfo.xml",
        "data/dev.vireo.Vireo.gschema.xml",
    ] {
        assert!(
            listed.iter().any(|l| l == data),
            "{data} is not in POTFILES.in"
        );
    }
}

fn msgids(po_text: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut ctx = String::new();
    let mut current: Option<String> = None;
    for line in po_text.lines() {
        if line.starts_with("#~") {
            continue;
        }
        if let Some(rest) = line.strip_prefix("msgctxt ") {
            ctx = rest.trim_matches('"').to_owned();
        } else if let Some(rest) = line.strip_prefix("msgid ") {
            current = Some(rest.trim_matches('"').to_owned());
        } else if line.starts_with('"') {
            if let Some(c) = current.as_mut() {
                c.push_str(line.trim_matches('"'));
            }
        } else if let Some(id) = current.take() {
            if !id.is_empty() {
                ids.insert(format!("{ctx}\u{4}{id}"));
            }
            ctx.clear();
        }
    }
    ids
}

#[test]
fn pot_is_up_to_date_with_the_sources() {
    let tmp = std::env::temp_dir().join(format!("vireo-pot-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let files = potfiles();
    let (rs, other): (Vec<_>, Vec<_>) = files.iter().partition(|f| f.ends_with(".rs"));
    let common = ["--from-code=UTF-8", "--add-comments=Translators"];
    let (ok, out) = run(Command::new("xgettext")
        .current_dir(root())
        .args(common)
        .args([
            "-L",
            "C",
            "--keyword=gettext_f",
            "--keyword=ngettext_f:1,2",
            "--keyword=n_",
            "-o",
        ])
        .arg(tmp.join("rs.pot"))
        .args(&rs));
    assert!(ok, "{out}");
    let (ok, out) = run(Command::new("xgettext")
        .current_dir(root())
        .args(common)
        .arg("-o")
        .arg(tmp.join("other.pot"))
        .args(&other));
    assert!(ok, "{out}");
    let mut fresh = msgids(&std::fs::read_to_string(tmp.join("rs.pot")).unwrap());
    fresh.extend(msgids(
        &std::fs::read_to_string(tmp.join("other.pot")).unwrap(),
    ));
    let checked_in = msgids(&std::fs::read_to_string(root().join("po/vireo.pot")).unwrap());
    std::fs::remove_dir_all(&tmp).unwrap();
    let added: Vec<_> = fresh.difference(&checked_in).collect();
    let removed: Vec<_> = checked_in.difference(&fresh).collect();
    assert!(
        added.is_empty() && removed.is_empty(),
        "run `make pot`: new {added:?}, gone {removed:?}"
    );
}

#[test]
fn japanese_and_chinese_translations_are_complete() {
    let linguas = std::fs::read_to_string(root().join("po/LINGUAS")).unwrap();
    let langs: Vec<&str> = linguas
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert!(
        langs.contains(&"ja") && langs.contains(&"zh_CN"),
        "LINGUAS: {langs:?}"
    );
    let pot = msgids(&std::fs::read_to_string(root().join("po/vireo.pot")).unwrap());
    for lang in langs {
        let po = root().join(format!("po/{lang}.po"));
        let (ok, out) = run(Command::new("msgfmt")
            .args(["--check", "--statistics", "-o", "/dev/null"])
            .arg(&po));
        assert!(ok, "{lang}: {out}");
        assert!(
            !out.contains("untranslated") && !out.contains("fuzzy"),
            "{lang}: {out}"
        );
        let ids = msgids(&std::fs::read_to_string(&po).unwrap());
        let missing: Vec<_> = pot.difference(&ids).collect();
        assert!(
            missing.is_empty(),
            "{lang}.po lacks {missing:?} (run `make pot`)"
        );
    }
}

/// The UI is grouped by window: each page, wizard page and dialog is found
/// by its name in a folder named for its window; only cross-cutting helpers
/// stay at `src/ui/`'s root.
#[test]
fn the_ui_is_grouped_by_window() {
    for file in [
        "main_window/mod.rs",
        "main_window/vm_list.rs",
        "main_window/vm_row.rs",
        "main_window/usage.rs",
        "vm_window/mod.rs",
        "vm_window/console_page.rs",
        "vm_window/details_page.rs",
        "vm_window/device_page.rs",
        "vm_window/xml_page.rs",
        "vm_window/snapshots_page.rs",
        "vm_window/hardware_dialogs.rs",
        "wizard/mod.rs",
        "wizard/source_page.rs",
        "wizard/resources_page.rs",
        "wizard/storage_page.rs",
        "wizard/network_page.rs",
        "wizard/summary_page.rs",
        "wizard/os_picker.rs",
        "dialogs/connection.rs",
        "dialogs/credentials.rs",
        "dialogs/delete.rs",
        "dialogs/preferences.rs",
        "dialogs/about.rs",
        "dialogs/clone.rs",
        "host_window/mod.rs",
    ] {
        assert!(
            root().join("src/ui").join(file).is_file(),
            "src/ui/{file} is missing"
        );
    }
    let helpers: BTreeSet<&str> = [
        "mod.rs",
        "a11y.rs",
        "i18n.rs",
        "settings.rs",
        "dialog.rs",
        "msg.rs",
        "create_cli.rs",
        "clone_cli.rs",
    ]
    .into();
    for entry in std::fs::read_dir(root().join("src/ui")).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            entry.path().is_dir() || helpers.contains(name.as_str()),
            "src/ui/{name} belongs in the folder of its window"
        );
    }
}

/// A source file longer than ~600 lines (650 here, unit tests aside)
/// says at its top why it must be (a `//! Length:` line in its module
/// documentation).
#[test]
fn long_source_files_say_why() {
    for file in files_under(&root().join("src"), "rs") {
        let text = std::fs::read_to_string(&file).unwrap();
        // Unit tests at the end do not count.
        let code = text
            .lines()
            .take_while(|l| !l.starts_with("#[cfg(test)]"))
            .count();
        if code <= 650 {
            continue;
        }
        let says = text
            .lines()
            .take_while(|l| l.starts_with("//!") || l.trim().is_empty())
            .any(|l| l.starts_with("//! Length:"));
        assert!(
            says,
            "{} has {code} lines and no `//! Length:` line saying why",
            rel(&file)
        );
    }
}
