//! The GTK-free heart of Vireo.
//!
//! Everything here can be used from a plain thread or a test without a display:
//! the command line ([`cli`]), the choice of the default connection ([`uri`]),
//! and the libvirt service ([`libvirt`]), which owns every `virt::Connect` on
//! threads of its own and hands the UI an async handle.
//!
//! Nothing in this module may use gtk, gdk, adw, relm4, glib or gvnc
//! (`tests/layering.rs` fails otherwise).

pub mod cli;
pub mod clone;
pub mod config;
pub mod edit;
pub mod guest;
pub mod hardware;
pub mod libvirt;
pub mod migrate;
pub mod network;
pub mod snapshot;
pub mod storage;
pub mod uri;
pub mod wizard;
pub mod xml;
