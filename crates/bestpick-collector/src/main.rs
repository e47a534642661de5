//! bestpick-collector: the HTTP service that receives anonymized contribution bundles.

fn main() {}
