//! The JPEG coefficient reader: baseline and progressive, with the low-frequency store on and
//! off, the row index and re-reads of some rows (compared with the full read), and the whole
//! JPEG decode path within a small memory budget.
#![no_main]

mod common;

use bestpick_core::FileKind;
use bestpick_core::decode::jpeg::{self, JpegOptions};
use libfuzzer_sys::fuzz_target;

fn options(low: bool, color: bool) -> JpegOptions {
    let d = common::decode_options();
    JpegOptions {
        color,
        low,
        max_pixels: d.max_pixels,
        max_alloc: d.max_alloc,
    }
}

fuzz_target!(|data: &[u8]| {
    common::init();
    let _ = jpeg::read_header(data);
    let _ = jpeg::exif_payload(data);
    let plain = jpeg::read_blocks(data, &options(false, true));
    let low = jpeg::read_blocks(data, &options(true, false));
    if let (Ok(plain), Ok(low)) = (&plain, &low) {
        assert_eq!(
            plain.luma.dc, low.luma.dc,
            "luma means with and without `low`"
        );
        let l = &low.luma;
        assert_eq!(l.dc.len(), l.width * l.height);
        let full = &low.low[0];
        assert_eq!(full.coefs.len(), l.dc.len());
        if !low.rows.is_empty() {
            let h = l.height;
            // Row ranges from the input: first rows, a middle band, past the end, and one
            // chosen by the data.
            let pick = data
                .iter()
                .fold(0usize, |a, &b| a.wrapping_mul(31).wrapping_add(b.into()));
            let at = pick % (h + 1);
            for rows in [
                0..1,
                h / 2..h / 2 + 2,
                h.saturating_sub(1)..h + 3,
                at..at + 1 + pick % 7,
            ] {
                let Ok(part) = jpeg::read_low_rows(data, &low.rows, rows.clone()) else {
                    continue;
                };
                assert_eq!(part.width, full.width, "rows {rows:?}: width");
                assert!(
                    part.row0 + part.height <= h,
                    "rows {rows:?}: inside the image"
                );
                assert!(
                    part.row0 <= rows.start.min(h),
                    "rows {rows:?}: starts before"
                );
                assert_eq!(part.quant, full.quant, "rows {rows:?}: quantization");
                let start = part.row0 * full.width;
                assert_eq!(
                    part.coefs,
                    full.coefs[start..start + part.coefs.len()],
                    "rows {rows:?}: re-read equals the full read"
                );
            }
        }
    }
    common::decode(data, FileKind::Jpeg);
});
