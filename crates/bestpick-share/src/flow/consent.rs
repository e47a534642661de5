//! Consent: the one in force, giving it (age rules, terms version), and what needs it.

use super::*;

impl Contributor<'_> {
    /// The consent in force, or why there is none.
    pub fn require_consent(&self) -> Result<Consent> {
        let consent = self.ledger.current_consent()?.ok_or(Error::NoConsent)?;
        if consent.terms_version != terms::CURRENT_VERSION {
            return Err(Error::TermsChanged {
                accepted: consent.terms_version,
                current: terms::CURRENT_VERSION,
            });
        }
        Ok(consent)
    }

    /// The consent in force, if any (for status displays).
    pub fn consent(&self) -> Result<Option<Consent>> {
        self.ledger.current_consent()
    }

    /// Records consent to the current terms.
    pub fn give_consent(&mut self, request: &ConsentRequest) -> Result<Consent> {
        if request.terms_version != terms::CURRENT_VERSION {
            return Err(Error::ConsentInvalid(format!(
                "the current terms are v{}; v{} cannot be accepted",
                terms::CURRENT_VERSION,
                request.terms_version
            )));
        }
        let minor = match request.age {
            Age::Adult => false,
            Age::Teen {
                parent_permission: true,
            } => true,
            Age::Teen {
                parent_permission: false,
            } => {
                return Err(Error::ConsentInvalid(
                    "contributors under 18 need a parent's or guardian's permission".into(),
                ));
            }
            Age::Under13 => {
                return Err(Error::ConsentInvalid(
                    "contributors must be 13 or older".into(),
                ));
            }
        };
        if let Some(decade) = request.buckets.age_decade {
            let consistent = if minor {
                decade.start() == 10
            } else {
                decade.start() >= 10
            };
            if !consistent {
                return Err(Error::ConsentInvalid(format!(
                    "age decade {decade} does not match the age group given"
                )));
            }
        }
        let record = Consent {
            terms_version: request.terms_version,
            accepted_at_ms: self.now_ms()?,
            minor_with_parental_permission: minor,
            buckets_json: ledger::buckets_json(&request.buckets)?,
            withdrawn_at_ms: None,
        };
        self.ledger.record_consent(&record)?;
        Ok(record)
    }
}
