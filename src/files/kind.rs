//! What an upload is and how it may be served from our origin. The rule that matters:
//! nothing a user uploads is ever rendered as a document by a browser on our origin (no
//! HTML, no SVG with script). Only images, video, audio and plain text are shown inline;
//! everything else is served as `application/octet-stream` and `attachment`, and every
//! file gets `Content-Security-Policy: sandbox` and `nosniff` (the web layer adds those).

/// Content types shown inline (images only when their bytes say so, see [`detect`]).
const INLINE: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "video/mp4",
    "video/webm",
    "video/ogg",
    "audio/mpeg",
    "audio/ogg",
    "audio/wav",
    "audio/webm",
    "audio/flac",
    "audio/mp4",
    "text/plain",
];

/// The content type to record: images by their bytes (a `.png` that is HTML is not an
/// image), the rest by the name's extension, text when the bytes are UTF-8 text.
pub fn detect(name: &str, head: &[u8]) -> String {
    if let Ok(format) = ::image::guess_format(head) {
        let t = format.to_mime_type();
        if INLINE.contains(&t) {
            return t.to_string();
        }
    }
    let by_name = mime_guess::from_path(name)
        .first_raw()
        .unwrap_or("application/octet-stream");
    if by_name.starts_with("image/") && by_name != "image/svg+xml" {
        // Says image, is not one we recognised: not shown inline.
        return "application/octet-stream".into();
    }
    // Source code, logs, `.txt`, files without an extension: plain text when the bytes
    // are text. HTML stays what it is, so it is downloaded, not shown.
    let texty = by_name == "application/octet-stream"
        || (by_name.starts_with("text/") && by_name != "text/html");
    if texty {
        let utf8 = std::str::from_utf8(head).map_or_else(|e| e.error_len().is_none(), |_| true);
        return if utf8 && !head.contains(&0) {
            "text/plain".into()
        } else {
            "application/octet-stream".into()
        };
    }
    by_name.to_string()
}

/// Whether the image crate decodes it (a thumbnail can be made).
pub fn is_decodable_image(content_type: &str) -> bool {
    matches!(
        content_type,
        "image/png" | "image/jpeg" | "image/gif" | "image/webp"
    )
}

/// How to serve a file of `content_type`: the `Content-Type` header and whether it is
/// shown inline (else `Content-Disposition: attachment`).
pub fn serving(content_type: &str) -> (&'static str, bool) {
    match INLINE.iter().find(|t| **t == content_type) {
        Some(&"text/plain") => ("text/plain; charset=utf-8", true),
        Some(t) => (t, true),
        None => ("application/octet-stream", false),
    }
}

/// A file name safe to store and to put in a header: the last path component, without
/// control characters, at most 200 characters; `"file"` when nothing is left.
pub fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(200)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        "file".into()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn documents_are_never_inline() {
        for (name, head, stored, served) in [
            ("a.png", PNG, "image/png", ("image/png", true)),
            (
                "a.png",
                &b"<html><script>x</script>"[..],
                "application/octet-stream",
                ("application/octet-stream", false),
            ),
            (
                "a.html",
                &b"<html><script>x</script>"[..],
                "text/html",
                ("application/octet-stream", false),
            ),
            (
                "a.svg",
                &b"<svg onload=alert(1)>"[..],
                "image/svg+xml",
                ("application/octet-stream", false),
            ),
            (
                "notes.txt",
                &b"hello"[..],
                "text/plain",
                ("text/plain; charset=utf-8", true),
            ),
            (
                "trace",
                &b"at main.rs:1"[..],
                "text/plain",
                ("text/plain; charset=utf-8", true),
            ),
            (
                "blob",
                &b"\xff\xfe\x00bin"[..],
                "application/octet-stream",
                ("application/octet-stream", false),
            ),
            (
                "clip.mp4",
                &b"\0\0\0 ftypisom"[..],
                "video/mp4",
                ("video/mp4", true),
            ),
        ] {
            let t = detect(name, head);
            assert_eq!(t, stored, "{name}");
            assert_eq!(serving(&t), served, "{name}");
        }
    }

    #[test]
    fn names_are_cleaned() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\x\\a b.png"), "a b.png");
        assert_eq!(clean_name("a\"\r\nb.txt"), "ab.txt");
        assert_eq!(clean_name(".."), "file");
        assert_eq!(clean_name(""), "file");
        assert_eq!(clean_name(&"x".repeat(500)).len(), 200);
    }
}
