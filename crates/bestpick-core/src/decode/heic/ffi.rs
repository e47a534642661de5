//! The raw C declarations (libheif >= 1.13, `libheif/heif.h`). Enums are C `enum`s, passed as
//! `c_int`; pointers to opaque structs are only ever handled by the safe wrappers in `heic::imp`.

use std::ffi::{c_char, c_int, c_void};
use std::marker::{PhantomData, PhantomPinned};

/// `struct heif_error`, returned by value.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct HeifError {
    pub code: c_int,
    pub subcode: c_int,
    /// Never null per the header; owned by libheif (valid until the object that produced
    /// the error is used again or freed).
    pub message: *const c_char,
}

macro_rules! opaque {
    ($($name:ident),*) => {$(
        #[repr(C)]
        pub struct $name {
            _data: [u8; 0],
            _marker: PhantomData<(*mut u8, PhantomPinned)>,
        }
    )*};
}
opaque!(HeifContext, HeifImageHandle, HeifImage);

/// The leading fields of `struct heif_decoding_options` (versions 1 and 2), which have kept
/// their layout in every release since. Only ever used behind a pointer from
/// `heif_decoding_options_alloc` (the real struct is larger), never created here.
#[repr(C)]
pub struct DecodingOptionsHead {
    pub version: u8,
    pub ignore_transformations: u8,
    pub start_progress: *mut c_void,
    pub on_progress: *mut c_void,
    pub end_progress: *mut c_void,
    pub progress_user_data: *mut c_void,
    /// Version 2: convert 10/12-bit images to 8 bits when an 8-bit chroma is asked for.
    pub convert_hdr_to_8bit: u8,
}

pub const ERROR_OK: c_int = 0;
pub const ERROR_INVALID_INPUT: c_int = 2;
pub const ERROR_UNSUPPORTED_FILETYPE: c_int = 3;
pub const ERROR_UNSUPPORTED_FEATURE: c_int = 4;
pub const ERROR_MEMORY_ALLOCATION: c_int = 6;
pub const SUBERROR_END_OF_DATA: c_int = 100;
pub const SUBERROR_SECURITY_LIMIT_EXCEEDED: c_int = 1000;
pub const SUBERROR_UNSUPPORTED_CODEC: c_int = 3000;

pub const COLORSPACE_RGB: c_int = 1;
pub const CHROMA_INTERLEAVED_RGB: c_int = 10;
pub const CHANNEL_INTERLEAVED: c_int = 10;

// Linked through the flags pkg-config gave build.rs.
unsafe extern "C" {
    pub fn heif_init(params: *mut c_void) -> HeifError;

    pub fn heif_context_alloc() -> *mut HeifContext;
    pub fn heif_context_free(ctx: *mut HeifContext);
    pub fn heif_context_read_from_memory_without_copy(
        ctx: *mut HeifContext,
        mem: *const c_void,
        size: usize,
        options: *const c_void,
    ) -> HeifError;
    pub fn heif_context_get_primary_image_handle(
        ctx: *mut HeifContext,
        out_handle: *mut *mut HeifImageHandle,
    ) -> HeifError;

    pub fn heif_image_handle_release(handle: *const HeifImageHandle);
    pub fn heif_image_handle_get_width(handle: *const HeifImageHandle) -> c_int;
    pub fn heif_image_handle_get_height(handle: *const HeifImageHandle) -> c_int;
    pub fn heif_image_handle_get_number_of_metadata_blocks(
        handle: *const HeifImageHandle,
        type_filter: *const c_char,
    ) -> c_int;
    pub fn heif_image_handle_get_list_of_metadata_block_IDs(
        handle: *const HeifImageHandle,
        type_filter: *const c_char,
        ids: *mut u32,
        count: c_int,
    ) -> c_int;
    pub fn heif_image_handle_get_metadata_size(handle: *const HeifImageHandle, id: u32) -> usize;
    pub fn heif_image_handle_get_metadata(
        handle: *const HeifImageHandle,
        id: u32,
        out_data: *mut c_void,
    ) -> HeifError;

    pub fn heif_decoding_options_alloc() -> *mut DecodingOptionsHead;
    pub fn heif_decoding_options_free(options: *mut DecodingOptionsHead);
    pub fn heif_decode_image(
        handle: *const HeifImageHandle,
        out_img: *mut *mut HeifImage,
        colorspace: c_int,
        chroma: c_int,
        options: *const DecodingOptionsHead,
    ) -> HeifError;

    pub fn heif_image_get_chroma_format(img: *const HeifImage) -> c_int;
    pub fn heif_image_get_width(img: *const HeifImage, channel: c_int) -> c_int;
    pub fn heif_image_get_height(img: *const HeifImage, channel: c_int) -> c_int;
    pub fn heif_image_get_bits_per_pixel(img: *const HeifImage, channel: c_int) -> c_int;
    pub fn heif_image_get_plane_readonly(
        img: *const HeifImage,
        channel: c_int,
        out_stride: *mut c_int,
    ) -> *const u8;
    pub fn heif_image_release(img: *const HeifImage);
}
