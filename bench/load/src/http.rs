//! A minimal HTTP/1.1 client for 127.0.0.1: one request per connection
//! (`Connection: close`), JSON bodies, the session cookie passed by hand. Enough for the
//! harness and free of a full HTTP stack's build time.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    /// `name=value` of the first `Set-Cookie` for `name`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| v.split(';').next().unwrap_or("").trim().to_owned())
            .find(|c| c.starts_with(&format!("{name}=")))
    }
    pub fn json(&self) -> Result<serde_json::Value, String> {
        serde_json::from_str(&self.body)
            .map_err(|e| format!("bad JSON ({e}): {}", &self.body[..self.body.len().min(200)]))
    }
}

/// `addr` is `127.0.0.1:PORT`.
pub async fn request(
    addr: &str,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    body: Option<&serde_json::Value>,
) -> Result<Response, String> {
    let mut s = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    s.set_nodelay(true).ok();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAccept: application/json\r\n");
    if let Some(c) = cookie {
        req.push_str(&format!("Cookie: {c}\r\n"));
    }
    if method != "GET" {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(&body);
    s.write_all(req.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&raw);
    let (head, rest) = text.split_once("\r\n\r\n").ok_or("no header end")?;
    let (status, headers) = parse_head(head)?;
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// One kept-alive HTTP/1.1 connection, as a browser holds one: requests one at a time,
/// each answer read by its `Content-Length` (the daemon's JSON answers carry one).
pub struct KeepAlive {
    s: TcpStream,
    addr: String,
    buf: Vec<u8>,
}

impl KeepAlive {
    pub async fn connect(addr: &str) -> Result<KeepAlive, String> {
        let s = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect {addr}: {e}"))?;
        s.set_nodelay(true).ok();
        Ok(KeepAlive {
            s,
            addr: addr.to_owned(),
            buf: Vec::new(),
        })
    }

    /// `GET path` with the cookie; the status and body.
    pub async fn get(&mut self, path: &str, cookie: &str) -> Result<(u16, String), String> {
        let req = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\nCookie: {cookie}\r\n\r\n",
            self.addr
        );
        self.s
            .write_all(req.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut chunk = [0u8; 16 * 1024];
        let (head_end, status, len) = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let (status, headers) = parse_head(&String::from_utf8_lossy(&self.buf[..i]))?;
                let len = headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                    .and_then(|(_, v)| v.parse::<usize>().ok())
                    .ok_or("no Content-Length")?;
                break (i + 4, status, len);
            }
            let n = self.s.read(&mut chunk).await.map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("connection closed".into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        };
        while self.buf.len() < head_end + len {
            let n = self.s.read(&mut chunk).await.map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("connection closed".into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
        let body = String::from_utf8_lossy(&self.buf[head_end..head_end + len]).into_owned();
        self.buf.drain(..head_end + len);
        Ok((status, body))
    }
}

/// The status and headers of a response head (without its blank line).
fn parse_head(head: &str) -> Result<(u16, Vec<(String, String)>), String> {
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or("bad status line")?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Ok((status, headers))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest.get(n + 2..).unwrap_or("");
    }
    out
}

/// Logs in and returns the `convos_session=...` cookie.
pub async fn login(addr: &str, email: &str, password: &str) -> Result<String, String> {
    let body = serde_json::json!({"email": email, "password": password});
    let r = request(addr, "POST", "/api/user/login", None, Some(&body)).await?;
    if r.status != 200 {
        return Err(format!("login {email}: {} {}", r.status, r.body));
    }
    r.cookie("convos_session")
        .ok_or_else(|| format!("login {email}: no session cookie"))
}

/// Percent-encodes a path segment or query value.
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
