//! Forgetting a shoot: every catalog row of it (photos, analyses, decisions, history) and every
//! file derived from it (thumbnails). The photos themselves and sidecars already exported are
//! the photographer's and are never touched.

use std::path::Path;

use bestpick_catalog::{Catalog, ShootId};

use crate::error::{Error, Result};
use crate::session::thumbnail_dir;

/// Removes the shoot from the catalog, then its thumbnail folder under `thumbnails` (when
/// given). Returns whether a thumbnail folder was removed.
pub fn forget_shoot(
    catalog: &mut Catalog,
    shoot: ShootId,
    thumbnails: Option<&Path>,
) -> Result<bool> {
    catalog.forget_shoot(shoot)?;
    let Some(dir) = thumbnails.map(|t| thumbnail_dir(t, shoot)) else {
        return Ok(false);
    };
    match std::fs::remove_dir_all(&dir) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(Error::Path { path: dir, source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bestpick_catalog::FileKey;

    #[test]
    fn forgets_rows_and_thumbnails() {
        let dir = tempfile::tempdir().expect("tempdir");
        let thumbs = dir.path().join("thumbs");
        let mut catalog = Catalog::open_in_memory().expect("catalog");
        let shoot = catalog.shoot(dir.path()).expect("shoot");
        let other = catalog
            .shoot(&dir.path().join("other"))
            .expect("other shoot");
        catalog
            .sync_photos(
                shoot,
                &[FileKey {
                    rel_path: "a.jpg".into(),
                    size: 1,
                    mtime_ns: 1,
                }],
            )
            .expect("sync");
        for s in [shoot, other] {
            std::fs::create_dir_all(thumbnail_dir(&thumbs, s)).expect("thumb dir");
            std::fs::write(thumbnail_dir(&thumbs, s).join("1.jpg"), b"x").expect("thumb");
        }
        assert!(
            forget_shoot(&mut catalog, shoot, Some(&thumbs)).expect("forget"),
            "thumbnails removed"
        );
        assert!(
            !thumbnail_dir(&thumbs, shoot).exists(),
            "shoot thumbnails gone"
        );
        assert!(
            thumbnail_dir(&thumbs, other).exists(),
            "other shoot's thumbnails kept"
        );
        let left: Vec<ShootId> = catalog
            .shoots()
            .expect("shoots")
            .into_iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(left, [other], "only the other shoot is left");
        assert!(
            forget_shoot(&mut catalog, shoot, Some(&thumbs)).is_err(),
            "forgetting twice is an error"
        );
    }
}
