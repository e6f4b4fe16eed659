//! Behind a real nginx (Debian's) with TLS at a sub-path, as the README recipe sets it up:
//! the page and its assets under `/chat/`, register and log in through the API, the
//! WebSocket over `wss://`, Secure cookies and HSTS from `X-Forwarded-Proto`; and sign-in by
//! the proxy's header (`--auth-header`), believed only from the configured proxy address.
//! The same through a real Caddy (Debian's) with the README's Caddyfile.

mod common;

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use common::caddy::{self, Caddy};
use common::nginx::{self, Nginx};
use common::Daemon;

const PW: &str = "correct horse battery";

fn https_client(ngx: &Nginx, cookies: bool) -> reqwest::Client {
    trusting(&ngx.cert_pem, cookies)
}

/// An https client that trusts only the proxy's certificate `pem`.
fn trusting(pem: &str, cookies: bool) -> reqwest::Client {
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).expect("pem"))
        .tls_built_in_root_certs(false)
        .cookie_store(cookies)
        .build()
        .expect("client")
}

/// A `wss://` WebSocket through nginx, trusting its certificate.
async fn wss(
    ngx: &Nginx,
    path: &str,
    cookie: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
    wss_to(ngx.port, &ngx.cert_der, path, cookie).await
}

/// A `wss://` WebSocket to a proxy on 127.0.0.1:`port` whose certificate is `cert_der`.
async fn wss_to(
    port: u16,
    cert_der: &[u8],
    path: &str,
    cookie: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
    use tokio_rustls::rustls;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(cert_der.to_vec()))
        .expect("root");
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    let mut req = format!("wss://127.0.0.1:{port}{path}")
        .into_client_request()
        .expect("request");
    req.headers_mut()
        .insert("cookie", cookie.parse().expect("cookie"));
    req.headers_mut().insert(
        "origin",
        format!("https://127.0.0.1:{port}").parse().expect("origin"),
    );
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").expect("name");
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .expect("tls");
    let (ws, _) = tokio_tungstenite::client_async(req, tls)
        .await
        .expect("wss through nginx");
    ws
}

#[tokio::test]
async fn the_app_works_behind_nginx_at_a_sub_path() {
    let Some(bin) = nginx::binary() else { return };
    let d = Daemon::start(&[
        "--reverse-proxy",
        "1",
        "--auth-header",
        "X-Remote-User",
        "--trusted-proxies",
        "127.0.0.2",
    ])
    .await;
    let upstream: u16 = d
        .base
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    let ngx = Nginx::start(&bin, upstream, "carol@example.com");
    let web = https_client(&ngx, true);

    // The page, from /chat (redirected) with its assets under the prefix.
    let r = web.get(ngx.url("/chat")).send().await.expect("GET /chat");
    assert_eq!(r.status(), 200, "{}", ngx.error_log());
    assert_eq!(r.url().path(), "/chat/");
    let html = r.text().await.expect("html");
    assert!(html.contains("<base href=\"/chat/\""), "{html}");
    let script = html
        .split("src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("script src");
    assert!(script.starts_with("/chat/assets/"), "{script}");
    let r = web.get(ngx.url(script)).send().await.expect("asset");
    assert_eq!(r.status(), 200);
    assert!(
        html.contains("href=\"/chat/manifest.webmanifest\""),
        "{html}"
    );
    // The installable app lives under the prefix too: manifest, icons, service worker.
    let m: serde_json::Value = web
        .get(ngx.url("/chat/manifest.webmanifest"))
        .send()
        .await
        .expect("manifest")
        .json()
        .await
        .expect("manifest json");
    assert_eq!(
        (m["start_url"].as_str(), m["scope"].as_str()),
        (Some("/chat/"), Some("/chat/"))
    );
    let icon = m["icons"][0]["src"].as_str().expect("icon");
    assert!(icon.starts_with("/chat/icons/"), "{icon}");
    let r = web.get(ngx.url(icon)).send().await.expect("icon");
    assert_eq!(r.status(), 200);
    let sw = web.get(ngx.url("/chat/sw.js")).send().await.expect("sw");
    assert_eq!(sw.status(), 200);
    let sw = sw.text().await.expect("sw text");
    assert!(
        sw.starts_with("self.CONVOS = {\"base\":\"/chat/\""),
        "{}",
        &sw[..80]
    );
    // A client-side route gets the same page.
    let r = web
        .get(ngx.url("/chat/settings/account"))
        .send()
        .await
        .expect("route");
    assert!(r
        .text()
        .await
        .expect("html")
        .contains("<base href=\"/chat/\""));

    // Register through the proxy: same-origin by X-Forwarded-Host/-Proto, Secure cookie, HSTS.
    let origin = format!("https://127.0.0.1:{}", ngx.port);
    let r = web
        .post(ngx.url("/chat/api/user/register"))
        .header("origin", &origin)
        .json(&json!({"email": "alice@example.com", "password": PW}))
        .send()
        .await
        .expect("register");
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("strict-transport-security"));
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(cookie.contains("; Secure"), "{cookie}");
    let session = cookie.split(';').next().expect("cookie").to_owned();
    let me: Value = web
        .get(ngx.url("/chat/api/user"))
        .send()
        .await
        .expect("user")
        .json()
        .await
        .expect("json");
    assert_eq!(me["email"], "alice@example.com");
    // Logging out and in again through the proxy.
    let r = web
        .post(ngx.url("/chat/api/user/logout"))
        .header("origin", &origin)
        .send()
        .await
        .expect("logout");
    assert_eq!(r.status(), 200);
    let r = web
        .post(ngx.url("/chat/api/user/login"))
        .header("origin", &origin)
        .json(&json!({"email": "alice@example.com", "password": PW}))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 200);
    let session_after = r.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .split(';')
        .next()
        .expect("cookie")
        .to_owned();
    assert_ne!(session, session_after);

    // The event stream over wss:// through nginx.
    let mut ws = wss(&ngx, "/chat/events", &session_after).await;
    ws.send(Message::Text(
        json!({"id": 7, "method": "ping"}).to_string().into(),
    ))
    .await
    .expect("send");
    let reply = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => {
                    let v: Value = serde_json::from_str(t.as_str()).expect("json");
                    if v["id"] == 7 {
                        return v;
                    }
                }
                Some(Ok(_)) => {}
                other => panic!("socket ended: {other:?}"),
            }
        }
    })
    .await
    .expect("reply in time");
    assert!(reply.get("errors").is_none(), "{reply}");
    drop(ws);

    // Sign-in by the proxy's header: nginx's /sso/ sets it, from 127.0.0.2.
    let sso = https_client(&ngx, false);
    let me: Value = sso
        .get(ngx.url("/sso/api/user"))
        .send()
        .await
        .expect("sso")
        .json()
        .await
        .expect("json");
    assert_eq!(me["email"], "carol@example.com", "{me}");
    assert_eq!(me["roles"], json!([]), "not the first user: no admin");
    // A client's own header is dropped by nginx on /chat/...
    let r = sso
        .get(ngx.url("/chat/api/user"))
        .header("x-remote-user", "alice@example.com")
        .send()
        .await
        .expect("forged via proxy");
    assert_eq!(r.status(), 401);
    // ...and ignored when it reaches the daemon from an address that is not the proxy's.
    let r = reqwest::Client::new()
        .get(d.url("/api/user"))
        .header("x-remote-user", "alice@example.com")
        .send()
        .await
        .expect("forged directly");
    assert_eq!(r.status(), 401);
    drop(ngx);
    d.stop().await;
}

/// The ping/pong of the event stream on `ws`.
async fn ping(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_rustls::client::TlsStream<tokio::net::TcpStream>,
    >,
) -> Value {
    ws.send(Message::Text(
        json!({"id": 9, "method": "ping"}).to_string().into(),
    ))
    .await
    .expect("send");
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => {
                    let v: Value = serde_json::from_str(t.as_str()).expect("json");
                    if v["id"] == 9 {
                        return v;
                    }
                }
                Some(Ok(_)) => {}
                other => panic!("socket ended: {other:?}"),
            }
        }
    })
    .await
    .expect("reply in time")
}

#[tokio::test]
async fn the_app_works_behind_caddy_at_a_sub_path() {
    let Some(bin) = caddy::binary() else { return };
    let d = Daemon::start(&["--reverse-proxy", "1"]).await;
    let upstream: u16 = d
        .base
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    let caddy = Caddy::start(&bin, upstream);
    let web = trusting(&caddy.cert_pem, true);

    // The page from /chat (redirected), its base and assets under the prefix.
    let r = web.get(caddy.url("/chat")).send().await.expect("GET /chat");
    assert_eq!(r.status(), 200, "{}", caddy.log());
    assert_eq!(r.url().path(), "/chat/");
    let html = r.text().await.expect("html");
    assert!(html.contains("<base href=\"/chat/\""), "{html}");
    let script = html
        .split("src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("script src");
    assert!(script.starts_with("/chat/assets/"), "{script}");
    assert_eq!(
        web.get(caddy.url(script))
            .send()
            .await
            .expect("asset")
            .status(),
        200
    );
    assert_eq!(
        web.get(caddy.url("/elsewhere"))
            .send()
            .await
            .expect("404")
            .status(),
        404
    );

    // Register: same-origin by Caddy's X-Forwarded-Host/-Proto, Secure cookie, HSTS.
    let origin = format!("https://127.0.0.1:{}", caddy.port);
    let r = web
        .post(caddy.url("/chat/api/user/register"))
        .header("origin", &origin)
        .json(&json!({"email": "alice@example.com", "password": PW}))
        .send()
        .await
        .expect("register");
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("strict-transport-security"));
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(cookie.contains("; Secure"), "{cookie}");
    let session = cookie.split(';').next().expect("cookie").to_owned();

    // Links the server makes carry the public origin and the prefix.
    let file: Value = web
        .post(caddy.url("/chat/api/files?name=note.txt"))
        .header("origin", &origin)
        .header("content-type", "text/plain")
        .body("hello through caddy")
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("json");
    let url = file["url"].as_str().expect("file url");
    assert!(url.starts_with(&format!("{origin}/chat/file/")), "{file}");
    let r = web.get(url).send().await.expect("file");
    assert_eq!(r.text().await.expect("text"), "hello through caddy");
    let invite: Value = web
        .post(caddy.url("/chat/api/user/bob%40example.com/invite"))
        .header("origin", &origin)
        .send()
        .await
        .expect("invite")
        .json()
        .await
        .expect("json");
    let link = invite["url"].as_str().expect("invite url");
    assert!(
        link.starts_with(&format!("{origin}/chat/register?")),
        "{invite}"
    );

    // The event stream over wss:// through Caddy.
    let mut ws = wss_to(caddy.port, &caddy.cert_der, "/chat/events", &session).await;
    let reply = ping(&mut ws).await;
    assert!(reply.get("errors").is_none(), "{reply}");
    drop(ws);
    drop(caddy);
    d.stop().await;
}
