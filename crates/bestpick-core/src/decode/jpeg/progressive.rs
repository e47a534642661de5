//! The scans of a progressive JPEG (T.81 G.1): each adds to the coefficients of every block,
//! kept whole until the last scan; then the kept coefficients are measured into the block data.

use super::bands::add_energy;
use super::bits::BitReader;
use super::huffman::Huffman;
use super::markers::Frame;
use super::restart::Restarts;
use super::sink::{BlockSink, natural};
use super::{Decoder, JpegError, Role, ScanComp, ScanEnd};

impl Decoder<'_> {
    #[expect(clippy::too_many_arguments, reason = "the scan parameters of T.81 G.1")]
    pub(super) fn progressive_scan(
        &mut self,
        frame: &Frame,
        scan_comps: &mut [ScanComp],
        start: usize,
        ss: usize,
        se: usize,
        ah: u32,
        al: u32,
    ) -> Result<ScanEnd, JpegError> {
        let mut bits = BitReader::new(self.parser.data, start);
        let reader = &mut bits;
        let dc_scan = ss == 0;
        let mut tables = Vec::with_capacity(scan_comps.len());
        for sc in scan_comps.iter() {
            let need_dc = dc_scan && ah == 0;
            let (dc, ac) = self.huffman_tables(sc, need_dc, !dc_scan)?;
            tables.push((dc.cloned(), ac.cloned()));
        }
        let single = scan_comps.len() == 1;
        let (units_x, units_y) = frame.scan_units(single.then(|| scan_comps[0].comp));
        let mut restarts = Restarts::new(self.restart_interval);
        let mut eobrun = 0u32;
        for uy in 0..units_y {
            if reader.overrun() {
                return Err(JpegError::Truncated);
            }
            if crate::guard::cancelled() {
                return Err(JpegError::Cancelled);
            }
            for ux in 0..units_x {
                if restarts.before_mcu(reader)? {
                    eobrun = 0;
                    for sc in scan_comps.iter_mut() {
                        sc.pred = 0;
                    }
                }
                for (si, sc) in scan_comps.iter_mut().enumerate() {
                    let comp = &frame.comps[sc.comp];
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
                            let coefs = &mut self.coefs[sc.comp][y * comp.padded_x + x];
                            if dc_scan {
                                if ah == 0 {
                                    let table = tables[si]
                                        .0
                                        .as_ref()
                                        .ok_or(JpegError::Corrupt("missing DC table"))?;
                                    sc.pred = sc.pred.wrapping_add(table.dc_diff(reader)?);
                                    coefs[0] = (sc.pred.wrapping_mul(1 << al)) as i16;
                                } else if reader.bit() != 0 {
                                    coefs[0] |= (1 << al) as i16;
                                }
                            } else {
                                let table = tables[si]
                                    .1
                                    .as_ref()
                                    .ok_or(JpegError::Corrupt("missing AC table"))?;
                                if ah == 0 {
                                    ac_first(reader, table, coefs, ss, se, al, &mut eobrun)?;
                                } else {
                                    ac_refine(reader, table, coefs, ss, se, al, &mut eobrun)?;
                                }
                            }
                        }
                    }
                }
            }
        }
        Ok(ScanEnd::of(reader))
    }

    /// Measures the coefficients a progressive file's scans left into the block data.
    pub(super) fn measure_coefficients(&mut self, frame: &Frame) {
        let coefs = std::mem::take(&mut self.coefs);
        if let Some(capture) = self.capture.as_mut() {
            for ((plane, comp), all) in capture.iter_mut().zip(&frame.comps).zip(&coefs) {
                for y in 0..comp.blocks_y {
                    for x in 0..comp.blocks_x {
                        plane.blocks[y * comp.blocks_x + x] = natural(&all[y * comp.padded_x + x]);
                    }
                }
            }
        }
        let mut sink = BlockSink {
            out: &mut self.out,
            row0: 0,
            capture: None,
        };
        for (ci, comp) in frame.comps.iter().enumerate() {
            let role = match ci {
                0 => Role::Luma,
                1 | 2 if sink.out.chroma.is_some() => Role::Chroma(ci),
                _ => Role::Skip,
            };
            let want_low = sink.out.low.len() > ci;
            if role == Role::Skip && !want_low {
                continue;
            }
            let q = &self.quant_f32[ci];
            for y in 0..comp.blocks_y {
                for x in 0..comp.blocks_x {
                    let block = &coefs[ci][y * comp.padded_x + x];
                    match role {
                        Role::Luma => {
                            let mut acc = [0f32; 8];
                            for (k, &c) in block.iter().enumerate().skip(1) {
                                if c != 0 {
                                    add_energy(&mut acc, k, c, q);
                                }
                            }
                            sink.luma(
                                x,
                                y,
                                i32::from(block[0]),
                                &acc,
                                q,
                                if want_low { Some(block) } else { None },
                            );
                        }
                        Role::Chroma(c) => sink.chroma(
                            c,
                            x,
                            y,
                            i32::from(block[0]),
                            q,
                            if want_low { Some(block) } else { None },
                        ),
                        Role::Skip => {}
                    }
                }
            }
        }
    }
}

/// First AC scan of a progressive file for one block (T.81 G.1.2.2).
fn ac_first(
    reader: &mut BitReader<'_>,
    table: &Huffman,
    coefs: &mut [i16; 64],
    ss: usize,
    se: usize,
    al: u32,
    eobrun: &mut u32,
) -> Result<(), JpegError> {
    if *eobrun > 0 {
        *eobrun -= 1;
        return Ok(());
    }
    let mut k = ss;
    while k <= se {
        let rs = table.symbol(reader)?;
        let run = u32::from(rs >> 4);
        let size = u32::from(rs & 15);
        if size == 0 {
            if run < 15 {
                *eobrun = (1 << run) - 1;
                if run > 0 {
                    *eobrun += reader.bits(run);
                }
                break;
            }
            k += 16;
            continue;
        }
        k += run as usize;
        let v = (reader.receive_extend(size).wrapping_mul(1 << al)) as i16;
        if k > 63 {
            // A run past the end (damaged data): libjpeg still reads the value's bits and
            // puts it at the last position.
            coefs[63] = v;
            break;
        }
        coefs[k] = v;
        k += 1;
    }
    Ok(())
}

/// AC refinement scan of a progressive file for one block (T.81 G.1.2.3), as libjpeg does it.
fn ac_refine(
    reader: &mut BitReader<'_>,
    table: &Huffman,
    coefs: &mut [i16; 64],
    ss: usize,
    se: usize,
    al: u32,
    eobrun: &mut u32,
) -> Result<(), JpegError> {
    let plus = (1i32 << al) as i16;
    let minus = (-1i32 << al) as i16;
    let mut k = ss;
    if *eobrun == 0 {
        while k <= se {
            let rs = table.symbol(reader)?;
            let mut run = i32::from(rs >> 4);
            let size = rs & 15;
            let mut value = 0i16;
            if size != 0 {
                if size != 1 {
                    return Err(JpegError::Corrupt("bad refinement coefficient"));
                }
                value = if reader.bit() != 0 { plus } else { minus };
            } else if run != 15 {
                *eobrun = 1 << run;
                if run > 0 {
                    *eobrun += reader.bits(run as u32);
                }
                break;
            }
            // Step over nonzero coefficients (refining them) and `run` zero ones.
            while k <= se {
                let z = &mut coefs[k];
                if *z != 0 {
                    if reader.bit() != 0 && (*z & plus) == 0 {
                        *z = if *z >= 0 {
                            z.wrapping_add(plus)
                        } else {
                            z.wrapping_add(minus)
                        };
                    }
                } else {
                    if run == 0 {
                        break;
                    }
                    run -= 1;
                }
                k += 1;
            }
            if value != 0 {
                // Past `se` (damaged data) libjpeg puts it at the next position all the same.
                coefs[k.min(63)] = value;
            }
            k += 1;
        }
    }
    if *eobrun > 0 {
        while k <= se {
            let z = &mut coefs[k];
            if *z != 0 && reader.bit() != 0 && (*z & plus) == 0 {
                *z = if *z >= 0 {
                    z.wrapping_add(plus)
                } else {
                    z.wrapping_add(minus)
                };
            }
            k += 1;
        }
        *eobrun -= 1;
    }
    Ok(())
}
