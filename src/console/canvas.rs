//! `ConsoleView`: the GTK 4.8 widget that shows a guest screen and takes
//! its keyboard and pointer input.
//!
//! Rendering: gvnc decodes into the view's screen surface (an RGB24 cairo
//! image surface, in X shared memory on X11 under the cairo renderer; see
//! `xshm`). Under GTK's cairo renderer (machines without a GPU) `snapshot`
//! paints that surface as it is: no copy (GTK 4.8 converts textures for
//! cairo through floats, several times slower). Under GL the damaged
//! rectangles are copied into a shadow buffer with the unused fourth byte
//! made opaque, and at most one texture is built per frame, however many
//! rectangles arrived (GTK 4.8 has no partial texture updates).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gtk::glib::translate::IntoGlib;
use gtk::subclass::prelude::*;
use gtk::{self, cairo, gdk, glib, graphene, gsk, prelude::*};

use super::keymap::{self, KeyTracker};
use super::layout::{self, Rect, ScaleMode};
use super::xshm::WindowTarget;

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

/// Where the view sends input: the protocol session.
pub trait InputSink {
    fn key(&self, down: bool, keysym: u32, linux: u16);
    /// RFB button mask (bit 0 left, 1 middle, 2 right, 3/4 wheel up/down,
    /// 5/6 wheel left/right) at a guest pixel.
    fn pointer(&self, buttons: u8, x: u16, y: u16);
    /// Ask the guest for a new screen size (resize-guest mode); `false`
    /// when its display cannot be resized from here.
    fn request_size(&self, _width: u32, _height: u32) -> bool {
        false
    }
}

type GrabCallback = Box<dyn Fn(bool)>;

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct ConsoleView {
        pub(super) fb_size: Cell<(u32, u32)>,
        /// The guest screen as gvnc writes it (B, G, R, X rows).
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
        pub(super) input: RefCell<Option<Rc<dyn InputSink>>>,
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
    /// gvnc to draw into (`None` if cairo cannot make one that big).
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

    /// gvnc wrote a rectangle of the screen surface: show it next frame.
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
                if rects.len() >= 64 {
                    *list = None;
                } else {
                    rects.push([x, y, w, h]);
                }
            }
        }
        imp.dirty.set(true);
        // gvnc emits one signal per rectangle, each from its own idle
        // callback. Queue the redraw from a lower-priority idle, so that it
        // follows the whole update message instead of painting full frames
        // between its rectangles.
        if !imp.draw_pending.replace(true) {
            let this = self.downgrade();
            glib::idle_add_local_full(glib::Priority::LOW, move || {
                if let Some(this) = this.upgrade() {
                    this.imp().draw_pending.set(false);
                    if !this.draw_direct() {
                        // A new node makes GTK repaint the whole screen.
                        this.imp().node.replace(None);
                        this.queue_draw();
                    }
                }
                glib::ControlFlow::Break
            });
        }
    }

    /// Cairo renderer on X11: draw the fresh rectangles straight onto the
    /// window, as GTK 3 widgets did, instead of having GTK repaint the
    /// window (which costs three full-window passes per frame in software).
    /// GTK keeps painting this widget with the node it has (it shows the
    /// screen surface as it is at paint time), so whatever GTK repaints is
    /// current too. `false` when this cannot be done: then GTK repaints.
    fn draw_direct(&self) -> bool {
        let imp = self.imp();
        let (fw, fh) = imp.fb_size.get();
        let r = self.draw_rect();
        let Some(surface) = imp.screen.borrow().clone() else {
            return false;
        };
        // GTK must already show this geometry, and the widget be on screen.
        let key = NodeKey::new(r, &surface);
        if !self.cairo_renderer()
            || !self.is_drawable()
            || imp.node.borrow().as_ref().is_none_or(|(k, _)| *k != key)
        {
            return false;
        }
        let rects = imp
            .fresh
            .borrow()
            .clone()
            .unwrap_or_else(|| vec![[0, 0, fw, fh]]);
        if rects.is_empty() {
            return true;
        }
        // The damage in widget coordinates (a pixel more each way when
        // scaled: bilinear filtering reaches the neighbours).
        let (sx, sy) = (r.w / f64::from(fw), r.h / f64::from(fh));
        let scale = self.scale_factor();
        let pad = if scaled(r, fw, fh, scale) { 1.0 } else { 0.0 };
        let damage: Vec<graphene::Rect> = rects
            .iter()
            .map(|&[x, y, w, h]| {
                graphene::Rect::new(
                    (r.x + (f64::from(x) - pad) * sx) as f32,
                    (r.y + (f64::from(y) - pad) * sy) as f32,
                    ((f64::from(w) + 2.0 * pad) * sx) as f32,
                    ((f64::from(h) + 2.0 * pad) * sy) as f32,
                )
            })
            .collect();
        let Some((visible, covers)) = self.visible_area() else {
            return false;
        };
        // Something drawn over the console where it changed: GTK composes.
        if damage
            .iter()
            .any(|d| covers.iter().any(|c| c.intersection(d).is_some()))
        {
            return false;
        }
        let Some(native) = self.native() else {
            return false;
        };
        let Some(gdk_surface) = native.surface() else {
            return false;
        };
        let Some(target) = WindowTarget::for_surface(imp.target.take(), &gdk_surface) else {
            return false;
        };
        let Some(origin) = self.compute_point(&native, &graphene::Point::new(0.0, 0.0)) else {
            imp.target.replace(Some(target));
            return false;
        };
        let (nx, ny) = native.surface_transform();
        let drawn = cairo::Context::new(&target.surface).is_ok_and(|cr| {
            cr.scale(f64::from(scale), f64::from(scale));
            cr.translate(f64::from(origin.x()) + nx, f64::from(origin.y()) + ny);
            let add = |r: &graphene::Rect| {
                let f = |v: f32| f64::from(v);
                cr.rectangle(f(r.x()), f(r.y()), f(r.width()), f(r.height()));
            };
            add(&visible);
            cr.clip();
            damage.iter().for_each(add);
            cr.clip();
            paint_screen(&cr, &surface, r, fw, fh, scale);
            cr.status().is_ok()
        });
        target.flush();
        imp.target.replace(Some(target));
        if drawn {
            imp.fresh.replace(Some(Vec::new()));
            imp.dirty.set(false);
            imp.frames.set(imp.frames.get() + 1);
            imp.direct_frames.set(imp.direct_frames.get() + 1);
        }
        drawn
    }

    /// The part of the widget its ancestors let show, and the bounds (with
    /// room for shadows) of the widgets drawn over it (later children of an
    /// ancestor: overlays, toasts, scroll bars), in widget coordinates.
    fn visible_area(&self) -> Option<(graphene::Rect, Vec<graphene::Rect>)> {
        let mut visible = graphene::Rect::new(0.0, 0.0, self.width() as f32, self.height() as f32);
        let mut covers = Vec::new();
        let mut child: gtk::Widget = self.clone().upcast();
        while let Some(parent) = child.parent() {
            if child.is::<gtk::Native>() {
                break;
            }
            visible = visible.intersection(&parent.compute_bounds(self)?)?;
            let mut sibling = child.next_sibling();
            while let Some(s) = sibling {
                if s.is_drawable()
                    && !s.is::<gtk::Native>()
                    && let Some(b) = s.compute_bounds(self)
                {
                    // Shadows (toasts, popovers in the window) reach past
                    // the bounds.
                    let b = graphene::Rect::new(
                        b.x() - 16.0,
                        b.y() - 16.0,
                        b.width() + 32.0,
                        b.height() + 32.0,
                    );
                    if b.intersection(&visible).is_some() {
                        covers.push(b);
                    }
                }
                sibling = s.next_sibling();
            }
            child = parent;
        }
        Some((visible, covers))
    }

    /// Guest screen updates drawn straight onto the window so far.
    pub fn direct_frames(&self) -> u64 {
        self.imp().direct_frames.get()
    }

    /// Run `f` on the screen surface's bytes (B, G, R, X rows of the
    /// returned stride); `None` before the first screen.
    fn with_screen<T>(&self, f: impl FnOnce(&[u8], usize) -> T) -> Option<T> {
        let screen = self.imp().screen.borrow();
        let surface = screen.as_ref()?;
        let (data, stride) = super::fb::surface_memory(surface);
        let len = stride * surface.height().max(0) as usize;
        if data.is_null() || len == 0 {
            return None;
        }
        // SAFETY: the surface owns `len` bytes at `data` and stays alive
        // while borrowed; gvnc writes to it only from its own callbacks on
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

    pub fn set_input(&self, input: Option<Rc<dyn InputSink>>) {
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

    /// The modifiers that release the grab when pressed together and let go.
    pub fn set_release_modifiers(&self, mods: gdk::ModifierType) {
        if !mods.is_empty() {
            self.imp().release_mods.set(Some(mods));
        }
    }

    /// The grab's release combo (Ctrl+Alt unless set).
    pub fn release_modifiers(&self) -> gdk::ModifierType {
        self.imp()
            .release_mods
            .get()
            .unwrap_or(gdk::ModifierType::CONTROL_MASK | gdk::ModifierType::ALT_MASK)
    }

    /// Send keys as if typed: pressed in order, released in reverse.
    pub fn send_keys(&self, keys: &[(u32, u16)]) {
        let Some(input) = self.imp().input.borrow().clone() else {
            return;
        };
        for (down, keysym, linux) in keymap::combo_events(keys) {
            input.key(down, keysym, linux);
        }
    }

    /// Type `text` as key presses, through the host's keyboard layout (the
    /// guest is assumed to use the same one). Returns the characters that
    /// have no key on this layout.
    pub fn type_text(&self, text: &str) -> Vec<char> {
        let mut missing = Vec::new();
        let Some(display) = gdk::Display::default() else {
            return text.chars().collect();
        };
        for c in text.chars() {
            let keyval = match c {
                '\n' => gdk::Key::Return,
                '\t' => gdk::Key::Tab,
                c => unsafe { glib::translate::from_glib(gdk::unicode_to_keyval(c as u32)) },
            };
            let key = display.map_keyval(keyval).and_then(|keys| {
                keys.into_iter()
                    .filter(|k| k.group() == 0)
                    .min_by_key(|k| k.level())
            });
            let Some(key) = key else {
                missing.push(c);
                continue;
            };
            let linux = keymap::linux_from_hardware(key.keycode());
            let sym = keyval.into_glib();
            let combo: Vec<(u32, u16)> = match key.level() {
                0 => vec![(sym, linux)],
                1 => vec![
                    (keymap::keysym::SHIFT_L, keymap::linux::LEFT_SHIFT),
                    (sym, linux),
                ],
                2 => vec![(0xfe03, 100), (sym, linux)], // ISO_Level3_Shift on AltGr
                _ => vec![
                    (0xfe03, 100),
                    (keymap::keysym::SHIFT_L, keymap::linux::LEFT_SHIFT),
                    (sym, linux),
                ],
            };
            self.send_keys(&combo);
        }
        missing
    }

    /// Called when Resize Guest to Window cannot resize this guest's
    /// display (its server does not offer it).
    pub fn connect_resize_refused(&self, f: impl Fn() + 'static) {
        self.imp().on_resize_refused.borrow_mut().push(Box::new(f));
    }

    pub fn is_grabbed(&self) -> bool {
        self.imp().grabbed.get()
    }

    /// Called with `true` when the console grabs the keyboard, `false` when it lets go.
    pub fn connect_grab_changed(&self, f: impl Fn(bool) + 'static) {
        self.imp().on_grab.borrow_mut().push(Box::new(f));
    }

    /// Take the keyboard: system shortcuts go to the guest, and the app's
    /// own accelerators are switched off until the release combo.
    pub fn grab(&self) {
        if self.imp().grabbed.replace(true) {
            return;
        }
        self.grab_focus();
        self.set_app_shortcuts(false);
        if let Some(toplevel) = self
            .native()
            .and_then(|n| n.surface())
            .and_downcast::<gdk::Toplevel>()
        {
            toplevel.inhibit_system_shortcuts(None::<&gdk::Event>);
        }
        for f in self.imp().on_grab.borrow().iter() {
            f(true);
        }
    }

    pub fn ungrab(&self) {
        if !self.imp().grabbed.replace(false) {
            return;
        }
        self.set_app_shortcuts(true);
        if let Some(toplevel) = self
            .native()
            .and_then(|n| n.surface())
            .and_downcast::<gdk::Toplevel>()
        {
            toplevel.restore_system_shortcuts();
        }
        for f in self.imp().on_grab.borrow().iter() {
            f(false);
        }
    }

    /// GtkWindow runs application accelerators from a capture-phase
    /// controller, before any widget sees the key: turn it off while grabbed.
    fn set_app_shortcuts(&self, on: bool) {
        let Some(window) = self.root().and_downcast::<gtk::Window>() else {
            return;
        };
        let controllers = window.observe_controllers();
        for i in 0..controllers.n_items() {
            if let Some(c) = controllers.item(i).and_downcast::<gtk::EventController>()
                && c.name().as_deref() == Some("gtk-application-shortcuts")
            {
                c.set_propagation_phase(if on {
                    gtk::PropagationPhase::Capture
                } else {
                    gtk::PropagationPhase::None
                });
            }
        }
    }

    fn release_all_keys(&self) {
        let events = self.imp().keys.borrow_mut().release_all();
        if let Some(input) = self.imp().input.borrow().clone() {
            for (down, keysym, linux) in events {
                input.key(down, keysym, linux);
            }
        }
    }

    fn send_pointer(&self, x: f64, y: f64) {
        let imp = self.imp();
        let (fw, fh) = imp.fb_size.get();
        if fw == 0 {
            return;
        }
        let pos = layout::to_guest(x, y, self.draw_rect(), fw, fh);
        imp.last_pos.set(pos);
        if let Some(input) = imp.input.borrow().clone() {
            input.pointer(imp.buttons.get(), pos.0, pos.1);
        }
    }

    fn schedule_guest_resize(&self, width: i32, height: i32) {
        if let Some(id) = self.imp().resize_timer.take() {
            id.remove();
        }
        let sf = self.scale_factor().max(1);
        let this = self.downgrade();
        let id = glib::timeout_add_local_once(std::time::Duration::from_millis(500), move || {
            if let Some(this) = this.upgrade() {
                this.imp().resize_timer.take();
                let input = this.imp().input.borrow().clone();
                if let Some(input) = input
                    && !input.request_size((width * sf) as u32, (height * sf) as u32)
                {
                    for f in this.imp().on_resize_refused.borrow().iter() {
                        f();
                    }
                }
            }
        });
        self.imp().resize_timer.replace(Some(id));
    }

    fn setup_input(&self) {
        let keys = gtk::EventControllerKey::new();
        {
            let this = self.downgrade();
            keys.connect_key_pressed(move |_, keyval, keycode, state| {
                let Some(this) = this.upgrade() else {
                    return glib::Propagation::Proceed;
                };
                this.key_pressed(keyval, keycode, state);
                glib::Propagation::Stop
            });
        }
        {
            let this = self.downgrade();
            keys.connect_key_released(move |_, keyval, keycode, state| {
                if let Some(this) = this.upgrade() {
                    this.key_released(keyval, keycode, state);
                }
            });
        }
        self.add_controller(keys);

        let focus = gtk::EventControllerFocus::new();
        {
            let this = self.downgrade();
            focus.connect_leave(move |_| {
                if let Some(this) = this.upgrade() {
                    this.release_all_keys();
                    this.ungrab();
                }
            });
        }
        self.add_controller(focus);

        let motion = gtk::EventControllerMotion::new();
        {
            let this = self.downgrade();
            motion.connect_motion(move |_, x, y| {
                if let Some(this) = this.upgrade() {
                    this.send_pointer(x, y);
                }
            });
        }
        self.add_controller(motion);

        let click = gtk::GestureClick::builder().button(0).build();
        {
            let this = self.downgrade();
            click.connect_pressed(move |gesture, _, x, y| {
                let Some(this) = this.upgrade() else { return };
                if !this.is_grabbed() {
                    this.grab();
                }
                let bit = button_bit(gesture.current_button());
                this.imp().buttons.set(this.imp().buttons.get() | bit);
                this.send_pointer(x, y);
            });
        }
        {
            let this = self.downgrade();
            click.connect_released(move |gesture, _, x, y| {
                let Some(this) = this.upgrade() else { return };
                let bit = button_bit(gesture.current_button());
                this.imp().buttons.set(this.imp().buttons.get() & !bit);
                this.send_pointer(x, y);
            });
        }
        self.add_controller(click);

        let scroll = gtk::EventControllerScroll::new(
            gtk::EventControllerScrollFlags::BOTH_AXES | gtk::EventControllerScrollFlags::DISCRETE,
        );
        {
            let this = self.downgrade();
            scroll.connect_scroll(move |_, dx, dy| {
                let Some(this) = this.upgrade() else {
                    return glib::Propagation::Proceed;
                };
                let bit = if dy < 0.0 {
                    1 << 3
                } else if dy > 0.0 {
                    1 << 4
                } else if dx < 0.0 {
                    1 << 5
                } else if dx > 0.0 {
                    1 << 6
                } else {
                    return glib::Propagation::Stop;
                };
                let imp = this.imp();
                let (x, y) = imp.last_pos.get();
                if let Some(input) = imp.input.borrow().clone() {
                    input.pointer(imp.buttons.get() | bit, x, y);
                    input.pointer(imp.buttons.get(), x, y);
                }
                glib::Propagation::Stop
            });
        }
        self.add_controller(scroll);
    }

    fn key_pressed(&self, keyval: gdk::Key, keycode: u32, state: gdk::ModifierType) {
        let imp = self.imp();
        let linux = keymap::linux_from_hardware(keycode);
        // The release combo: only its modifiers held, nothing else pressed.
        let mods = state & modifier_mask() | modifier_of(keyval);
        if imp.grabbed.get() && modifier_of(keyval) != gdk::ModifierType::empty() {
            imp.combo_armed.set(mods == self.release_modifiers());
        } else {
            imp.combo_armed.set(false);
        }
        let events = imp.keys.borrow_mut().press(linux, keyval.into_glib());
        if let Some(input) = imp.input.borrow().clone() {
            for (down, keysym, linux) in events {
                input.key(down, keysym, linux);
            }
        }
    }

    fn key_released(&self, keyval: gdk::Key, keycode: u32, _state: gdk::ModifierType) {
        let imp = self.imp();
        let linux = keymap::linux_from_hardware(keycode);
        if let Some((down, keysym, linux)) = imp.keys.borrow_mut().release(linux)
            && let Some(input) = imp.input.borrow().clone()
        {
            input.key(down, keysym, linux);
        }
        if imp.combo_armed.replace(false) && self.release_modifiers().contains(modifier_of(keyval))
        {
            self.release_all_keys();
            self.ungrab();
        }
    }
}

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

fn button_bit(button: u32) -> u8 {
    match button {
        1 => 1,
        2 => 2,
        3 => 4,
        _ => 0,
    }
}

fn modifier_mask() -> gdk::ModifierType {
    gdk::ModifierType::CONTROL_MASK
        | gdk::ModifierType::ALT_MASK
        | gdk::ModifierType::SHIFT_MASK
        | gdk::ModifierType::SUPER_MASK
}

/// The modifier a modifier key sets (empty for other keys).
fn modifier_of(key: gdk::Key) -> gdk::ModifierType {
    match key {
        gdk::Key::Control_L | gdk::Key::Control_R => gdk::ModifierType::CONTROL_MASK,
        gdk::Key::Alt_L | gdk::Key::Alt_R | gdk::Key::Meta_L | gdk::Key::Meta_R => {
            gdk::ModifierType::ALT_MASK
        }
        gdk::Key::Shift_L | gdk::Key::Shift_R => gdk::ModifierType::SHIFT_MASK,
        gdk::Key::Super_L | gdk::Key::Super_R => gdk::ModifierType::SUPER_MASK,
        _ => gdk::ModifierType::empty(),
    }
}

/// Parse an accelerator-like modifier combo ("<Control><Alt>") for the
/// grab release; `None` when it names no modifier.
pub fn parse_release_combo(text: &str) -> Option<gdk::ModifierType> {
    let mut mods = gdk::ModifierType::empty();
    for part in text.split('>').map(|p| p.trim_start_matches('<').trim()) {
        mods |= match part.to_ascii_lowercase().as_str() {
            "control" | "ctrl" | "primary" => gdk::ModifierType::CONTROL_MASK,
            "alt" => gdk::ModifierType::ALT_MASK,
            "shift" => gdk::ModifierType::SHIFT_MASK,
            "super" => gdk::ModifierType::SUPER_MASK,
            "" => gdk::ModifierType::empty(),
            _ => return None,
        };
    }
    (!mods.is_empty()).then_some(mods)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_combos_parse_from_settings_strings() {
        let ctrl_alt = gdk::ModifierType::CONTROL_MASK | gdk::ModifierType::ALT_MASK;
        assert_eq!(parse_release_combo("<Control><Alt>"), Some(ctrl_alt));
        assert_eq!(parse_release_combo("<ctrl><alt>"), Some(ctrl_alt));
        assert_eq!(
            parse_release_combo("<Super><Alt>"),
            Some(gdk::ModifierType::SUPER_MASK | gdk::ModifierType::ALT_MASK)
        );
        assert_eq!(parse_release_combo(""), None);
        assert_eq!(parse_release_combo("<Hyper>"), None);
    }
}
