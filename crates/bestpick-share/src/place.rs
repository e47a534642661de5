//! Where a photographer's contribution state lives and how a front end opens it: the ledger is
//! the catalog, the vault and the preview copies sit in `contributions/` beside it, the vault
//! key is in the OS keyring. The CLI and the app both open it through here, so they see the
//! same contributions.

use std::path::{Path, PathBuf};

use bestpick_catalog::{Catalog, MergedRecords};

use crate::ledger;
use crate::upload::{CollectorClient, RetryPolicy};
use crate::vault::{KeyStore, OsKeyring, Vault};
use crate::{Contributor, Error, Result};

/// The contribution folder beside a catalog, and the catalog it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    catalog: PathBuf,
    base: PathBuf,
}

/// The ledger, opened: a catalog handle of its own, and what a JSON ledger of an earlier
/// build brought in on this opening (at most once).
pub struct OpenedLedger {
    /// The catalog that keeps the ledger.
    pub catalog: Catalog,
    /// Records moved in from `contributions/ledger.json`, when there was one.
    pub merged: Option<MergedRecords>,
}

impl Place {
    /// The contribution state of the catalog at `catalog`: `<catalog dir>/contributions`.
    pub fn beside(catalog: &Path) -> Place {
        let base = catalog
            .parent()
            .unwrap_or(Path::new("."))
            .join("contributions");
        Place {
            catalog: catalog.to_owned(),
            base,
        }
    }

    /// The catalog's path.
    pub fn catalog_path(&self) -> &Path {
        &self.catalog
    }

    /// The encrypted staging vault.
    pub fn vault_dir(&self) -> PathBuf {
        self.base.join("vault")
    }

    /// The preview copies (exactly what would be sent).
    pub fn preview_dir(&self) -> PathBuf {
        self.base.join("preview")
    }

    /// The JSON ledger of earlier builds, moved into the catalog on first use.
    pub fn old_ledger(&self) -> PathBuf {
        self.base.join("ledger.json")
    }

    /// A catalog handle of its own for the ledger (uploads may take a while; a window's handle
    /// stays free for decisions), with a JSON ledger of older builds moved in once.
    pub fn open_ledger(&self) -> Result<OpenedLedger> {
        let mut catalog = Catalog::open(&self.catalog)?;
        let merged = ledger::import_json_ledger(&mut catalog, &self.old_ledger())?;
        Ok(OpenedLedger { catalog, merged })
    }

    /// The staging vault, its key in the OS keyring.
    pub fn open_vault(&self) -> Result<Vault> {
        self.open_vault_with(&OsKeyring::default())
    }

    /// The staging vault with its key in `keys` (tests).
    pub fn open_vault_with(&self, keys: &dyn KeyStore) -> Result<Vault> {
        Vault::open(&self.vault_dir(), keys)
    }

    /// Runs `f` with a contributor over the vault (key in the OS keyring) and the ledger.
    pub fn with_contributor<T, E: From<Error>>(
        &self,
        f: impl FnOnce(&mut Contributor<'_>) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let mut ledger = self.open_ledger()?.catalog;
        let vault = self.open_vault()?;
        let mut contributor = Contributor::new(vault, &mut ledger)?;
        f(&mut contributor)
    }
}

/// A client for the collector at `url`; [`Error::NoCollector`] when none is configured.
pub fn collector(url: Option<&str>) -> Result<CollectorClient> {
    optional_collector(url)?.ok_or(Error::NoCollector)
}

/// The collector at `url` when one is configured (status, delete and withdraw work without).
pub fn optional_collector(url: Option<&str>) -> Result<Option<CollectorClient>> {
    url.map(|url| CollectorClient::new(url, RetryPolicy::default()))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_sits_beside_the_catalog() {
        let place = Place::beside(Path::new("/data/bestpick/catalog.sqlite"));
        assert_eq!(
            place.vault_dir(),
            Path::new("/data/bestpick/contributions/vault")
        );
        assert_eq!(
            place.preview_dir(),
            Path::new("/data/bestpick/contributions/preview")
        );
        assert_eq!(
            place.old_ledger(),
            Path::new("/data/bestpick/contributions/ledger.json")
        );
        let bare = Place::beside(Path::new("catalog.sqlite"));
        assert_eq!(bare.vault_dir(), Path::new("contributions/vault"));
    }

    #[test]
    fn no_collector_is_a_typed_error() {
        assert!(matches!(collector(None), Err(Error::NoCollector)));
        assert!(optional_collector(None).expect("none").is_none());
        assert!(collector(Some("not a url")).is_err());
    }
}
