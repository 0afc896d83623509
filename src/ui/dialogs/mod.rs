//! The app's small dialogs: add a connection, answer libvirt's credential
//! questions, delete, clone or migrate a VM, preferences, about.

pub mod about;
pub mod clone;
pub mod connection;
pub mod credentials;
pub mod delete;
pub mod migrate;
pub mod preferences;
