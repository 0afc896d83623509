//! The libvirt XML layer: a lossless document and typed accessors.
//!
//! Vireo never rewrites a user's XML from a model. [`Document::parse`] keeps
//! everything the text holds — elements with their attributes in order, text,
//! comments, CDATA, processing instructions, namespace declarations, foreign
//! `<metadata>`, `qemu:commandline` — and [`Document::to_xml_string`] writes
//! it back unchanged. Typed views ([`DomainXml`], [`DeviceView`],
//! [`DeviceMut`], the read-only [`caps`] views) address single nodes by path:
//! setting a property changes that node (creating missing elements on the
//! way, indented like their siblings) and clearing one removes the elements
//! it leaves empty. [`builder`] makes new domains and devices.
//!
//! ```
//! use vireo::core::xml::{DomainXml, DeviceKind};
//! let mut vm = DomainXml::parse("<domain type='kvm'><name>a</name><devices>\
//!     <disk type='file' device='cdrom'><target dev='sda' bus='sata'/></disk>\
//!     </devices></domain>").unwrap();
//! vm.device_mut(DeviceKind::Disk, 0).unwrap().set_disk_file(Some("/isos/debian.iso"));
//! assert_eq!(vm.devices(DeviceKind::Disk)[0].source_file().as_deref(), Some("/isos/debian.iso"));
//! ```
//!
//! Bad input gives an [`XmlError`] with a [`Position`], never a panic.

pub mod builder;
pub mod caps;
mod devices;
pub mod diff;
mod document;
mod domain;
mod error;
pub mod path;

pub use devices::{DeviceKind, DeviceMut, DeviceView};
pub use document::{Attribute, Document, Element, Node};
pub use domain::{DomainXml, Topology, to_bytes, to_kib};
pub use error::{Position, XmlError, XmlErrorKind};
