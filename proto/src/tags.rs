//! IRCv3 message tags: key validation, value escaping and unescaping, and the compact
//! in-buffer form a [`Message`](crate::Message) keeps them in.
//!
//! Spec: <https://ircv3.net/specs/extensions/message-tags>.
//!
//! A parsed message stores its tags at the start of its one buffer, already unescaped, as
//! a run of entries `key\0` (no value) or `key=value\0`. Keys never hold `=` or NUL and
//! values never hold NUL (the parser refuses NUL anywhere), so the run splits back
//! without ambiguity. A tag overridden by a later one of the same key is turned into a
//! tombstone by writing `=` over the first byte of its key; iteration skips those.

use std::fmt;

/// How many keys are checked for duplicates without allocating; past this a sort is used.
const INLINE_KEYS: usize = 32;

/// Whether `key` is a valid tag key: `[+][vendor/]name`, where vendor and name use ASCII
/// letters, digits, `-`, `.` and `_` (the last is beyond the spec's grammar but seen in
/// the wild and harmless).
///
/// <https://ircv3.net/specs/extensions/message-tags#format>
pub fn is_valid_key(key: &str) -> bool {
    let body = key.strip_prefix('+').unwrap_or(key);
    !body.is_empty()
        && !body.starts_with('/')
        && !body.ends_with('/')
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'/'))
}

/// Appends the unescaped form of the raw tag value `raw` to `out`: `\:` → `;`, `\s` →
/// space, `\\` → `\`, `\r` → CR, `\n` → LF, `\` before any other character drops the
/// backslash, and a lone trailing `\` is dropped.
///
/// <https://ircv3.net/specs/extensions/message-tags#escaping-values>
pub fn unescape_into(raw: &str, out: &mut String) {
    let mut rest = raw;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let mut after = rest[i + 1..].chars();
        match after.next() {
            Some(':') => out.push(';'),
            Some('s') => out.push(' '),
            Some('\\') => out.push('\\'),
            Some('r') => out.push('\r'),
            Some('n') => out.push('\n'),
            Some(c) => out.push(c),
            None => {}
        }
        rest = after.as_str();
    }
    out.push_str(rest);
}

/// Writes `value` escaped for the wire: `;` → `\:`, space → `\s`, `\` → `\\`, CR → `\r`,
/// LF → `\n`.
///
/// <https://ircv3.net/specs/extensions/message-tags#escaping-values>
pub fn write_escaped(out: &mut impl fmt::Write, value: &str) -> fmt::Result {
    let mut start = 0;
    for (i, b) in value.bytes().enumerate() {
        let esc = match b {
            b';' => "\\:",
            b' ' => "\\s",
            b'\\' => "\\\\",
            b'\r' => "\\r",
            b'\n' => "\\n",
            _ => continue,
        };
        out.write_str(&value[start..i])?;
        out.write_str(esc)?;
        start = i + 1;
    }
    out.write_str(&value[start..])
}

/// Returns `value` escaped for the wire, see [`write_escaped`].
pub fn escape(value: &str) -> String {
    let mut s = String::with_capacity(value.len() + 8);
    // Writing into a String cannot fail.
    let _ = write_escaped(&mut s, value);
    s
}

/// Bytes that `value` takes on the wire once escaped.
pub(crate) fn escaped_len(value: &str) -> usize {
    value.len()
        + value
            .bytes()
            .filter(|b| matches!(b, b';' | b' ' | b'\\' | b'\r' | b'\n'))
            .count()
}

/// Appends one entry to the tag region in `buf` and makes an earlier entry of the same
/// key a tombstone. `seen` records (start, key length) of live entries while it has room;
/// `overflow` is set when it runs out, and [`dedup_all`] must then run at the end.
pub(crate) struct RegionWriter {
    seen: [(u16, u16); INLINE_KEYS],
    n: usize,
    overflow: bool,
}

impl RegionWriter {
    pub(crate) fn new() -> Self {
        RegionWriter {
            seen: [(0, 0); INLINE_KEYS],
            n: 0,
            overflow: false,
        }
    }

    /// Pushes `key` and the raw (escaped) `value` when `unescape`, else the plain value.
    pub(crate) fn push(
        &mut self,
        buf: &mut String,
        key: &str,
        value: Option<&str>,
        unescape: bool,
    ) {
        let start = buf.len();
        buf.push_str(key);
        if let Some(v) = value {
            buf.push('=');
            if unescape {
                unescape_into(v, buf);
            } else {
                buf.push_str(v);
            }
        }
        buf.push('\0');
        if self.overflow {
            return;
        }
        // Buffers are capped far below u16::MAX by the callers.
        let entry = (start as u16, key.len() as u16);
        let dup = self.seen[..self.n].iter().position(|&(s, l)| {
            l as usize == key.len() && buf.get(s as usize..s as usize + key.len()) == Some(key)
        });
        match dup {
            Some(j) => {
                let s = self.seen[j].0 as usize;
                buf.replace_range(s..s + 1, "=");
                self.seen[j] = entry;
            }
            None if self.n < INLINE_KEYS => {
                self.seen[self.n] = entry;
                self.n += 1;
            }
            None => self.overflow = true,
        }
    }

    /// Finishes the region that ends at `end`.
    pub(crate) fn finish(self, buf: &mut String, end: usize) {
        if self.overflow {
            dedup_all(buf, end);
        }
    }
}

/// Tombstones every entry in `buf[..end]` overridden by a later one of the same key, in
/// O(n log n): used only for lines with very many tags.
fn dedup_all(buf: &mut String, end: usize) {
    let mut entries: Vec<(usize, usize)> = Vec::new();
    let mut pos = 0;
    for entry in buf[..end].split_terminator('\0') {
        if !entry.starts_with('=') {
            let klen = entry.find('=').unwrap_or(entry.len());
            entries.push((pos, klen));
        }
        pos += entry.len() + 1;
    }
    let key = |&(s, l): &(usize, usize)| &buf[s..s + l];
    entries.sort_by(|a, b| key(a).cmp(key(b)).then(a.0.cmp(&b.0)));
    let mut dead = Vec::new();
    for pair in entries.windows(2) {
        if key(&pair[0]) == key(&pair[1]) {
            dead.push(pair[0].0);
        }
    }
    for s in dead {
        buf.replace_range(s..s + 1, "=");
    }
}

/// Iterator over a message's tags as `(key, value)` in wire order, values unescaped; a
/// tag repeated on the line appears once, at the place of its last occurrence, with its
/// last value (<https://ircv3.net/specs/extensions/message-tags#rules-for-naming-conventions>
/// says parsers should keep only the final one).
///
/// Returned by [`Message::tags`](crate::Message::tags).
#[derive(Debug, Clone)]
pub struct Tags<'a> {
    region: &'a str,
}

impl<'a> Tags<'a> {
    pub(crate) fn new(region: &'a str) -> Self {
        Tags { region }
    }
}

impl<'a> Iterator for Tags<'a> {
    type Item = (&'a str, Option<&'a str>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.region.is_empty() {
                return None;
            }
            let (entry, rest) = match self.region.split_once('\0') {
                Some(pair) => pair,
                None => (self.region, ""),
            };
            self.region = rest;
            if entry.is_empty() || entry.starts_with('=') {
                continue;
            }
            return Some(match entry.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (entry, None),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_table() {
        let cases = [
            ("plain", "plain"),
            (r"a\:b", "a;b"),
            (r"a\sb", "a b"),
            (r"a\\b", r"a\b"),
            (r"a\r\n", "a\r\n"),
            (r"value\1", "value1"),
            (r"value1\", "value1"),
            (r"value\\ntest", r"value\ntest"),
            (r"\\\\\:\\s\s\r\n", "\\\\;\\s \r\n"),
            (r"ü\é", "üé"),
            ("", ""),
        ];
        for (raw, want) in cases {
            let mut out = String::new();
            unescape_into(raw, &mut out);
            assert_eq!(out, want, "unescaping {raw:?}");
        }
    }

    #[test]
    fn escape_round_trips() {
        for v in ["a;b c\\d\r\ne", "", "plain", "\\", ";;"] {
            let e = escape(v);
            assert_eq!(e.len(), escaped_len(v));
            let mut back = String::new();
            unescape_into(&e, &mut back);
            assert_eq!(back, v);
        }
    }

    #[test]
    fn keys() {
        for k in [
            "a",
            "+draft/reply",
            "example.com/foo-bar",
            "msgid",
            "tmi_sent_ts",
        ] {
            assert!(is_valid_key(k), "{k}");
        }
        for k in ["", "+", "a b", "a=b", "/x", "x/", "é", "a;b", "+/"] {
            assert!(!is_valid_key(k), "{k:?}");
        }
    }

    #[test]
    fn many_duplicates_are_dropped() {
        let mut buf = String::new();
        let mut w = RegionWriter::new();
        for i in 0..100 {
            let key = format!("k{}", i % 40);
            w.push(&mut buf, &key, Some(&i.to_string()), false);
        }
        let end = buf.len();
        w.finish(&mut buf, end);
        let tags: Vec<_> = Tags::new(&buf).collect();
        assert_eq!(tags.len(), 40);
        assert!(tags.contains(&("k0", Some("80"))));
        assert!(tags.contains(&("k39", Some("79"))));
    }
}
