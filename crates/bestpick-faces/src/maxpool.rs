//! The models' 2×2 max pooling, computed directly.
//!
//! All three networks halve their maps with 2×2, stride 2 max pooling (4 in the detector, 5 in
//! the face mesh, 6 in the iris model). tract 0.23 evaluates a stride-2 pool one output at a
//! time through signed offsets and a bounds test per tap: on a faceless frame the detector's
//! four pools took about 1.4 ms of its ~10 ms. [`MaxPool2x2`] picks the same values in the
//! same order (from `f32::MIN`, taps row by row, each through `f32::max`), so its output is
//! bit for bit tract's (the models' tests compare whole outputs).

use tract_onnx::tract_core::internal::*;
use tract_onnx::tract_core::{as_op, op_as_typed_op, op_out_of_plan};

use crate::depthwise::info_numbers as numbers;

/// 2×2 max pooling with stride 2 over the last two axes (all leading axes are channels, batch
/// 1), no padding before: an odd last row or column, where `SameUpper` padding asks for one,
/// pools over the taps inside the input.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct MaxPool2x2 {
    /// Output height and width.
    out: [usize; 2],
}

impl Op for MaxPool2x2 {
    fn name(&self) -> StaticName {
        "MaxPool2x2".into()
    }

    op_as_typed_op!();
}

impl EvalOp for MaxPool2x2 {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let input = args_1!(inputs);
        let shape: TVec<usize> = input.shape().into();
        ensure!(shape.len() >= 2, "max pool input of rank {}", shape.len());
        let rank = shape.len();
        let (h, w) = (shape[rank - 2], shape[rank - 1]);
        let [oh, ow] = self.out;
        ensure!(
            oh <= h.div_ceil(2) && ow <= w.div_ceil(2),
            "max pool of {h}×{w} into {oh}×{ow}"
        );
        let channels: usize = shape[..rank - 2].iter().product();
        let x = input.try_as_plain_ram()?;
        let x = x.as_slice::<f32>()?;
        let mut out_shape = shape;
        out_shape[rank - 2] = oh;
        out_shape[rank - 1] = ow;
        // Written straight into the tensor tract passes on (a `Vec` would be copied into it).
        let mut out = Tensor::zero::<f32>(&out_shape)?;
        if h > 0 && w > 0 && oh > 0 && ow > 0 {
            let mut view = out.try_as_plain_ram_mut()?;
            let data = view.as_slice_mut::<f32>()?;
            for (plane, dst) in x
                .chunks_exact(h * w)
                .zip(data.chunks_exact_mut(oh * ow))
                .take(channels)
            {
                pool_plane(plane, [h, w], dst, [oh, ow]);
            }
        }
        Ok(tvec!(out.into_tvalue()))
    }
}

impl TypedOp for MaxPool2x2 {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let mut shape: TVec<TDim> = inputs[0].shape.iter().cloned().collect();
        let rank = shape.len();
        ensure!(rank >= 2, "max pool input of rank {rank}");
        shape[rank - 2] = self.out[0].into();
        shape[rank - 1] = self.out[1].into();
        Ok(tvec!(f32::fact(shape)))
    }

    as_op!();
}

/// Pools one `h`×`w` plane `x` into the `oh`×`ow` plane `out`.
fn pool_plane(x: &[f32], [h, w]: [usize; 2], out: &mut [f32], [oh, ow]: [usize; 2]) {
    // Windows whose two columns are both inside the input.
    let pairs = ow.min(w / 2);
    for (oy, dst) in out.chunks_exact_mut(ow).enumerate().take(oh) {
        let top = &x[2 * oy * w..][..w];
        let below = (2 * oy + 1 < h).then(|| &x[(2 * oy + 1) * w..][..w]);
        let (full, edge) = dst.split_at_mut(pairs);
        match below {
            Some(bottom) => {
                for ((o, t), b) in full
                    .iter_mut()
                    .zip(top.chunks_exact(2))
                    .zip(bottom.chunks_exact(2))
                {
                    *o = f32::MIN.max(t[0]).max(t[1]).max(b[0]).max(b[1]);
                }
                if let Some(o) = edge.first_mut() {
                    *o = f32::MIN.max(top[2 * pairs]).max(bottom[2 * pairs]);
                }
            }
            None => {
                for (o, t) in full.iter_mut().zip(top.chunks_exact(2)) {
                    *o = f32::MIN.max(t[0]).max(t[1]);
                }
                if let Some(o) = edge.first_mut() {
                    *o = f32::MIN.max(top[2 * pairs]);
                }
            }
        }
    }
}

/// Whether tract's description of a max pool is a 2×2, stride 2 NCHW pool without padding
/// before (`Valid`, or `SameUpper`, which pads only after).
fn is_plain_2x2(info: &str) -> bool {
    info.contains("Data format: NCHW")
        && numbers(info, "Kernel shape:", "(").as_deref() == Some(&[2, 2])
        && numbers(info, "strides:", ")").as_deref() == Some(&[2, 2])
        && (info.contains("padding:Valid") || info.contains("padding:SameUpper"))
        && info.contains("dilations:None")
}

/// Replaces every `OptMaxPool` of the optimized `model` that is a plain 2×2 pool of known f32
/// shapes (see [`is_plain_2x2`]) without index output by [`MaxPool2x2`]; fails unless that makes
/// `expected` of them (a network or a tract that describes its ops otherwise would silently
/// lose the speed).
pub(crate) fn replace_maxpools(model: &mut TypedModel, expected: usize) -> TractResult<()> {
    let ids: Vec<usize> = model
        .nodes()
        .iter()
        .filter(|n| n.op.name() == "OptMaxPool" && n.inputs.len() == 1 && n.outputs.len() == 1)
        .map(|n| n.id)
        .collect();
    let mut replaced = 0;
    for id in ids {
        let node = model.node(id);
        if !is_plain_2x2(&node.op.info()?.join(" ")) {
            continue;
        }
        let shape = |outlet: OutletId| -> TractResult<Option<Vec<usize>>> {
            let f = model.outlet_fact(outlet)?;
            Ok((f.datum_type == f32::datum_type())
                .then(|| f.shape.as_concrete().map(<[usize]>::to_vec))
                .flatten())
        };
        let (Some(from), Some(to)) = (shape(node.inputs[0])?, shape(id.into())?) else {
            continue;
        };
        let rank = from.len();
        if rank < 2 || to.len() != rank || from[..rank - 2] != to[..rank - 2] {
            continue;
        }
        let (h, w, oh, ow) = (from[rank - 2], from[rank - 1], to[rank - 2], to[rank - 1]);
        // `Valid` rounds down, `SameUpper` up.
        let fits = |n: usize, o: usize| o == n / 2 || o == n.div_ceil(2);
        // Batch 1: at most one leading axis longer than 1 (the channels).
        let one_image = from[..rank - 2].iter().filter(|&&d| d != 1).count() <= 1;
        if !one_image || !fits(h, oh) || !fits(w, ow) {
            continue;
        }
        let inputs = node.inputs.clone();
        let op = MaxPool2x2 { out: [oh, ow] };
        let patch = TypedModelPatch::replace_single_op(model, node, &inputs, op)?;
        patch.apply(model)?;
        replaced += 1;
    }
    ensure!(
        replaced == expected,
        "expected {expected} 2×2 max pools to compute directly, found {replaced}"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_pick_the_largest_of_each_window_and_keep_odd_edges() {
        // 3×5: two full windows per pair of rows, a one-column window at the right, a
        // one-row window at the bottom (SameUpper's padding after).
        #[rustfmt::skip]
        let x = [
            1.0, 9.0,  2.0, 3.0,  -4.0,
            5.0, 0.0,  8.0, 7.0,  -6.0,
            -1.0, 4.0, -3.0, -2.0, 6.0,
        ];
        let mut out = [0f32; 6];
        pool_plane(&x, [3, 5], &mut out, [2, 3]);
        assert_eq!(out, [9.0, 8.0, -4.0, 4.0, -2.0, 6.0]);
        // Valid: the odd row and column are dropped.
        let mut out = [0f32; 2];
        pool_plane(&x, [3, 5], &mut out, [1, 2]);
        assert_eq!(out, [9.0, 8.0]);
    }

    #[test]
    fn only_plain_2x2_pools_are_taken() {
        let valid = "Data format: NCHW Kernel shape:[2, 2] (strides:Some([2, 2]), \
                     padding:Valid, dilations:None)";
        assert!(is_plain_2x2(valid));
        assert!(is_plain_2x2(&valid.replace("Valid", "SameUpper")));
        assert!(!is_plain_2x2(&valid.replace("Valid", "SameLower")));
        assert!(!is_plain_2x2(&valid.replace("NCHW", "NHWC")));
        assert!(!is_plain_2x2(&valid.replace("[2, 2] (", "[3, 3] (")));
        assert!(!is_plain_2x2(
            &valid.replace("Some([2, 2])", "Some([1, 1])")
        ));
    }
}
