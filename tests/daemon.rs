//! The real `convos` binary: listen URLs, assets, TLS, bad configuration, shutdown.

mod common;

use std::time::Duration;

use common::{convos_cli, free_port, Daemon};

#[tokio::test]
async fn serves_index_assets_health_and_api_404() {
    let d = Daemon::start(&[]).await;
    let c = reqwest::Client::new();

    let res = c.get(d.url("/")).send().await.expect("GET /");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-cache");
    assert!(res.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .contains("frame-ancestors 'none'"));
    let html = res.text().await.expect("body");
    assert!(html.contains("<div id=\"app\">"), "{html}");

    // an asset named in index.html
    let asset = html
        .split('"')
        .find(|s| s.starts_with("/assets/") && s.ends_with(".js"))
        .expect("index.html names a js asset")
        .to_string();
    let plain = c
        .get(d.url(&asset))
        .header("accept-encoding", "identity")
        .send()
        .await
        .expect("asset");
    assert_eq!(plain.status(), 200);
    assert_eq!(
        plain.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(plain.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .contains("javascript"));
    assert!(plain.headers().get("content-encoding").is_none());
    let plain_len = plain.bytes().await.expect("body").len();
    for enc in ["br", "gzip"] {
        let res = c
            .get(d.url(&asset))
            .header("accept-encoding", enc)
            .send()
            .await
            .expect("asset");
        assert_eq!(res.headers()["content-encoding"], enc);
        assert_eq!(res.headers()["vary"], "accept-encoding");
        assert!(res.bytes().await.expect("body").len() < plain_len);
    }
    let missing = c.get(d.url("/assets/nope.js")).send().await.expect("GET");
    assert_eq!(missing.status(), 404);

    let health = c.get(d.url("/healthz")).send().await.expect("healthz");
    assert_eq!(health.status(), 200);

    let res = c.get(d.url("/api/nope")).send().await.expect("api 404");
    assert_eq!(res.status(), 404);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(
        body,
        serde_json::json!({"errors":[{"message":"Not found.","path":"/api/nope"}]})
    );

    // client-side routes get the app
    let res = c
        .get(d.url("/chat/irc-libera/%23convos"))
        .send()
        .await
        .expect("route");
    assert_eq!(res.status(), 200);
    assert!(res.text().await.expect("body").contains("<div id=\"app\">"));

    d.stop().await;
}

#[tokio::test]
async fn two_listens_and_a_unix_socket() {
    let p2 = free_port();
    let dir = tempfile::tempdir().expect("tempdir");
    let sock = dir.path().join("convos.sock");
    let sock_url = format!(
        "http+unix://{}",
        percent_encoding::utf8_percent_encode(
            sock.to_str().expect("utf8"),
            percent_encoding::NON_ALPHANUMERIC
        )
    );
    let second = format!("http://127.0.0.1:{p2}");
    let d = Daemon::start(&["--listen", &second, "--listen", &sock_url]).await;
    let c = reqwest::Client::new();
    assert_eq!(
        c.get(d.url("/healthz"))
            .send()
            .await
            .expect("first")
            .status(),
        200
    );
    assert_eq!(
        c.get(format!("{second}/healthz"))
            .send()
            .await
            .expect("second")
            .status(),
        200
    );
    common::wait_for(|| sock.exists()).await;
    let reply = common::unix_get(&sock, "/healthz").await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    d.stop().await;
    assert!(!sock.exists(), "socket file removed on shutdown");
}

#[tokio::test]
async fn https_with_generated_and_given_certificates() {
    // no cert=/key=: a self-signed pair is generated in CONVOS_HOME and reused
    let port = free_port();
    let listen = format!("https://127.0.0.1:{port}");
    let d = Daemon::start_only(&["--listen", &listen]).await;
    let cert_path = d.home.path().join("data/self-signed.crt");
    common::wait_for(|| cert_path.exists()).await;
    let pem = std::fs::read(&cert_path).expect("generated cert");
    let cert = reqwest::Certificate::from_pem(&pem).expect("pem");
    let c = reqwest::Client::builder()
        .add_root_certificate(cert.clone())
        .build()
        .expect("client");
    let url = format!("https://localhost:{port}/healthz");
    common::wait_for_url(&c, &url).await;
    assert_eq!(c.get(&url).send().await.expect("https").status(), 200);
    let home = d.stop_keep_home().await;

    // given files: the generated pair passed explicitly
    let port = free_port();
    let listen = format!(
        "https://127.0.0.1:{port}?cert={}&key={}",
        cert_path.display(),
        home.path().join("data/self-signed.key").display()
    );
    let d = Daemon::start_only(&["--listen", &listen]).await;
    let url = format!("https://localhost:{port}/");
    common::wait_for_url(&c, &url).await;
    let res = c.get(&url).send().await.expect("https");
    assert_eq!(res.status(), 200);
    // plain http on a TLS port gets nothing useful: no downgrade
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    assert!(plain.map(|r| r.status() != 200).unwrap_or(true));
    d.stop().await;
}

#[tokio::test]
async fn bad_configuration_exits_2_with_one_line() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let taken_port = taken.local_addr().expect("addr").port();
    let dir = tempfile::tempdir().expect("tempdir");
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a pem").expect("write");
    let missing = dir.path().join("missing.pem");
    let file_home = dir.path().join("a-file");
    std::fs::write(&file_home, "").expect("write");

    type Case<'a> = (Vec<String>, Vec<(&'a str, String)>, String);
    let cases: Vec<Case> = vec![
        (
            args(&["--listen", "ftp://*:21"]),
            vec![],
            "unknown scheme".into(),
        ),
        (
            args(&["--listen", "http://127.0.0.1"]),
            vec![],
            "missing port".into(),
        ),
        (
            args(&["--listen", "http+unix://"]),
            vec![],
            "missing socket path".into(),
        ),
        (
            args(&["--listen", &format!("http://127.0.0.1:{taken_port}")]),
            vec![],
            format!("127.0.0.1:{taken_port}"),
        ),
        (
            args(&[
                "--listen",
                &format!(
                    "https://127.0.0.1:0?cert={}&key={}",
                    missing.display(),
                    garbage.display()
                ),
            ]),
            vec![],
            missing.display().to_string(),
        ),
        (
            args(&[
                "--listen",
                &format!(
                    "https://127.0.0.1:0?cert={}&key={}",
                    garbage.display(),
                    garbage.display()
                ),
            ]),
            vec![],
            garbage.display().to_string(),
        ),
        (
            args(&["--listen", "http://127.0.0.1:0"]),
            vec![("CONVOS_HOME", file_home.join("sub").display().to_string())],
            "CONVOS_HOME".into(),
        ),
    ];
    for (argv, env, want) in cases {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_convos"));
        cmd.arg("daemon")
            .args(&argv)
            .env("CONVOS_HOME", dir.path().join("home"));
        for (k, v) in &env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run convos");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{argv:?}: {stderr}");
        assert!(
            stderr.contains(&want),
            "{argv:?}: want {want:?} in {stderr:?}"
        );
        assert_eq!(
            stderr.trim().lines().count(),
            1,
            "{argv:?}: one line: {stderr:?}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    drop(taken);
}

#[tokio::test]
async fn home_is_created_private_and_locked() {
    use std::os::unix::fs::PermissionsExt;
    let d = Daemon::start(&[]).await;
    let mode = std::fs::metadata(d.home.path().join("data"))
        .expect("home created")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700);
    // A second daemon on the same home refuses to start, naming the first one's pid,
    // before it binds anything or opens the database.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_convos"))
        .args(["daemon", "--listen", "http://127.0.0.1:0"])
        .env("CONVOS_HOME", d.home.path().join("data"))
        .output()
        .expect("run convos");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let want = format!("another convos daemon (pid {})", d.child.id());
    assert!(stderr.contains(&want), "want {want:?} in {stderr:?}");
    // The CLI stays usable beside the running daemon.
    let (code, _, err) = convos_cli(d.home.path(), &["user", "list"], "");
    assert_eq!(code, Some(0), "{err}");
    d.stop().await;
}

#[test]
fn version_prints() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_convos"))
        .arg("version")
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("convos "));
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn backup_while_running_restores() {
    let d = Daemon::start(&[]).await;
    let (code, _, err) = convos_cli(
        d.home.path(),
        &["user", "add", "admin@example.com"],
        "correct horse battery\n",
    );
    assert_eq!(code, Some(0), "{err}");

    // Into a directory: a dated file; into a file path: that file.
    let out = tempfile::tempdir().expect("tempdir");
    let dir_arg = out.path().display().to_string();
    let (code, stdout, err) = convos_cli(d.home.path(), &["backup", &dir_arg], "");
    assert_eq!(code, Some(0), "{err}");
    assert!(stdout.starts_with("backup written to "), "{stdout}");
    let dated: Vec<_> = std::fs::read_dir(out.path())
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
        .collect();
    assert_eq!(dated.len(), 1, "{dated:?}");
    assert!(dated[0].starts_with("convos-") && dated[0].ends_with(".db"));

    // Restore: the copy as CONVOS_HOME/convos.db of another home has the user.
    let restored = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(restored.path().join("data")).expect("mkdir");
    let file_arg = restored.path().join("data/convos.db").display().to_string();
    let (code, _, err) = convos_cli(d.home.path(), &["backup", &file_arg], "");
    assert_eq!(code, Some(0), "{err}");
    let (code, list, err) = convos_cli(restored.path(), &["user", "list"], "");
    assert_eq!(code, Some(0), "{err}");
    assert!(list.contains("admin@example.com"), "{list}");

    // Nothing to back up / the live file itself: one clear line, exit 1.
    let empty = tempfile::tempdir().expect("tempdir");
    let (code, _, err) = convos_cli(empty.path(), &["backup", &dir_arg], "");
    assert_eq!(code, Some(1));
    assert!(err.contains("nothing to back up"), "{err}");
    let live = d.home.path().join("data/convos.db").display().to_string();
    let (code, _, err) = convos_cli(d.home.path(), &["backup", &live], "");
    assert_eq!(code, Some(1));
    assert!(err.contains("live database"), "{err}");
    d.stop().await;
}

/// `sh -c 'umask 022; exec convos ARGS'`: a loose umask, as most shells have.
fn with_umask_022(args: &[&str], home: &std::path::Path) -> std::process::Command {
    let mut c = std::process::Command::new("sh");
    c.args([
        "-c",
        "umask 022; exec \"$0\" \"$@\"",
        env!("CARGO_BIN_EXE_convos"),
    ])
    .args(args)
    .env("CONVOS_HOME", home)
    .env("CONVOS_LOG_LEVEL", "convos=debug,info")
    .stdin(std::process::Stdio::null());
    c
}

#[tokio::test]
async fn files_are_private_in_a_shared_home_under_umask_022() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().expect("tempdir");
    let data = home.path().join("data");
    std::fs::create_dir(&data).expect("mkdir");
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let port = free_port();
    let listen = format!("http://127.0.0.1:{port}");
    let child = with_umask_022(&["daemon", "--listen", &listen], &data)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut d = Daemon {
        child,
        home,
        base: listen,
        metrics: Default::default(),
    };
    let c = common::cookie_client();
    common::wait_for_url(&c, &d.url("/healthz")).await;
    let res = c
        .post(d.url("/api/user/register"))
        .json(&serde_json::json!({"email": "a@example.com", "password": "correct horse battery"}))
        .send()
        .await
        .expect("register");
    assert_eq!(res.status(), 200);
    let mode = |p: &std::path::Path| {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o777
    };
    for name in ["convos.db", "convos.db-wal", "convos.db-shm", "convos.lock"] {
        assert_eq!(mode(&data.join(name)), 0o600, "{name}");
    }
    // `convos backup` under the same umask writes a private copy.
    let out = tempfile::tempdir().expect("tempdir");
    let copy = out.path().join("copy.db");
    let st = with_umask_022(&["backup", &copy.display().to_string()], &data)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("backup");
    assert!(st.success());
    assert_eq!(mode(&copy), 0o600, "backup");

    // The log says the home is too open.
    let stderr = d.child.stderr.take().expect("stderr");
    let d = d;
    let home = d.stop_keep_home().await;
    drop(home);
    let mut log = String::new();
    std::io::Read::read_to_string(&mut { stderr }, &mut log).expect("log");
    assert!(
        log.contains("CONVOS_HOME is accessible to other users"),
        "{log}"
    );
}
