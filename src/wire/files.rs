//! Uploaded files, pastes and link previews as the API shows them.

use serde::Serialize;

/// An uploaded file (or paste). `url` works for anyone who has it, logged in or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct File {
    /// The public id: 128 random bits, base64url.
    pub id: String,
    pub name: String,
    /// Bytes.
    pub size: u64,
    /// What it is served as (`application/octet-stream` files are downloaded).
    pub content_type: String,
    /// RFC 3339, UTC.
    pub created: String,
    /// The link to share, absolute (`CONVOS_REQUEST_BASE` or the request's origin).
    pub url: String,
    /// The page showing it with line numbers (plain text only: pastes).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub paste_url: Option<String>,
    /// A small image of it (images only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub thumbnail_url: Option<String>,
}

/// `GET /api/files`: the user's files, newest first, and their limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct FileList {
    pub files: Vec<File>,
    /// Bytes all of the user's files take.
    pub used: u64,
    /// Bytes they may take.
    pub quota: u64,
    /// Bytes one file may have.
    pub max_file_size: u64,
}

/// `GET /api/preview?url=`: what a link in a message is. All text is plain text (shown as
/// such); `image_url` and `video_url` point at the daemon's proxy, never at the remote
/// server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct LinkPreview {
    pub url: String,
    /// `"page"` (title, description, image), `"image"` (the link is an image), `"video"`
    /// (the link is a video browsers play, at most 64 MiB) or `"none"` (nothing to show:
    /// no metadata, not reachable, refused, previews off).
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub site_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub image_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub video_url: Option<String>,
}
