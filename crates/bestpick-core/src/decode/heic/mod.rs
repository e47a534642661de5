//! HEIC/HEIF and AVIF decoding through libheif's C API, when the build found libheif
//! (`cfg(bestpick_heic)`, set by `build.rs` through pkg-config). Without it these files are
//! reported as "not available in this build".
//!
//! The binding is hand-written and minimal (the `libheif-rs` crate needs libheif >= 1.17;
//! Debian 12 ships 1.15): a context reads the file from memory, the primary image handle gives
//! the size (checked against the limits before anything is decoded) and the EXIF block, and
//! the handle is decoded to interleaved 8-bit RGB, which then goes through the same block
//! path as every other pixel format.
//!
//! Orientation: libheif applies the image's transformative properties (`irot`, `imir`, `clap`)
//! while decoding, so the pixels come out upright. HEIF (ISO/IEC 23008-12, MIAF) makes those
//! properties the orientation of record; the EXIF Orientation tag in a HEIC is informative
//! only (iPhones write both, with the same meaning). Applying it as well would turn those
//! photos twice, so a HEIC's [`Decoded`] always carries orientation 1.

use crate::scan::FileKind;

fn format_name(kind: FileKind) -> &'static str {
    if kind == FileKind::Avif {
        "AVIF"
    } else {
        "HEIC"
    }
}

/// Decodes a HEIC/HEIF/AVIF file: refused in a build without libheif.
#[cfg(not(bestpick_heic))]
pub(super) fn decode(
    _data: &[u8],
    kind: FileKind,
    _opts: &super::DecodeOptions,
) -> Result<super::Decoded, crate::error::PhotoErrorKind> {
    Err(crate::error::PhotoErrorKind::Unsupported(format!(
        "{} decoding is not available in this build: install libheif (Debian: libheif-dev) and rebuild",
        format_name(kind)
    )))
}

#[cfg(bestpick_heic)]
pub(super) use imp::decode;

/// The TIFF structure inside the payload of a HEIF `Exif` item: a 4-byte big-endian offset
/// (`exif_tiff_header_offset`, ISO/IEC 23008-12 A.2.1), counted from the end of those 4 bytes,
/// then the TIFF header. Apple writes offset 6 with `Exif\0\0` in between; libheif writes 0.
/// A writer that got the offset wrong is forgiven when a TIFF header sits right after the
/// prefix or after an `Exif\0\0` marker.
fn exif_tiff(payload: &[u8]) -> Option<&[u8]> {
    let is_tiff = |b: &[u8]| b.starts_with(b"II*\0") || b.starts_with(b"MM\0*");
    let offset = u32::from_be_bytes(payload.get(..4)?.try_into().ok()?);
    let body = &payload[4..];
    if let Some(tiff) = usize::try_from(offset)
        .ok()
        .and_then(|o| body.get(o..))
        .filter(|t| is_tiff(t))
    {
        return Some(tiff);
    }
    [0, 6]
        .into_iter()
        .filter_map(|o| body.get(o..))
        .find(|t| is_tiff(t))
}

/// The EXIF facts of the payload of a HEIF `Exif` item (see `exif_tiff`); a payload without
/// a TIFF header is a problem, never fatal. Public (hidden) for the fuzz targets.
pub fn exif_from_item(payload: &[u8]) -> crate::exif::ExifRead {
    match exif_tiff(payload) {
        Some(tiff) => crate::exif::from_tiff(tiff),
        None => crate::exif::ExifRead {
            problem: Some("the EXIF block has no TIFF header".into()),
            ..crate::exif::ExifRead::default()
        },
    }
}

/// libheif's C declarations, used only by [`imp`].
#[cfg(bestpick_heic)]
mod ffi;

/// Safe wrappers over [`ffi`] and the decoder itself.
#[cfg(bestpick_heic)]
mod imp {
    use std::ffi::{CStr, c_int};
    use std::marker::PhantomData;
    use std::ptr::{self, NonNull};
    use std::sync::OnceLock;

    use super::super::{DecodeOptions, Decoded, sniff};
    use super::{ffi, format_name};
    use crate::error::PhotoErrorKind;
    use crate::exif::ExifRead;
    use crate::scan::FileKind;

    /// Bytes per pixel held at the peak of a decode: the codec's YCbCr planes (up to 3 with
    /// 16-bit storage of 4:2:0), libheif's interleaved RGB (3) and our copy of it (3).
    const PEAK_BYTES_PER_PIXEL: u64 = 9;

    /// Where to get the codecs when libheif has none for a file.
    const CODEC_HINT: &str = "libheif has no decoder for this image's codec (Debian 12: libde265-0 for HEIC, \
        libdav1d6 or libaom3 for AVIF, pulled in by libheif1; Debian 13+: libheif-plugin-libde265, \
        libheif-plugin-dav1d)";

    /// Decodes the primary image of a HEIF/AVIF file to upright RGB and its blocks.
    pub(in crate::decode) fn decode(
        data: &[u8],
        kind: FileKind,
        opts: &DecodeOptions,
    ) -> Result<Decoded, PhotoErrorKind> {
        // Every ISOBMFF file starts with a box, and a HEIF reader needs `ftyp` first.
        if data.get(4..8) != Some(b"ftyp".as_slice()) {
            return Err(PhotoErrorKind::NotAnImage(sniff(data)));
        }
        init()?;
        let name = format_name(kind);
        let ctx = Context::read(data, name)?;
        let handle = ctx.primary_image(name)?;
        let (w, h) = handle.size();
        let budget = check_limits(w, h, opts)?;
        let mut exif = handle.exif(data.len());
        // libheif has applied irot/imir: the pixels are upright, and the EXIF orientation
        // (informative in HEIF, and a copy of irot in iPhone files) must not turn them again.
        exif.info.orientation = 1;
        let image = handle.decode_rgb(name)?;
        let rgb = image.to_rgb(name, u64::from(w) * u64::from(h))?;
        drop(image);
        drop(handle);
        drop(ctx);
        Ok(Decoded::from_pixels(rgb, exif, opts, Some(budget)))
    }

    /// Checks the declared size and reserves the decode's peak memory from the shared budget
    /// (libheif cannot be interrupted, so this is the only bound on its work).
    fn check_limits(
        w: u32,
        h: u32,
        opts: &DecodeOptions,
    ) -> Result<crate::guard::Reservation, PhotoErrorKind> {
        let px = u64::from(w) * u64::from(h);
        if px == 0 {
            return Err(PhotoErrorKind::Corrupt(format!(
                "the image declares an empty size ({w} x {h})"
            )));
        }
        if px > opts.max_pixels {
            return Err(PhotoErrorKind::TooLarge(format!(
                "image too large: {w} x {h} pixels (limit {} megapixels)",
                opts.max_pixels / 1_000_000
            )));
        }
        crate::guard::reserve(px.saturating_mul(PEAK_BYTES_PER_PIXEL), opts.max_alloc)
            .map_err(|b| b.into_kind(&format!("decoding this {w} x {h} image")))
    }

    /// `heif_init` once per process: it registers the codecs, and since libheif 1.16 it is
    /// what loads the codec plugins. Deliberately never matched by `heif_deinit`: decodes
    /// may run on any thread at any time until the process exits.
    fn init() -> Result<(), PhotoErrorKind> {
        static INIT: OnceLock<Result<(), String>> = OnceLock::new();
        INIT.get_or_init(|| {
            // SAFETY: `heif_init` accepts a null parameter pointer ("default parameters") and is
            // called once (OnceLock). The error message is a static string or owned by the
            // library; it is copied right away.
            let err = unsafe { ffi::heif_init(ptr::null_mut()) };
            if err.code == ffi::ERROR_OK {
                Ok(())
            } else {
                Err(message(&err))
            }
        })
        .clone()
        .map_err(|m| PhotoErrorKind::Unsupported(format!("libheif could not start: {m}")))
    }

    /// Copies the message of a libheif error. Must be called before the object that returned
    /// the error is used again or freed (the text may live in its error buffer).
    fn message(err: &ffi::HeifError) -> String {
        if err.message.is_null() {
            return format!("libheif error {}.{}", err.code, err.subcode);
        }
        // SAFETY: non-null, and libheif's messages are NUL-terminated strings that stay valid
        // until the object that produced the error is touched again; the caller guarantees it
        // has not been, and the text is copied out before returning.
        unsafe { CStr::from_ptr(err.message) }
            .to_string_lossy()
            .trim()
            .to_string()
    }

    /// A libheif error as the photo's error kind, with libheif's own words.
    fn photo_error(err: &ffi::HeifError, name: &str) -> PhotoErrorKind {
        let msg = message(err);
        match (err.code, err.subcode) {
            (_, ffi::SUBERROR_SECURITY_LIMIT_EXCEEDED) | (ffi::ERROR_MEMORY_ALLOCATION, _) => {
                PhotoErrorKind::TooLarge(format!("{name} image beyond libheif's limits: {msg}"))
            }
            (ffi::ERROR_INVALID_INPUT, ffi::SUBERROR_END_OF_DATA) => PhotoErrorKind::Corrupt(
                format!("truncated: the file ends before the image data does (libheif: {msg})"),
            ),
            (_, ffi::SUBERROR_UNSUPPORTED_CODEC) => {
                PhotoErrorKind::Unsupported(format!("{msg}: {CODEC_HINT}"))
            }
            (ffi::ERROR_UNSUPPORTED_FILETYPE | ffi::ERROR_UNSUPPORTED_FEATURE, _) => {
                PhotoErrorKind::Unsupported(format!("{name} not supported by libheif: {msg}"))
            }
            _ => PhotoErrorKind::Corrupt(format!("damaged {name} file (libheif: {msg})")),
        }
    }

    fn check(err: ffi::HeifError, name: &str) -> Result<(), PhotoErrorKind> {
        if err.code == ffi::ERROR_OK {
            Ok(())
        } else {
            Err(photo_error(&err, name))
        }
    }

    /// A `heif_context` reading `'a` bytes in place (no copy): it must not outlive them.
    struct Context<'a> {
        ptr: NonNull<ffi::HeifContext>,
        _data: PhantomData<&'a [u8]>,
    }

    impl<'a> Context<'a> {
        fn read(data: &'a [u8], name: &str) -> Result<Self, PhotoErrorKind> {
            // SAFETY: no arguments; a null return (allocation failure) is handled below.
            let raw = unsafe { ffi::heif_context_alloc() };
            let ptr = NonNull::new(raw).ok_or_else(|| {
                PhotoErrorKind::TooLarge("libheif could not allocate a decoding context".into())
            })?;
            let ctx = Context {
                ptr,
                _data: PhantomData,
            };
            // SAFETY: `ctx` is a live context; `data` is a valid slice of `data.len()` bytes
            // that outlives the context (lifetime 'a, and libheif only reads it); options may
            // be null. The error is converted before the context is used again.
            let err = unsafe {
                ffi::heif_context_read_from_memory_without_copy(
                    ctx.ptr.as_ptr(),
                    data.as_ptr().cast(),
                    data.len(),
                    ptr::null(),
                )
            };
            check(err, name)?;
            Ok(ctx)
        }

        fn primary_image(&self, name: &str) -> Result<Handle<'a>, PhotoErrorKind> {
            let mut raw = ptr::null_mut();
            // SAFETY: live context, valid out-pointer; on success libheif stores a handle we
            // own (released by `Handle::drop`), on failure it leaves it null.
            let err =
                unsafe { ffi::heif_context_get_primary_image_handle(self.ptr.as_ptr(), &mut raw) };
            let handle = NonNull::new(raw).map(|ptr| Handle {
                ptr,
                _data: PhantomData,
            });
            check(err, name)?;
            handle.ok_or_else(|| {
                PhotoErrorKind::Corrupt(format!("damaged {name} file: no primary image"))
            })
        }
    }

    impl Drop for Context<'_> {
        fn drop(&mut self) {
            // SAFETY: the pointer came from `heif_context_alloc` and is freed exactly once.
            unsafe { ffi::heif_context_free(self.ptr.as_ptr()) }
        }
    }

    /// An image handle. libheif ref-counts the file behind it, so it may outlive its
    /// [`Context`], but not the bytes the context reads in place (`'a`).
    struct Handle<'a> {
        ptr: NonNull<ffi::HeifImageHandle>,
        _data: PhantomData<&'a [u8]>,
    }

    impl Handle<'_> {
        /// Displayed size (after libheif's rotation and cropping), from the headers alone.
        fn size(&self) -> (u32, u32) {
            // SAFETY: live handle; these getters only read header fields.
            let (w, h) = unsafe {
                (
                    ffi::heif_image_handle_get_width(self.ptr.as_ptr()),
                    ffi::heif_image_handle_get_height(self.ptr.as_ptr()),
                )
            };
            (u32::try_from(w).unwrap_or(0), u32::try_from(h).unwrap_or(0))
        }

        /// The EXIF facts of the first `Exif` metadata item. A damaged block is reported in
        /// `problem`, never fatal. `file_len` bounds the copy (the block lies in the file).
        fn exif(&self, file_len: usize) -> ExifRead {
            let problem = |p: String| ExifRead {
                problem: Some(p),
                ..ExifRead::default()
            };
            let filter = c"Exif";
            // SAFETY: live handle, NUL-terminated filter string.
            let count = unsafe {
                ffi::heif_image_handle_get_number_of_metadata_blocks(
                    self.ptr.as_ptr(),
                    filter.as_ptr(),
                )
            };
            if count <= 0 {
                return ExifRead::default();
            }
            let mut ids = [0u32; 1];
            // SAFETY: `ids` has room for the `count` = 1 ids we ask for.
            let got = unsafe {
                ffi::heif_image_handle_get_list_of_metadata_block_IDs(
                    self.ptr.as_ptr(),
                    filter.as_ptr(),
                    ids.as_mut_ptr(),
                    1,
                )
            };
            if got < 1 {
                return ExifRead::default();
            }
            // SAFETY: live handle, an id libheif just listed for it.
            let size =
                unsafe { ffi::heif_image_handle_get_metadata_size(self.ptr.as_ptr(), ids[0]) };
            if size == 0 {
                return ExifRead::default();
            }
            if size > file_len {
                return problem(format!(
                    "the EXIF block claims {size} bytes, more than the file holds"
                ));
            }
            let mut payload = vec![0u8; size];
            // SAFETY: `payload` holds exactly the `size` bytes libheif reported for this id,
            // which is what `heif_image_handle_get_metadata` writes.
            let err = unsafe {
                ffi::heif_image_handle_get_metadata(
                    self.ptr.as_ptr(),
                    ids[0],
                    payload.as_mut_ptr().cast(),
                )
            };
            if err.code != ffi::ERROR_OK {
                return problem(format!("cannot read the EXIF block: {}", message(&err)));
            }
            super::exif_from_item(&payload)
        }

        /// Decodes to interleaved 8-bit RGB, applying the image's transformations.
        fn decode_rgb(&self, name: &str) -> Result<Image, PhotoErrorKind> {
            let options = DecodingOptions::new();
            let mut raw = ptr::null_mut();
            // SAFETY: live handle, valid out-pointer, options either null or a live struct from
            // `heif_decoding_options_alloc`. On success we own the image (released by
            // `Image::drop`); on failure libheif leaves the pointer null.
            let err = unsafe {
                ffi::heif_decode_image(
                    self.ptr.as_ptr(),
                    &mut raw,
                    ffi::COLORSPACE_RGB,
                    ffi::CHROMA_INTERLEAVED_RGB,
                    options.as_ptr(),
                )
            };
            let image = NonNull::new(raw).map(|ptr| Image { ptr });
            check(err, name)?;
            image.ok_or_else(|| {
                PhotoErrorKind::Corrupt(format!("damaged {name} file: libheif returned no image"))
            })
        }
    }

    impl Drop for Handle<'_> {
        fn drop(&mut self) {
            // SAFETY: the handle came from libheif, is owned by us and released exactly once.
            unsafe { ffi::heif_image_handle_release(self.ptr.as_ptr()) }
        }
    }

    /// Decoding options: libheif's defaults (transformations applied), plus conversion of
    /// 10/12-bit images to 8 bits. Null (all defaults) if libheif could not allocate them.
    struct DecodingOptions(Option<NonNull<ffi::DecodingOptionsHead>>);

    impl DecodingOptions {
        fn new() -> Self {
            // SAFETY: no arguments; a null return is kept as "no options".
            let ptr = NonNull::new(unsafe { ffi::heif_decoding_options_alloc() });
            if let Some(p) = ptr {
                // SAFETY: `p` points to a live, initialised `heif_decoding_options`, whose
                // leading fields are laid out as `DecodingOptionsHead`; `convert_hdr_to_8bit`
                // exists (and is written) only from version 2 on.
                unsafe {
                    let head = p.as_ptr();
                    if (*head).version >= 2 {
                        (*head).convert_hdr_to_8bit = 1;
                    }
                }
            }
            DecodingOptions(ptr)
        }

        fn as_ptr(&self) -> *const ffi::DecodingOptionsHead {
            self.0.map_or(ptr::null(), |p| p.as_ptr().cast_const())
        }
    }

    impl Drop for DecodingOptions {
        fn drop(&mut self) {
            if let Some(p) = self.0 {
                // SAFETY: allocated by `heif_decoding_options_alloc`, freed exactly once.
                unsafe { ffi::heif_decoding_options_free(p.as_ptr()) }
            }
        }
    }

    /// A decoded image owned by us.
    struct Image {
        ptr: NonNull<ffi::HeifImage>,
    }

    impl Image {
        /// Copies the interleaved RGB plane (rows `stride` bytes apart) into an `RgbImage`, if
        /// it has at most `reserved_px` pixels (what the headers declared).
        fn to_rgb(&self, name: &str, reserved_px: u64) -> Result<image::RgbImage, PhotoErrorKind> {
            let img = self.ptr.as_ptr();
            let ch = ffi::CHANNEL_INTERLEAVED;
            // SAFETY: live image; these getters only read its description.
            let (chroma, bits, w, h) = unsafe {
                (
                    ffi::heif_image_get_chroma_format(img),
                    ffi::heif_image_get_bits_per_pixel(img, ch),
                    ffi::heif_image_get_width(img, ch),
                    ffi::heif_image_get_height(img, ch),
                )
            };
            if chroma != ffi::CHROMA_INTERLEAVED_RGB || bits != 24 {
                return Err(PhotoErrorKind::Unsupported(format!(
                    "libheif decoded this {name} to an unexpected layout (chroma {chroma}, {bits} bits a pixel)"
                )));
            }
            let (w, h) = match (u32::try_from(w), u32::try_from(h)) {
                (Ok(w), Ok(h)) if w > 0 && h > 0 => (w, h),
                _ => {
                    return Err(PhotoErrorKind::Corrupt(format!(
                        "damaged {name} file: decoded size {w} x {h}"
                    )));
                }
            };
            // The decoded size may differ from the headers' in a damaged file: it must not be
            // larger than what the memory was reserved for.
            if u64::from(w) * u64::from(h) > reserved_px {
                return Err(PhotoErrorKind::Corrupt(format!(
                    "damaged {name} file: decoded to {w} x {h}, larger than its headers say"
                )));
            }
            let mut stride: c_int = 0;
            // SAFETY: live image, the interleaved channel it has (checked above), valid
            // out-pointer for the stride.
            let plane = unsafe { ffi::heif_image_get_plane_readonly(img, ch, &mut stride) };
            let (row, wu, hu) = (w as usize * 3, w as usize, h as usize);
            let stride = usize::try_from(stride).unwrap_or(0);
            if plane.is_null() || stride < row {
                return Err(PhotoErrorKind::Corrupt(format!(
                    "damaged {name} file: no usable pixel plane"
                )));
            }
            let len = stride * (hu - 1) + row;
            // SAFETY: libheif allocates the plane as `h` rows of `stride` bytes each, of which the
            // first `3 * w` are pixels (interleaved 8-bit RGB, checked above); `len` covers the
            // last row's pixels only. The image is alive and not written for the slice's life.
            let bytes = unsafe { std::slice::from_raw_parts(plane, len) };
            let mut buf = Vec::with_capacity(row * hu);
            for y in 0..hu {
                buf.extend_from_slice(&bytes[y * stride..y * stride + row]);
            }
            image::RgbImage::from_raw(w, h, buf).ok_or_else(|| {
                PhotoErrorKind::Corrupt(format!(
                    "damaged {name} file: pixel buffer of {wu} x {hu} does not fit"
                ))
            })
        }
    }

    impl Drop for Image {
        fn drop(&mut self) {
            // SAFETY: the image came from `heif_decode_image`, is owned by us, released once.
            unsafe { ffi::heif_image_release(self.ptr.as_ptr()) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::DecodeOptions;
    use crate::error::PhotoErrorKind;

    #[test]
    fn exif_payload_layouts() {
        let tiff: &[u8] = b"MM\0*\0\0\0\x08rest";
        let cases = [
            (
                "apple: offset 6, Exif marker",
                [&[0, 0, 0, 6][..], b"Exif\0\0", tiff].concat(),
                Some(tiff),
            ),
            (
                "libheif: offset 0",
                [&[0, 0, 0, 0][..], tiff].concat(),
                Some(tiff),
            ),
            (
                "wrong offset, marker present",
                [&[0, 0, 0, 9][..], b"Exif\0\0", tiff].concat(),
                Some(tiff),
            ),
            (
                "offset beyond the block",
                [&[0xff, 0, 0, 0][..], b"xx"].concat(),
                None,
            ),
            (
                "no TIFF header",
                [&[0, 0, 0, 0][..], b"hello world"].concat(),
                None,
            ),
            ("shorter than the prefix", vec![0, 0], None),
        ];
        for (case, payload, want) in cases {
            assert_eq!(exif_tiff(&payload), want, "{case}");
        }
    }

    #[test]
    fn text_named_heic_is_not_an_image_or_unavailable() {
        let err = decode(
            b"hello, this is text",
            FileKind::Heic,
            &DecodeOptions::default(),
        )
        .expect_err("text");
        if cfg!(bestpick_heic) {
            assert_eq!(
                err,
                PhotoErrorKind::NotAnImage("the file contains text, not image data".into())
            );
        } else {
            assert!(
                matches!(&err, PhotoErrorKind::Unsupported(m) if m.contains("libheif-dev")),
                "{err:?}"
            );
        }
    }
}
