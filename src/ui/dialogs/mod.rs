//! The app's small dialogs: add a connection, answer libvirt's credential
//! questions, delete or clone a VM, preferences, about.

pub mod about;
pub mod clone;
pub mod connection;
pub mod credentials;
pub mod delete;
pub mod preferences;
