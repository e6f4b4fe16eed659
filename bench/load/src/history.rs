//! Cold start, first page and search latency of our daemon over a filled store.
//! `--since-ns` is the unix time (ns) at which the harness exec'd the daemon: ready =
//! first answer of `GET /api/settings/public`; first page = ready + login + the newest 60
//! messages of `--conv`. Then `--searches` searches for words of the generator's
//! vocabulary (common, middling and rare, cycling) and `--pages` history pages at random
//! positions, then `--older` pages of 100 scrolling back from the newest on one kept-alive
//! connection (the "load older messages" of the browser). Prints one JSON line.

use crate::fill::{vocabulary, Rng};
use crate::http::{enc, login, request, KeepAlive};
use crate::{pct, unix_nanos, Args};
use std::time::{Duration, Instant};

pub async fn run(a: &Args) -> Result<(), String> {
    let addr = a.req("addr");
    let since = a
        .req("since-ns")
        .parse::<u128>()
        .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + a.secs("max-secs", 60);
    let ms_since = |t: u128| t.saturating_sub(since) as f64 / 1e6;
    loop {
        if let Ok(r) = request(&addr, "GET", "/api/settings/public", None, None).await {
            if r.status == 200 {
                break;
            }
        }
        if Instant::now() > deadline {
            return Err("daemon did not answer".into());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let ready_ms = ms_since(unix_nanos());
    let cookie = login(&addr, &a.req("email"), &a.req("password")).await?;
    let user = request(
        &addr,
        "GET",
        "/api/user?connections=true",
        Some(&cookie),
        None,
    )
    .await?
    .json()?;
    let cid = user["connections"][0]["connection_id"]
        .as_str()
        .ok_or("no connection")?
        .to_owned();
    let conv = enc(&a.req("conv"));
    let path = format!("/api/connection/{cid}/conversation/{conv}/messages?limit=60");
    let t = Instant::now();
    let page = request(&addr, "GET", &path, Some(&cookie), None).await?;
    let page_ms = t.elapsed().as_secs_f64() * 1e3;
    let first_page_ms = ms_since(unix_nanos());
    let got = page.json()?["messages"]
        .as_array()
        .map(|m| m.len())
        .unwrap_or(0);
    if got == 0 {
        return Err(format!(
            "first page empty: {}",
            &page.body[..page.body.len().min(300)]
        ));
    }

    let vocab = vocabulary();
    let mut rng = Rng(42);
    let mut search = Vec::new();
    let mut hits = 0usize;
    for i in 0..a.num("searches", 30) {
        let word = match i % 3 {
            0 => vocab[rng.below(50)].clone(),
            1 => vocab[50 + rng.below(500)].clone(),
            _ => vocab[5000 + rng.below(15_000)].clone(),
        };
        let t = Instant::now();
        let r = request(
            &addr,
            "GET",
            &format!("/api/search?match={}", enc(&word)),
            Some(&cookie),
            None,
        )
        .await?;
        search.push(t.elapsed().as_secs_f64() * 1e3);
        if r.status != 200 {
            return Err(format!("search {word}: {} {}", r.status, r.body));
        }
        hits += r.json()?["messages"]
            .as_array()
            .map(|m| m.len())
            .unwrap_or(0);
        if Instant::now() > deadline {
            break;
        }
    }
    // Searches that find nothing measure nothing: the index was not built.
    if hits == 0 {
        return Err(format!("{} searches found no message", search.len()));
    }
    // Pages at random positions: `before` a random id of this conversation's range.
    let newest = page.json()?["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["id"].as_i64())
        .unwrap_or(1);
    let mut pages = Vec::new();
    for _ in 0..a.num("pages", 30) {
        let before = 1 + rng.below(newest.max(1) as usize);
        let t = Instant::now();
        let r = request(
            &addr,
            "GET",
            &format!("{path}&before={before}"),
            Some(&cookie),
            None,
        )
        .await?;
        pages.push(t.elapsed().as_secs_f64() * 1e3);
        if r.status != 200 {
            return Err(format!("page before {before}: {} {}", r.status, r.body));
        }
    }
    // Scrolling back: 100 older messages at a time from the newest, as the browser asks
    // for them, on one kept-alive connection (`--older` pages); then the same walk again,
    // its pages now in the OS's cache (the first read them from disk after the harness
    // dropped the caches).
    let mut conn = KeepAlive::connect(&addr).await?;
    let walk = async |conn: &mut KeepAlive| -> Result<Vec<f64>, String> {
        let mut older = Vec::new();
        let mut before: Option<i64> = None;
        for _ in 0..a.num("older", 100) {
            let q = before.map(|b| format!("&before={b}")).unwrap_or_default();
            let path = format!("/api/connection/{cid}/conversation/{conv}/messages?limit=100{q}");
            let t = Instant::now();
            let (status, body) = conn.get(&path, &cookie).await?;
            let ms = t.elapsed().as_secs_f64() * 1e3;
            if status != 200 {
                return Err(format!("older page: {status} {body}"));
            }
            let v: serde_json::Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
            let msgs = v["messages"].as_array().cloned().unwrap_or_default();
            // The first request is the newest page, not an older one.
            if before.is_some() {
                older.push(ms);
            }
            match msgs.first().and_then(|m| m["id"].as_i64()) {
                Some(id) if msgs.len() == 100 => before = Some(id),
                _ => break,
            }
        }
        older.sort_by(|a, b| a.total_cmp(b));
        Ok(older)
    };
    let older = walk(&mut conn).await?;
    let again = walk(&mut conn).await?;
    search.sort_by(|a, b| a.total_cmp(b));
    pages.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{{\"ready_ms\":{ready_ms:.1},\"first_page_ms\":{first_page_ms:.1},\"page_ms\":{page_ms:.2},\"searches\":{},\"search_hits\":{hits},\"search_p50_ms\":{:.2},\"search_p99_ms\":{:.2},\"page_p50_ms\":{:.2},\"page_p99_ms\":{:.2},\"older_pages\":{},\"older_p50_ms\":{:.3},\"older_p99_ms\":{:.3},\"again_p50_ms\":{:.3},\"again_p99_ms\":{:.3}}}",
        search.len(),
        pct(&search, 0.5),
        pct(&search, 0.99),
        pct(&pages, 0.5),
        pct(&pages, 0.99),
        older.len(),
        pct(&older, 0.5),
        pct(&older, 0.99),
        pct(&again, 0.5),
        pct(&again, 0.99)
    );
    Ok(())
}
