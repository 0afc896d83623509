//! The Relm4 user interface.
//!
//! Widget code never calls `virt::` and never blocks the main loop: libvirt
//! work runs as Relm4 commands against [`crate::core::libvirt::Connection`].

mod a11y;
pub mod clone_cli;
pub mod create_cli;
mod dialog;
mod dialogs;
mod host_window;
pub mod i18n;
mod main_window;
mod msg;
pub mod settings;
mod vm_window;
mod wizard;

use relm4::gtk::{gio, glib, prelude::*};
use relm4::{RelmApp, adw};

use crate::core::cli::Options;
use crate::core::config::APP_ID;

pub use main_window::AppInit;

/// Where `build.rs` left the compiled translations and schema for `cargo run`.
/// A packaged build sets `VIREO_LOCALEDIR` at compile time instead.
pub fn locale_dir() -> std::path::PathBuf {
    match option_env!("VIREO_LOCALEDIR") {
        Some(dir) => dir.into(),
        None => std::path::Path::new(env!("OUT_DIR")).join("locale"),
    }
}

/// Whether the machine has a GPU GTK can render with (a DRM device).
fn has_gpu(dri: &std::path::Path) -> bool {
    std::fs::read_dir(dri).is_ok_and(|entries| {
        entries
            .filter_map(|e| e.ok())
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    })
}

/// Choose GTK's renderer before GTK starts: without a GPU, GTK 4.8's GL
/// renderer runs on llvmpipe, and its cairo renderer with GL off is the
/// better software path (the VM list of 1000 VMs in 95 MB instead of 153,
/// first rows sooner, the console painted from a cairo surface at the
/// guest's frame rate). `GSK_RENDERER` set by the user
/// wins. Call it first in `main`, while the process has one thread.
pub fn choose_renderer() {
    if std::env::var_os("GSK_RENDERER").is_none() && !has_gpu(std::path::Path::new("/dev/dri")) {
        // SAFETY: called at the start of main, before any other thread runs.
        unsafe { std::env::set_var("GSK_RENDERER", "cairo") };
        // Nor load GL at all (llvmpipe alone is ~60 MB resident).
        if std::env::var_os("GDK_DEBUG").is_none() {
            // SAFETY: as above.
            unsafe { std::env::set_var("GDK_DEBUG", "gl-disable") };
        }
    }
    if std::env::var("GSK_RENDERER").as_deref() == Ok("cairo") {
        keep_frame_buffers();
    }
}

/// Software rendering allocates a few screen-sized buffers per frame (GTK's
/// paint surface, cairo's uploads). glibc hands allocations that large to
/// the kernel and back every time, and the fresh pages' faults cost more
/// than the drawing: keep them in the heap instead.
fn keep_frame_buffers() {
    unsafe extern "C" {
        fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
    }
    const M_TRIM_THRESHOLD: std::ffi::c_int = -1;
    const M_MMAP_THRESHOLD: std::ffi::c_int = -3;
    // SAFETY: plain glibc tuning calls, made before any other thread runs.
    unsafe {
        mallopt(M_MMAP_THRESHOLD, 64 << 20);
        mallopt(M_TRIM_THRESHOLD, 128 << 20);
    }
}

/// Give the heap's free pages back to the system once a burst of work is
/// over (a host's 1000 domains listed, parsed and sorted): the frame-buffer
/// tuning above keeps freed memory otherwise, and a list's start-up peak
/// would stay resident for good. Called a few seconds after the list
/// settles; the console's buffers come back on its next frame.
pub(crate) fn return_free_memory() {
    #[cfg(target_env = "gnu")]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: glibc's malloc_trim takes no pointers; any thread may call it.
        unsafe {
            malloc_trim(0);
        }
    }
}

fn register_resources() {
    gio::resources_register_include!("vireo.gresource").expect("the bundled GResource is valid");
}

static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// With `VIREO_TRACE_STARTUP` set, print a step of the start-up timeline
/// with the milliseconds since [`run`] began (the list benchmark reads it).
pub(crate) fn trace(step: &str) {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *ON.get_or_init(|| std::env::var_os("VIREO_TRACE_STARTUP").is_some()) {
        let ms = STARTED
            .get()
            .map_or(0.0, |t| t.elapsed().as_secs_f64() * 1000.0);
        eprintln!("vireo-trace: {step} at {ms:.0} ms");
    }
}

/// Run the application until its last window closes.
pub fn run(options: Options) -> glib::ExitCode {
    STARTED.get_or_init(std::time::Instant::now);
    // The hosts shown at start, opened while GTK builds the window (from
    // `startup`, once GTK's main loop owns GLib's default context: libvirt's
    // event-loop thread iterates that context too, and started earlier it
    // took it first and left GTK without its main loop).
    let early_uris = {
        let saved: Vec<String> = settings::open()
            .strv("autoconnect")
            .iter()
            .map(|s| s.to_string())
            .collect();
        (options.connect.clone(), saved)
    };
    let early_uris = std::cell::Cell::new(Some(early_uris));
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
    app.connect_startup(move |app| {
        if let Some((cli, saved)) = early_uris.take() {
            // Known before the window asks for them (a local socket check).
            let uris = crate::core::uri::initial_uris(
                &cli,
                &saved,
                crate::core::uri::system_daemon_reachable,
            );
            main_window::early::start(uris);
        }
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
    relm.run::<main_window::App>(AppInit { options });
    glib::ExitCode::SUCCESS
}

fn gtk_setup(_app: &adw::Application) {
    relm4::set_global_css(&String::from_utf8_lossy(
        &gio::resources_lookup_data("/dev/vireo/Vireo/style.css", gio::ResourceLookupFlags::NONE)
            .expect("style.css is bundled"),
    ));
    relm4::gtk::Window::set_default_icon_name(APP_ID);
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_drm_render_node_is_a_gpu() {
        let dir = std::env::temp_dir().join(format!("vireo-dri-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert!(!super::has_gpu(&dir), "an empty /dev/dri");
        assert!(!super::has_gpu(&dir.join("missing")), "no /dev/dri");
        std::fs::write(dir.join("renderD128"), b"").unwrap();
        assert!(super::has_gpu(&dir));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
