//! Tests of the command line: sizes, listen URLs, switches, secrets kept out of `Debug`.

use super::*;
use std::net::SocketAddr;

#[test]
fn sizes() {
    for (s, n) in [
        ("40MB", 40 << 20),
        ("512 kb", 512 << 10),
        ("1G", 1 << 30),
        ("1048576", 1 << 20),
    ] {
        assert_eq!(parse_size(s), Ok(n), "{s}");
    }
    for bad in ["", "MB", "0", "-1MB", "1TB", "99999999999999999999GB"] {
        assert!(parse_size(bad).is_err(), "{bad}");
    }
}

#[test]
fn listen_urls() {
    let l = Listen::parse("http://*:8080").expect("valid");
    assert!(matches!(&l, Listen::Tcp { addrs, tls: None, .. } if addrs[0].port() == 8080));
    let l = Listen::parse("http://127.0.0.1:3000").expect("valid");
    assert!(
        matches!(&l, Listen::Tcp { addrs, .. } if addrs == &["127.0.0.1:3000".parse::<SocketAddr>().expect("addr")])
    );
    let l = Listen::parse("http://[::1]:3000/").expect("valid");
    assert!(
        matches!(&l, Listen::Tcp { addrs, .. } if addrs == &["[::1]:3000".parse::<SocketAddr>().expect("addr")])
    );
    let l = Listen::parse("https://*:8443?cert=./c.pem&key=./k.pem").expect("valid");
    let Listen::Tcp { tls: Some(tls), .. } = l else {
        panic!("tls expected")
    };
    assert_eq!(tls.cert.as_deref(), Some(std::path::Path::new("./c.pem")));
    let l = Listen::parse("https://127.0.0.1:8443").expect("valid");
    assert!(matches!(
        l,
        Listen::Tcp {
            tls: Some(Tls {
                cert: None,
                key: None
            }),
            ..
        }
    ));
    let l = Listen::parse("http+unix://%2Ftmp%2Fconvos.sock").expect("valid");
    assert_eq!(
        l,
        Listen::Unix {
            url: "http+unix://%2Ftmp%2Fconvos.sock".into(),
            path: "/tmp/convos.sock".into()
        }
    );
}

#[test]
fn bad_listen_urls() {
    for (url, want) in [
        ("ftp://*:21", "unknown scheme"),
        ("http://*", "missing port"),
        ("http://*:", "missing port"),
        ("http://*:99999", "invalid port"),
        ("localhost:8080", "expected scheme"),
        ("http+unix://", "missing socket path"),
        ("https://*:8443?cert=c.pem", "both cert= and key="),
    ] {
        let e = Listen::parse(url).expect_err(url).to_string();
        assert!(e.contains(want), "{url}: {e}");
    }
}

#[test]
fn secrets_never_show_in_debug() {
    let cli = Cli::try_parse_from([
        "convos",
        "daemon",
        "--metrics-token",
        "tok-s3cret",
        "--turn-secret",
        "turn-s3cret",
        "--ldap-search-password",
        "ldap-s3cret",
    ])
    .expect("valid");
    let shown = format!("{cli:?}");
    assert!(!shown.contains("s3cret"), "{shown}");
    let Command::Daemon(d) = cli.command else {
        panic!("not the daemon");
    };
    assert_eq!(
        d.metrics_token.as_ref().map(Secret::expose),
        Some("tok-s3cret")
    );
}

#[test]
fn switches() {
    for (s, want) in [("", Ok(false)), ("YES", Ok(true)), (" off", Ok(false))] {
        assert_eq!(parse_bool(s), want, "{s:?}");
    }
    assert!(parse_bool("maybe").is_err());
}
