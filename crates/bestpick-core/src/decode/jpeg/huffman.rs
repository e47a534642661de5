//! Huffman tables (JPEG Annex C) with a 9-bit lookahead, plus a combined AC table that decodes
//! run, size and value — of up to two symbols at once — in one lookup when their codes and extra
//! bits fit in `AC_BITS` bits (end-of-block and zero-run codes included).

use super::JpegError;
use super::bits::{BitReader, extend};

/// Lookahead width. Most JPEG codes are shorter than this.
pub(super) const FAST_BITS: u32 = 9;
const FAST_SIZE: usize = 1 << FAST_BITS;

/// Lookahead of the combined AC table: 2 048 eight-byte entries.
pub(super) const AC_BITS: u32 = 11;
const AC_SIZE: usize = 1 << AC_BITS;

/// How far an end-of-block symbol advances the coefficient index: past the last one, so the
/// block loop ends without a separate test.
pub(super) const EOB_ADVANCE: u32 = 64;

/// One entry of the combined AC table, unpacked.
///
/// Each symbol *advances* the coefficient index by its zero run plus one and puts its value at
/// the index it lands on minus one: a zero run of 16 is an advance of 16 with value 0, end of
/// block an advance of `EOB_ADVANCE`. An absent second symbol advances by 0 with value 0 — it
/// lands on the first symbol's index and adds nothing — so both can be applied without a branch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct AcPair(u64);

impl AcPair {
    /// Bits taken by both symbols.
    #[inline(always)]
    pub(super) fn len(self) -> u32 {
        (self.0 & 0x3F) as u32
    }
    /// Bits taken by the first symbol.
    #[inline(always)]
    pub(super) fn len1(self) -> u32 {
        ((self.0 >> 6) & 0x3F) as u32
    }
    #[inline(always)]
    pub(super) fn advance1(self) -> usize {
        ((self.0 >> 16) & 0xFF) as usize
    }
    #[inline(always)]
    pub(super) fn advance2(self) -> usize {
        ((self.0 >> 24) & 0xFF) as usize
    }
    #[inline(always)]
    pub(super) fn value1(self) -> i32 {
        i32::from((self.0 >> 32) as u16 as i16)
    }
    #[inline(always)]
    pub(super) fn value2(self) -> i32 {
        i32::from((self.0 >> 48) as u16 as i16)
    }
    /// No entry: the next symbol needs the slow path.
    #[inline(always)]
    pub(super) fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// A decoding table built from a DHT segment.
#[derive(Clone)]
pub(super) struct Huffman {
    /// `(length << 8) | symbol` for codes up to FAST_BITS long, 0 otherwise.
    fast: Box<[u16; FAST_SIZE]>,
    /// For AC tables, the [`AcPair`] of each `AC_BITS`-bit window; 0 when not even the first
    /// symbol fits.
    pairs: Box<[u64; AC_SIZE]>,
    /// Largest code of each length, left-aligned to 16 bits, plus one (`maxcode[17]` sentinel).
    maxcode: [u32; 18],
    /// Offset to add to a code of length `l` to index `symbols`.
    delta: [i32; 17],
    symbols: Vec<u8>,
}

/// Why a table is unusable.
#[derive(Debug)]
pub(super) struct BadTable;

impl Huffman {
    /// Builds a table from the 16 code-length counts and the symbol values of a DHT entry.
    pub(super) fn new(counts: &[u8; 16], symbols: &[u8], ac: bool) -> Result<Huffman, BadTable> {
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        if total != symbols.len() || total > 256 || total == 0 {
            return Err(BadTable);
        }
        let mut fast = Box::new([0u16; FAST_SIZE]);
        let mut maxcode = [0u32; 18];
        let mut delta = [0i32; 17];
        let mut code: u32 = 0;
        let mut k = 0usize;
        let mut sizes = Vec::with_capacity(total);
        let mut codes = Vec::with_capacity(total);
        for len in 1..=16u32 {
            let count = usize::from(counts[len as usize - 1]);
            delta[len as usize] = k as i32 - code as i32;
            for _ in 0..count {
                sizes.push(len);
                codes.push(code);
                code += 1;
                k += 1;
            }
            if code > (1 << len) {
                return Err(BadTable); // more codes than this length can hold
            }
            maxcode[len as usize] = code << (16 - len);
            code <<= 1;
        }
        maxcode[17] = u32::MAX;
        for (i, (&len, &c)) in sizes.iter().zip(&codes).enumerate() {
            if len <= FAST_BITS {
                let shift = FAST_BITS - len;
                let first = (c << shift) as usize;
                for slot in &mut fast[first..first + (1 << shift)] {
                    *slot = ((len as u16) << 8) | u16::from(symbols[i]);
                }
            }
        }
        let mut table = Huffman {
            fast,
            pairs: Box::new([0u64; AC_SIZE]),
            maxcode,
            delta,
            symbols: symbols.to_vec(),
        };
        if ac {
            // One symbol at the start of each window: (bits taken, advance, value).
            let mut single = vec![None; AC_SIZE];
            for (i, slot) in single.iter_mut().enumerate() {
                *slot = table.ac_symbol(i as u32);
            }
            for (i, slot) in table.pairs.iter_mut().enumerate() {
                let Some((l1, a1, v1)) = single[i] else {
                    continue;
                };
                let mut second = (0, 0, 0);
                let rest = AC_BITS - l1;
                if a1 != EOB_ADVANCE && rest > 0 {
                    // The next symbol must lie entirely within the known bits.
                    let next = ((i as u32) << l1) & (AC_SIZE as u32 - 1);
                    if let Some((l2, a2, v2)) = single[next as usize]
                        && l2 <= rest
                    {
                        second = (l2, a2, v2);
                    }
                }
                let (l2, a2, v2) = second;
                *slot = u64::from(l1 + l2)
                    | (u64::from(l1) << 6)
                    | (u64::from(a1) << 16)
                    | (u64::from(a2) << 24)
                    | (u64::from(v1 as i16 as u16) << 32)
                    | (u64::from(v2 as i16 as u16) << 48);
            }
        }
        Ok(table)
    }

    /// Decodes one symbol. `None` means the bits match no code (corrupt data).
    #[inline(always)]
    pub(super) fn decode(&self, r: &mut BitReader<'_>) -> Option<u8> {
        r.ensure(16);
        self.decode_buffered(r)
    }

    /// [`decode`](Self::decode), bits that match no code being an error.
    #[inline(always)]
    pub(super) fn symbol(&self, r: &mut BitReader<'_>) -> Result<u8, JpegError> {
        self.decode(r).ok_or(JpegError::Corrupt("bad Huffman code"))
    }

    /// Decodes one symbol when at least 16 bits are buffered.
    #[inline(always)]
    pub(super) fn decode_buffered(&self, r: &mut BitReader<'_>) -> Option<u8> {
        let look = r.peek(FAST_BITS) as usize;
        let entry = self.fast[look];
        if entry != 0 {
            r.consume(u32::from(entry >> 8));
            return Some((entry & 0xFF) as u8);
        }
        let (symbol, len) = self.decode_slow(r.peek(16))?;
        r.consume(len);
        Some(symbol)
    }

    /// Decodes one DC difference (T.81 F.2.2.1) with this DC table: its size, then its bits.
    #[inline(always)]
    pub(super) fn dc_diff(&self, r: &mut BitReader<'_>) -> Result<i32, JpegError> {
        let size = u32::from(self.symbol(r)?);
        if size > 11 {
            return Err(JpegError::Corrupt("DC difference too large"));
        }
        Ok(r.receive_extend(size))
    }

    /// [`dc_diff`](Self::dc_diff) when at least 27 bits are buffered (a code and its value):
    /// no test of the fill level, and the sign taken without a branch.
    #[inline(always)]
    pub(super) fn dc_diff_buffered(&self, r: &mut BitReader<'_>) -> Result<i32, JpegError> {
        let size = u32::from(
            self.decode_buffered(r)
                .ok_or(JpegError::Corrupt("bad Huffman code"))?,
        );
        if size > 11 {
            return Err(JpegError::Corrupt("DC difference too large"));
        }
        Ok(r.receive_extend_any(size))
    }

    /// The symbol and code length at the start of `code16` (the next 16 bits).
    fn lookup(&self, code16: u32) -> Option<(u8, u32)> {
        let entry = self.fast[(code16 >> (16 - FAST_BITS)) as usize];
        if entry != 0 {
            return Some(((entry & 0xFF) as u8, u32::from(entry >> 8)));
        }
        self.decode_slow(code16)
    }

    /// Codes longer than the lookahead: a pure function of the next 16 bits, so that the bit
    /// reader never has to leave registers for it.
    #[cold]
    fn decode_slow(&self, code16: u32) -> Option<(u8, u32)> {
        let mut len = FAST_BITS + 1;
        while len <= 16 && code16 >= self.maxcode[len as usize] {
            len += 1;
        }
        if len > 16 {
            return None;
        }
        let code = (code16 >> (16 - len)) as i32;
        let index = code + self.delta[len as usize];
        let symbol = *self.symbols.get(usize::try_from(index).ok()?)?;
        Some((symbol, len))
    }

    /// The AC symbol at the start of an `AC_BITS`-bit window when it and its extra bits fit:
    /// (bits taken, advance, value).
    fn ac_symbol(&self, window: u32) -> Option<(u32, u32, i32)> {
        let (rs, len) = self.lookup(window << (16 - AC_BITS))?;
        let run = u32::from(rs >> 4);
        let size = u32::from(rs & 15);
        if len + size > AC_BITS {
            return None;
        }
        match (run, size) {
            (0, 0) => Some((len, EOB_ADVANCE, 0)),
            (15, 0) => Some((len, 16, 0)),
            (_, 0) => None, // not a valid AC symbol; the slow path reports it
            _ => {
                let raw = (window >> (AC_BITS - len - size)) & ((1 << size) - 1);
                Some((len + size, run + 1, extend(raw as i32, size)))
            }
        }
    }

    /// The combined AC entry for the next bits. Needs at least AC_BITS buffered bits.
    #[inline(always)]
    pub(super) fn ac_pair(&self, r: &BitReader<'_>) -> AcPair {
        AcPair(self.pairs[r.peek(AC_BITS) as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The standard luminance DC table (ITU T.81 K.3).
    fn std_dc() -> Huffman {
        let counts = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
        let symbols = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
        Huffman::new(&counts, &symbols, false).expect("standard table")
    }

    #[test]
    fn decodes_standard_dc_codes() {
        // Codes: 00 -> 0, 010 -> 1, 011 -> 2, 100 -> 3, 101 -> 4, 110 -> 5, 1110 -> 6,
        // 11110 -> 7, 111110 -> 8, 1111110 -> 9, 11111110 -> 10, 111111110 -> 11.
        let bits = "00 010 011 100 101 110 1110 11110 111110 1111110 11111110 111111110";
        let mut bytes = Vec::new();
        let mut cur = 0u8;
        let mut n = 0;
        for ch in bits.chars().filter(|c| !c.is_whitespace()) {
            cur = (cur << 1) | u8::from(ch == '1');
            n += 1;
            if n == 8 {
                bytes.push(cur);
                cur = 0;
                n = 0;
            }
        }
        if n > 0 {
            bytes.push((cur << (8 - n)) | ((1 << (8 - n)) - 1));
        }
        bytes.extend_from_slice(&[0xFF, 0xD9]);
        let table = std_dc();
        let mut r = BitReader::new(&bytes, 0);
        for expected in 0..=11u8 {
            assert_eq!(table.decode(&mut r), Some(expected), "symbol {expected}");
        }
    }

    #[test]
    fn rejects_oversubscribed_tables() {
        let counts = [3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert!(Huffman::new(&counts, &[1, 2, 3], false).is_err());
    }
}
