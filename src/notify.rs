//! What the user wants to be told about: per conversation a level (every message,
//! highlights and private messages, nothing), a mute until some time and a sound switch;
//! per user quiet hours in their time zone (optionally letting calls ring). Plain data and
//! the pure rules applied to Web Push (`user::push`); the browser applies the same to its
//! desktop notifications and badges.

use serde::{Deserialize, Serialize};

/// `mute_until` of "forever" (9999-12-31T23:59:59Z, exact as a JavaScript number).
pub const FOREVER_MS: i64 = 253_402_300_799_000;

/// How much of a conversation notifies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Every message.
    All,
    /// Highlights, and every message of a private conversation (the default).
    #[default]
    Mentions,
    /// Nothing (the unread count still grows).
    None,
}

/// A conversation's notification choices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Notify {
    #[serde(default)]
    pub level: Level,
    /// Silent until this time (unix ms; [`FOREVER_MS`] for good), `null` when not muted.
    #[serde(default)]
    pub mute_until: Option<i64>,
    /// Notifications may make a sound.
    #[serde(default = "yes")]
    pub sound: bool,
}

fn yes() -> bool {
    true
}

impl Default for Notify {
    fn default() -> Self {
        Notify {
            level: Level::Mentions,
            mute_until: None,
            sound: true,
        }
    }
}

impl Notify {
    /// Checks what a user asked for.
    pub fn check(&self) -> Result<(), &'static str> {
        match self.mute_until {
            Some(t) if !(0..=FOREVER_MS).contains(&t) => Err("mute_until is a time in unix ms."),
            _ => Ok(()),
        }
    }

    /// Muted at `now_ms`.
    pub fn muted(&self, now_ms: i64) -> bool {
        self.mute_until.is_some_and(|t| t > now_ms)
    }

    /// Whether a message notifies: `highlight` mentions the user, `private` is a private
    /// conversation.
    pub fn wants(&self, highlight: bool, private: bool, now_ms: i64) -> bool {
        if self.muted(now_ms) {
            return false;
        }
        match self.level {
            Level::All => true,
            Level::Mentions => highlight || private,
            Level::None => false,
        }
    }

    /// Whether a call rings (a muted or silenced conversation stays silent).
    pub fn wants_call(&self, now_ms: i64) -> bool {
        !self.muted(now_ms) && self.level != Level::None
    }
}

/// Quiet hours: no pushes from `start` to `end` (local `HH:MM`, may span midnight) in
/// `time_zone`, except calls when `calls` is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct QuietHours {
    pub enabled: bool,
    pub start: String,
    pub end: String,
    /// An IANA name such as `Europe/Oslo` (the browser's own, by default).
    pub time_zone: String,
    /// Calls still ring during quiet hours.
    pub calls: bool,
}

impl Default for QuietHours {
    fn default() -> Self {
        QuietHours {
            enabled: false,
            start: "23:00".into(),
            end: "07:00".into(),
            time_zone: "UTC".into(),
            calls: true,
        }
    }
}

/// `HH:MM` as minutes after midnight.
fn minutes(hm: &str) -> Option<u32> {
    let (h, m) = hm.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

impl QuietHours {
    /// Checks what a user asked for: `HH:MM` times and a known time zone.
    pub fn check(&self) -> Result<(), &'static str> {
        if minutes(&self.start).is_none() || minutes(&self.end).is_none() {
            return Err("Quiet hours start and end as HH:MM.");
        }
        if self.time_zone.len() > 64 || jiff::tz::TimeZone::get(&self.time_zone).is_err() {
            return Err("Unknown time zone.");
        }
        Ok(())
    }

    /// Whether `now_ms` falls in the quiet hours (never when off or unreadable; `start ==
    /// end` is never).
    pub fn active(&self, now_ms: i64) -> bool {
        if !self.enabled {
            return false;
        }
        let (Some(start), Some(end)) = (minutes(&self.start), minutes(&self.end)) else {
            return false;
        };
        let Ok(tz) = jiff::tz::TimeZone::get(&self.time_zone) else {
            return false;
        };
        let Ok(ts) = jiff::Timestamp::from_millisecond(now_ms) else {
            return false;
        };
        let local = ts.to_zoned(tz);
        let now = u32::try_from(local.hour()).unwrap_or(0) * 60
            + u32::try_from(local.minute()).unwrap_or(0);
        if start < end {
            (start..end).contains(&now)
        } else if start > end {
            now >= start || now < end
        } else {
            false
        }
    }

    /// Whether a push may go out now: outside quiet hours, or a call that may ring.
    pub fn allows(&self, call: bool, now_ms: i64) -> bool {
        !self.active(now_ms) || (call && self.calls)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> i64 {
        rfc3339
            .parse::<jiff::Timestamp>()
            .expect("time")
            .as_millisecond()
    }

    #[test]
    fn levels_and_mutes() {
        let now = 1_000_000;
        let d = Notify::default();
        // (highlight, private) → wanted
        for (n, hl, pm, want) in [
            (&d, false, false, false),
            (&d, true, false, true),
            (&d, false, true, true),
        ] {
            assert_eq!(n.wants(hl, pm, now), want, "{hl} {pm}");
        }
        let all = Notify {
            level: Level::All,
            ..Notify::default()
        };
        assert!(all.wants(false, false, now));
        let none = Notify {
            level: Level::None,
            ..Notify::default()
        };
        assert!(!none.wants(true, true, now) && !none.wants_call(now));
        let muted = Notify {
            mute_until: Some(now + 1),
            ..Notify::default()
        };
        assert!(!muted.wants(true, true, now) && !muted.wants_call(now));
        assert!(muted.wants(true, false, now + 1), "the mute ended");
        assert!(Notify {
            mute_until: Some(-1),
            ..Notify::default()
        }
        .check()
        .is_err());
        let parsed: Notify = serde_json::from_str("{}").expect("defaults");
        assert_eq!(parsed, Notify::default());
    }

    #[test]
    fn quiet_hours_in_the_users_time_zone() {
        let q = QuietHours {
            enabled: true,
            start: "23:00".into(),
            end: "07:00".into(),
            time_zone: "Europe/Oslo".into(),
            calls: true,
        };
        assert!(q.check().is_ok());
        // Oslo is UTC+1 in winter, UTC+2 in summer.
        for (utc, quiet) in [
            ("2026-01-10T21:59:00Z", false),
            ("2026-01-10T22:00:00Z", true),
            ("2026-01-11T05:59:00Z", true),
            ("2026-01-11T06:00:00Z", false),
            ("2026-07-10T21:30:00Z", true),
            ("2026-07-10T20:59:00Z", false),
        ] {
            assert_eq!(q.active(at(utc)), quiet, "{utc}");
        }
        let night = at("2026-01-10T23:00:00Z");
        assert!(!q.allows(false, night));
        assert!(q.allows(true, night), "calls still ring");
        let strict = QuietHours {
            calls: false,
            ..q.clone()
        };
        assert!(!strict.allows(true, night));
        let day = QuietHours {
            start: "09:00".into(),
            end: "17:00".into(),
            time_zone: "UTC".into(),
            ..q.clone()
        };
        assert!(day.active(at("2026-01-10T12:00:00Z")));
        assert!(!day.active(at("2026-01-10T17:00:00Z")));
        assert!(!QuietHours {
            enabled: false,
            ..q.clone()
        }
        .active(night));
        for bad in [
            QuietHours {
                start: "7:00".into(),
                ..q.clone()
            },
            QuietHours {
                end: "24:00".into(),
                ..q.clone()
            },
            QuietHours {
                time_zone: "Mars/Olympus".into(),
                ..q.clone()
            },
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
    }
}
