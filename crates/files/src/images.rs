//! Image dimensions and thumbnails, with decompression-bomb limits.
//!
//! A few kilobytes of PNG can claim 100,000 × 100,000 pixels and decode into tens of
//! gigabytes. Every decode here runs under [`image::Limits`]: at most [`MAX_SIDE`] pixels a
//! side and [`MAX_ALLOC`] bytes of decoder allocations, checked from the header before the
//! pixels are allocated, so a bomb costs an error, not memory. Decoding is CPU work: async
//! callers run these functions with `spawn_blocking`.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageFormat, ImageReader, Limits};

/// Largest width or height accepted.
pub const MAX_SIDE: u32 = 10_000;
/// Most memory a decode may allocate: an 8k × 8k RGBA image, or 10k × 10k greyscale.
pub const MAX_ALLOC: u64 = 256 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// Not an image format this server decodes (PNG, JPEG, GIF, WebP, BMP).
    #[error("unsupported or unrecognised image format")]
    Unsupported,
    /// Over the size limits: refused before decoding.
    #[error("image too large to process")]
    TooLarge,
    #[error("image could not be decoded: {0}")]
    Decode(image::ImageError),
    #[error("thumbnail could not be encoded: {0}")]
    Encode(image::ImageError),
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    limits
}

fn classify(e: image::ImageError) -> ImageError {
    match e {
        image::ImageError::Limits(_) => ImageError::TooLarge,
        image::ImageError::Unsupported(_) => ImageError::Unsupported,
        e => ImageError::Decode(e),
    }
}

fn reader(bytes: &[u8]) -> Result<ImageReader<Cursor<&[u8]>>, ImageError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ImageError::Decode(image::ImageError::IoError(e)))?;
    if reader.format().is_none() {
        return Err(ImageError::Unsupported);
    }
    reader.limits(limits());
    Ok(reader)
}

/// Width and height from the header, without decoding the pixels. Images over the limits
/// are refused here too, so that nothing advertises a size it would refuse to thumbnail.
pub fn image_info(bytes: &[u8]) -> Result<(u32, u32), ImageError> {
    let (width, height) = reader(bytes)?.into_dimensions().map_err(classify)?;
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(ImageError::TooLarge);
    }
    Ok((width, height))
}

/// A thumbnail and what it is.
#[derive(Debug, Clone)]
pub struct Thumbnail {
    pub bytes: Vec<u8>,
    /// `image/png` for images with transparency, `image/jpeg` otherwise.
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
}

/// Scales the image to fit in `max_side` × `max_side` (never up), keeping its aspect ratio.
pub fn thumbnail(bytes: &[u8], max_side: u32) -> Result<Thumbnail, ImageError> {
    let image = reader(bytes)?.decode().map_err(classify)?;
    let max_side = max_side.max(1);
    let small = if image.width() > max_side || image.height() > max_side {
        image.thumbnail(max_side, max_side)
    } else {
        image
    };
    let mut out = Cursor::new(Vec::new());
    let content_type = if small.color().has_alpha() {
        small
            .write_to(&mut out, ImageFormat::Png)
            .map_err(ImageError::Encode)?;
        "image/png"
    } else {
        // JPEG has no alpha and few decoders take 16-bit samples: encode 8-bit RGB.
        let rgb = DynamicImage::ImageRgb8(small.to_rgb8());
        JpegEncoder::new_with_quality(&mut out, 85)
            .encode_image(&rgb)
            .map_err(ImageError::Encode)?;
        "image/jpeg"
    };
    Ok(Thumbnail {
        bytes: out.into_inner(),
        content_type,
        width: small.width(),
        height: small.height(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage, Rgba, RgbaImage};

    fn png(image: DynamicImage) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        image
            .write_to(&mut out, ImageFormat::Png)
            .expect("encode test image");
        out.into_inner()
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
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

    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    }

    /// A valid PNG header claiming `width` × `height` RGBA pixels, with a tiny IDAT: the
    /// shape of a decompression bomb, without the bomb.
    fn bomb(width: u32, height: u32) -> Vec<u8> {
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&width.to_be_bytes());
        ihdr.extend_from_slice(&height.to_be_bytes());
        ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA
        chunk(&mut out, b"IHDR", &ihdr);
        chunk(
            &mut out,
            b"IDAT",
            &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
        );
        chunk(&mut out, b"IEND", &[]);
        out
    }

    #[test]
    fn reads_dimensions() {
        let bytes = png(DynamicImage::ImageRgb8(RgbImage::new(640, 480)));
        assert_eq!(image_info(&bytes).ok(), Some((640, 480)));
        assert!(matches!(
            image_info(b"not an image"),
            Err(ImageError::Unsupported)
        ));
    }

    #[test]
    fn thumbnails_keep_aspect_and_alpha() -> Result<(), ImageError> {
        let photo = png(DynamicImage::ImageRgb8(RgbImage::from_pixel(
            800,
            400,
            Rgb([200, 10, 10]),
        )));
        let thumb = thumbnail(&photo, 100)?;
        assert_eq!(
            (thumb.width, thumb.height, thumb.content_type),
            (100, 50, "image/jpeg")
        );
        assert_eq!(image_info(&thumb.bytes)?, (100, 50));

        let icon = png(DynamicImage::ImageRgba8(RgbaImage::from_pixel(
            50,
            80,
            Rgba([0, 0, 0, 0]),
        )));
        let thumb = thumbnail(&icon, 100)?;
        assert_eq!(
            (thumb.width, thumb.height, thumb.content_type),
            (50, 80, "image/png")
        );
        Ok(())
    }

    #[test]
    fn refuses_bombs_before_allocating() {
        // Over the side limit.
        let huge = bomb(100_000, 100_000);
        assert!(matches!(image_info(&huge), Err(ImageError::TooLarge)));
        assert!(matches!(thumbnail(&huge, 100), Err(ImageError::TooLarge)));
        // Within the side limit but over the allocation cap (9000² RGBA = 324 MB).
        let wide = bomb(9_000, 9_000);
        assert_eq!(image_info(&wide).ok(), Some((9_000, 9_000)));
        assert!(matches!(thumbnail(&wide, 100), Err(ImageError::TooLarge)));
    }
}
