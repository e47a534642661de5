//! Restart intervals (T.81 B.2.4.4, F.1.2.3): after a DRI segment, the entropy-coded data of a
//! scan is cut every `interval` MCUs by a marker RST0..RST7, in turn, after which the DC
//! predictions (and a progressive scan's end-of-band run) start again from zero. Both kinds of
//! scan count their MCUs through one [`Restarts`].

use super::JpegError;
use super::bits::BitReader;

/// Where a scan stands in its restart intervals. Kept in each row checkpoint, so that rows read
/// again continue the count.
#[derive(Debug, Clone, Copy)]
pub(super) struct RestartCount {
    /// MCUs left before the next restart marker.
    pub(super) mcus_left: usize,
    /// Number (0..=7) of the restart marker expected next.
    pub(super) next_marker: u8,
}

/// The restart-interval bookkeeping of one scan.
pub(super) struct Restarts {
    /// MCUs per interval; 0 when the data has no restart markers.
    interval: usize,
    count: RestartCount,
}

impl Restarts {
    /// At the start of a scan.
    pub(super) fn new(interval: usize) -> Self {
        Restarts {
            interval,
            count: RestartCount {
                mcus_left: interval,
                next_marker: 0,
            },
        }
    }

    /// Continuing a scan from a checkpoint.
    pub(super) fn resume(interval: usize, count: RestartCount) -> Self {
        Restarts { interval, count }
    }

    /// Where the count stands (for a checkpoint).
    pub(super) fn count(&self) -> RestartCount {
        self.count
    }

    /// To be called before each MCU. When an interval has just ended, steps past its restart
    /// marker, which must be the one expected next, and returns true: the caller then resets
    /// its predictions.
    ///
    /// Inlined so that the scan's [`BitReader`] stays in registers.
    #[inline(always)]
    pub(super) fn before_mcu(&mut self, reader: &mut BitReader<'_>) -> Result<bool, JpegError> {
        if self.interval == 0 {
            return Ok(false);
        }
        let mut restarted = false;
        if self.count.mcus_left == 0 {
            match reader.restart() {
                Some(m) if m == 0xD0 + self.count.next_marker => {}
                Some(m) if (0xD0..=0xD7).contains(&m) => {
                    return Err(JpegError::Corrupt("restart markers out of order"));
                }
                _ => return Err(JpegError::Truncated),
            }
            self.count.next_marker = (self.count.next_marker + 1) & 7;
            self.count.mcus_left = self.interval;
            restarted = true;
        }
        self.count.mcus_left -= 1;
        Ok(restarted)
    }
}
