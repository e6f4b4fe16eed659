//! A real Caddy (Debian's) as a TLS reverse proxy in front of the daemon, for the proxy
//! tests: `/chat/*` to the daemon with the prefix stripped and `X-Forwarded-Prefix` set
//! (the README recipe). Caddyfile, certificate, storage, logs and its admin socket live
//! in a temp dir; the system's /etc/caddy is not used; no ACME (our own certificate,
//! `local_certs`), no trust store changes (`skip_install_trust`), no HTTP/3 socket, no
//! :80 redirect listener. 127.0.0.1 only; stopped (by pid) on drop.
//!
//! Missing caddy skips the caller's test, except under `CI=true`, where it fails.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

pub struct Caddy {
    child: Child,
    pub port: u16,
    /// The self-signed certificate (for 127.0.0.1 and localhost), DER and PEM.
    pub cert_der: Vec<u8>,
    pub cert_pem: String,
    dir: TempDir,
}

/// The caddy binary, or `None` (skip) outside CI when it is not installed.
pub fn binary() -> Option<PathBuf> {
    for p in ["/usr/bin/caddy", "/usr/local/bin/caddy"] {
        if Path::new(p).exists() {
            return Some(PathBuf::from(p));
        }
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "caddy is not installed and CI=true: scripts/test installs it (apt-get install caddy)"
        );
    }
    eprintln!("skipped: caddy is not installed");
    None
}

impl Caddy {
    /// Starts Caddy on a free port in front of `upstream`; waits until TLS answers.
    pub fn start(bin: &Path, upstream: u16) -> Caddy {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
            .expect("certificate");
        let cert_pem = cert.cert.pem();
        std::fs::write(d.join("cert.pem"), &cert_pem).expect("cert");
        std::fs::write(d.join("key.pem"), cert.signing_key.serialize_pem()).expect("key");
        let port = super::free_port();
        let p = d.display();
        let conf = format!(
            "{{
	admin unix/{p}/admin.sock
	auto_https disable_redirects
	skip_install_trust
	local_certs
	storage file_system {p}/data
	servers {{
		protocols h1 h2
	}}
	log {{
		output file {p}/caddy.log
		level INFO
	}}
}}
https://127.0.0.1:{port}, https://localhost:{port} {{
	bind 127.0.0.1
	tls {p}/cert.pem {p}/key.pem
	redir /chat /chat/
	handle_path /chat/* {{
		reverse_proxy 127.0.0.1:{upstream} {{
			header_up X-Forwarded-Prefix /chat
			header_up -X-Remote-User
		}}
	}}
	respond \"not proxied\" 404
}}
"
        );
        std::fs::write(d.join("Caddyfile"), conf).expect("Caddyfile");
        let out = std::fs::File::create(d.join("caddy.out")).expect("out");
        let child = Command::new(bin)
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(d.join("Caddyfile"))
            .env("XDG_DATA_HOME", d.join("data"))
            .env("XDG_CONFIG_HOME", d.join("config"))
            .env("HOME", d)
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("out"))
            .stderr(out)
            .spawn()
            .expect("spawn caddy");
        let mut c = Caddy {
            child,
            port,
            cert_der: cert.cert.der().to_vec(),
            cert_pem,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(st)) = c.child.try_wait() {
                panic!("caddy exited with {st}: {}", c.log());
            }
            assert!(
                Instant::now() < deadline,
                "caddy did not start: {}",
                c.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        c
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }

    /// Caddy's output, for messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("caddy.out")).unwrap_or_default()
    }
}

impl Drop for Caddy {
    fn drop(&mut self) {
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
