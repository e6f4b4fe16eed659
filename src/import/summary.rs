//! What an import did (or, in a dry run, would do): per user, what was skipped and why,
//! and the lines that needed care. Printed the same way after a dry run and a real one.

use std::fmt::{self, Write as _};

/// How a source user maps to an account here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Account {
    /// Created by this import.
    New,
    /// An account with this e-mail was already here: it is kept as it is, and what it
    /// lacks (connections, conversations, messages) is added.
    Existing,
}

/// One imported account.
#[derive(Debug, Clone)]
pub struct User {
    pub email: String,
    pub account: Account,
    pub admin: bool,
    pub connections: u64,
    pub conversations: u64,
    pub messages: u64,
    /// Messages skipped because an earlier import stored them.
    pub already: u64,
    /// Oldest and newest message time (unix ms) of what is imported now.
    pub first: Option<i64>,
    pub last: Option<i64>,
    /// Remarks on this user (a merged directory, a password that cannot be used).
    pub notes: Vec<String>,
}

impl User {
    pub fn new(email: &str, account: Account, admin: bool) -> User {
        User {
            email: email.to_owned(),
            account,
            admin,
            connections: 0,
            conversations: 0,
            messages: 0,
            already: 0,
            first: None,
            last: None,
            notes: Vec::new(),
        }
    }

    pub fn saw(&mut self, time: i64) {
        self.messages += 1;
        self.first = Some(self.first.map_or(time, |f| f.min(time)));
        self.last = Some(self.last.map_or(time, |l| l.max(time)));
    }
}

/// A count with the first few places it happened, for the report.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub count: u64,
    pub examples: Vec<String>,
}

impl Tally {
    const EXAMPLES: usize = 3;

    pub fn add(&mut self, at: impl FnOnce() -> String) {
        self.count += 1;
        if self.examples.len() < Self::EXAMPLES {
            self.examples.push(at());
        }
    }

    fn line(&self, out: &mut String, what: &str) {
        if self.count == 0 {
            return;
        }
        let _ = write!(out, "{what}: {}", thousands(self.count));
        if !self.examples.is_empty() {
            let _ = write!(out, " (e.g. {})", self.examples.join("; "));
        }
        out.push('\n');
    }
}

/// The whole report.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// e.g. `Convos home /var/lib/convos`.
    pub source: String,
    pub dry_run: bool,
    /// Server settings taken over.
    pub settings: Vec<String>,
    pub users: Vec<User>,
    /// `what: why`, for everything not carried over.
    pub skipped: Vec<String>,
    /// Lines without a timestamp or otherwise unreadable: not imported.
    pub malformed: Tally,
    /// Lines longer than an IRC line: imported cut.
    pub truncated: Tally,
    /// Lines that were not UTF-8: decoded byte by byte as CP1252.
    pub decoded: Tally,
    /// Files that could not be read (or stopped being readable): named, then skipped.
    pub unreadable: Tally,
    /// Seconds the real run took.
    pub seconds: Option<f64>,
}

impl Summary {
    pub fn user(&mut self, email: &str) -> Option<&mut User> {
        self.users.iter_mut().find(|u| u.email == email)
    }

    pub fn skip(&mut self, what: impl fmt::Display, why: impl fmt::Display) {
        self.skipped.push(format!("{what}: {why}"));
    }

    pub fn messages(&self) -> u64 {
        self.users.iter().map(|u| u.messages).sum()
    }
}

/// `1234567` → `1 234 567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

fn day(ms: i64) -> String {
    crate::time::format_ms(ms).chars().take(10).collect()
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        let _ = write!(out, "Import from {}", self.source);
        if self.dry_run {
            out.push_str(" (dry run: nothing was written)");
        }
        out.push('\n');
        if !self.settings.is_empty() {
            let _ = writeln!(out, "settings: {}", self.settings.join(", "));
        }
        let _ = writeln!(out, "users: {}", self.users.len());
        for u in &self.users {
            let state = match (&u.account, self.dry_run) {
                (Account::New, false) => "new",
                (Account::New, true) => "new (would be created)",
                (Account::Existing, _) => "exists (kept; what it lacks is added)",
            };
            let _ = write!(
                out,
                "  {}: {state}{}; {}, {}, {}",
                u.email,
                if u.admin { ", admin" } else { "" },
                plural(u.connections, "connection", "connections"),
                plural(u.conversations, "conversation", "conversations"),
                plural(u.messages, "message", "messages"),
            );
            if let (Some(a), Some(b)) = (u.first, u.last) {
                let _ = write!(out, " ({} – {})", day(a), day(b));
            }
            if u.already > 0 {
                let _ = write!(out, ", {} already imported", thousands(u.already));
            }
            out.push('\n');
            for n in &u.notes {
                let _ = writeln!(out, "    {n}");
            }
        }
        let total = self.messages();
        let already: u64 = self.users.iter().map(|u| u.already).sum();
        let _ = write!(
            out,
            "messages: {} {}",
            thousands(total),
            if self.dry_run {
                "to import"
            } else {
                "imported"
            }
        );
        if already > 0 {
            let _ = write!(out, ", {} already imported before", thousands(already));
        }
        out.push('\n');
        self.malformed
            .line(&mut out, "lines not imported (malformed)");
        self.truncated.line(
            &mut out,
            &format!("lines cut to {} bytes", super::lines::MAX_LINE),
        );
        self.decoded
            .line(&mut out, "lines decoded as CP1252 (not UTF-8)");
        self.unreadable.line(&mut out, "files not read");
        if !self.skipped.is_empty() {
            let _ = writeln!(out, "skipped: {}", self.skipped.len());
            for s in &self.skipped {
                let _ = writeln!(out, "  {s}");
            }
        }
        if let Some(secs) = self.seconds {
            let rate = if secs > 0.0 { total as f64 / secs } else { 0.0 };
            let _ = writeln!(
                out,
                "took {secs:.1} s ({} messages/s)",
                thousands(rate as u64)
            );
        }
        f.write_str(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1 000");
        assert_eq!(thousands(1234567), "1 234 567");
    }

    #[test]
    fn dry_and_real_runs_read_alike() {
        let mut s = Summary {
            source: "Convos home /x".into(),
            ..Summary::default()
        };
        let mut u = User::new("a@b", Account::New, true);
        u.saw(1_546_300_800_000);
        u.saw(1_546_387_200_000);
        u.connections = 1;
        s.users.push(u);
        s.malformed.add(|| "a@b/irc-x/2019/01.log:3".into());
        s.skip("a@b/upload", "3 files: uploads are not carried over");
        let real = s.to_string();
        s.dry_run = true;
        let dry = s.to_string();
        assert!(real.contains("a@b: new, admin; 1 connection, 0 conversations, 2 messages (2019-01-01 – 2019-01-02)"), "{real}");
        assert!(real.contains("messages: 2 imported"));
        assert!(dry.contains("messages: 2 to import"));
        assert!(dry.contains("lines not imported (malformed): 1 (e.g. a@b/irc-x/2019/01.log:3)"));
        assert_eq!(real.lines().count(), dry.lines().count());
    }
}
