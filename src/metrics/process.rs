//! The process's own resources, read from `/proc/self` when a scrape asks, under the
//! names Prometheus client libraries use (`process_*`).
//!
//! Hand-written: `prometheus-client` has no process collector, and the few `/proc` fields
//! needed do not justify a crate. Outside Linux the values stay 0.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

pub(super) struct Gauges {
    rss: Gauge,
    cpu: Counter<f64, AtomicU64>,
    fds: Gauge,
    max_fds: Gauge,
    start: Gauge,
    threads: Gauge,
}

impl Gauges {
    pub(super) fn register(r: &mut Registry) -> Gauges {
        let root = r;
        let g = Gauges {
            rss: Gauge::default(),
            cpu: Counter::default(),
            fds: Gauge::default(),
            max_fds: Gauge::default(),
            start: Gauge::default(),
            threads: Gauge::default(),
        };
        root.register(
            "resident_memory_bytes",
            "Resident memory size in bytes",
            g.rss.clone(),
        );
        root.register(
            "cpu_seconds",
            "User and system CPU time spent in seconds",
            g.cpu.clone(),
        );
        root.register("open_fds", "Open file descriptors", g.fds.clone());
        root.register(
            "max_fds",
            "Limit of open file descriptors",
            g.max_fds.clone(),
        );
        root.register(
            "start_time_seconds",
            "Start time of the process since the Unix epoch in seconds",
            g.start.clone(),
        );
        root.register("threads", "OS threads", g.threads.clone());
        g
    }

    /// Reads `/proc/self` into the gauges; what cannot be read keeps its last value.
    pub(super) fn update(&self) {
        if let Some(stat) = Stat::read() {
            let page = rustix::param::page_size() as i64;
            self.rss.set(stat.rss_pages.saturating_mul(page));
            self.threads.set(stat.threads);
            let tick = rustix::param::clock_ticks_per_second() as f64;
            if tick > 0.0 {
                let cpu = (stat.utime + stat.stime) as f64 / tick;
                let delta = cpu - self.cpu.get();
                if delta > 0.0 {
                    self.cpu.inc_by(delta);
                }
                if self.start.get() == 0 {
                    if let Some(boot) = boot_time() {
                        self.start.set(boot + (stat.starttime as f64 / tick) as i64);
                    }
                }
            }
        }
        if let Ok(dir) = std::fs::read_dir("/proc/self/fd") {
            self.fds.set(dir.count() as i64);
        }
        let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile);
        if let Some(max) = limit.current {
            self.max_fds.set(i64::try_from(max).unwrap_or(i64::MAX));
        }
    }
}

/// The fields of `/proc/self/stat` we use (proc(5)).
#[derive(Debug, PartialEq)]
struct Stat {
    utime: u64,
    stime: u64,
    threads: i64,
    starttime: u64,
    rss_pages: i64,
}

impl Stat {
    fn read() -> Option<Stat> {
        Stat::parse(&std::fs::read_to_string("/proc/self/stat").ok()?)
    }

    /// Fields after the command name, which is in parentheses and may hold spaces.
    fn parse(text: &str) -> Option<Stat> {
        let rest = &text[text.rfind(')')? + 1..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        // `rest` starts at field 3 (state): field N is f[N - 3].
        let n = |i: usize| f.get(i - 3)?.parse::<i64>().ok();
        Some(Stat {
            utime: u64::try_from(n(14)?).ok()?,
            stime: u64::try_from(n(15)?).ok()?,
            threads: n(20)?,
            starttime: u64::try_from(n(22)?).ok()?,
            rss_pages: n(24)?,
        })
    }
}

/// Boot time in seconds since the epoch (`btime` of `/proc/stat`).
fn boot_time() -> Option<i64> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_stat() {
        let line = "4242 (convos (x) y) S 1 4242 4242 0 -1 4194560 3000 0 0 0 \
                    150 50 0 0 20 0 9 0 123456 1000000000 2500 18446744073709551615";
        assert_eq!(
            Stat::parse(line),
            Some(Stat {
                utime: 150,
                stime: 50,
                threads: 9,
                starttime: 123456,
                rss_pages: 2500
            })
        );
        assert_eq!(Stat::parse("garbage"), None);
        assert_eq!(Stat::parse("1 (x) S 1 2"), None);
    }
}
