//! `convos-load`: the tools `scripts/bench` drives. Every loop here is bounded in count
//! and time, and every address is on 127.0.0.1.
//!
//! - `bots`: N IRC clients that join channels, optionally wait until other clients are in
//!   them (seen in NAMES), then send PRIVMSGs at a set rate, each carrying `t=<unix ns>`.
//! - `setup`: logs users into our daemon and adds one IRC connection each.
//! - `events`: one `/events` WebSocket per user; IRC→browser latency from `t=`.
//! - `count`: polls an SQLite query until it reaches a number (all messages stored?).
//! - `fill`: writes generated history rows into our store and The Lounge's SQLite.
//! - `history`: cold start, first page and search latency of our daemon.

mod bots;
mod events;
mod fill;
mod history;
mod http;
mod setup;

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `--key value` pairs after the subcommand.
pub struct Args(HashMap<String, String>);

impl Args {
    fn parse(items: &[String]) -> Args {
        let mut map = HashMap::new();
        let mut it = items.iter();
        while let Some(k) = it.next() {
            let key = k.trim_start_matches("--").to_owned();
            let val = it.next().cloned().unwrap_or_default();
            map.insert(key, val);
        }
        Args(map)
    }
    pub fn str(&self, key: &str, default: &str) -> String {
        self.0
            .get(key)
            .cloned()
            .unwrap_or_else(|| default.to_owned())
    }
    pub fn req(&self, key: &str) -> String {
        match self.0.get(key) {
            Some(v) => v.clone(),
            None => {
                eprintln!("convos-load: missing --{key}");
                std::process::exit(2);
            }
        }
    }
    pub fn num(&self, key: &str, default: u64) -> u64 {
        self.0
            .get(key)
            .map(|v| {
                v.parse().unwrap_or_else(|_| {
                    eprintln!("convos-load: --{key} wants a number, got {v}");
                    std::process::exit(2)
                })
            })
            .unwrap_or(default)
    }
    pub fn secs(&self, key: &str, default: u64) -> Duration {
        Duration::from_secs(self.num(key, default))
    }
    pub fn list(&self, key: &str) -> Vec<String> {
        self.str(key, "")
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

pub fn unix_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// `t=<nanos>` inside a message text, as the bots write it.
pub fn sent_nanos(text: &str) -> Option<u128> {
    let i = text.find(" t=")?;
    let rest = &text[i + 3..];
    let end = rest.find(' ').unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// Percentile (0..=1) of sorted samples in milliseconds.
pub fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// `{}` in a pattern replaced by the number.
pub fn fmt_n(pattern: &str, n: u64) -> String {
    pattern.replace("{}", &n.to_string())
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    let Some(cmd) = argv.get(1) else {
        eprintln!("usage: convos-load bots|setup|events|count|fill|history --key value ...");
        std::process::exit(2);
    };
    let args = Args::parse(&argv[2..]);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let ok = match cmd.as_str() {
        "bots" => rt.block_on(bots::run(&args)),
        "setup" => rt.block_on(setup::run(&args)),
        "events" => rt.block_on(events::run(&args)),
        "count" => fill::count(&args),
        "fill" => fill::run(&args),
        "history" => rt.block_on(history::run(&args)),
        other => Err(format!("unknown command {other}")),
    };
    if let Err(e) = ok {
        eprintln!("convos-load {cmd}: {e}");
        std::process::exit(1);
    }
}
