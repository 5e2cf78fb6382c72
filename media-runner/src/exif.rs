//! EXIF, read with kamadak-exif from JPEG, TIFF, PNG and WebP. Absent fields stay `None` and
//! are left out of the JSON; EXIF that cannot be parsed at all gives `None` (the file's other
//! metadata and its thumbnails do not depend on it).

use std::io::Cursor;

use exif::{Field, In, Reader, Tag, Value};
use serde::Serialize;

/// The EXIF fields a user looks at. Every field is optional: cameras write different subsets.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Exif {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub make: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// When the photo was taken (DateTimeOriginal, else DateTimeDigitized, else DateTime), as
    /// ISO 8601 local time `2008-10-22T16:28:39`, with the offset when the camera wrote one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_taken: Option<String>,
    /// Exposure time in seconds (1/75 s is 0.01333...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exposure_time: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub f_number: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iso: Option<u32>,
    /// EXIF orientation, 1 (upright) to 8. Thumbnails already have it applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orientation: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gps: Option<Gps>,
}

/// A GPS position in signed decimal degrees (south and west are negative), altitude in
/// metres (below sea level is negative).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Gps {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub altitude: Option<f64>,
}

impl Exif {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Reads the EXIF of an image file's bytes. `None` when there is none, when it cannot be
/// parsed, or when it holds none of the fields above.
pub fn read_exif(bytes: &[u8]) -> Option<Exif> {
    let exif = parse(bytes)?;
    let get = |tag| exif.get_field(tag, In::PRIMARY);
    let result = Exif {
        make: get(Tag::Make).and_then(ascii),
        model: get(Tag::Model).and_then(ascii),
        date_taken: date_taken(&exif),
        exposure_time: get(Tag::ExposureTime).and_then(|f| rational(f, 0)),
        f_number: get(Tag::FNumber).and_then(|f| rational(f, 0)),
        iso: get(Tag::PhotographicSensitivity).and_then(|f| f.value.get_uint(0)),
        orientation: get(Tag::Orientation).and_then(orientation_value),
        gps: gps(&exif),
    };
    (!result.is_empty()).then_some(result)
}

/// The EXIF orientation (1 to 8), or `None` when absent, invalid or unreadable.
pub fn read_orientation(bytes: &[u8]) -> Option<u8> {
    parse(bytes)?
        .get_field(Tag::Orientation, In::PRIMARY)
        .and_then(orientation_value)
}

fn parse(bytes: &[u8]) -> Option<exif::Exif> {
    let mut reader = Reader::new();
    // Keep what could be read from EXIF that is partly broken (a bad offset in one IFD
    // should not lose the make and model in another).
    reader.continue_on_error(true);
    // EXIF is optional, so even a parser panic on hostile data only means "no EXIF".
    let read = std::panic::catch_unwind(|| reader.read_from_container(&mut Cursor::new(bytes)));
    let Ok(read) = read else {
        tracing::warn!("the EXIF parser panicked; ignoring the EXIF");
        return None;
    };
    match read {
        Ok(exif) => Some(exif),
        Err(e) => match e.distill_partial_result(|errors| {
            tracing::debug!(
                count = errors.len(),
                "EXIF partly invalid; keeping the readable fields"
            );
        }) {
            Ok(exif) => Some(exif),
            Err(e) => {
                tracing::debug!(error = %e, "no usable EXIF");
                None
            }
        },
    }
}

fn orientation_value(field: &Field) -> Option<u8> {
    field
        .value
        .get_uint(0)
        .and_then(|v| u8::try_from(v).ok())
        .filter(|v| (1..=8).contains(v))
}

/// The first ASCII value, trimmed of padding (cameras pad with spaces and NULs).
fn ascii(field: &Field) -> Option<String> {
    let Value::Ascii(values) = &field.value else {
        return None;
    };
    let text = String::from_utf8_lossy(values.first()?);
    let text = text.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    (!text.is_empty()).then(|| text.to_owned())
}

fn rational(field: &Field, index: usize) -> Option<f64> {
    let v = match &field.value {
        Value::Rational(v) => v.get(index)?.to_f64(),
        Value::SRational(v) => v.get(index)?.to_f64(),
        _ => return None,
    };
    // A zero denominator (seen in the wild) gives inf or NaN: treat it as absent.
    v.is_finite().then_some(v)
}

fn date_taken(exif: &exif::Exif) -> Option<String> {
    [
        (Tag::DateTimeOriginal, Tag::OffsetTimeOriginal),
        (Tag::DateTimeDigitized, Tag::OffsetTimeDigitized),
        (Tag::DateTime, Tag::OffsetTime),
    ]
    .into_iter()
    .find_map(|(tag, offset_tag)| {
        let field = exif.get_field(tag, In::PRIMARY)?;
        let Value::Ascii(values) = &field.value else {
            return None;
        };
        let mut dt = exif::DateTime::from_ascii(values.first()?).ok()?;
        if let Some(Value::Ascii(off)) = exif.get_field(offset_tag, In::PRIMARY).map(|f| &f.value)
            && let Some(off) = off.first()
        {
            // An unparsable offset just leaves the time local.
            let _ = dt.parse_offset(off);
        }
        let valid = (1..=12).contains(&dt.month)
            && (1..=31).contains(&dt.day)
            && dt.hour < 24
            && dt.minute < 60
            && dt.second < 61;
        if !valid {
            return None;
        }
        let mut text = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second
        );
        if let Some(offset) = dt.offset {
            let sign = if offset < 0 { '-' } else { '+' };
            let abs = offset.unsigned_abs();
            text.push_str(&format!("{sign}{:02}:{:02}", abs / 60, abs % 60));
        }
        Some(text)
    })
}

fn gps(exif: &exif::Exif) -> Option<Gps> {
    let latitude = coordinate(exif, Tag::GPSLatitude, Tag::GPSLatitudeRef, b'S', 90.0)?;
    let longitude = coordinate(exif, Tag::GPSLongitude, Tag::GPSLongitudeRef, b'W', 180.0)?;
    let altitude = exif
        .get_field(Tag::GPSAltitude, In::PRIMARY)
        .and_then(|f| rational(f, 0))
        .map(|alt| {
            // GPSAltitudeRef 1 means below sea level.
            let below = exif
                .get_field(Tag::GPSAltitudeRef, In::PRIMARY)
                .and_then(|f| f.value.get_uint(0))
                == Some(1);
            if below { -alt } else { alt }
        });
    Some(Gps {
        latitude,
        longitude,
        altitude,
    })
}

/// Degrees, minutes, seconds (three rationals) and a hemisphere letter to signed degrees.
fn coordinate(exif: &exif::Exif, tag: Tag, ref_tag: Tag, negative: u8, max: f64) -> Option<f64> {
    let field = exif.get_field(tag, In::PRIMARY)?;
    let degrees = rational(field, 0)?;
    // Some writers give only degrees (or degrees and decimal minutes).
    let minutes = rational(field, 1).unwrap_or(0.0);
    let seconds = rational(field, 2).unwrap_or(0.0);
    let mut value = degrees + minutes / 60.0 + seconds / 3600.0;
    let hemisphere = exif
        .get_field(ref_tag, In::PRIMARY)
        .and_then(|f| match &f.value {
            Value::Ascii(v) => v.first().and_then(|s| s.first().copied()),
            _ => None,
        });
    if hemisphere.map(|h| h.to_ascii_uppercase()) == Some(negative) {
        value = -value;
    }
    (value.is_finite() && value.abs() <= max).then_some(value)
}
