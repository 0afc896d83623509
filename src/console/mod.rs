//! The guest console widget (VNC through gvnc, SPICE later).
//!
//! This module is a small library of its own: a GTK4 widget, a public state
//! enum and typed errors, with no knowledge of libvirt or Relm4. The UI hands
//! it a connected socket (from `virDomainOpenGraphicsFD`) or an address.
//!
//! It is empty until the console issue lands; the layering is fixed now so
//! that nothing else grows into this place.
