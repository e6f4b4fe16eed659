//! Tests of Convos connection URLs: parsing, fields merged in, connection ids, password redaction.

use super::*;

#[test]
fn fields_merge_into_an_existing_url() {
    let old = "irc://me:s3cret@old.example:6697/%23a?nick=me&realname=Jane&tls_verify=0&sasl=plain&local_address=10.0.0.1";
    let f = Fields {
        host: "new.example".into(),
        port: 7000,
        tls: true,
        nick: "jane".into(),
        channels: vec![("#b".into(), "".into())],
        account: "me".into(),
        password: "".into(),
    };
    let c = Config::parse(&f.merge_into(old), "x").expect("parses");
    assert_eq!(
        (c.host.as_str(), c.port, c.nick.as_str()),
        ("new.example", 7000, "jane")
    );
    assert_eq!(c.channels, vec![("#b".to_string(), String::new())]);
    // Kept: the password (not given), realname, tls_verify, local_address, SASL.
    assert_eq!(c.password.expose(), "s3cret");
    assert_eq!((c.realname.as_str(), c.tls_verify), ("Jane", false));
    assert!(c.local_address.is_some());
    assert_eq!(c.sasl, Some(SaslMech::Plain));
    // Without an account there is no SASL; a new password replaces the old.
    let f = Fields {
        account: String::new(),
        password: "pass:word".into(),
        ..f
    };
    let c = Config::parse(&f.merge_into(old), "x").expect("parses");
    assert_eq!((c.sasl, c.password.expose()), (None, "pass:word"));
    let ext = "irc://h:6697?nick=me&sasl=external";
    let c = Config::parse(
        &Fields {
            host: "h".into(),
            tls: true,
            nick: "me".into(),
            ..Default::default()
        }
        .merge_into(ext),
        "x",
    )
    .expect("parses");
    assert_eq!(c.sasl, Some(SaslMech::External));
}

#[test]
fn fields_make_a_url_that_parses_back() {
    let cases = [
        Fields {
            host: "irc.libera.chat".into(),
            port: 0,
            tls: true,
            nick: "super_man[1]".into(),
            channels: vec![
                ("#convos".into(), "".into()),
                ("rust".into(), "s3cret".into()),
            ],
            account: "me@example.com".into(),
            password: "p@ss:w/rd?&".into(),
        },
        Fields {
            host: "::1".into(),
            port: 6667,
            tls: false,
            nick: "bob".into(),
            channels: vec![("&local".into(), "key".into())],
            ..Default::default()
        },
    ];
    for f in cases {
        let url = f.url();
        let c = Config::parse(&url, "x").unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(c.host, f.host, "{url}");
        assert_eq!(c.port, if f.port == 0 { 6697 } else { f.port });
        assert_eq!((c.tls, c.nick.as_str()), (f.tls, f.nick.as_str()));
        let want: Vec<(String, String)> = f
            .channels
            .iter()
            .map(|(n, k)| {
                let n = if n.starts_with('#') || n.starts_with('&') {
                    n.clone()
                } else {
                    format!("#{n}")
                };
                (n, k.clone())
            })
            .collect();
        assert_eq!(c.channels, want, "{url}");
        assert_eq!(c.account, f.account);
        assert_eq!(c.password, f.password);
        assert_eq!(c.sasl.is_some(), !f.account.is_empty());
    }
}

#[test]
fn parses_convos_urls() {
    let c = Config::parse("irc://irc.libera.chat", "superman").expect("valid");
    assert_eq!(
        (c.host.as_str(), c.port, c.tls, c.tls_verify),
        ("irc.libera.chat", 6697, true, true)
    );
    assert_eq!(
        (c.nick.as_str(), c.username.as_str()),
        ("superman", "superman")
    );

    let c = Config::parse(
            "irc://bob:s3cret@127.0.0.1:6667/%23convos,%23secret%20k3y?nick=bob&tls=0&realname=Bob%20B&sasl=plain",
            "x",
        )
        .expect("valid");
    assert_eq!((c.port, c.tls), (6667, false));
    assert_eq!(c.password, Secret::new("s3cret"));
    assert_eq!(c.sasl, Some(SaslMech::Plain));
    assert_eq!(c.realname, "Bob B");
    assert_eq!(
        c.channels,
        vec![
            ("#convos".into(), "".into()),
            ("#secret".into(), "k3y".into())
        ]
    );
    assert!(!format!("{c:?}").contains("s3cret"));

    let c = Config::parse("irc://me%40example.com@h:1?nick=n&tls_verify=0", "x").expect("valid");
    assert_eq!(c.username, "n", "an e-mail address is never the username");
    assert!(!c.tls_verify);
}

#[test]
fn rejects_bad_urls() {
    for url in [
        "http://irc.libera.chat",
        "irc://",
        "irc://h?tls=maybe",
        "irc://h?nick=a%20b",
        "irc://h?sasl=plain",
        "irc://h?sasl=foo",
        "irc://h?local_address=nope",
        "not a url",
    ] {
        assert!(Config::parse(url, "n").is_err(), "{url}");
    }
}

#[test]
fn connection_ids() {
    for (host, id) in [
        ("irc.libera.chat", "irc-libera"),
        ("chat.freenode.net", "irc-freenode"),
        ("irc.example.co", "irc-example"),
        ("localhost", "irc-localhost"),
        ("127.0.0.1", "irc-127-0-0-1"),
        ("efnet.org", "irc-efnet"),
    ] {
        assert_eq!(connection_id(host), id, "{host}");
    }
}

#[test]
fn unredacts_an_unchanged_password() {
    let old = "irc://u:s3cret@h:1?nick=a";
    assert_eq!(unredact(&redact(old), old), old);
    assert_eq!(
        unredact("irc://u:new@h:1?nick=b", old),
        "irc://u:new@h:1?nick=b"
    );
    assert_eq!(unredact("irc://h:1?nick=b", old), "irc://h:1?nick=b");
    assert_eq!(
        unredact("irc://U:********@H:1?nick=c", old),
        "irc://U@H:1?nick=c",
        "other user"
    );
    for moved in [
        "irc://u:********@evil:1?nick=a",
        "irc://u:********@h:2?nick=a",
        "ircs://u:********@h:1?nick=a",
        "irc://v:********@h:1?nick=a",
    ] {
        assert!(!unredact(moved, old).contains("s3cret"), "{moved}");
    }
    assert!(unredact("irc://u:********@H:1?nick=c", old).contains("s3cret"));
}

#[test]
fn redacts_password() {
    assert_eq!(redact("irc://u:pw@h:1"), "irc://u:********@h:1");
    assert_eq!(redact("irc://h:1?nick=a"), "irc://h:1?nick=a");
}
