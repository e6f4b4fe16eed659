//! A real nginx (Debian's) as a TLS reverse proxy in front of the daemon, for the proxy
//! tests: `/chat/` proxies to the daemon with the prefix stripped (the README recipe),
//! `/sso/` does the same from 127.0.0.2 and sets the sign-in header like an
//! authenticating proxy would. Config, certificate, logs and temp files live in a temp dir;
//! nginx listens on 127.0.0.1 only and is stopped (by pid) on drop.
//!
//! Missing nginx skips the caller's test, except under `CI=true`, where it fails.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

pub struct Nginx {
    child: Child,
    pub port: u16,
    /// The self-signed certificate (for 127.0.0.1 and localhost), PEM and DER.
    pub cert_pem: String,
    pub cert_der: Vec<u8>,
    dir: TempDir,
}

/// The nginx binary, or `None` (skip) outside CI when it is not installed.
pub fn binary() -> Option<PathBuf> {
    for p in ["/usr/sbin/nginx", "/usr/bin/nginx"] {
        if Path::new(p).exists() {
            return Some(PathBuf::from(p));
        }
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "nginx is not installed and CI=true: scripts/test installs it (apt-get install nginx)"
        );
    }
    eprintln!("skipped: nginx is not installed");
    None
}

/// The `location` blocks: `/chat/` and `/sso/` to `upstream`.
fn locations(upstream: u16, sso_user: &str) -> String {
    let common = "proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_read_timeout 1h;
      proxy_buffering off;";
    format!(
        "location = /chat {{ return 301 /chat/; }}
    location /chat/ {{
      proxy_pass http://127.0.0.1:{upstream}/;
      {common}
      proxy_set_header X-Forwarded-Prefix /chat;
      # Never pass a client's own sign-in header on.
      proxy_set_header X-Remote-User \"\";
    }}
    location /sso/ {{
      proxy_pass http://127.0.0.1:{upstream}/;
      proxy_bind 127.0.0.2;
      {common}
      proxy_set_header X-Forwarded-Prefix /sso;
      # What auth_request + Authelia would set after its own login.
      proxy_set_header X-Remote-User \"{sso_user}\";
    }}
    location / {{ return 404 \"not proxied\\n\"; }}"
    )
}

impl Nginx {
    /// Starts nginx on a free port in front of `upstream` and waits until it accepts.
    pub fn start(bin: &Path, upstream: u16, sso_user: &str) -> Nginx {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
            .expect("certificate");
        let cert_pem = cert.cert.pem();
        let cert_der = cert.cert.der().to_vec();
        std::fs::write(d.join("cert.pem"), &cert_pem).expect("cert");
        std::fs::write(d.join("key.pem"), cert.signing_key.serialize_pem()).expect("key");
        std::fs::create_dir_all(d.join("tmp")).expect("tmp");
        let port = super::free_port();
        // Debian's build puts temp files under /var/lib/nginx and logs under /var/log:
        // everything goes into the temp dir instead. As root, workers run as root too (the
        // default "nobody" cannot read a temp dir under a mode-700 parent).
        let user = if is_root() { "user root root;" } else { "" };
        let p = d.display();
        let conf = format!(
            "{user}
daemon off;
worker_processes 1;
pid {p}/nginx.pid;
error_log {p}/error.log notice;
events {{ worker_connections 256; }}
http {{
  access_log {p}/access.log;
  client_body_temp_path {p}/tmp/body;
  proxy_temp_path {p}/tmp/proxy;
  fastcgi_temp_path {p}/tmp/fastcgi;
  uwsgi_temp_path {p}/tmp/uwsgi;
  scgi_temp_path {p}/tmp/scgi;
  default_type application/octet-stream;
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
  server {{
    listen 127.0.0.1:{port} ssl http2;
    ssl_certificate {p}/cert.pem;
    ssl_certificate_key {p}/key.pem;
    {}
  }}
}}
",
            locations(upstream, sso_user)
        );
        std::fs::write(d.join("nginx.conf"), conf).expect("conf");
        let args = |extra: &[&str]| {
            let mut v: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
            v.extend([
                "-p".into(),
                p.to_string(),
                "-c".into(),
                format!("{p}/nginx.conf"),
                "-e".into(),
                format!("{p}/error.log"),
            ]);
            v
        };
        let check = Command::new(bin)
            .args(args(&["-t", "-q"]))
            .output()
            .expect("nginx -t");
        assert!(
            check.status.success(),
            "nginx -t: {}",
            String::from_utf8_lossy(&check.stderr)
        );
        let child = Command::new(bin)
            .args(args(&[]))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn nginx");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nginx did not start: see {p}/error.log"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Nginx {
            child,
            port,
            cert_pem,
            cert_der,
            dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }

    /// nginx's error log, for messages.
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // TERM is nginx's fast shutdown; the master stops its workers.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
