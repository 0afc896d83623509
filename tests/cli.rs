//! The command line of the real binary (no display needed).

use std::process::Command;

fn vireo(args: &[&str], lang: &str) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vireo"))
        .args(args)
        .env("LANG", lang)
        .env_remove("LANGUAGE")
        .env_remove("LC_ALL")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("run vireo");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn help_lists_every_option() {
    let (code, out, _) = vireo(&["--help"], "C.UTF-8");
    assert_eq!(code, 0);
    for option in [
        "--connect URI",
        "--show-domain-console NAME|UUID",
        "--show-domain-editor NAME|UUID",
        "--show-domain-creator",
        "--version",
        "--help",
    ] {
        assert!(out.contains(option), "--help lacks {option}:\n{out}");
    }
}

#[test]
fn version_prints_the_package_version() {
    let (code, out, _) = vireo(&["--version"], "C.UTF-8");
    assert_eq!(code, 0);
    assert_eq!(out.trim(), format!("vireo {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn a_bad_command_line_exits_2_with_the_reason() {
    let (code, out, err) = vireo(&["--conect", "qemu:///system"], "C.UTF-8");
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("unknown option '--conect'"), "{err}");
    assert!(err.contains("vireo --help"), "{err}");
    let (code, _, err) = vireo(&["--connect"], "C.UTF-8");
    assert_eq!(code, 2);
    assert!(err.contains("needs a value"), "{err}");
}

#[test]
fn help_is_translated() {
    let (_, ja, _) = vireo(&["--help"], "ja_JP.UTF-8");
    assert!(ja.contains("使い方: vireo"), "{ja}");
    let (_, zh, _) = vireo(&["--help"], "zh_CN.UTF-8");
    assert!(zh.contains("用法：vireo"), "{zh}");
}
