//! The detector's ×2 bilinear upsampling, computed directly.
//!
//! BlazeFace's feature pyramid upsamples three times (ONNX `Resize`, linear, `half_pixel`, scale
//! 2). tract evaluates `Resize` through a general plan of taps and weights per output element,
//! rebuilt on every run, which along the innermost axis costs several times the arithmetic: it
//! was a tenth of the detector's time. [`Upsample2x`] does the same arithmetic in the same order
//! (axes in increasing order, each output `0 + w₀·a + w₁·b` with the lower tap first, edges
//! clamped), so its output is bit for bit tract's.

use tract_onnx::tract_core::internal::*;
use tract_onnx::tract_core::{as_op, op_as_typed_op, op_out_of_plan};

/// ×2 bilinear upsampling (`half_pixel` coordinates, edge taps clamped) of the listed axes, in
/// increasing order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Upsample2x {
    /// Axes whose length doubles, increasing.
    pub axes: TVec<usize>,
}

impl Op for Upsample2x {
    fn name(&self) -> StaticName {
        "Upsample2x".into()
    }

    op_as_typed_op!();
}

impl EvalOp for Upsample2x {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let input = args_1!(inputs);
        let mut shape: TVec<usize> = input.shape().into();
        // Each doubling is written straight into a tensor (a `Vec` would be copied into one).
        let mut data: Option<Tensor> = None;
        for &axis in &self.axes {
            ensure!(
                axis < shape.len(),
                "axis {axis} of a rank {} tensor",
                shape.len()
            );
            let mut doubled = shape.clone();
            doubled[axis] *= 2;
            let mut out = Tensor::zero::<f32>(&doubled)?;
            {
                let src = match &data {
                    Some(d) => d.try_as_plain_ram()?,
                    None => input.try_as_plain_ram()?,
                };
                let mut dst = out.try_as_plain_ram_mut()?;
                double_axis(
                    src.as_slice::<f32>()?,
                    &shape,
                    axis,
                    dst.as_slice_mut::<f32>()?,
                );
            }
            data = Some(out);
            shape = doubled;
        }
        let out = match data {
            Some(d) => d,
            None => input.into_tensor(),
        };
        Ok(tvec!(out.into_tvalue()))
    }
}

impl TypedOp for Upsample2x {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let mut shape: TVec<TDim> = inputs[0].shape.iter().cloned().collect();
        for &axis in &self.axes {
            ensure!(
                axis < shape.len(),
                "axis {axis} of a rank {} tensor",
                shape.len()
            );
            shape[axis] = shape[axis].clone() * 2;
        }
        Ok(tvec!(f32::fact(shape)))
    }

    as_op!();
}

/// Doubles `axis` of the row-major `src` of `shape` into `dst`. Output `2i` reads inputs `i-1`
/// and `i` with weights ¼ and ¾, output `2i+1` reads `i` and `i+1` with ¾ and ¼ (`half_pixel`:
/// output `x` samples input coordinate `(x + ½)/2 − ½`), indices clamped to the axis.
fn double_axis(src: &[f32], shape: &[usize], axis: usize, dst: &mut [f32]) {
    let n = shape[axis];
    let inner: usize = shape[axis + 1..].iter().product();
    if n == 0 || inner == 0 {
        return;
    }
    // Accumulated from zero, lower tap first: tract's order, so the rounding is the same.
    let mix = |w0: f32, a: f32, w1: f32, b: f32| {
        let mut d = 0.0f32;
        d += w0 * a;
        d += w1 * b;
        d
    };
    for (s, d) in src
        .chunks_exact(n * inner)
        .zip(dst.chunks_exact_mut(2 * n * inner))
    {
        if inner == 1 {
            for i in 0..n {
                let (prev, here, next) = (s[i.saturating_sub(1)], s[i], s[(i + 1).min(n - 1)]);
                d[2 * i] = mix(0.25, prev, 0.75, here);
                d[2 * i + 1] = mix(0.75, here, 0.25, next);
            }
            continue;
        }
        for i in 0..n {
            let prev = &s[i.saturating_sub(1) * inner..][..inner];
            let here = &s[i * inner..][..inner];
            let next = &s[(i + 1).min(n - 1) * inner..][..inner];
            let (even, odd) = d[2 * i * inner..][..2 * inner].split_at_mut(inner);
            for (o, (&p, &h)) in even.iter_mut().zip(prev.iter().zip(here)) {
                *o = mix(0.25, p, 0.75, h);
            }
            for (o, (&h, &x)) in odd.iter_mut().zip(here.iter().zip(next)) {
                *o = mix(0.75, h, 0.25, x);
            }
        }
    }
}

/// Replaces every `Resize` of the optimized detector `model` by [`Upsample2x`] over the axes
/// it doubles. The caller has checked that the network's `Resize` nodes are linear with
/// `half_pixel` coordinates and scale 2 (see `load_detector`); here each must double one or
/// more axes and keep the others.
pub(crate) fn replace_resizes(model: &mut TypedModel, expected: usize) -> TractResult<()> {
    let resizes: Vec<usize> = model
        .nodes()
        .iter()
        .filter(|n| n.op.name() == "Resize")
        .map(|n| n.id)
        .collect();
    ensure!(
        resizes.len() == expected,
        "expected {expected} Resize nodes in the optimized detector, found {}",
        resizes.len()
    );
    for id in resizes {
        let node = model.node(id);
        let input = node.inputs[0];
        let from = model
            .outlet_fact(input)?
            .shape
            .as_concrete()
            .map(<[usize]>::to_vec);
        let to = model
            .outlet_fact(id.into())?
            .shape
            .as_concrete()
            .map(<[usize]>::to_vec);
        let (Some(from), Some(to)) = (from, to) else {
            bail!("Resize {}: shapes not known", node.name);
        };
        ensure!(from.len() == to.len(), "Resize {}: rank changes", node.name);
        let mut axes = TVec::new();
        for (axis, (&a, &b)) in from.iter().zip(&to).enumerate() {
            if b == 2 * a && a > 0 {
                axes.push(axis);
            } else {
                ensure!(a == b, "Resize {}: {from:?} → {to:?}", node.name);
            }
        }
        let patch = TypedModelPatch::replace_single_op(model, node, &[input], Upsample2x { axes })?;
        patch.apply(model)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubling_matches_the_half_pixel_formula_at_the_edges_and_inside() {
        // One axis of three values, inner 1: 0.25/0.75 mixes, edges repeat the end value.
        let mut out = [0f32; 6];
        double_axis(&[4.0, 8.0, 16.0], &[3], 0, &mut out);
        assert_eq!(out, [4.0, 5.0, 7.0, 10.0, 14.0, 16.0]);
        // The same along an outer axis (inner 2): each column on its own.
        let mut out = [0f32; 12];
        double_axis(&[4.0, 1.0, 8.0, 1.0, 16.0, 1.0], &[3, 2], 0, &mut out);
        assert_eq!(
            out,
            [
                4.0, 1.0, 5.0, 1.0, 7.0, 1.0, 10.0, 1.0, 14.0, 1.0, 16.0, 1.0
            ]
        );
    }
}
