//! The app's small dialogs: add a connection, answer libvirt's credential
//! questions, delete a VM, preferences, about.

pub mod about;
pub mod connection;
pub mod credentials;
pub mod delete;
pub mod preferences;
