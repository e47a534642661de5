//! Differential check of the JPEG coefficient reader against libjpeg-turbo 3: on a file both
//! accept (libjpeg without a single warning), every quantized DCT coefficient of every
//! component must be equal. libjpeg's coefficients come from TurboJPEG's lossless transform
//! (`tj3Transform`, no-op, no output) through its `customFilter` callback, which sees each
//! component's coefficients as `jpeg_read_coefficients` left them.
#![no_main]

mod common;

use std::ffi::c_int;

use bestpick_core::decode::jpeg::{self, CoefPlane, JpegOptions};
use libfuzzer_sys::fuzz_target;
use turbojpeg_sys as tj;

/// Both readers refuse larger images (keeps each run short).
const MAX_PIXELS: u64 = 4_000_000;

/// The coefficient planes libjpeg reads, one per component.
struct Collected {
    planes: Vec<CoefPlane>,
}

/// `customFilter`: copies one row of blocks of one component (natural order, as libjpeg keeps
/// them). Rows past `planeRegion.h` are MCU padding, dropped.
unsafe extern "C" fn collect(
    coeffs: *mut libc::c_short,
    array: tj::tjregion,
    plane: tj::tjregion,
    component: c_int,
    _transform_id: c_int,
    transform: *mut tj::tjtransform,
) -> c_int {
    // SAFETY: `transform` is the tjtransform we passed to tj3Transform, whose `data` points at
    // our `Collected`, alive for the whole call.
    let out = unsafe { &mut *((*transform).data as *mut Collected) };
    let (Ok(ci), Ok(w), Ok(h), Ok(y)) = (
        usize::try_from(component),
        usize::try_from(array.w / 8),
        usize::try_from(plane.h / 8),
        usize::try_from(array.y / 8),
    ) else {
        return -1;
    };
    while out.planes.len() <= ci {
        out.planes.push(CoefPlane::default());
    }
    let p = &mut out.planes[ci];
    if p.blocks.is_empty() {
        *p = CoefPlane {
            width: w,
            height: h,
            blocks: vec![[0; 64]; w * h],
        };
    }
    if y >= p.height || w != p.width {
        return 0;
    }
    // SAFETY: libjpeg hands one row of `array.w / 8` blocks of 64 coefficients each.
    let row = unsafe { std::slice::from_raw_parts(coeffs, w * 64) };
    for (x, block) in row.chunks_exact(64).enumerate() {
        p.blocks[y * w + x].copy_from_slice(block);
    }
    0
}

/// libjpeg's coefficients, or None when it refuses the file or warns about it.
fn libjpeg(data: &[u8]) -> Option<Vec<CoefPlane>> {
    // SAFETY: plain TurboJPEG API use: a handle created and destroyed here, a transform
    // struct zero-initialised (valid for every field: null pointers, no callback) then
    // filled, the input slice valid for the call, no output buffers (TJXOPT_NOOUTPUT).
    unsafe {
        let handle = tj::tj3Init(tj::TJINIT_TJINIT_TRANSFORM as c_int);
        if handle.is_null() {
            return None;
        }
        tj::tj3Set(handle, tj::TJPARAM_TJPARAM_STOPONWARNING as c_int, 1);
        tj::tj3Set(
            handle,
            tj::TJPARAM_TJPARAM_MAXPIXELS as c_int,
            MAX_PIXELS as c_int,
        );
        let mut out = Collected { planes: Vec::new() };
        let mut t: tj::tjtransform = std::mem::zeroed();
        t.op = tj::TJXOP_TJXOP_NONE as c_int;
        t.options = (tj::TJXOPT_NOOUTPUT | tj::TJXOPT_COPYNONE) as c_int;
        t.data = (&mut out as *mut Collected).cast();
        t.customFilter = Some(collect);
        let mut dst: *mut u8 = std::ptr::null_mut();
        let mut dst_size: tj::size_t = 0;
        let rc = tj::tj3Transform(
            handle,
            data.as_ptr(),
            data.len() as tj::size_t,
            1,
            &mut dst,
            &mut dst_size,
            &t,
        );
        if !dst.is_null() {
            tj::tj3Free(dst.cast());
        }
        tj::tj3Destroy(handle);
        (rc == 0).then_some(out.planes)
    }
}

fuzz_target!(|data: &[u8]| {
    common::init();
    if data.is_empty() {
        return;
    }
    let opts = JpegOptions {
        max_pixels: MAX_PIXELS,
        max_alloc: 256 << 20,
        ..JpegOptions::default()
    };
    // libjpeg-turbo quirk, not compared: fill bytes before a stuffed zero (`FF FF 00`) make its
    // fast Huffman path stop and redo the MCU on the slow path, which in the transcoding path
    // (whole-image coefficient arrays, not zeroed per MCU) leaves the fast path's garbage in
    // the coefficients it does not write. Both readers take `FF FF 00` as a data byte FF.
    if data.windows(3).any(|w| w == [0xFF, 0xFF, 0x00]) {
        return;
    }
    let Ok(ours) = jpeg::read_coefficients(data, &opts) else {
        return;
    };
    let Some(theirs) = libjpeg(data) else {
        return;
    };
    if std::env::var_os("BESTPICK_FUZZ_VERBOSE").is_some() {
        let blocks: usize = theirs.iter().map(|p| p.blocks.len()).sum();
        eprintln!("compared {} components, {blocks} blocks", theirs.len());
    }
    assert_eq!(ours.len(), theirs.len(), "components");
    for (ci, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        assert_eq!(
            (a.width, a.height),
            (b.width, b.height),
            "component {ci}: blocks"
        );
        for (i, (x, y)) in a.blocks.iter().zip(&b.blocks).enumerate() {
            assert_eq!(
                x,
                y,
                "component {ci}, block {} of row {}: ours vs libjpeg",
                i % a.width,
                i / a.width
            );
        }
    }
});
