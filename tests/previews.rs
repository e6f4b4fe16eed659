//! Link previews through the running daemon, against a local web server it is allowed to
//! reach (`--fetch-allow 127.0.0.1:PORT`, as the hardening tests allow loopback) and a
//! "secret" internal server it must never reach, by redirect, by name or by image link.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use common::browser::Browser;
use common::Daemon;

#[derive(Clone, Default)]
struct Hits(Arc<AtomicUsize>);

impl Hits {
    fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// The bytes of the test "video" (only its type and ranges matter here).
fn clip() -> Vec<u8> {
    (0..100_000u32).map(|i| (i % 251) as u8).collect()
}

/// A media server's answer: the whole clip, or the `bytes=N-` range asked for.
fn ranged(ctype: &'static str, headers: &axum::http::HeaderMap) -> Response {
    let all = clip();
    let start = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes="))
        .and_then(|v| v.strip_suffix('-'))
        .and_then(|v| v.parse::<usize>().ok());
    let b = Response::builder()
        .header(header::CONTENT_TYPE, ctype)
        .header(header::ACCEPT_RANGES, "bytes");
    match start {
        Some(n) if n < all.len() => b
            .status(206)
            .header(
                header::CONTENT_RANGE,
                format!("bytes {n}-{}/{}", all.len() - 1, all.len()),
            )
            .body(Body::from(all[n..].to_vec())),
        _ => b.body(Body::from(all)),
    }
    .expect("response")
}

/// A tiny red PNG.
fn png() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(4, 4, image::Rgb([200, 0, 0]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

async fn serve(router: Router) -> u16 {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = l.local_addr().expect("addr").port();
    tokio::spawn(async move {
        let _ = axum::serve(l, router).await;
    });
    port
}

struct Setup {
    d: Daemon,
    good: u16,
    secret: u16,
    secret_hits: Hits,
    counted: Hits,
}

async fn setup() -> Setup {
    let secret_hits = Hits::default();
    let secret = serve(
        Router::new()
            .fallback(|State(h): State<Hits>| async move {
                h.0.fetch_add(1, Ordering::SeqCst);
                ([(header::CONTENT_TYPE, "image/png")], png())
            })
            .with_state(secret_hits.clone()),
    )
    .await;
    let counted = Hits::default();
    let html = |s: String| ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], s);
    let good = serve(
        Router::new()
            .route(
                "/page",
                get(move || async move {
                    html(
                        r#"<html><head><title>ignored</title>
                        <meta property="og:title" content="<b>Hi</b> &amp; <script>alert(1)</script>">
                        <meta property="og:description" content="A page   about
                          things">
                        <meta property="og:site_name" content="Good">
                        <meta property="og:image" content="/red.png"></head></html>"#
                            .to_string(),
                    )
                }),
            )
            .route(
                "/video",
                get(move || async move {
                    html(r#"<title>Video</title><link rel="alternate" type="application/json+oembed" href="/oembed.json?v=1">"#.to_string())
                }),
            )
            .route(
                "/oembed.json",
                get(|| async {
                    (
                        [(header::CONTENT_TYPE, "application/json")],
                        r#"{"type":"video","title":"ignored","provider_name":"Tube <b>TV</b>","author_name":"Ann","thumbnail_url":"/red.png"}"#,
                    )
                }),
            )
            .route(
                "/red.png",
                get(|| async { ([(header::CONTENT_TYPE, "image/png")], png()) }),
            )
            .route(
                "/clip.webm",
                get(|h: axum::http::HeaderMap| async move { ranged("video/webm", &h) }),
            )
            .route(
                "/turncoat.webm",
                get(move |h: axum::http::HeaderMap| async move {
                    // A video when previewed, then a redirect inward when played.
                    static PREVIEWED: std::sync::atomic::AtomicBool =
                        std::sync::atomic::AtomicBool::new(false);
                    if PREVIEWED.swap(true, Ordering::SeqCst) {
                        Redirect::temporary(&format!("http://127.0.0.1:{secret}/clip.webm"))
                            .into_response()
                    } else {
                        ranged("video/webm", &h)
                    }
                }),
            )
            .route(
                "/clip.mkv",
                get(|h: axum::http::HeaderMap| async move { ranged("video/x-matroska", &h) }),
            )
            .route(
                "/svg",
                get(|| async {
                    (
                        [(header::CONTENT_TYPE, "image/svg+xml")],
                        "<svg onload='alert(1)'/>",
                    )
                }),
            )
            .route(
                "/counted",
                get(move |State(h): State<Hits>| async move {
                    h.0.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    html("<title>Counted</title>".to_string())
                }),
            )
            .route(
                "/to-secret",
                get(move || async move {
                    Redirect::temporary(&format!("http://127.0.0.1:{secret}/secret"))
                }),
            )
            .route(
                "/secret-image",
                get(move || async move {
                    html(format!(
                        r#"<meta property="og:title" content="x"><meta property="og:image" content="http://localhost:{secret}/secret.png">"#
                    ))
                }),
            )
            .route(
                "/big",
                get(|| async {
                    let chunk = bytes::Bytes::from(vec![b'a'; 1 << 20]);
                    let s = futures_util::stream::iter(
                        (0..50).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
                    );
                    Response::builder()
                        .header(header::CONTENT_TYPE, "text/html")
                        .body(Body::from_stream(s))
                        .expect("response")
                }),
            )
            .with_state(counted.clone()),
    )
    .await;
    let allow = format!("127.0.0.1:{good}");
    let d = Daemon::start(&["--open-to-public", "1", "--fetch-allow", &allow]).await;
    Setup {
        d,
        good,
        secret,
        secret_hits,
        counted,
    }
}

fn preview_path(url: &str) -> String {
    format!(
        "/api/preview?url={}",
        percent_encoding::utf8_percent_encode(url, percent_encoding::NON_ALPHANUMERIC)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn previews_are_text_and_images_come_through_the_signed_proxy() {
    let s = setup().await;
    let b = Browser::register(&s.d, "a@example.com").await;
    let page = format!("http://127.0.0.1:{}/page", s.good);
    let (st, p) = b.get(&preview_path(&page)).await;
    assert_eq!(st, 200, "{p}");
    assert_eq!(p["kind"], "page");
    assert_eq!(
        p["title"], "<b>Hi</b> & <script>alert(1)</script>",
        "as text"
    );
    assert_eq!(p["description"], "A page about things");
    assert_eq!(p["site_name"], "Good");
    let img = p["image_url"].as_str().expect("image").to_string();
    assert!(img.starts_with("/api/preview/image?url="), "{img}");
    let r = b.http.get(s.d.url(&img)).send().await.expect("GET");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert!(r.headers()["content-security-policy"]
        .to_str()
        .unwrap_or_default()
        .starts_with("sandbox"));
    assert_eq!(r.bytes().await.expect("body"), png());

    // oEmbed fills in what a page's tags lack.
    let (st, p) = b
        .get(&preview_path(&format!("http://127.0.0.1:{}/video", s.good)))
        .await;
    assert_eq!(st, 200, "{p}");
    assert_eq!(p["title"], "Video");
    assert_eq!(p["site_name"], "Tube <b>TV</b>");
    assert_eq!(p["description"], "by Ann");
    assert!(
        p["image_url"]
            .as_str()
            .is_some_and(|u| u.contains("red%2Epng")),
        "{p}"
    );

    // A tampered signature, another URL with this signature, no session: refused.
    let bad = img.replace("sig=", "sig=x");
    let r = b.http.get(s.d.url(&bad)).send().await.expect("GET");
    assert_eq!(r.status(), 403);
    let other = img.replace("red%2Epng", "svg");
    assert_ne!(other, img);
    let r = b.http.get(s.d.url(&other)).send().await.expect("GET");
    assert_eq!(r.status(), 403);
    let anon = reqwest::Client::new();
    for path in [img.clone(), preview_path(&page)] {
        let r = anon.get(s.d.url(&path)).send().await.expect("GET");
        assert_eq!(r.status(), 401, "{path}");
    }

    // A direct image link is an image preview; SVG is not shown at all.
    let (st, p) = b
        .get(&preview_path(&format!(
            "http://127.0.0.1:{}/red.png",
            s.good
        )))
        .await;
    assert_eq!((st, p["kind"].as_str()), (200, Some("image")), "{p}");
    let (_, p) = b
        .get(&preview_path(&format!("http://127.0.0.1:{}/svg", s.good)))
        .await;
    let r = b
        .http
        .get(s.d.url(p["image_url"].as_str().expect("proxied")))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), 404, "an SVG is never proxied");
    let (st, _) = b.get(&preview_path("javascript:alert(1)")).await;
    assert_eq!(st, 400);

    // The signing key is kept: image links the browser has still work after a restart;
    // and previews are kept on disk: one fetched before is not fetched again.
    let counted = preview_path(&format!("http://127.0.0.1:{}/counted", s.good));
    assert_eq!(b.get(&counted).await.0, 200);
    assert_eq!(s.counted.get(), 1);
    let base = s.d.base.clone();
    let home = s.d.stop_keep_home().await;
    let allow = format!("127.0.0.1:{}", s.good);
    let d = Daemon::start_in(
        home,
        &[
            "--listen",
            &base,
            "--open-to-public",
            "1",
            "--fetch-allow",
            &allow,
        ],
    );
    common::wait_for_url(&reqwest::Client::new(), &format!("{base}/healthz")).await;
    let r = b
        .http
        .get(format!("{base}{img}"))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), 200, "a signed image link after a restart");
    let r = b
        .http
        .get(format!("{base}{counted}"))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), 200);
    let p: serde_json::Value = r.json().await.expect("json");
    assert_eq!(p["title"], "Counted");
    assert_eq!(s.counted.get(), 1, "from the disk, not fetched again");
    d.stop().await;
}

/// A direct video link plays inline through the daemon: signed, streamed, ranges passed
/// on, only formats browsers play.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn video_links_play_through_the_signed_proxy_with_ranges() {
    let s = setup().await;
    let b = Browser::register(&s.d, "v@example.com").await;
    let (st, p) = b
        .get(&preview_path(&format!(
            "http://127.0.0.1:{}/clip.webm",
            s.good
        )))
        .await;
    assert_eq!((st, p["kind"].as_str()), (200, Some("video")), "{p}");
    assert!(p.get("image_url").is_none(), "{p}");
    let video = p["video_url"].as_str().expect("proxied").to_string();
    assert!(video.starts_with("/api/preview/video?url="), "{video}");

    let r = b.http.get(s.d.url(&video)).send().await.expect("GET");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "video/webm");
    assert_eq!(r.headers()["accept-ranges"], "bytes");
    assert!(r.headers()["content-security-policy"]
        .to_str()
        .unwrap_or_default()
        .starts_with("sandbox"));
    assert_eq!(r.bytes().await.expect("body"), clip());

    // A browser seeking asks for a range: it is passed on, and so is the answer's.
    let r = b
        .http
        .get(s.d.url(&video))
        .header("range", "bytes=99000-")
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-range"], "bytes 99000-99999/100000");
    assert_eq!(r.bytes().await.expect("body"), clip()[99_000..]);
    // A range that is not a plain one is not passed on: the whole clip.
    let r = b
        .http
        .get(s.d.url(&video))
        .header("range", "bytes=0-1,5-6")
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), 200);

    // Not signed by us, another URL under this signature, no session: refused.
    let r = b
        .http
        .get(s.d.url(&video.replace("sig=", "sig=x")))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), 403);
    let other = video.replace("clip%2Ewebm", "clip%2Emkv");
    assert_ne!(other, video);
    let r = b.http.get(s.d.url(&other)).send().await.expect("GET");
    assert_eq!(r.status(), 403);
    let r = reqwest::Client::new()
        .get(s.d.url(&video))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), 401);

    // The proxy's own fetch passes the address policy: a link that turns into a
    // redirect to an internal server once previewed is refused, never fetched there.
    let (_, p) = b
        .get(&preview_path(&format!(
            "http://127.0.0.1:{}/turncoat.webm",
            s.good
        )))
        .await;
    let turncoat = p["video_url"].as_str().expect("proxied").to_string();
    let r = b.http.get(s.d.url(&turncoat)).send().await.expect("GET");
    assert_eq!(r.status(), 404);
    assert_eq!(s.secret_hits.get(), 0, "the internal server was reached");

    // A format browsers do not play is not shown.
    let (st, p) = b
        .get(&preview_path(&format!(
            "http://127.0.0.1:{}/clip.mkv",
            s.good
        )))
        .await;
    assert_eq!((st, p["kind"].as_str()), (200, Some("none")), "{p}");
    s.d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_fetch_per_url_for_all_users_and_none_to_internal_addresses() {
    let s = setup().await;
    let a = Browser::register(&s.d, "a@example.com").await;
    let b = Browser::register(&s.d, "b@example.com").await;
    let counted = preview_path(&format!("http://127.0.0.1:{}/counted", s.good));
    let (ra, rb) = tokio::join!(a.get(&counted), b.get(&counted));
    assert_eq!((ra.0, rb.0), (200, 200));
    assert_eq!(ra.1["title"], "Counted");
    let (st, _) = a.get(&counted).await;
    assert_eq!(st, 200);
    assert_eq!(s.counted.get(), 1, "fetched once for everyone");

    for url in [
        format!("http://127.0.0.1:{}/to-secret", s.good),
        format!("http://127.0.0.1:{}/secret", s.secret),
        format!("http://localhost:{}/secret", s.secret),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        s.d.url("/api/user"),
        format!("http://127.0.0.1:{}/big", s.good),
    ] {
        let (st, body) = a.get(&preview_path(&url)).await;
        assert_eq!(
            (st, body["kind"].as_str()),
            (200, Some("none")),
            "{url}: {body}"
        );
    }
    // An og:image on an internal address is signed like any other, and still not fetched.
    let (st, p) = a
        .get(&preview_path(&format!(
            "http://127.0.0.1:{}/secret-image",
            s.good
        )))
        .await;
    assert_eq!(st, 200, "{p}");
    let r = a
        .http
        .get(s.d.url(p["image_url"].as_str().expect("image")))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), 404);
    assert_eq!(s.secret_hits.get(), 0, "the internal server was reached");
    s.d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn previews_can_be_turned_off() {
    let d = Daemon::start(&["--link-previews", "0"]).await;
    let a = Browser::register(&d, "a@example.com").await;
    let (st, body) = a.get(&preview_path("https://example.com/")).await;
    assert_eq!((st, body["kind"].as_str()), (200, Some("none")), "{body}");
    assert!(body.get("title").is_none());
    d.stop().await;
}
