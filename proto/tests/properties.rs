//! Property tests: formatting round-trips, parsing never panics, splitting keeps every
//! character within the limit.

use irc_proto::{split, Message, WORST_SOURCE_LEN};
use proptest::prelude::*;

fn key() -> impl Strategy<Value = String> {
    "\\+?([a-z0-9.-]{1,8}/)?[A-Za-z0-9-]{1,12}"
}

/// Any text without NUL, CR or LF (tag values may hold CR/LF: they are escaped).
fn text() -> impl Strategy<Value = String> {
    "[^\u{0}\r\n]{0,40}"
}

fn middle() -> impl Strategy<Value = String> {
    "[^\u{0}\r\n :][^\u{0}\r\n ]{0,15}"
}

fn command() -> impl Strategy<Value = String> {
    prop_oneof!["[A-Za-z]{1,12}", "[0-9]{3}"]
}

fn source() -> impl Strategy<Value = Option<String>> {
    proptest::option::of("[^\u{0}\r\n :][^\u{0}\r\n ]{0,30}")
}

#[derive(Debug, Clone)]
struct Parts {
    tags: Vec<(String, Option<String>)>,
    source: Option<String>,
    command: String,
    params: Vec<String>,
    last: Option<(String, bool)>,
}

fn parts() -> impl Strategy<Value = Parts> {
    (
        proptest::collection::vec((key(), proptest::option::of("[^\u{0}]{0,20}")), 0..6),
        source(),
        command(),
        proptest::collection::vec(middle(), 0..8),
        proptest::option::of((text(), any::<bool>())),
    )
        .prop_map(|(tags, source, command, params, last)| Parts {
            tags,
            source,
            command,
            params,
            last,
        })
}

fn build(p: &Parts) -> Message {
    let mut b = Message::new(&p.command);
    for (k, v) in &p.tags {
        b = b.tag_opt(k, v.as_deref());
    }
    if let Some(s) = &p.source {
        b = b.source(s);
    }
    b = b.params(&p.params);
    if let Some((last, forced)) = &p.last {
        b = if *forced {
            b.trailing(last)
        } else {
            b.param(last)
        };
    }
    b.build().expect("generated parts are valid")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn format_then_parse_is_identity(p in parts()) {
        let m = build(&p);
        let line = m.to_string();
        let back = Message::parse(&line).expect("formatted line parses");
        prop_assert_eq!(&back, &m);
        prop_assert_eq!(back.command(), p.command.as_str());
        prop_assert_eq!(back.source(), p.source.as_deref());
        let mut want: Vec<&str> = p.params.iter().map(String::as_str).collect();
        if let Some((last, _)) = &p.last {
            want.push(last);
        }
        prop_assert_eq!(back.params(), want);
        // The last value of each key wins.
        for (k, _) in &p.tags {
            let last = p.tags.iter().rev().find(|(k2, _)| k2 == k).map(|(_, v)| v.as_deref());
            prop_assert_eq!(back.tag(k), last);
        }
        // And formatting is stable.
        prop_assert_eq!(back.to_string(), line);
    }

    #[test]
    fn parse_never_panics(line in "\\PC{0,200}") {
        if let Ok(m) = Message::parse(&line) {
            let again = Message::parse(&m.to_string()).expect("formatted line parses");
            prop_assert_eq!(again, m);
        }
    }

    #[test]
    fn parse_never_panics_on_any_string(line in any::<String>()) {
        if let Ok(m) = Message::parse(&line) {
            prop_assert_eq!(Message::parse(&m.to_string()).expect("formatted line parses"), m);
        }
    }

    #[test]
    fn parse_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Message::parse_bytes(&bytes);
    }

    #[test]
    fn parse_never_panics_on_ircish_lines(line in "(@[a-z+/=;\\\\ ]{0,20} )?(:[a-z!@. ]{0,10} )?[A-Z0-9 ]{0,6}( [:a-z ;\\\\]{0,12}){0,20}[\r\n]{0,2}") {
        if let Ok(m) = Message::parse(&line) {
            let again = Message::parse(&m.to_string()).expect("formatted line parses");
            prop_assert_eq!(again, m);
        }
    }

    #[test]
    fn split_fits_and_loses_nothing(
        text in "([^\u{0}\r\n\u{1}]{0,30}[ \n]?){0,60}",
        target in "[#&]?[a-z]{1,20}",
        command in prop_oneof![Just("PRIVMSG"), Just("NOTICE")],
    ) {
        let lines = split::split_message(command, &target, &text, WORST_SOURCE_LEN);
        let prefix = format!("{command} {target} :");
        let mut joined = String::new();
        for l in &lines {
            prop_assert!(l.len() + 2 + WORST_SOURCE_LEN <= 512, "{} bytes", l.len());
            prop_assert!(l.starts_with(&prefix));
            let m = Message::parse(l).expect("split line parses");
            prop_assert_eq!(m.params().len(), 2);
            joined.push_str(&l[prefix.len()..]);
        }
        let want: String = text.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
        prop_assert_eq!(joined, want);
    }

    #[test]
    fn split_text_respects_any_budget(text in "\\PC{0,300}", max in 0usize..64) {
        let pieces = split::split_text(&text, max);
        for p in &pieces {
            prop_assert!(p.len() <= max.max(4));
            prop_assert!(!p.is_empty());
        }
        let want: String = text.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
        prop_assert_eq!(pieces.concat(), want);
    }

    #[test]
    fn action_split_keeps_framing(body in "[a-zé😀 ]{1,1200}") {
        let text = irc_proto::ctcp::action(&body);
        let lines = split::split_message("PRIVMSG", "#c", &text, WORST_SOURCE_LEN);
        let mut joined = String::new();
        for l in &lines {
            prop_assert!(l.len() + 2 + WORST_SOURCE_LEN <= 512);
            let m = Message::parse(l).expect("parses");
            let c = irc_proto::Ctcp::parse(m.param(1).unwrap_or_default()).expect("ctcp");
            prop_assert!(c.is_action());
            let framed = m.param(1).unwrap_or_default().ends_with('\u{1}');
            prop_assert!(framed);
            joined.push_str(c.params);
        }
        prop_assert_eq!(joined, body);
    }

    #[test]
    fn decode_never_fails(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let s = irc_proto::decode(&bytes);
        if let Ok(valid) = std::str::from_utf8(&bytes) {
            prop_assert_eq!(s.as_ref(), valid);
        } else {
            prop_assert!(s.chars().count() <= bytes.len());
        }
    }

    #[test]
    fn formatting_strip_matches_spans(text in "([\u{2}\u{3}\u{4}\u{f}\u{11}\u{16}\u{1d}\u{1e}\u{1f}]|[0-9a-f,]{0,7}|\\PC{0,5}){0,30}") {
        let spans = irc_proto::formatting::parse(&text);
        let joined: String = spans.iter().map(|s| s.text).collect();
        prop_assert_eq!(irc_proto::strip_formatting(&text).into_owned(), joined);
    }
}
