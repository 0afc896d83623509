//! What the console page is told, tells its shell, and hears back from its
//! commands.

use crate::console::{ConsoleEvent, ScaleMode};
use crate::core::libvirt::{Console, Error, Protocol, TextConsole, TextDevice};

#[derive(Debug)]
pub enum ConsoleInput {
    /// Whether the guest runs, as the shell last read it.
    Active(bool),
    /// The guest started: connect once QEMU's display is up.
    Started,
    Stopped,
    Deleted,
    /// The VM cannot be read (`libvirt`'s words).
    Unavailable(String),
    ConnectionLost,
    Renamed(String),
    Reconnect,
    Console(ConsoleEvent),
    SendKeys(Vec<(u32, u16)>),
    TypeClipboard,
    Type(String),
    Screenshot,
    SaveScreenshot(std::path::PathBuf),
    Scale(ScaleMode),
    Password(String),
    /// Ask again for the password the console is waiting for.
    AskPassword,
    /// Show graphics device `index` (the View menu's Display section).
    UseDisplay(u32),
    /// The display refused Resize Guest to Window.
    ResizeRefused,
    /// Silence the guest's sound (or not).
    Mute(bool),
    /// Share the clipboard with the guest (or stop): Preferences.
    ShareClipboard(bool),
    /// Show text console `alias`, or (`None`) the graphical console.
    UseText(Option<String>),
    /// Take the text console over from the client that holds it.
    TakeOver,
    /// The text console of attempt `u64` closed (libvirt's reason).
    TextClosed(u64, Option<String>),
    /// Save the text console's text.
    SaveText,
}

#[derive(Debug)]
pub enum ConsoleOutput {
    Toast(String),
    /// The keyboard is grabbed (with the release combo's label) or not.
    Grab(Option<String>),
    /// The status page's Run button.
    Run,
    /// Resize Guest to Window is not possible on this display (why): the
    /// shell goes back to Fit.
    ResizeRefused(String),
    /// The display closed while the guest seemed to run: read its state.
    CheckState,
    /// The VM's VNC and SPICE displays, and the one shown.
    Displays(Vec<(u32, Protocol)>, Option<u32>),
    /// The guest's sound plays here (or no longer).
    Sound(bool),
    /// What the console's menu says of the clipboard (`None`: nothing, as
    /// for VNC).
    Clipboard(Option<String>),
    /// The guest's text consoles (alias, menu label).
    TextConsoles(Vec<(String, String)>),
    /// The text console shown (its alias), or the graphical one (`None`).
    TextShown(Option<String>),
}

#[derive(Debug)]
pub enum ConsoleCmd {
    Target(u64, Result<Console, Error>),
    /// Connect now (after a start or a retry delay).
    ConnectDue(u64),
    /// A connection attempt that has not shown the screen by now is retried.
    Watchdog(u64),
    /// The running guest's text consoles, for the menu.
    TextDevices(Vec<TextDevice>),
    /// A text console opened for an attempt (or why not), with the guest's
    /// text consoles and the one it is.
    Text(
        u64,
        Vec<TextDevice>,
        Option<String>,
        Result<Option<TextConsole>, Error>,
    ),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum ConsoleState {
    Connecting,
    Connected,
    Message {
        title: String,
        description: String,
        /// "run" (not running), "password" (the display waits for one) or
        /// "reconnect" (disconnected).
        action: Option<&'static str>,
    },
}
