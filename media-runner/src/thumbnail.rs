//! Thumbnails: three derivatives (150, 300 and 600 px boxes) of an image, aspect kept, EXIF
//! orientation applied, never upscaled. The source is decoded once, at the smallest size
//! that still covers the largest box (JPEG shrink-on-load, see `decode`); the largest box is
//! resized from it and each smaller box from the previous result, so the work after
//! decoding is about that of one 600 px image.

use std::path::Path;

use fast_image_resize::images::Image;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::codecs::png::{CompressionType, PngEncoder};
use image::metadata::Orientation;
use image::{DynamicImage, ImageEncoder, RgbImage, RgbaImage};

use crate::decode::{self, Pixels};
use crate::exif;
use crate::image_error::{ImageError, catch_decoder_panic};
use crate::limits::Limits;

/// The boxes (max width and height, px) of the thumbnails the runner makes.
pub const THUMBNAIL_BOXES: [u32; 3] = [150, 300, 600];
/// JPEG quality of opaque thumbnails: sharp's and most CDNs' default range (80–85).
pub const JPEG_QUALITY: u8 = 82;

/// One encoded thumbnail.
#[derive(Debug, Clone)]
pub struct Thumbnail {
    /// The box it was made for (150, 300, 600).
    pub box_size: u32,
    /// Width as displayed (EXIF orientation applied).
    pub width: u32,
    /// Height as displayed.
    pub height: u32,
    /// `image/jpeg`, or `image/png` when the image has transparent pixels.
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// [`thumbnails`] of the file at `path`; the size limit is checked before reading it.
pub fn thumbnails_from_path(path: &Path, limits: &Limits) -> Result<Vec<Thumbnail>, ImageError> {
    decode::check_file_size(std::fs::metadata(path)?.len(), limits)?;
    thumbnails(&std::fs::read(path)?, limits)
}

/// Thumbnails for [`THUMBNAIL_BOXES`], smallest first. Fails with a typed error, never a
/// panic, on corrupt, unsupported or over-limit input. CPU-bound: call it from a blocking
/// thread in async code.
pub fn thumbnails(bytes: &[u8], limits: &Limits) -> Result<Vec<Thumbnail>, ImageError> {
    thumbnails_for_boxes(bytes, &THUMBNAIL_BOXES, limits)
}

/// Thumbnails for the given boxes (px), returned in the order given.
pub fn thumbnails_for_boxes(
    bytes: &[u8],
    boxes: &[u32],
    limits: &Limits,
) -> Result<Vec<Thumbnail>, ImageError> {
    let header = decode::read_header(bytes, limits)?;
    let orientation = exif::read_orientation(bytes)
        .and_then(Orientation::from_exif)
        .unwrap_or(Orientation::NoTransforms);
    let Some(&largest) = boxes.iter().max() else {
        return Ok(Vec::new());
    };
    let (min_w, min_h) = fit(header.width, header.height, largest);
    let decoded = decode::decode(bytes, &header, min_w, min_h, limits)?;
    thumbnails_from_pixels(decoded, (header.width, header.height), orientation, boxes)
}

/// Thumbnails for `boxes` from already decoded pixels. `original` is the image's full stored
/// size, which decides the thumbnail sizes (`pixels` may be a reduced-scale decode of it,
/// at least as large as the largest box's thumbnail).
pub fn thumbnails_from_pixels(
    pixels: Pixels,
    original: (u32, u32),
    orientation: Orientation,
    boxes: &[u32],
) -> Result<Vec<Thumbnail>, ImageError> {
    let mut current = pixels;
    catch_decoder_panic(|| {
        let mut order: Vec<usize> = (0..boxes.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(boxes[i]));
        let mut resizer = Resizer::new();
        let mut made: Vec<Option<Thumbnail>> = vec![None; boxes.len()];
        let mut opaque_checked = false;
        for i in order {
            let (w, h) = fit(original.0, original.1, boxes[i]);
            current = resize(&mut resizer, current, w, h)?;
            if !opaque_checked {
                // Decided on the largest thumbnail: an RGBA image whose pixels are all opaque
                // (common for PNG screenshots) is better served as a JPEG.
                opaque_checked = true;
                if current.channels == 4 && is_opaque(&current.data) {
                    current = drop_alpha(current);
                }
            }
            made[i] = Some(encode(&current, orientation, boxes[i])?);
        }
        Ok(made.into_iter().flatten().collect())
    })
}

/// The size of a `width` x `height` image fitted into a `size` x `size` box, aspect kept,
/// never larger than the original.
pub fn fit(width: u32, height: u32, size: u32) -> (u32, u32) {
    if width <= size && height <= size {
        return (width, height);
    }
    let (long, short) = (u64::from(width.max(height)), u64::from(width.min(height)));
    let size64 = u64::from(size);
    // Rounded to nearest, at least 1 px; the result is at most `size`, so it fits in u32.
    let scaled = ((short * size64 + long / 2) / long).clamp(1, size64) as u32;
    if width >= height {
        (size, scaled)
    } else {
        (scaled, size)
    }
}

fn resize(
    resizer: &mut Resizer,
    src: Pixels,
    width: u32,
    height: u32,
) -> Result<Pixels, ImageError> {
    if (src.width, src.height) == (width, height) {
        return Ok(src);
    }
    let pixel_type = if src.channels == 4 {
        PixelType::U8x4
    } else {
        PixelType::U8x3
    };
    let channels = src.channels;
    let src_image = Image::from_vec_u8(src.width, src.height, src.data, pixel_type)
        .map_err(|e| ImageError::Corrupt(format!("decoded buffer: {e}")))?;
    let mut dst = Image::new(width, height, pixel_type);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    resizer
        .resize(&src_image, &mut dst, &options)
        .map_err(|e| ImageError::Corrupt(format!("resize: {e}")))?;
    Ok(Pixels {
        width,
        height,
        channels,
        data: dst.into_vec(),
    })
}

fn is_opaque(rgba: &[u8]) -> bool {
    rgba.chunks_exact(4).all(|p| p[3] == u8::MAX)
}

fn drop_alpha(src: Pixels) -> Pixels {
    let data = src
        .data
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    Pixels {
        width: src.width,
        height: src.height,
        channels: 3,
        data,
    }
}

fn encode(
    pixels: &Pixels,
    orientation: Orientation,
    box_size: u32,
) -> Result<Thumbnail, ImageError> {
    let (w, h, data) = (pixels.width, pixels.height, pixels.data.clone());
    let bad_buffer = || ImageError::Encode(format!("buffer does not match {w}x{h}"));
    let mut image = if pixels.channels == 4 {
        DynamicImage::ImageRgba8(RgbaImage::from_raw(w, h, data).ok_or_else(bad_buffer)?)
    } else {
        DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, data).ok_or_else(bad_buffer)?)
    };
    image.apply_orientation(orientation);
    let (width, height) = (image.width(), image.height());
    let mut bytes = Vec::new();
    let content_type = if pixels.channels == 4 {
        PngEncoder::new_with_quality(
            &mut bytes,
            CompressionType::Fast,
            image::codecs::png::FilterType::Adaptive,
        )
        .write_image(image.as_bytes(), width, height, image.color().into())?;
        "image/png"
    } else {
        // 4:2:0 chroma subsampling, which the encoder picks below quality 90.
        let (Ok(w16), Ok(h16)) = (u16::try_from(width), u16::try_from(height)) else {
            return Err(ImageError::Encode(format!(
                "{width}x{height} is too large for JPEG"
            )));
        };
        jpeg_encoder::Encoder::new(&mut bytes, JPEG_QUALITY)
            .encode(image.as_bytes(), w16, h16, jpeg_encoder::ColorType::Rgb)
            .map_err(|e| ImageError::Encode(e.to_string()))?;
        "image/jpeg"
    };
    Ok(Thumbnail {
        box_size,
        width,
        height,
        content_type,
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::fit;

    #[test]
    fn fit_keeps_aspect_and_never_upscales() {
        assert_eq!(fit(4000, 3000, 600), (600, 450));
        assert_eq!(fit(3000, 4000, 150), (113, 150));
        assert_eq!(fit(100, 80, 600), (100, 80));
        assert_eq!(fit(100, 80, 150), (100, 80));
        assert_eq!(fit(600, 600, 600), (600, 600));
        assert_eq!(fit(10_000, 1, 150), (150, 1));
    }
}
