//! Tests of the sans-IO IRC session: registration, CAP, SASL, nick collisions, PING, driven by lines in and lines out.

use super::*;

fn cfg(url: &str) -> Config {
    Config::parse(url, "me").expect("valid url")
}

fn feed(s: &mut Session, line: &str) -> Vec<Action> {
    s.handle(&Message::parse(line).expect("valid line"))
}

fn sent(actions: &[Action]) -> Vec<&str> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send(l) => Some(l.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn sts_upgrades_plaintext_and_gives_a_policy_on_tls() {
    // Plaintext (tls=0) with a port: upgrade, nothing else.
    let mut s = Session::new(cfg("irc://h:6667?nick=me&tls=0"));
    s.start();
    let a = feed(
        &mut s,
        ":x CAP * LS :sts=port=6697,duration=300 server-time",
    );
    assert_eq!(a, vec![Action::Upgrade { port: 6697 }]);
    // Plaintext without a port, or a bad one: carry on (the spec says ignore it).
    for value in ["sts=duration=300", "sts=port=0", "sts=port=x"] {
        let mut s = Session::new(cfg("irc://h:6667?nick=me&tls=0"));
        s.start();
        let a = feed(&mut s, &format!(":x CAP * LS :{value} server-time"));
        assert_eq!(sent(&a), vec!["CAP REQ :server-time"], "{value}");
    }
    // TLS with a duration: a policy for the port we are on, and registration goes on.
    let mut s = Session::new(cfg("ircs://h:7000?nick=me"));
    s.start();
    let a = feed(
        &mut s,
        ":x CAP * LS :sts=duration=86400,port=6697 server-time",
    );
    assert_eq!(
        a[0],
        Action::StsPolicy {
            port: 7000,
            duration: 86400
        }
    );
    assert_eq!(sent(&a), vec!["CAP REQ :server-time"]);
    // TLS without a duration: nothing.
    let mut s = Session::new(cfg("ircs://h:7000?nick=me"));
    s.start();
    let a = feed(&mut s, ":x CAP * LS :sts=port=6697");
    assert!(a.iter().all(|a| !matches!(a, Action::StsPolicy { .. })));
}

#[test]
fn registers_with_caps() {
    let mut s = Session::new(cfg("irc://h?nick=me"));
    assert_eq!(
        s.start(),
        vec!["CAP LS 302", "NICK me", "USER me 0 * :Convos"]
    );
    assert!(feed(
        &mut s,
        ":irc.test CAP * LS * :server-time sasl=PLAIN,EXTERNAL"
    )
    .is_empty());
    let a = feed(
        &mut s,
        ":irc.test CAP * LS :echo-message foo draft/chathistory batch",
    );
    assert_eq!(
        sent(&a),
        vec!["CAP REQ :server-time echo-message batch draft/chathistory"]
    );
    let a = feed(
        &mut s,
        ":irc.test CAP me ACK :server-time echo-message batch draft/chathistory",
    );
    assert_eq!(sent(&a), vec!["CAP END"]);
    assert!(s.has_cap("echo-message"));
    let a = feed(&mut s, ":irc.test 001 me :Welcome");
    assert_eq!(a[0], Action::Registered { nick: "me".into() });
    assert!(s.is_registered());
    assert_eq!(sent(&feed(&mut s, "PING :abc")), vec!["PONG :abc"]);
}

#[test]
fn sasl_plain() {
    let mut s = Session::new(cfg("irc://bob:secret@h?nick=me&sasl=plain"));
    assert!(
        !s.start().iter().any(|l| l.starts_with("PASS")),
        "no PASS with SASL"
    );
    let a = feed(&mut s, ":x CAP * LS :sasl multi-prefix");
    assert_eq!(sent(&a), vec!["CAP REQ :multi-prefix sasl"]);
    let a = feed(&mut s, ":x CAP * ACK :multi-prefix sasl");
    assert_eq!(sent(&a), vec!["AUTHENTICATE PLAIN"]);
    let a = feed(&mut s, "AUTHENTICATE +");
    assert_eq!(sent(&a), vec!["AUTHENTICATE Ym9iAGJvYgBzZWNyZXQ="]);
    assert_eq!(
        sent(&feed(&mut s, ":x 903 me :SASL authentication successful")),
        vec!["CAP END"]
    );
}

#[test]
fn sasl_failure_is_fatal() {
    let mut s = Session::new(cfg("irc://bob:secret@h?sasl=plain"));
    s.start();
    feed(&mut s, ":x CAP * LS :sasl");
    feed(&mut s, ":x CAP * ACK :sasl");
    feed(&mut s, "AUTHENTICATE +");
    let a = feed(&mut s, ":x 904 me :SASL authentication failed");
    assert!(
        matches!(&a[0], Action::Fatal(m) if m == "SASL authentication failed."),
        "said once: {a:?}"
    );
    let mut s = Session::new(cfg("irc://bob:secret@h?sasl=plain"));
    s.start();
    let a = feed(&mut s, ":x CAP * LS :multi-prefix");
    assert!(matches!(&a[0], Action::Fatal(m) if m.contains("does not support SASL")));
}

#[test]
fn server_password_and_errors() {
    let mut s = Session::new(cfg("irc://:pw@h?nick=me"));
    assert_eq!(s.start()[1], "PASS :pw");
    assert!(matches!(
        &feed(&mut s, ":x 464 me :Password incorrect")[0],
        Action::Fatal(_)
    ));
    assert!(
        matches!(&feed(&mut s, ":x 465 me :You are banned")[0], Action::Fatal(m) if m.contains("Banned"))
    );
}

#[test]
fn nick_in_use_during_registration() {
    let mut s = Session::new(cfg("irc://h?nick=me"));
    s.start();
    feed(&mut s, ":x CAP * LS :");
    assert_eq!(
        sent(&feed(&mut s, ":x 433 * me :Nickname is already in use")),
        vec!["NICK me_"]
    );
    assert_eq!(
        sent(&feed(&mut s, ":x 433 * me_ :Nickname is already in use")),
        vec!["NICK me__"]
    );
    feed(&mut s, ":x 001 me__ :Welcome");
    assert_eq!(s.nick(), "me__");
    assert_eq!(s.regain().as_deref(), Some("NICK me"));
    let a = feed(&mut s, ":me__!u@h NICK :me");
    assert_eq!(
        a[0],
        Action::NickChanged {
            old: "me__".into(),
            new: "me".into()
        }
    );
    assert_eq!(s.regain(), None);
    // after registration a 433 is the user's business
    assert_eq!(
        feed(&mut s, ":x 433 me other :in use"),
        vec![Action::Forward]
    );
}

#[test]
fn no_cap_support() {
    let mut s = Session::new(cfg("irc://h?nick=me"));
    s.start();
    assert!(feed(&mut s, ":x 421 * CAP :Unknown command").is_empty());
    assert!(matches!(
        feed(&mut s, ":x 001 me :hi")[0],
        Action::Registered { .. }
    ));
}

#[test]
fn cap_notify() {
    let mut s = Session::new(cfg("irc://h?nick=me"));
    s.start();
    feed(&mut s, ":x CAP * LS :cap-notify");
    feed(&mut s, ":x CAP * ACK :cap-notify");
    assert_eq!(
        sent(&feed(&mut s, ":x CAP me NEW :away-notify unknown")),
        vec!["CAP REQ :away-notify"]
    );
    feed(&mut s, ":x CAP me ACK :away-notify");
    assert!(s.has_cap("away-notify"));
    feed(&mut s, ":x CAP me DEL :away-notify");
    assert!(!s.has_cap("away-notify"));
}

/// After registration the owner hears of every change, so an `echo-message` gained
/// late is known (or our own lines would be stored twice).
#[test]
fn caps_gained_or_lost_after_registration_are_told() {
    let mut s = Session::new(cfg("irc://h?nick=me"));
    s.start();
    feed(&mut s, ":x CAP * LS :cap-notify");
    feed(&mut s, ":x CAP * ACK :cap-notify");
    feed(&mut s, ":x 001 me :hi");
    feed(&mut s, ":x CAP me NEW :echo-message");
    let told = feed(&mut s, ":x CAP me ACK :echo-message");
    let Some(Action::CapsChanged(caps)) = told.last() else {
        panic!("not told: {told:?}");
    };
    assert!(caps.iter().any(|c| c == "echo-message"), "{caps:?}");
    let told = feed(&mut s, ":x CAP me DEL :echo-message");
    assert!(
        matches!(told.as_slice(), [Action::CapsChanged(c)] if !c.iter().any(|c| c == "echo-message")),
        "{told:?}"
    );
    assert!(
        feed(&mut s, ":x CAP me DEL :echo-message").is_empty(),
        "no change, no news"
    );
}

#[test]
fn sasl_chunking() {
    assert_eq!(sasl_chunks(""), vec!["AUTHENTICATE +"]);
    let exact = "A".repeat(400);
    assert_eq!(sasl_chunks(&exact).len(), 2);
    assert_eq!(sasl_chunks(&"A".repeat(401)).len(), 2);
}

#[test]
fn alternates_fit_nicklen() {
    assert_eq!(alternate_nick("superman", 1, Some(9)), "superman_");
    assert_eq!(alternate_nick("superman", 2, Some(9)), "superma__");
    assert!(alternate_nick("superman", 5, Some(9)).len() <= 9);
}
