//! The Snapshots page of a VM window. Taking and restoring snapshots is
//! not built yet: the page says so.

use gettextrs::gettext;
use relm4::adw;
use relm4::{ComponentParts, ComponentSender, SimpleComponent};

pub struct SnapshotsPage;

impl SimpleComponent for SnapshotsPage {
    type Init = ();
    type Input = ();
    type Output = ();
    type Root = adw::StatusPage;
    type Widgets = ();

    fn init_root() -> adw::StatusPage {
        adw::StatusPage::builder()
            .icon_name("camera-photo-symbolic")
            .title(gettext("Snapshots"))
            .description(gettext(
                "Taking and restoring snapshots is not available yet.",
            ))
            .build()
    }

    fn init(_: (), _root: adw::StatusPage, _sender: ComponentSender<Self>) -> ComponentParts<Self> {
        ComponentParts {
            model: SnapshotsPage,
            widgets: (),
        }
    }
}
