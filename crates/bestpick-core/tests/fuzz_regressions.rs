//! Regression tests for what the fuzz targets (`fuzz/`) found, each with its minimized input
//! (`tests/fixtures/fuzz/<target>/…`) or a hand-made equivalent.

use std::path::PathBuf;

use bestpick_core::decode::jpeg::{self, JpegError, JpegOptions};

/// A minimized fuzz input, `tests/fixtures/fuzz/<target>/<name>`.
fn fixture(target: &str, name: &str) -> Vec<u8> {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests/fixtures/fuzz",
        target,
        name,
    ]
    .iter()
    .collect();
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Bits, most significant first, to bytes padded with ones (as JPEG encoders pad).
fn pack(bits: &str) -> Vec<u8> {
    let bits: Vec<u8> = bits.bytes().filter(|b| *b == b'0' || *b == b'1').collect();
    bits.chunks(8)
        .map(|c| {
            let mut byte = 0u8;
            for i in 0..8 {
                byte = byte << 1 | c.get(i).map_or(1, |&b| b - b'0');
            }
            byte
        })
        .collect()
}

fn segment(marker: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![0xFF, marker];
    v.extend_from_slice(&u16::try_from(body.len() + 2).expect("short").to_be_bytes());
    v.extend_from_slice(body);
    v
}

/// DHT body: class/id, then one code length for all `symbols` (2 bits: up to 4 symbols).
fn dht(class_id: u8, len: usize, symbols: &[u8]) -> Vec<u8> {
    let mut body = vec![class_id];
    let mut counts = [0u8; 16];
    counts[len - 1] = symbols.len() as u8;
    body.extend_from_slice(&counts);
    body.extend_from_slice(symbols);
    segment(0xC4, &body)
}

/// A grey 16×8 JPEG (two blocks) with quantization 1, a DC table `0` → 0, `1` → size 1, and
/// an AC table `00` EOB, `01` ZRL, `10` run 15 size 1, `11` run 0 size 1.
fn two_blocks(progressive: bool, scans: &[(&[u8], &str)]) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8];
    let mut dqt = vec![0u8];
    dqt.extend_from_slice(&[1u8; 64]);
    v.extend(segment(0xDB, &dqt));
    v.extend(segment(
        if progressive { 0xC2 } else { 0xC0 },
        &[8, 0, 8, 0, 16, 1, 1, 0x11, 0],
    ));
    v.extend(dht(0x00, 1, &[0, 1]));
    v.extend(dht(0x10, 2, &[0x00, 0xF0, 0xF1, 0x01]));
    for (header, bits) in scans {
        v.extend(segment(0xDA, header));
        v.extend(pack(bits));
    }
    v.extend_from_slice(&[0xFF, 0xD9]);
    v
}

/// `jpeg_differential`: an AC run that ends past coefficient 63 (damaged data libjpeg accepts
/// without a warning). libjpeg reads the value's bits and stores it at position 63; the reader
/// dropped it, and in its slow path and in progressive first AC scans did not even read its
/// bits, so every later block of the scan came out wrong.
#[test]
fn ac_run_past_the_end_is_read_as_libjpeg_does() {
    // Block 1: DC 0; ZRL ×3 (k = 49), then run 15 size 1 value +1: lands past 63.
    // Block 2: DC +1, then EOB.
    let baseline = two_blocks(
        false,
        &[(&[1, 1, 0x00, 0, 63, 0], "0 01 01 01 10 1  1 1 00")],
    );
    // Progressive: a DC scan (both 0), then the same AC data in one AC scan; block 2 gets a
    // run 0 size 1 value +1 at coefficient 1.
    let progressive = two_blocks(
        true,
        &[
            (&[1, 1, 0x00, 0, 0, 0], "0 0"),
            (&[1, 1, 0x00, 1, 63, 0], "01 01 01 10 1  11 1 00"),
        ],
    );
    let opts = JpegOptions::default();
    for (case, data, dc2, ac2) in [
        ("baseline", &baseline, 1, 0),
        ("progressive", &progressive, 0, 1),
    ] {
        let planes = jpeg::read_coefficients(data, &opts).unwrap_or_else(|e| panic!("{case}: {e}"));
        let blocks = &planes[0].blocks;
        assert_eq!(blocks.len(), 2, "{case}");
        let mut want1 = [0i16; 64];
        want1[63] = 1;
        assert_eq!(blocks[0], want1, "{case}: block 1 holds the value at 63");
        let mut want2 = [0i16; 64];
        want2[0] = dc2;
        want2[1] = ac2;
        assert_eq!(blocks[1], want2, "{case}: block 2 decoded in step");
    }
}

/// `jpeg`: a sequential file whose luma has a second scan (with progressive-looking
/// parameters). The reader decoded both, the second overwriting the first's blocks, while the
/// row index came from the first: face crops re-read from the index did not match the blocks
/// the analysis kept. A sequential JPEG has one scan per component (T.81 B.2.3); a second, or
/// a component named twice in one scan, is now refused.
#[test]
fn a_component_scanned_twice_in_a_sequential_file_is_refused() {
    let scan: &[u8] = &[1, 1, 0x00, 0, 63, 0];
    let bits = "0 00 0 00";
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "minimized fuzz input",
            fixture("jpeg", "two-scans-of-one-component.jpg"),
        ),
        (
            "two scans of one component",
            two_blocks(false, &[(scan, bits), (scan, bits)]),
        ),
        (
            "one component named twice in a scan",
            two_blocks(
                false,
                &[(&[2, 1, 0x00, 1, 0x00, 0, 63, 0], "0 00 0 00 0 00 0 00")],
            ),
        ),
    ];
    let opts = JpegOptions {
        low: true,
        ..JpegOptions::default()
    };
    for (case, data) in cases {
        match jpeg::read_blocks(&data, &opts) {
            Err(JpegError::Corrupt(m)) => assert!(
                m.contains("twice") || m.contains("two scans"),
                "{case}: {m}"
            ),
            other => panic!("{case}: {other:?}"),
        }
    }
    // One scan of the same data reads.
    jpeg::read_blocks(&two_blocks(false, &[(scan, bits)]), &opts).expect("one scan");
}
