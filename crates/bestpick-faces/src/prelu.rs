//! The face mesh's and the iris model's PReLU activations, computed directly.
//!
//! The ONNX export writes each PReLU (23 in the face mesh, 53 in the iris model) as three ops
//! that tract keeps apart: a comparison `0 > x` into a boolean map, the per-channel product
//! `x·α`, and a select between the two. That is three passes over the map and a boolean
//! tensor, and tract's comparison runs one element at a time: 40 % of the face mesh's time
//! and nearly half of the iris model's. [`PRelu`] does it in one pass with the same
//! arithmetic (`x·α` where `0 > x`, `x` elsewhere), so its output is bit for bit the three
//! ops' (the models' tests compare whole outputs).

use tract_onnx::tract_core::internal::*;
use tract_onnx::tract_core::{as_op, op_as_typed_op, op_out_of_plan};

/// `x·α[c]` where `0 > x`, else `x`, over maps whose leading axes are channels (batch 1):
/// inputs are the data and the slopes (one per channel).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct PRelu;

impl Op for PRelu {
    fn name(&self) -> StaticName {
        "PRelu".into()
    }

    op_as_typed_op!();
}

impl EvalOp for PRelu {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let (input, slopes) = args_2!(inputs);
        let shape: TVec<usize> = input.shape().into();
        ensure!(shape.len() >= 2, "PReLU input of rank {}", shape.len());
        let rank = shape.len();
        let plane = shape[rank - 2] * shape[rank - 1];
        let channels: usize = shape[..rank - 2].iter().product();
        let slopes = slopes.try_as_plain_ram()?;
        let slopes = slopes.as_slice::<f32>()?;
        ensure!(
            slopes.len() == channels,
            "PReLU: {channels} channels, {} slopes",
            slopes.len()
        );
        // In place, in the input's buffer, which tract hands over when nothing else holds it.
        let mut out = input.into_tensor();
        if plane > 0 {
            let mut view = out.try_as_plain_ram_mut()?;
            let data = view.as_slice_mut::<f32>()?;
            for (map, &alpha) in data.chunks_exact_mut(plane).zip(slopes) {
                for v in map {
                    *v = if 0.0 > *v { *v * alpha } else { *v };
                }
            }
        }
        Ok(tvec!(out.into_tvalue()))
    }
}

impl TypedOp for PRelu {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        Ok(tvec!(f32::fact(inputs[0].shape.iter().cloned())))
    }

    as_op!();
}

/// The node feeding `outlet`, if it is an op named `name`.
fn producer<'m>(model: &'m TypedModel, outlet: OutletId, name: &str) -> Option<&'m TypedNode> {
    let node = model.node(outlet.node);
    (node.op.name() == name && outlet.slot == 0).then_some(node)
}

/// Whether `outlet` is a constant f32 tensor, all zeros.
fn is_zero_const(model: &TypedModel, outlet: OutletId) -> TractResult<bool> {
    let fact = model.outlet_fact(outlet)?;
    let Some(konst) = fact.konst.as_ref() else {
        return Ok(false);
    };
    if konst.datum_type() != f32::datum_type() {
        return Ok(false);
    }
    let values = konst.try_as_plain_ram()?;
    Ok(values.as_slice::<f32>()?.iter().all(|&v| v == 0.0))
}

/// For an `Iff` node, the data and slope outlets of the PReLU it ends, if it is one:
/// `Iff(GT(0, x), OptMulByScalar(x, α), x)` with `x` f32 of known shape `[1…, C, H, W]` and
/// `α` a constant f32 of shape `[1…, C, 1, 1]`.
fn prelu_inputs(model: &TypedModel, iff: &TypedNode) -> TractResult<Option<[OutletId; 2]>> {
    let &[cond, product, x] = &iff.inputs[..] else {
        return Ok(None);
    };
    let (Some(gt), Some(mul)) = (
        producer(model, cond, "GT"),
        producer(model, product, "OptMulByScalar"),
    ) else {
        return Ok(None);
    };
    let (&[zero, gt_x], &[mul_x, slopes]) = (&gt.inputs[..], &mul.inputs[..]) else {
        return Ok(None);
    };
    if gt_x != x || mul_x != x || !is_zero_const(model, zero)? {
        return Ok(None);
    }
    let (xf, sf) = (model.outlet_fact(x)?, model.outlet_fact(slopes)?);
    let (Some(xs), Some(ss)) = (xf.shape.as_concrete(), sf.shape.as_concrete()) else {
        return Ok(None);
    };
    let rank = xs.len();
    let per_channel = rank >= 2
        && ss.len() == rank
        && ss[..rank - 2] == xs[..rank - 2]
        && ss[rank - 2..] == [1, 1]
        && xs[..rank - 2].iter().filter(|&&d| d != 1).count() <= 1;
    let f32s = xf.datum_type == f32::datum_type() && sf.datum_type == f32::datum_type();
    Ok((per_channel && f32s && sf.konst.is_some()).then_some([x, slopes]))
}

/// Replaces every PReLU the export spelled as comparison, product and select in the optimized
/// `model` (see [`prelu_inputs`]) by [`PRelu`]; fails unless that makes `expected` of them (a
/// network or a tract that writes them otherwise would silently lose the speed). The
/// comparison and the product are left without consumers, and are not run.
pub(crate) fn replace_prelus(model: &mut TypedModel, expected: usize) -> TractResult<()> {
    let ids: Vec<usize> = model
        .nodes()
        .iter()
        .filter(|n| n.op.name() == "Iff" && n.outputs.len() == 1)
        .map(|n| n.id)
        .collect();
    let mut replaced = 0;
    for id in ids {
        let node = model.node(id);
        let Some(inputs) = prelu_inputs(model, node)? else {
            continue;
        };
        let patch = TypedModelPatch::replace_single_op(model, node, &inputs, PRelu)?;
        patch.apply(model)?;
        replaced += 1;
    }
    ensure!(
        replaced == expected,
        "expected {expected} PReLU activations to compute directly, found {replaced}"
    );
    Ok(())
}
