//! Where the guest's screen goes in the widget, and where a pointer
//! position lands on the guest's screen, for each scaling mode.

/// How the guest's screen is fitted into the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScaleMode {
    /// Scaled to the widget, keeping the aspect ratio (letterboxed).
    #[default]
    Fit,
    /// One guest pixel per device pixel, scrolled when larger.
    OneToOne,
    /// The guest is asked to take the widget's size; until it has, 1:1
    /// when it fits, scaled down to fit when it is larger.
    ResizeGuest,
}

/// A rectangle in widget (logical) pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

/// Where a `fb_w`×`fb_h` guest screen is drawn in a `width`×`height`
/// widget with integer `scale` factor (HiDPI). Offsets are rounded to
/// whole device pixels so that 1:1 stays crisp.
pub fn draw_rect(
    mode: ScaleMode,
    width: f64,
    height: f64,
    fb_w: u32,
    fb_h: u32,
    scale: i32,
) -> Rect {
    let sf = f64::from(scale.max(1));
    let (fw, fh) = (f64::from(fb_w.max(1)), f64::from(fb_h.max(1)));
    let fit = (width / fw).min(height / fh);
    let (w, h) = match mode {
        ScaleMode::Fit => (fw * fit, fh * fit),
        ScaleMode::OneToOne => (fw / sf, fh / sf),
        ScaleMode::ResizeGuest => {
            let s = fit.min(1.0 / sf);
            (fw * s, fh * s)
        }
    };
    let round = |v: f64| (v * sf).round() / sf;
    Rect {
        x: round(((width - w) / 2.0).max(0.0)),
        y: round(((height - h) / 2.0).max(0.0)),
        w,
        h,
    }
}

/// The guest pixel under widget position (`x`, `y`), clamped to the screen
/// (as gtk-vnc does: pointer positions outside still move the pointer to
/// the edge).
pub fn to_guest(x: f64, y: f64, rect: Rect, fb_w: u32, fb_h: u32) -> (u16, u16) {
    let gx = ((x - rect.x) * f64::from(fb_w) / rect.w.max(1.0)).floor();
    let gy = ((y - rect.y) * f64::from(fb_h) / rect.h.max(1.0)).floor();
    let clamp = |v: f64, max: u32| v.clamp(0.0, f64::from(max.saturating_sub(1))) as u16;
    (clamp(gx, fb_w), clamp(gy, fb_h))
}

/// The logical size a console asks for: the guest's size in logical pixels.
pub fn natural_size(fb_w: u32, fb_h: u32, scale: i32) -> (i32, i32) {
    let sf = scale.max(1) as u32;
    ((fb_w / sf) as i32, (fb_h / sf) as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_keeps_the_aspect_ratio_and_centres() {
        // 800x600 guest in a 1000x600 widget: height-bound, bars left/right.
        let r = draw_rect(ScaleMode::Fit, 1000.0, 600.0, 800, 600, 1);
        assert_eq!(
            r,
            Rect {
                x: 100.0,
                y: 0.0,
                w: 800.0,
                h: 600.0
            }
        );
        // Same guest in a 400x600 widget: width-bound, bars top/bottom.
        let r = draw_rect(ScaleMode::Fit, 400.0, 600.0, 800, 600, 1);
        assert_eq!(
            r,
            Rect {
                x: 0.0,
                y: 150.0,
                w: 400.0,
                h: 300.0
            }
        );
    }

    #[test]
    fn one_to_one_uses_device_pixels() {
        let r = draw_rect(ScaleMode::OneToOne, 1000.0, 800.0, 800, 600, 1);
        assert_eq!((r.w, r.h), (800.0, 600.0));
        // HiDPI: a 1600x1200 guest is 800x600 logical pixels at scale 2.
        let r = draw_rect(ScaleMode::OneToOne, 800.0, 600.0, 1600, 1200, 2);
        assert_eq!(
            r,
            Rect {
                x: 0.0,
                y: 0.0,
                w: 800.0,
                h: 600.0
            }
        );
        assert_eq!(natural_size(1600, 1200, 2), (800, 600));
        // Larger than the widget: drawn from the corner (the scrolled window scrolls).
        let r = draw_rect(ScaleMode::OneToOne, 300.0, 200.0, 800, 600, 1);
        assert_eq!((r.x, r.y), (0.0, 0.0));
    }

    #[test]
    fn resize_guest_shows_a_larger_guest_scaled_down_until_it_resizes() {
        // Waiting for an 800x600 guest to shrink to a 400x600 widget: drawn
        // as Fit draws it (400x300, bars top and bottom).
        let r = draw_rect(ScaleMode::ResizeGuest, 400.0, 600.0, 800, 600, 1);
        assert_eq!(r, draw_rect(ScaleMode::Fit, 400.0, 600.0, 800, 600, 1));
        assert_eq!((r.w, r.h), (400.0, 300.0));
        // Smaller: 1:1 (in device pixels), centred.
        let r = draw_rect(ScaleMode::ResizeGuest, 1000.0, 800.0, 800, 600, 1);
        assert_eq!((r.x, r.y, r.w, r.h), (100.0, 100.0, 800.0, 600.0));
        let r = draw_rect(ScaleMode::ResizeGuest, 1000.0, 800.0, 1600, 1200, 2);
        assert_eq!((r.w, r.h), (800.0, 600.0));
    }

    #[test]
    fn pointer_positions_map_to_guest_pixels_in_every_mode() {
        // Fit, scaled by 1/2 with a 100 px bar on the left.
        let r = draw_rect(ScaleMode::Fit, 600.0, 300.0, 800, 600, 1);
        assert_eq!(
            r,
            Rect {
                x: 100.0,
                y: 0.0,
                w: 400.0,
                h: 300.0
            }
        );
        assert_eq!(to_guest(100.0, 0.0, r, 800, 600), (0, 0));
        assert_eq!(to_guest(300.0, 150.0, r, 800, 600), (400, 300));
        assert_eq!(to_guest(499.9, 299.9, r, 800, 600), (799, 599));
        // Outside the picture: clamped to the edge.
        assert_eq!(to_guest(20.0, -5.0, r, 800, 600), (0, 0));
        assert_eq!(to_guest(590.0, 400.0, r, 800, 600), (799, 599));

        // 1:1: widget pixel = guest pixel.
        let r = draw_rect(ScaleMode::OneToOne, 800.0, 600.0, 800, 600, 1);
        assert_eq!(to_guest(123.0, 456.0, r, 800, 600), (123, 456));
        // 1:1 at scale 2: one logical pixel covers two guest pixels.
        let r = draw_rect(ScaleMode::OneToOne, 800.0, 600.0, 1600, 1200, 2);
        assert_eq!(to_guest(100.0, 50.0, r, 1600, 1200), (200, 100));
        // Resize-guest behaves like 1:1 until the guest has resized.
        let r = draw_rect(ScaleMode::ResizeGuest, 1024.0, 768.0, 1024, 768, 1);
        assert_eq!(to_guest(1023.5, 767.5, r, 1024, 768), (1023, 767));
    }
}
