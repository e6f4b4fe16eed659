//! Images: a thumbnail for the chat (EXIF orientation applied, no metadata), and the
//! uploaded original stripped of its metadata (camera, GPS position) when it carries any.
//!
//! Decoding is bounded (dimensions and memory) so a small "decompression bomb" cannot
//! take the server's memory. Blocking: run it on `spawn_blocking`.

use std::io::{BufWriter, Cursor};
use std::path::Path;

use ::image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// The thumbnail fits in this square.
pub const THUMBNAIL: u32 = 400;

/// Largest width or height decoded.
const MAX_SIDE: u32 = 16_384;

/// Most memory one decode may take.
const MAX_ALLOC: u64 = 256 * 1024 * 1024;

/// Why no thumbnail was made (the upload is kept anyway, as a plain file).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot decode the image: {0}")]
    Decode(#[from] ::image::ImageError),
    #[error("cannot read or write the image: {0}")]
    Io(#[from] std::io::Error),
}

/// What [`process`] made.
#[derive(Debug)]
pub struct Processed {
    /// PNG (when the image has transparency) or JPEG bytes.
    pub thumbnail: Vec<u8>,
    /// The original had metadata and was rewritten without it.
    pub stripped: bool,
}

fn limits() -> Limits {
    let mut l = Limits::default();
    l.max_image_width = Some(MAX_SIDE);
    l.max_image_height = Some(MAX_SIDE);
    l.max_alloc = Some(MAX_ALLOC);
    l
}

/// Decodes the image at `path`, applies its EXIF orientation and returns a thumbnail.
/// A JPEG or PNG that carries EXIF data is rewritten in place, upright and without it.
pub fn process(path: &Path) -> Result<Processed, Error> {
    let reader = ImageReader::open(path)?.with_guessed_format()?;
    let format = reader.format();
    let mut decoder = reader.into_decoder()?;
    decoder.set_limits(limits())?;
    let orientation = decoder.orientation()?;
    let exif = decoder.exif_metadata()?.is_some_and(|e| !e.is_empty());
    let mut img = DynamicImage::from_decoder(decoder)?;
    img.apply_orientation(orientation);
    let stripped = match format {
        Some(f @ (ImageFormat::Jpeg | ImageFormat::Png)) if exif => {
            rewrite(path, &img, f)?;
            true
        }
        _ => false,
    };
    // Never enlarged: a small image is its own thumbnail (re-encoded, without metadata).
    let thumbnail = if img.width() > THUMBNAIL || img.height() > THUMBNAIL {
        encode(&img.thumbnail(THUMBNAIL, THUMBNAIL))?
    } else {
        encode(&img)?
    };
    Ok(Processed {
        thumbnail,
        stripped,
    })
}

/// PNG when there is an alpha channel, else JPEG (smaller for photos).
fn encode(img: &DynamicImage) -> Result<Vec<u8>, Error> {
    let mut out = Cursor::new(Vec::new());
    if img.color().has_alpha() {
        img.write_to(&mut out, ImageFormat::Png)?;
    } else {
        let rgb = DynamicImage::ImageRgb8(img.to_rgb8());
        let enc = ::image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85);
        rgb.write_with_encoder(enc)?;
    }
    Ok(out.into_inner())
}

/// Writes `img` over `path` (through a temporary file and a rename).
fn rewrite(path: &Path, img: &DynamicImage, format: ImageFormat) -> Result<(), Error> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".strip");
    let tmp = std::path::PathBuf::from(tmp);
    let result = (|| -> Result<(), Error> {
        let file = std::fs::File::create(&tmp)?;
        let mut w = BufWriter::new(file);
        if format == ImageFormat::Jpeg {
            let rgb = DynamicImage::ImageRgb8(img.to_rgb8());
            let enc = ::image::codecs::jpeg::JpegEncoder::new_with_quality(&mut w, 92);
            rgb.write_with_encoder(enc)?;
        } else {
            img.write_to(&mut w, format)?;
        }
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
