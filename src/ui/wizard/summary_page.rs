//! The last page: the name, whether to customize before installing, the summary of every choice and the exact XML.

use gettextrs::gettext;
use relm4::adw::{self, prelude::*};
use relm4::gtk;

use super::group;
use crate::ui::a11y::AccessibleLabelExt;

pub struct SummaryPage {
    pub name: adw::EntryRow,
    pub summary: gtk::ListBox,
    pub customize: gtk::Switch,
    pub xml: gtk::TextView,
}

impl SummaryPage {
    /// The page's widgets, and the page itself (scrolled).
    pub fn new() -> (SummaryPage, gtk::Widget) {
        // Page 5: summary.
        let name = adw::EntryRow::builder().title(gettext("Name")).build();
        let name_group = group("");
        name_group.add(&name);
        let summary = gtk::ListBox::builder()
            .selection_mode(gtk::SelectionMode::None)
            .build();
        summary.add_css_class("boxed-list");
        summary.set_accessible_label(&gettext("Summary"));
        let summary_group = group(&gettext("Summary"));
        summary_group.add(&summary);
        let customize = gtk::Switch::builder().valign(gtk::Align::Center).build();
        let customize_row = adw::ActionRow::builder()
            .title(gettext("Customize configuration before install"))
            .subtitle(gettext(
                "Open the details first; the installation begins when you say so",
            ))
            .activatable_widget(&customize)
            .build();
        customize_row.add_suffix(&customize);
        let install_group = group(&gettext("Installation"));
        install_group.add(&customize_row);
        let xml = gtk::TextView::builder()
            .editable(false)
            .monospace(true)
            .wrap_mode(gtk::WrapMode::None)
            .top_margin(8)
            .bottom_margin(8)
            .left_margin(8)
            .right_margin(8)
            .build();
        xml.set_accessible_label(&gettext("Domain XML"));
        let xml_scroll = gtk::ScrolledWindow::builder()
            .child(&xml)
            .min_content_height(240)
            .build();
        xml_scroll.add_css_class("card");
        let xml_expander = gtk::Expander::builder()
            .label(gettext("XML that will be defined"))
            .child(&xml_scroll)
            .build();
        let xml_group = group("");
        xml_group.add(&xml_expander);

        let page = super::scrolled_page(&[
            name_group.upcast_ref(),
            install_group.upcast_ref(),
            summary_group.upcast_ref(),
            xml_group.upcast_ref(),
        ]);
        (
            SummaryPage {
                name,
                summary,
                customize,
                xml,
            },
            page,
        )
    }
}
