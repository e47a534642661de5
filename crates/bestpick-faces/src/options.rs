//! What the caller can tune.

/// When to run the detector on tiles of the frame as well as on the whole overview.
///
/// The untiled pass sees the whole frame at 192×192, so it finds faces down to about 7% of the
/// frame's longer side (`14 / 192`: ~440 px in a 6000×4000 frame). Tiles find smaller faces
/// (~150 px in that frame with the default 12 tiles) at the price of one detector run each,
/// ~13.5 ms (see [`FaceOptions::max_tiles`]).
///
/// A frame whose faces are *all* below the untiled pass's limit (a group of a dozen people
/// across a 24 MP frame) gives `Auto` nothing to go on: only `Always` finds those. A caller
/// that knows it is looking at a group shot (or can afford ~170 ms more per frame) should ask
/// for `Always`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Tiling {
    /// Never tile: one detector run per frame.
    Off,
    /// Tile only group shots: frames where the untiled pass found two faces or more, one of
    /// them close to its limit (under 2× its smallest detectable size), so that people further
    /// away may have been missed. Portraits (however small the person), landscapes and frames
    /// without faces stay at one detector run.
    #[default]
    Auto,
    /// Tile every frame large enough for tiles to see smaller faces than the untiled pass.
    Always,
}

/// Options for [`analyze_faces`](crate::analyze_faces).
#[derive(Debug, Clone, PartialEq)]
pub struct FaceOptions {
    /// Faces narrower than this (box width, full oriented pixels) are ignored, and tiles are
    /// sized to find faces of this width when the tile budget allows. Default 20.
    pub min_face_px: f32,
    /// At most this many faces per frame, the largest first (each costs a mesh and up to two
    /// iris runs, ~10–15 ms). Default 24.
    pub max_faces: usize,
    /// When to tile. Default [`Tiling::Auto`].
    pub tiling: Tiling,
    /// At most this many tiles per frame (~10 ms each); when more would be needed to reach
    /// `min_face_px`, the tiles grow and the smallest faces found grow with them. Default 12.
    pub max_tiles: usize,
    /// When the first pass finds no face, look again for one that fills the frame (the frame
    /// small in a grey square, ~3 ms): tight head shots and beauty close-ups. Default on.
    pub close_up_pass: bool,
}

impl Default for FaceOptions {
    fn default() -> Self {
        FaceOptions {
            min_face_px: 20.0,
            max_faces: 24,
            tiling: Tiling::Auto,
            max_tiles: 12,
            close_up_pass: true,
        }
    }
}
