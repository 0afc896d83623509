//! Build-time facts about the application.

/// The application ID, also the GSettings schema ID and the resource base path root.
pub const APP_ID: &str = "dev.vireo.Vireo";
/// The gettext domain.
pub const GETTEXT_PACKAGE: &str = "vireo";
/// The version from Cargo.toml.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// GResource base path.
pub const RESOURCE_BASE: &str = "/dev/vireo/Vireo";
