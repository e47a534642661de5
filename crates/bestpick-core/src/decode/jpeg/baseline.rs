//! The scan of a baseline (sequential) JPEG: every block decoded once, straight into the block
//! data, with the luma blocks' band energies added as the coefficients come out of the Huffman
//! decoder. This is the hot loop of the whole analysis.

use super::bands::{Lanes, accumulate, energy_rows};
use super::bits::BitReader;
use super::huffman::{AC_BITS, Huffman};
use super::markers::Frame;
use super::restart::Restarts;
use super::rows::Checkpoint;
use super::sink::BlockSink;
use super::{Decoder, JpegError, Role, ScanComp, ScanEnd};

impl Decoder<'_> {
    pub(super) fn baseline_scan(
        &mut self,
        frame: &Frame,
        scan_comps: &mut [ScanComp],
        start: usize,
    ) -> Result<ScanEnd, JpegError> {
        let window = self.window.clone();
        // Rows can be resumed only in a scan that holds every component.
        let indexable = scan_comps.len() == frame.comps.len();
        let mut bits = match &window {
            Some(w) if indexable => BitReader::resume(self.parser.data, w.start.bits),
            Some(_) => return Err(JpegError::Unsupported("rows of a multi-scan file")),
            None => BitReader::new(self.parser.data, start),
        };
        let reader = &mut bits;
        // Own the tables for the scan so that the output can be borrowed mutably meanwhile.
        let mut tables = Vec::with_capacity(scan_comps.len());
        for sc in scan_comps.iter() {
            let (dc, ac) = self.huffman_tables(sc, true, true)?;
            tables.push((
                dc.cloned().ok_or(JpegError::Corrupt("missing DC table"))?,
                ac.cloned().ok_or(JpegError::Corrupt("missing AC table"))?,
            ));
        }
        let roles: Vec<Role> = scan_comps.iter().map(|sc| self.role(sc.comp)).collect();
        let quant: Vec<[f32; 64]> = scan_comps
            .iter()
            .map(|sc| self.quant_f32[sc.comp])
            .collect();
        let energy: Vec<[Lanes; 64]> = quant
            .iter()
            .map(|q| energy_rows(&q.map(|x| x * x)))
            .collect();
        let mut restarts = match &window {
            Some(w) => {
                for (sc, &pred) in scan_comps.iter_mut().zip(&w.start.preds) {
                    sc.pred = pred;
                }
                Restarts::resume(self.restart_interval, w.start.restarts)
            }
            None => Restarts::new(self.restart_interval),
        };
        let single = scan_comps.len() == 1;
        let (units_x, units_y) = frame.scan_units(single.then(|| scan_comps[0].comp));
        let units = match &window {
            Some(w) => w.mcu_rows.start..w.mcu_rows.end.min(units_y),
            None => 0..units_y,
        };
        let record = window.is_none() && indexable;
        if record {
            let index = &mut self.out.rows;
            index.rows_per_unit = if single { 1 } else { frame.comps[0].v_factor };
            index.points.clear();
            index.points.reserve(units_y);
        }
        let capturing = self.capture.is_some();
        let mut sink = BlockSink {
            out: &mut self.out,
            row0: window.as_ref().map_or(0, |w| w.row0),
            capture: self.capture.as_deref_mut(),
        };
        let mut block = [0i16; 64];
        for uy in units {
            // Once per row of MCUs: stop when cancelled, and as soon as the data has run out
            // (the rest of the frame would only decode padding, and the scan is refused anyway).
            if reader.overrun() {
                return Err(JpegError::Truncated);
            }
            if crate::guard::cancelled() {
                return Err(JpegError::Cancelled);
            }
            if record {
                let mut preds = [0i32; 4];
                for (p, sc) in preds.iter_mut().zip(scan_comps.iter()) {
                    *p = sc.pred;
                }
                sink.out.rows.points.push(Checkpoint {
                    bits: reader.state(),
                    preds,
                    restarts: restarts.count(),
                });
            }
            for ux in 0..units_x {
                if restarts.before_mcu(reader)? {
                    for sc in scan_comps.iter_mut() {
                        sc.pred = 0;
                    }
                }
                for (si, sc) in scan_comps.iter_mut().enumerate() {
                    let comp = &frame.comps[sc.comp];
                    let (dc_t, ac_t) = (&tables[si].0, &tables[si].1);
                    // Kept inline rather than shared through a helper: in this loop a shared
                    // walk measured 2 % (baseline) to 8 % (progressive) more instructions.
                    let (bh, bv) = if single {
                        (1, 1)
                    } else {
                        (comp.h_factor, comp.v_factor)
                    };
                    for by in 0..bv {
                        for bx in 0..bh {
                            let (x, y) = if single {
                                (ux, uy)
                            } else {
                                (ux * comp.h_factor + bx, uy * comp.v_factor + by)
                            };
                            let inside = x < comp.blocks_x && y < comp.blocks_y;
                            let role = if inside { roles[si] } else { Role::Skip };
                            let want_low = (capturing || sink.out.low.len() > sc.comp) && inside;
                            match role {
                                Role::Luma => {
                                    let mut acc = [0f32; 8];
                                    let dc = if want_low {
                                        decode_block_luma::<true>(
                                            reader,
                                            dc_t,
                                            ac_t,
                                            &energy[si],
                                            &mut sc.pred,
                                            &mut acc,
                                            &mut block,
                                        )?
                                    } else {
                                        decode_block_luma::<false>(
                                            reader,
                                            dc_t,
                                            ac_t,
                                            &energy[si],
                                            &mut sc.pred,
                                            &mut acc,
                                            &mut block,
                                        )?
                                    };
                                    sink.luma(
                                        x,
                                        y,
                                        dc,
                                        &acc,
                                        &quant[si],
                                        if want_low { Some(&block) } else { None },
                                    );
                                }
                                Role::Chroma(ci) => {
                                    let dc = decode_block_dc(
                                        reader,
                                        dc_t,
                                        ac_t,
                                        &mut sc.pred,
                                        if want_low { Some(&mut block) } else { None },
                                    )?;
                                    sink.chroma(
                                        ci,
                                        x,
                                        y,
                                        dc,
                                        &quant[si],
                                        if want_low { Some(&block) } else { None },
                                    );
                                }
                                Role::Skip => {
                                    decode_block_dc(reader, dc_t, ac_t, &mut sc.pred, None)?;
                                }
                            }
                        }
                    }
                }
            }
        }
        Ok(ScanEnd::of(reader))
    }
}

/// Combined-table lookups between refills. A refill leaves at least 56 bits buffered and a
/// lookup takes at most `AC_BITS`, so this many need no test of the fill level; one that takes
/// the slow path makes sure of its own bits and asks for a refill before the next lookup.
const LOOKUPS_PER_REFILL: u32 = 56 / AC_BITS;

/// Lookups left after the refill at the start of a block has also fed its DC difference.
const AFTER_DC: u32 = (56 - 27) / AC_BITS;

/// Decodes one baseline luma block, adding AC energies into `acc`; returns the DC value
/// (quantized). With `LOW`, also keeps the coefficients (zigzag order) in `low`.
///
/// This is the hot loop of the whole analysis. Per nonzero coefficient: one table lookup that
/// decodes run, size and value at once (most of the time), then one 8-lane multiply-add of its
/// energy into the feature accumulator, which stays in registers.
#[inline(always)]
fn decode_block_luma<const LOW: bool>(
    reader: &mut BitReader<'_>,
    dc_t: &Huffman,
    ac_t: &Huffman,
    energy: &[Lanes; 64],
    pred: &mut i32,
    acc: &mut [f32; 8],
    low: &mut [i16; 64],
) -> Result<i32, JpegError> {
    // One refill for the DC difference (<= 27 bits) and the first two AC lookups.
    reader.refill_eager();
    *pred = pred.wrapping_add(dc_t.dc_diff_buffered(reader)?);
    if LOW {
        *low = [0; 64];
    }
    let mut sum = [0f32; 8];
    // `k` is the index after the last coefficient placed.
    let mut k = 1usize;
    let mut ready = AFTER_DC;
    while k < 64 {
        // Refill on a count of lookups rather than on the fill level, whose outcome the data
        // makes hard to predict: see `LOOKUPS_PER_REFILL`.
        if ready == 0 {
            reader.refill_eager();
            ready = LOOKUPS_PER_REFILL;
        }
        ready -= 1;
        let saved = reader.save();
        let pair = ac_t.ac_pair(reader);
        if pair.is_empty() {
            // A code (<= 16 bits) and its extra bits (<= 15) fit in 32 buffered bits; refill
            // before the next lookup.
            reader.ensure(32);
            ready = 0;
            let rs = ac_t
                .decode_buffered(reader)
                .ok_or(JpegError::Corrupt("bad Huffman code"))?;
            let run = usize::from(rs >> 4);
            let size = u32::from(rs & 15);
            if size == 0 {
                if run == 15 {
                    k += 16;
                    continue;
                }
                break; // end of block
            }
            k += run;
            let v = reader.receive_extend_buffered(size);
            // A run past the end (damaged data): libjpeg still reads the value's bits and puts
            // it at the last position (its natural-order table is padded with 63s), then ends
            // the block.
            place::<LOW>(&mut sum, low, energy, k.min(63), v);
            k += 1;
            continue;
        }
        reader.consume(pair.len());
        k += pair.advance1();
        if k > 64 {
            // End of block (or damaged data): only the first symbol's bits were this block's.
            reader.rewind(saved, pair.len1());
            if pair.value1() != 0 {
                // A run past the end: libjpeg puts the value at the last position.
                place::<LOW>(&mut sum, low, energy, 63, pair.value1());
            }
            break;
        }
        place::<LOW>(&mut sum, low, energy, k - 1, pair.value1());
        if k == 64 {
            // The block is full: the second symbol's bits belong to the next block.
            reader.rewind(saved, pair.len1());
            break;
        }
        k += pair.advance2();
        if k > 64 {
            // The second symbol ended the block: end of block, or a run past the end.
            if pair.value2() != 0 {
                place::<LOW>(&mut sum, low, energy, 63, pair.value2());
            }
            break;
        }
        // Without a second symbol this lands on the first one's position again with a value
        // of 0: it adds nothing, and `low` keeps the first value.
        let (p2, v2) = (k - 1, pair.value2());
        accumulate(&mut sum, (v2 * v2) as f32, &energy[p2]);
        if LOW && pair.advance2() != 0 {
            low[p2] = v2 as i16;
        }
    }
    *acc = sum;
    Ok(*pred)
}

/// Adds coefficient `v` at zigzag position `at` to the band energies `sum` and, with `LOW`,
/// keeps it in `low`.
#[inline(always)]
fn place<const LOW: bool>(
    sum: &mut [f32; 8],
    low: &mut [i16; 64],
    energy: &[Lanes; 64],
    at: usize,
    v: i32,
) {
    accumulate(sum, (v * v) as f32, &energy[at]);
    if LOW {
        low[at] = v as i16;
    }
}

/// Decodes one baseline block keeping only its DC (and, with `low`, its coefficients).
#[inline(always)]
fn decode_block_dc(
    reader: &mut BitReader<'_>,
    dc_t: &Huffman,
    ac_t: &Huffman,
    pred: &mut i32,
    mut low: Option<&mut [i16; 64]>,
) -> Result<i32, JpegError> {
    // One refill for the DC difference (<= 27 bits) and the first two AC lookups.
    reader.refill_eager();
    *pred = pred.wrapping_add(dc_t.dc_diff_buffered(reader)?);
    if let Some(b) = low.as_deref_mut() {
        *b = [0; 64];
    }
    let mut k = 1usize;
    let mut ready = AFTER_DC;
    while k < 64 {
        if ready == 0 {
            reader.refill_eager();
            ready = LOOKUPS_PER_REFILL;
        }
        ready -= 1;
        let saved = reader.save();
        let pair = ac_t.ac_pair(reader);
        if !pair.is_empty() {
            reader.consume(pair.len());
            k += pair.advance1();
            if k >= 64 {
                // Full, ended, or a run past the end (libjpeg puts that value at 63).
                if let Some(b) = low.as_deref_mut()
                    && pair.value1() != 0
                {
                    b[63] = pair.value1() as i16;
                }
                reader.rewind(saved, pair.len1());
                break;
            }
            if let Some(b) = low.as_deref_mut() {
                b[k - 1] = pair.value1() as i16;
            }
            k += pair.advance2();
            if k > 64 {
                if let Some(b) = low.as_deref_mut()
                    && pair.value2() != 0
                {
                    b[63] = pair.value2() as i16;
                }
                break;
            }
            if let Some(b) = low.as_deref_mut()
                && pair.advance2() != 0
            {
                b[k - 1] = pair.value2() as i16;
            }
            continue;
        }
        reader.ensure(32);
        ready = 0;
        let rs = ac_t
            .decode_buffered(reader)
            .ok_or(JpegError::Corrupt("bad Huffman code"))?;
        let run = usize::from(rs >> 4);
        let size = u32::from(rs & 15);
        if size == 0 {
            if run == 15 {
                k += 16;
                continue;
            }
            break;
        }
        k += run;
        let v = reader.receive_extend_buffered(size);
        if let Some(b) = low.as_deref_mut() {
            b[k.min(63)] = v as i16;
        }
        k += 1;
    }
    Ok(*pred)
}
