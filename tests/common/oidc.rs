//! A real OpenID Connect provider for the sign-in tests: `e2e/lib/oidc_provider.mjs` (npm
//! `oidc-provider`, installed by `npm ci` in `e2e/`) on 127.0.0.1, with the redirect URIs
//! the test gives; stopped (by pid) on drop. Users alice/alicepass, bob/bobpass (verified
//! e-mails) and carol/carolpass (e-mail not verified); clients `app`/`appsecret`
//! (confidential) and `spa` (public).
//!
//! A `login` helper walks the provider's own pages like a browser would (its login form,
//! automatic consent) up to the redirect back to the daemon.
//!
//! Missing node or oidc-provider skips the caller's test, except under `CI=true`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

pub struct Provider {
    child: Child,
    pub issuer: String,
    dir: TempDir,
}

fn e2e_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("e2e")
}

/// Whether node and the npm package are there; `false` (skip) outside CI when not.
pub fn available() -> bool {
    let found = Command::new("node").arg("--version").output().is_ok()
        && e2e_dir()
            .join("node_modules/oidc-provider/package.json")
            .exists();
    if !found && std::env::var("CI").as_deref() == Ok("true") {
        panic!("node or oidc-provider is missing and CI=true: scripts/test setup runs `npm ci` in e2e/");
    }
    if !found {
        eprintln!("skipped: node or e2e/node_modules/oidc-provider is missing (cd e2e && npm ci)");
    }
    found
}

impl Provider {
    /// Starts the provider on a free port, accepting `redirect_uris` and
    /// `post_logout_redirect_uris`, and waits for its discovery document.
    pub async fn start(redirect_uris: &[String], logout_uris: &[String]) -> Provider {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("oidc.json");
        std::fs::write(
            &config,
            serde_json::json!({
                "redirect_uris": redirect_uris,
                "post_logout_redirect_uris": logout_uris,
            })
            .to_string(),
        )
        .expect("write config");
        let port = super::free_port();
        let log = std::fs::File::create(dir.path().join("oidc.log")).expect("log");
        let child = Command::new("node")
            .arg(e2e_dir().join("lib/oidc_provider.mjs"))
            .arg(port.to_string())
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("spawn node");
        let mut p = Provider {
            child,
            issuer: format!("http://127.0.0.1:{port}"),
            dir,
        };
        let url = format!("{}/.well-known/openid-configuration", p.issuer);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = reqwest::get(&url).await {
                if r.status().is_success() {
                    break;
                }
            }
            if let Ok(Some(st)) = p.child.try_wait() {
                panic!("oidc provider exited with {st}: {}", p.log());
            }
            assert!(
                Instant::now() < deadline,
                "oidc provider never answered: {}",
                p.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        p
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("oidc.log")).unwrap_or_default()
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser-like client: keeps cookies, follows no redirects by itself.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// Follows redirects from `url` (at most 20) until one leads out of `issuer`, signing in
/// as `user`/`password` on the provider's login form on the way; returns that URL (the
/// daemon's callback, or the login page with an error).
pub async fn login(
    client: &reqwest::Client,
    url: &str,
    issuer: &str,
    user: &str,
    password: &str,
) -> String {
    let mut url = url.to_string();
    for _ in 0..20 {
        if !url.starts_with(issuer) {
            return url;
        }
        let r = if url.contains("/interaction/") {
            client
                .post(&url)
                .form(&[("login", user), ("password", password)])
                .send()
                .await
                .expect("login form")
        } else {
            client.get(&url).send().await.expect("provider")
        };
        let Some(next) = r.headers().get("location").and_then(|l| l.to_str().ok()) else {
            panic!(
                "no redirect from {url}: {} {}",
                r.status(),
                r.text().await.unwrap_or_default()
            );
        };
        url = reqwest::Url::parse(&url)
            .and_then(|u| u.join(next))
            .expect("location")
            .to_string();
    }
    panic!("too many redirects");
}
