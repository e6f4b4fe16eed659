//! The formatting table both sides share: `tests/data/formatting.json` is read here and by
//! the frontend's vitest (`formatting.test.ts`), so the browser renders exactly the spans
//! irc-proto parses.

use irc_proto::formatting::{parse, Color, Style};
use irc_proto::strip_formatting;
use serde_json::{json, Map, Value};

fn fixture() -> Value {
    let text = include_str!("data/formatting.json");
    serde_json::from_str(text).expect("formatting.json is JSON")
}

fn color(c: Color) -> Value {
    match c {
        Color::Palette(n) => json!(n),
        Color::Rgb(..) => json!(c.to_hex()),
    }
}

/// A style as the fixture writes it: only what differs from plain text.
fn style(s: &Style) -> Value {
    let mut m = Map::new();
    for (name, on) in [
        ("bold", s.bold),
        ("italic", s.italic),
        ("underline", s.underline),
        ("strikethrough", s.strikethrough),
        ("monospace", s.monospace),
        ("reverse", s.reverse),
    ] {
        if on {
            m.insert(name.into(), json!(true));
        }
    }
    if let Some(c) = s.fg {
        m.insert("fg".into(), color(c));
    }
    if let Some(c) = s.bg {
        m.insert("bg".into(), color(c));
    }
    Value::Object(m)
}

#[test]
fn spans_match_the_shared_table() {
    let f = fixture();
    let cases = f["parse"].as_array().expect("parse cases");
    assert!(cases.len() >= 20);
    for case in cases {
        let input = case["input"].as_str().expect("input");
        let got: Vec<Value> = parse(input)
            .iter()
            .map(|s| json!({"text": s.text, "style": style(&s.style)}))
            .collect();
        assert_eq!(Value::Array(got), case["spans"], "{input:?}");
    }
}

#[test]
fn stripping_matches_the_shared_table() {
    for case in fixture()["strip"].as_array().expect("strip cases") {
        let input = case["input"].as_str().expect("input");
        assert_eq!(
            strip_formatting(input),
            case["output"].as_str().expect("output"),
            "{input:?}"
        );
    }
}
