//! Opt-in dataset contribution: consent, anonymize, bundle, encrypted staging vault, upload, receipts.
