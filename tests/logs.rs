//! `--log-format json` through the real binary: one JSON object per line, an access line
//! per request at debug carrying the request id that the response's `X-Request-Id` shows,
//! and no secrets (password, session cookie, reset token in a query string).

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use common::{free_port, wait_for_url};

const PW: &str = "correct horse battery";

#[tokio::test]
async fn json_logs_carry_request_ids_and_no_secrets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log_path = dir.path().join("stderr.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let base = format!("http://127.0.0.1:{}", free_port());
    let mut child = Command::new(env!("CARGO_BIN_EXE_convos"))
        .args(["daemon", "--listen", &base, "--log-format", "json"])
        .env("CONVOS_HOME", dir.path().join("data"))
        .env("CONVOS_LOG_LEVEL", "convos=debug,info")
        .stdin(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawn");
    let http = common::cookie_client();
    wait_for_url(&http, &format!("{base}/healthz")).await;
    let r = http
        .post(format!("{base}/api/user/register"))
        .json(&json!({"email": "alice@example.com", "password": PW}))
        .send()
        .await
        .expect("register");
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let token = cookie
        .split(';')
        .next()
        .and_then(|c| c.split_once('='))
        .map(|(_, v)| v.to_owned())
        .expect("session token");
    // A client's own id is not believed without --reverse-proxy.
    let r = http
        .get(format!("{base}/register?token=secret-reset-token"))
        .header("x-request-id", "client-chosen")
        .send()
        .await
        .expect("page");
    let page_id = r.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_ne!(page_id, "client-chosen");
    let r = http
        .get(format!("{base}/api/user"))
        .send()
        .await
        .expect("user");
    let id = r.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_eq!(id.len(), 16, "{id}");

    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().expect("wait").is_none() {
        assert!(Instant::now() < deadline, "did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
    let text = std::fs::read_to_string(&log_path).expect("log");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let access = lines
        .iter()
        .find(|v| v["fields"]["message"] == "request" && v["span"]["request_id"] == id.as_str())
        .unwrap_or_else(|| panic!("no access line for {id} in\n{text}"));
    assert_eq!(access["fields"]["method"], "GET");
    assert_eq!(access["fields"]["path"], "/api/user");
    assert_eq!(access["fields"]["status"], 200);
    assert_eq!(access["level"], "DEBUG");
    // The registration's own line names its request too.
    assert!(
        lines
            .iter()
            .any(|v| v["fields"]["message"] == "registered" && v["span"]["request_id"].is_string()),
        "{text}"
    );
    for secret in [PW, token.as_str(), "secret-reset-token"] {
        assert!(!text.contains(secret), "{secret} leaked into the log");
    }
}
