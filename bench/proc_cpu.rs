//! A process's CPU time from `/proc`, for the benches that print CPU a line (included
//! with `#[path]`: each bench is a binary of its own).

/// utime + stime of process `pid` (`"self"`: this one), in seconds.
pub fn cpu_secs(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let rest = stat.rsplit_once(") ").map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // After "pid (comm) ": state is field 0, utime 11, stime 12, in 100 Hz ticks.
    (ticks(11) + ticks(12)) / 100.0
}
