//! What the console page saves: screenshots of the graphical console and
//! the text console's text.

use gettextrs::gettext;
use relm4::ComponentSender;
use relm4::gtk::{glib, prelude::*};

use super::{ConsoleInput, ConsolePage};
use crate::ui::i18n::gettext_f;

impl ConsolePage {
    pub(super) fn screenshot(&self, sender: &ComponentSender<Self>) {
        if self.view.texture().is_none() {
            return Self::toast(sender, gettext("There is no screen to save"));
        }
        let stamp = glib::DateTime::now_local()
            .and_then(|d| d.format("%Y-%m-%d %H-%M-%S"))
            .map(|s| s.to_string())
            .unwrap_or_default();
        let dir =
            glib::user_special_dir(glib::UserDirectory::Pictures).unwrap_or_else(glib::home_dir);
        let path = dir.join(format!("{} {stamp}.png", self.name));
        sender.input(ConsoleInput::SaveScreenshot(path));
    }

    pub(super) fn save_screenshot(&self, path: &std::path::Path, sender: &ComponentSender<Self>) {
        let Some(texture) = self.view.texture() else {
            return;
        };
        let _ = std::fs::create_dir_all(path.parent().unwrap_or(path));
        Self::toast(
            sender,
            match texture.save_to_png(path) {
                Ok(()) => gettext_f(
                    "Screenshot saved to {path}",
                    &[("path", &path.display().to_string())],
                ),
                Err(e) => gettext_f(
                    "Could not save the screenshot: {reason}",
                    &[("reason", &e.to_string())],
                ),
            },
        );
    }

    /// Save the terminal's text (scrollback included) beside the user's
    /// documents, as screenshots go to their pictures.
    pub(super) fn save_text(&self, sender: &ComponentSender<Self>) {
        if self.text_console.borrow().is_none() && self.text_alias.is_none() {
            return Self::toast(sender, gettext("There is no text console to save"));
        }
        let stamp = glib::DateTime::now_local()
            .and_then(|d| d.format("%Y-%m-%d %H-%M-%S"))
            .map(|s| s.to_string())
            .unwrap_or_default();
        let dir =
            glib::user_special_dir(glib::UserDirectory::Documents).unwrap_or_else(glib::home_dir);
        let path = dir.join(format!("{} console {stamp}.txt", self.name));
        let _ = std::fs::create_dir_all(&dir);
        Self::toast(
            sender,
            match std::fs::write(&path, self.text_view.text()) {
                Ok(()) => gettext_f(
                    "Console text saved to {path}",
                    &[("path", &path.display().to_string())],
                ),
                Err(e) => gettext_f(
                    "Could not save the console text: {reason}",
                    &[("reason", &e.to_string())],
                ),
            },
        );
    }
}
