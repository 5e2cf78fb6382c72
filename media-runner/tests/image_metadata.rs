//! Image metadata from real photos: size, format, make and model, exposure, GPS as signed
//! decimal degrees. Expected values are exiftool 12.57's (`exiftool -n -s ...`), the
//! reference reader.

mod common;

use media_runner::Limits;
use media_runner::metadata::image_metadata;

fn meta(rel: &str) -> media_runner::metadata::ImageMetadata {
    image_metadata(&common::read_sample(rel), &Limits::default())
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance
}

#[test]
fn gps_positions_are_signed_decimal_degrees() {
    // exiftool -n: GPSLatitude 43.4674483333333 (N), GPSLongitude 11.8851266666639 (E);
    // exiftool: 43 deg 28' 2.81" N, 11 deg 53' 6.46" E. No GPSAltitude in these files.
    for (rel, lat, lon) in [
        (
            "jpg/gps/DSCN0010.jpg",
            43.467_448_333_333_3,
            11.885_126_666_663_9,
        ),
        (
            "jpg/gps/DSCN0012.jpg",
            43.467_156_666_663_9,
            11.885_394_999_997_2,
        ),
    ] {
        let exif = meta(rel).exif.unwrap_or_else(|| panic!("{rel}: no exif"));
        let gps = exif.gps.unwrap_or_else(|| panic!("{rel}: no gps"));
        assert!(
            close(gps.latitude, lat, 1e-9),
            "{rel}: latitude {}",
            gps.latitude
        );
        assert!(
            close(gps.longitude, lon, 1e-9),
            "{rel}: longitude {}",
            gps.longitude
        );
        assert_eq!(gps.altitude, None, "{rel}: no altitude in the file");
    }
}

#[test]
fn camera_fields_are_read() {
    let m = meta("jpg/gps/DSCN0010.jpg");
    assert_eq!((m.width, m.height, m.format), (640, 480, "jpeg"));
    let exif = m.exif.expect("exif");
    assert_eq!(exif.make.as_deref(), Some("NIKON"));
    assert_eq!(exif.model.as_deref(), Some("COOLPIX P6000"));
    assert_eq!(exif.date_taken.as_deref(), Some("2008-10-22T16:28:39"));
    assert!(close(
        exif.exposure_time.expect("exposure"),
        0.013_333_333_33,
        1e-9
    ));
    assert!(close(exif.f_number.expect("f-number"), 5.9, 1e-9));
    assert_eq!((exif.iso, exif.orientation), (Some(64), Some(1)));

    for (rel, make, model, iso) in [
        ("jpg/Canon_40D.jpg", "Canon", "Canon EOS 40D", 100),
        ("jpg/Nikon_D70.jpg", "NIKON CORPORATION", "NIKON D70", 200),
        (
            "jpg/Pentax_K10D.jpg",
            "PENTAX Corporation",
            "PENTAX K10D",
            200,
        ),
        ("jpg/mobile/jolla.jpg", "Jolla", "Jolla", 320),
    ] {
        let exif = meta(rel).exif.unwrap_or_else(|| panic!("{rel}: no exif"));
        assert_eq!(
            (exif.make.as_deref(), exif.model.as_deref(), exif.iso),
            (Some(make), Some(model), Some(iso)),
            "{rel}"
        );
        assert!(exif.gps.is_none(), "{rel}: no GPS in the file");
    }
}

#[test]
fn displayed_size_follows_the_orientation() {
    // landscape_6.jpg is stored 450x600 and turned a quarter by EXIF orientation 6.
    let m = meta("jpg/orientation/landscape_6.jpg");
    assert_eq!((m.width, m.height), (600, 450));
    assert_eq!(m.exif.and_then(|e| e.orientation), Some(6));
    let m = meta("jpg/orientation/portrait_3.jpg");
    assert_eq!((m.width, m.height), (450, 600));
}

#[test]
fn invalid_exif_gives_metadata_without_exif() {
    for (rel, size) in [
        ("jpg/invalid/image00971.jpg", (636, 227)),
        ("jpg/invalid/image01088.jpg", (425, 120)),
    ] {
        let m = meta(rel);
        assert_eq!((m.width, m.height), size, "{rel}");
        let json = serde_json::to_value(&m).expect("json");
        assert!(
            m.exif.is_none() && json.get("exif").is_none(),
            "{rel}: {json}"
        );
    }
    // The corrupted photo's header and EXIF are intact: metadata works though decoding fails.
    let m = meta("jpg/corrupted.jpg");
    assert_eq!((m.width, m.height), (3648, 2736));
    assert_eq!(
        m.exif.and_then(|e| e.make).as_deref(),
        Some("OLYMPUS IMAGING CORP.")
    );
}

#[test]
fn absent_fields_are_left_out_of_the_json() {
    let json = serde_json::to_value(meta("jpg/gps/DSCN0010.jpg")).expect("json");
    assert_eq!(json["format"], "jpeg");
    assert_eq!(json["exif"]["make"], "NIKON");
    assert!(json["exif"]["gps"].get("altitude").is_none(), "{json}");
    let tiff = media_runner::metadata::image_metadata(
        &common::read_sample("tiff/BSG1.tiff"),
        &Limits::default(),
    )
    .expect("tiff");
    assert_eq!((tiff.width, tiff.height, tiff.format), (635, 348, "tiff"));
}
