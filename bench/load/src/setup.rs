//! Logs users `--from`..=`--to` (`--email` pattern with `{}`) into our daemon and adds one
//! connection each (`--url` pattern with `{}`), `--parallel` at a time. Users are created
//! beforehand with `convos user add`. Joining is checked from the IRC side (`bots --wait-*`).

use crate::http::{login, request};
use crate::{fmt_n, Args};
use std::sync::Arc;
use std::time::Instant;

pub async fn run(a: &Args) -> Result<(), String> {
    let addr = a.req("addr");
    let email = a.req("email");
    let url = a.req("url");
    let password = a.req("password");
    let (from, to) = (a.num("from", 1), a.num("to", 1));
    let sem = Arc::new(tokio::sync::Semaphore::new(a.num("parallel", 4) as usize));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for n in from..=to {
        let (addr, email, url, password, sem) = (
            addr.clone(),
            fmt_n(&email, n),
            fmt_n(&url, n),
            password.clone(),
            sem.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire().await.map_err(|e| e.to_string())?;
            let cookie = login(&addr, &email, &password).await?;
            let body = serde_json::json!({ "url": url });
            let r = request(
                &addr,
                "POST",
                "/api/connections",
                Some(&cookie),
                Some(&body),
            )
            .await?;
            if r.status != 200 && r.status != 201 {
                return Err(format!("{email}: add connection: {} {}", r.status, r.body));
            }
            Ok::<(), String>(())
        }));
    }
    for t in tasks {
        t.await.map_err(|e| e.to_string())??;
    }
    eprintln!(
        "setup: users {from}..={to} logged in with a connection in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}
