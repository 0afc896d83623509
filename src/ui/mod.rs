//! The Relm4 user interface.
//!
//! Widget code never calls `virt::` and never blocks the main loop: libvirt
//! work runs as Relm4 commands against [`crate::core::libvirt::Connection`].

mod a11y;
mod about;
mod add_connection;
mod app;
mod auth_dialog;
pub mod create_cli;
mod delete_dialog;
mod device_page;
mod dialog;
mod hardware;
mod host_window;
pub mod i18n;
mod msg;
mod os_picker;
mod preferences;
pub mod settings;
mod usage;
mod vm_details;
mod vm_item;
mod vm_list;
mod vm_row;
mod vm_window;
mod wizard;
mod xml_page;

use relm4::gtk::{gio, glib, prelude::*};
use relm4::{RelmApp, adw};

use crate::core::cli::Options;
use crate::core::config::APP_ID;

pub use app::AppInit;

/// Where `build.rs` left the compiled translations and schema for `cargo run`.
/// A packaged build sets `VIREO_LOCALEDIR` at compile time instead.
pub fn locale_dir() -> std::path::PathBuf {
    match option_env!("VIREO_LOCALEDIR") {
        Some(dir) => dir.into(),
        None => std::path::Path::new(env!("OUT_DIR")).join("locale"),
    }
}

fn register_resources() {
    gio::resources_register_include!("vireo.gresource").expect("the bundled GResource is valid");
}

/// Run the application until its last window closes.
pub fn run(options: Options) -> glib::ExitCode {
    glib::set_application_name("Vireo");
    glib::set_prgname(Some("vireo"));
    register_resources();

    let app = adw::Application::builder()
        .application_id(APP_ID)
        .resource_base_path(crate::core::config::RESOURCE_BASE)
        // One process per invocation for now: forwarding a second command
        // line to a running instance comes with the per-VM windows.
        .flags(gio::ApplicationFlags::NON_UNIQUE)
        .build();
    app.connect_startup(|app| {
        gtk_setup(app);
    });

    // Quit closes every window, so that each saves its state on the way out.
    let quit = gio::SimpleAction::new("quit", None);
    {
        let app = app.clone();
        quit.connect_activate(move |_, _| {
            for window in app.windows() {
                window.close();
            }
        });
    }
    app.add_action(&quit);
    app.set_accels_for_action("app.quit", &["<Control>q"]);
    app.set_accels_for_action("win.preferences", &["<Control>comma"]);
    app.set_accels_for_action("win.show-help-overlay", &["<Control>question"]);
    app.set_accels_for_action("window.close", &["<Control>w"]);
    app.set_accels_for_action("win.reconnect", &["<Control>r"]);
    app.set_accels_for_action("win.search", &["<Control>f"]);
    app.set_accels_for_action("win.new-vm", &["<Control>n"]);
    // The selected VM's actions (the list's header bar and row menus offer them too).
    for (action, accels) in [
        ("win.sel-open", &["<Control>o"][..]),
        ("win.sel-run", &["<Control><Shift>r"]),
        ("win.sel-pause", &["<Control><Shift>p"]),
        ("win.sel-resume", &["<Control><Shift>u"]),
        ("win.sel-shutdown", &["<Control><Shift>s"]),
        ("win.sel-reboot", &["<Control><Shift>b"]),
        ("win.sel-reset", &["<Control><Shift>t"]),
        ("win.sel-destroy", &["<Control><Shift>k"]),
        ("win.sel-save", &["<Control><Shift>m"]),
        ("win.sel-delete", &["<Shift>Delete"]),
    ] {
        app.set_accels_for_action(action, accels);
    }

    let relm = RelmApp::from_app(app.clone()).with_args(vec![]);
    relm.run::<app::App>(AppInit { options });
    glib::ExitCode::SUCCESS
}

fn gtk_setup(_app: &adw::Application) {
    relm4::set_global_css(&String::from_utf8_lossy(
        &gio::resources_lookup_data("/dev/vireo/Vireo/style.css", gio::ResourceLookupFlags::NONE)
            .expect("style.css is bundled"),
    ));
    relm4::gtk::Window::set_default_icon_name(APP_ID);
}
