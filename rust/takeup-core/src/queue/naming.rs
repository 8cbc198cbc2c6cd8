//! What an asset creation must carry for a file's name, type and size to be accepted
//! (`c2c-api.md` §6.1, §7; the emulator enforces the same reading, see `docs/emulator.md`):
//!
//! - **Size**: Frame.io takes 1 byte to 5 TiB (§7's `asset_filesize`; the emulator applies it to
//!   standard assets too). An empty closed file cannot be uploaded: park it, create nothing.
//! - **Type**: `filetype` is any well-formed `type/subtype` with a registered top-level type;
//!   an unknown file is `application/octet-stream` ([`super::file::mime_for`]), which is accepted.
//! - **Name of a real-time asset**: it needs an extension (a stem, a dot, 1–16 ASCII letters or
//!   digits). Without one, send no `name` but `extension` (from the type), and the real name as
//!   `asset_name` with the final part; sending `name` plus `extension` is refused. A standard
//!   asset takes any name.
//!
//! Pure functions, used by the uploader when it creates assets.

use super::file::mime_for;

/// The largest object (5 TiB).
pub const MAX_ASSET_SIZE: u64 = 5 * 1024 * 1024 * 1024 * 1024;

/// Why a closed file cannot become an asset at all (park it with this reason).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unsendable {
    /// 0 bytes.
    #[error("the file is empty (0 bytes): Frame.io does not accept empty files")]
    Empty,
    /// Over 5 TiB.
    #[error("the file is larger than 5 TiB, the most Frame.io accepts")]
    TooLarge,
}

/// Whether a closed file of `size` bytes can be uploaded.
pub fn check_size(size: u64) -> Result<(), Unsendable> {
    match size {
        0 => Err(Unsendable::Empty),
        s if s > MAX_ASSET_SIZE => Err(Unsendable::TooLarge),
        _ => Ok(()),
    }
}

/// Whether `name` has an extension as a real-time asset needs one: a non-empty stem, a dot, then
/// 1–16 ASCII letters or digits (`A001.mov` yes; `CLIP`, `CLIP.`, `.hidden`, `a.b c` no).
pub fn has_extension(name: &str) -> bool {
    match name.trim().rsplit_once('.') {
        Some((stem, ext)) => {
            !stem.trim().is_empty()
                && (1..=16).contains(&ext.len())
                && ext.chars().all(|c| c.is_ascii_alphanumeric())
        }
        None => false,
    }
}

/// The `extension` (`.xxx`) to send for a file of this MIME type: the usual one for the types
/// the engine recognises, `.bin` otherwise.
pub fn extension_for(filetype: &str) -> &'static str {
    match filetype.trim().to_ascii_lowercase().as_str() {
        "video/quicktime" => ".mov",
        "video/mp4" => ".mp4",
        "application/mxf" => ".mxf",
        "video/x-msvideo" => ".avi",
        "video/x-matroska" => ".mkv",
        "video/webm" => ".webm",
        "video/x-braw" => ".braw",
        "video/x-r3d" => ".r3d",
        "audio/wav" => ".wav",
        "audio/aiff" => ".aif",
        "audio/mpeg" => ".mp3",
        "audio/mp4" => ".m4a",
        "audio/flac" => ".flac",
        "image/jpeg" => ".jpg",
        "image/png" => ".png",
        "image/heic" => ".heic",
        "image/tiff" => ".tif",
        "image/x-adobe-dng" => ".dng",
        "image/x-fujifilm-raf" => ".raf",
        "image/x-sony-arw" => ".arw",
        "image/x-canon-cr3" => ".cr3",
        "application/pdf" => ".pdf",
        "text/plain" => ".txt",
        "text/csv" => ".csv",
        "application/xml" => ".xml",
        "application/json" => ".json",
        _ => ".bin",
    }
}

/// The naming fields of a real-time asset: its creation request and its final part request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RealtimeNaming {
    /// `name` in the creation request; `None`: leave `name` out.
    pub name: Option<String>,
    /// `extension` in the creation request (only when `name` is left out).
    pub extension: Option<&'static str>,
    /// `asset_name` with the final part: the file's name, which replaces the default
    /// `[new file].xxx` name the server gives an asset created with `extension` only.
    pub final_asset_name: String,
}

/// What to send for a real-time asset called `name` of type `filetype`.
pub fn realtime_naming(name: &str, filetype: &str) -> RealtimeNaming {
    if has_extension(name) {
        RealtimeNaming {
            name: Some(name.to_string()),
            extension: None,
            final_asset_name: name.to_string(),
        }
    } else {
        RealtimeNaming {
            name: None,
            extension: Some(extension_for(filetype)),
            final_asset_name: name.to_string(),
        }
    }
}

/// The MIME type the engine sends for `name` (re-exported for callers that only have a name).
pub fn filetype_for(name: &str) -> &'static str {
    mime_for(std::path::Path::new(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_frame_io_accepts() {
        assert_eq!(check_size(0), Err(Unsendable::Empty));
        assert_eq!(check_size(1), Ok(()));
        assert_eq!(check_size(MAX_ASSET_SIZE), Ok(()));
        assert_eq!(check_size(MAX_ASSET_SIZE + 1), Err(Unsendable::TooLarge));
        assert!(Unsendable::Empty.to_string().contains("empty"));
    }

    #[test]
    fn extensions_as_a_real_time_name_needs_them() {
        for yes in [
            "A001_C002.mov",
            "clip.MP4",
            "a.b.wav",
            "x.r3d",
            "long.abcdefghijklmnop",
        ] {
            assert!(has_extension(yes), "{yes}");
        }
        for no in [
            "CLIP",
            "CLIP.",
            ".hidden",
            " .mov",
            "a.b c",
            "clip.abcdefghijklmnopq",
            "clip.mo-v",
            "",
        ] {
            assert!(!has_extension(no), "{no:?}");
        }
    }

    #[test]
    fn a_name_without_extension_is_sent_as_extension_then_named_with_the_final_part() {
        assert_eq!(
            realtime_naming("A001.mov", "video/quicktime"),
            RealtimeNaming {
                name: Some("A001.mov".into()),
                extension: None,
                final_asset_name: "A001.mov".into(),
            }
        );
        assert_eq!(
            realtime_naming("CLIP", "video/quicktime"),
            RealtimeNaming {
                name: None,
                extension: Some(".mov"),
                final_asset_name: "CLIP".into(),
            }
        );
        assert_eq!(
            realtime_naming("TAKE 3.", "application/octet-stream").extension,
            Some(".bin")
        );
    }

    #[test]
    fn every_type_the_engine_recognises_has_its_extension_and_back() {
        for ext in [
            "mov", "mp4", "mxf", "avi", "mkv", "webm", "braw", "r3d", "wav", "aif", "mp3", "m4a",
            "flac", "jpg", "png", "heic", "tif", "dng", "raf", "arw", "cr3", "pdf", "txt", "csv",
            "xml", "json",
        ] {
            let mime = filetype_for(&format!("x.{ext}"));
            let back = extension_for(mime);
            assert!(has_extension(&format!("x{back}")), "{ext}");
            assert_eq!(
                filetype_for(&format!("x{back}")),
                mime,
                "{ext} -> {mime} -> {back}"
            );
        }
        assert_eq!(extension_for("application/x-unknown"), ".bin");
        assert_eq!(filetype_for("NOEXT"), "application/octet-stream");
    }
}
