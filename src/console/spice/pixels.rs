//! SPICE primary-surface pixels into the view's RGB24 screen.

/// SPICE's surface formats that reach a primary surface.
pub(super) const FMT_16_555: i32 = 16;
pub(super) const FMT_16_565: i32 = 80;
pub(super) const FMT_32_XRGB: i32 = 32;
pub(super) const FMT_32_ARGB: i32 = 96;

/// Copy the rectangle (x, y, w, h) of a SPICE primary surface in `format`
/// into an RGB24 (B, G, R, X) surface of the same size. Returns `false` for
/// a format it cannot convert.
#[allow(clippy::too_many_arguments)]
pub fn copy_rect(
    src: &[u8],
    src_stride: usize,
    format: i32,
    dst: &mut [u8],
    dst_stride: usize,
    (x, y, w, h): (usize, usize, usize, usize),
) -> bool {
    let bpp = match format {
        FMT_32_XRGB | FMT_32_ARGB => 4,
        FMT_16_555 | FMT_16_565 => 2,
        _ => return false,
    };
    for row in y..y + h {
        let s = &src[row * src_stride + x * bpp..row * src_stride + (x + w) * bpp];
        let d = &mut dst[row * dst_stride + x * 4..row * dst_stride + (x + w) * 4];
        if bpp == 4 {
            d.copy_from_slice(s);
            continue;
        }
        for (px, out) in s.chunks_exact(2).zip(d.chunks_exact_mut(4)) {
            let v = u16::from_le_bytes([px[0], px[1]]);
            let (r, g, b) = if format == FMT_16_565 {
                ((v >> 11) & 0x1f, (v >> 5) & 0x3f, v & 0x1f)
            } else {
                ((v >> 10) & 0x1f, (v >> 5) & 0x1f, v & 0x1f)
            };
            let g8 = if format == FMT_16_565 {
                (g << 2) | (g >> 4)
            } else {
                (g << 3) | (g >> 2)
            };
            out[0] = ((b << 3) | (b >> 2)) as u8;
            out[1] = g8 as u8;
            out[2] = ((r << 3) | (r >> 2)) as u8;
            out[3] = 0xff;
        }
    }
    true
}
