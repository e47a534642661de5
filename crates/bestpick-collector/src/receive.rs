//! Receiving an upload body: streamed to a file on the store's volume and hashed on the way,
//! on a blocking thread, with a size cap and a minimum rate. The body is never collected in
//! memory: at most a few chunks are in flight between the socket and the file.

use std::io::{BufWriter, Write};
use std::time::Duration;

use axum::body::{Body, Bytes};
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TryRecvError;
use tokio::time::Instant;

use crate::store::{PartialFile, StoreError};

/// Chunks queued between the async reader and the blocking writer.
const QUEUED_CHUNKS: usize = 16;
/// Write buffer of the blocking writer.
const WRITE_BUFFER: usize = 256 * 1024;

/// What a body may be.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Largest body, bytes.
    pub max_bytes: u64,
    /// Time the body may take before any of it counts.
    pub timeout: Duration,
    /// Every `min_rate` bytes received move the deadline one second further (at least 1).
    pub min_rate: u64,
}

impl BodyLimits {
    /// When a body of which `received` bytes arrived must be complete, counted from its start.
    pub fn allowed(&self, received: u64) -> Duration {
        let credit_ms = received.saturating_mul(1000) / self.min_rate.max(1);
        self.timeout
            .saturating_add(Duration::from_millis(credit_ms))
    }
}

/// Why a body was not received.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiveError {
    /// More than the cap arrived.
    #[error("bundle larger than {max} bytes")]
    TooLarge {
        /// The cap.
        max: u64,
    },
    /// The client fell below the minimum rate (or stalled).
    #[error("request body arrived too slowly: {received} bytes in {secs} s")]
    TooSlow {
        /// Bytes received when it was cut off.
        received: u64,
        /// Seconds since the body started.
        secs: u64,
    },
    /// The connection failed while reading (client gone, malformed chunking).
    #[error("reading the request body failed: {0}")]
    Read(String),
    /// Writing the file failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The writer thread panicked or was cancelled.
    #[error("body writer thread failed")]
    Worker,
}

/// A body received in full.
#[derive(Debug)]
pub struct Received {
    /// The file holding it (removed when dropped, unless stored).
    pub body: PartialFile,
    /// Its length.
    pub len: u64,
    /// SHA-256 (hex) of it.
    pub sha256: String,
}

/// Streams `body` into `partial` within `limits`. On any error the partial file is removed.
pub async fn receive(
    mut body: Body,
    partial: PartialFile,
    limits: &BodyLimits,
) -> Result<Received, ReceiveError> {
    let (tx, rx) = mpsc::channel::<Bytes>(QUEUED_CHUNKS);
    let writer = tokio::task::spawn_blocking(move || write_chunks(partial, rx));

    let start = Instant::now();
    let mut received: u64 = 0;
    let outcome = loop {
        let deadline = start + limits.allowed(received);
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => {
                break Err(ReceiveError::TooSlow {
                    received,
                    secs: start.elapsed().as_secs(),
                });
            }
            Ok(None) => break Ok(()),
            Ok(Some(Err(e))) => break Err(ReceiveError::Read(e.to_string())),
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue; // trailers carry nothing we use
        };
        received = received.saturating_add(data.len() as u64);
        if received > limits.max_bytes {
            break Err(ReceiveError::TooLarge {
                max: limits.max_bytes,
            });
        }
        if tx.send(data).await.is_err() {
            break Ok(()); // the writer failed: its error is reported below
        }
    };
    drop(tx);
    // Wait for the writer in every case, so that the upload slot covers the disk work too.
    let written = writer.await.map_err(|_| ReceiveError::Worker)?;
    outcome?;
    let (body, len, sha256) = written?;
    Ok(Received { body, len, sha256 })
}

/// The blocking half: appends chunks to the file and hashes them.
fn write_chunks(
    mut partial: PartialFile,
    mut chunks: mpsc::Receiver<Bytes>,
) -> Result<(PartialFile, u64, String), ReceiveError> {
    let mut hasher = Sha256::new();
    let mut len: u64 = 0;
    let written = (|| {
        let mut out = BufWriter::with_capacity(WRITE_BUFFER, partial.file());
        loop {
            let chunk = match chunks.try_recv() {
                Ok(chunk) => chunk,
                // Nothing queued: hand what is buffered to the file before waiting, so that
                // a slow body sits in the file, not in this buffer.
                Err(TryRecvError::Empty) => {
                    out.flush()?;
                    match chunks.blocking_recv() {
                        Some(chunk) => chunk,
                        None => break,
                    }
                }
                Err(TryRecvError::Disconnected) => break,
            };
            out.write_all(&chunk)?;
            hasher.update(&chunk);
            len += chunk.len() as u64;
        }
        out.flush()
    })();
    if let Err(e) = written {
        return Err(partial.io_error(e).into());
    }
    Ok((partial, len, hex::encode(hasher.finalize())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_grows_with_what_arrived() {
        let limits = BodyLimits {
            max_bytes: u64::MAX,
            timeout: Duration::from_secs(20),
            min_rate: 1000,
        };
        let cases = [
            (0, 20_000),
            (1, 20_001),
            (1000, 21_000),
            (60_000, 80_000),
            (u64::MAX, 20_000 + u64::MAX / 1000),
        ];
        for (received, want_ms) in cases {
            assert_eq!(
                limits.allowed(received),
                Duration::from_millis(want_ms),
                "case {received} bytes"
            );
        }
    }
}
