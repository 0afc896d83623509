//! Connections opened while GTK builds the window: the hosts Vireo will
//! show at start are opened and listed on their own thread from the
//! application's `startup` (see [`crate::ui::run`]), so the first rows are
//! on screen about as soon as libvirt can list them, not after the window
//! is built.
//!
//! Only local URIs are opened early (no host part: nothing asks for a
//! password then); an early open that fails is forgotten and the window
//! opens that host the usual way, with its credential dialogs.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::oneshot;

use crate::core::libvirt::{Connection, DomainSummary, Error};

pub type Opened = Result<(Connection, Vec<DomainSummary>), Error>;

static EARLY: Mutex<Option<HashMap<String, oneshot::Receiver<Opened>>>> = Mutex::new(None);

/// Whether `uri` names a host on this machine (`driver:///…`).
fn local(uri: &str) -> bool {
    uri.split_once("://")
        .is_some_and(|(_, rest)| rest.starts_with('/'))
}

/// Start opening and listing `uris` (those that are local) on one thread.
pub fn start(uris: Vec<String>) {
    let mut waiting = HashMap::new();
    let mut jobs = Vec::new();
    for uri in uris.into_iter().filter(|u| local(u)) {
        let (tx, rx) = oneshot::channel();
        waiting.insert(uri.clone(), rx);
        jobs.push((uri, tx));
    }
    if jobs.is_empty() {
        return;
    }
    *EARLY.lock().unwrap_or_else(|e| e.into_inner()) = Some(waiting);
    let spawned = std::thread::Builder::new()
        .name("early open".into())
        .spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().build() else {
                return;
            };
            rt.block_on(async move {
                // Each host on its own task: one slow host never holds up another.
                let tasks: Vec<_> = jobs
                    .into_iter()
                    .map(|(uri, tx)| {
                        tokio::spawn(async move {
                            let result = async {
                                let conn = Connection::open(&uri).await?;
                                crate::ui::trace("early: connection open");
                                let domains = conn.list_domains().await?;
                                crate::ui::trace("early: domains listed");
                                Ok((conn, domains))
                            }
                            .await;
                            let _ = tx.send(result);
                        })
                    })
                    .collect();
                for task in tasks {
                    let _ = task.await;
                }
            });
        });
    if spawned.is_err() {
        *EARLY.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// The early open of `uri`, if one was started and not yet taken; it
/// resolves to `None` when that open failed (then open it as usual).
pub fn take(uri: &str) -> Option<impl std::future::Future<Output = Option<Opened>> + use<>> {
    let rx = EARLY
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_mut()?
        .remove(uri)?;
    Some(async move { rx.await.ok().filter(|r| r.is_ok()) })
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_local_uris_are_opened_early() {
        assert!(super::local("qemu:///system"));
        assert!(super::local("test:///default"));
        assert!(!super::local("qemu+ssh://root@host/system"));
        assert!(!super::local("qemu+tls://host/system"));
        assert!(!super::local("not a uri"));
    }
}
