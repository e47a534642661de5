//! The models' 3×3 depthwise convolutions, computed directly.
//!
//! All three networks are built of depthwise 3×3 convolutions (40 in the detector, 20 in the
//! face mesh, 26 in the iris model) on maps from 96×96 down to 2×2. tract runs each through a
//! zone scanner that walks every output row of every zone, and sums border outputs one at a
//! time: about 30 % of the detector's profile. [`Depthwise3x3`] does the same arithmetic in the
//! same order as tract's `DepthWiseConv` (per output: the bias, then one product and one sum per
//! tap that lies inside the input, taps row by row, no fused multiply-add), so its output is bit
//! for bit tract's (tests check every model's outputs), with the inside outputs of a row
//! accumulated 32, 8 or 4 at a time in registers.

use tract_onnx::tract_core::internal::*;
use tract_onnx::tract_core::{as_op, op_as_typed_op, op_out_of_plan};

/// Side of the kernels handled.
const K: usize = 3;

/// A 3×3 depthwise convolution of the last two axes (all leading axes are channels, batch 1):
/// inputs are the data, the kernel (`channels × 9` taps, row by row) and the bias (one per
/// channel).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Depthwise3x3 {
    /// Step between output samples, in input samples (1 or 2), the same along both axes.
    stride: usize,
    /// Implicit zero rows and columns before the input (top, left).
    pad_before: [usize; 2],
    /// Output height and width.
    out: [usize; 2],
}

impl Op for Depthwise3x3 {
    fn name(&self) -> StaticName {
        "Depthwise3x3".into()
    }

    op_as_typed_op!();
}

impl EvalOp for Depthwise3x3 {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let (input, kernel, bias) = args_3!(inputs);
        let shape: TVec<usize> = input.shape().into();
        ensure!(shape.len() >= 2, "depthwise input of rank {}", shape.len());
        let (h, w) = (shape[shape.len() - 2], shape[shape.len() - 1]);
        let channels: usize = shape[..shape.len() - 2].iter().product();
        let x = input.try_as_plain_ram()?;
        let x = x.as_slice::<f32>()?;
        let taps = kernel.try_as_plain_ram()?;
        let taps = taps.as_slice::<f32>()?;
        let bias = bias.try_as_plain_ram()?;
        let bias = bias.as_slice::<f32>()?;
        ensure!(
            taps.len() == channels * K * K && bias.len() == channels,
            "depthwise: {channels} channels, {} taps, {} biases",
            taps.len(),
            bias.len()
        );
        let [oh, ow] = self.out;
        let mut out_shape = shape;
        let rank = out_shape.len();
        out_shape[rank - 2] = oh;
        out_shape[rank - 1] = ow;
        // Written straight into the tensor tract passes on (a `Vec` would be copied into it).
        let mut out = Tensor::zero::<f32>(&out_shape)?;
        {
            let mut view = out.try_as_plain_ram_mut()?;
            let data = view.as_slice_mut::<f32>()?;
            for c in 0..channels {
                self.channel(
                    &x[c * h * w..][..h * w],
                    [h, w],
                    &taps[c * K * K..][..K * K],
                    bias[c],
                    &mut data[c * oh * ow..][..oh * ow],
                );
            }
        }
        Ok(tvec!(out.into_tvalue()))
    }
}

impl Depthwise3x3 {
    /// One channel: `x` is `h`×`w`, `out` the output map.
    fn channel(&self, x: &[f32], [h, w]: [usize; 2], taps: &[f32], bias: f32, out: &mut [f32]) {
        let Ok(taps) = <&[f32; K * K]>::try_from(taps) else {
            return;
        };
        let map = Map {
            x,
            h,
            w,
            taps,
            bias,
            pad: self.pad_before,
            out: self.out,
        };
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx") {
            // SAFETY: the CPU supports AVX (checked above), the only feature `channel_avx`
            // is compiled for; it reads and writes only through the slices it is given.
            unsafe { channel_avx(&map, self.stride, out) };
            return;
        }
        channel_any(&map, self.stride, out);
    }
}

/// One channel's input and the convolution's constants.
struct Map<'a> {
    x: &'a [f32],
    h: usize,
    w: usize,
    taps: &'a [f32; K * K],
    bias: f32,
    /// Implicit zero rows and columns before the input (top, left).
    pad: [usize; 2],
    /// Output height and width.
    out: [usize; 2],
}

/// [`channel_any`] compiled for AVX: the same arithmetic (no FMA), eight lanes a register.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
fn channel_avx(map: &Map, stride: usize, out: &mut [f32]) {
    channel_any(map, stride, out);
}

#[inline(always)]
fn channel_any(map: &Map, stride: usize, out: &mut [f32]) {
    match stride {
        1 => channel_strided::<1>(map, out),
        _ => channel_strided::<2>(map, out),
    }
}

/// Every output is the bias, then `+= tap · input` for each tap inside the input, taps row by
/// row: tract's order. In rows whose three taps lie inside the input, the columns with all taps
/// inside are computed in runs of outputs held in registers and the border columns one output
/// at a time; the other rows a tap at a time across the row.
#[inline(always)]
fn channel_strided<const S: usize>(map: &Map, out: &mut [f32]) {
    let &Map {
        x,
        h,
        w,
        taps,
        bias,
        pad: [pt, pl],
        out: [oh, ow],
    } = map;
    if ow == 0 {
        return;
    }
    // Output columns whose tap `kx` lies inside the input: ox·S + kx − pl in 0..w.
    let columns = |kx: usize| -> (usize, usize) {
        let first = pl.saturating_sub(kx).div_ceil(S).min(ow);
        let end = if w + pl > kx {
            ((w + pl - kx - 1) / S + 1).min(ow)
        } else {
            0
        };
        (first, end.max(first))
    };
    let cols: [(usize, usize); K] = [columns(0), columns(1), columns(2)];
    // Columns with all three taps inside.
    let (lo, hi) = (cols[0].0.max(cols[2].0), cols[0].1.min(cols[2].1));
    let hi = hi.max(lo);
    for (oy, row) in out.chunks_exact_mut(ow).enumerate().take(oh) {
        let inside = |ky: usize| (oy * S + ky).checked_sub(pt).filter(|&iy| iy < h);
        let (Some(top), Some(_), Some(_)) = (inside(0), inside(1), inside(2)) else {
            // A border row: a tap at a time across the row.
            row.fill(bias);
            for ky in 0..K {
                let Some(iy) = inside(ky) else { continue };
                let line = &x[iy * w..][..w];
                for (kx, &(first, end)) in cols.iter().enumerate() {
                    if first == end {
                        continue;
                    }
                    let k = taps[ky * K + kx];
                    let src = line[first * S + kx - pl..].iter().step_by(S);
                    for (a, &v) in row[first..end].iter_mut().zip(src) {
                        *a += k * v;
                    }
                }
            }
            continue;
        };
        let lines: [&[f32]; K] = [
            &x[top * w..][..w],
            &x[(top + 1) * w..][..w],
            &x[(top + 2) * w..][..w],
        ];
        // Border columns: one output at a time.
        let single = |ox: usize| -> f32 {
            let mut sum = bias;
            for (ky, line) in lines.iter().enumerate() {
                for kx in 0..K {
                    if let Some(ix) = (ox * S + kx).checked_sub(pl).filter(|&ix| ix < w) {
                        sum += taps[ky * K + kx] * line[ix];
                    }
                }
            }
            sum
        };
        for (ox, o) in row.iter_mut().enumerate().take(lo) {
            *o = single(ox);
        }
        // The inside columns in runs of 32, 8 or 4 outputs, the last run of each length moved
        // back to end at `hi` when the columns left are fewer: a column computed twice gets
        // the same value both times.
        let mut ox = lo;
        for_runs::<S, 32>(&lines, taps, bias, pl, row, &mut ox, hi);
        for_runs::<S, 8>(&lines, taps, bias, pl, row, &mut ox, hi);
        for_runs::<S, 4>(&lines, taps, bias, pl, row, &mut ox, hi);
        for (ox, o) in row.iter_mut().enumerate().skip(ox) {
            *o = single(ox);
        }
    }
}

/// When at least `N` inside columns are left from `*ox` to `hi`, computes them in runs of `N`
/// (the last one ending at `hi`) and moves `*ox` to `hi`.
#[inline(always)]
fn for_runs<const S: usize, const N: usize>(
    lines: &[&[f32]; K],
    taps: &[f32; K * K],
    bias: f32,
    pl: usize,
    row: &mut [f32],
    ox: &mut usize,
    hi: usize,
) {
    if hi - *ox < N {
        return;
    }
    while *ox < hi {
        let at = (*ox).min(hi - N);
        run::<S, N>(lines, taps, bias, at * S - pl, &mut row[at..at + N]);
        *ox = at + N;
    }
}

/// `N` outputs whose taps all lie inside the input (`lines` are the three input rows, `base`
/// the input column of the first output's first tap), accumulated in registers.
#[inline(always)]
fn run<const S: usize, const N: usize>(
    lines: &[&[f32]; K],
    taps: &[f32; K * K],
    bias: f32,
    base: usize,
    out: &mut [f32],
) {
    let mut acc = [bias; N];
    for (ky, line) in lines.iter().enumerate() {
        for kx in 0..K {
            let k = taps[ky * K + kx];
            let src = &line[base + kx..][..(N - 1) * S + 1];
            for (j, a) in acc.iter_mut().enumerate() {
                *a += k * src[j * S];
            }
        }
    }
    out.copy_from_slice(&acc);
}

impl TypedOp for Depthwise3x3 {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let mut shape: TVec<TDim> = inputs[0].shape.iter().cloned().collect();
        let rank = shape.len();
        ensure!(rank >= 2, "depthwise input of rank {rank}");
        shape[rank - 2] = self.out[0].into();
        shape[rank - 1] = self.out[1].into();
        Ok(tvec!(f32::fact(shape)))
    }

    as_op!();
}

/// The numbers of one field of a tract op's description: those between `from` and the next
/// `to` (or the end), e.g. `[3, 3]` from `kernel: 3,3 strides: …` with `kernel:` and
/// `strides:`. `None` when `from` is missing.
pub(crate) fn info_numbers(info: &str, from: &str, to: &str) -> Option<Vec<usize>> {
    let rest = &info[info.find(from)? + from.len()..];
    let field = &rest[..rest.find(to).unwrap_or(rest.len())];
    field
        .split(|c: char| !c.is_ascii_digit())
        .filter(|t| !t.is_empty())
        .map(|t| t.parse().ok())
        .collect()
}

/// What tract's `DepthWiseConv` says of itself ("input: 96,96 kernel: 3,3 strides: 2,2 dil:
/// 1,1 pad: Explicit([0, 0], [1, 1])"), when it is a 3×3 kernel with equal strides of 1 or 2,
/// no dilation and explicit padding: (stride, padding before). `None` for anything else.
fn parse_spec(info: &str) -> Option<(usize, [usize; 2])> {
    let numbers = |from: &str, to: &str| info_numbers(info, from, to);
    let kernel = numbers("kernel:", "strides:")?;
    let strides = numbers("strides:", "dil:")?;
    let dil = numbers("dil:", "pad:")?;
    if !info.contains("pad: Explicit(") {
        return None;
    }
    let pad = numbers("pad: Explicit(", ")")?;
    let stride = *strides.first()?;
    (kernel == [K, K]
        && strides == [stride, stride]
        && (1..=2).contains(&stride)
        && dil == [1, 1]
        && pad.len() == 4
        && pad[..2].iter().all(|&p| p < K))
    .then_some((stride, [pad[0], pad[1]]))
}

/// Replaces every `DepthWiseConv` of the optimized `model` that is a 3×3 f32 convolution of
/// known shapes with constant kernel and bias by [`Depthwise3x3`]; fails unless that makes
/// `expected` of them (a network or a tract that describes its ops otherwise would silently
/// lose the speed).
pub(crate) fn replace_depthwise(model: &mut TypedModel, expected: usize) -> TractResult<()> {
    let ids: Vec<usize> = model
        .nodes()
        .iter()
        .filter(|n| n.op.name() == "DepthWiseConv" && n.inputs.len() == 3)
        .map(|n| n.id)
        .collect();
    let mut replaced = 0;
    for id in ids {
        let node = model.node(id);
        let Some((stride, pad_before)) = parse_spec(&node.op.info()?.join(" ")) else {
            continue;
        };
        let fact = |outlet: OutletId| -> TractResult<Option<(Vec<usize>, bool, bool)>> {
            let f = model.outlet_fact(outlet)?;
            Ok(f.shape.as_concrete().map(|s| {
                (
                    s.to_vec(),
                    f.datum_type == f32::datum_type(),
                    f.konst.is_some(),
                )
            }))
        };
        let (Some((from, true, _)), Some((to, true, _))) =
            (fact(node.inputs[0])?, fact(id.into())?)
        else {
            continue;
        };
        let (Some((kernel, true, true)), Some((bias, true, true))) =
            (fact(node.inputs[1])?, fact(node.inputs[2])?)
        else {
            continue;
        };
        let rank = from.len();
        if rank < 2 || to.len() != rank || from[..rank - 2] != to[..rank - 2] {
            continue;
        }
        let channels: usize = from[..rank - 2].iter().product();
        // Batch 1: at most one leading axis longer than 1 (the channels).
        let one_image = from[..rank - 2].iter().filter(|&&d| d != 1).count() <= 1;
        if !one_image
            || kernel.iter().product::<usize>() != channels * K * K
            || bias.iter().product::<usize>() != channels
        {
            continue;
        }
        let op = Depthwise3x3 {
            stride,
            pad_before,
            out: [to[rank - 2], to[rank - 1]],
        };
        let inputs = node.inputs.clone();
        let patch = TypedModelPatch::replace_single_op(model, node, &inputs, op)?;
        patch.apply(model)?;
        replaced += 1;
    }
    ensure!(
        replaced == expected,
        "expected {expected} 3×3 depthwise convolutions to compute directly, found {replaced}"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tract_descriptions_are_read_or_refused() {
        assert_eq!(
            parse_spec(
                "input: 96,96 kernel: 3,3 strides: 2,2 dil: 1,1 pad: Explicit([0, 0], [1, 1])"
            ),
            Some((2, [0, 0]))
        );
        assert_eq!(
            parse_spec(
                "input: 6,6 kernel: 3,3 strides: 1,1 dil: 1,1 pad: Explicit([1, 1], [1, 1])"
            ),
            Some((1, [1, 1]))
        );
        for other in [
            "input: 6,6 kernel: 5,5 strides: 1,1 dil: 1,1 pad: Explicit([2, 2], [2, 2])",
            "input: 6,6 kernel: 3,3 strides: 1,2 dil: 1,1 pad: Explicit([1, 1], [1, 1])",
            "input: 6,6 kernel: 3,3 strides: 1,1 dil: 2,2 pad: Explicit([1, 1], [1, 1])",
            "input: 6,6 kernel: 3,3 strides: 1,1 dil: 1,1 pad: SameUpper",
            "something else",
        ] {
            assert_eq!(parse_spec(other), None, "{other}");
        }
    }

    /// Border taps are skipped, inside ones summed in order: maps from 2×2 to 7×96 (runs of
    /// 32, 8 and 4 outputs, moved back at the end), strides 1 and 2, against a plain loop.
    #[test]
    fn borders_and_strides_match_a_plain_loop() {
        let taps: Vec<f32> = (0..9).map(|i| 0.1 * i as f32 - 0.35).collect();
        for (h, w) in [(2, 2), (2, 3), (5, 4), (6, 6), (7, 12), (3, 45), (7, 96)] {
            let x: Vec<f32> = (0..h * w).map(|i| (i as f32 * 0.37).sin()).collect();
            for (stride, pad) in [(1, [1, 1]), (2, [0, 0]), (2, [1, 1])] {
                let out = [
                    (h + pad[0] + 1 - 3) / stride + 1,
                    (w + pad[1] + 1 - 3) / stride + 1,
                ];
                let op = Depthwise3x3 {
                    stride,
                    pad_before: pad,
                    out,
                };
                let mut got = vec![f32::NAN; out[0] * out[1]];
                op.channel(&x, [h, w], &taps, 0.5, &mut got);
                for oy in 0..out[0] {
                    for ox in 0..out[1] {
                        let mut want = 0.5f32;
                        for ky in 0..3 {
                            for kx in 0..3 {
                                let iy = (oy * stride + ky) as isize - pad[0] as isize;
                                let ix = (ox * stride + kx) as isize - pad[1] as isize;
                                if (0..h as isize).contains(&iy) && (0..w as isize).contains(&ix) {
                                    want += taps[ky * 3 + kx] * x[iy as usize * w + ix as usize];
                                }
                            }
                        }
                        assert_eq!(
                            got[oy * out[1] + ox].to_bits(),
                            want.to_bits(),
                            "{h}×{w} stride {stride} pad {pad:?} at {oy},{ox}"
                        );
                    }
                }
            }
        }
    }
}
