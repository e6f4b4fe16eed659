//! Full-text search: filters, scripts without spaces, syntax that must stay plain text, and the bounds on a search.

use super::*;

#[tokio::test]
async fn search_filters_unicode_and_syntax() {
    let (_dir, store, user) = setup().await;
    let day = 86_400_000;
    let lines: [(&str, &str, &str, &str, i64); 9] = [
        (
            "irc-libera",
            "#convos",
            "batman",
            "the video call works now",
            10,
        ),
        ("irc-libera", "#convos", "Robin", "video of the call", 11),
        (
            "irc-libera",
            "#rust",
            "ferris",
            "see https://github.com/convos-chat/convos/pull/42",
            12,
        ),
        ("irc-oftc", "#convos", "batman", "oftc video here", 13),
        ("irc-libera", "#convos", "joker", "Café crème brûlée", 14),
        ("irc-libera", "#日本", "taro", "東京都に住んでいます", 15),
        (
            "irc-libera",
            "#convos",
            "mallory",
            "NEAR(\"a\" OR b*) AND -x :) \"",
            16,
        ),
        ("irc-libera", "#convos", "batman", "videogames are fun", 17),
        ("irc-libera", "superman", "lois", "private video talk", 18),
    ];
    for (conn, conv, nick, text, d) in lines {
        store
            .append(NewEntry {
                connection_id: conn.into(),
                from: nick.into(),
                time: d * day,
                ..msg(user, conv, text)
            })
            .await
            .expect("append");
    }
    store.index_pending().await.expect("index");
    let texts = |q: &str| {
        let store = store.clone();
        let q = SearchQuery::parse(q);
        async move {
            store
                .search(user, q)
                .await
                .expect("search")
                .messages
                .into_iter()
                .map(|e| e.text)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        texts("video").await,
        [
            "private video talk",
            "oftc video here",
            "video of the call",
            "the video call works now"
        ]
    );
    assert_eq!(texts("\"video call\"").await, ["the video call works now"]);
    assert_eq!(texts("video call").await.len(), 2);
    assert_eq!(texts("video*").await.len(), 5);
    assert_eq!(
        texts("from:BATMAN video").await,
        ["oftc video here", "the video call works now"]
    );
    assert_eq!(texts("from:robin").await, ["video of the call"]);
    assert_eq!(
        texts("in:#convos conn:irc-oftc video").await,
        ["oftc video here"]
    );
    assert_eq!(texts("in:#CONVOS video").await.len(), 3);
    assert_eq!(texts("in:superman").await, ["private video talk"]);
    assert!(texts("in:#nowhere video").await.is_empty());
    assert_eq!(
        texts(&format!("video after:1970-01-12 before:{}", 14 * day)).await,
        ["oftc video here", "video of the call"]
    );
    assert_eq!(texts("github.com/convos-chat").await.len(), 1);
    assert_eq!(texts("pull/42").await.len(), 1);
    assert_eq!(texts("cafe").await, ["Café crème brûlée"]);
    assert_eq!(texts("BRÛLÉE").await.len(), 1);
    assert_eq!(texts("東京").await, ["東京都に住んでいます"]);
    assert_eq!(texts("住んで").await.len(), 1);
    assert_eq!(texts("京東").await.len(), 0);
    // FTS syntax is plain text: no errors, and it matches literally.
    assert_eq!(texts("NEAR(\"a\" OR b*)").await.len(), 1);
    for q in [
        "\"",
        "*",
        "AND",
        "-",
        ":)",
        "^x",
        "a:b:c",
        "\"unterminated",
        "NOT",
    ] {
        let _ = texts(q).await;
    }
    // Paging through results.
    let mut q = SearchQuery::parse("video");
    q.limit = Some(3);
    let first = store.search(user, q.clone()).await.expect("page 1");
    assert_eq!(first.messages.len(), 3);
    assert!(!first.end);
    q.before_id = first.messages.last().map(|e| e.id);
    let second = store.search(user, q).await.expect("page 2");
    assert_eq!(second.messages.len(), 1);
    assert!(second.end);
}

#[tokio::test]
async fn searches_are_bounded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open_in(
        dir.path(),
        Options {
            search_budget: Duration::from_millis(1),
            ..opts()
        },
    )
    .expect("open");
    let user = add_user(&store, "superman@example.com").await;
    for prefix in ["a*", "é*", "x* hello"] {
        let err = store
            .search(user, SearchQuery::parse(prefix))
            .await
            .expect_err("one-letter prefix");
        assert!(matches!(err, Error::Invalid(_)), "{prefix}: {err:?}");
    }
    let many: Vec<String> = (0..17).map(|i| format!("w{i}")).collect();
    let err = store
        .search(user, SearchQuery::parse(&many.join(" ")))
        .await
        .expect_err("17 words");
    assert!(matches!(err, Error::Invalid(_)), "{err:?}");
    store
        .search(user, SearchQuery::parse(&many[..16].join(" ")))
        .await
        .expect("16 words are fine");
    if on_postgres() {
        // PostgreSQL's statement_timeout (≥ 20 ms) outlasts this small search; the same
        // setting stops longer ones.
        return;
    }
    // A search that walks many rows (every "the", none before 1971) runs out of its
    // (1 ms) budget and is stopped.
    let entries: Vec<NewEntry> = (0..20_000)
        .map(|i| msg(user, "#big", &format!("the common word {i}")))
        .collect();
    store.append_many(entries).await.expect("append");
    store.index_pending().await.expect("index");
    let err = store
        .search(user, SearchQuery::parse("the before:1971-01-01"))
        .await;
    assert!(matches!(err, Err(Error::Timeout)), "{err:?}");
    // The read connection it used is fine afterwards.
    store
        .history(user, "irc-libera", "#big", Page::latest())
        .await
        .expect("history after a stopped search");
}

/// Frequent words, rare words and words found only in old lines all come back newest first
/// and complete, page after page, whichever way the engine finds them (on PostgreSQL: the
/// newest-first walk of the user's rows, then GIN below it), with another user's lines
/// interleaved.
#[tokio::test]
async fn every_kind_of_word_comes_back_newest_first_and_complete() {
    let (_dir, store, user) = setup().await;
    let other = add_user(&store, "lois@example.com").await;
    let n = 6_000usize;
    let text = |i: usize| {
        let mut t = format!("hay line {i}");
        if i < 5 {
            t.push_str(" needle");
        }
        if i % 150 == 0 {
            t.push_str(" mid");
        }
        if i % 40 == 0 && i < 3_000 {
            t.push_str(" oldish");
        }
        if i % 2 == 0 {
            t.push_str(" even");
        }
        t
    };
    let mut entries = Vec::new();
    for i in 0..n {
        let mut e = msg(user, if i % 3 == 0 { "#b" } else { "#a" }, &text(i));
        e.time += i as i64;
        if i % 5 == 0 {
            e.from = "robin".into();
        }
        entries.push(e);
        let mut o = msg(other, "#a", &text(i));
        o.time += i as i64;
        entries.push(o);
    }
    let stored = store.append_many(entries).await.expect("append");
    store.index_pending().await.expect("index");
    let mine: Vec<(usize, &Entry)> = stored
        .iter()
        .map(|a| &a.entry)
        .filter(|e| e.user_id == user)
        .enumerate()
        .collect();
    let cases: [(&str, &dyn Fn(usize) -> bool); 8] = [
        ("hay", &|_| true),
        ("needle", &|i| i < 5),
        ("mid", &|i| i % 150 == 0),
        ("oldish", &|i| i % 40 == 0 && i < 3_000),
        ("even hay", &|i| i % 2 == 0),
        ("in:#b mid", &|i| i % 150 == 0 && i % 3 == 0),
        ("from:robin oldish", &|i| {
            i % 5 == 0 && i % 40 == 0 && i < 3_000
        }),
        ("from:robin", &|i| i % 5 == 0),
    ];
    for (query, matches) in cases {
        let mut want: Vec<MessageId> = mine
            .iter()
            .filter(|(i, _)| matches(*i))
            .map(|(_, e)| e.id)
            .collect();
        want.reverse();
        want.truncate(120);
        let mut got = Vec::new();
        let mut q = SearchQuery::parse(query);
        while got.len() < want.len() {
            let page = store.search(user, q.clone()).await.expect(query);
            assert!(
                !page.messages.is_empty(),
                "{query}: stopped at {}",
                got.len()
            );
            got.extend(page.messages.iter().map(|e| e.id));
            q.before_id = page.messages.last().map(|e| e.id);
            if page.end {
                break;
            }
        }
        got.truncate(want.len());
        assert_eq!(got, want, "{query}");
    }
}

/// A line committed on the appender's thread while the writer thread idles (SQLite's
/// inline commit) still reaches the search index within `index_delay`, without
/// `index_pending`: the writer is woken for it.
#[tokio::test]
async fn a_line_committed_while_the_writer_idles_becomes_searchable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open_in(
        dir.path(),
        Options {
            index_delay: Duration::from_millis(20),
            ..opts()
        },
    )
    .expect("open");
    let user = add_user(&store, "superman@example.com").await;
    for word in ["first", "second"] {
        store
            .append(msg(user, "#convos", &format!("needle {word}")))
            .await
            .expect("append");
        let found = async {
            loop {
                let q = SearchQuery::parse(word);
                let hits = store.search(user, q).await.expect("search").messages;
                if hits.iter().any(|e| e.text == format!("needle {word}")) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), found)
            .await
            .expect("searchable without index_pending");
    }
}

/// A search finds every line stored before it, live or replayed below the indexer's
/// mark, however long the indexer would otherwise wait: it catches up first.
#[tokio::test]
async fn a_search_finds_every_line_stored_before_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open_in(
        dir.path(),
        Options {
            index_delay: Duration::from_secs(3600),
            ..opts()
        },
    )
    .expect("open");
    let user = add_user(&store, "superman@example.com").await;
    for word in ["first", "second", "third"] {
        store
            .append(msg(user, "#convos", &format!("needle {word}")))
            .await
            .expect("append");
        assert_eq!(found(&store, user, word).await, [format!("needle {word}")]);
    }
    // A replayed line, placed by its time below the lines above.
    let old = NewEntry {
        time: crate::time::now_ms() - 3_600_000,
        backfill: true,
        ..msg(user, "#convos", "needle replayed")
    };
    store.append(old).await.expect("replay");
    assert_eq!(
        found(&store, user, "needle").await,
        [
            "needle third",
            "needle second",
            "needle first",
            "needle replayed"
        ]
    );
}

#[tokio::test]
async fn each_user_finds_only_their_own_words_and_phrases() {
    // Forty users: keys such as 1 and 11 or 12 are all in the index, and users 1 and 33
    // share one (index::WORD_KEYS).
    let (_dir, store, first) = setup().await;
    let mut users = vec![first];
    for n in 2..=40 {
        users.push(add_user(&store, &format!("u{n}@example.com")).await);
    }
    for (i, user) in users.iter().enumerate() {
        for text in [
            format!("the shared phrase of user {i}"),
            "the shared phrase again".to_owned(),
            format!("2xa 12 x{i}"),
        ] {
            store
                .append(msg(*user, "#convos", &text))
                .await
                .expect("append");
        }
    }
    store.index_pending().await.expect("index");
    for (i, user) in users.iter().enumerate() {
        let found = |q: &str| {
            let (store, q) = (store.clone(), SearchQuery::parse(q));
            async move {
                let r = store.search(*user, q).await.expect("search");
                assert!(r.messages.iter().all(|e| e.user_id == *user));
                r.messages.into_iter().map(|e| e.text).collect::<Vec<_>>()
            }
        };
        assert_eq!(found("\"shared phrase\"").await.len(), 2, "user {i}");
        assert_eq!(found("\"the shared phrase\" again").await.len(), 1);
        assert_eq!(found("shar* user").await.len(), 1);
        assert_eq!(
            found(&format!("\"user {i}\"")).await,
            [format!("the shared phrase of user {i}")]
        );
        assert_eq!(found("\"2xa 12\"").await, [format!("2xa 12 x{i}")]);
        assert_eq!(found(&format!("x{i}")).await.len(), 1);
        // A search of filters alone lists the user's lines, nobody else's.
        assert_eq!(found("in:#convos").await.len(), 3);
    }
}

#[tokio::test]
async fn words_with_marks_are_whole_words() {
    let (_dir, store, user) = setup().await;
    for text in ["नमस्ते दुनिया", "cafe\u{301} au lait", "abⓐcd"] {
        store
            .append(msg(user, "#convos", text))
            .await
            .expect("append");
    }
    store.index_pending().await.expect("index");
    let n = |q: &str| {
        let (store, q) = (store.clone(), SearchQuery::parse(q));
        async move { store.search(user, q).await.expect("search").messages.len() }
    };
    assert_eq!(n("नमस्ते").await, 1);
    assert_eq!(n("\"नमस्ते दुनिया\"").await, 1);
    assert_eq!(n("café").await, 1);
    assert_eq!(n("cafe").await, 1);
    assert_eq!(n("abⓐcd").await, 1);
    assert_eq!(n("ⓐ").await, 0);
    if !on_postgres() {
        // PostgreSQL's index keeps its own word split (`index::pg_words`).
        assert_eq!(n("नमस").await, 0, "a vowel sign is part of its word");
        // An enclosed letter is a symbol: it parts words.
        assert_eq!(n("cd").await, 1);
    }
}
