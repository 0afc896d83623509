//! The VM window's actions (`vm.*`): power, the console's menus (Send
//! Key, scaling, screenshots, fullscreen), and the hardware and media
//! actions of the Details page and the header's media menu, each forwarded
//! to the page that runs it.

use relm4::ComponentSender;
use relm4::gtk::{gio, glib, prelude::*};

use super::console_page::ConsoleInput;
use super::details_page::DetailsInput;
use super::header::combo;
use super::{VmWindow, VmWindowInput};
use crate::console::ScaleMode;
use crate::core::libvirt::PowerAction;
use crate::ui::main_window::vm_list;

impl VmWindow {
    /// The window's actions (`vm.*`): power, the console's menus, and the
    /// hardware actions of the Details page and the media menu.
    pub(super) fn actions(&self, sender: &ComponentSender<Self>) -> gio::SimpleActionGroup {
        let actions = gio::SimpleActionGroup::new();
        let simple = |name: &str, msg: fn() -> VmWindowInput| {
            let a = gio::SimpleAction::new(name, None);
            let input = sender.input_sender().clone();
            a.connect_activate(move |_, _| input.emit(msg()));
            actions.add_action(&a);
        };
        // The clipboard line of the console's menu: a status, not a command.
        let status = gio::SimpleAction::new("clipboard-status", None);
        status.set_enabled(false);
        actions.add_action(&status);
        simple("save-text", || {
            VmWindowInput::Console(ConsoleInput::SaveText)
        });
        {
            let input = sender.input_sender().clone();
            self.console_kind.connect_activate(move |a, t| {
                let Some(alias) = t.and_then(|t| t.get::<String>()) else {
                    return;
                };
                a.set_state(&alias.to_variant());
                let alias = (!alias.is_empty()).then_some(alias);
                input.emit(VmWindowInput::Console(ConsoleInput::UseText(alias)));
            });
        }
        actions.add_action(&self.console_kind);
        simple("type-clipboard", || {
            VmWindowInput::Console(ConsoleInput::TypeClipboard)
        });
        simple("screenshot", || {
            VmWindowInput::Console(ConsoleInput::Screenshot)
        });
        simple("reconnect", || {
            VmWindowInput::Console(ConsoleInput::Reconnect)
        });
        simple("fullscreen", || VmWindowInput::ToggleFullscreen);
        simple("clone", || VmWindowInput::Clone);
        simple("migrate", || VmWindowInput::Migrate);
        simple("edit-vcpus", || {
            VmWindowInput::Details(DetailsInput::EditVcpus)
        });
        simple("edit-memory", || {
            VmWindowInput::Details(DetailsInput::EditMemory)
        });
        simple("add-hardware", || {
            VmWindowInput::Details(DetailsInput::AddHardware)
        });
        simple("add-disk", || VmWindowInput::Details(DetailsInput::AddDisk));
        for action in PowerAction::ALL {
            let a = gio::SimpleAction::new(vm_list::action_id(action), None);
            let input = sender.input_sender().clone();
            a.connect_activate(move |_, _| input.emit(VmWindowInput::Power(action)));
            actions.add_action(&a);
        }
        let send = gio::SimpleAction::new("send-keys", Some(glib::VariantTy::STRING));
        {
            let input = sender.input_sender().clone();
            send.connect_activate(move |_, t| {
                if let Some(keys) = t.and_then(|t| t.get::<String>()).and_then(|t| combo(&t)) {
                    input.emit(VmWindowInput::Console(ConsoleInput::SendKeys(keys)));
                }
            });
        }
        actions.add_action(&send);
        {
            let input = sender.input_sender().clone();
            self.scale.connect_activate(move |a, t| {
                let Some(id) = t.and_then(|t| t.get::<String>()) else {
                    return;
                };
                a.set_state(&id.to_variant());
                input.emit(VmWindowInput::Console(ConsoleInput::Scale(
                    match id.as_str() {
                        "one" => ScaleMode::OneToOne,
                        "resize" => ScaleMode::ResizeGuest,
                        _ => ScaleMode::Fit,
                    },
                )));
            });
        }
        actions.add_action(&self.scale);
        {
            let input = sender.input_sender().clone();
            self.display.connect_activate(move |a, t| {
                let Some(index) = t.and_then(|t| t.get::<u32>()) else {
                    return;
                };
                a.set_state(&index.to_variant());
                input.emit(VmWindowInput::Console(ConsoleInput::UseDisplay(index)));
            });
        }
        actions.add_action(&self.display);
        {
            let input = sender.input_sender().clone();
            self.autostart.connect_change_state(move |a, value| {
                let Some(on) = value.and_then(|v| v.get::<bool>()) else {
                    return;
                };
                a.set_state(&on.to_variant());
                input.emit(VmWindowInput::Details(DetailsInput::Autostart(on)));
            });
        }
        actions.add_action(&self.autostart);
        for (name, make) in [
            (
                "remove-disk",
                DetailsInput::RemoveDisk as fn(String) -> DetailsInput,
            ),
            ("remove-device", DetailsInput::RemoveDevice),
            ("browse-media", DetailsInput::BrowseMedia),
            ("eject-media", |target| DetailsInput::Media {
                target,
                iso: None,
                force: false,
            }),
        ] {
            let a = gio::SimpleAction::new(name, Some(glib::VariantTy::STRING));
            let input = sender.input_sender().clone();
            a.connect_activate(move |_, t| {
                if let Some(target) = t.and_then(|t| t.get::<String>()) {
                    input.emit(VmWindowInput::Details(make(target)));
                }
            });
            actions.add_action(&a);
        }
        let insert =
            gio::SimpleAction::new("insert-media", Some(glib::VariantTy::new("(ss)").unwrap()));
        {
            let input = sender.input_sender().clone();
            insert.connect_activate(move |_, t| {
                if let Some((target, iso)) = t.and_then(|t| t.get::<(String, String)>()) {
                    input.emit(VmWindowInput::Details(DetailsInput::Media {
                        target,
                        iso: Some(iso),
                        force: false,
                    }));
                }
            });
        }
        actions.add_action(&insert);
        actions
    }
}
