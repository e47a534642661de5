//! The photographer's taste, learned from their own picks, on the machine.
//!
//! Each frame of a group is described by a few traits measured against its group (how much
//! brighter, sharper, noisier, ... than the group's typical frame) and by the engine's penalty.
//! A pick is a preference for one frame over the others of its group. A regularised pairwise
//! logistic model over the differences of those descriptions learns how much the photographer
//! trusts the engine's penalty and how much they like each trait:
//! `utility = -trust × penalty + Σ prefer[t] × trait[t]`.
//!
//! Taste only reorders *acceptable* frames (no blur, blink, misfire or obstruction, and close
//! to the group's best; see [`TasteFrame::acceptable`]): it never makes a faulty frame the pick.
//! Nothing here keeps an image, only these few numbers per frame.

use serde::{Deserialize, Serialize};

use super::faces::JudgedFace;
use crate::signals::Signals;

/// How many traits describe a frame.
pub const TRAITS: usize = 7;

/// What taste can prefer, each measured against the frame's group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trait {
    /// Exposure against the group's typical frame, in EV.
    Brightness,
    /// Whole-frame detail against the group's best, in stops.
    Detail,
    /// Noise against the group's reference, in doublings.
    Noise,
    /// Clipped highlights beyond the group's typical frame, per 10 % of the frame.
    Highlights,
    /// Face sharpness against the same people's sharpest frame (0 = as sharp; -1 = lost all).
    FaceSharpness,
    /// Eye openness against the same people's open state (0 = as open as usual).
    EyesOpen,
    /// Position in the burst, 0 (first frame) to 1 (last).
    Time,
}

impl Trait {
    /// Every trait, in the order of a frame's trait vector.
    pub const ALL: [Trait; TRAITS] = [
        Trait::Brightness,
        Trait::Detail,
        Trait::Noise,
        Trait::Highlights,
        Trait::FaceSharpness,
        Trait::EyesOpen,
        Trait::Time,
    ];

    /// The adjective for more (`more`) or less of the trait: "brighter", "darker".
    pub fn words(self, more: bool) -> &'static str {
        match (self, more) {
            (Trait::Brightness, true) => "brighter",
            (Trait::Brightness, false) => "darker",
            (Trait::Detail, true) => "sharper",
            (Trait::Detail, false) => "softer",
            (Trait::Noise, true) => "noisier",
            (Trait::Noise, false) => "cleaner",
            (Trait::Highlights, true) => "with more clipped highlights",
            (Trait::Highlights, false) => "with fewer clipped highlights",
            (Trait::FaceSharpness, true) => "with sharper faces",
            (Trait::FaceSharpness, false) => "with softer faces",
            (Trait::EyesOpen, true) => "with eyes wider open",
            (Trait::EyesOpen, false) => "with eyes less open",
            (Trait::Time, true) => "later in the burst",
            (Trait::Time, false) => "earlier in the burst",
        }
    }

    /// A difference of this trait in words: "+0.5 EV", "0.3 stops", "2 frames" is not known
    /// here, so time is a share of the burst.
    fn amount(self, d: f32) -> String {
        let a = d.abs();
        match self {
            Trait::Brightness => format!("{}{:.1} EV", if d >= 0.0 { "+" } else { "-" }, a),
            Trait::Detail => format!("{a:.1} stops of detail"),
            Trait::Noise => format!("{:.1}× the noise", 2f32.powf(d)),
            Trait::Highlights => format!("{:.0}% of the frame", a * 10.0),
            Trait::FaceSharpness => format!("{:.0}% face sharpness", a * 100.0),
            Trait::EyesOpen => format!("{:.0}% eye openness", a * 100.0),
            Trait::Time => format!("{:.0}% of the burst", a * 100.0),
        }
    }

    /// The sign a learned weight may take: +1 for what can only be wanted more of (detail,
    /// sharp faces, open eyes), -1 for what can only be wanted less of (noise, clipping), 0
    /// for matters of taste (brightness, the moment in the burst).
    fn sign(self) -> f64 {
        match self {
            Trait::Detail | Trait::FaceSharpness | Trait::EyesOpen => 1.0,
            Trait::Noise | Trait::Highlights => -1.0,
            Trait::Brightness | Trait::Time => 0.0,
        }
    }

    /// Below this difference two frames are alike in this trait (for the words).
    fn noticeable(self) -> f32 {
        match self {
            Trait::Brightness => 0.15,
            Trait::Detail | Trait::Noise => 0.2,
            Trait::Highlights => 0.05,
            Trait::FaceSharpness | Trait::EyesOpen => 0.1,
            Trait::Time => 0.2,
        }
    }
}

/// One frame as taste sees it.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct TasteFrame {
    /// Its traits, in the order of [`Trait::ALL`].
    pub traits: [f32; TRAITS],
    /// The engine's penalty for it (the profile's weights applied; lower is better).
    pub penalty: f32,
    /// Taste may make it the pick: no fault, and close to the group's best.
    pub acceptable: bool,
}

/// The traits of frame `i` of `n` (shooting order) against its group's typical exposure
/// (`ev`), best detail, noise reference and clipped highlights; `faces` as judged.
#[allow(clippy::too_many_arguments)]
pub(super) fn traits(
    s: &Signals,
    i: usize,
    n: usize,
    ev: f32,
    best_detail: f32,
    noise: f32,
    highlights: f32,
    faces: Option<&[JudgedFace]>,
) -> [f32; TRAITS] {
    const EPS: f32 = 0.003;
    let faces = faces.unwrap_or_default();
    let mean = |v: Vec<f32>| {
        if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<f32>() / v.len() as f32
        }
    };
    let face_sharpness = mean(faces.iter().map(|f| f.sharpness - 1.0).collect());
    let eyes_open = mean(
        faces
            .iter()
            .flat_map(|f| f.open_share.iter().flatten())
            .map(|&o| o.clamp(0.0, 1.5) - 1.0)
            .collect(),
    );
    let fin = |v: f32, lo: f32, hi: f32| if v.is_finite() { v.clamp(lo, hi) } else { 0.0 };
    [
        fin(s.exposure_ev - ev, -4.0, 4.0),
        fin(
            ((super::detail::detail(s) + EPS) / (best_detail + EPS)).log2(),
            -4.0,
            1.0,
        ),
        fin(((s.noise + 0.1) / (noise + 0.1)).log2(), -3.0, 3.0),
        fin((s.clipped_highlights - highlights) * 10.0, -10.0, 10.0),
        fin(face_sharpness, -1.0, 0.0),
        fin(eyes_open, -1.0, 0.5),
        if n > 1 {
            i as f32 / (n - 1) as f32
        } else {
            0.0
        },
    ]
}

/// What the photographer did in one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    /// Picked the frame `chosen` (the suggestion or another).
    Picked,
    /// Rejected the suggestion without picking another.
    RejectedSuggestion,
}

/// One decided group: its frames, the suggestion, and what the photographer chose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preference {
    /// The group's frames, in shooting order.
    pub frames: Vec<TasteFrame>,
    /// The engine's suggestion (index into `frames`).
    pub suggested: usize,
    /// The frame picked (for [`Choice::Picked`]) or rejected (the suggestion).
    pub chosen: usize,
    /// What was done.
    pub choice: Choice,
}

impl Preference {
    /// The pairs `(better, worse, weight)` this decision states: a pick is preferred to every
    /// other frame of its group, and more to the suggestion it overruled
    /// ([`OVERRULE_WEIGHT`]): that is what the photographer looked at and turned down.
    fn pairs(&self) -> Vec<(usize, usize, f32)> {
        let n = self.frames.len();
        if n < 2 || self.chosen >= n || self.suggested >= n {
            return Vec::new();
        }
        match self.choice {
            Choice::Picked => {
                let w = PAIR_WEIGHT;
                (0..n)
                    .filter(|&j| j != self.chosen)
                    .map(|j| {
                        let extra = if j == self.suggested {
                            OVERRULE_WEIGHT
                        } else {
                            0.0
                        };
                        (self.chosen, j, w + extra)
                    })
                    .collect()
            }
            Choice::RejectedSuggestion => {
                let better: Vec<usize> = (0..n)
                    .filter(|&j| j != self.suggested && self.frames[j].acceptable)
                    .collect();
                let w = REJECTION_WEIGHT / better.len().max(1) as f32;
                better.into_iter().map(|j| (j, self.suggested, w)).collect()
            }
        }
    }
}

/// See [`Preference::pairs`]: each pair of a pick counts alike (a pick says as much about
/// the frame just brighter as about the frame just darker), the overruled suggestion more.
const PAIR_WEIGHT: f32 = 0.5;
const OVERRULE_WEIGHT: f32 = 0.5;
/// A rejected suggestion says less than a pick (it says what is not wanted, not what is).
const REJECTION_WEIGHT: f32 = 0.5;
/// The trust in the engine's penalty before any decision: a frame one "clearly worse" step
/// behind is preferred about 7 times in 8.
const TRUST_PRIOR: f32 = 2.0;
/// Learning never stops trusting the engine below this.
const MIN_TRUST: f32 = 0.25;
/// Strength of the pull toward the prior, in decided groups: a handful of decisions move
/// taste, a single one barely does.
const REGULARISATION: f32 = 0.5;
/// Newton steps of the fit (it converges in a few).
const FIT_STEPS: usize = 30;

/// What a profile learned: how much the photographer trusts the engine's penalty, and how much
/// each trait is worth to them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Taste {
    /// Weight of the engine's penalty.
    pub trust: f32,
    /// Weight of each trait, in the order of [`Trait::ALL`].
    pub prefer: [f32; TRAITS],
    /// Weight of the squared exposure difference (0 or less): with the brightness weight, it
    /// puts the preferred exposure at `-prefer[brightness] / (2 × exposure_curve)` EV from the
    /// group, where a linear weight alone would always want the brightest frame.
    #[serde(default)]
    pub exposure_curve: f32,
    /// Decided groups it was learned from.
    pub groups: usize,
}

impl Default for Taste {
    fn default() -> Self {
        Taste {
            trust: TRUST_PRIOR,
            prefer: [0.0; TRAITS],
            exposure_curve: 0.0,
            groups: 0,
        }
    }
}

impl Taste {
    /// Fits taste to decided groups (see the module documentation).
    pub fn fit(preferences: &[Preference]) -> Taste {
        // Parameters: trust, the traits' weights, then the exposure curve.
        const P: usize = TRAITS + 2;
        let pairs: Vec<([f32; P], f32)> = preferences
            .iter()
            .flat_map(|p| {
                p.pairs().into_iter().map(move |(a, b, w)| {
                    let (fa, fb) = (&p.frames[a], &p.frames[b]);
                    let mut x = [0.0f32; P];
                    x[0] = fb.penalty - fa.penalty;
                    for t in 0..TRAITS {
                        x[t + 1] = fa.traits[t] - fb.traits[t];
                    }
                    x[P - 1] = curve(fa) - curve(fb);
                    (x, w)
                })
            })
            .filter(|(x, w)| *w > 0.0 && x.iter().all(|v| v.is_finite()))
            .collect();
        let mut prior = [0.0f64; P];
        prior[0] = f64::from(TRUST_PRIOR);
        let mut theta = prior;
        for _ in 0..FIT_STEPS {
            // Gradient and Hessian of Σ w·log(1 + e^(−θ·x)) + λ/2·|θ − prior|².
            let mut grad = [0.0f64; P];
            let mut hess = [[0.0f64; P]; P];
            for k in 0..P {
                grad[k] = f64::from(REGULARISATION) * (theta[k] - prior[k]);
                hess[k][k] = f64::from(REGULARISATION);
            }
            for (x, w) in &pairs {
                let z: f64 = (0..P).map(|k| theta[k] * f64::from(x[k])).sum();
                let s = 1.0 / (1.0 + (-z).exp());
                let w = f64::from(*w);
                for k in 0..P {
                    grad[k] += w * (s - 1.0) * f64::from(x[k]);
                    for l in 0..P {
                        hess[k][l] += w * s * (1.0 - s) * f64::from(x[k]) * f64::from(x[l]);
                    }
                }
            }
            let Some(step) = solve(hess, grad) else {
                break;
            };
            let mut moved = 0.0f64;
            for k in 0..P {
                let was = theta[k];
                theta[k] -= step[k];
                // Nobody wants noise, clipping or softness for their own sake: when they come
                // with what the photographer does want (a brighter frame is noisier), the
                // wanted trait takes the weight.
                let sign = match k {
                    0 => 1.0,
                    t if t <= TRAITS => Trait::ALL[t - 1].sign(),
                    _ => -1.0,
                };
                if sign * theta[k] < 0.0 {
                    theta[k] = 0.0;
                }
                moved += (theta[k] - was).abs();
            }
            if moved < 1e-6 {
                break;
            }
        }
        let mut prefer = [0.0f32; TRAITS];
        for t in 0..TRAITS {
            prefer[t] = theta[t + 1] as f32;
        }
        Taste {
            trust: (theta[0] as f32).max(MIN_TRUST),
            prefer,
            // A taste for exposure has a peak ("about half a stop brighter"), never a valley.
            exposure_curve: (theta[P - 1] as f32).min(0.0),
            groups: preferences.len(),
        }
    }

    /// True when nothing was learned (taste then changes nothing).
    pub fn is_untrained(&self) -> bool {
        self.groups == 0
    }

    /// How much the photographer would like `frame` (higher is better).
    pub fn utility(&self, frame: &TasteFrame) -> f32 {
        -self.trust * frame.penalty
            + self.exposure_curve * curve(frame)
            + self
                .prefer
                .iter()
                .zip(&frame.traits)
                .map(|(w, t)| w * t)
                .sum::<f32>()
    }

    /// The trait that made `a` win over `b`, and whether `a` had more of it.
    pub fn deciding_trait(&self, a: &TasteFrame, b: &TasteFrame) -> Option<(Trait, bool)> {
        Trait::ALL
            .iter()
            .enumerate()
            .map(|(t, &tr)| {
                let mut gain = self.prefer[t] * (a.traits[t] - b.traits[t]);
                if tr == Trait::Brightness {
                    gain += self.exposure_curve * (curve(a) - curve(b));
                }
                (tr, gain, t)
            })
            .filter(|&(_, gain, _)| gain > 0.0)
            .max_by(|x, y| x.1.total_cmp(&y.1))
            .map(|(tr, _, t)| (tr, a.traits[t] > b.traits[t]))
    }
}

/// The squared exposure difference of a frame (see [`Taste::exposure_curve`]).
fn curve(frame: &TasteFrame) -> f32 {
    frame.traits[0] * frame.traits[0]
}

/// Solves `a · x = b` (Gaussian elimination with partial pivoting); `None` when singular.
fn solve<const N: usize>(mut a: [[f64; N]; N], mut b: [f64; N]) -> Option<[f64; N]> {
    let n = N;
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let pivot_row = a[col];
        for row in col + 1..n {
            let f = a[row][col] / pivot_row[col];
            for (v, p) in a[row][col..].iter_mut().zip(&pivot_row[col..]) {
                *v -= f * p;
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = [0.0f64; N];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    Some(x)
}

/// What the photographer did, in plain words, with the evidence: "you kept the suggestion in
/// 3 of 12 groups", "you chose a brighter frame than suggested in 7 of 9 groups (about
/// +0.5 EV)". Only traits the model also learned to weigh are told.
pub fn describe(preferences: &[Preference], taste: &Taste) -> Vec<String> {
    let picked: Vec<&Preference> = preferences
        .iter()
        .filter(|p| p.choice == Choice::Picked && p.chosen < p.frames.len())
        .collect();
    let rejected = preferences.len() - picked.len();
    let mut out = Vec::new();
    if preferences.is_empty() {
        out.push("nothing learned yet: pick frames in a few groups and it will follow".into());
        return out;
    }
    let kept = picked.iter().filter(|p| p.chosen == p.suggested).count();
    out.push(format!(
        "you kept the suggestion in {kept} of {} group{} you picked in",
        picked.len(),
        if picked.len() == 1 { "" } else { "s" }
    ));
    if rejected > 0 {
        out.push(format!(
            "you rejected the suggestion without picking another in {rejected} group{}",
            if rejected == 1 { "" } else { "s" }
        ));
    }
    let changed: Vec<&&Preference> = picked
        .iter()
        .filter(|p| p.chosen != p.suggested && p.suggested < p.frames.len())
        .collect();
    let mut told: Vec<(f32, String)> = Vec::new();
    for (t, &tr) in Trait::ALL.iter().enumerate() {
        let learned = taste.prefer[t];
        if learned.abs() < 0.05 {
            continue;
        }
        let more = learned > 0.0;
        let diffs: Vec<f32> = changed
            .iter()
            .map(|p| p.frames[p.chosen].traits[t] - p.frames[p.suggested].traits[t])
            .filter(|d| d.abs() >= tr.noticeable() && (*d > 0.0) == more)
            .collect();
        if diffs.is_empty() || 2 * diffs.len() < changed.len() {
            continue;
        }
        let mean = diffs.iter().sum::<f32>() / diffs.len() as f32;
        told.push((
            learned.abs() * mean.abs(),
            format!(
                "you chose a frame {} than suggested in {} of {} where you changed the pick (about {})",
                tr.words(more),
                diffs.len(),
                match changed.len() {
                    1 => "1 group".to_owned(),
                    n => format!("{n} groups"),
                },
                tr.amount(mean)
            ),
        ));
    }
    told.sort_by(|a, b| b.0.total_cmp(&a.0));
    out.extend(told.into_iter().map(|(_, s)| s));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A group of 5 frames, -1 .. +1 EV, of which the engine prefers the middle one.
    fn exposure_group(chosen: usize) -> Preference {
        let evs = [-1.0f32, -0.5, 0.0, 0.5, 1.0];
        let frames = evs
            .iter()
            .map(|&ev| {
                let mut traits = [0.0; TRAITS];
                traits[0] = ev;
                TasteFrame {
                    traits,
                    penalty: ((ev.abs() - 0.25).max(0.0)) * 0.8,
                    acceptable: true,
                }
            })
            .collect();
        Preference {
            frames,
            suggested: 2,
            chosen,
            choice: Choice::Picked,
        }
    }

    fn best_by_taste(taste: &Taste, p: &Preference) -> usize {
        (0..p.frames.len())
            .max_by(|&a, &b| {
                taste
                    .utility(&p.frames[a])
                    .total_cmp(&taste.utility(&p.frames[b]))
            })
            .expect("frames")
    }

    #[test]
    fn untrained_taste_follows_the_engine() {
        let taste = Taste::fit(&[]);
        assert!(taste.is_untrained());
        assert_eq!(taste.prefer, [0.0; TRAITS]);
        assert_eq!(best_by_taste(&taste, &exposure_group(2)), 2);
    }

    #[test]
    fn a_taste_for_half_a_stop_brighter_is_learned_and_told() {
        let prefs: Vec<Preference> = (0..5).map(|_| exposure_group(3)).collect();
        let taste = Taste::fit(&prefs);
        assert!(taste.prefer[0] > 0.0, "{taste:?}");
        assert_eq!(best_by_taste(&taste, &exposure_group(2)), 3, "{taste:?}");
        let words = describe(&prefs, &taste);
        assert!(
            words.iter().any(|w| w
                == "you chose a frame brighter than suggested in 5 of 5 groups where you changed the pick (about +0.5 EV)"),
            "{words:?}"
        );
        assert_eq!(
            taste.deciding_trait(&exposure_group(2).frames[3], &exposure_group(2).frames[2]),
            Some((Trait::Brightness, true))
        );
    }

    #[test]
    fn one_pick_barely_moves_taste_and_agreement_keeps_it() {
        let one = Taste::fit(&[exposure_group(3)]);
        assert_eq!(best_by_taste(&one, &exposure_group(2)), 2, "{one:?}");
        let agreed: Vec<Preference> = (0..6).map(|_| exposure_group(2)).collect();
        let taste = Taste::fit(&agreed);
        assert!(taste.trust >= TRUST_PRIOR, "{taste:?}");
        assert_eq!(best_by_taste(&taste, &exposure_group(2)), 2);
    }

    #[test]
    fn a_rejected_suggestion_points_away_from_it() {
        let mut p = exposure_group(2);
        p.choice = Choice::RejectedSuggestion;
        let pairs = p.pairs();
        assert_eq!(pairs.len(), 4);
        assert!(pairs.iter().all(|&(_, worse, _)| worse == 2));
    }
}
