//! SASL and accounts against real services, not a scripted server: InspIRCd linked to
//! Atheme. PLAIN with an account registered through NickServ, a wrong password, then
//! EXTERNAL with the client certificate convos makes, added with `NickServ CERT ADD`; and
//! other people's accounts through account-notify and extended-join.

mod common;

use common::engine::{add, connected, send, Env, Events};
use common::ircd::{self, Client, Ircd};
use convos::user;
use serde_json::Value;

fn logged_in(v: &Value, cid: &str) -> bool {
    v["event"] == "message"
        && v["connection_id"] == cid
        && v["message"]
            .as_str()
            .is_some_and(|m| m.contains("logged in as saslnick"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sasl_plain_and_external_against_atheme() {
    if !ircd::services_available() {
        return;
    }
    let ircd = Ircd::start_with_services();
    let (port, tls_port) = (ircd.port, ircd.tls_port);
    // An account made the way people make one.
    tokio::task::spawn_blocking(move || {
        let mut c = Client::connect(port, "saslnick");
        c.send("PRIVMSG NickServ :REGISTER hunter2hunter2 sasl@example.com");
        c.wait_for(|l| l.contains("NickServ") && l.contains("registered"));
        c.send("QUIT");
    })
    .await
    .expect("register with NickServ");

    let home = tempfile::tempdir().expect("tempdir");
    let env = Env::open(home.path());
    let u = env.user("sasl@example.com").await;
    let h = env.users.start(u.clone());
    let mut ev = Events::of(&h, "sasl");

    // A wrong password fails with the services' answer.
    let bad = add(
        &h,
        &format!("irc://saslnick:wrong@127.0.0.1:{port}?tls=0&nick=other&sasl=plain"),
    )
    .await;
    ev.wait("SASL refused", |v| {
        v["type"] == "connection"
            && v["connection_id"] == bad.as_str()
            && v["state"] == "disconnected"
            && v["message"].as_str().is_some_and(|m| m.contains("SASL"))
    })
    .await;
    h.ask(|reply| user::Request::DeleteConnection {
        connection_id: bad.clone(),
        reply,
    })
    .await
    .expect("delete");

    // PLAIN over TLS.
    let cid = add(
        &h,
        &format!(
            "irc://saslnick:hunter2hunter2@127.0.0.1:{tls_port}?nick=saslnick&sasl=plain&tls_verify=0"
        ),
    )
    .await;
    // RPL_LOGGEDIN (900) comes during registration, before the connection is up.
    ev.wait("logged in with PLAIN", |v| logged_in(v, &cid))
        .await;
    connected(&mut ev, &cid).await;

    // A client certificate, presented from the next connection on, added to the account.
    let cert = h
        .ask(|reply| user::Request::ClientCertificate {
            connection_id: cid.clone(),
            renew: false,
            reply,
        })
        .await
        .expect("certificate");
    assert!(cert.certificate.fingerprint.is_some(), "{cert:?}");
    send(&h, &cid, "", "/reconnect").await.expect("reconnect");
    ev.wait("logged in again", |v| logged_in(v, &cid)).await;
    connected(&mut ev, &cid).await;
    send(&h, &cid, "", "/msg NickServ CERT ADD")
        .await
        .expect("cert add");
    ev.wait("fingerprint added", |v| {
        v["event"] == "message"
            && v["from"] == "NickServ"
            && v["message"]
                .as_str()
                .is_some_and(|m| m.to_lowercase().contains("added fingerprint"))
    })
    .await;

    // EXTERNAL: no password in the URL any more.
    h.ask(|reply| user::Request::UpdateConnection {
        connection_id: cid.clone(),
        changes: user::ConnectionChanges {
            url: Some(format!(
                "irc://127.0.0.1:{tls_port}?nick=saslnick&sasl=external&tls_verify=0"
            )),
            ..Default::default()
        },
        reply,
    })
    .await
    .expect("switch to EXTERNAL");
    ev.wait("logged in with EXTERNAL", |v| logged_in(v, &cid))
        .await;
    connected(&mut ev, &cid).await;

    // After a restart of ours the stored certificate is presented again.
    env.stop().await;
    let env = Env::open(home.path());
    let h = env.users.start(u.clone());
    let mut ev = Events::of(&h, "sasl after restart");
    ev.wait("logged in with EXTERNAL after a restart", |v| {
        logged_in(v, &cid)
    })
    .await;
    env.stop().await;
}

/// account-notify and extended-join with real services: someone who logs in to NickServ
/// while we share a channel gets the ✓ (their account), loses it on logout, and someone
/// joining already logged in has it from the JOIN itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_follow_services_logins() {
    if !ircd::services_available() {
        return;
    }
    let ircd = Ircd::start_with_services();
    let port = ircd.port;
    let home = tempfile::tempdir().expect("tempdir");
    let env = Env::open(home.path());
    let u = env.user("watcher@example.com").await;
    let h = env.users.start(u.clone());
    let mut ev = Events::of(&h, "watcher");
    let cid = add(&h, &format!("irc://127.0.0.1:{port}?tls=0&nick=watcher")).await;
    connected(&mut ev, &cid).await;
    send(&h, &cid, "", "/join #acct").await.expect("join");
    ev.wait("joined", |v| {
        v["type"] == "participants" && v["conversation_id"] == "#acct"
    })
    .await;

    // bob joins, then registers (NickServ logs him in): ACCOUNT bob
    let mut bob = tokio::task::spawn_blocking(move || {
        let mut c = Client::connect(port, "bob");
        c.send("JOIN #acct");
        c.wait_for(|l| l.contains(" 366 "));
        c.send("PRIVMSG NickServ :REGISTER hunter2hunter2 bob@example.com");
        c.wait_for(|l| l.contains("NickServ") && l.contains("registered"));
        c
    })
    .await
    .expect("bob");
    let p = ev
        .wait("bob's account", |v| {
            v["type"] == "presence"
                && v["presence"]["nick"] == "bob"
                && v["presence"]["account"] == "bob"
        })
        .await;
    assert_eq!(p["connection_id"], cid.as_str());
    let members = h
        .ask(|reply| user::Request::Participants {
            connection_id: cid.clone(),
            conversation_id: "#acct".into(),
            reply,
        })
        .await
        .expect("participants");
    let b = members
        .iter()
        .find(|m| m.nick == "bob")
        .expect("bob listed");
    assert_eq!(b.account.as_deref(), Some("bob"));

    // logout: ACCOUNT *
    bob.send("PRIVMSG NickServ :LOGOUT");
    ev.wait("bob logged out", |v| {
        v["type"] == "presence"
            && v["presence"]["nick"] == "bob"
            && v["presence"]["account"].is_null()
    })
    .await;

    // carol logs in first, then joins: extended-join carries her account
    tokio::task::spawn_blocking(move || {
        let mut c = Client::connect(port, "carol");
        c.send("PRIVMSG NickServ :REGISTER hunter2hunter2 carol@example.com");
        c.wait_for(|l| l.contains("NickServ") && l.contains("registered"));
        c.send("JOIN #acct");
        c.wait_for(|l| l.contains(" 366 "));
        std::mem::forget(c); // stays in the channel until the server stops
    })
    .await
    .expect("carol");
    ev.wait("carol joined with her account", |v| {
        (v["type"] == "presence"
            && v["presence"]["nick"] == "carol"
            && v["presence"]["account"] == "carol")
            || (v["type"] == "participants"
                && v["participants"].as_array().is_some_and(|l| {
                    l.iter()
                        .any(|p| p["nick"] == "carol" && p["account"] == "carol")
                }))
    })
    .await;
    let members = h
        .ask(|reply| user::Request::Participants {
            connection_id: cid.clone(),
            conversation_id: "#acct".into(),
            reply,
        })
        .await
        .expect("participants");
    let c = members
        .iter()
        .find(|m| m.nick == "carol")
        .expect("carol listed");
    assert_eq!(c.account.as_deref(), Some("carol"));
    drop(bob);
    env.stop().await;
}
