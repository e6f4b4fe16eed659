//! A throw-away PostgreSQL database per test, in the cluster `scripts/test` starts.

/// A fresh database for one test, as a URL; `None` (skip) when no PostgreSQL is given.
pub fn database(name: &str) -> Option<String> {
    let admin = match std::env::var("CONVOS_TEST_PG_ADMIN") {
        Ok(u) if !u.is_empty() => u,
        _ => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("CONVOS_TEST_PG_ADMIN is not set and CI=true: scripts/test starts a PostgreSQL for this test");
            }
            eprintln!("skipped: CONVOS_TEST_PG_ADMIN is not set");
            return None;
        }
    };
    let db = format!("{name}_{}", std::process::id());
    let (a, d) = (admin.clone(), db.clone());
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&a, postgres::NoTls).expect("admin connection");
        c.batch_execute(&format!("DROP DATABASE IF EXISTS {d}"))
            .expect("drop");
        c.batch_execute(&format!("CREATE DATABASE {d}"))
            .expect("create");
    })
    .join()
    .expect("thread");
    let mut url = url::Url::parse(&admin).expect("url");
    url.set_path(&db);
    Some(url.to_string())
}
