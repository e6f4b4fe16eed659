//! Ignore masks (`/ignore`): `nick`, `nick!user@host` or any glob of them (`*`, `?`).
//! Messages, notices, CTCPs, typing, invites and calls from a matching sender are dropped
//! before anything is stored or shown. Pure.

use irc_proto::ISupport;

/// Masks one connection keeps, most.
pub const MAX_MASKS: usize = 200;
/// Longest mask accepted.
const MAX_MASK_LEN: usize = 200;

/// A mask as stored: a bare nick means `nick!*@*`. `None` when it cannot be a mask.
pub fn normalize(mask: &str) -> Option<String> {
    let mask = mask.trim();
    if mask.is_empty()
        || mask.len() > MAX_MASK_LEN
        || mask.contains(|c: char| c.is_whitespace() || c.is_control() || c == ',')
    {
        return None;
    }
    Some(match (mask.contains('!'), mask.contains('@')) {
        (false, false) => format!("{mask}!*@*"),
        (false, true) => format!("*!{mask}"),
        (true, false) => format!("{mask}@*"),
        (true, true) => mask.to_string(),
    })
}

/// A whole list from the settings: each mask normalized, duplicates dropped; the error
/// names the first mask that cannot be one.
pub fn normalize_all(list: &[String]) -> Result<Vec<String>, String> {
    if list.len() > MAX_MASKS {
        return Err(format!("At most {MAX_MASKS} ignore masks per connection."));
    }
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for m in list {
        let n = normalize(m).ok_or_else(|| format!("Not a nick or mask: {m}"))?;
        if !out.iter().any(|o| o.eq_ignore_ascii_case(&n)) {
            out.push(n);
        }
    }
    Ok(out)
}

/// Whether the sender `source` (`nick!user@host`, or a bare nick) matches any mask, under
/// the network's case mapping.
pub fn is_ignored(masks: &[String], isupport: &ISupport, source: &str) -> bool {
    if masks.is_empty() || source.is_empty() {
        return false;
    }
    let full = if source.contains('!') {
        std::borrow::Cow::Borrowed(source)
    } else {
        std::borrow::Cow::Owned(format!("{source}!*@*"))
    };
    let folded = isupport.fold(&full);
    masks
        .iter()
        .any(|m| glob(isupport.fold(m).as_bytes(), folded.as_bytes()))
}

/// `*` and `?` glob match, linear with one backtrack point (no exponential blowup).
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == b'?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes() {
        let cases = [
            ("bob", Some("bob!*@*")),
            (" bob ", Some("bob!*@*")),
            ("*@spam.example", Some("*!*@spam.example")),
            ("bob!*", Some("bob!*@*")),
            ("*!*@1.2.3.4", Some("*!*@1.2.3.4")),
            ("", None),
            ("two words", None),
            ("a,b", None),
        ];
        for (input, want) in cases {
            assert_eq!(normalize(input).as_deref(), want, "{input:?}");
        }
        assert_eq!(normalize(&"x".repeat(201)), None);
    }

    #[test]
    fn normalizes_lists() {
        let list = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            normalize_all(&list(&["bob", "BOB!*@*", "*@h"])),
            Ok(list(&["bob!*@*", "*!*@h"]))
        );
        assert_eq!(
            normalize_all(&list(&["ok", "not ok"])),
            Err("Not a nick or mask: not ok".into())
        );
        assert!(normalize_all(&vec!["x".to_string(); MAX_MASKS + 1]).is_err());
    }

    #[test]
    fn matches_senders() {
        let i = ISupport::default();
        let masks: Vec<String> = ["Bob", "*!*@spam.example", "tr?ll*"]
            .iter()
            .filter_map(|m| normalize(m))
            .collect();
        let cases = [
            ("bob!b@h", true),
            ("BOB!x@y", true),
            ("bob", true),
            ("bobby!b@h", false),
            ("eve!e@spam.example", true),
            ("eve!e@SPAM.example", true),
            ("eve!e@notspam.example.org", false),
            ("troll!t@h", true),
            ("trolling!t@h", true),
            ("tr!t@h", false),
            ("", false),
        ];
        for (source, want) in cases {
            assert_eq!(is_ignored(&masks, &i, source), want, "{source}");
        }
        assert!(!is_ignored(&[], &i, "bob!b@h"));
    }

    #[test]
    fn glob_is_not_exponential() {
        let pattern = "*a".repeat(50) + "b";
        let text = "a".repeat(500);
        assert!(!glob(pattern.as_bytes(), text.as_bytes()));
        assert!(glob(b"*", b""));
        assert!(glob(b"a*b*c", b"axxbyyc"));
        assert!(!glob(b"a*b*c", b"axxbyy"));
    }
}
