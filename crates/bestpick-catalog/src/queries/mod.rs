//! SQL, one module per table. Functions take a `&Connection` (a `Transaction` derefs to one), so
//! the caller decides the transaction boundaries.

pub(crate) mod analyses;
pub(crate) mod consents;
pub(crate) mod contributions;
pub(crate) mod decision_log;
pub(crate) mod decisions;
pub(crate) mod network_requests;
pub(crate) mod photos;
pub(crate) mod profiles;
pub(crate) mod settings;
pub(crate) mod shoots;

use crate::error::{Error, Result};

/// Convert an unsigned API value to SQLite's signed 64-bit integer.
pub(crate) fn to_sql_int(what: &'static str, value: u64) -> Result<i64> {
    i64::try_from(value).map_err(|_| Error::OutOfRange { what, value })
}

/// Convert a stored signed integer back to the unsigned API value.
pub(crate) fn from_sql_int(context: &'static str, value: i64) -> Result<u64> {
    u64::try_from(value).map_err(|_| Error::CorruptValue {
        context,
        value: value.to_string(),
    })
}
