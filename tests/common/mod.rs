//! Helpers shared by the integration tests: start the real binary, wait for it, stop it.
#![allow(dead_code)]

pub mod browser;
pub mod caddy;
pub mod engine;
pub mod fake_irc;
pub mod ircd;
pub mod legacy;
pub mod nginx;
pub mod oidc;
pub mod pg;
pub mod slapd;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// A `convos daemon` child process with its own `CONVOS_HOME` (`home/data`).
pub struct Daemon {
    pub child: Child,
    pub home: TempDir,
    pub base: String,
    /// The address the metrics listener printed (`--metrics-listen …:0`).
    pub metrics: Arc<std::sync::Mutex<Option<String>>>,
}

/// A port that was free a moment ago, for a server that binds it itself (InspIRCd,
/// coturn, nginx, …). It is taken below the kernel's ephemeral range: a port from
/// `bind(:0)` can become the local port of any test's outgoing connection before the
/// server gets to bind it, and then the server starts without that listener.
pub fn free_port() -> u16 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let ephemeral_low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u32>().ok())
        .unwrap_or(32768);
    let (low, high) = (10_000u32, ephemeral_low.clamp(12_000, 65_535));
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    let seed = h.finish() as u32;
    for _ in 0..1000 {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = low + seed.wrapping_add(n.wrapping_mul(7919)) % (high - low);
        let port = port as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
            && std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok()
        {
            return port;
        }
    }
    panic!("no free port below {high}")
}

impl Daemon {
    /// Starts the daemon on a port it picks itself (`--listen http://127.0.0.1:0`) plus
    /// `extra` args, reads the address it printed, and waits for `/healthz`. (No port is
    /// taken and let go first, so no other test can take it in between.)
    pub async fn start(extra: &[&str]) -> Daemon {
        let mut args = vec!["--listen", "http://127.0.0.1:0"];
        args.extend_from_slice(extra);
        Self::start_listening(tempfile::tempdir().expect("tempdir"), &args).await
    }

    /// Like [`Daemon::start`] with no extra args and extra environment variables.
    #[allow(dead_code)]
    pub async fn start_env_listening(env: &[(&str, &str)]) -> Daemon {
        let home = tempfile::tempdir().expect("tempdir");
        Self::start_listening_env(home, &["--listen", "http://127.0.0.1:0"], env).await
    }

    /// Starts the daemon with `args` (which listen on port 0), reads the address it
    /// printed, and waits for `/healthz`.
    async fn start_listening(home: TempDir, args: &[&str]) -> Daemon {
        Self::start_listening_env(home, args, &[]).await
    }

    async fn start_listening_env(home: TempDir, args: &[&str], env: &[(&str, &str)]) -> Daemon {
        let (mut d, listening) = Self::spawn(home, args, env, true);
        let listening = listening.expect("piped");
        d.base = tokio::task::spawn_blocking(move || {
            listening.recv_timeout(std::time::Duration::from_secs(30))
        })
        .await
        .expect("join")
        .expect("the daemon printed the address it listens on");
        let url = d.url("/healthz");
        wait_for_url(&reqwest::Client::new(), &url).await;
        d
    }

    /// Starts the daemon with exactly `args`; does not wait.
    pub async fn start_only(args: &[&str]) -> Daemon {
        let home = tempfile::tempdir().expect("tempdir");
        Self::start_in(home, args)
    }

    /// Starts the daemon with `home` (kept across restarts).
    pub fn start_in(home: TempDir, args: &[&str]) -> Daemon {
        Self::start_env(home, args, &[])
    }

    /// Starts the daemon with `home`, `args` and extra environment variables.
    pub fn start_env(home: TempDir, args: &[&str], env: &[(&str, &str)]) -> Daemon {
        Self::spawn(home, args, env, false).0
    }

    /// Spawns the daemon; with `report`, its log is passed through and the first
    /// address it says it listens on comes out of the returned channel.
    fn spawn(
        home: TempDir,
        args: &[&str],
        env: &[(&str, &str)],
        report: bool,
    ) -> (Daemon, Option<std::sync::mpsc::Receiver<String>>) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_convos"))
            .arg("daemon")
            .args(args)
            .envs(env.iter().copied())
            .env("CONVOS_HOME", home.path().join("data"))
            .env("CONVOS_LOG_LEVEL", "convos=debug,info")
            .stdin(Stdio::null())
            .stderr(if report {
                Stdio::piped()
            } else {
                Stdio::inherit()
            })
            .spawn()
            .expect("spawn convos");
        // Other listeners the arguments name (a second address) print their addresses
        // too: the one wanted is the one picked for port 0. The metrics listener's line
        // is in its `metrics` span.
        let named: Vec<String> = args
            .iter()
            .filter(|a| a.starts_with("http://") && !a.ends_with(":0"))
            .map(|a| a.trim_end_matches('/').to_string())
            .collect();
        let metrics = Arc::new(std::sync::Mutex::new(None));
        let metrics_seen = metrics.clone();
        let listening = child.stderr.take().map(|stderr| {
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                use std::io::BufRead as _;
                let mut tx = Some(tx);
                for line in std::io::BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    eprintln!("{line}");
                    if line.contains("listening") {
                        let is_metrics = line.contains("metrics");
                        let url = line
                            .split_whitespace()
                            .find_map(|w| w.strip_prefix("url="))
                            .filter(|u| u.starts_with("http://") && !named.iter().any(|n| n == u));
                        if let (Some(url), true) = (url, is_metrics) {
                            *metrics_seen.lock().unwrap_or_else(|e| e.into_inner()) =
                                Some(url.to_string());
                        } else if let Some(url) = url {
                            if let Some(tx) = tx.take() {
                                let _ = tx.send(url.to_string());
                            }
                        }
                    }
                }
            });
            rx
        });
        let d = Daemon {
            child,
            home,
            base: String::new(),
            metrics,
        };
        (d, listening)
    }

    /// The metrics listener's address, once it said it listens (≤ 10 s).
    pub async fn metrics_url(&self) -> String {
        for _ in 0..200 {
            if let Some(u) = self
                .metrics
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone()
            {
                return u;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the metrics listener did not say where it listens");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// SIGTERM, then waits (≤ 10 s) for a clean exit.
    pub async fn stop(self) {
        let _ = self.stop_keep_home().await;
    }

    /// Like [`Daemon::stop`], returning the data directory for a restart.
    pub async fn stop_keep_home(mut self) -> TempDir {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(st) = self.child.try_wait().expect("wait") {
                assert!(st.success(), "daemon exited with {st}");
                break;
            }
            assert!(
                Instant::now() < deadline,
                "daemon did not stop after SIGTERM"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        std::mem::replace(&mut self.home, tempfile::tempdir().expect("tempdir"))
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `url` until it answers (≤ 20 s).
pub async fn wait_for_url(client: &reqwest::Client, url: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if client.get(url).send().await.is_ok() {
            return;
        }
        assert!(Instant::now() < deadline, "{url} never answered");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Polls `cond` until true (≤ 20 s).
pub async fn wait_for(mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(Instant::now() < deadline, "condition never held");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A raw HTTP/1.1 GET over a unix socket; returns the whole response text.
pub async fn unix_get(sock: &Path, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::UnixStream::connect(sock)
        .await
        .expect("connect unix socket");
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).await.expect("read");
    out
}

impl Daemon {
    /// Starts the daemon on a port it picks with `home` as its `CONVOS_HOME` parent (data
    /// in `home/data`) plus `extra` args, and waits for `/healthz`.
    pub async fn start_home(home: TempDir, extra: &[&str]) -> Daemon {
        let mut args = vec!["--listen", "http://127.0.0.1:0"];
        args.extend_from_slice(extra);
        Self::start_listening(home, &args).await
    }
}

/// A client that keeps cookies, like a browser tab.
pub fn cookie_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client")
}

/// Runs `convos ARGS` with `CONVOS_HOME=home/data`, feeding `stdin`; returns
/// (exit code, stdout, stderr).
pub fn convos_cli(home: &Path, args: &[&str], stdin: &str) -> (Option<i32>, String, String) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_convos"))
        .args(args)
        .env("CONVOS_HOME", home.join("data"))
        .env_remove("CONVOS_REQUEST_BASE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn convos");
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin.as_bytes()).expect("write stdin");
    }
    let out = child.wait_with_output().expect("wait convos");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A WebSocket to the daemon.
pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens `/events{query}` as the browser whose session cookie is in `jar`, with the
/// daemon's own Origin.
pub async fn events_socket(base: &str, jar: &reqwest::cookie::Jar, query: &str) -> Socket {
    use reqwest::cookie::CookieStore;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let url = format!("{}/events{query}", base.replacen("http", "ws", 1));
    let mut req = url.into_client_request().expect("request");
    let cookie = jar.cookies(&base.parse().expect("url")).expect("logged in");
    req.headers_mut().insert("cookie", cookie);
    req.headers_mut()
        .insert("origin", base.parse().expect("origin"));
    let (s, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("ws connect");
    s
}

/// The reset token of the link `convos recover EMAIL` prints for the daemon at `base`.
pub fn recover_token(home: &Path, email: &str, base: &str) -> String {
    let (code, link, err) = convos_cli(home, &["recover", email, "--base", base], "");
    assert_eq!(code, Some(0), "{err}");
    url::Url::parse(link.trim())
        .expect("link")
        .query_pairs()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .expect("token")
}
