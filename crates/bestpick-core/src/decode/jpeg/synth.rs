//! Minimal valid JPEGs of flat blocks, written directly: every block's DC difference and AC
//! data are a one-bit Huffman code each, so a frame of any declared size costs two bits a
//! block (one for a progressive DC scan). For tests, benchmarks and fuzz seeds that need large
//! frames (and decompression bombs) without encoding real pixels.

/// What to write.
#[derive(Debug, Clone, Copy)]
pub struct Flat {
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// 1 (grey) or 3 (YCbCr).
    pub components: u8,
    /// Luma sampling factors (h, v); chroma is 1×1.
    pub sampling: (u8, u8),
    /// A progressive file holding one interleaved DC scan (legal, and enough for a decoder
    /// to allocate every coefficient), instead of one baseline scan.
    pub progressive: bool,
}

impl Flat {
    /// A grey baseline frame.
    pub fn grey(width: u16, height: u16) -> Flat {
        Flat {
            width,
            height,
            components: 1,
            sampling: (1, 1),
            progressive: false,
        }
    }

    /// The JPEG file.
    pub fn encode(&self) -> Vec<u8> {
        let n = usize::from(self.components.clamp(1, 3));
        let (h, v) = (
            usize::from(self.sampling.0.clamp(1, 4)),
            usize::from(self.sampling.1.clamp(1, 4)),
        );
        let mut out = vec![0xFF, 0xD8];
        let segment = |out: &mut Vec<u8>, marker: u8, body: &[u8]| {
            out.extend_from_slice(&[0xFF, marker]);
            let len = u16::try_from(body.len() + 2).unwrap_or(u16::MAX);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(body);
        };
        // Quantization table 0: all ones.
        let mut dqt = vec![0u8];
        dqt.extend_from_slice(&[1u8; 64]);
        segment(&mut out, 0xDB, &dqt);
        // Frame header.
        let mut sof = vec![8];
        sof.extend_from_slice(&self.height.to_be_bytes());
        sof.extend_from_slice(&self.width.to_be_bytes());
        sof.push(n as u8);
        for i in 0..n {
            let factors = if i == 0 { (h << 4 | v) as u8 } else { 0x11 };
            sof.extend_from_slice(&[i as u8 + 1, factors, 0]);
        }
        segment(&mut out, if self.progressive { 0xC2 } else { 0xC0 }, &sof);
        // Huffman tables: DC class 0 and AC class 1, each one symbol (0: no difference,
        // end of block) with the one-bit code `0`.
        for class in [0x00u8, 0x10] {
            let mut dht = vec![class];
            let mut counts = [0u8; 16];
            counts[0] = 1;
            dht.extend_from_slice(&counts);
            dht.push(0);
            segment(&mut out, 0xC4, &dht);
        }
        // One scan over every component.
        let mut sos = vec![n as u8];
        for i in 0..n {
            sos.extend_from_slice(&[i as u8 + 1, 0x00]);
        }
        let (se, bits_per_block) = if self.progressive { (0, 1) } else { (63, 2) };
        sos.extend_from_slice(&[0, se, 0]);
        segment(&mut out, 0xDA, &sos);
        let (w, hgt) = (usize::from(self.width), usize::from(self.height));
        let blocks = if n == 1 {
            w.div_ceil(8) * hgt.div_ceil(8)
        } else {
            let mcus = w.div_ceil(8 * h) * hgt.div_ceil(8 * v);
            mcus * (h * v + n - 1)
        };
        let bits = blocks * bits_per_block;
        // All codes are zero bits; the last byte is padded with ones.
        out.resize(out.len() + bits / 8, 0);
        if bits % 8 != 0 {
            out.push(0xFF >> (bits % 8));
        }
        out.extend_from_slice(&[0xFF, 0xD9]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::jpeg::{JpegOptions, read_blocks};

    #[test]
    fn flat_frames_decode_to_flat_blocks() {
        for spec in [
            Flat::grey(100, 60),
            Flat {
                components: 3,
                sampling: (2, 2),
                ..Flat::grey(97, 45)
            },
            Flat {
                components: 3,
                sampling: (1, 1),
                progressive: true,
                ..Flat::grey(64, 40)
            },
        ] {
            let b = read_blocks(&spec.encode(), &JpegOptions::default())
                .unwrap_or_else(|e| panic!("{spec:?}: {e}"));
            assert_eq!((b.width, b.height), (spec.width.into(), spec.height.into()));
            assert!(b.luma.dc.iter().all(|&d| d == 128.0), "{spec:?}");
            assert!(b.luma.feat.iter().all(|f| f.iter().all(|&e| e == 0.0)));
        }
    }
}
