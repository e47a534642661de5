//! The versioned contribution terms shipped with the app.
//!
//! Consent records the version accepted; when [`CURRENT_VERSION`] changes, contributors must
//! consent again before anything more is sent.

/// The terms version a new consent accepts.
pub const CURRENT_VERSION: u32 = 1;

const V1: &str = include_str!("../terms/v1.md");

/// The text of terms `version`, if this build ships it.
pub fn text(version: u32) -> Option<&'static str> {
    match version {
        1 => Some(V1),
        _ => None,
    }
}

/// The current terms text.
pub fn current() -> &'static str {
    V1
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each promise of the issue, and a phrase of the terms that states it.
    #[test]
    fn terms_state_every_promise() {
        let t = current().to_lowercase();
        let promises = [
            ("off by default", "off until you turn it on"),
            ("shares the images", "the photos you choose, re-encoded"),
            ("shares the scores", "analysis scores"),
            ("optional age decade", "age as a decade"),
            ("optional gender", "your gender"),
            ("optional skin type", "skin type"),
            ("buckets may stay blank", "can stay blank"),
            ("never names", "your name"),
            ("never emails", "email address"),
            ("never phone numbers", "phone number"),
            ("never device ids", "device id"),
            ("never locations", "locations"),
            ("never capture times", "capture times"),
            ("never file names", "file names"),
            ("retention", "up to 5 years"),
            ("withdrawal", "withdraw your consent at any time"),
            (
                "faces are personal data",
                "faces in photos are personal data",
            ),
            ("sensor fingerprint", "sensor fingerprint"),
            ("13 or older", "13 or older"),
            (
                "parent under 18",
                "under 18, a parent or guardian must give you permission",
            ),
            (
                "raw/heic never sent",
                "raw, heic and sidecar files are never sent",
            ),
            ("local staging deleted", "after 30"),
        ];
        for (promise, phrase) in promises {
            assert!(
                t.contains(phrase),
                "terms must state {promise:?} (phrase {phrase:?})"
            );
        }
        assert_eq!(
            text(CURRENT_VERSION),
            Some(current()),
            "current version ships"
        );
        assert_eq!(text(0), None, "unknown version");
    }
}
