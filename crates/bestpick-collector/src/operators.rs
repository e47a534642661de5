//! Operators: the people allowed to export and purge. `bestpick-collector operators add NAME`
//! makes one and prints a token once; only its SHA-256 is stored. `export` and `purge` read the
//! token from `BESTPICK_OPERATOR_TOKEN` and refuse without a valid one, and the access log names
//! the operator, never `$USER`.

use anyhow::bail;
use bestpick_bundle::{random_hex, sha256_hex};

use crate::store::Store;

/// The environment variable `export` and `purge` read the operator's token from.
pub const TOKEN_ENV: &str = "BESTPICK_OPERATOR_TOKEN";

/// Whether `name` can name an operator: 1-64 characters of A-Z a-z 0-9 . _ - @.
pub fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-@".contains(&b))
}

/// Adds operator `name` and returns their new token (64 hex digits), which is not kept.
pub fn add(store: &dyn Store, name: &str, now: i64) -> anyhow::Result<String> {
    if !valid_name(name) {
        bail!("an operator's name is 1-64 characters of A-Z a-z 0-9 . _ - @ (got {name:?})");
    }
    let token = random_hex(32)?;
    if !store.add_operator(name, &sha256_hex(token.as_bytes()), now)? {
        bail!("operator {name} exists already");
    }
    store.log_access(now, name, "operator added")?;
    Ok(token)
}

/// The operator whose token `token` is; an error (never showing the token) when it is none.
pub fn authenticate(store: &dyn Store, token: Option<&str>) -> anyhow::Result<String> {
    let Some(token) = token.map(str::trim).filter(|t| !t.is_empty()) else {
        bail!(
            "export and purge name the operator who runs them: set {TOKEN_ENV} to a token \
             printed by `bestpick-collector operators add NAME --data DIR`"
        );
    };
    match store.operator(&sha256_hex(token.as_bytes()))? {
        Some(name) => Ok(name),
        None => bail!("{TOKEN_ENV} is not the token of an operator of this collector"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::DirStore;

    #[test]
    fn an_operator_authenticates_with_the_token_only_they_were_given() {
        let dir = tempfile::tempdir().unwrap();
        let store = DirStore::open(dir.path()).unwrap();
        let token = add(&store, "ana", 100).unwrap();
        assert_eq!(token.len(), 64);
        assert_eq!(authenticate(&store, Some(&token)).unwrap(), "ana");
        let dup = add(&store, "ana", 101).unwrap_err().to_string();
        assert!(dup.contains("exists already"), "{dup}");
        let other = add(&store, "ben", 102).unwrap();
        assert_ne!(other, token, "every token is new");
        assert_eq!(authenticate(&store, Some(&other)).unwrap(), "ben");

        let wrong = authenticate(&store, Some("0123abcd"))
            .unwrap_err()
            .to_string();
        assert!(
            wrong.contains("not the token") && !wrong.contains("0123abcd"),
            "{wrong}"
        );
        let none = authenticate(&store, None).unwrap_err().to_string();
        assert!(
            none.contains(TOKEN_ENV) && none.contains("operators add"),
            "{none}"
        );
        assert!(add(&store, "../x", 103).is_err(), "names are checked");

        // Only the hash is stored.
        let db = std::fs::read(dir.path().join("collector.sqlite")).unwrap();
        let text = String::from_utf8_lossy(&db);
        assert!(!text.contains(&token), "the token itself is never stored");
        let log = store.access_log().unwrap();
        assert!(
            log.iter()
                .any(|(_, actor, action)| actor == "ana" && action == "operator added")
        );
    }
}
