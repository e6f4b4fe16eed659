//! WebSocket frame benchmark: `cargo bench --bench events`. Every stored line becomes one
//! `message` event, serialized once per user for all their browsers (`Hub::publish`); this
//! measures that serialization for a typical chat line: `Event::frame` (the event with its
//! `seq`, through serde's `flatten`) against the event alone as the floor.
//! Prints ns per frame; figures in BENCHMARKS.md ("Events").

use std::hint::black_box;
use std::time::Instant;

use convos::wire::{Event, Message, MessageType};

fn main() {
    let n: u64 = std::env::var("EVENTS_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500_000);
    let event = Event::Message(Message {
        id: 1_839_538_780_957_696,
        connection_id: "irc-libera".into(),
        conversation_id: "#convos".into(),
        ts: "2026-12-04T23:45:01.123Z".into(),
        kind: MessageType::Private,
        from: "superman".into(),
        message: "has anyone tried the new release with video calls? works great here".into(),
        highlight: false,
        own: false,
        read: None,
        // What InspIRCd and Ergo put on every message.
        msgid: Some("835~1796436217~42".into()),
        reply_to: None,
    });
    let alone = |e: &Event, _seq: u64| serde_json::to_string(e).unwrap_or_default();
    for (name, f) in [
        (
            "Event::frame (with seq)",
            &Event::frame as &dyn Fn(&Event, u64) -> String,
        ),
        ("the event alone (floor)", &alone),
    ] {
        // Warm up, then the best of three runs.
        for seq in 0..n / 10 {
            black_box(f(&event, seq));
        }
        let mut best = f64::MAX;
        for _ in 0..3 {
            let t = Instant::now();
            for seq in 0..n {
                black_box(f(&event, seq));
            }
            best = best.min(t.elapsed().as_nanos() as f64 / n as f64);
        }
        println!("{name:34} {best:7.0} ns/frame");
    }
}
