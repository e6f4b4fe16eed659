//! Parse and format throughput of our `irc-proto` against crates.io's `irc-proto` 1.x
//! (imported as `upstream`) on the same 10 000-line corpus, in one run.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use irc_proto_bench::corpus;

const LINES: usize = 10_000;

fn parse(c: &mut Criterion) {
    let lines = corpus(LINES);
    let bytes: usize = lines.iter().map(|l| l.len()).sum();
    // Both crates must accept the whole corpus, or the comparison means nothing.
    assert!(lines.iter().all(|l| irc_proto::Message::parse(l).is_ok()));
    assert!(lines.iter().all(|l| l.parse::<upstream::Message>().is_ok()));

    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("ours", |b| {
        b.iter(|| {
            for l in &lines {
                black_box(irc_proto::Message::parse(black_box(l)).ok());
            }
        })
    });
    g.bench_function("upstream", |b| {
        b.iter(|| {
            for l in &lines {
                black_box(black_box(l.as_str()).parse::<upstream::Message>().ok());
            }
        })
    });
    g.finish();
}

fn format(c: &mut Criterion) {
    let lines = corpus(LINES);
    let bytes: usize = lines.iter().map(|l| l.len()).sum();
    let ours: Vec<irc_proto::Message> = lines
        .iter()
        .filter_map(|l| irc_proto::Message::parse(l).ok())
        .collect();
    let theirs: Vec<upstream::Message> = lines.iter().filter_map(|l| l.parse().ok()).collect();

    let mut g = c.benchmark_group("format");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("ours", |b| {
        b.iter(|| {
            for m in &ours {
                black_box(black_box(m).to_string());
            }
        })
    });
    g.bench_function("upstream", |b| {
        b.iter(|| {
            for m in &theirs {
                black_box(black_box(m).to_string());
            }
        })
    });
    g.finish();
}

criterion_group!(benches, parse, format);
criterion_main!(benches);
