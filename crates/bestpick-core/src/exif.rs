//! The few EXIF facts a culler needs, read with kamadak-exif: capture time (with sub-seconds
//! and UTC offset), orientation, camera, lens and exposure settings.

use exif::{In, Tag, Value};
use serde::{Deserialize, Serialize};

/// When the photo was taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureTime {
    /// Local wall-clock time as the camera recorded it: `YYYY-MM-DDTHH:MM:SS.mmm`.
    pub local: String,
    /// UTC offset in minutes when the camera recorded one.
    pub offset_minutes: Option<i32>,
    /// Milliseconds since the Unix epoch: true UTC when the offset is known, otherwise the
    /// wall-clock time read as UTC (good for ordering the frames of one camera).
    pub timestamp_ms: i64,
}

/// EXIF facts of a photo. Every field is optional; `orientation` defaults to 1 (upright).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExifInfo {
    /// Capture time.
    pub capture_time: Option<CaptureTime>,
    /// EXIF orientation 1..=8 (1 = as stored).
    pub orientation: u16,
    /// Camera maker.
    pub make: Option<String>,
    /// Camera model.
    pub model: Option<String>,
    /// Lens model.
    pub lens: Option<String>,
    /// Exposure time in seconds.
    pub exposure_time: Option<f64>,
    /// Aperture (f-number).
    pub f_number: Option<f64>,
    /// ISO sensitivity.
    pub iso: Option<u32>,
    /// Focal length in millimetres.
    pub focal_length: Option<f64>,
    /// Exposure compensation in EV.
    pub exposure_bias: Option<f64>,
    /// Whether the flash fired.
    pub flash_fired: Option<bool>,
}

impl Default for ExifInfo {
    fn default() -> Self {
        ExifInfo {
            capture_time: None,
            orientation: 1,
            make: None,
            model: None,
            lens: None,
            exposure_time: None,
            f_number: None,
            iso: None,
            focal_length: None,
            exposure_bias: None,
            flash_fired: None,
        }
    }
}

impl ExifInfo {
    /// "Canon EOS 5D Mark III" (maker not repeated when the model already names it).
    pub fn camera(&self) -> Option<String> {
        match (&self.make, &self.model) {
            (Some(make), Some(model)) => {
                let first = make.split_whitespace().next().unwrap_or("").to_lowercase();
                if model.to_lowercase().starts_with(&first) {
                    Some(model.clone())
                } else {
                    Some(format!("{make} {model}"))
                }
            }
            (None, Some(model)) => Some(model.clone()),
            (Some(make), None) => Some(make.clone()),
            (None, None) => None,
        }
    }
}

/// Result of reading EXIF: the facts, plus a description of the damage when the block was
/// malformed (the facts then hold whatever could be read).
#[derive(Debug, Clone, Default)]
pub struct ExifRead {
    /// The facts.
    pub info: ExifInfo,
    /// Set when the EXIF block is malformed.
    pub problem: Option<String>,
}

/// Reads EXIF from a TIFF structure (a JPEG's APP1 payload after `Exif\0\0`, or a TIFF-based
/// file such as most RAW formats).
pub fn from_tiff(data: &[u8]) -> ExifRead {
    let mut reader = exif::Reader::new();
    reader.continue_on_error(true);
    distill(reader.read_raw(data.to_vec()))
}

/// Reads EXIF from a container kamadak-exif knows (PNG, WebP, HEIF, TIFF, JPEG).
pub fn from_container(data: &[u8]) -> ExifRead {
    let mut reader = exif::Reader::new();
    reader.continue_on_error(true);
    distill(reader.read_from_container(&mut std::io::Cursor::new(data)))
}

fn distill(result: Result<exif::Exif, exif::Error>) -> ExifRead {
    let mut problem = None;
    let exif = result.or_else(|e| {
        e.distill_partial_result(|errors| {
            let first = errors.first().map(ToString::to_string).unwrap_or_default();
            problem = Some(match errors.len() {
                1 => first,
                n => format!("{n} problems, first: {first}"),
            });
        })
    });
    match exif {
        Ok(exif) => ExifRead {
            info: facts(&exif),
            problem,
        },
        Err(exif::Error::NotFound(_)) => ExifRead::default(),
        Err(e) => ExifRead {
            info: ExifInfo::default(),
            problem: Some(e.to_string()),
        },
    }
}

fn facts(exif: &exif::Exif) -> ExifInfo {
    let field = |tag: Tag| exif.get_field(tag, In::PRIMARY).map(|f| &f.value);
    let text = |tag: Tag| field(tag).and_then(ascii);
    let capture_time = [
        (
            Tag::DateTimeOriginal,
            Tag::SubSecTimeOriginal,
            Tag::OffsetTimeOriginal,
        ),
        (
            Tag::DateTimeDigitized,
            Tag::SubSecTimeDigitized,
            Tag::OffsetTimeDigitized,
        ),
        (Tag::DateTime, Tag::SubSecTime, Tag::OffsetTime),
    ]
    .iter()
    .find_map(|&(dt, sub, off)| {
        parse_capture_time(&text(dt)?, text(sub).as_deref(), text(off).as_deref())
    });
    let orientation = field(Tag::Orientation)
        .and_then(|v| v.get_uint(0))
        .and_then(|o| u16::try_from(o).ok())
        .filter(|o| (1..=8).contains(o))
        .unwrap_or(1);
    ExifInfo {
        capture_time,
        orientation,
        make: text(Tag::Make),
        model: text(Tag::Model),
        lens: text(Tag::LensModel),
        exposure_time: field(Tag::ExposureTime).and_then(rational),
        f_number: field(Tag::FNumber).and_then(rational),
        iso: field(Tag::PhotographicSensitivity)
            .and_then(|v| v.get_uint(0))
            .filter(|&i| i > 0),
        focal_length: field(Tag::FocalLength).and_then(rational),
        exposure_bias: field(Tag::ExposureBiasValue).and_then(rational),
        flash_fired: field(Tag::Flash)
            .and_then(|v| v.get_uint(0))
            .map(|f| f & 1 == 1),
    }
}

fn ascii(v: &Value) -> Option<String> {
    if let Value::Ascii(parts) = v {
        let s: String = parts
            .first()?
            .iter()
            .map(|&b| b as char)
            .filter(|c| !c.is_control())
            .collect();
        let s = s.trim().to_string();
        if s.is_empty() { None } else { Some(s) }
    } else {
        None
    }
}

fn rational(v: &Value) -> Option<f64> {
    let x = match v {
        Value::Rational(r) => r.first().filter(|r| r.denom != 0).map(|r| r.to_f64())?,
        Value::SRational(r) => r.first().filter(|r| r.denom != 0).map(|r| r.to_f64())?,
        _ => f64::from(v.get_uint(0)?),
    };
    x.is_finite().then_some(x)
}

/// Parses `YYYY:MM:DD HH:MM:SS` plus optional sub-seconds and `+HH:MM` offset.
pub fn parse_capture_time(
    dt: &str,
    subsec: Option<&str>,
    offset: Option<&str>,
) -> Option<CaptureTime> {
    let b = dt.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = dt.get(r)?;
        if s.bytes().all(|c| c.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if y < 1900 || !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60
    {
        return None; // "0000:00:00 00:00:00" and other placeholders
    }
    let ms = subsec
        .map(|s| s.trim())
        .filter(|s| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
        .map(|s| {
            // "1" = 100 ms, "12" = 120 ms, "123456" = 123 ms.
            let digits: String = s.chars().chain("000".chars()).take(3).collect();
            digits.parse::<i64>().unwrap_or(0)
        })
        .unwrap_or(0);
    let offset_minutes = offset.and_then(parse_offset);
    // The day is counted from the first of the month, not checked against its length: a
    // camera's `02:30` reads as March 1st or 2nd, as it always has.
    let wall = month_start(y, mo)? + ((d - 1) * 24 + h) * 3600 + mi * 60 + s;
    let utc = wall - i64::from(offset_minutes.unwrap_or(0)) * 60;
    Some(CaptureTime {
        local: format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}"),
        offset_minutes,
        timestamp_ms: utc * 1000 + ms,
    })
}

fn parse_offset(s: &str) -> Option<i32> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 6 || b[3] != b':' {
        return None;
    }
    let sign = match b[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let h: i32 = s.get(1..3)?.parse().ok()?;
    let m: i32 = s.get(4..6)?.parse().ok()?;
    (h <= 14 && m < 60).then_some(sign * (h * 60 + m))
}

/// Unix time of midnight on the first of month `m` of year `y` (proleptic Gregorian), read as
/// UTC; `None` outside the calendar.
fn month_start(y: i64, m: i64) -> Option<i64> {
    let month = time::Month::try_from(u8::try_from(m).ok()?).ok()?;
    let first = time::Date::from_calendar_date(i32::try_from(y).ok()?, month, 1).ok()?;
    Some(first.midnight().as_utc().unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_time_cases() {
        let cases = [
            (
                "2024:01:01 13:15:00",
                Some("100"),
                None,
                Some(("2024-01-01T13:15:00.100", None, 1_704_114_900_100)),
            ),
            (
                "2024:01:01 13:15:00",
                Some("1"),
                Some("+02:00"),
                Some(("2024-01-01T13:15:00.100", Some(120), 1_704_107_700_100)),
            ),
            (
                "1970:01:01 00:00:00",
                None,
                Some("-01:30"),
                Some(("1970-01-01T00:00:00.000", Some(-90), 5_400_000)),
            ),
            // Edge dates: a leap day, the 32-bit rollover, before 1970, a new year east of UTC.
            (
                "2024:02:29 12:00:00",
                None,
                None,
                Some(("2024-02-29T12:00:00.000", None, 1_709_208_000_000)),
            ),
            (
                "2038:01:19 03:14:08",
                Some("5"),
                Some("+00:00"),
                Some(("2038-01-19T03:14:08.500", Some(0), 2_147_483_648_500)),
            ),
            (
                "1969:12:31 23:59:59",
                None,
                None,
                Some(("1969-12-31T23:59:59.000", None, -1000)),
            ),
            (
                "1900:01:01 00:00:00",
                None,
                None,
                Some(("1900-01-01T00:00:00.000", None, -2_208_988_800_000)),
            ),
            (
                "2025:01:01 00:30:00",
                None,
                Some("+01:00"),
                Some(("2025-01-01T00:30:00.000", Some(60), 1_735_687_800_000)),
            ),
            // As before the calendar crate: a leap second and a day past the month's end run
            // on into the next minute or month.
            (
                "2016:12:31 23:59:60",
                None,
                None,
                Some(("2016-12-31T23:59:60.000", None, 1_483_228_800_000)),
            ),
            (
                "2023:02:29 00:00:00",
                None,
                None,
                Some(("2023-02-29T00:00:00.000", None, 1_677_628_800_000)),
            ),
            ("1899:12:31 23:59:59", None, None, None),
            ("0000:00:00 00:00:00", None, None, None),
            ("    :  :     :  :  ", None, None, None),
            ("2024:13:01 00:00:00", None, None, None),
        ];
        for (dt, sub, off, want) in cases {
            let got = parse_capture_time(dt, sub, off);
            let got = got.map(|c| (c.local, c.offset_minutes, c.timestamp_ms));
            let want = want.map(|(l, o, t)| (l.to_string(), o, t));
            assert_eq!(got, want, "case {dt:?} {sub:?} {off:?}");
        }
    }

    #[test]
    fn camera_name_does_not_repeat_the_maker() {
        let info = |make: &str, model: &str| ExifInfo {
            make: Some(make.into()),
            model: Some(model.into()),
            ..Default::default()
        };
        assert_eq!(
            info("Canon", "Canon EOS 5D Mark III").camera().as_deref(),
            Some("Canon EOS 5D Mark III")
        );
        assert_eq!(
            info("SONY", "NEX-3N").camera().as_deref(),
            Some("SONY NEX-3N")
        );
        assert_eq!(
            info("NIKON CORPORATION", "NIKON D70").camera().as_deref(),
            Some("NIKON D70")
        );
    }

    #[test]
    fn garbage_is_a_problem_not_a_panic() {
        let read = from_tiff(b"MM\0*\0\0\0\x08\xff\xff garbage");
        assert!(read.problem.is_some());
        assert_eq!(read.info.orientation, 1);
        let none = from_tiff(b"");
        assert!(none.problem.is_some() || none.info == ExifInfo::default());
    }
}
