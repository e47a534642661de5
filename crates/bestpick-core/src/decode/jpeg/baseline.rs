//! The scan of a baseline (sequential) JPEG: every block decoded once, straight into the block
//! data, with the luma blocks' band energies added as the coefficients come out of the Huffman
//! decoder. This is the hot loop of the whole analysis.

use super::bands::{WEIGHTS, accumulate};
use super::bits::BitReader;
use super::huffman::Huffman;
use super::markers::Frame;
use super::restart::Restarts;
use super::rows::Checkpoint;
use super::sink::Sink;
use super::{Decoder, JpegError, Role, ScanComp, ScanEnd};

impl Decoder<'_> {
    pub(super) fn baseline_scan(
        &mut self,
        frame: &Frame,
        scomps: &mut [ScanComp],
        start: usize,
    ) -> Result<ScanEnd, JpegError> {
        let window = self.window.clone();
        // Rows can be resumed only in a scan that holds every component.
        let indexable = scomps.len() == frame.comps.len();
        let mut reader = match &window {
            Some(w) if indexable => BitReader::resume(self.p.data, w.start.bits),
            Some(_) => return Err(JpegError::Unsupported("rows of a multi-scan file")),
            None => BitReader::new(self.p.data, start),
        };
        let r = &mut reader;
        // Own the tables for the scan so that the output can be borrowed mutably meanwhile.
        let mut tabs = Vec::with_capacity(scomps.len());
        for sc in scomps.iter() {
            let (dc, ac) = self.tables(sc, true, true)?;
            tabs.push((
                dc.cloned().ok_or(JpegError::Corrupt("missing DC table"))?,
                ac.cloned().ok_or(JpegError::Corrupt("missing AC table"))?,
            ));
        }
        let roles: Vec<Role> = scomps.iter().map(|sc| self.role(sc.ci)).collect();
        let qf: Vec<[f32; 64]> = scomps.iter().map(|sc| self.qf[sc.ci]).collect();
        let q2: Vec<[f32; 64]> = qf.iter().map(|q| q.map(|x| x * x)).collect();
        let mut restarts = match &window {
            Some(w) => {
                for (sc, &pred) in scomps.iter_mut().zip(&w.start.preds) {
                    sc.pred = pred;
                }
                Restarts::resume(self.restart_interval, w.start.restarts)
            }
            None => Restarts::new(self.restart_interval),
        };
        let single = scomps.len() == 1;
        let (units_x, units_y) = if single {
            let c = &frame.comps[scomps[0].ci];
            (c.bw, c.bh)
        } else {
            (frame.mcux, frame.mcuy)
        };
        let units = match &window {
            Some(w) => w.units.start..w.units.end.min(units_y),
            None => 0..units_y,
        };
        let record = window.is_none() && indexable;
        if record {
            let index = &mut self.out.rows;
            index.rows_per_unit = if single { 1 } else { frame.comps[0].v };
            index.points.clear();
            index.points.reserve(units_y);
        }
        let capturing = self.capture.is_some();
        let mut sink = Sink {
            out: &mut self.out,
            row0: window.as_ref().map_or(0, |w| w.row0),
            capture: self.capture.as_deref_mut(),
        };
        let mut block = [0i16; 64];
        for uy in units {
            // Once per row of MCUs: stop when cancelled, and as soon as the data has run out
            // (the rest of the frame would only decode padding, and the scan is refused anyway).
            if r.overrun() {
                return Err(JpegError::Truncated);
            }
            if crate::guard::cancelled() {
                return Err(JpegError::Cancelled);
            }
            if record {
                let mut preds = [0i32; 4];
                for (p, sc) in preds.iter_mut().zip(scomps.iter()) {
                    *p = sc.pred;
                }
                sink.out.rows.points.push(Checkpoint {
                    bits: r.state(),
                    preds,
                    restarts: restarts.count(),
                });
            }
            for ux in 0..units_x {
                if restarts.before_mcu(r)? {
                    for sc in scomps.iter_mut() {
                        sc.pred = 0;
                    }
                }
                for (si, sc) in scomps.iter_mut().enumerate() {
                    let comp = &frame.comps[sc.ci];
                    let (dc_t, ac_t) = (&tabs[si].0, &tabs[si].1);
                    let (bh, bv) = if single { (1, 1) } else { (comp.h, comp.v) };
                    for by in 0..bv {
                        for bx in 0..bh {
                            let (x, y) = if single {
                                (ux, uy)
                            } else {
                                (ux * comp.h + bx, uy * comp.v + by)
                            };
                            let inside = x < comp.bw && y < comp.bh;
                            let role = if inside { roles[si] } else { Role::Skip };
                            let want_low = (capturing || sink.out.low.len() > sc.ci) && inside;
                            match role {
                                Role::Luma => {
                                    let mut acc = [0f32; 8];
                                    let dc = if want_low {
                                        decode_block_luma::<true>(
                                            r,
                                            dc_t,
                                            ac_t,
                                            &q2[si],
                                            &mut sc.pred,
                                            &mut acc,
                                            &mut block,
                                        )?
                                    } else {
                                        decode_block_luma::<false>(
                                            r,
                                            dc_t,
                                            ac_t,
                                            &q2[si],
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
                                        &qf[si],
                                        if want_low { Some(&block) } else { None },
                                    );
                                }
                                Role::Chroma(ci) => {
                                    let dc = decode_block_skip(
                                        r,
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
                                        &qf[si],
                                        if want_low { Some(&block) } else { None },
                                    );
                                }
                                Role::Skip => {
                                    decode_block_skip(r, dc_t, ac_t, &mut sc.pred, None)?;
                                }
                            }
                        }
                    }
                }
            }
        }
        Ok(ScanEnd::of(r))
    }
}

/// Decodes one baseline luma block, adding AC energies into `acc`; returns the DC value
/// (quantized). With `LOW`, also keeps the coefficients (zigzag order) in `low`.
///
/// This is the hot loop of the whole analysis. Per nonzero coefficient: one table lookup that
/// decodes run, size and value at once (most of the time), then one 8-lane multiply-add of its
/// energy into the feature accumulator, which stays in registers.
#[inline(always)]
fn decode_block_luma<const LOW: bool>(
    r: &mut BitReader<'_>,
    dc_t: &Huffman,
    ac_t: &Huffman,
    q2: &[f32; 64],
    pred: &mut i32,
    acc: &mut [f32; 8],
    low: &mut [i16; 64],
) -> Result<i32, JpegError> {
    let s = u32::from(
        dc_t.decode(r)
            .ok_or(JpegError::Corrupt("bad Huffman code"))?,
    );
    if s > 11 {
        return Err(JpegError::Corrupt("DC difference too large"));
    }
    *pred = pred.wrapping_add(r.receive_extend(s));
    if LOW {
        *low = [0; 64];
    }
    let mut sum = [0f32; 8];
    // `k` is the index after the last coefficient placed.
    let mut k = 1usize;
    while k < 64 {
        // A code (<= 16 bits) and its extra bits (<= 15) fit in 32 buffered bits.
        r.ensure(32);
        let saved = r.save();
        let c = ac_t.ac_pair(r);
        if c.is_empty() {
            let rs = ac_t
                .decode_buffered(r)
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
            let v = r.receive_extend_buffered(size);
            // A run past the end (damaged data): libjpeg still reads the value's bits and puts
            // it at the last position (its natural-order table is padded with 63s), then ends
            // the block.
            let at = k.min(63);
            accumulate(&mut sum, (v * v) as f32 * q2[at], &WEIGHTS[at]);
            if LOW {
                low[at] = v as i16;
            }
            k += 1;
            continue;
        }
        r.consume(c.len());
        k += c.advance1();
        if k > 64 {
            // End of block (or damaged data): only the first symbol's bits were this block's.
            r.rewind(saved, c.len1());
            let v1 = c.value1();
            if v1 != 0 {
                // A run past the end: libjpeg puts the value at the last position.
                accumulate(&mut sum, (v1 * v1) as f32 * q2[63], &WEIGHTS[63]);
                if LOW {
                    low[63] = v1 as i16;
                }
            }
            break;
        }
        let (p1, v1) = (k - 1, c.value1());
        accumulate(&mut sum, (v1 * v1) as f32 * q2[p1], &WEIGHTS[p1]);
        if LOW {
            low[p1] = v1 as i16;
        }
        if k == 64 {
            // The block is full: the second symbol's bits belong to the next block.
            r.rewind(saved, c.len1());
            break;
        }
        k += c.advance2();
        if k > 64 {
            // The second symbol ended the block: end of block, or a run past the end.
            let v2 = c.value2();
            if v2 != 0 {
                accumulate(&mut sum, (v2 * v2) as f32 * q2[63], &WEIGHTS[63]);
                if LOW {
                    low[63] = v2 as i16;
                }
            }
            break;
        }
        // Without a second symbol this lands on p1 again and adds nothing.
        let (p2, v2) = (k - 1, c.value2());
        accumulate(&mut sum, (v2 * v2) as f32 * q2[p2], &WEIGHTS[p2]);
        if LOW && c.advance2() != 0 {
            low[p2] = v2 as i16;
        }
    }
    *acc = sum;
    Ok(*pred)
}

/// Decodes one baseline block keeping only its DC (and, with `low`, its coefficients).
#[inline(always)]
fn decode_block_skip(
    r: &mut BitReader<'_>,
    dc_t: &Huffman,
    ac_t: &Huffman,
    pred: &mut i32,
    mut low: Option<&mut [i16; 64]>,
) -> Result<i32, JpegError> {
    let s = u32::from(
        dc_t.decode(r)
            .ok_or(JpegError::Corrupt("bad Huffman code"))?,
    );
    if s > 11 {
        return Err(JpegError::Corrupt("DC difference too large"));
    }
    *pred = pred.wrapping_add(r.receive_extend(s));
    if let Some(b) = low.as_deref_mut() {
        *b = [0; 64];
    }
    let mut k = 1usize;
    while k < 64 {
        r.ensure(32);
        let saved = r.save();
        let c = ac_t.ac_pair(r);
        if !c.is_empty() {
            r.consume(c.len());
            k += c.advance1();
            if k >= 64 {
                // Full, ended, or a run past the end (libjpeg puts that value at 63).
                if let Some(b) = low.as_deref_mut()
                    && c.value1() != 0
                {
                    b[63] = c.value1() as i16;
                }
                r.rewind(saved, c.len1());
                break;
            }
            if let Some(b) = low.as_deref_mut() {
                b[k - 1] = c.value1() as i16;
            }
            k += c.advance2();
            if k > 64 {
                if let Some(b) = low.as_deref_mut()
                    && c.value2() != 0
                {
                    b[63] = c.value2() as i16;
                }
                break;
            }
            if let Some(b) = low.as_deref_mut()
                && c.advance2() != 0
            {
                b[k - 1] = c.value2() as i16;
            }
            continue;
        }
        let rs = ac_t
            .decode_buffered(r)
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
        let v = r.receive_extend_buffered(size);
        if let Some(b) = low.as_deref_mut() {
            b[k.min(63)] = v as i16;
        }
        k += 1;
    }
    Ok(*pred)
}
