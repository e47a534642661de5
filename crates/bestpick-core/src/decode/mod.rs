//! Reading photos: JPEG block data straight from the entropy decoder, everything else through
//! full decoders.

pub mod jpeg;
