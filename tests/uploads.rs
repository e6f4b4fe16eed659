//! Uploads through the API: links that work logged out, thumbnails upright and without
//! EXIF, documents downloaded instead of rendered, quotas, and that nobody but the
//! uploader lists or deletes a file.

mod common;

use std::io::Cursor;

use common::browser::Browser;
use common::Daemon;
use image::{DynamicImage, GenericImageView, ImageFormat, Rgb, RgbImage};
use serde_json::Value;

/// A 40×20 JPEG, left half red, right half blue, whose EXIF says "rotate 90° clockwise
/// to display" (orientation 6) and names the camera `SecretCamera`.
fn photo() -> Vec<u8> {
    let img = RgbImage::from_fn(40, 20, |x, _| {
        if x < 20 {
            Rgb([255, 0, 0])
        } else {
            Rgb([0, 0, 255])
        }
    });
    let mut jpeg = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(img)
        .write_to(&mut jpeg, ImageFormat::Jpeg)
        .expect("encode");
    let jpeg = jpeg.into_inner();
    // TIFF header (big-endian), IFD0 with Make (ASCII at offset 38) and Orientation = 6.
    let mut tiff = b"MM\0\x2a\0\0\0\x08\0\x02".to_vec();
    tiff.extend_from_slice(&[0x01, 0x0f, 0, 2, 0, 0, 0, 13, 0, 0, 0, 38]);
    tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]);
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    tiff.extend_from_slice(b"SecretCamera\0");
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let len = (app1.len() + 2) as u16;
    let mut out = jpeg[..2].to_vec(); // SOI
    out.extend_from_slice(&[0xff, 0xe1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

async fn upload(b: &Browser, d: &Daemon, name: &str, body: Vec<u8>) -> (u16, Value) {
    let r = b
        .http
        .post(d.url("/api/files"))
        .query(&[("name", name)])
        .header("origin", d.url(""))
        // A refused upload is answered before its body is read and the server then closes
        // the connection: never reuse it for the next request.
        .header("connection", "close")
        .body(body)
        .send()
        .await
        .expect("POST");
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_photo_is_shared_upright_without_exif_and_deleted_by_its_owner() {
    let d = Daemon::start(&["--open-to-public", "1"]).await;
    let owner = Browser::register(&d, "owner@example.com").await;
    let other = Browser::register(&d, "other@example.com").await;
    let anon = reqwest::Client::new();

    let photo = photo();
    assert!(contains(&photo, b"SecretCamera"));
    let (st, f) = upload(&owner, &d, "holiday.jpg", photo).await;
    assert_eq!(st, 200, "{f}");
    let id = f["id"].as_str().expect("id").to_string();
    assert_eq!(id.len(), 22, "128 random bits, base64url");
    assert_eq!(f["name"], "holiday.jpg");
    assert_eq!(f["content_type"], "image/jpeg");
    let url = f["url"].as_str().expect("url").to_string();
    assert_eq!(url, d.url(&format!("/file/{id}")));

    // Logged out, as someone on IRC opens it: upright, no EXIF left.
    let r = anon.get(&url).send().await.expect("GET");
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "image/jpeg");
    assert!(header(&r, "content-security-policy").starts_with("sandbox"));
    assert_eq!(header(&r, "x-content-type-options"), "nosniff");
    assert!(header(&r, "content-disposition").starts_with("inline"));
    let original = r.bytes().await.expect("body");
    assert!(!contains(&original, b"SecretCamera") && !contains(&original, b"Exif\0"));
    assert_eq!(
        image::load_from_memory(&original)
            .expect("jpeg")
            .dimensions(),
        (20, 40)
    );
    let r = anon
        .get(f["thumbnail_url"].as_str().expect("thumbnail"))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), 200);
    let thumb = r.bytes().await.expect("body");
    assert!(!contains(&thumb, b"SecretCamera") && !contains(&thumb, b"Exif\0"));
    let t = image::load_from_memory(&thumb)
        .expect("thumbnail")
        .to_rgb8();
    assert_eq!(t.dimensions(), (20, 40), "upright, not enlarged");
    let (top, bottom) = (
        t.get_pixel(t.width() / 2, 2),
        t.get_pixel(t.width() / 2, t.height() - 3),
    );
    assert!(top[0] > 200 && top[2] < 60, "red on top: {top:?}");
    assert!(bottom[2] > 200 && bottom[0] < 60, "blue below: {bottom:?}");

    // Only the owner lists and deletes it; anonymous clients not at all.
    let (_, mine) = owner.get("/api/files").await;
    assert_eq!(mine["files"].as_array().map(Vec::len), Some(1));
    assert_eq!(mine["used"], f["size"]);
    assert_eq!(mine["max_file_size"], 40 * 1024 * 1024);
    let (_, theirs) = other.get("/api/files").await;
    assert_eq!(theirs["files"], serde_json::json!([]));
    let (st, _) = other.delete(&format!("/api/file/{id}")).await;
    assert_eq!(st, 404);
    let r = anon.get(d.url("/api/files")).send().await.expect("GET");
    assert_eq!(r.status(), 401);
    let r = anon
        .delete(d.url(&format!("/api/file/{id}")))
        .send()
        .await
        .expect("DELETE");
    assert_eq!(r.status(), 401);
    let r = anon
        .post(d.url("/api/files?name=x.txt"))
        .body("hi")
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), 401);
    let r = owner
        .http
        .post(d.url("/api/files?name=x.txt"))
        .header("origin", "https://evil.example")
        .body("hi")
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), 403, "a cross-site upload");
    assert_eq!(anon.get(&url).send().await.expect("GET").status(), 200);

    let (st, body) = owner.delete(&format!("/api/file/{id}")).await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(anon.get(&url).send().await.expect("GET").status(), 404);
    let uploads = d.home.path().join("data/uploads");
    let left: Vec<_> = walk(&uploads);
    assert!(left.is_empty(), "bytes left behind: {left:?}");
    d.stop().await;
}

/// Files under `dir`, except the temporary directory itself.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_are_downloaded_not_rendered() {
    let d = Daemon::start(&[]).await;
    let b = Browser::register(&d, "a@example.com").await;
    let anon = reqwest::Client::new();
    for (name, body, inline, ctype) in [
        (
            "page.html",
            "<html><script>alert(document.cookie)</script></html>",
            false,
            "application/octet-stream",
        ),
        (
            "evil.svg",
            "<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"><script>alert(2)</script></svg>",
            false,
            "application/octet-stream",
        ),
        (
            "fake.png",
            "<html><script>alert(1)</script></html>",
            false,
            "application/octet-stream",
        ),
        ("notes.txt", "plain <b>text</b>", true, "text/plain; charset=utf-8"),
    ] {
        let (st, f) = upload(&b, &d, name, body.as_bytes().to_vec()).await;
        assert_eq!(st, 200, "{name}: {f}");
        assert!(f.get("thumbnail_url").is_none(), "{name}");
        let thumb = format!("{}/thumbnail", f["url"].as_str().expect("url"));
        let r = anon.get(&thumb).send().await.expect("GET");
        assert_eq!(r.status(), 204, "{name}: no thumbnail, no error");
        let r = anon
            .get(f["url"].as_str().expect("url"))
            .send()
            .await
            .expect("GET");
        assert_eq!(r.status(), 200, "{name}");
        assert_eq!(header(&r, "content-type"), ctype, "{name}");
        let disposition = header(&r, "content-disposition");
        assert_eq!(disposition.starts_with("attachment"), !inline, "{name}: {disposition}");
        assert!(header(&r, "content-security-policy").starts_with("sandbox"), "{name}");
        assert_eq!(header(&r, "x-content-type-options"), "nosniff");
        assert_eq!(r.text().await.expect("body"), body, "served as uploaded");
    }
    // Ids that are not ours never reach the store.
    for path in [
        "/file/..%2F..%2Fconvos.db",
        "/file/x",
        "/file/AAAAAAAAAAAAAAAAAAAAAA",
    ] {
        let r = anon.get(d.url(path)).send().await.expect("GET");
        assert_eq!(r.status(), 404, "{path}");
    }
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn size_and_quota_limits_answer_clearly_and_store_nothing() {
    let d = Daemon::start(&["--max-upload-size", "2MB", "--upload-quota", "3MB"]).await;
    let b = Browser::register(&d, "a@example.com").await;
    // Above the API's 1 MiB body limit, within the upload limit.
    let (st, f) = upload(&b, &d, "big.bin", vec![7u8; 1536 * 1024]).await;
    assert_eq!(st, 200, "{f}");
    let (st, e) = upload(&b, &d, "huge.bin", vec![1u8; 2 * 1024 * 1024 + 1]).await;
    assert_eq!(st, 413, "{e}");
    assert_eq!(
        e["errors"][0]["message"],
        "The file is larger than 2 MB (the most one upload may be)."
    );
    // Without a Content-Length (chunked): cut at the limit all the same.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..40).map(|_| Ok(vec![2u8; 64 * 1024])).collect();
    let r = b
        .http
        .post(d.url("/api/files?name=stream.bin"))
        .header("origin", d.url(""))
        .header("connection", "close")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), 413);
    let (st, e) = upload(&b, &d, "second.bin", vec![8u8; 1536 * 1024]).await;
    assert_eq!(st, 200, "{e}");
    let (st, e) = upload(&b, &d, "third.bin", vec![9u8; 100 * 1024]).await;
    assert_eq!(st, 413, "{e}");
    let msg = e["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        msg.starts_with("Your files would take more than your quota of 3 MB (3 MB used)."),
        "{msg}"
    );
    let (st, e) = upload(&b, &d, "empty.txt", Vec::new()).await;
    assert_eq!(
        (st, e["errors"][0]["message"].as_str()),
        (400, Some("The file is empty."))
    );
    let (_, list) = b.get("/api/files").await;
    assert_eq!(list["files"].as_array().map(Vec::len), Some(2));
    assert_eq!(list["used"], 3 * 1024 * 1024);
    // Nothing of the refused uploads is left on disk: two blobs, no temporary files.
    let left = walk(&d.home.path().join("data/uploads"));
    assert_eq!(left.len(), 2, "{left:?}");
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paste_page_shows_numbered_lines_as_text() {
    let d = Daemon::start(&[]).await;
    let b = Browser::register(&d, "a@example.com").await;
    let text = "fn main() {\n    println!(\"<script>alert(1)</script>\");\n}\n";
    let (st, f) = upload(&b, &d, "paste.txt", text.as_bytes().to_vec()).await;
    assert_eq!(st, 200, "{f}");
    let id = f["id"].as_str().expect("id");
    let page = f["paste_url"].as_str().expect("a paste link for text");
    assert_eq!(page, d.url(&format!("/paste/{id}")));
    let r = reqwest::get(page).await.expect("GET");
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "text/html; charset=utf-8");
    let csp = header(&r, "content-security-policy").to_string();
    assert!(
        csp.starts_with("sandbox;") && !csp.contains("allow-scripts"),
        "{csp}"
    );
    let html = r.text().await.expect("body");
    assert_eq!(html.matches("<li>").count(), 3, "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script"), "{html}");
    assert!(html.contains(&format!("href=\"../file/{id}\"")));
    // Only text has a paste page.
    let (_, img) = upload(&b, &d, "a.bin", vec![0u8, 1, 2, 255]).await;
    assert!(img.get("paste_url").is_none());
    let r = reqwest::get(d.url(&format!("/paste/{}", img["id"].as_str().expect("id"))))
        .await
        .expect("GET");
    assert_eq!(r.status(), 404);
    d.stop().await;
}
