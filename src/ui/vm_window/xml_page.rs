//! The XML page of a VM window: the persistent definition in a monospace
//! editor (GtkSourceView 5 is not among the crates that build here with
//! gtk4 0.11). An edit is checked as XML here, shown as a difference, and
//! defined only when the user confirms; libvirt's refusal is shown with
//! the user's text kept for fixing.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gettextrs::gettext;
use relm4::adw::prelude::*;
use relm4::gtk;
use relm4::{Component, ComponentParts, ComponentSender};

use crate::core::libvirt::{Connection, DomainSummary, Error};

use crate::core::xml::{Document, diff};
use crate::ui::a11y::AccessibleLabelExt;
use crate::ui::dialog::{self, Confirm, Texts};

/// The page's widgets and the definition the edit started from.
#[derive(Clone)]
pub struct XmlEditor {
    pub widget: gtk::Box,
    view: gtk::TextView,
    error: gtk::Label,
    apply: gtk::Button,
    revert: gtk::Button,
    original: Rc<RefCell<Option<String>>>,
    /// Text set by Vireo, not typed: not an edit.
    loading: Rc<Cell<bool>>,
}

impl XmlEditor {
    /// `define` receives the confirmed text.
    pub fn new(define: impl Fn(String) + 'static) -> XmlEditor {
        let view = gtk::TextView::builder()
            .monospace(true)
            .wrap_mode(gtk::WrapMode::None)
            .top_margin(12)
            .bottom_margin(12)
            .left_margin(12)
            .right_margin(12)
            .vexpand(true)
            .build();
        view.set_accessible_label(&gettext("Domain XML editor"));
        let scrolled = gtk::ScrolledWindow::builder()
            .child(&view)
            .vexpand(true)
            .build();
        let error = gtk::Label::builder()
            .wrap(true)
            .xalign(0.0)
            .selectable(true)
            .visible(false)
            .hexpand(true)
            .build();
        error.add_css_class("error");
        let apply = gtk::Button::with_label(&gettext("Apply"));
        apply.add_css_class("suggested-action");
        apply.set_sensitive(false);
        let revert = gtk::Button::with_label(&gettext("Revert"));
        revert.set_sensitive(false);
        let note = gtk::Label::builder()
            .label(gettext(
                "The saved configuration; a running guest takes changes at its next boot.",
            ))
            .wrap(true)
            .xalign(0.0)
            .hexpand(true)
            .build();
        note.add_css_class("dim-label");
        let bar = gtk::Box::builder()
            .spacing(12)
            .margin_top(6)
            .margin_bottom(6)
            .margin_start(12)
            .margin_end(12)
            .build();
        bar.append(&note);
        bar.append(&revert);
        bar.append(&apply);
        let widget = gtk::Box::new(gtk::Orientation::Vertical, 0);
        widget.append(&bar);
        let error_box = gtk::Box::builder()
            .margin_start(12)
            .margin_end(12)
            .margin_bottom(6)
            .build();
        error_box.append(&error);
        widget.append(&error_box);
        widget.append(&gtk::Separator::new(gtk::Orientation::Horizontal));
        widget.append(&scrolled);

        let page = XmlEditor {
            widget,
            view,
            error,
            apply,
            revert,
            original: Rc::new(RefCell::new(None)),
            loading: Rc::new(Cell::new(false)),
        };
        {
            let p = page.clone();
            page.view.buffer().connect_changed(move |_| {
                if !p.loading.get() {
                    p.apply.set_sensitive(true);
                    p.revert.set_sensitive(true);
                }
            });
        }
        {
            let p = page.clone();
            page.revert.connect_clicked(move |_| {
                let original = p.original.borrow().clone();
                if let Some(text) = original {
                    p.show(&text);
                }
            });
        }
        {
            let p = page.clone();
            let define = Rc::new(define);
            page.apply
                .connect_clicked(move |b| p.ask(b, define.clone()));
        }
        page
    }

    /// Whether the user has edited the text since it was loaded.
    pub fn dirty(&self) -> bool {
        self.apply.is_sensitive()
    }

    /// Show `text` as the saved definition (discarding any edit).
    pub fn show(&self, text: &str) {
        self.loading.set(true);
        self.view.buffer().set_text(text);
        self.loading.set(false);
        *self.original.borrow_mut() = Some(text.to_owned());
        self.apply.set_sensitive(false);
        self.revert.set_sensitive(false);
        self.error.set_visible(false);
    }

    /// libvirt refused the text: say why and keep it.
    pub fn refused(&self, message: &str) {
        self.error.set_text(&crate::ui::i18n::gettext_f(
            "Not saved: {error}",
            &[("error", message)],
        ));
        self.error.set_visible(true);
    }

    fn text(&self) -> String {
        let b = self.view.buffer();
        b.text(&b.start_iter(), &b.end_iter(), false).to_string()
    }

    /// Check the edit, show what changes, define on confirmation.
    fn ask(&self, button: &gtk::Button, define: Rc<dyn Fn(String)>) {
        let text = self.text();
        if let Err(e) = Document::parse(&text) {
            self.refused(&e.to_string());
            return;
        }
        self.error.set_visible(false);
        let original = self.original.borrow().clone().unwrap_or_default();
        let changes = diff::summary(&original, &text, 2);
        if changes.is_empty() {
            self.show(&original);
            return;
        }
        let label = gtk::Label::builder()
            .label(&changes)
            .xalign(0.0)
            .yalign(0.0)
            .selectable(true)
            .build();
        label.add_css_class("monospace");
        let scrolled = gtk::ScrolledWindow::builder()
            .child(&label)
            .min_content_height(160)
            .max_content_height(360)
            .propagate_natural_height(true)
            .min_content_width(420)
            .build();
        scrolled.add_css_class("card");
        let Some(parent) = button.root().and_downcast::<gtk::Window>() else {
            return;
        };
        let (heading, body, cancel, confirm) = (
            gettext("Define the Changed Configuration?"),
            gettext("These lines of the saved configuration change (- removed, + added)."),
            gettext("Cancel"),
            gettext("Define"),
        );
        dialog::show(
            &parent,
            Texts {
                heading: &heading,
                body: Some(&body),
                cancel: &cancel,
                confirm: &confirm,
            },
            Some(scrolled.upcast_ref()),
            Confirm::Suggested,
            move || define(text.clone()),
        );
    }
}

/// The XML page as a component of the VM window: it loads the saved
/// definition when shown (unless the user is editing it) and defines the
/// confirmed text.
pub struct XmlPage {
    conn: Connection,
    uuid: String,
    editor: XmlEditor,
    /// Whether the guest runs (a saved change then waits for the next boot).
    running: bool,
}

#[derive(Debug)]
pub enum XmlPageInput {
    /// Show the saved definition (unless it is being edited).
    Load,
    /// Define the confirmed text.
    Define(String),
    Running(bool),
}

#[derive(Debug)]
pub enum XmlPageOutput {
    Toast(String),
    /// A new definition was saved: the other pages read it again.
    Defined,
}

#[derive(Debug)]
pub enum XmlPageCmd {
    Saved(Result<String, Error>),
    Defined(Result<DomainSummary, Error>),
}

pub struct XmlPageInit {
    pub conn: Connection,
    pub uuid: String,
}

impl XmlPage {
    fn load(&self, sender: &ComponentSender<Self>) {
        let (conn, uuid) = (self.conn.clone(), self.uuid.clone());
        sender
            .oneshot_command(async move { XmlPageCmd::Saved(conn.domain_xml(&uuid, true).await) });
    }
}

impl Component for XmlPage {
    type Init = XmlPageInit;
    type Input = XmlPageInput;
    type Output = XmlPageOutput;
    type CommandOutput = XmlPageCmd;
    type Root = gtk::Box;
    type Widgets = ();

    fn init_root() -> gtk::Box {
        gtk::Box::new(gtk::Orientation::Vertical, 0)
    }

    fn init(
        init: XmlPageInit,
        root: gtk::Box,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let input = sender.input_sender().clone();
        let editor = XmlEditor::new(move |text| input.emit(XmlPageInput::Define(text)));
        editor.widget.set_vexpand(true);
        root.append(&editor.widget);
        let model = XmlPage {
            conn: init.conn,
            uuid: init.uuid,
            editor,
            running: false,
        };
        ComponentParts { model, widgets: () }
    }

    fn update(&mut self, msg: XmlPageInput, sender: ComponentSender<Self>, _root: &gtk::Box) {
        match msg {
            XmlPageInput::Load => {
                if !self.editor.dirty() {
                    self.load(&sender);
                }
            }
            XmlPageInput::Define(text) => {
                let conn = self.conn.clone();
                sender.oneshot_command(
                    async move { XmlPageCmd::Defined(conn.define_xml(&text).await) },
                );
            }
            XmlPageInput::Running(running) => self.running = running,
        }
    }

    fn update_cmd(&mut self, msg: XmlPageCmd, sender: ComponentSender<Self>, _root: &gtk::Box) {
        match msg {
            XmlPageCmd::Saved(Ok(xml)) => self.editor.show(&xml),
            XmlPageCmd::Saved(Err(e)) => self.editor.refused(&e.message),
            XmlPageCmd::Defined(Ok(_)) => {
                let _ = sender.output(XmlPageOutput::Toast(if self.running {
                    gettext("Configuration saved; the guest uses it from its next boot")
                } else {
                    gettext("Configuration saved")
                }));
                let _ = sender.output(XmlPageOutput::Defined);
                self.load(&sender);
            }
            // libvirt's words, the user's text kept.
            XmlPageCmd::Defined(Err(e)) => self.editor.refused(&e.message),
        }
    }
}
