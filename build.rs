//! Compiles what `cargo run` needs without meson: the GResource bundle
//! (resources/ and ui/), the GSettings schema and the translations.

use std::path::{Path, PathBuf};
use std::process::Command;

fn run(cmd: &mut Command) {
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e} (is the tool installed? `make deps`)"));
    assert!(status.success(), "{cmd:?} failed with {status}");
}

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());

    for dir in ["resources", "ui", "data", "po"] {
        println!("cargo:rerun-if-changed={dir}");
    }

    glib_build_tools::compile_resources(
        &["resources", "ui"],
        "resources/resources.gresource.xml",
        "vireo.gresource",
    );

    let schemas = out.join("schemas");
    std::fs::create_dir_all(&schemas).unwrap();
    std::fs::copy(
        "data/dev.vireo.Vireo.gschema.xml",
        schemas.join("dev.vireo.Vireo.gschema.xml"),
    )
    .unwrap();
    run(Command::new("glib-compile-schemas")
        .arg("--strict")
        .arg(&schemas));

    let linguas = std::fs::read_to_string("po/LINGUAS").unwrap();
    for lang in linguas
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let dir = out.join("locale").join(lang).join("LC_MESSAGES");
        std::fs::create_dir_all(&dir).unwrap();
        run(Command::new("msgfmt")
            .arg("--check")
            .arg("-o")
            .arg(dir.join("vireo.mo"))
            .arg(Path::new("po").join(format!("{lang}.po"))));
    }
}
