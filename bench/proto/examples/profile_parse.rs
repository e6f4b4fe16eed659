//! Parses the corpus in a loop, for `perf record`; prints ns per line for both crates,
//! interleaved so that machine load hits both alike.

use std::hint::black_box;
use std::time::Instant;

fn main() {
    let lines = irc_proto_bench::corpus(10_000);
    let bytes: usize = lines.iter().map(|l| l.len()).sum();
    let tagged = lines.iter().filter(|l| l.starts_with('@')).count();
    println!("corpus: {} lines, {bytes} bytes, {tagged} with tags", lines.len());
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20);
    let only_ours = std::env::args().nth(2).is_some_and(|a| a == "ours");
    let (mut ours, mut theirs) = (0u128, 1u128);
    for _ in 0..rounds {
        let t = Instant::now();
        for l in &lines {
            black_box(irc_proto::Message::parse(black_box(l)).ok());
        }
        ours += t.elapsed().as_nanos();
        if only_ours {
            continue;
        }
        let t = Instant::now();
        for l in &lines {
            black_box(black_box(l.as_str()).parse::<upstream::Message>().ok());
        }
        theirs += t.elapsed().as_nanos();
    }
    let n = (rounds * lines.len()) as u128;
    println!(
        "ours {} ns/line, upstream {} ns/line, ratio {:.2}",
        ours / n,
        theirs / n,
        theirs as f64 / ours as f64
    );
}
