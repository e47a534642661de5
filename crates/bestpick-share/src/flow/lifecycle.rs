//! After sending: status (refreshed from the collector), finding a contribution, deleting one,
//! withdrawing consent, exporting the ledger.

use super::*;

impl Contributor<'_> {
    /// Every contribution; sent ones are refreshed from `collector` when given.
    pub fn status(&mut self, collector: Option<&CollectorClient>) -> Result<StatusReport> {
        let mut report = StatusReport::default();
        if let Some(collector) = collector {
            for record in self.ledger.contributions()? {
                let (Some(bundle_id), ContributionState::Received) =
                    (record.bundle_id.clone(), record.state)
                else {
                    continue;
                };
                let Some(receipt) = self.receipt(&record.anonymous_id)? else {
                    report
                        .problems
                        .push(format!("{bundle_id}: no receipt kept"));
                    continue;
                };
                match collector.status(&mut *self.ledger, &bundle_id, &receipt.receipt_token) {
                    Ok(remote) => {
                        let state = if remote.state == "deleted" {
                            ContributionState::Deleted
                        } else {
                            ContributionState::Received
                        };
                        self.update(&record.anonymous_id, |r| {
                            r.state = state;
                            r.datasets = remote.datasets;
                            r.last_error = None;
                        })?;
                    }
                    Err(e) => report.problems.push(format!("{bundle_id}: {e}")),
                }
            }
        }
        report.contributions = self.ledger.contributions()?;
        Ok(report)
    }

    /// Finds a contribution by collector bundle id, anonymous id, or a unique prefix of
    /// either (at least 6 characters).
    pub fn find(&self, reference: &str) -> Result<Contribution> {
        let reference = reference.trim().to_ascii_lowercase();
        let all = self.ledger.contributions()?;
        let matches: Vec<&Contribution> = all
            .iter()
            .filter(|c| {
                let ids = [Some(c.anonymous_id.as_str()), c.bundle_id.as_deref()];
                ids.into_iter().flatten().any(|id| {
                    id == reference || (reference.len() >= 6 && id.starts_with(&reference))
                })
            })
            .collect();
        match matches.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(Error::NoSuchContribution(reference.to_string())),
            _ => Err(Error::AmbiguousContribution(reference.to_string())),
        }
    }

    /// Deletes one bundle: at the collector when it was sent, locally when only staged.
    pub fn delete(
        &mut self,
        collector: Option<&CollectorClient>,
        reference: &str,
    ) -> Result<Contribution> {
        self.delete_for(collector, reference, false)
    }

    /// [`Contributor::delete`]; `withdrawal` says so in the network log.
    fn delete_for(
        &mut self,
        collector: Option<&CollectorClient>,
        reference: &str,
        withdrawal: bool,
    ) -> Result<Contribution> {
        let record = self.find(reference)?;
        let anon = record.anonymous_id.clone();
        match record.state {
            ContributionState::Staged => {
                self.vault.remove(&format!("{STAGED_PREFIX}{anon}"))?;
                self.update(&anon, |r| r.state = ContributionState::Discarded)?;
            }
            ContributionState::Received => {
                let receipt = self.receipt(&anon)?.ok_or_else(|| Error::NoReceipt)?;
                let client;
                let collector = match collector {
                    Some(c) => c,
                    None => {
                        client = CollectorClient::new(&receipt.collector, Default::default())?;
                        &client
                    }
                };
                collector.delete(
                    &mut *self.ledger,
                    &receipt.bundle_id,
                    &receipt.receipt_token,
                    withdrawal,
                )?;
                self.update(&anon, |r| {
                    r.state = ContributionState::Deleted;
                    r.datasets.clear();
                    r.last_error = None;
                })?;
            }
            ContributionState::Deleted | ContributionState::Discarded => {}
        }
        self.record(&anon)?
            .ok_or_else(|| Error::RecordVanished(anon.clone()))
    }

    /// Withdraws consent (stopping all future contribution), discards the selection and
    /// every staged bundle, and asks the collector to delete every bundle sent.
    pub fn withdraw(&mut self, collector: Option<&CollectorClient>) -> Result<WithdrawReport> {
        self.ledger.withdraw_consents(self.now_ms()?)?;
        self.clear_selection()?;
        let mut report = WithdrawReport::default();
        for record in self.ledger.contributions()? {
            match record.state {
                ContributionState::Staged => {
                    self.delete_for(collector, &record.anonymous_id, true)?;
                    report.discarded.push(record.anonymous_id);
                }
                ContributionState::Received => {
                    let label = record
                        .bundle_id
                        .clone()
                        .unwrap_or(record.anonymous_id.clone());
                    match self.delete_for(collector, &record.anonymous_id, true) {
                        Ok(_) => report.deleted.push(label),
                        Err(e) => {
                            let reason = e.to_string();
                            self.update(&record.anonymous_id, |r| {
                                r.last_error = Some(format!("withdrawal pending: {reason}"));
                            })?;
                            report.failed.push((label, reason));
                        }
                    }
                }
                ContributionState::Deleted | ContributionState::Discarded => {}
            }
        }
        // Staged records without a ledger entry (should not happen) go too.
        for record in self.vault.list(STAGED_PREFIX)? {
            self.vault.remove(&record)?;
        }
        Ok(report)
    }

    /// The network log: every request made to a collector, oldest first.
    pub fn network_log(&self) -> Result<Vec<NetworkRequest>> {
        self.ledger.network_requests()
    }

    /// The contributor's own records (consents and contributions) for `export-ledger`.
    /// Receipt tokens stay in the vault.
    pub fn export_ledger(&self) -> Result<LedgerData> {
        Ok(LedgerData {
            consents: self.ledger.consents()?,
            contributions: self.ledger.contributions()?,
        })
    }
}
