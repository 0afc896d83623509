//! `ConsoleView`: the GTK 4.8 widget that shows a guest screen and takes
//! its keyboard and pointer input.
//!
//! It knows no protocol: a session (see `display`) decodes into the view's screen surface (an RGB24 cairo
//! image surface, in X shared memory on X11 under the cairo renderer; see
//! `xshm`). Under GTK's cairo renderer (machines without a GPU) `snapshot`
//! paints that surface as it is: no copy (GTK 4.8 converts textures for
//! cairo through floats, several times slower). Under GL the damaged
//! rectangles are copied into a shadow buffer with the unused fourth byte
//! made opaque, and at most one texture is built per frame, however many
//! rectangles arrived (GTK 4.8 has no partial texture updates).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gtk::subclass::prelude::*;
use gtk::{self, cairo, gdk, glib, graphene, gsk, prelude::*};

use super::display::DisplaySource;
use super::keymap::{self, KeyTracker};
use super::layout::{self, Rect, ScaleMode};
use super::xshm::WindowTarget;

mod direct;
mod input;

pub(crate) use input::{modifier_mask, modifier_of};

pub use input::parse_release_combo;

/// What a cached screen node depends on: where the screen is drawn, and
/// which screen surface.
#[derive(Clone, Copy, PartialEq, Debug)]
struct NodeKey {
    rect: [f64; 4],
    screen: usize,
}

impl NodeKey {
    fn new(draw: Rect, screen: &cairo::ImageSurface) -> NodeKey {
        NodeKey {
            rect: [draw.x, draw.y, draw.w, draw.h],
            screen: screen.to_raw_none() as usize,
        }
    }
}

type GrabCallback = Box<dyn Fn(bool)>;

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct ConsoleView {
        pub(super) fb_size: Cell<(u32, u32)>,
        /// The guest screen as the session writes it (B, G, R, X rows).
        pub(super) screen: RefCell<Option<cairo::ImageSurface>>,
        /// B, G, R, A rows of the guest screen, alpha always 0xFF, for
        /// textures: up to date but for `stale`.
        pub(super) shadow: RefCell<Vec<u8>>,
        /// Rectangles of `screen` changed since `shadow` was; `None`: all.
        pub(super) stale: RefCell<Option<Vec<[u32; 4]>>>,
        pub(super) dirty: Cell<bool>,
        pub(super) texture: RefCell<Option<gdk::Texture>>,
        /// Cairo renderer: the node painting the screen surface, kept while
        /// its geometry holds (GTK then sees nothing changed).
        pub(super) node: RefCell<Option<(NodeKey, gsk::RenderNode)>>,
        /// Rectangles not shown yet since the last frame; `None`: all.
        pub(super) fresh: RefCell<Option<Vec<[u32; 4]>>>,
        pub(super) target: RefCell<Option<WindowTarget>>,
        pub(super) direct_frames: Cell<u64>,
        pub(super) mode: Cell<ScaleMode>,
        pub(super) input: RefCell<Option<Rc<dyn DisplaySource>>>,
        pub(super) keys: RefCell<KeyTracker>,
        pub(super) buttons: Cell<u8>,
        pub(super) last_pos: Cell<(u16, u16)>,
        pub(super) grabbed: Cell<bool>,
        /// Modifiers that, pressed together then released, end the grab.
        pub(super) release_mods: Cell<Option<gdk::ModifierType>>,
        pub(super) combo_armed: Cell<bool>,
        pub(super) on_grab: RefCell<Vec<GrabCallback>>,
        pub(super) on_resize_refused: RefCell<Vec<Box<dyn Fn()>>>,
        pub(super) resize_timer: RefCell<Option<glib::SourceId>>,
        pub(super) frames: Cell<u64>,
        /// A redraw is scheduled after the pending damage.
        pub(super) draw_pending: Cell<bool>,
        /// When guest updates were last drawn straight onto the window.
        pub(super) last_direct: Cell<Option<std::time::Instant>>,
        /// Typed text's key events not sent yet (paced: see `type_text`).
        pub(super) typing: RefCell<std::collections::VecDeque<keymap::KeyEvent>>,
        pub(super) typing_timer: RefCell<Option<glib::SourceId>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for ConsoleView {
        const NAME: &'static str = "VireoConsoleView";
        type Type = super::ConsoleView;
        type ParentType = gtk::Widget;

        fn class_init(klass: &mut Self::Class) {
            klass.set_css_name("console");
        }
    }

    impl ObjectImpl for ConsoleView {
        fn constructed(&self) {
            self.parent_constructed();
            let obj = self.obj();
            obj.set_focusable(true);
            obj.set_can_focus(true);
            obj.set_hexpand(true);
            obj.set_vexpand(true);
            obj.setup_input();
        }
    }

    impl WidgetImpl for ConsoleView {
        fn snapshot(&self, snapshot: &gtk::Snapshot) {
            let obj = self.obj();
            let (w, h) = (f64::from(obj.width()), f64::from(obj.height()));
            let black = |x: f64, y: f64, bw: f64, bh: f64| {
                if bw > 0.0 && bh > 0.0 {
                    snapshot.append_color(
                        &gdk::RGBA::BLACK,
                        &graphene::Rect::new(x as f32, y as f32, bw as f32, bh as f32),
                    );
                }
            };
            let (fw, fh) = self.fb_size.get();
            if fw == 0 || fh == 0 {
                black(0.0, 0.0, w, h);
                return;
            }
            let r = obj.draw_rect();
            // Black bars around the screen only: under software rendering
            // a fill of the whole widget costs as much as a copy of it.
            black(0.0, 0.0, w, r.y);
            black(0.0, r.y + r.h, w, h - r.y - r.h);
            black(0.0, r.y, r.x, r.h);
            black(r.x + r.w, r.y, w - r.x - r.w, r.h);
            // GTK's cairo renderer (machines without a GPU) turns every
            // texture into a cairo surface through floats (GTK 4.8): give
            // it the screen surface to paint instead. Its contents change
            // behind cairo's back, on purpose: marking it dirty would make
            // cairo copy it for the previous frame's node, which GTK keeps
            // only to compare with, never to paint again.
            if obj.cairo_renderer() {
                if self.dirty.replace(false) {
                    self.frames.set(self.frames.get() + 1);
                }
                let Some(surface) = self.screen.borrow().clone() else {
                    return;
                };
                let key = NodeKey::new(r, &surface);
                let cached = self
                    .node
                    .borrow()
                    .as_ref()
                    .filter(|(k, _)| *k == key)
                    .map(|(_, n)| n.clone());
                let node = cached.unwrap_or_else(|| {
                    let bounds =
                        graphene::Rect::new(r.x as f32, r.y as f32, r.w as f32, r.h as f32);
                    let node = gsk::CairoNode::new(&bounds);
                    {
                        let cr = node.draw_context();
                        paint_screen(&cr, &surface, r, fw, fh, obj.scale_factor());
                    }
                    let node: gsk::RenderNode = node.upcast();
                    self.node.replace(Some((key, node.clone())));
                    // A new node: GTK repaints all of the screen.
                    self.fresh.replace(Some(Vec::new()));
                    node
                });
                snapshot.append_node(&node);
                return;
            }
            if self.dirty.replace(false) || self.texture.borrow().is_none() {
                self.texture.replace(self.obj().texture());
                self.frames.set(self.frames.get() + 1);
            }
            if let Some(texture) = self.texture.borrow().as_ref() {
                snapshot.append_texture(
                    texture,
                    &graphene::Rect::new(r.x as f32, r.y as f32, r.w as f32, r.h as f32),
                );
            }
        }

        fn measure(&self, orientation: gtk::Orientation, _for_size: i32) -> (i32, i32, i32, i32) {
            let (fw, fh) = self.fb_size.get();
            let (nw, nh) = layout::natural_size(fw, fh, self.obj().scale_factor());
            let natural = if orientation == gtk::Orientation::Horizontal {
                nw
            } else {
                nh
            };
            // Fit and Resize Guest let the window shrink below the guest.
            let minimum = match self.mode.get() {
                ScaleMode::Fit | ScaleMode::ResizeGuest => natural.min(64),
                ScaleMode::OneToOne => natural,
            };
            (minimum, natural.max(minimum), -1, -1)
        }

        fn unrealize(&self) {
            self.target.take();
            self.node.take();
            self.parent_unrealize();
        }

        fn size_allocate(&self, width: i32, height: i32, baseline: i32) {
            self.parent_size_allocate(width, height, baseline);
            if self.mode.get() == ScaleMode::ResizeGuest {
                self.obj().schedule_guest_resize(width, height);
            }
        }
    }
}

glib::wrapper! {
    pub struct ConsoleView(ObjectSubclass<imp::ConsoleView>)
        @extends gtk::Widget,
        @implements gtk::Buildable, gtk::ConstraintTarget;
}

impl Default for ConsoleView {
    fn default() -> Self {
        glib::Object::new()
    }
}

impl ConsoleView {
    pub fn new() -> ConsoleView {
        ConsoleView::default()
    }

    /// The guest screen has a new size: a new, black screen surface for
    /// the session to draw into (`None` if cairo cannot make one that big).
    pub fn resize(&self, width: u32, height: u32) -> Option<cairo::ImageSurface> {
        let imp = self.imp();
        let (w, h) = (i32::try_from(width).ok()?, i32::try_from(height).ok()?);
        let shared = if self.cairo_renderer() {
            super::xshm::shared_surface(&self.display(), w, h)
        } else {
            None
        };
        let surface = match shared {
            Some(s) => s,
            None => cairo::ImageSurface::create(cairo::Format::Rgb24, w, h).ok()?,
        };
        imp.fb_size.set((width, height));
        imp.screen.replace(Some(surface.clone()));
        imp.shadow.replace(Vec::new());
        imp.stale.replace(None);
        imp.fresh.replace(None);
        imp.node.replace(None);
        imp.texture.replace(None);
        imp.dirty.set(true);
        self.queue_resize();
        self.queue_draw();
        Some(surface)
    }

    /// GTK paints this widget with its cairo renderer (no GPU): checked on
    /// the window's renderer, or before there is one, on `GSK_RENDERER`.
    fn cairo_renderer(&self) -> bool {
        match self.native().and_then(|n| n.renderer()) {
            Some(r) => r.type_().name() == "GskCairoRenderer",
            None => std::env::var("GSK_RENDERER").is_ok_and(|v| v == "cairo"),
        }
    }

    /// The session wrote a rectangle of the screen surface: show it next frame.
    pub fn damage(&self, x: u32, y: u32, w: u32, h: u32) {
        let imp = self.imp();
        let (fw, fh) = imp.fb_size.get();
        let (x, y) = (x.min(fw), y.min(fh));
        let (w, h) = (w.min(fw - x), h.min(fh - y));
        if w == 0 || h == 0 {
            return;
        }
        for list in [&imp.stale, &imp.fresh] {
            let mut list = list.borrow_mut();
            if let Some(rects) = list.as_mut() {
                rects.push([x, y, w, h]);
                if rects.len() > 64 {
                    // Many small pieces (a SPICE server's redrawn screen):
                    // the box around them, not the whole screen.
                    *rects = vec![bounding_box(rects)];
                }
            }
        }
        imp.dirty.set(true);
        // A session may report one rectangle at a time (gvnc does), each from its own idle
        // callback. Queue the redraw from a lower-priority idle, so that it
        // follows the whole update message instead of painting full frames
        // between its rectangles; and draw at most once a frame (SPICE
        // servers send a redrawn screen as many small images, each its own
        // message): damage that comes sooner waits for the frame's end.
        if !imp.draw_pending.replace(true) {
            let this = self.downgrade();
            let draw = move || {
                if let Some(this) = this.upgrade() {
                    this.imp().draw_pending.set(false);
                    if !this.draw_direct() {
                        // A new node makes GTK repaint the whole screen.
                        this.imp().node.replace(None);
                        this.queue_draw();
                    }
                }
            };
            let since = imp.last_direct.get().map(|t| t.elapsed());
            match since {
                Some(since) if since < FRAME => {
                    glib::timeout_add_local_full(FRAME - since, glib::Priority::LOW, move || {
                        draw();
                        glib::ControlFlow::Break
                    });
                }
                _ => {
                    glib::idle_add_local_full(glib::Priority::LOW, move || {
                        draw();
                        glib::ControlFlow::Break
                    });
                }
            }
        }
    }

    /// Run `f` on the screen surface's bytes (B, G, R, X rows of the
    /// returned stride); `None` before the first screen.
    fn with_screen<T>(&self, f: impl FnOnce(&[u8], usize) -> T) -> Option<T> {
        let screen = self.imp().screen.borrow();
        let surface = screen.as_ref()?;
        let (data, stride) = surface_memory(surface);
        let len = stride * surface.height().max(0) as usize;
        if data.is_null() || len == 0 {
            return None;
        }
        // SAFETY: the surface owns `len` bytes at `data` and stays alive
        // while borrowed; the session writes to it only from its own callbacks on
        // this thread, never while this runs.
        let bytes = unsafe { std::slice::from_raw_parts(data, len) };
        Some(f(bytes, stride))
    }

    /// Bring the opaque shadow copy up to date with the screen surface.
    fn refresh_shadow(&self) {
        let imp = self.imp();
        let (fw, fh) = imp.fb_size.get();
        let dst_stride = fw as usize * 4;
        let mut shadow = imp.shadow.borrow_mut();
        if shadow.len() != dst_stride * fh as usize {
            shadow.clear();
            shadow.resize(dst_stride * fh as usize, 0);
            imp.stale.replace(None);
        }
        let rects = imp
            .stale
            .replace(Some(Vec::new()))
            .unwrap_or_else(|| vec![[0, 0, fw, fh]]);
        self.with_screen(|src, stride| {
            for [x, y, w, h] in rects {
                let (x, w) = (x as usize * 4, w as usize * 4);
                for row in y as usize..(y + h) as usize {
                    let (from, to) = (row * stride + x, row * dst_stride + x);
                    let (Some(src), Some(dst)) =
                        (src.get(from..from + w), shadow.get_mut(to..to + w))
                    else {
                        break;
                    };
                    dst.copy_from_slice(src);
                    for px in dst.chunks_exact_mut(4) {
                        px[3] = 0xff;
                    }
                }
            }
        });
    }

    /// The guest's pointer image (RGBA, 8 bits per channel), or `None` to hide it.
    pub fn set_guest_cursor(&self, cursor: Option<(&[u8], u32, u32, i32, i32)>) {
        let gdk_cursor = match cursor {
            Some((rgba, w, h, hot_x, hot_y))
                if w > 0 && h > 0 && rgba.len() >= (w * h * 4) as usize =>
            {
                let bytes = glib::Bytes::from(&rgba[..(w * h * 4) as usize]);
                let texture = gdk::MemoryTexture::new(
                    w as i32,
                    h as i32,
                    gdk::MemoryFormat::R8g8b8a8,
                    &bytes,
                    w as usize * 4,
                );
                gdk::Cursor::from_texture(&texture, hot_x, hot_y, None)
            }
            _ => gdk::Cursor::from_name("none", None).unwrap_or_else(|| {
                gdk::Cursor::from_texture(
                    &gdk::MemoryTexture::new(
                        1,
                        1,
                        gdk::MemoryFormat::R8g8b8a8,
                        &glib::Bytes::from(&[0u8; 4][..]),
                        4,
                    ),
                    0,
                    0,
                    None,
                )
            }),
        };
        self.set_cursor(Some(&gdk_cursor));
    }

    pub fn set_input(&self, input: Option<Rc<dyn DisplaySource>>) {
        self.imp().input.replace(input);
    }

    pub fn set_scale_mode(&self, mode: ScaleMode) {
        self.imp().mode.set(mode);
        self.queue_resize();
        self.queue_draw();
    }

    pub fn scale_mode(&self) -> ScaleMode {
        self.imp().mode.get()
    }

    /// The guest screen's size (0×0 before the first connection).
    pub fn guest_size(&self) -> (u32, u32) {
        self.imp().fb_size.get()
    }

    /// Textures built so far (one per rendered frame with new content).
    pub fn frames_rendered(&self) -> u64 {
        self.imp().frames.get()
    }

    /// The current guest screen as a new texture (a frame, a screenshot).
    pub fn texture(&self) -> Option<gdk::Texture> {
        let (fw, fh) = self.imp().fb_size.get();
        if fw == 0 || fh == 0 {
            return None;
        }
        self.refresh_shadow();
        let bytes = glib::Bytes::from(&self.imp().shadow.borrow()[..]);
        Some(
            gdk::MemoryTexture::new(
                fw as i32,
                fh as i32,
                gdk::MemoryFormat::B8g8r8a8Premultiplied,
                &bytes,
                fw as usize * 4,
            )
            .upcast(),
        )
    }

    /// One pixel of the guest screen as B, G, R, A.
    pub fn pixel(&self, x: u32, y: u32) -> Option<[u8; 4]> {
        let (fw, fh) = self.imp().fb_size.get();
        if x >= fw || y >= fh {
            return None;
        }
        self.with_screen(|bytes, stride| {
            let at = y as usize * stride + x as usize * 4;
            bytes.get(at..at + 4).map(|p| [p[0], p[1], p[2], 0xff])
        })
        .flatten()
    }

    /// Where the guest screen is drawn in the widget.
    pub fn draw_rect(&self) -> Rect {
        let (fw, fh) = self.imp().fb_size.get();
        layout::draw_rect(
            self.imp().mode.get(),
            f64::from(self.width()),
            f64::from(self.height()),
            fw,
            fh,
            self.scale_factor(),
        )
    }
}

/// The smallest rectangle (x, y, w, h) that holds all of `rects`.
fn bounding_box(rects: &[[u32; 4]]) -> [u32; 4] {
    let x0 = rects.iter().map(|r| r[0]).min().unwrap_or(0);
    let y0 = rects.iter().map(|r| r[1]).min().unwrap_or(0);
    let x1 = rects.iter().map(|r| r[0] + r[2]).max().unwrap_or(0);
    let y1 = rects.iter().map(|r| r[1] + r[3]).max().unwrap_or(0);
    [x0, y0, x1 - x0, y1 - y0]
}

/// The shortest time between two direct draws (60 a second).
const FRAME: std::time::Duration = std::time::Duration::from_millis(16);

/// Whether a `fw` × `fh` screen drawn in `draw` at `scale` is resized on
/// the way to device pixels.
fn scaled(draw: Rect, fw: u32, fh: u32, scale: i32) -> bool {
    let sf = f64::from(scale.max(1));
    (draw.w * sf - f64::from(fw)).abs() > 0.5 || (draw.h * sf - f64::from(fh)).abs() > 0.5
}

/// Paint the guest screen `surface` (`fw` × `fh`) into `draw` (relative to
/// the context's origin, which is the widget's) at HiDPI `scale`.
fn paint_screen(
    cr: &cairo::Context,
    surface: &cairo::ImageSurface,
    draw: Rect,
    fw: u32,
    fh: u32,
    scale: i32,
) {
    cr.save().ok();
    cr.translate(draw.x, draw.y);
    cr.scale(draw.w / f64::from(fw), draw.h / f64::from(fh));
    if cr.set_source_surface(surface, 0.0, 0.0).is_ok() {
        // Scaled: bilinear (pixman's default box filter costs several
        // times more); 1:1 copies pixels. Edges repeat instead of fading.
        let source = cr.source();
        source.set_filter(if scaled(draw, fw, fh, scale) {
            cairo::Filter::Bilinear
        } else {
            cairo::Filter::Nearest
        });
        source.set_extend(cairo::Extend::Pad);
        cr.rectangle(0.0, 0.0, f64::from(fw), f64::from(fh));
        let _ = cr.fill();
    }
    cr.restore().ok();
}

/// The first byte and the row stride of an RGB24 image surface.
pub(super) fn surface_memory(surface: &cairo::ImageSurface) -> (*mut u8, usize) {
    // SAFETY: a valid image surface; the pointer lives as long as it does.
    let data = unsafe { cairo::ffi::cairo_image_surface_get_data(surface.to_raw_none()) };
    (data, surface.stride().max(0) as usize)
}

#[cfg(test)]
mod tests {
    use super::bounding_box;

    #[test]
    fn many_small_updates_become_the_box_around_them() {
        // Stripes of a band in the middle of a 1920x1080 screen.
        let stripes: Vec<[u32; 4]> = (0..100).map(|i| [0, 400 + i * 2, 1920, 2]).collect();
        assert_eq!(bounding_box(&stripes), [0, 400, 1920, 200]);
        assert_eq!(
            bounding_box(&[[10, 20, 5, 5], [100, 5, 10, 10]]),
            [10, 5, 100, 20]
        );
    }
}
