//! The direct X11 path: under GTK's cairo renderer on X11, guest updates
//! are drawn straight onto the toplevel's window from the shared-memory
//! screen surface, unless a widget is drawn over the changed area.

use gtk::{self, cairo, graphene, prelude::*, subclass::prelude::*};

use super::super::xshm::WindowTarget;
use super::{ConsoleView, NodeKey, paint_screen, scaled};

impl ConsoleView {
    /// Cairo renderer on X11: draw the fresh rectangles straight onto the
    /// window, as GTK 3 widgets did, instead of having GTK repaint the
    /// window (which costs three full-window passes per frame in software).
    /// GTK keeps painting this widget with the node it has (it shows the
    /// screen surface as it is at paint time), so whatever GTK repaints is
    /// current too. `false` when this cannot be done: then GTK repaints.
    pub(super) fn draw_direct(&self) -> bool {
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
            imp.last_direct.set(Some(std::time::Instant::now()));
        }
        drawn
    }

    /// The part of the widget its ancestors let show, and the bounds (with
    /// room for shadows) of the widgets drawn over it (later children of an
    /// ancestor: overlays, toasts, scroll bars), in widget coordinates.
    pub(super) fn visible_area(&self) -> Option<(graphene::Rect, Vec<graphene::Rect>)> {
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
}
