//! The guarded outbound HTTP client (`convos::net::http`) against local test servers: what
//! a hostile link can make the daemon fetch. The policy is the daemon's public one with
//! exactly the good server's port allowed (as `CONVOS_FETCH_ALLOW` would); the "secret"
//! server stands for an internal service and must never see a request.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use convos::net::http::{Client, Error, Fetch, USER_AGENT};
use convos::net::{Policy, Reason, Rule};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A tiny HTTP/1.1 server: answers each request with `respond(path, port)`, counts hits
/// and keeps the last request head.
struct Server {
    port: u16,
    hits: Arc<AtomicUsize>,
    last: Arc<Mutex<String>>,
}

type Respond = Arc<dyn Fn(&str, u16) -> Reply + Send + Sync>;

/// What to send: a whole answer, or a head and then a body written by a slow writer.
enum Reply {
    Full(Vec<u8>),
    Drip(Vec<u8>),
    Big(Vec<u8>, usize),
}

impl Server {
    async fn start(respond: Respond) -> Server {
        let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = l.local_addr().expect("addr").port();
        let hits = Arc::new(AtomicUsize::new(0));
        let last = Arc::new(Mutex::new(String::new()));
        let (h, la) = (hits.clone(), last.clone());
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                let (h, la, respond) = (h.clone(), la.clone(), respond.clone());
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16384 {
                        match s.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    h.fetch_add(1, Ordering::SeqCst);
                    let head = String::from_utf8_lossy(&head).to_string();
                    let path = head.split(' ').nth(1).unwrap_or("/").to_string();
                    *la.lock().expect("lock") = head;
                    match respond(&path, port) {
                        Reply::Full(bytes) => {
                            let _ = s.write_all(&bytes).await;
                        }
                        Reply::Drip(head) => {
                            let _ = s.write_all(&head).await;
                            // At most 60 s, one byte a tenth of a second: a slow loris.
                            for _ in 0..600 {
                                if s.write_all(b"x").await.is_err() {
                                    return;
                                }
                                tokio::time::sleep(Duration::from_millis(100)).await;
                            }
                        }
                        Reply::Big(head, total) => {
                            let _ = s.write_all(&head).await;
                            let chunk = vec![b'a'; 64 * 1024];
                            let mut sent = 0;
                            while sent < total {
                                if s.write_all(&chunk).await.is_err() {
                                    return;
                                }
                                sent += chunk.len();
                            }
                        }
                    }
                });
            }
        });
        Server { port, hits, last }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

fn ok(ctype: &str, body: &str) -> Reply {
    Reply::Full(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nSet-Cookie: s=1\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

fn redirect(to: &str) -> Reply {
    Reply::Full(
        format!("HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .into_bytes(),
    )
}

/// The "internal service": counts hits, answers a secret.
fn secret(_: &str, _: u16) -> Reply {
    ok("text/plain", "the secret")
}

/// The allowed server: pages, redirects to where it must not lead, big and slow bodies.
fn good(path: &str, port: u16, secret: u16) -> Reply {
    match path {
        "/page" => ok("text/html; charset=utf-8", "<title>hi</title>"),
        "/image" => ok("image/png", "png"),
        "/to-page" => redirect("/page"),
        "/r1" => redirect(&format!("http://127.0.0.1:{port}/r2")),
        "/r2" => redirect(&format!("http://127.0.0.1:{secret}/secret")),
        "/to-localhost" => redirect(&format!("http://localhost:{secret}/secret")),
        "/to-mapped" => redirect(&format!("http://[::ffff:127.0.0.1]:{secret}/secret")),
        "/to-decimal" => redirect(&format!("http://2130706433:{secret}/secret")),
        "/to-metadata" => redirect("http://169.254.169.254/latest/meta-data/"),
        "/to-file" => redirect("file:///etc/passwd"),
        "/to-gopher" => redirect("gopher://127.0.0.1:70/"),
        p if p.starts_with("/loop") => {
            let n: u32 = p[5..].parse().unwrap_or(0);
            redirect(&format!("/loop{}", n + 1))
        }
        "/big" => Reply::Big(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 52428800\r\n\r\n"
                .to_vec(),
            50 * 1024 * 1024,
        ),
        "/big-unannounced" => Reply::Big(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n".to_vec(),
            50 * 1024 * 1024,
        ),
        "/slow" => Reply::Drip(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n".to_vec(),
        ),
        _ => Reply::Full(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec()),
    }
}

struct Setup {
    good: Server,
    secret: Server,
    client: Client,
}

async fn setup() -> Setup {
    let secret = Server::start(Arc::new(secret)).await;
    let sp = secret.port;
    let good = Server::start(Arc::new(move |path: &str, port| good(path, port, sp))).await;
    let allow: Rule = format!("127.0.0.1:{}", good.port).parse().expect("rule");
    let client = Client::new(Arc::new(Policy::public().allow([allow])));
    Setup {
        good,
        secret,
        client,
    }
}

fn denied(r: Result<convos::net::http::Response, Error>) -> Reason {
    match r {
        Err(Error::Denied(d)) => d.reason,
        other => panic!("expected a refused address, got {other:?}"),
    }
}

#[tokio::test]
async fn the_allowed_server_is_fetched_with_a_plain_user_agent_and_no_cookies() {
    let s = setup().await;
    let f = Fetch {
        accept: &["text/html"],
        ..Fetch::default()
    };
    let r = s.client.get(&s.good.url("/page"), &f).await.expect("page");
    assert_eq!((r.status, r.content_type.as_str()), (200, "text/html"));
    assert_eq!(&r.body[..], b"<title>hi</title>");
    // A redirect within the allowed server is followed; the cookie it set is not sent.
    let r = s
        .client
        .get(&s.good.url("/to-page"), &f)
        .await
        .expect("page");
    assert_eq!(r.url.path(), "/page");
    let head = s.good.last.lock().expect("lock").to_ascii_lowercase();
    assert!(
        head.contains(&format!("user-agent: {}", USER_AGENT.to_ascii_lowercase())),
        "{head}"
    );
    assert!(!head.contains("cookie"), "{head}");
    // The content type is checked before the body is used.
    let e = s.client.get(&s.good.url("/image"), &f).await;
    assert!(
        matches!(e, Err(Error::ContentType(ref t)) if t == "image/png"),
        "{e:?}"
    );
    assert!(matches!(
        s.client.get(&s.good.url("/nothing"), &f).await,
        Err(Error::Status(404))
    ));
}

#[tokio::test]
async fn redirects_and_names_never_reach_internal_addresses() {
    let s = setup().await;
    let f = Fetch::default();
    // Straight, through a chain, by name, in other spellings of 127.0.0.1.
    assert_eq!(
        denied(s.client.get(&s.secret.url("/secret"), &f).await),
        Reason::Range("loopback")
    );
    assert_eq!(
        denied(s.client.get(&s.good.url("/r1"), &f).await),
        Reason::Range("loopback")
    );
    let by_name = format!("http://localhost:{}/secret", s.secret.port);
    assert_eq!(
        denied(s.client.get(&by_name, &f).await),
        Reason::Range("loopback")
    );
    for path in ["/to-localhost", "/to-mapped", "/to-decimal"] {
        assert_eq!(
            denied(s.client.get(&s.good.url(path), &f).await),
            Reason::Range("loopback"),
            "{path}"
        );
    }
    assert_eq!(
        denied(s.client.get(&s.good.url("/to-metadata"), &f).await),
        Reason::Range("link-local")
    );
    assert_eq!(s.secret.hits(), 0, "the secret endpoint was reached");
}

#[tokio::test]
async fn only_http_and_a_few_redirects() {
    let s = setup().await;
    let f = Fetch::default();
    for (url, scheme) in [
        (s.good.url("/to-file"), "file"),
        (s.good.url("/to-gopher"), "gopher"),
        ("ftp://127.0.0.1/".to_string(), "ftp"),
    ] {
        let r = s.client.get(&url, &f).await;
        assert!(
            matches!(r, Err(Error::Scheme(ref x)) if x == scheme),
            "{url}: {r:?}"
        );
    }
    let before = s.good.hits();
    let r = s.client.get(&s.good.url("/loop0"), &f).await;
    assert!(matches!(r, Err(Error::Redirects(5))), "{r:?}");
    assert_eq!(
        s.good.hits() - before,
        6,
        "the first request and 5 redirects"
    );
    let creds = format!("http://user:pw@127.0.0.1:{}/page", s.good.port);
    assert!(matches!(s.client.get(&creds, &f).await, Err(Error::Url(_))));
}

#[tokio::test]
async fn size_and_time_limits_hold() {
    let s = setup().await;
    let f = Fetch::default();
    for path in ["/big", "/big-unannounced"] {
        let r = s.client.get(&s.good.url(path), &f).await;
        assert!(
            matches!(r, Err(Error::TooLarge(n)) if n == 2 * 1024 * 1024),
            "{path}: {r:?}"
        );
    }
    let f = Fetch {
        timeout: Duration::from_millis(800),
        ..Fetch::default()
    };
    let r = s.client.get(&s.good.url("/slow"), &f).await;
    assert!(matches!(r, Err(Error::Timeout(_))), "{r:?}");
}
