//! Edits of a domain's saved definition: read it (with its secrets, so
//! that a VNC password survives), change it as a document, define it
//! again; and the live half of an edit where libvirt has one.

use virt::connect::Connect;
use virt::domain::Domain;

use super::{Applied, Error, ErrorKind};
use crate::core::edit::{Edit, EditError, LiveChange};
use crate::core::xml::DomainXml;

impl From<EditError> for Error {
    fn from(e: EditError) -> Self {
        Error::new(ErrorKind::Other, e.to_string())
    }
}

/// The domain's XML; `inactive` gives the saved definition. Secrets
/// (graphics passwords) are included where the connection may see them,
/// so that a definition written back from it keeps them.
pub(super) fn domain_xml(d: &Domain, inactive: bool) -> Result<String, Error> {
    let base = if inactive {
        virt::sys::VIR_DOMAIN_XML_INACTIVE
    } else {
        0
    };
    match d.xml_desc(base | virt::sys::VIR_DOMAIN_XML_SECURE) {
        Ok(xml) => Ok(xml),
        // A read-only connection may not see secrets.
        Err(_) => Ok(d.xml_desc(base)?),
    }
}

/// Read the saved definition, change it with `change`, define the result
/// (validated by libvirt). Nothing is defined when `change` fails.
pub(super) fn define_edited(
    conn: &Connect,
    d: &Domain,
    change: impl FnOnce(&mut DomainXml) -> Result<(), EditError>,
) -> Result<(), Error> {
    let mut vm = DomainXml::parse(&domain_xml(d, true)?)
        .map_err(|e| Error::new(ErrorKind::Other, e.to_string()))?;
    change(&mut vm)?;
    conn.define_domain_xml_flags(&vm.to_xml_string(), virt::sys::VIR_DOMAIN_DEFINE_VALIDATE)?;
    Ok(())
}

/// Apply `edit`: to the definition, then (where it can) to the running
/// guest, each reported on its own. A definition that refuses the edit
/// leaves the running guest alone too.
pub(super) fn edit(conn: &Connect, d: &Domain, edit: &Edit) -> Result<Applied, Error> {
    let text = |r: Result<(), Error>| r.map_err(|e| e.message);
    if let Edit::Rename(name) = edit {
        if d.is_active()? {
            return Err(Error::new(
                ErrorKind::Other,
                "a running virtual machine cannot be renamed; shut it down first",
            ));
        }
        crate::core::edit::check_rename(name)?;
        d.rename(name, 0)?;
        return Ok(Applied {
            next_boot: Some(Ok(())),
            now: None,
        });
    }
    let next_boot = d
        .is_persistent()?
        .then(|| text(define_edited(conn, d, |vm| edit.apply(vm))));
    if matches!(next_boot, Some(Err(_))) || !d.is_active()? {
        return Ok(Applied {
            next_boot,
            now: None,
        });
    }
    let live = virt::sys::VIR_DOMAIN_AFFECT_LIVE;
    let now = match edit.live() {
        LiveChange::None => None,
        LiveChange::Metadata { title, text: value } => {
            let kind = if title {
                virt::sys::VIR_DOMAIN_METADATA_TITLE
            } else {
                virt::sys::VIR_DOMAIN_METADATA_DESCRIPTION
            };
            let value = value.as_deref().filter(|v| !v.is_empty());
            Some(text(
                d.set_metadata(kind as i32, value, None, None, live)
                    .map_err(Error::from),
            ))
        }
        LiveChange::Device => {
            let result = (|| {
                let running = DomainXml::parse(&domain_xml(d, false)?)
                    .map_err(|e| Error::new(ErrorKind::Other, e.to_string()))?;
                match edit.live_device_xml(&running)? {
                    Some(xml) => Ok(d.update_device_flags(&xml, live)?),
                    None => Ok(()),
                }
            })();
            Some(text(result))
        }
    };
    Ok(Applied { next_boot, now })
}
