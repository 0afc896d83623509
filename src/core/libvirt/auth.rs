//! Answering libvirt's authentication callbacks (username, password,
//! passphrase, …) from the UI.
//!
//! libvirt asks for credentials from inside `virConnectOpenAuth`, on the
//! connection's actor thread. The [`Authenticator`] given to
//! [`super::Connection::open_with`] is called there and may block (the UI
//! shows a dialog and sends the answers back); returning `None` cancels,
//! and libvirt then reports that authentication failed.

use std::cell::RefCell;
use std::sync::Arc;

use virt::connect::{ConnectAuth, ConnectCredential, ConnectCredentialType};

/// What one credential is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// A user name (shown as typed).
    Username,
    /// A password or passphrase (never shown).
    Password,
    /// Another question whose answer may be shown.
    Visible,
    /// Another question whose answer must not be shown.
    Secret,
}

/// One question libvirt asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialPrompt {
    pub kind: CredentialKind,
    /// libvirt's prompt, e.g. "Enter username for localhost".
    pub prompt: String,
    /// The answer libvirt suggests (may be empty).
    pub default: String,
}

/// Asked with the connection's URI and libvirt's questions; answers in the
/// same order, or `None` to cancel.
pub type Authenticator =
    Arc<dyn Fn(&str, Vec<CredentialPrompt>) -> Option<Vec<String>> + Send + Sync>;

thread_local! {
    /// The authenticator of the connection being opened on this thread.
    static CURRENT: RefCell<Option<(String, Authenticator)>> = const { RefCell::new(None) };
}

fn kind(typed: ConnectCredentialType) -> CredentialKind {
    match typed {
        ConnectCredentialType::UserName | ConnectCredentialType::AuthName => {
            CredentialKind::Username
        }
        ConnectCredentialType::Passphrase => CredentialKind::Password,
        ConnectCredentialType::NoEchoPrompt => CredentialKind::Secret,
        _ => CredentialKind::Visible,
    }
}

/// virt's callback is a plain `fn`: it finds the authenticator through the
/// thread-local set by [`open`].
#[allow(clippy::ptr_arg)] // the signature virt requires
fn callback(creds: &mut Vec<ConnectCredential>) {
    let Some((uri, auth)) = CURRENT.with(|c| c.borrow().clone()) else {
        return;
    };
    let prompts = creds
        .iter()
        .map(|c| CredentialPrompt {
            kind: kind(c.typed),
            prompt: c.prompt.clone(),
            default: c.def_result.clone(),
        })
        .collect();
    if let Some(answers) = auth(&uri, prompts) {
        for (cred, answer) in creds.iter_mut().zip(answers) {
            cred.result = Some(answer);
        }
    }
}

/// Open `uri`, answering libvirt's questions with `auth`.
pub(super) fn open(
    uri: &str,
    auth: Authenticator,
) -> Result<virt::connect::Connect, virt::error::Error> {
    CURRENT.with(|c| c.replace(Some((uri.to_owned(), auth))));
    let mut connect_auth = ConnectAuth::new(
        vec![
            ConnectCredentialType::UserName,
            ConnectCredentialType::AuthName,
            ConnectCredentialType::Passphrase,
            ConnectCredentialType::EchoPrompt,
            ConnectCredentialType::NoEchoPrompt,
            ConnectCredentialType::Realm,
        ],
        callback,
    );
    let result = virt::connect::Connect::open_auth(Some(uri), &mut connect_auth, 0);
    CURRENT.with(|c| c.replace(None));
    result
}
