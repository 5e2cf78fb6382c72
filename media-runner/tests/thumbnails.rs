//! Thumbnails of real photos and generated images: upright, fitted, never upscaled, the
//! right format; broken and hostile input gives typed errors.

mod common;

use std::io::Cursor;
use std::time::{Duration, Instant};

use image::{DynamicImage, GenericImageView, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use media_runner::{ImageError, Limits, Thumbnail, thumbnails, thumbnails_from_path};

fn decode(t: &Thumbnail) -> DynamicImage {
    let format = if t.content_type == "image/png" {
        ImageFormat::Png
    } else {
        ImageFormat::Jpeg
    };
    let img = image::load_from_memory_with_format(&t.bytes, format).expect("thumbnail decodes");
    assert_eq!(
        (img.width(), img.height()),
        (t.width, t.height),
        "declared size matches the encoded one"
    );
    img
}

/// Mean absolute difference per channel (0-255) between two images of the same size.
fn mean_diff(a: &DynamicImage, b: &DynamicImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let (a, b) = (a.to_rgb8(), b.to_rgb8());
    let sum: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    sum as f64 / a.as_raw().len() as f64
}

fn make(rel: &str) -> Vec<Thumbnail> {
    let thumbs = thumbnails(&common::read_sample(rel), &Limits::default())
        .unwrap_or_else(|e| panic!("{rel}: {e}"));
    assert_eq!(
        thumbs.iter().map(|t| t.box_size).collect::<Vec<_>>(),
        [150, 300, 600]
    );
    thumbs
}

#[test]
fn every_exif_orientation_gives_upright_thumbnails() {
    // The samples are one landscape and one portrait photo, each stored in the 8 EXIF
    // orientations (5-8 stored sideways). Applied correctly, all 8 look like orientation 1.
    for shape in ["landscape", "portrait"] {
        let reference = make(&format!("jpg/orientation/{shape}_1.jpg"));
        let expected = if shape == "landscape" {
            [(150, 113), (300, 225), (600, 450)]
        } else {
            [(113, 150), (225, 300), (450, 600)]
        };
        let upright = decode(&reference[1]);
        // Each sample carries its number and side labels drawn on it, so no thumbnail equals
        // the reference exactly; what must hold is that the upright reference matches it
        // better, by a clear margin, than the reference mirrored, flipped or turned over.
        let wrong = [
            ("mirrored", upright.fliph()),
            ("flipped", upright.flipv()),
            ("upside down", upright.rotate180()),
        ];
        for n in 1..=8 {
            let rel = format!("jpg/orientation/{shape}_{n}.jpg");
            let thumbs = make(&rel);
            let sizes: Vec<_> = thumbs.iter().map(|t| (t.width, t.height)).collect();
            assert_eq!(sizes, expected, "{rel}: sizes");
            let thumb = decode(&thumbs[1]);
            let right = mean_diff(&thumb, &upright);
            for (name, candidate) in &wrong {
                let off = mean_diff(&thumb, candidate);
                assert!(
                    right + 15.0 < off,
                    "{rel}: differs by {right:.1}/255 from upright, only {off:.1} from {name}"
                );
            }
            assert!(thumbs.iter().all(|t| t.content_type == "image/jpeg"));
        }
    }
}

#[test]
fn thumbnails_fit_their_boxes_and_keep_the_aspect() {
    // A real 8 MP phone photo (3264x2448).
    let thumbs = make("jpg/mobile/jolla.jpg");
    let sizes: Vec<_> = thumbs.iter().map(|t| (t.width, t.height)).collect();
    assert_eq!(sizes, [(150, 113), (300, 225), (600, 450)]);
    for t in &thumbs {
        let img = decode(t);
        assert!(img.width() <= t.box_size && img.height() <= t.box_size);
        // Not a flat or black image: real content survived decoding at reduced scale.
        let rgb = img.to_rgb8();
        let mean =
            rgb.as_raw().iter().map(|&v| u64::from(v)).sum::<u64>() / rgb.as_raw().len() as u64;
        assert!((20..235).contains(&mean), "mean brightness {mean}");
    }
}

#[test]
fn small_images_are_never_upscaled() {
    // Canon_40D.jpg is 100x68: every box gets the original size.
    for rel in ["jpg/Canon_40D.jpg", "jpg/Nikon_D70.jpg"] {
        let thumbs = make(rel);
        let first = (thumbs[0].width, thumbs[0].height);
        assert!(first.0 <= 100 && first.1 <= 100, "{rel}: {first:?}");
        assert!(
            thumbs.iter().all(|t| (t.width, t.height) == first),
            "{rel}: same size for every box"
        );
    }
    assert_eq!(
        (
            make("jpg/Canon_40D.jpg")[2].width,
            make("jpg/Canon_40D.jpg")[2].height
        ),
        (100, 68)
    );
    // A generated 100x80 PNG too.
    let png = encode(DynamicImage::ImageRgb8(gradient(100, 80)), ImageFormat::Png);
    for t in thumbnails(&png, &Limits::default()).expect("thumbnails") {
        assert_eq!((t.width, t.height), (100, 80));
    }
}

fn gradient(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 128])
    })
}

fn encode(img: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).expect("encode test image");
    out.into_inner()
}

#[test]
fn every_accepted_format_is_thumbnailed() {
    let opaque = DynamicImage::ImageRgb8(gradient(1200, 800));
    for format in [
        ImageFormat::Png,
        ImageFormat::Gif,
        ImageFormat::WebP,
        ImageFormat::Bmp,
        ImageFormat::Tiff,
        ImageFormat::Jpeg,
    ] {
        let img = if format == ImageFormat::Gif {
            DynamicImage::ImageRgba8(opaque.to_rgba8())
        } else {
            opaque.clone()
        };
        let thumbs = thumbnails(&encode(img, format), &Limits::default())
            .unwrap_or_else(|e| panic!("{format:?}: {e}"));
        let sizes: Vec<_> = thumbs.iter().map(|t| (t.width, t.height)).collect();
        assert_eq!(sizes, [(150, 100), (300, 200), (600, 400)], "{format:?}");
        assert!(
            thumbs.iter().all(|t| t.content_type == "image/jpeg"),
            "{format:?}: opaque gives JPEG"
        );
        let big = decode(&thumbs[2]).to_rgb8();
        // The gradient's corners survived (left is dark red, right bright red).
        assert!(
            big.get_pixel(2, 200)[0] < 30 && big.get_pixel(597, 200)[0] > 225,
            "{format:?}"
        );
    }
    // The real TIFF sample (635x348, RGBA).
    let tiff =
        thumbnails_from_path(&common::sample("tiff/BSG1.tiff"), &Limits::default()).expect("tiff");
    assert_eq!((tiff[2].width, tiff[2].height), (600, 329));
}

#[test]
fn transparency_gives_png_and_opaque_rgba_gives_jpeg() {
    let transparent = RgbaImage::from_fn(800, 400, |x, _| {
        Rgba([200, 30, 30, if x < 400 { 0 } else { 255 }])
    });
    let thumbs = thumbnails(
        &encode(DynamicImage::ImageRgba8(transparent), ImageFormat::Png),
        &Limits::default(),
    )
    .expect("png");
    assert!(thumbs.iter().all(|t| t.content_type == "image/png"));
    let big = decode(&thumbs[2]).to_rgba8();
    assert_eq!((big.width(), big.height()), (600, 300));
    assert_eq!(big.get_pixel(10, 150)[3], 0, "left half stays transparent");
    assert_eq!(big.get_pixel(590, 150)[3], 255);

    let opaque = RgbaImage::from_pixel(800, 400, Rgba([10, 20, 30, 255]));
    let thumbs = thumbnails(
        &encode(DynamicImage::ImageRgba8(opaque), ImageFormat::Png),
        &Limits::default(),
    )
    .expect("png");
    assert!(thumbs.iter().all(|t| t.content_type == "image/jpeg"));
}

#[test]
fn an_animated_gif_gives_its_first_frame() {
    use image::codecs::gif::GifEncoder;
    use image::{Delay, Frame};
    let mut bytes = Vec::new();
    {
        let mut enc = GifEncoder::new(&mut bytes);
        for color in [[250, 10, 10, 255], [10, 10, 250, 255]] {
            let frame = Frame::from_parts(
                RgbaImage::from_pixel(320, 240, Rgba(color)),
                0,
                0,
                Delay::from_numer_denom_ms(100, 1),
            );
            enc.encode_frame(frame).expect("gif frame");
        }
    }
    let thumbs = thumbnails(&bytes, &Limits::default()).expect("gif");
    let px = decode(&thumbs[0]).to_rgb8().get_pixel(10, 10).0;
    assert!(px[0] > 200 && px[2] < 60, "first (red) frame, got {px:?}");
}

#[test]
fn a_corrupted_jpeg_gives_a_typed_error() {
    let err = thumbnails_from_path(&common::sample("jpg/corrupted.jpg"), &Limits::default())
        .expect_err("corrupted.jpg must fail");
    assert!(matches!(err, ImageError::Corrupt(_)), "got {err:?}");
    assert!(
        err.to_string()
            .starts_with("the image is corrupt or truncated: "),
        "{err}"
    );

    // A JPEG cut in half, and bytes that are no image at all.
    let jpeg = common::read_sample("jpg/gps/DSCN0010.jpg");
    let err = thumbnails(&jpeg[..jpeg.len() / 2], &Limits::default()).expect_err("truncated");
    assert!(matches!(err, ImageError::Corrupt(_)), "got {err:?}");
    let err = thumbnails(b"hello, not an image", &Limits::default()).expect_err("text");
    assert!(matches!(err, ImageError::Unsupported(_)), "got {err:?}");
}

/// A valid PNG header claiming `w` x `h`, with one tiny IDAT: a decompression bomb's shape.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend(kind);
        out.extend(data);
        let crc = crc32(&out[start..]);
        out.extend(crc.to_be_bytes());
    }
    let mut ihdr = Vec::new();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]); // 8-bit RGB
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(
        &mut png,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut png, b"IEND", &[]);
    png
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn a_pixel_bomb_is_refused_before_decoding() {
    let bomb = png_claiming(100_000, 100_000);
    assert!(bomb.len() < 100, "the bomb is tiny: {} bytes", bomb.len());
    let started = Instant::now();
    let err = thumbnails(&bomb, &Limits::default()).expect_err("bomb");
    // Decoding 10^10 pixels would take minutes and 30 GB; refusing from the header is instant.
    assert!(started.elapsed() < Duration::from_secs(1));
    match err {
        ImageError::TooManyPixels {
            width,
            height,
            pixels,
            limit,
        } => {
            assert_eq!(
                (width, height, pixels, limit),
                (100_000, 100_000, 10_000_000_000, 100_000_000)
            );
        }
        other => panic!("expected TooManyPixels, got {other:?}"),
    }
    let meta = media_runner::metadata::image_metadata(&bomb, &Limits::default());
    assert!(matches!(meta, Err(ImageError::TooManyPixels { .. })));
    // A lower limit applies to real photos too (jolla.jpg is 3264x2448, about 8 MP).
    let limits = Limits {
        max_pixels: 1_000_000,
        ..Limits::default()
    };
    assert!(matches!(
        thumbnails(&common::read_sample("jpg/mobile/jolla.jpg"), &limits),
        Err(ImageError::TooManyPixels { .. })
    ));
}

#[test]
fn the_file_size_limit_is_checked_before_reading() {
    let limits = Limits {
        max_file_bytes: 1_000,
        ..Limits::default()
    };
    let err = thumbnails_from_path(&common::sample("jpg/gps/DSCN0010.jpg"), &limits)
        .expect_err("too big");
    assert!(
        matches!(
            err,
            ImageError::FileTooLarge {
                bytes: 161_713,
                limit: 1_000
            }
        ),
        "got {err:?}"
    );
}

#[test]
fn progressive_grey_and_cmyk_jpegs_are_thumbnailed() {
    // A 1200x800 picture, left half red, right half blue, in the JPEG variants cameras and
    // print workflows produce: progressive, greyscale, and Adobe CMYK (decoded by the general
    // decoder, since the reduced-scale one gives no CMYK conversion).
    let (w, h) = (1200u16, 800u16);
    let rgb: Vec<u8> = (0..usize::from(w) * usize::from(h))
        .flat_map(|i| {
            if i % usize::from(w) < usize::from(w) / 2 {
                [220, 20, 20]
            } else {
                [20, 20, 220]
            }
        })
        .collect();
    let encode = |data: &[u8], color: jpeg_encoder::ColorType, progressive: bool| {
        let mut out = Vec::new();
        let mut enc = jpeg_encoder::Encoder::new(&mut out, 90);
        enc.set_progressive(progressive);
        enc.encode(data, w, h, color).expect("encode test JPEG");
        out
    };
    let grey: Vec<u8> = rgb
        .chunks_exact(3)
        .map(|p| if p[0] > p[2] { 200 } else { 40 })
        .collect();
    let cmyk: Vec<u8> = rgb
        .chunks_exact(3)
        .flat_map(|p| [255 - p[0], 255 - p[1], 255 - p[2], 0])
        .collect();
    for (name, jpeg, left, right) in [
        (
            "progressive",
            encode(&rgb, jpeg_encoder::ColorType::Rgb, true),
            [220, 20, 20],
            [20, 20, 220],
        ),
        (
            "greyscale",
            encode(&grey, jpeg_encoder::ColorType::Luma, false),
            [200, 200, 200],
            [40, 40, 40],
        ),
        (
            "cmyk",
            encode(&cmyk, jpeg_encoder::ColorType::Cmyk, false),
            [220, 20, 20],
            [20, 20, 220],
        ),
    ] {
        let thumbs =
            thumbnails(&jpeg, &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let big = decode(&thumbs[2]).to_rgb8();
        assert_eq!((big.width(), big.height()), (600, 400), "{name}");
        for (x, want) in [(100, left), (500, right)] {
            let got = big.get_pixel(x, 200).0;
            let off = got
                .iter()
                .zip(want)
                .map(|(a, b)| a.abs_diff(b))
                .max()
                .unwrap_or(0);
            assert!(
                off < 30,
                "{name}: pixel at x={x} is {got:?}, expected about {want:?}"
            );
        }
    }
}
