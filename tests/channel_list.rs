//! Answers to commands from a scripted server: `/list` is never stored as messages, it is
//! kept in memory for the channel browser, filtered and sorted, and a hostile list is
//! bounded; a labeled `/whois` takes only its own replies.

mod common;

use common::engine::{add, connected, send, Scripted};
use common::fake_irc::Peer;
use convos::user::{self, ChannelQuery, ChannelSort};

async fn page(h: &user::Handle, q: &str, sort: ChannelSort) -> convos::wire::ChannelPage {
    h.ask(|reply| user::Request::Channels {
        connection_id: "irc-127-0-0-1".into(),
        query: ChannelQuery {
            q: q.into(),
            sort,
            limit: 50,
        },
        reply,
    })
    .await
    .expect("channels")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_goes_to_the_browser_not_into_history() {
    let Scripted {
        env,
        user: u,
        h,
        mut ev,
        listener: l,
        port,
        home: _home,
    } = Scripted::start("l@example.com").await;
    let server = tokio::spawn(async move {
        let mut p = Peer::accept(&l).await;
        p.register("me", "").await;
        p.expect("LIST").await;
        p.send(":srv 321 me Channel :Users  Name").await;
        p.send(":srv 322 me #rust 1200 :\x02Rust\x02 programming")
            .await;
        p.send(":srv 322 me #convos 42 :The web IRC client").await;
        p.send(":srv 322 me #tiny 3 :").await;
        p.send(":srv 322 me notachannel 9 :dropped").await;
        p.send(":srv 322 me #bad notanumber :kept with 0 users")
            .await;
        p.send(":srv 323 me :End of /LIST").await;
        p.roundtrip().await;
        p
    });
    let cid = add(&h, &format!("irc://127.0.0.1:{port}?tls=0&nick=me")).await;
    connected(&mut ev, &cid).await;
    assert!(
        !page(&h, "", ChannelSort::Users).await.listed,
        "nothing asked yet"
    );
    send(&h, &cid, "", "/list").await.expect("list");
    ev.wait("list done", |v| {
        v["type"] == "channel_list" && v["done"] == true
    })
    .await;
    let _peer = server.await.expect("server");

    let all = page(&h, "", ChannelSort::Users).await;
    assert!(all.listed && all.done);
    let names: Vec<&str> = all.channels.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["#rust", "#convos", "#tiny", "#bad"]);
    assert_eq!(all.total, 4);
    // Search looks at names and topics (formatting ignored), any case.
    let rust = page(&h, "RUST PROG", ChannelSort::Name).await;
    assert_eq!(rust.channels.len(), 1);
    assert_eq!(rust.channels[0].name, "#rust");
    let by_name = page(&h, "", ChannelSort::Name).await;
    assert_eq!(by_name.channels[0].name, "#bad");

    // Nothing of it is in the server conversation.
    let stored = env
        .store
        .history(u.id, &cid, "", convos::store::Page::latest().limit(200))
        .await
        .expect("history");
    assert!(
        !stored
            .messages
            .iter()
            .any(|m| m.text.contains("#rust") || m.text.contains("End of")),
        "{:?}",
        stored.messages.iter().map(|m| &m.text).collect::<Vec<_>>()
    );
    env.stop().await;
}

/// With `labeled-response`, `/whois` goes out with a label and only the replies carrying
/// it (or in its labeled batch) make the card: an unlabeled answer about the same nick
/// (another client's, passed on by a bouncer) stays a server line and does not mix in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labeled_whois_takes_only_its_own_replies() {
    let Scripted {
        env,
        user: u,
        h,
        mut ev,
        listener: l,
        port,
        home: _home,
    } = Scripted::start("w@example.com").await;
    let server = tokio::spawn(async move {
        let mut p = Peer::accept(&l).await;
        p.register("me", "labeled-response batch message-tags")
            .await;
        let whois = p.expect("@label=").await;
        let label = whois
            .strip_prefix("@label=")
            .and_then(|r| r.split([' ', ';']).next())
            .expect("label")
            .to_string();
        assert!(whois.ends_with("WHOIS bob"), "{whois}");
        // someone else's answer first, unlabeled
        p.send(":srv 311 me bob imp evil.example * :Impostor").await;
        p.send(":srv 318 me bob :End of /WHOIS list.").await;
        // ours, in a labeled batch
        p.send(&format!("@label={label} :srv BATCH +w1 labeled-response"))
            .await;
        p.send("@batch=w1 :srv 311 me bob bob example.org * :Real Bob")
            .await;
        p.send("@batch=w1 :srv 312 me bob irc.example :Example server")
            .await;
        p.send("@batch=w1 :srv 318 me bob :End of /WHOIS list.")
            .await;
        p.send(":srv BATCH -w1").await;
        p.roundtrip().await;
        p
    });
    let cid = add(&h, &format!("irc://127.0.0.1:{port}?tls=0&nick=me")).await;
    connected(&mut ev, &cid).await;
    send(&h, &cid, "", "/whois bob").await.expect("whois");
    let card = ev.wait("WHOIS card", |v| v["type"] == "whois").await;
    assert_eq!(card["whois"]["realname"], "Real Bob");
    assert_eq!(card["whois"]["host"], "example.org");
    assert_eq!(card["whois"]["server"], "irc.example");
    let _p = tokio::time::timeout(std::time::Duration::from_secs(10), server)
        .await
        .expect("server in time")
        .expect("server");
    let page = env
        .store
        .history(u.id, &cid, "", convos::store::Page::latest())
        .await
        .expect("history");
    let texts: Vec<&str> = page.messages.iter().map(|m| m.text.as_str()).collect();
    assert!(
        texts.iter().any(|t| t.contains("Impostor")),
        "the other answer stays a server line: {texts:?}"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("bob is bob@example.org")),
        "{texts:?}"
    );
    env.stop().await;
}
