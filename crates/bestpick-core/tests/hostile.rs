//! Hostile files cost bounded time and memory: parsers stay linear in the file's size, every
//! decoder reserves its memory from the budget before allocating, thread buffers do not keep a
//! huge photo's memory, cancellation reaches into the decoders, and a panic in any stage of a
//! photo's work is that photo's error.

mod common;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bestpick_core::decode::jpeg::synth::Flat;
use bestpick_core::decode::{self, DecodeOptions};
use bestpick_core::guard::{self, Step};
use bestpick_core::{
    AnalyzeParams, CancelFlag, FileKind, NoProgress, PhotoErrorKind, analyze_files,
    analyze_files_showing, scan,
};
use common::fixtures;

/// Runs `f` on another thread and gives up after `limit`: a hung parser fails the test
/// promptly instead of hanging it (the thread is left behind).
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("still running after {limit:?}"))
}

fn repeat(pattern: &[u8], len: usize) -> Vec<u8> {
    pattern.iter().copied().cycle().take(len).collect()
}

#[test]
fn raw_preview_search_is_linear_in_the_file_size() {
    const SIZE: usize = 4 << 20;
    let valid_header = [
        0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8, 1, 0x2C, 1, 0x90, 1, 1, 0x11, 0,
    ];
    let cases: [(&str, Vec<u8>); 4] = [
        (
            "repeated start-of-image markers",
            repeat(&[0xFF, 0xD8], SIZE),
        ),
        // Each segment's payload holds the next candidate.
        (
            "segments nested in each other",
            repeat(&[0xFF, 0xE0, 0x00, 0x05, 0xFF, 0xD8, 0xFF], SIZE),
        ),
        // Thousands of headers that each look like a 400x300 preview.
        ("thousands of frame headers", repeat(&valid_header, SIZE)),
        (
            "fill bytes after every start of image",
            repeat(&[0xFF, 0xD8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], SIZE),
        ),
    ];
    for (name, data) in cases {
        let started = Instant::now();
        let result = within(Duration::from_secs(20), move || {
            let mut raw = b"II*\0".to_vec();
            raw.extend_from_slice(&data);
            decode::decode(&raw, FileKind::Raw, &DecodeOptions::default()).map(|_| ())
        });
        let took = started.elapsed();
        assert!(result.is_err(), "{name}: not a photo");
        assert!(
            took < Duration::from_secs(1),
            "{name}: {took:?} for a 4 MB file"
        );
    }
}

#[test]
fn a_progressive_bomb_is_refused_before_allocating() {
    // About 300 KB... 1.7 MB of file declaring 17 000 x 17 000 pixels in 4:4:4: every
    // coefficient of such a frame would take 1.7 GB.
    let bomb = Flat {
        components: 3,
        progressive: true,
        ..Flat::grey(17_000, 17_000)
    }
    .encode();
    let started = Instant::now();
    let err = decode::decode(&bomb, FileKind::Jpeg, &DecodeOptions::default()).expect_err("bomb");
    match &err {
        PhotoErrorKind::TooLarge(m) => {
            assert!(m.contains("memory") && m.contains("budget"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(1));

    // The same frame within a budget that fits it is decoded; the budget is shared, so the
    // reservation is given back when the decode is dropped.
    let small = Flat {
        components: 3,
        progressive: true,
        ..Flat::grey(2000, 1500)
    }
    .encode();
    let d = decode::decode(&small, FileKind::Jpeg, &DecodeOptions::default()).expect("fits");
    let reserved = d.budget.as_ref().map_or(0, |b| b.bytes());
    // 47 000 blocks per component: 3 x 128 bytes of coefficients each, and block data.
    assert!(
        (18_000_000..40_000_000).contains(&reserved),
        "reserved {reserved}"
    );
    let tight = DecodeOptions {
        max_alloc: reserved - 1,
        ..DecodeOptions::default()
    };
    assert!(matches!(
        decode::decode(&small, FileKind::Jpeg, &tight),
        Err(PhotoErrorKind::TooLarge(_))
    ));
}

#[test]
fn every_pixel_decoder_reserves_its_memory_first() {
    let img = image::RgbImage::from_fn(2000, 1500, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x + y) % 239) as u8])
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let tight = DecodeOptions {
        max_alloc: 4 << 20,
        ..DecodeOptions::default()
    };
    for (name, kind) in [
        ("x.png", FileKind::Png),
        ("x.tiff", FileKind::Tiff),
        ("x.webp", FileKind::Webp),
    ] {
        let path = dir.path().join(name);
        img.save(&path).expect("save");
        let data = std::fs::read(&path).expect("read");
        match decode::decode(&data, kind, &tight) {
            Err(PhotoErrorKind::TooLarge(m)) => assert!(m.contains("budget"), "{name}: {m}"),
            other => panic!("{name}: {other:?}"),
        }
        let d = decode::decode(&data, kind, &DecodeOptions::default()).expect(name);
        assert!(d.budget.as_ref().is_some_and(|b| b.bytes() >= 9_000_000));
    }
}

#[test]
fn thread_buffers_do_not_keep_a_huge_photo() {
    // 144 MP of flat grey: 2.25 M blocks, 72 MB of block data.
    let huge = Flat::grey(12_000, 12_000).encode();
    let within_thread = std::thread::spawn(move || {
        let d = decode::decode(&huge, FileKind::Jpeg, &DecodeOptions::default()).expect("huge");
        decode::recycle(d);
        let after_huge = decode::spare_bytes();
        let small = Flat::grey(640, 480).encode();
        let d = decode::decode(&small, FileKind::Jpeg, &DecodeOptions::default()).expect("small");
        decode::recycle(d);
        (after_huge, decode::spare_bytes())
    });
    let (after_huge, after_small) = within_thread.join().expect("thread");
    assert!(
        after_huge <= decode::SPARE_KEEP_BYTES,
        "kept {after_huge} bytes"
    );
    assert!(after_small > 0 && after_small < 1 << 20, "{after_small}");
}

#[test]
fn a_cancelled_job_stops_inside_the_decoders() {
    let flag = CancelFlag::new();
    flag.cancel();
    let jpeg = Flat::grey(8000, 6000).encode();
    let err = guard::with_cancel(&flag, || {
        decode::decode(&jpeg, FileKind::Jpeg, &DecodeOptions::default())
    })
    .expect_err("cancelled");
    assert_eq!(err, PhotoErrorKind::Cancelled);
    let png = std::fs::read(fixtures().join("singles/skimage_coffee.png")).expect("png");
    let err = guard::with_cancel(&flag, || {
        decode::decode(&png, FileKind::Png, &DecodeOptions::default())
    })
    .expect_err("cancelled");
    assert_eq!(err, PhotoErrorKind::Cancelled);
    // Without the flag both decode.
    decode::decode(&jpeg, FileKind::Jpeg, &DecodeOptions::default()).expect("jpeg");
    decode::decode(&png, FileKind::Png, &DecodeOptions::default()).expect("png");
}

/// A shoot of real photos, one per stage to break, plus some left alone.
fn shoot(dir: &Path) -> Vec<PathBuf> {
    let src = fixtures().join("singles");
    let mut out = Vec::new();
    for (i, name) in [
        "fault-read",
        "fault-decode",
        "fault-measure",
        "fault-thumbnail",
        "fault-faces",
        "fine-1",
        "fine-2",
    ]
    .iter()
    .enumerate()
    {
        let from = if i % 2 == 0 {
            "facerec_obama.jpg"
        } else {
            "mpl_grace_hopper.jpg"
        };
        let to = dir.join(format!("{name}.jpg"));
        std::fs::copy(src.join(from), &to).expect("copy");
        out.push(to);
    }
    out
}

#[test]
fn a_panic_in_any_stage_is_that_photos_error_and_the_rest_is_analyzed() {
    let dir = tempfile::tempdir().expect("tempdir");
    shoot(dir.path());
    for (marker, step) in [
        ("fault-read", Step::Read),
        ("fault-decode", Step::Decode),
        ("fault-measure", Step::Measure),
        ("fault-thumbnail", Step::Thumbnail),
        ("fault-faces", Step::Faces),
    ] {
        guard::fault::inject(step, marker);
    }
    let report = scan(dir.path()).expect("scan");
    let results = std::sync::Mutex::new(vec![None; report.photos.len()]);
    let finished = analyze_files(
        &report.photos,
        &AnalyzeParams {
            faces: true,
            thumbnail_side: Some(256),
            ..AnalyzeParams::default()
        },
        &CancelFlag::new(),
        &NoProgress,
        |i, r| results.lock().expect("lock")[i] = Some(r),
    );
    assert_eq!(finished, report.photos.len());
    let results = results.into_inner().expect("lock");
    for (photo, result) in report.photos.iter().zip(results) {
        let name = photo.rel_path.as_str();
        let result = result.unwrap_or_else(|| panic!("{name}: no result"));
        let stage_of = |kind: &PhotoErrorKind| match kind {
            PhotoErrorKind::StageFailed { stage, detail } => {
                assert!(detail.contains("injected fault"), "{name}: {detail}");
                stage.clone()
            }
            PhotoErrorKind::DecoderPanic(detail) => {
                assert!(detail.contains("injected fault"), "{name}: {detail}");
                "decoding".into()
            }
            other => panic!("{name}: {other:?}"),
        };
        match name {
            "fault-read.jpg" | "fault-decode.jpg" | "fault-measure.jpg" => {
                let err = result.expect_err(name);
                let want = match name {
                    "fault-read.jpg" => Step::Read,
                    "fault-decode.jpg" => Step::Decode,
                    _ => Step::Measure,
                };
                assert_eq!(stage_of(&err.kind), want.name(), "{name}");
            }
            "fault-thumbnail.jpg" | "fault-faces.jpg" => {
                // Analyzed without the failed part, with a warning naming the stage.
                let a = result.expect(name);
                let warning = a.warning.as_ref().expect("warning");
                let want = if name == "fault-thumbnail.jpg" {
                    assert!(a.thumbnail.is_none());
                    Step::Thumbnail
                } else {
                    assert!(a.analysis.faces.is_none());
                    assert!(a.thumbnail.is_some());
                    Step::Faces
                };
                assert_eq!(stage_of(&warning.kind), want.name(), "{name}");
            }
            _ => {
                let a = result.expect(name);
                assert!(a.warning.is_none() && a.thumbnail.is_some(), "{name}");
                assert!(a.analysis.faces.is_some(), "{name}: faces analyzed");
            }
        }
    }
}

#[test]
fn thumbnails_handed_on_early_are_the_same_and_a_failing_receiver_costs_only_its_own() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = fixtures().join("singles");
    for (name, from) in [
        ("early-1", "facerec_obama.jpg"),
        ("early-2", "mpl_grace_hopper.jpg"),
        ("early-receiver-panics", "facerec_obama.jpg"),
    ] {
        std::fs::copy(src.join(from), dir.path().join(format!("{name}.jpg"))).expect("copy");
    }
    let photos = scan(dir.path()).expect("scan").photos;
    let params = AnalyzeParams {
        faces: true,
        thumbnail_side: Some(256),
        ..AnalyzeParams::default()
    };
    // The same job with each thumbnail in its result, to compare with.
    let plain = std::sync::Mutex::new(vec![None; photos.len()]);
    analyze_files(&photos, &params, &CancelFlag::new(), &NoProgress, |i, r| {
        plain.lock().expect("lock")[i] = Some(r.expect("analyzed"));
    });
    let plain = plain.into_inner().expect("lock");
    // (photo, whether a thumbnail or a result), in the order they came.
    let order = std::sync::Mutex::new(Vec::new());
    let thumbs = std::sync::Mutex::new(vec![None; photos.len()]);
    let results = std::sync::Mutex::new(vec![None; photos.len()]);
    let finished = analyze_files_showing(
        &photos,
        &params,
        &CancelFlag::new(),
        &NoProgress,
        |i, thumbnail| {
            order.lock().expect("lock").push((i, "thumbnail"));
            thumbs.lock().expect("lock")[i] = Some(thumbnail);
            assert!(!photos[i].rel_path.contains("panics"), "the receiver fails");
        },
        |i, r| {
            order.lock().expect("lock").push((i, "result"));
            results.lock().expect("lock")[i] = Some(r);
        },
    );
    assert_eq!(finished, photos.len());
    let order = order.into_inner().expect("lock");
    let thumbs = thumbs.into_inner().expect("lock");
    let results = results.into_inner().expect("lock");
    for (i, photo) in photos.iter().enumerate() {
        let name = photo.rel_path.as_str();
        let at = |what| order.iter().position(|&e| e == (i, what));
        let (Some(thumb_at), Some(result_at)) = (at("thumbnail"), at("result")) else {
            panic!("{name}: a thumbnail and a result: {order:?}")
        };
        assert!(
            thumb_at < result_at,
            "{name}: the thumbnail first: {order:?}"
        );
        let Some(Ok(a)) = &results[i] else {
            panic!("{name}: {:?}", results[i])
        };
        let before = plain[i].as_ref().unwrap_or_else(|| panic!("{name}"));
        assert!(a.thumbnail.is_none(), "{name}: handed on, not kept");
        assert!(a.warning.is_none(), "{name}: {:?}", a.warning);
        assert_eq!(a.analysis, before.analysis, "{name}: the same analysis");
        assert!(
            a.analysis.faces.as_ref().is_some_and(|f| !f.is_empty()),
            "{name}: faces found after the thumbnail"
        );
        assert_eq!(thumbs[i], before.thumbnail, "{name}: the same thumbnail");
    }
}
