//! IRC bots: register `--count` clients concurrently (InspIRCd takes ≈1 s per client, so
//! one at a time would not do), join `--channels`, set themselves deaf (+d: they do not
//! receive channel traffic, only send it), optionally wait until `--wait-count` nicks
//! starting with `--wait-prefix` are in every channel, then send `--total` PRIVMSGs at
//! `--rate` per second in all, round-robin over channels. Each text is
//! `<tag> n=<i> t=<unix ns> <filler>`. Bounded by `--max-secs`.
//!
//! With `--total 0` the bots only wait for the other nicks: a readiness probe.

use crate::{unix_nanos, Args};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tokio::sync::Mutex;

const FILLER: &str =
    "the quick brown fox jumps over the lazy dog while the server keeps every line";

struct Bot {
    nick: String,
    writer: Mutex<OwnedWriteHalf>,
    /// channel (lowercase) -> nicks seen in the last complete NAMES reply
    names: std::sync::Mutex<HashMap<String, Vec<String>>>,
    names_pending: std::sync::Mutex<HashMap<String, Vec<String>>>,
    joined: AtomicU64,
}

async fn connect(addr: &str, nick: String, channels: &[String]) -> Result<Arc<Bot>, String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("{nick}: connect {addr}: {e}"))?;
    stream.set_nodelay(true).ok();
    let (r, mut w) = stream.into_split();
    w.write_all(format!("NICK {nick}\r\nUSER {nick} 0 * :bench bot\r\n").as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let bot = Arc::new(Bot {
        nick: nick.clone(),
        writer: Mutex::new(w),
        names: Default::default(),
        names_pending: Default::default(),
        joined: AtomicU64::new(0),
    });
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<()>();
    let reader_bot = bot.clone();
    let join_line = format!("MODE {nick} +d\r\nJOIN {}\r\n", channels.join(","));
    tokio::spawn(async move {
        let mut ready_tx = Some(ready_tx);
        let mut lines = BufReader::new(r).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let mut parts = line.split(' ');
            let first = parts.next().unwrap_or("");
            let (cmd, params): (&str, Vec<&str>) = if first.starts_with(':') {
                (parts.next().unwrap_or(""), parts.collect())
            } else {
                (first, parts.collect())
            };
            match cmd {
                "PING" => {
                    let arg = line.split_once(' ').map(|x| x.1).unwrap_or("");
                    let mut w = reader_bot.writer.lock().await;
                    let _ = w.write_all(format!("PONG {arg}\r\n").as_bytes()).await;
                }
                "001" => {
                    let mut w = reader_bot.writer.lock().await;
                    let _ = w.write_all(join_line.as_bytes()).await;
                }
                "JOIN" => {
                    if first.trim_start_matches(':').split('!').next() == Some(&reader_bot.nick) {
                        reader_bot.joined.fetch_add(1, Ordering::SeqCst);
                    }
                }
                // :srv 353 me = #chan :nick1 @nick2
                "353" if params.len() >= 4 => {
                    let chan = params[2].to_ascii_lowercase();
                    let rest = line.splitn(2, " :").nth(1).unwrap_or("");
                    let mut p = reader_bot.names_pending.lock().expect("names lock");
                    let v = p.entry(chan).or_default();
                    for n in rest.split(' ').filter(|n| !n.is_empty()) {
                        v.push(n.trim_start_matches(['@', '+', '%', '~', '&']).to_owned());
                    }
                }
                "366" if params.len() >= 2 => {
                    let chan = params[1].to_ascii_lowercase();
                    let done = reader_bot
                        .names_pending
                        .lock()
                        .expect("names lock")
                        .remove(&chan)
                        .unwrap_or_default();
                    reader_bot
                        .names
                        .lock()
                        .expect("names lock")
                        .insert(chan, done);
                    if reader_bot.joined.load(Ordering::SeqCst) as usize >= 1 {
                        if let Some(tx) = ready_tx.take() {
                            let _ = tx.send(());
                        }
                    }
                }
                "433" => {
                    eprintln!("bots: nick {} in use", reader_bot.nick);
                }
                "ERROR" => {
                    eprintln!("bots: {}: {line}", reader_bot.nick);
                    break;
                }
                _ => {}
            }
        }
    });
    tokio::time::timeout(Duration::from_secs(30), ready_rx)
        .await
        .map_err(|_| format!("{nick}: no registration/JOIN within 30 s"))?
        .map_err(|_| format!("{nick}: connection closed before JOIN"))?;
    // wait for all channel JOINs
    let deadline = Instant::now() + Duration::from_secs(10);
    while (bot.joined.load(Ordering::SeqCst) as usize) < channels.len() && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(bot)
}

/// Waits until every channel has `count` nicks starting with `prefix` (per NAMES).
async fn wait_members(
    bot: &Bot,
    channels: &[String],
    prefix: &str,
    count: usize,
    deadline: Instant,
) -> Result<(), String> {
    let mut last = String::new();
    while Instant::now() < deadline {
        bot.names.lock().expect("names lock").clear();
        {
            let mut w = bot.writer.lock().await;
            w.write_all(format!("NAMES {}\r\n", channels.join(",")).as_bytes())
                .await
                .map_err(|e| e.to_string())?;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let names = bot.names.lock().expect("names lock").clone();
        let mut all = true;
        let mut counts = Vec::new();
        for c in channels {
            let n = names
                .get(&c.to_ascii_lowercase())
                .map(|v| v.iter().filter(|n| n.starts_with(prefix)).count())
                .unwrap_or(0);
            counts.push(n);
            all &= n >= count;
        }
        last = format!("{counts:?}");
        if all {
            return Ok(());
        }
    }
    Err(format!(
        "timed out waiting for {count} '{prefix}*' nicks in each channel; last counts {last}"
    ))
}

pub async fn run(a: &Args) -> Result<(), String> {
    let t0 = Instant::now();
    let deadline = t0 + a.secs("max-secs", 120);
    let addr = a.str("addr", "127.0.0.1:6667");
    let count = a.num("count", 4).max(1);
    let prefix = a.str("prefix", "bot");
    let channels = a.list("channels");
    if channels.is_empty() {
        return Err("--channels is empty".into());
    }
    let rate = a.num("rate", 1000).max(1) as f64;
    let total = a.num("total", 0);
    let tag = a.str("tag", "bench");

    let mut handles = Vec::new();
    for i in 1..=count {
        let addr = addr.clone();
        let nick = format!("{prefix}{i}");
        let chans = channels.clone();
        handles.push(tokio::spawn(
            async move { connect(&addr, nick, &chans).await },
        ));
    }
    let mut bots = Vec::new();
    for h in handles {
        bots.push(h.await.map_err(|e| e.to_string())??);
    }
    eprintln!(
        "bots: {} connected and joined in {:.1} s",
        bots.len(),
        t0.elapsed().as_secs_f64()
    );

    let wait_count = a.num("wait-count", 0) as usize;
    if wait_count > 0 {
        let wp = a.req("wait-prefix");
        let t = Instant::now();
        wait_members(&bots[0], &channels, &wp, wait_count, deadline).await?;
        eprintln!(
            "bots: {wait_count} '{wp}*' nicks in every channel after {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    if total == 0 {
        println!("{{\"sent\":0,\"secs\":0}}");
        return Ok(());
    }

    let sent = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let nbots = bots.len() as u64;
    let mut tasks = Vec::new();
    for (b, bot) in bots.iter().enumerate() {
        let bot = bot.clone();
        let channels = channels.clone();
        let tag = tag.clone();
        let sent = sent.clone();
        tasks.push(tokio::spawn(async move {
            let mut i = b as u64;
            while i < total {
                let due = start + Duration::from_secs_f64(i as f64 / rate);
                if due > deadline {
                    break;
                }
                tokio::time::sleep_until(due.into()).await;
                // Everything already due goes out in one write.
                let mut buf = String::new();
                while i < total
                    && start + Duration::from_secs_f64(i as f64 / rate) <= Instant::now()
                {
                    let chan = &channels[i as usize % channels.len()];
                    buf.push_str(&format!(
                        "PRIVMSG {chan} :{tag} n={i} t={} {FILLER}\r\n",
                        unix_nanos()
                    ));
                    i += nbots;
                    sent.fetch_add(1, Ordering::Relaxed);
                }
                let mut w = bot.writer.lock().await;
                if let Err(e) = w.write_all(buf.as_bytes()).await {
                    eprintln!("bots: {} write: {e}", bot.nick);
                    break;
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let secs = start.elapsed().as_secs_f64();
    let n = sent.load(Ordering::Relaxed);
    eprintln!("bots: sent {n} in {secs:.2} s ({:.0}/s)", n as f64 / secs);
    // Give the server a moment to relay the tail before the bots quit.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for bot in &bots {
        let mut w = bot.writer.lock().await;
        let _ = w.write_all(b"QUIT :done\r\n").await;
    }
    println!("{{\"sent\":{n},\"secs\":{secs:.3}}}");
    if n < total {
        return Err(format!("sent only {n} of {total} before --max-secs"));
    }
    Ok(())
}
