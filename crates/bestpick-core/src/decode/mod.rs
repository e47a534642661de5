//! Reading a photo once: EXIF, and the per-8×8-block data every signal is computed from —
//! straight from the entropy decoder for JPEGs (and RAW previews), through a full decoder for
//! everything else. Each decode is guarded: limits on dimensions and allocations, and a panic
//! inside a decoder becomes that one photo's error.

mod heic;
pub mod jpeg;
mod pixels;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::PhotoErrorKind;
use crate::exif::{self, ExifRead};
use crate::guard::{self, Reservation};
use crate::raw;
use crate::scan::FileKind;
#[doc(hidden)]
pub use heic::exif_from_item as heic_exif_item;
pub use jpeg::{ChromaBlocks, LumaBlocks, NFEAT, feat};

/// Limits and options of a decode.
#[derive(Debug, Clone, Copy)]
pub struct DecodeOptions {
    /// Largest accepted image in pixels (a 100 000 × 100 000 header is refused before any
    /// allocation).
    pub max_pixels: u64,
    /// Memory budget of decoding, in bytes, shared by all the decodes running at once (see
    /// [`crate::guard::reserve`]): each decoder reserves what it will allocate, from its
    /// headers, before allocating; a photo that needs more than all of it is refused.
    pub max_alloc: u64,
    /// Largest file read, in bytes (a camera's largest RAW files are about 200 MB).
    pub max_file_bytes: u64,
    /// Keep chroma block means.
    pub color: bool,
    /// JPEGs: keep the 4×4 lowest-frequency coefficients of every block, so regions (faces)
    /// can be rendered later at half resolution without decoding again.
    pub low: bool,
}

/// Default memory budget of decoding: 208 MiB per core, at least 416 MiB. That lets a 100 MP
/// camera JPEG (about 120 MB of block data), a 100 MP progressive JPEG (about 360 MB) or a
/// 48 MP HEIC (about 430 MB at libheif's peak) through, while a folder of decompression bombs
/// on a 2-core machine stays under 436 MB of decoder memory however the bombs are made.
pub fn default_budget() -> u64 {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    208 * (1 << 20) * cores.max(2) as u64
}

/// Default cap on the size of one photo file: 256 MiB.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 256 << 20;

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            max_pixels: 300_000_000,
            max_alloc: default_budget(),
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            color: true,
            low: false,
        }
    }
}

/// Where the block data came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockSource {
    /// Quantized DCT coefficients of a JPEG.
    JpegCoefficients,
    /// The embedded JPEG preview of a RAW file.
    RawPreview,
    /// Pixels from a full decoder, transformed with a forward DCT.
    Pixels,
}

/// A decoded photo, in stored orientation (apply [`Decoded::orientation`] to show it).
#[derive(Debug, Clone)]
pub struct Decoded {
    /// Width in pixels of what was analyzed (the preview for a RAW).
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// EXIF facts (and whether the EXIF block was damaged).
    pub exif: ExifRead,
    /// Luma blocks.
    pub luma: LumaBlocks,
    /// Chroma block means, at luma block resolution.
    pub chroma: Option<ChromaBlocks>,
    /// Estimated JPEG quality (1..=100) from the luma quantization table.
    pub jpeg_quality: Option<u8>,
    /// Where the blocks came from.
    pub source: BlockSource,
    /// Full pixels when a full decoder was used (oriented as stored).
    pub pixels: Option<image::RgbImage>,
    /// JPEGs decoded with [`DecodeOptions::low`]: per component (Y, Cb, Cr), the 4×4
    /// lowest-frequency coefficients of every block.
    pub low: Vec<jpeg::LowPlane>,
    /// JPEGs read from their coefficients: where each row of MCUs starts, so that the
    /// low-frequency coefficients of some rows can be read later ([`jpeg::read_low_rows`]).
    pub rows: jpeg::RowIndex,
    /// The memory this decode reserved from the shared budget, given back when the last
    /// clone is dropped (or recycled).
    pub budget: Option<Arc<Reservation>>,
}

impl Decoded {
    /// A photo decoded to full pixels (formats other than large JPEGs): block measures from
    /// the pixels, the pixels kept.
    pub(crate) fn from_pixels(
        rgb: image::RgbImage,
        exif: ExifRead,
        opts: &DecodeOptions,
        budget: Option<Reservation>,
    ) -> Decoded {
        let (luma, chroma) = pixels::blocks_from_rgb(&rgb);
        Decoded {
            width: rgb.width(),
            height: rgb.height(),
            exif,
            luma,
            chroma: opts.color.then_some(chroma),
            jpeg_quality: None,
            source: BlockSource::Pixels,
            pixels: Some(rgb),
            low: Vec::new(),
            rows: jpeg::RowIndex::default(),
            budget: budget.map(Arc::new),
        }
    }

    /// EXIF orientation (1..=8).
    pub fn orientation(&self) -> u16 {
        self.exif.info.orientation
    }
}

/// Buffers of earlier decodes on this thread, reused so that ~20 MB of block data per 24 MP
/// photo is not allocated, page-faulted in and returned to the system for every photo (with
/// several threads that churn serializes them on the address-space lock).
#[derive(Default)]
struct Spare {
    blocks: jpeg::JpegBlocks,
    grid_chroma: Option<ChromaBlocks>,
}

thread_local! {
    static SPARE: std::cell::RefCell<Spare> = std::cell::RefCell::new(Spare::default());
}

/// Buffers larger than this are not kept for the next decode: after one huge photo a thread
/// must not hold its memory for the rest of the run. A 45 MP JPEG's block data fits.
pub const SPARE_KEEP_BYTES: usize = 64 << 20;

/// Hands a decoded photo's buffers back for the next decode on this thread (optional: dropping
/// a [`Decoded`] is fine too, only slower when photos are analyzed one after another). Buffers
/// beyond [`SPARE_KEEP_BYTES`] are freed instead.
pub fn recycle(d: Decoded) {
    let bytes = held_bytes(&d.luma, &d.low, [d.chroma.as_ref()]);
    SPARE.with(|s| {
        let mut s = s.borrow_mut();
        if bytes > SPARE_KEEP_BYTES {
            *s = Spare::default();
            return;
        }
        s.blocks.luma = d.luma;
        s.blocks.low = d.low;
        s.blocks.rows = d.rows;
        if d.chroma.is_some() {
            s.grid_chroma = d.chroma;
        }
        if held_bytes(&LumaBlocks::default(), &[], [s.blocks.chroma.as_ref()]) > SPARE_KEEP_BYTES {
            s.blocks.chroma = None;
        }
    });
}

/// Bytes held by this thread's spare buffers (for tests).
pub fn spare_bytes() -> usize {
    SPARE.with(|s| {
        let s = s.borrow();
        let b = &s.blocks;
        held_bytes(&b.luma, &b.low, [b.chroma.as_ref(), s.grid_chroma.as_ref()])
    })
}

/// Bytes allocated for block data.
fn held_bytes<const N: usize>(
    luma: &LumaBlocks,
    low: &[jpeg::LowPlane],
    chroma: [Option<&ChromaBlocks>; N],
) -> usize {
    luma.dc.capacity() * 4
        + luma.feat.capacity() * std::mem::size_of::<[f32; NFEAT]>()
        + low
            .iter()
            .map(|p| p.coefs.capacity() * std::mem::size_of::<[i16; 16]>())
            .sum::<usize>()
        + chroma
            .iter()
            .flatten()
            .map(|c| (c.cb.capacity() + c.cr.capacity()) * 4)
            .sum::<usize>()
}

/// Decodes the bytes of a file of kind `kind`. Never panics: a decoder panic is caught and
/// returned as [`PhotoErrorKind::DecoderPanic`].
pub fn decode(
    data: &[u8],
    kind: FileKind,
    opts: &DecodeOptions,
) -> Result<Decoded, PhotoErrorKind> {
    if data.is_empty() {
        return Err(PhotoErrorKind::Empty);
    }
    let guarded = catch_unwind(AssertUnwindSafe(|| decode_inner(data, kind, opts)));
    guarded.unwrap_or_else(|panic| {
        Err(PhotoErrorKind::DecoderPanic(guard::panic_message(
            panic.as_ref(),
        )))
    })
}

fn decode_inner(
    data: &[u8],
    kind: FileKind,
    opts: &DecodeOptions,
) -> Result<Decoded, PhotoErrorKind> {
    match kind {
        FileKind::Jpeg => {
            if !looks_like_jpeg(data) {
                return Err(PhotoErrorKind::NotAnImage(sniff(data)));
            }
            let exif = jpeg::exif_payload(data)
                .map(exif::from_tiff)
                .unwrap_or_default();
            decode_jpeg(data, exif, BlockSource::JpegCoefficients, opts)
        }
        FileKind::Raw => decode_raw(data, opts),
        _ => decode_pixels(data, kind, opts),
    }
}

fn decode_jpeg(
    data: &[u8],
    exif: ExifRead,
    source: BlockSource,
    opts: &DecodeOptions,
) -> Result<Decoded, PhotoErrorKind> {
    let jopts = jpeg::JpegOptions {
        color: opts.color,
        low: opts.low,
        max_pixels: opts.max_pixels,
        max_alloc: opts.max_alloc,
    };
    let spare = SPARE.with(|s| std::mem::take(&mut s.borrow_mut().blocks));
    match jpeg::read_blocks_reusing(data, &jopts, spare) {
        Ok(mut b) => {
            let native = b.chroma.take();
            let chroma = native.as_ref().map(|c| {
                let buf = SPARE.with(|s| s.borrow_mut().grid_chroma.take());
                chroma_to_luma_grid(c, b.luma.width, b.luma.height, buf)
            });
            // The native chroma planes serve the next decode on this thread.
            SPARE.with(|s| s.borrow_mut().blocks.chroma = native);
            Ok(Decoded {
                width: b.width,
                height: b.height,
                exif,
                jpeg_quality: estimate_quality(&b.luma_quant),
                luma: b.luma,
                chroma,
                source,
                pixels: None,
                low: b.low,
                rows: b.rows,
                budget: b.budget,
            })
        }
        Err(jpeg::JpegError::Unsupported(_)) => {
            // CMYK, RGB-coded, arithmetic, 12-bit...: the full decoder may manage.
            let mut d = decode_pixels(data, FileKind::Jpeg, opts)?;
            d.exif = exif;
            Ok(d)
        }
        Err(jpeg::JpegError::NotJpeg) => Err(PhotoErrorKind::NotAnImage(sniff(data))),
        Err(e @ jpeg::JpegError::TooLarge { .. }) => Err(PhotoErrorKind::TooLarge(e.to_string())),
        Err(jpeg::JpegError::Budget(b)) => Err(b.into_kind("decoding this JPEG")),
        Err(jpeg::JpegError::Cancelled) => Err(PhotoErrorKind::Cancelled),
        Err(e) => Err(PhotoErrorKind::Corrupt(e.to_string())),
    }
}

fn decode_raw(data: &[u8], opts: &DecodeOptions) -> Result<Decoded, PhotoErrorKind> {
    let container_exif = if data.starts_with(b"II") || data.starts_with(b"MM") {
        Some(exif::from_tiff(data))
    } else {
        None
    };
    let previews = raw::previews(data);
    let Some(best) = previews.first().copied() else {
        return Err(PhotoErrorKind::NoPreview(
            "RAW file without a usable embedded JPEG preview (RAW data is never demosaiced)".into(),
        ));
    };
    if best.width.max(best.height) < raw::MIN_PREVIEW_SIDE / 2 {
        return Err(PhotoErrorKind::NoPreview(format!(
            "the embedded preview is only {}x{} pixels, too small to judge",
            best.width, best.height
        )));
    }
    let mut last_err = None;
    for p in previews
        .iter()
        .filter(|p| p.width.max(p.height) >= raw::MIN_PREVIEW_SIDE / 2)
        .take(raw::MAX_TRIES)
    {
        let stream = &data[p.offset..];
        let preview_exif = jpeg::exif_payload(stream).map(exif::from_tiff);
        let exif = match (&container_exif, preview_exif) {
            (Some(c), _) if c.problem.is_none() && c.info != exif::ExifInfo::default() => c.clone(),
            (_, Some(p)) => p,
            (Some(c), None) => c.clone(),
            (None, None) => ExifRead::default(),
        };
        match decode_jpeg(stream, exif, BlockSource::RawPreview, opts) {
            Ok(d) => return Ok(d),
            Err(e) => last_err = Some(e),
        }
    }
    Err(match last_err {
        Some(PhotoErrorKind::Corrupt(m)) => {
            PhotoErrorKind::NoPreview(format!("the embedded preview is damaged: {m}"))
        }
        Some(e) => e,
        None => PhotoErrorKind::NoPreview("no usable embedded preview".into()),
    })
}

fn decode_pixels(
    data: &[u8],
    kind: FileKind,
    opts: &DecodeOptions,
) -> Result<Decoded, PhotoErrorKind> {
    if matches!(kind, FileKind::Heic | FileKind::Avif) {
        return heic::decode(data, kind, opts);
    }
    let (rgb, budget) = pixels_within_budget(data, opts, true)?;
    let exif = exif::from_container(data);
    Ok(Decoded::from_pixels(rgb, exif, opts, Some(budget)))
}

/// Decodes an image (PNG, TIFF, WebP, a JPEG the fast reader does not take...) to 8-bit RGB
/// with the image crate, guarded: the size is checked against `max_pixels` and the memory the
/// decode will take (its buffer, the conversion to RGB and, with `blocks`, the block data made
/// from the pixels afterwards) is reserved from the shared budget before anything is
/// allocated; the decoder reads through [`Interruptible`], so cancelling stops it; a panic is
/// an error.
fn pixels_within_budget(
    data: &[u8],
    opts: &DecodeOptions,
    blocks: bool,
) -> Result<(image::RgbImage, Reservation), PhotoErrorKind> {
    use image::ImageDecoder;
    let guarded = catch_unwind(AssertUnwindSafe(|| {
        let mut reader = image::ImageReader::new(Interruptible(std::io::Cursor::new(data)))
            .with_guessed_format()
            .map_err(|e| PhotoErrorKind::Unreadable(e.into()))?;
        if reader.format().is_none() {
            return Err(PhotoErrorKind::NotAnImage(sniff(data)));
        }
        // Sides are checked as the header is read (a square of `max_pixels`, or a long strip of
        // a quarter of it); the pixel count once both are known.
        let side = u32::try_from((opts.max_pixels as f64).sqrt() as u64 * 4).unwrap_or(u32::MAX);
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(side);
        limits.max_image_height = Some(side);
        limits.max_alloc = Some(opts.max_alloc);
        reader.limits(limits.clone());
        let mut decoder = reader.into_decoder().map_err(image_error)?;
        let (w, h) = decoder.dimensions();
        let px = u64::from(w) * u64::from(h);
        if px > opts.max_pixels {
            return Err(PhotoErrorKind::TooLarge(format!(
                "image too large: {w} x {h} pixels (limit {} megapixels)",
                opts.max_pixels / 1_000_000
            )));
        }
        let converted = if decoder.color_type() == image::ColorType::Rgb8 {
            0
        } else {
            px * 3
        };
        let block_data = if blocks { px / 64 * 40 } else { 0 };
        let need = decoder
            .total_bytes()
            .saturating_add(converted)
            .saturating_add(block_data);
        let reservation =
            guard::reserve(need, opts.max_alloc).map_err(|b| b.into_kind("decoding this image"))?;
        decoder.set_limits(limits).map_err(image_error)?;
        let img = image::DynamicImage::from_decoder(decoder).map_err(image_error)?;
        Ok((img.into_rgb8(), reservation))
    }));
    match guarded {
        // Whatever a decoder made of its reads failing, the reason is the cancellation.
        Err(_) | Ok(Err(_)) if guard::cancelled() => Err(PhotoErrorKind::Cancelled),
        Ok(result) => result,
        Err(panic) => Err(PhotoErrorKind::DecoderPanic(guard::panic_message(
            panic.as_ref(),
        ))),
    }
}

/// Decodes a whole image to upright-as-stored 8-bit RGB within the memory budget (see
/// `pixels_within_budget`): for the small JPEGs whose thumbnails and faces need real pixels,
/// and for previews. The reservation ends with the call; callers keep only small images or
/// hand them on at once.
pub fn rgb_pixels(
    data: &[u8],
    kind: FileKind,
    opts: &DecodeOptions,
) -> Result<image::RgbImage, PhotoErrorKind> {
    if matches!(kind, FileKind::Heic | FileKind::Avif) {
        return heic::decode(data, kind, opts)?
            .pixels
            .ok_or_else(|| PhotoErrorKind::Corrupt("the HEIF decoder gave no pixels".into()));
    }
    pixels_within_budget(data, opts, false).map(|(rgb, _)| rgb)
}

/// A reader that fails once the job is cancelled, so that decoders of other crates, which read
/// as they decode, stop within one read.
struct Interruptible<R>(R);

impl<R: std::io::Read> std::io::Read for Interruptible<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if guard::cancelled() {
            return Err(std::io::Error::other("cancelled"));
        }
        self.0.read(buf)
    }
}

impl<R: std::io::BufRead> std::io::BufRead for Interruptible<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if guard::cancelled() {
            return Err(std::io::Error::other("cancelled"));
        }
        self.0.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.0.consume(amt);
    }
}

impl<R: std::io::Seek> std::io::Seek for Interruptible<R> {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.0.seek(pos)
    }
}

fn image_error(e: image::ImageError) -> PhotoErrorKind {
    use image::ImageError as E;
    match e {
        E::Limits(l) => PhotoErrorKind::TooLarge(format!("image exceeds the decoder limits: {l}")),
        E::Unsupported(u) => PhotoErrorKind::Unsupported(unsupported_words(&u)),
        E::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            PhotoErrorKind::Corrupt("truncated: the file ends before the image data does".into())
        }
        other => PhotoErrorKind::Corrupt(other.to_string()),
    }
}

/// What a decoder could not read, in our words and with what to do about it (the image crate
/// says "The decoder for Tiff does not support the format features ...").
fn unsupported_words(u: &image::error::UnsupportedError) -> String {
    use image::error::{ImageFormatHint, UnsupportedErrorKind as K};
    const CONVERT: &str = "save it as JPEG, PNG or an RGB TIFF to analyze it";
    let ImageFormatHint::Exact(format) = u.format_hint() else {
        return u.to_string();
    };
    let format = format!("{format:?}").to_uppercase();
    match u.kind() {
        K::Color(c) | K::ColorLayout(c) => {
            format!("a {format} in a colour type that cannot be read here ({c:?}); {CONVERT}")
        }
        K::GenericFeature(what) => {
            let what = what.trim_end_matches(" is unsupported");
            format!("a {format} variant that cannot be read here ({what}); {CONVERT}")
        }
        K::Format(_) => format!("{format} files cannot be read here; {CONVERT}"),
        _ => u.to_string(),
    }
}

fn looks_like_jpeg(data: &[u8]) -> bool {
    data.len() >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF
}

/// What the bytes look like, for "not an image" messages.
fn sniff(data: &[u8]) -> String {
    let head = &data[..data.len().min(512)];
    if head
        .iter()
        .all(|&b| b == b'\n' || b == b'\r' || b == b'\t' || (0x20..0x7f).contains(&b))
    {
        return "the file contains text, not image data".into();
    }
    match image::guess_format(head) {
        Ok(f) => format!("the content is {f:?}, not what the file name says"),
        Err(_) => "unrecognized content (no image signature)".into(),
    }
}

/// Replicates chroma block means onto the luma block grid.
fn chroma_to_luma_grid(
    c: &ChromaBlocks,
    lw: usize,
    lh: usize,
    buf: Option<ChromaBlocks>,
) -> ChromaBlocks {
    let ChromaBlocks { mut cb, mut cr, .. } = buf.unwrap_or_default();
    for plane in [&mut cb, &mut cr] {
        plane.clear();
        plane.resize(lw * lh, 128.0);
    }
    for y in 0..lh {
        let cy = (y / c.y_ratio.max(1)).min(c.height.saturating_sub(1));
        for x in 0..lw {
            let cx = (x / c.x_ratio.max(1)).min(c.width.saturating_sub(1));
            cb[y * lw + x] = c.cb[cy * c.width + cx];
            cr[y * lw + x] = c.cr[cy * c.width + cx];
        }
    }
    ChromaBlocks {
        width: lw,
        height: lh,
        x_ratio: 1,
        y_ratio: 1,
        cb,
        cr,
    }
}

/// IJG quality (1..=100) whose scaled standard luminance table best matches `table` (zigzag).
pub fn estimate_quality(table: &[u16]) -> Option<u8> {
    // ITU T.81 K.1 luminance table in zigzag order.
    const STD: [u16; 64] = [
        16, 11, 12, 14, 12, 10, 16, 14, 13, 14, 18, 17, 16, 19, 24, 40, 26, 24, 22, 22, 24, 49, 35,
        37, 29, 40, 58, 51, 61, 60, 57, 51, 56, 55, 64, 72, 92, 78, 64, 68, 87, 69, 55, 56, 80,
        109, 81, 87, 95, 98, 103, 104, 103, 62, 77, 113, 121, 112, 100, 120, 92, 101, 103, 99,
    ];
    if table.len() != 64 {
        return None;
    }
    // Scale factor per entry; entries clamped at 255 (very low qualities) say nothing.
    let mut ratios: Vec<f64> = table
        .iter()
        .zip(STD.iter())
        .filter(|&(&q, _)| q < 255)
        .map(|(&q, &s)| f64::from(q) * 100.0 / f64::from(s))
        .collect();
    if ratios.is_empty() {
        return Some(1);
    }
    ratios.sort_by(f64::total_cmp);
    let scale = ratios[ratios.len() / 2];
    let q = if scale <= 100.0 {
        (200.0 - scale) / 2.0
    } else {
        5000.0 / scale
    };
    Some(q.round().clamp(1.0, 100.0) as u8)
}

/// Orientation of block grids: maps the stored grid to the displayed (oriented) one.
pub mod orient {
    /// Size after orientation `o` of a `w` × `h` grid.
    pub fn size(o: u16, w: usize, h: usize) -> (usize, usize) {
        if o >= 5 { (h, w) } else { (w, h) }
    }

    /// Stored position of oriented position (x, y) for EXIF orientation `o` (1..=8), where the
    /// stored grid is `w` × `h`.
    pub fn source(o: u16, x: usize, y: usize, w: usize, h: usize) -> (usize, usize) {
        match o {
            2 => (w - 1 - x, y),
            3 => (w - 1 - x, h - 1 - y),
            4 => (x, h - 1 - y),
            5 => (y, x),
            6 => (y, h - 1 - x),
            7 => (w - 1 - y, h - 1 - x),
            8 => (w - 1 - y, x),
            _ => (x, y),
        }
    }

    /// Reorders a row-major grid for display.
    pub fn apply<T: Copy>(o: u16, data: &[T], w: usize, h: usize) -> Vec<T> {
        if o <= 1 || o > 8 {
            return data.to_vec();
        }
        let (ow, oh) = size(o, w, h);
        let mut out = Vec::with_capacity(ow * oh);
        for y in 0..oh {
            for x in 0..ow {
                let (sx, sy) = source(o, x, y, w, h);
                out.push(data[sy * w + sx]);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_estimate_of_standard_tables() {
        let scaled = |q: u32| -> Vec<u16> {
            let s = if q < 50 { 5000 / q } else { 200 - 2 * q };
            [
                16u16, 11, 12, 14, 12, 10, 16, 14, 13, 14, 18, 17, 16, 19, 24, 40, 26, 24, 22, 22,
                24, 49, 35, 37, 29, 40, 58, 51, 61, 60, 57, 51, 56, 55, 64, 72, 92, 78, 64, 68, 87,
                69, 55, 56, 80, 109, 81, 87, 95, 98, 103, 104, 103, 62, 77, 113, 121, 112, 100,
                120, 92, 101, 103, 99,
            ]
            .iter()
            .map(|&v| ((u32::from(v) * s + 50) / 100).clamp(1, 255) as u16)
            .collect()
        };
        for q in [10u32, 35, 50, 75, 92] {
            let est = estimate_quality(&scaled(q)).expect("estimate");
            assert!(
                (i32::from(est) - q as i32).abs() <= 2,
                "quality {q}: estimated {est}"
            );
        }
    }

    #[test]
    fn orientation_maps_corners() {
        // A 3x2 grid: values are stored indices.
        let data: Vec<usize> = (0..6).collect();
        // Orientation 6 (rotate 90 CW to display): displayed is 2 wide, 3 tall; its top-left is
        // the stored bottom-left.
        let out = orient::apply(6, &data, 3, 2);
        assert_eq!(out, vec![3, 0, 4, 1, 5, 2]);
        assert_eq!(orient::apply(3, &data, 3, 2), vec![5, 4, 3, 2, 1, 0]);
        assert_eq!(orient::apply(8, &data, 3, 2), vec![2, 5, 1, 4, 0, 3]);
    }

    #[test]
    fn text_named_jpg_is_not_an_image() {
        let err = decode(
            b"hello, this is text",
            FileKind::Jpeg,
            &DecodeOptions::default(),
        )
        .expect_err("text");
        assert_eq!(
            err,
            PhotoErrorKind::NotAnImage("the file contains text, not image data".into())
        );
        assert_eq!(
            decode(b"", FileKind::Jpeg, &DecodeOptions::default()).expect_err("empty"),
            PhotoErrorKind::Empty
        );
    }
}
