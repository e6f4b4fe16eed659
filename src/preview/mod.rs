//! Link previews: what a URL in a message is (a page's title, description and image, from
//! its meta tags or the oEmbed JSON it announces, or an image itself), fetched through the guarded client [`crate::net::http`] once per URL for
//! all users and kept in a bounded cache with expiry; and the image proxy, so a browser
//! never fetches a preview image from the sender's server (which would learn the user's
//! IP address): image links are signed by the daemon and fetched by it.
//!
//! Knows no HTTP server: the web layer asks [`Previews::get`] and [`Previews::image`].

mod disk;
pub mod parse;
pub mod providers;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tokio::sync::{OnceCell, Semaphore};
use url::Url;

use crate::net::http::{self, Client, Fetch};

/// What a link is, as the API shows it (`image_url` is already the proxied, signed one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub url: String,
    /// `"page"`, `"image"` or `"video"`.
    pub kind: &'static str,
    pub title: Option<String>,
    pub description: Option<String>,
    pub site_name: Option<String>,
    /// The remote image (unsigned); the web layer turns it into a proxy link.
    pub image: Option<Url>,
    /// The remote video of a `"video"` link (unsigned, proxied like the image).
    pub video: Option<Url>,
}

/// Why there is no preview.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    #[error("not an http(s) link")]
    NotHttp,
    #[error("nothing to show")]
    Nothing,
    #[error("cannot fetch: {0}")]
    Fetch(String),
    #[error("bad signature")]
    Signature,
    #[error("not an image we show")]
    NotImage,
    #[error("too many videos playing")]
    Busy,
}

/// How many URLs are remembered, how long, and how many fetches run at once.
#[derive(Debug, Clone)]
pub struct Options {
    pub cache_entries: usize,
    pub ttl: Duration,
    /// Failures are remembered for less time.
    pub failure_ttl: Duration,
    pub concurrent: usize,
    /// Providers whose oEmbed endpoint is asked directly for their links.
    pub providers: &'static [providers::Provider],
}

impl Default for Options {
    fn default() -> Self {
        Options {
            cache_entries: 2000,
            ttl: Duration::from_secs(3600),
            failure_ttl: Duration::from_secs(600),
            concurrent: 8,
            providers: providers::KNOWN,
        }
    }
}

type Outcome = Result<Preview, Error>;

struct Entry {
    at: Instant,
    cell: Arc<OnceCell<Outcome>>,
}

/// The previews service; cheap to clone.
#[derive(Clone)]
pub struct Previews {
    client: Client,
    opts: Options,
    key: Arc<[u8; 32]>,
    cache: Arc<Mutex<HashMap<String, Entry>>>,
    /// Where previews outlive a restart (`None`: memory only).
    disk: Option<Arc<disk::Disk>>,
    fetches: Arc<Semaphore>,
    /// Videos streaming through the daemon at once.
    videos: Arc<Semaphore>,
}

impl std::fmt::Debug for Previews {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Previews")
            .field("client", &self.client)
            .finish()
    }
}

/// The most bytes of a page read for its metadata, and of an image proxied.
const MAX_PAGE: usize = 2 * 1024 * 1024;
const MAX_IMAGE: usize = 10 * 1024 * 1024;
/// The most bytes of a video played through the daemon (per request: a browser asks for
/// ranges), and how many play at once.
pub const MAX_VIDEO: usize = 64 * 1024 * 1024;
const VIDEOS: usize = 16;
/// Video formats every browser plays (the answer must say one of them).
const VIDEO_TYPES: &[&str] = &["video/mp4", "video/webm", "video/ogg"];
/// The longest URL previewed.
pub const MAX_URL: usize = 2048;

/// How an oEmbed answer is fetched: JSON, at most 256 KiB.
fn oembed_fetch() -> Fetch {
    Fetch {
        max_body: 256 * 1024,
        accept: &["application/json", "text/javascript", "text/json"],
        ..Fetch::default()
    }
}

impl Previews {
    /// Previews fetched with `client`, with a random key for image links (see
    /// [`Previews::with_key`]).
    pub fn new(client: Client, opts: Options) -> Previews {
        Previews {
            client,
            key: Arc::new(rand::random()),
            cache: Arc::default(),
            disk: None,
            fetches: Arc::new(Semaphore::new(opts.concurrent.max(1))),
            videos: Arc::new(Semaphore::new(VIDEOS)),
            opts,
        }
    }

    /// The same with `key` signing image links: a kept key keeps the links the browsers
    /// have working across restarts.
    pub fn with_key(self, key: [u8; 32]) -> Previews {
        Previews {
            key: Arc::new(key),
            ..self
        }
    }

    /// The same keeping previews in `dir` too (see `disk.rs`), for as long as in memory.
    pub fn with_disk(self, dir: &std::path::Path) -> std::io::Result<Previews> {
        let disk = disk::Disk::open(dir, self.opts.ttl)?;
        Ok(Previews {
            disk: Some(Arc::new(disk)),
            ..self
        })
    }

    /// The preview of `url`: from the cache, from a fetch already running for another
    /// user, or fetched now.
    pub async fn get(&self, url: &str) -> Outcome {
        let parsed = Url::parse(url).map_err(|_| Error::NotHttp)?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::NotHttp);
        }
        if url.len() > MAX_URL {
            return Err(Error::Nothing);
        }
        // The fragment never reaches the server: one preview for all of them.
        let mut parsed = parsed;
        parsed.set_fragment(None);
        let key = parsed.to_string();
        let cell = self.cell(&key);
        cell.get_or_init(|| self.load(&key, parsed)).await.clone()
    }

    /// From the disk when it has it, else fetched (and then kept there).
    async fn load(&self, key: &str, url: Url) -> Outcome {
        let Some(disk) = &self.disk else {
            return self.fetch(url).await;
        };
        if let Some(p) = disk.get(key).await {
            return Ok(p);
        }
        let fetched = self.fetch(url).await;
        if let Ok(p) = &fetched {
            disk.put(key, p).await;
        }
        fetched
    }

    /// The cache cell of `key`: an existing fresh one, or a new one (evicting expired and,
    /// when full, the oldest entries).
    fn cell(&self, key: &str) -> Arc<OnceCell<Outcome>> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if let Some(e) = cache.get(key) {
            let ttl = match e.cell.get() {
                Some(Err(_)) => self.opts.failure_ttl,
                _ => self.opts.ttl,
            };
            if now.duration_since(e.at) < ttl {
                return e.cell.clone();
            }
        }
        if cache.len() >= self.opts.cache_entries {
            let ttl = self.opts.failure_ttl.min(self.opts.ttl);
            cache.retain(|_, e| e.cell.get().is_none() || now.duration_since(e.at) < ttl);
            while cache.len() >= self.opts.cache_entries {
                let Some(oldest) = cache
                    .iter()
                    .min_by_key(|(_, e)| e.at)
                    .map(|(k, _)| k.clone())
                else {
                    break;
                };
                cache.remove(&oldest);
            }
        }
        let cell = Arc::new(OnceCell::new());
        cache.insert(
            key.to_string(),
            Entry {
                at: now,
                cell: cell.clone(),
            },
        );
        cell
    }

    async fn fetch(&self, url: Url) -> Outcome {
        let _permit = self.fetches.acquire().await.map_err(|_| Error::Nothing)?;
        // A well-known provider's oEmbed first; its page when that says nothing.
        if let Some(endpoint) = providers::endpoint_for(self.opts.providers, &url) {
            let mut meta = parse::Meta::default();
            match self.client.get(endpoint.as_str(), &oembed_fetch()).await {
                Ok(r) => parse::oembed(&mut meta, &r.body, &r.url),
                Err(e) => tracing::debug!(error = %e, "preview: provider oEmbed failed"),
            }
            if meta.title.is_some() {
                return Ok(Preview {
                    url: url.to_string(),
                    kind: "page",
                    title: meta.title,
                    description: meta.description,
                    site_name: meta.site_name,
                    image: meta.image,
                    video: None,
                });
            }
        }
        let fetch = Fetch {
            max_body: MAX_PAGE,
            accept: &["text/html", "application/xhtml+xml", "image/", "video/"],
            skip_body: &["image/", "video/"],
            ..Fetch::default()
        };
        let res = self.client.get(url.as_str(), &fetch).await.map_err(|e| {
            tracing::debug!(error = %e, %url, "preview: fetch failed");
            Error::Fetch(short(&e))
        })?;
        if res.content_type.starts_with("image/") {
            return Ok(Preview {
                url: url.to_string(),
                kind: "image",
                title: None,
                description: None,
                site_name: None,
                image: Some(res.url),
                video: None,
            });
        }
        if res.content_type.starts_with("video/") {
            // Shown inline only when a browser plays it and it fits.
            if !VIDEO_TYPES.contains(&res.content_type.as_str())
                || res.length.is_some_and(|n| n > MAX_VIDEO as u64)
            {
                return Err(Error::Nothing);
            }
            return Ok(Preview {
                url: url.to_string(),
                kind: "video",
                title: None,
                description: None,
                site_name: None,
                image: None,
                video: Some(res.url),
            });
        }
        let html = String::from_utf8_lossy(&res.body);
        let mut meta = parse::parse(&html, &res.url);
        if let Some(oembed) = meta
            .oembed
            .clone()
            .filter(|_| meta.image.is_none() || meta.title.is_none())
        {
            match self.client.get(oembed.as_str(), &oembed_fetch()).await {
                Ok(r) => parse::oembed(&mut meta, &r.body, &r.url),
                Err(e) => tracing::debug!(error = %e, "preview: oEmbed fetch failed"),
            }
        }
        if meta.title.is_none() && meta.image.is_none() {
            return Err(Error::Nothing);
        }
        Ok(Preview {
            url: url.to_string(),
            kind: "page",
            title: meta.title,
            description: meta.description,
            site_name: meta.site_name,
            image: meta.image,
            video: None,
        })
    }

    /// The signature of an image URL for the proxy (base64url HMAC-SHA256).
    pub fn sign(&self, url: &str) -> String {
        use base64::Engine as _;
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key[..])
            .expect("HMAC takes keys of any length");
        mac.update(url.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// Whether `sig` is our signature of `url`.
    fn verify(&self, url: &str, sig: &str) -> Result<(), Error> {
        use base64::Engine as _;
        let given = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| Error::Signature)?;
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key[..])
            .expect("HMAC takes keys of any length");
        mac.update(url.as_bytes());
        mac.verify_slice(&given).map_err(|_| Error::Signature)
    }

    /// The video at `url` when `sig` is ours, streamed (with `range` passed on): only the
    /// formats of [`VIDEO_TYPES`], at most [`MAX_VIDEO`] bytes per request, at most
    /// [`VIDEOS`] at once ([`Error::Busy`] beyond).
    pub async fn video(
        &self,
        url: &str,
        sig: &str,
        range: Option<&axum::http::HeaderValue>,
    ) -> Result<http::Streamed, Error> {
        use futures_util::StreamExt as _;
        self.verify(url, sig)?;
        let permit = self
            .videos
            .clone()
            .try_acquire_owned()
            .map_err(|_| Error::Busy)?;
        let fetch = Fetch {
            timeout: Duration::from_secs(15),
            max_body: MAX_VIDEO,
            accept: VIDEO_TYPES,
            ..Fetch::default()
        };
        let mut res = self
            .client
            .stream(url, &fetch, range)
            .await
            .map_err(|e| Error::Fetch(short(&e)))?;
        if !VIDEO_TYPES.contains(&res.content_type.as_str()) {
            return Err(Error::Fetch("not a video browsers play".into()));
        }
        // The slot is free again when the body is done or dropped.
        res.body = Box::pin(res.body.map(move |chunk| {
            let _ = &permit;
            chunk
        }));
        Ok(res)
    }

    /// The image at `url` when `sig` is ours: its content type (from its bytes) and bytes.
    pub async fn image(&self, url: &str, sig: &str) -> Result<(&'static str, Bytes), Error> {
        self.verify(url, sig)?;
        let _permit = self.fetches.acquire().await.map_err(|_| Error::Nothing)?;
        let fetch = Fetch {
            max_body: MAX_IMAGE,
            accept: &["image/"],
            ..Fetch::default()
        };
        let res = self
            .client
            .get(url, &fetch)
            .await
            .map_err(|e| Error::Fetch(short(&e)))?;
        // Served with the type its bytes have, only for formats browsers show as images
        // (never SVG: it may script).
        let ctype = match ::image::guess_format(&res.body) {
            Ok(::image::ImageFormat::Png) => "image/png",
            Ok(::image::ImageFormat::Jpeg) => "image/jpeg",
            Ok(::image::ImageFormat::Gif) => "image/gif",
            Ok(::image::ImageFormat::WebP) => "image/webp",
            _ => return Err(Error::NotImage),
        };
        Ok((ctype, res.body))
    }
}

/// A fetch failure in a few words (no addresses: they may be internal ones).
fn short(e: &http::Error) -> String {
    match e {
        http::Error::Denied(_) => "address not allowed".into(),
        http::Error::Timeout(_) => "timed out".into(),
        http::Error::TooLarge(_) => "too large".into(),
        http::Error::Status(s) => format!("status {s}"),
        http::Error::ContentType(_) => "not a page, an image or a video".into(),
        http::Error::Redirects(_) => "too many redirects".into(),
        _ => "failed".into(),
    }
}

#[cfg(test)]
mod provider_tests {
    use super::*;
    use crate::net::{Policy, Rule};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A well-known provider's link is previewed from its oEmbed endpoint alone: the page
    /// (here a consent wall without any metadata) is not even fetched.
    #[tokio::test]
    async fn a_provider_link_is_read_from_its_oembed() {
        use axum::routing::get;
        let page_hits = Arc::new(AtomicUsize::new(0));
        let hits = page_hits.clone();
        let app = axum::Router::new()
            .route(
                "/oembed",
                get(|| async {
                    axum::Json(serde_json::json!({
                        "title": "A <b>talk</b>", "provider_name": "Tube",
                        "author_name": "Ann", "thumbnail_url": "/thumb.jpg", "type": "video"
                    }))
                }),
            )
            .route(
                "/watch",
                get(move || {
                    hits.fetch_add(1, Ordering::SeqCst);
                    async { axum::response::Html("<p>Before you continue…</p>") }
                }),
            );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = l.local_addr().expect("addr").port();
        tokio::spawn(async move { axum::serve(l, app).await });
        let rules = Rule::parse_list(&format!("127.0.0.1:{port}")).expect("rule");
        let client = Client::new(Arc::new(Policy::public().allow(rules)));
        let endpoint: &'static str =
            Box::leak(format!("http://127.0.0.1:{port}/oembed").into_boxed_str());
        let providers: &'static [providers::Provider] =
            Box::leak(Box::new([providers::Provider {
                hosts: &["127.0.0.1"],
                paths: &["/watch"],
                endpoint,
            }]));
        let previews = Previews::new(
            client,
            Options {
                providers,
                ..Options::default()
            },
        );
        let p = previews
            .get(&format!("http://127.0.0.1:{port}/watch?v=1"))
            .await
            .expect("preview");
        assert_eq!(p.title.as_deref(), Some("A <b>talk</b>"), "as text");
        assert_eq!(p.site_name.as_deref(), Some("Tube"));
        assert_eq!(p.description.as_deref(), Some("by Ann"));
        assert_eq!(
            p.image.as_ref().map(Url::as_str),
            Some(format!("http://127.0.0.1:{port}/thumb.jpg").as_str())
        );
        assert_eq!(
            page_hits.load(Ordering::SeqCst),
            0,
            "the page is not fetched"
        );
    }
}
