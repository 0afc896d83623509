//! A small confirmation dialog: heading, body, optional content, Cancel and
//! one confirm button.
//!
//! Written instead of `adw::MessageDialog` because, on GTK 4.8 with
//! libadwaita 1.2, closing a message dialog after a response crashed the
//! app under an active screen reader bus (AT-SPI asked for the object path of
//! a widget already gone), and its buttons were named twice ("Delete
//! Delete").

use gettextrs::gettext;
use relm4::adw::{self, prelude::*};
use relm4::gtk;

/// How the confirm button looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    Suggested,
    Destructive,
}

/// What the dialog says.
pub struct Texts<'a> {
    pub heading: &'a str,
    pub body: Option<&'a str>,
    pub cancel: &'a str,
    pub confirm: &'a str,
}

/// A dialog that changes a setting: `heading`, when it takes effect
/// (`body`), the controls, Cancel and Change.
pub fn change(
    parent: &gtk::Window,
    heading: &str,
    body: &str,
    controls: &gtk::Widget,
    on_change: impl Fn() + 'static,
) -> gtk::Button {
    let (cancel, apply) = (gettext("Cancel"), gettext("Change"));
    show(
        parent,
        Texts {
            heading,
            body: Some(body),
            cancel: &cancel,
            confirm: &apply,
        },
        Some(controls),
        Confirm::Suggested,
        on_change,
    )
}

/// [`show`] with a Cancel button: ask `heading`, confirmed by `confirm`.
pub fn ask(
    parent: &gtk::Window,
    heading: &str,
    body: Option<&str>,
    extra: Option<&gtk::Widget>,
    confirm: (&str, Confirm),
    on_confirm: impl Fn() + 'static,
) -> gtk::Button {
    let cancel = gettext("Cancel");
    show(
        parent,
        Texts {
            heading,
            body,
            cancel: &cancel,
            confirm: confirm.0,
        },
        extra,
        confirm.1,
        on_confirm,
    )
}

/// Build and present the dialog; `on_confirm` runs when the confirm button
/// is pressed, then the dialog closes. Escape and Cancel close it. Returns
/// the confirm button, for callers that enable it only on valid input.
pub fn show(
    parent: &gtk::Window,
    texts: Texts<'_>,
    extra: Option<&gtk::Widget>,
    style: Confirm,
    on_confirm: impl Fn() + 'static,
) -> gtk::Button {
    let Texts {
        heading,
        body,
        cancel: cancel_label,
        confirm: confirm_label,
    } = texts;
    let window = adw::Window::builder()
        .transient_for(parent)
        .modal(true)
        .title(heading)
        .default_width(440)
        .resizable(false)
        .build();
    let content = gtk::Box::builder()
        .orientation(gtk::Orientation::Vertical)
        .spacing(12)
        .margin_top(24)
        .margin_bottom(24)
        .margin_start(24)
        .margin_end(24)
        .build();
    let title = gtk::Label::builder()
        .label(heading)
        .wrap(true)
        .justify(gtk::Justification::Center)
        .build();
    title.add_css_class("title-2");
    content.append(&title);
    if let Some(body) = body {
        let label = gtk::Label::builder()
            .label(body)
            .wrap(true)
            .justify(gtk::Justification::Center)
            .build();
        content.append(&label);
    }
    if let Some(extra) = extra {
        content.append(extra);
    }
    let buttons = gtk::Box::builder()
        .spacing(12)
        .homogeneous(true)
        .margin_top(12)
        .build();
    let cancel = gtk::Button::builder().label(cancel_label).build();
    let confirm = gtk::Button::builder().label(confirm_label).build();
    confirm.add_css_class(match style {
        Confirm::Suggested => "suggested-action",
        Confirm::Destructive => "destructive-action",
    });
    buttons.append(&cancel);
    buttons.append(&confirm);
    content.append(&buttons);
    window.set_content(Some(&content));

    {
        let window = window.clone();
        cancel.connect_clicked(move |_| window.close());
    }
    {
        let window = window.clone();
        confirm.connect_clicked(move |_| {
            on_confirm();
            window.close();
        });
    }
    let keys = gtk::EventControllerKey::new();
    {
        let window = window.clone();
        keys.connect_key_pressed(move |_, key, _, _| {
            if key == gtk::gdk::Key::Escape {
                window.close();
                gtk::glib::Propagation::Stop
            } else {
                gtk::glib::Propagation::Proceed
            }
        });
    }
    window.add_controller(keys);
    window.present();
    cancel.grab_focus();
    confirm
}

/// A boxed list that selects nothing, holding `rows` (a dialog's fields).
pub fn boxed_list(rows: &[&gtk::Widget]) -> gtk::ListBox {
    let list = gtk::ListBox::new();
    list.add_css_class("boxed-list");
    list.set_selection_mode(gtk::SelectionMode::None);
    for row in rows {
        list.append(*row);
    }
    list
}

/// A boxed-list row for a radio (check) button: the button's label becomes
/// the row's title and the button its prefix, so the whole row toggles it.
pub fn radio_row(button: &gtk::CheckButton) -> adw::ActionRow {
    let row = adw::ActionRow::builder()
        .title(button.label().unwrap_or_default().as_str())
        .activatable_widget(button)
        .build();
    button.set_label(None);
    row.add_prefix(button);
    row
}

/// Ask for a file (an ISO image when `iso` is true), modal to `parent`;
/// `chosen` gets its path. Returns an error sentence when no chooser could
/// be shown (no portal and no display to fall back on).
pub fn choose_file(
    parent: &impl IsA<gtk::Window>,
    title: &str,
    iso: bool,
    chosen: impl Fn(String) + 'static,
) -> Result<(), String> {
    let chooser = gtk::FileChooserNative::new(
        Some(title),
        Some(parent),
        gtk::FileChooserAction::Open,
        Some(&gettext("_Open")),
        Some(&gettext("_Cancel")),
    );
    if iso {
        let filter = gtk::FileFilter::new();
        filter.set_name(Some(&gettext("ISO images")));
        filter.add_pattern("*.iso");
        filter.add_pattern("*.ISO");
        chooser.add_filter(&filter);
        let all = gtk::FileFilter::new();
        all.set_name(Some(&gettext("All files")));
        all.add_pattern("*");
        chooser.add_filter(&all);
    }
    run_chooser(chooser, chosen)
}

/// Ask where to save a file (suggesting `name`), modal to `parent`;
/// `chosen` gets its path.
pub fn choose_save_file(
    parent: &impl IsA<gtk::Window>,
    title: &str,
    name: &str,
    chosen: impl Fn(String) + 'static,
) -> Result<(), String> {
    let chooser = gtk::FileChooserNative::new(
        Some(title),
        Some(parent),
        gtk::FileChooserAction::Save,
        Some(&gettext("_Save")),
        Some(&gettext("_Cancel")),
    );
    chooser.set_current_name(name);
    run_chooser(chooser, chosen)
}

/// Show `chooser` modally and hand the chosen path to `chosen`.
///
/// GTK does not keep a native dialog alive while it is shown: the chooser
/// holds itself (through its response handler's cell) until it answers,
/// then lets go.
fn run_chooser(
    chooser: gtk::FileChooserNative,
    chosen: impl Fn(String) + 'static,
) -> Result<(), String> {
    chooser.set_modal(true);
    let alive = std::rc::Rc::new(std::cell::RefCell::new(Some(chooser.clone())));
    let keep = alive.clone();
    chooser.connect_response(move |c, response| {
        if response == gtk::ResponseType::Accept
            && let Some(path) = c.file().and_then(|f| f.path())
        {
            chosen(path.display().to_string());
        }
        c.destroy();
        // The last reference goes once GTK is done emitting.
        let keep = keep.clone();
        gtk::glib::idle_add_local_once(move || drop(keep.borrow_mut().take()));
    });
    chooser.show();
    if chooser.is_visible() {
        Ok(())
    } else {
        alive.borrow_mut().take();
        Err(gettext("No file chooser could be opened on this desktop."))
    }
}

/// Show `text` in a page's status line (hidden when empty), in the error
/// style when `error`.
pub fn show_status(label: &gtk::Label, text: &str, error: bool) {
    label.set_label(text);
    label.set_visible(!text.is_empty());
    if error {
        label.add_css_class("error");
    } else {
        label.remove_css_class("error");
    }
}

/// A row with a switch at its end (the row toggles it too).
pub fn switch_row(title: &str, subtitle: &str, active: bool) -> (adw::ActionRow, gtk::Switch) {
    let switch = gtk::Switch::builder()
        .active(active)
        .valign(gtk::Align::Center)
        .build();
    let row = adw::ActionRow::builder()
        .title(title)
        .subtitle(subtitle)
        .activatable_widget(&switch)
        .build();
    row.add_suffix(&switch);
    (row, switch)
}

/// The parts of a dialog that runs one job (Clone, Migrate).
pub struct JobFrame {
    pub page: adw::PreferencesPage,
    pub status: gtk::Label,
    pub progress: gtk::ProgressBar,
    pub action: gtk::Button,
    pub cancel: gtk::Button,
}

/// Fill `root` with a job dialog's frame: a header bar with Cancel and the
/// `action` button (suggested, off until the form is ready), a preferences
/// page, and a foot with a status line ("Reading the virtual machine…")
/// and a hidden progress bar named `progress_name`. Cancel, Escape and
/// closing the window call `on_cancel`; the action button calls `on_action`.
pub fn job_frame(
    root: &adw::Window,
    action: &str,
    progress_name: &str,
    on_cancel: impl Fn() + Clone + 'static,
    on_action: impl Fn() + 'static,
) -> JobFrame {
    use crate::ui::a11y::AccessibleLabelExt;
    let cancel = gtk::Button::with_label(&gettext("Cancel"));
    let action = gtk::Button::with_label(action);
    action.add_css_class("suggested-action");
    action.set_sensitive(false);
    let header = adw::HeaderBar::builder()
        .show_end_title_buttons(false)
        .show_start_title_buttons(false)
        .build();
    header.pack_start(&cancel);
    header.pack_end(&action);
    let page = adw::PreferencesPage::new();
    page.set_vexpand(true);
    let status = gtk::Label::builder()
        .wrap(true)
        .xalign(0.0)
        .label(gettext("Reading the virtual machine…"))
        .build();
    let progress = gtk::ProgressBar::builder().visible(false).build();
    progress.set_accessible_label(progress_name);
    let foot = gtk::Box::builder()
        .orientation(gtk::Orientation::Vertical)
        .spacing(6)
        .margin_start(24)
        .margin_end(24)
        .margin_bottom(18)
        .build();
    foot.append(&status);
    foot.append(&progress);
    let content = gtk::Box::new(gtk::Orientation::Vertical, 0);
    content.append(&header);
    content.append(&page);
    content.append(&foot);
    root.set_content(Some(&content));
    {
        let on_cancel = on_cancel.clone();
        cancel.connect_clicked(move |_| on_cancel());
    }
    action.connect_clicked(move |_| on_action());
    {
        let on_cancel = on_cancel.clone();
        root.connect_close_request(move |_| {
            on_cancel();
            gtk::glib::Propagation::Stop
        });
    }
    let keys = gtk::EventControllerKey::new();
    keys.connect_key_pressed(move |_, key, _, _| {
        if key == gtk::gdk::Key::Escape {
            on_cancel();
            gtk::glib::Propagation::Stop
        } else {
            gtk::glib::Propagation::Proceed
        }
    });
    root.add_controller(keys);
    JobFrame {
        page,
        status,
        progress,
        action,
        cancel,
    }
}
