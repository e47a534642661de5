//! Bit reader over a JPEG entropy-coded segment: byte unstuffing (`FF 00`), markers, and a
//! 64-bit buffer refilled eight bytes at a time when no `FF` byte is in the way.

/// Reads bits most-significant first from entropy-coded data.
///
/// Keep it a local variable of the decoding loop (not behind a reference into another frame)
/// and never pass it to a function that is not inlined: its fields then live in registers.
pub(super) struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
    /// Valid bits are left-aligned: bit 63 is the next bit.
    acc: u64,
    /// Number of valid bits in `acc` (including zero padding after a marker).
    n: u32,
    /// The marker that ended the data, once seen (`pos` then points at its `FF`).
    marker: Option<u8>,
    /// Zero bits fed after the data ran out. Consuming any of them means the scan was cut short.
    padded: u32,
}

/// Everything a [`BitReader`] holds besides the data: enough to resume reading later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct BitState {
    pos: usize,
    acc: u64,
    n: u32,
    marker: Option<u8>,
    padded: u32,
}

impl<'a> BitReader<'a> {
    /// The reader's state, to resume from with [`BitReader::resume`].
    pub(super) fn state(&self) -> BitState {
        BitState {
            pos: self.pos,
            acc: self.acc,
            n: self.n,
            marker: self.marker,
            padded: self.padded,
        }
    }

    /// A reader over `data` (the same data the state was taken on) continuing from `state`.
    pub(super) fn resume(data: &'a [u8], state: BitState) -> Self {
        BitReader {
            data,
            pos: state.pos.min(data.len()),
            acc: state.acc,
            n: state.n,
            marker: state.marker,
            padded: state.padded,
        }
    }

    pub(super) fn new(data: &'a [u8], pos: usize) -> Self {
        BitReader {
            data,
            pos,
            acc: 0,
            n: 0,
            marker: None,
            padded: 0,
        }
    }

    /// Position of the next unread byte (at a marker's `FF` when one stopped the reader).
    pub(super) fn position(&self) -> usize {
        self.pos
    }

    /// The marker that stopped the reader, if any.
    pub(super) fn marker(&self) -> Option<u8> {
        self.marker
    }

    /// True when bits past the end of the data (zero padding) were consumed.
    pub(super) fn overrun(&self) -> bool {
        self.padded > 0 && self.n < self.padded
    }

    /// Makes sure at least `need` (<= 57) bits are buffered. Refilling tops the buffer up to
    /// 57 or more bits, so with `need` around 32 it runs once every few coefficients.
    #[inline(always)]
    pub(super) fn ensure(&mut self, need: u32) {
        if self.n < need {
            self.refill();
        }
    }

    /// Fills the buffer to at least 56 bits without testing how full it is when the next eight
    /// bytes hold no `FF` (the usual case): a load and three shifts. Otherwise as [`refill`].
    ///
    /// Bits below the valid ones may then hold the start of the next byte: the same bits that
    /// any later refill ORs in there, so they never change what is read.
    ///
    /// [`refill`]: Self::refill
    #[inline(always)]
    pub(super) fn refill_eager(&mut self) {
        // After a marker `pos` is at its FF, so the FF test also sends that case to `refill`.
        if let Some(bytes) = self.data.get(self.pos..self.pos + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(bytes);
            let w = u64::from_be_bytes(word);
            let inv = !w;
            let has_ff = inv.wrapping_sub(0x0101_0101_0101_0101) & !inv & 0x8080_8080_8080_8080;
            if has_ff == 0 {
                // n <= 63: whole bytes up to n | 56 bits, and part of the next one below them.
                self.acc |= w >> self.n;
                self.pos += ((63 - self.n) >> 3) as usize;
                self.n |= 56;
                return;
            }
        }
        self.refill();
    }

    /// Fills the buffer so that at least 57 bits are available.
    #[inline(always)]
    pub(super) fn refill(&mut self) {
        if self.n > 56 {
            return;
        }
        if self.marker.is_none() && self.pos + 8 <= self.data.len() {
            let mut word = [0u8; 8];
            word.copy_from_slice(&self.data[self.pos..self.pos + 8]);
            let w = u64::from_be_bytes(word);
            // A byte equal to 0xFF would need unstuffing: take the slow path then.
            let inv = !w;
            let has_ff = inv.wrapping_sub(0x0101_0101_0101_0101) & !inv & 0x8080_8080_8080_8080;
            if has_ff == 0 {
                let take = (64 - self.n) / 8; // 1..=8 bytes
                let bits = take * 8;
                let chunk = if bits == 64 { w } else { w >> (64 - bits) };
                self.acc |= chunk << (64 - self.n - bits);
                self.n += bits;
                self.pos += take as usize;
                return;
            }
        }
        self.refill_slow();
    }

    /// Inlined on purpose: a call taking `&mut self` would make the reader's address escape,
    /// and the optimizer would then keep the bit buffer in memory instead of registers.
    #[inline(always)]
    fn refill_slow(&mut self) {
        while self.n <= 56 {
            if self.marker.is_some() || self.pos >= self.data.len() {
                // No more data: feed zeros (libjpeg does the same) and remember it.
                if self.marker.is_none() {
                    self.marker = Some(0); // end of data without a marker
                }
                self.padded += 8;
                self.n += 8;
                continue;
            }
            let byte = self.data[self.pos];
            if byte == 0xFF {
                // Skip fill bytes (FF FF ...), then look at what follows.
                let mut next = self.pos + 1;
                while next < self.data.len() && self.data[next] == 0xFF {
                    next += 1;
                }
                match self.data.get(next) {
                    Some(0x00) => {
                        self.pos = next + 1;
                    }
                    Some(&m) => {
                        self.marker = Some(m);
                        self.pos = next - 1; // at the marker's FF
                        continue;
                    }
                    None => {
                        self.pos = self.data.len();
                        continue;
                    }
                }
            } else {
                self.pos += 1;
            }
            self.acc |= u64::from(byte) << (56 - self.n);
            self.n += 8;
        }
    }

    /// The next `k` bits (1..=32) without consuming them. Needs a prior `refill`.
    #[inline(always)]
    pub(super) fn peek(&self, k: u32) -> u32 {
        (self.acc >> (64 - k)) as u32
    }

    /// Drops `k` bits; the caller made sure they were buffered (`ensure`).
    #[inline(always)]
    pub(super) fn consume(&mut self, k: u32) {
        debug_assert!(k <= self.n);
        self.acc <<= k;
        self.n = self.n.wrapping_sub(k);
    }

    /// The buffer's state, to go back to with [`BitReader::rewind`].
    #[inline(always)]
    pub(super) fn save(&self) -> (u64, u32) {
        (self.acc, self.n)
    }

    /// Goes back to a saved state and drops `k` bits from there. Nothing may have been refilled
    /// since the state was saved.
    #[inline(always)]
    pub(super) fn rewind(&mut self, saved: (u64, u32), k: u32) {
        debug_assert!(k <= saved.1);
        self.acc = saved.0 << k;
        self.n = saved.1 - k;
    }

    /// Reads `k` bits (0..=16) as an unsigned value.
    #[inline(always)]
    pub(super) fn bits(&mut self, k: u32) -> u32 {
        if k == 0 {
            return 0;
        }
        self.ensure(k);
        let v = self.peek(k);
        self.consume(k);
        v
    }

    /// Reads `k` (1..=16) already-buffered bits and sign-extends them.
    #[inline(always)]
    pub(super) fn receive_extend_buffered(&mut self, k: u32) -> i32 {
        debug_assert!(k >= 1 && k <= self.n);
        let v = self.peek(k) as i32;
        self.consume(k);
        extend(v, k)
    }

    /// Reads `k` (0..=16) already-buffered bits and sign-extends them, without a branch.
    #[inline(always)]
    pub(super) fn receive_extend_any(&mut self, k: u32) -> i32 {
        debug_assert!(k <= 16 && k <= self.n);
        // Two shifts so that k = 0 reads nothing.
        let v = ((self.acc >> (63 - k)) >> 1) as i32;
        self.consume(k);
        // EXTEND: values below half the range are negative (v - 2^k + 1).
        let half = (1 << k) >> 1;
        v + (((v - half) >> 31) & (1 - (1 << k)))
    }

    #[inline(always)]
    pub(super) fn bit(&mut self) -> u32 {
        self.bits(1)
    }

    /// Reads `k` bits and sign-extends them the JPEG way (F.2.2.1 EXTEND).
    #[inline(always)]
    pub(super) fn receive_extend(&mut self, k: u32) -> i32 {
        if k == 0 {
            return 0;
        }
        let v = self.bits(k) as i32;
        extend(v, k)
    }

    /// Discards the remaining bits of the current byte-aligned segment and, when positioned at a
    /// restart marker, steps past it. Returns the marker found (None when none was there).
    pub(super) fn restart(&mut self) -> Option<u8> {
        self.acc = 0;
        self.n = 0;
        self.padded = 0;
        if self.marker.is_none() {
            // Find the marker: skip to the next FF xx with xx != 0.
            while self.pos + 1 < self.data.len() {
                if self.data[self.pos] == 0xFF && self.data[self.pos + 1] != 0x00 {
                    if self.data[self.pos + 1] == 0xFF {
                        self.pos += 1;
                        continue;
                    }
                    self.marker = Some(self.data[self.pos + 1]);
                    break;
                }
                self.pos += 1;
            }
        }
        let m = self.marker.take();
        if let Some(code) = m {
            if (0xD0..=0xD7).contains(&code) {
                self.pos += 2;
            } else {
                // Not a restart marker: leave it for the caller.
                self.marker = Some(code);
            }
        }
        m
    }
}

/// JPEG EXTEND: maps a `k`-bit magnitude category value to a signed coefficient.
#[inline(always)]
pub(super) fn extend(v: i32, k: u32) -> i32 {
    if v < (1 << (k - 1)) {
        v - (1 << k) + 1
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_bits_across_stuffed_ff() {
        // 0xFF 0x00 is a literal 0xFF.
        let data = [0b1010_1010, 0xFF, 0x00, 0x0F, 0xFF, 0xD9];
        let mut r = BitReader::new(&data, 0);
        r.refill();
        assert_eq!(r.bits(4), 0b1010);
        assert_eq!(r.bits(4), 0b1010);
        assert_eq!(r.bits(8), 0xFF);
        assert_eq!(r.bits(8), 0x0F);
        assert!(!r.overrun());
        assert_eq!(r.marker(), Some(0xD9));
        // Past the marker only zero padding is left.
        assert_eq!(r.bits(8), 0);
        assert!(r.overrun());
    }

    #[test]
    fn fast_refill_matches_slow_path() {
        let data: Vec<u8> = (0..64u8)
            .map(|i| i.wrapping_mul(37))
            .filter(|&b| b != 0xFF)
            .collect();
        let mut r = BitReader::new(&data, 0);
        for &byte in &data[..data.len() - 1] {
            r.refill();
            assert_eq!(r.bits(8), u32::from(byte));
        }
    }

    #[test]
    fn extend_follows_the_standard() {
        assert_eq!(extend(0, 1), -1);
        assert_eq!(extend(1, 1), 1);
        assert_eq!(extend(0b00, 2), -3);
        assert_eq!(extend(0b01, 2), -2);
        assert_eq!(extend(0b10, 2), 2);
        assert_eq!(extend(0b11, 2), 3);
    }

    #[test]
    fn branch_free_reads_match() {
        let data: Vec<u8> = (0..96u8)
            .map(|i| i.wrapping_mul(73).wrapping_add(5))
            .filter(|&b| b != 0xFF)
            .collect();
        for k in 0..=16u32 {
            let (mut a, mut b) = (BitReader::new(&data, 0), BitReader::new(&data, 0));
            for _ in 0..20 {
                a.refill();
                b.refill_eager();
                assert_eq!(a.receive_extend(k), b.receive_extend_any(k), "k = {k}");
            }
        }
    }

    #[test]
    fn restart_skips_the_rst_marker() {
        let data = [0xAB, 0xFF, 0xD0, 0xCD, 0xFF, 0xD9];
        let mut r = BitReader::new(&data, 0);
        r.refill();
        assert_eq!(r.bits(8), 0xAB);
        assert_eq!(r.restart(), Some(0xD0));
        r.refill();
        assert_eq!(r.bits(8), 0xCD);
    }
}
