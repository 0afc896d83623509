//! GSettings for Vireo, usable straight from `cargo run`.
//!
//! The schema is looked up in the system's schema directories first (an
//! installed Vireo) and then in the directory `build.rs` compiled it into.
//! When GIO has only its in-memory backend (no dconf, as on a bare Debian or in
//! a test), settings go to a key file under the user's config directory, so
//! that the window size and saved connections survive a restart.

use relm4::gtk::{gio, glib, prelude::*};

use crate::core::config::APP_ID;

fn schema() -> gio::SettingsSchema {
    let default = gio::SettingsSchemaSource::default();
    if let Some(schema) = default.as_ref().and_then(|s| s.lookup(APP_ID, true)) {
        return schema;
    }
    let dir = std::path::Path::new(env!("OUT_DIR")).join("schemas");
    let source = gio::SettingsSchemaSource::from_directory(&dir, default.as_ref(), false)
        .unwrap_or_else(|e| panic!("cannot read the compiled schema in {}: {e}", dir.display()));
    source
        .lookup(APP_ID, false)
        .expect("build.rs compiled the dev.vireo.Vireo schema")
}

/// The key-file group that holds Vireo's keys.
pub const KEYFILE_GROUP: &str = "vireo";

/// The key file used when GIO has no persistent backend.
pub fn keyfile_path() -> std::path::PathBuf {
    glib::user_config_dir().join("vireo").join("settings.ini")
}

/// Open Vireo's settings.
pub fn open() -> gio::Settings {
    let schema = schema();
    let backend = gio::SettingsBackend::default();
    let persistent = backend.type_().name() != "GMemorySettingsBackend";
    if persistent {
        gio::Settings::new_full(&schema, None::<&gio::SettingsBackend>, None)
    } else {
        let path = keyfile_path();
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let backend = gio::keyfile_settings_backend_new(
            &path.to_string_lossy(),
            "/dev/vireo/Vireo/",
            // Keys directly under the root path are read-only without a group.
            Some(KEYFILE_GROUP),
        );
        gio::Settings::new_full(&schema, Some(&backend), None)
    }
}
