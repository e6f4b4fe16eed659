//! [`CaseMapping`]: how a server folds the case of nicks and channel names, so that
//! `Nick` and `nick` (and, in rfc1459, `[` and `{`) name the same thing.
//!
//! Spec: <https://modern.ircdocs.horse/#casemapping-parameter>.

use std::borrow::Cow;
use std::str::FromStr;

/// A case mapping advertised in `CASEMAPPING` (ISUPPORT).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CaseMapping {
    /// `ascii`: only `A-Z` fold to `a-z`.
    Ascii,
    /// `rfc1459`: `A-Z`, and `[]\~` fold to `{}|^`. The default when a server advertises
    /// nothing (<https://modern.ircdocs.horse/#casemapping-parameter>).
    #[default]
    Rfc1459,
    /// `rfc1459-strict` (also spelled `strict-rfc1459`): like rfc1459 but `~` and `^` are
    /// distinct.
    Rfc1459Strict,
    /// `rfc7613` / `rfc8265` / `precis` (Ergo with Unicode nicks): approximated as ASCII
    /// folding plus Unicode lowercase.
    Unicode,
}

impl CaseMapping {
    /// Reads the `CASEMAPPING` token value; `None` for a name this crate does not know
    /// (callers then usually keep the default, see [`CaseMapping::from_name_or_default`]).
    pub fn from_name(name: &str) -> Option<CaseMapping> {
        let name = name.trim();
        Some(if name.eq_ignore_ascii_case("ascii") {
            CaseMapping::Ascii
        } else if name.eq_ignore_ascii_case("rfc1459") {
            CaseMapping::Rfc1459
        } else if name.eq_ignore_ascii_case("rfc1459-strict")
            || name.eq_ignore_ascii_case("strict-rfc1459")
        {
            CaseMapping::Rfc1459Strict
        } else if ["rfc7613", "rfc8265", "precis"]
            .iter()
            .any(|n| name.eq_ignore_ascii_case(n))
        {
            CaseMapping::Unicode
        } else {
            return None;
        })
    }

    /// Like [`CaseMapping::from_name`], with [`CaseMapping::Rfc1459`] for unknown names.
    pub fn from_name_or_default(name: &str) -> CaseMapping {
        CaseMapping::from_name(name).unwrap_or_default()
    }

    /// The canonical name, as a server advertises it.
    pub fn name(self) -> &'static str {
        match self {
            CaseMapping::Ascii => "ascii",
            CaseMapping::Rfc1459 => "rfc1459",
            CaseMapping::Rfc1459Strict => "rfc1459-strict",
            CaseMapping::Unicode => "rfc8265",
        }
    }

    /// Folds one character to its lower-case form under this mapping; characters that
    /// fold to several (Unicode mapping only) keep their first.
    pub fn fold_char(self, c: char) -> char {
        match (self, c) {
            (_, 'A'..='Z') => c.to_ascii_lowercase(),
            (CaseMapping::Rfc1459 | CaseMapping::Rfc1459Strict, '[') => '{',
            (CaseMapping::Rfc1459 | CaseMapping::Rfc1459Strict, ']') => '}',
            (CaseMapping::Rfc1459 | CaseMapping::Rfc1459Strict, '\\') => '|',
            (CaseMapping::Rfc1459, '~') => '^',
            (CaseMapping::Unicode, c) if !c.is_ascii() => c.to_lowercase().next().unwrap_or(c),
            _ => c,
        }
    }

    /// `s` folded to lower case under this mapping; borrowed when already folded.
    /// Use it as the key of maps of nicks or channels.
    pub fn fold(self, s: &str) -> Cow<'_, str> {
        match s.char_indices().find(|&(_, c)| self.fold_char(c) != c) {
            None => Cow::Borrowed(s),
            Some((i, _)) => {
                let mut out = String::with_capacity(s.len());
                out.push_str(&s[..i]);
                out.extend(s[i..].chars().map(|c| self.fold_char(c)));
                Cow::Owned(out)
            }
        }
    }

    /// Whether `a` and `b` are the same name under this mapping, without allocating.
    pub fn eq(self, a: &str, b: &str) -> bool {
        if self != CaseMapping::Unicode && a.len() != b.len() {
            return false;
        }
        a.chars()
            .map(|c| self.fold_char(c))
            .eq(b.chars().map(|c| self.fold_char(c)))
    }
}

impl FromStr for CaseMapping {
    type Err = UnknownCaseMapping;

    /// Same as [`CaseMapping::from_name`], with an error for unknown names.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CaseMapping::from_name(s).ok_or(UnknownCaseMapping)
    }
}

/// A `CASEMAPPING` name this crate does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown case mapping")]
pub struct UnknownCaseMapping;

#[cfg(test)]
mod tests {
    use super::*;
    use CaseMapping::*;

    #[test]
    fn fold_table() {
        let cases = [
            (Ascii, "Nick[]\\~", "nick[]\\~"),
            (Rfc1459, "Nick[]\\~", "nick{}|^"),
            (Rfc1459Strict, "Nick[]\\~", "nick{}|~"),
            (Unicode, "ÉCOLE[x]", "école[x]"),
            (Rfc1459, "#Chan", "#chan"),
            (Rfc1459, "already", "already"),
        ];
        for (map, input, want) in cases {
            assert_eq!(map.fold(input), want, "{map:?} {input}");
            assert!(map.eq(input, want));
        }
        assert!(matches!(Rfc1459.fold("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn eq_table() {
        assert!(Rfc1459.eq("foo[a]", "FOO{A}"));
        assert!(!Ascii.eq("foo[a]", "FOO{A}"));
        assert!(Rfc1459.eq("a~", "a^"));
        assert!(!Rfc1459Strict.eq("a~", "a^"));
        assert!(!Rfc1459.eq("abc", "abcd"));
    }

    #[test]
    fn names() {
        assert_eq!(
            CaseMapping::from_name("strict-rfc1459"),
            Some(Rfc1459Strict)
        );
        assert_eq!(
            CaseMapping::from_name("rfc1459-strict"),
            Some(Rfc1459Strict)
        );
        assert_eq!("ascii".parse(), Ok(Ascii));
        assert_eq!(CaseMapping::from_name("klingon"), None);
        assert_eq!(CaseMapping::from_name_or_default("klingon"), Rfc1459);
        for m in [Ascii, Rfc1459, Rfc1459Strict, Unicode] {
            assert_eq!(CaseMapping::from_name(m.name()), Some(m));
        }
    }
}
