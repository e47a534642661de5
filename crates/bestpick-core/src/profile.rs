//! Culling profiles: how much each judgement weighs for a kind of shoot and how loosely its
//! bursts are grouped. A profile is a small readable file; the front ends keep it (the engine
//! reads and writes the TOML), ranking only reads its numbers. What a profile learned from the
//! photographer's own picks is a [`Taste`](crate::rank::Taste), kept beside it.

use serde::{Deserialize, Serialize};

use crate::group::Strictness;

/// A culling profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Its name (letters, digits, `-` and `_`).
    pub name: String,
    /// What it is for, in a sentence.
    #[serde(default)]
    pub description: String,
    /// How much each judgement weighs.
    #[serde(default)]
    pub weights: Weights,
    /// How bursts are grouped.
    #[serde(default)]
    pub grouping: Grouping,
}

/// Multipliers on the ranking's penalties, 1 = the engine's own balance. 0 ignores a
/// judgement; 2 makes it count twice.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Weights {
    /// Focus and motion blur of the whole frame.
    pub detail: f32,
    /// Exposure against the group.
    pub exposure: f32,
    /// Clipped highlights and shadows.
    pub clipping: f32,
    /// Noise against the group.
    pub noise: f32,
    /// Closed and half-closed eyes.
    pub eyes: f32,
    /// Face sharpness.
    pub faces: f32,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            detail: 1.0,
            exposure: 1.0,
            clipping: 1.0,
            noise: 1.0,
            eyes: 1.0,
            faces: 1.0,
        }
    }
}

impl Weights {
    /// Each judgement's name (as in a profile file) with its weight, in the order a profile
    /// lists them.
    pub fn named(&self) -> [(&'static str, f32); 6] {
        [
            ("detail", self.detail),
            ("exposure", self.exposure),
            ("clipping", self.clipping),
            ("noise", self.noise),
            ("eyes", self.eyes),
            ("faces", self.faces),
        ]
    }
}

/// The largest weight a profile may give a judgement.
pub const MAX_WEIGHT: f32 = 4.0;

/// How a profile groups bursts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Grouping {
    /// 0 (loose) ..= 100 (strict), as `--grouping`.
    pub strictness: u8,
}

impl Default for Grouping {
    fn default() -> Self {
        Grouping {
            strictness: Strictness::NORMAL.get(),
        }
    }
}

impl Profile {
    /// The engine's own balance under `name`: every weight 1, normal grouping.
    pub fn balanced(name: &str) -> Profile {
        Profile {
            name: name.to_string(),
            description: String::new(),
            weights: Weights::default(),
            grouping: Grouping::default(),
        }
    }

    /// Checks the name and the numbers; the error says which is wrong and why.
    pub fn validate(&self) -> Result<(), ProfileProblem> {
        check_name(&self.name)?;
        for (what, v) in self.weights.named() {
            if !(0.0..=MAX_WEIGHT).contains(&v) {
                return Err(ProfileProblem::Weight { what, value: v });
            }
        }
        if self.grouping.strictness > 100 {
            return Err(ProfileProblem::Strictness(self.grouping.strictness));
        }
        Ok(())
    }

    /// The grouping strictness.
    pub fn strictness(&self) -> Strictness {
        Strictness::new(self.grouping.strictness)
    }
}

/// A profile name: 1 to 40 letters, digits, `-` or `_` (it names a file when exported).
pub fn check_name(name: &str) -> Result<(), ProfileProblem> {
    let ok = !name.is_empty()
        && name.len() <= 40
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(ProfileProblem::Name(name.to_string()))
    }
}

/// What is wrong with a profile.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProfileProblem {
    /// The name is not 1 to 40 letters, digits, `-` or `_`.
    #[error("profile name {0:?}: use 1 to 40 letters, digits, '-' or '_'")]
    Name(String),
    /// A weight is outside 0 ..= [`MAX_WEIGHT`].
    #[error("weights.{what} = {value}: a weight is between 0 and {MAX_WEIGHT}")]
    Weight {
        /// Which weight.
        what: &'static str,
        /// Its value.
        value: f32,
    },
    /// The grouping strictness is over 100.
    #[error("grouping.strictness = {0}: between 0 (loose) and 100 (strict)")]
    Strictness(u8),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_weights_are_checked() {
        assert!(Profile::balanced("my-weddings_2").validate().is_ok());
        assert!(Profile::balanced("").validate().is_err());
        assert!(Profile::balanced("../etc").validate().is_err());
        let mut p = Profile::balanced("p");
        p.weights.eyes = 9.0;
        let e = p.validate().expect_err("too heavy");
        assert!(e.to_string().contains("weights.eyes"), "{e}");
        p.weights.eyes = -0.5;
        assert!(p.validate().is_err());
    }
}
