//! Listing a shoot before it is analyzed: the photos (with their catalog ids) in the order
//! [`crate::open_shoot`] will report them, so a front end can lay out the grid at once and
//! fill in thumbnails as they become ready.

use std::path::{Path, PathBuf};
use std::time::Instant;

use bestpick_catalog::{Catalog, FileKey, PhotoId, ShootId};
use bestpick_core::scan::ScanReport;

use crate::error::{Error, Result};
use crate::session::thumbnail_path;

/// One photo of a listed shoot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedPhoto {
    /// Catalog id.
    pub id: PhotoId,
    /// Path relative to the shoot folder.
    pub rel_path: String,
    /// A thumbnail is already in the cache.
    pub thumbnail: bool,
}

/// A shoot's photos, sorted by relative path (the index order of [`crate::Session::photos`]
/// and of `ProgressSink::item_done`). Hand it to [`crate::open_listed`] to open the shoot
/// without scanning the folder again.
#[derive(Debug, Clone)]
pub struct Listing {
    /// Catalog id of the shoot.
    pub shoot: ShootId,
    /// The shoot folder (canonical).
    pub root: PathBuf,
    /// The photos.
    pub photos: Vec<ListedPhoto>,
    /// The scan the photos came from (their files, the files skipped, listing errors).
    pub(crate) scan: ScanReport,
    /// When listing began (an opening's time counts from it).
    pub(crate) started: Instant,
    /// The thumbnail folder `thumbnail` was read from (an opening with the same folder trusts
    /// it instead of looking at every thumbnail again).
    pub(crate) thumbnail_dir: Option<PathBuf>,
}

/// Scans `root` and records its photos in the catalog (no analysis). `thumbnails` is the
/// thumbnail cache folder, to say which photos already have one.
pub fn list_shoot(
    catalog: &mut Catalog,
    root: &Path,
    thumbnails: Option<&Path>,
) -> Result<Listing> {
    let started = Instant::now();
    let (root, shoot, scan, ids) = scan_and_sync(catalog, root)?;
    let photos = scan
        .photos
        .iter()
        .zip(ids)
        .map(|(file, id)| ListedPhoto {
            id,
            thumbnail: thumbnails.is_some_and(|dir| thumbnail_path(dir, shoot, id).is_file()),
            rel_path: file.rel_path.clone(),
        })
        .collect();
    Ok(Listing {
        shoot,
        root,
        photos,
        scan,
        started,
        thumbnail_dir: thumbnails.map(Path::to_path_buf),
    })
}

/// Scans `root` (canonicalized) and records its photos in the catalog: the shoot, the scan
/// and the catalog id of each scanned photo, in scan order.
fn scan_and_sync(
    catalog: &mut Catalog,
    root: &Path,
) -> Result<(PathBuf, ShootId, ScanReport, Vec<PhotoId>)> {
    let root = root.canonicalize().map_err(|source| Error::Path {
        path: root.to_path_buf(),
        source,
    })?;
    let scan = bestpick_core::scan(&root)?;
    let shoot = catalog.shoot(&root)?;
    let keys: Vec<FileKey> = scan
        .photos
        .iter()
        .map(|p| FileKey {
            rel_path: p.rel_path.clone(),
            size: p.size,
            mtime_ns: p.mtime_ns,
        })
        .collect();
    let ids = catalog.sync_photos(shoot, &keys)?;
    Ok((root, shoot, scan, ids))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_photos_in_scan_order_with_stable_ids() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in ["b.jpg", "a.jpg", "notes.txt"] {
            std::fs::write(dir.path().join(name), b"not really a jpeg").expect("write");
        }
        let mut catalog = Catalog::open_in_memory().expect("catalog");
        let first = list_shoot(&mut catalog, dir.path(), None).expect("list");
        let names: Vec<&str> = first.photos.iter().map(|p| p.rel_path.as_str()).collect();
        assert_eq!(
            names,
            ["a.jpg", "b.jpg"],
            "photos sorted, text file left out"
        );
        let again = list_shoot(&mut catalog, dir.path(), None).expect("list again");
        assert_eq!(
            (first.shoot, &first.root, &first.photos),
            (again.shoot, &again.root, &again.photos),
            "listing twice gives the same ids"
        );
        assert!(
            first.photos.iter().all(|p| !p.thumbnail),
            "no thumbnail cache given"
        );
    }

    #[test]
    fn an_opening_renders_the_thumbnails_the_listing_found_missing() {
        // Analyzed earlier without thumbnails (as `bestpick analyze` does), one thumbnail made
        // since: the opening renders the others, from the listing's word, and only them.
        let dir = tempfile::tempdir().expect("tempdir");
        let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/sample");
        for (name, from) in [
            ("a.jpg", "chelsea_portrait_orientation6.jpg"),
            ("b.jpg", "facerec_obama__00_original.jpg"),
            ("c.jpg", "chelsea_portrait_orientation6.jpg"),
        ] {
            std::fs::copy(sample.join(from), dir.path().join(name)).expect("copy a sample");
        }
        let mut catalog = Catalog::open_in_memory().expect("catalog");
        let listing = list_shoot(&mut catalog, dir.path(), None).expect("list");
        crate::opening::open_listed_quietly(&mut catalog, listing);
        let thumbs = tempfile::tempdir().expect("tempdir");
        let listing = list_shoot(&mut catalog, dir.path(), Some(thumbs.path())).expect("list");
        let made = thumbnail_path(thumbs.path(), listing.shoot, listing.photos[1].id);
        std::fs::create_dir_all(made.parent().expect("folder")).expect("mkdir");
        std::fs::write(&made, b"made since").expect("write");
        let listing = list_shoot(&mut catalog, dir.path(), Some(thumbs.path())).expect("list");
        let had: Vec<bool> = listing.photos.iter().map(|p| p.thumbnail).collect();
        assert_eq!(had, [false, true, false]);
        let (shoot, ids): (_, Vec<PhotoId>) =
            (listing.shoot, listing.photos.iter().map(|p| p.id).collect());
        let params = crate::OpenParams {
            thumbnails: Some(crate::ThumbnailParams {
                dir: thumbs.path().to_path_buf(),
                side: 64,
            }),
            ..Default::default()
        };
        let session = crate::open_listed(
            &mut catalog,
            listing,
            &params,
            &bestpick_core::CancelFlag::default(),
            &bestpick_core::NoProgress,
        )
        .expect("open");
        assert_eq!(session.status.from_cache, 3, "nothing analyzed again");
        for (i, id) in ids.iter().enumerate() {
            let bytes = std::fs::read(thumbnail_path(thumbs.path(), shoot, *id)).expect("thumb");
            let rendered = bytes.starts_with(&[0xFF, 0xD8]);
            assert_eq!(rendered, i != 1, "photo {i}: rendered only where missing");
        }
    }

    #[test]
    fn a_listed_shoot_opens_without_a_second_scan() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in ["b.jpg", "a.jpg"] {
            std::fs::write(dir.path().join(name), b"not really a jpeg").expect("write");
        }
        let mut catalog = Catalog::open_in_memory().expect("catalog");
        let listing = list_shoot(&mut catalog, dir.path(), None).expect("list");
        let ids: Vec<PhotoId> = listing.photos.iter().map(|p| p.id).collect();
        // A file that arrives after the listing is not part of this opening.
        std::fs::write(dir.path().join("c.jpg"), b"late").expect("write");
        let session = crate::opening::open_listed_quietly(&mut catalog, listing);
        let opened: Vec<(PhotoId, &str)> = session
            .photos
            .iter()
            .map(|p| (p.id, p.file.rel_path.as_str()))
            .collect();
        assert_eq!(opened, vec![(ids[0], "a.jpg"), (ids[1], "b.jpg")]);
        assert!(
            session.photos.iter().all(|p| p.error.is_some()),
            "each broken file has its reason"
        );
    }
}
