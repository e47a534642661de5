//! Wire types of the photographer's decisions (flag, stars, label) and of one change to a
//! selection, converted to and from the catalog's own.

use bestpick_engine::vocabulary::{ColorLabel, Decision, DecisionChange, Flag};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Pick / reject flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum FlagDto {
    /// Not flagged.
    None,
    /// Picked.
    Pick,
    /// Rejected.
    Reject,
}

impl From<Flag> for FlagDto {
    fn from(f: Flag) -> Self {
        match f {
            Flag::None => FlagDto::None,
            Flag::Pick => FlagDto::Pick,
            Flag::Reject => FlagDto::Reject,
        }
    }
}

impl From<FlagDto> for Flag {
    fn from(f: FlagDto) -> Self {
        match f {
            FlagDto::None => Flag::None,
            FlagDto::Pick => Flag::Pick,
            FlagDto::Reject => Flag::Reject,
        }
    }
}

/// Colour label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum LabelDto {
    /// Red.
    Red,
    /// Yellow.
    Yellow,
    /// Green.
    Green,
    /// Blue.
    Blue,
    /// Purple.
    Purple,
}

impl From<ColorLabel> for LabelDto {
    fn from(l: ColorLabel) -> Self {
        match l {
            ColorLabel::Red => LabelDto::Red,
            ColorLabel::Yellow => LabelDto::Yellow,
            ColorLabel::Green => LabelDto::Green,
            ColorLabel::Blue => LabelDto::Blue,
            ColorLabel::Purple => LabelDto::Purple,
        }
    }
}

impl From<LabelDto> for ColorLabel {
    fn from(l: LabelDto) -> Self {
        match l {
            LabelDto::Red => ColorLabel::Red,
            LabelDto::Yellow => ColorLabel::Yellow,
            LabelDto::Green => ColorLabel::Green,
            LabelDto::Blue => ColorLabel::Blue,
            LabelDto::Purple => ColorLabel::Purple,
        }
    }
}

/// A decision on one photo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DecisionDto {
    /// Photo id.
    pub photo: i64,
    /// Flag.
    pub flag: FlagDto,
    /// Stars 0..=5.
    pub stars: u8,
    /// Colour label.
    pub label: Option<LabelDto>,
}

impl DecisionDto {
    /// The decision of `photo`.
    pub fn new(photo: i64, d: &Decision) -> Self {
        DecisionDto {
            photo,
            flag: d.flag.into(),
            stars: d.stars,
            label: d.label.map(Into::into),
        }
    }
}

/// One change to a selection of photos.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", tag = "kind", content = "value")]
pub enum ChangeDto {
    /// Set the flag.
    Flag(FlagDto),
    /// Set the stars.
    Stars(u8),
    /// Set or clear the label.
    Label(Option<LabelDto>),
}

impl From<ChangeDto> for DecisionChange {
    fn from(c: ChangeDto) -> Self {
        match c {
            ChangeDto::Flag(f) => DecisionChange::Flag(f.into()),
            ChangeDto::Stars(s) => DecisionChange::Stars(s),
            ChangeDto::Label(l) => DecisionChange::Label(l.map(Into::into)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_convert_to_catalog_changes() {
        let cases = [
            (
                ChangeDto::Flag(FlagDto::Pick),
                DecisionChange::Flag(Flag::Pick),
            ),
            (ChangeDto::Stars(4), DecisionChange::Stars(4)),
            (
                ChangeDto::Label(Some(LabelDto::Purple)),
                DecisionChange::Label(Some(ColorLabel::Purple)),
            ),
            (ChangeDto::Label(None), DecisionChange::Label(None)),
        ];
        for (dto, want) in cases {
            assert_eq!(DecisionChange::from(dto), want, "{dto:?}");
        }
        let json = serde_json::to_string(&ChangeDto::Flag(FlagDto::Reject)).expect("json");
        assert_eq!(
            json, r#"{"kind":"flag","value":"reject"}"#,
            "wire shape of a change"
        );
    }
}
