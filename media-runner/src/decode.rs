//! Reading images safely and fast: sniff the format, read the dimensions from the header and
//! check the limits before any pixel is decoded, then decode. JPEGs are decoded at the
//! smallest IDCT scale (1/8, 1/4, 1/2 or 1) that still covers the size asked for: for a
//! 12 MP photo and a 600 px thumbnail that is 1/4, and the decode, which dominates the cost,
//! is several times cheaper (libvips calls this shrink-on-load).

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, ImageReader};

use crate::image_error::{ImageError, catch_decoder_panic};
use crate::limits::Limits;

/// The formats the runner reads. Others (AVIF, EXR, ...) are not compiled in.
const ACCEPTED: [ImageFormat; 6] = [
    ImageFormat::Jpeg,
    ImageFormat::Png,
    ImageFormat::Gif,
    ImageFormat::WebP,
    ImageFormat::Bmp,
    ImageFormat::Tiff,
];

/// What the header says, read without decoding pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub format: ImageFormat,
    /// Stored width (before EXIF orientation).
    pub width: u32,
    /// Stored height (before EXIF orientation).
    pub height: u32,
}

/// Decoded pixels, 8 bits per channel, 3 (RGB) or 4 (RGBA) channels, rows top to bottom.
#[derive(Debug)]
pub struct Pixels {
    pub width: u32,
    pub height: u32,
    pub channels: u8,
    pub data: Vec<u8>,
}

/// The format's short name as stored in metadata ("jpeg", "png", ...).
pub fn format_name(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Jpeg => "jpeg",
        ImageFormat::Png => "png",
        ImageFormat::Gif => "gif",
        ImageFormat::WebP => "webp",
        ImageFormat::Bmp => "bmp",
        ImageFormat::Tiff => "tiff",
        _ => "other",
    }
}

/// Sniffs the format and reads the dimensions from the header, then enforces the file-size
/// and pixel limits. Nothing is decoded, so a 100000x100000 "bomb" costs microseconds.
pub fn read_header(bytes: &[u8], limits: &Limits) -> Result<Header, ImageError> {
    check_file_size(bytes.len() as u64, limits)?;
    let format = image::guess_format(bytes)
        .map_err(|_| ImageError::Unsupported("not a recognised image".to_owned()))?;
    if !ACCEPTED.contains(&format) {
        return Err(ImageError::Unsupported(format!("{format:?}")));
    }
    let (width, height) = catch_decoder_panic(|| {
        Ok(ImageReader::with_format(Cursor::new(bytes), format).into_dimensions()?)
    })?;
    if width == 0 || height == 0 {
        return Err(ImageError::Corrupt(format!(
            "the header gives a size of {width}x{height}"
        )));
    }
    let pixels = u64::from(width) * u64::from(height);
    if pixels > limits.max_pixels {
        return Err(ImageError::TooManyPixels {
            width,
            height,
            pixels,
            limit: limits.max_pixels,
        });
    }
    Ok(Header {
        format,
        width,
        height,
    })
}

/// Images are read whole into memory: [`Limits::in_memory_limit`] applies.
pub(crate) fn check_file_size(bytes: u64, limits: &Limits) -> Result<(), ImageError> {
    let limit = limits.in_memory_limit();
    if bytes > limit {
        return Err(ImageError::FileTooLarge { bytes, limit });
    }
    Ok(())
}

/// Decodes the image whose header is `header`, at no less than `min_width` x `min_height`
/// when the format can decode smaller (JPEG), else at full size. The first frame of an
/// animation. Call [`read_header`] first: it is what enforces the limits.
pub fn decode(
    bytes: &[u8],
    header: &Header,
    min_width: u32,
    min_height: u32,
    limits: &Limits,
) -> Result<Pixels, ImageError> {
    catch_decoder_panic(|| {
        if header.format == ImageFormat::Jpeg
            && let Some(pixels) = decode_jpeg_scaled(bytes, min_width, min_height)?
        {
            return Ok(pixels);
        }
        decode_full(bytes, header, limits)
    })
}

/// `Ok(None)` when jpeg-decoder cannot give 8-bit RGB or grey (CMYK, 12/16-bit, or a coding
/// it does not implement): the caller then uses the general decoder.
fn decode_jpeg_scaled(
    bytes: &[u8],
    min_width: u32,
    min_height: u32,
) -> Result<Option<Pixels>, ImageError> {
    use jpeg_decoder::{Decoder, Error, PixelFormat};
    let mut decoder = Decoder::new(Cursor::new(bytes));
    let requested = (clamp_u16(min_width), clamp_u16(min_height));
    let scaled = match decoder.scale(requested.0, requested.1) {
        Ok(size) => size,
        Err(Error::Unsupported(what)) => {
            tracing::debug!(
                ?what,
                "jpeg-decoder cannot decode this JPEG; using the general decoder"
            );
            return Ok(None);
        }
        Err(e) => return Err(ImageError::Corrupt(e.to_string())),
    };
    let Some(info) = decoder.info() else {
        return Err(ImageError::Corrupt("no frame header".to_owned()));
    };
    if !matches!(info.pixel_format, PixelFormat::RGB24 | PixelFormat::L8) {
        return Ok(None);
    }
    let data = match decoder.decode() {
        Ok(data) => data,
        Err(Error::Unsupported(what)) => {
            tracing::debug!(
                ?what,
                "jpeg-decoder cannot decode this JPEG; using the general decoder"
            );
            return Ok(None);
        }
        Err(e) => return Err(ImageError::Corrupt(e.to_string())),
    };
    let (width, height) = (u32::from(scaled.0), u32::from(scaled.1));
    let data = match info.pixel_format {
        PixelFormat::L8 => data.iter().flat_map(|&l| [l, l, l]).collect(),
        _ => data,
    };
    if data.len() != width as usize * height as usize * 3 {
        return Err(ImageError::Corrupt(format!(
            "decoded {} bytes for a {width}x{height} image",
            data.len()
        )));
    }
    Ok(Some(Pixels {
        width,
        height,
        channels: 3,
        data,
    }))
}

fn clamp_u16(v: u32) -> u16 {
    u16::try_from(v).unwrap_or(u16::MAX)
}

fn decode_full(bytes: &[u8], header: &Header, limits: &Limits) -> Result<Pixels, ImageError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), header.format);
    // A second guard behind read_header: decoders allocate from what the data says, and a
    // multi-frame or multi-page file may say more than its first header did.
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_image_width = Some(header.width);
    decoder_limits.max_image_height = Some(header.height);
    decoder_limits.max_alloc = Some(limits.max_pixels.saturating_mul(8));
    reader.limits(decoder_limits);
    let image = reader.decode()?;
    Ok(into_pixels(image))
}

/// 8-bit RGB, or RGBA when the image has an alpha channel.
pub(crate) fn into_pixels(image: DynamicImage) -> Pixels {
    let (width, height) = (image.width(), image.height());
    if image.color().has_alpha() {
        Pixels {
            width,
            height,
            channels: 4,
            data: image.into_rgba8().into_raw(),
        }
    } else {
        Pixels {
            width,
            height,
            channels: 3,
            data: image.into_rgb8().into_raw(),
        }
    }
}
