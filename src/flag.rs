//! The one reading of an on/off word, for the command line and environment
//! (`CONVOS_FSYNC=yes`), query parameters (`?connections=1`) and Convos connection URLs
//! (`?tls=0`), so that every place accepts the same words. Pure.

/// `1`/`true`/`yes`/`on` and `0`/`false`/`no`/`off`, ASCII case ignored and surrounding
/// space trimmed; `None` for anything else (callers choose the default or the error).
pub fn parse(s: &str) -> Option<bool> {
    const ON: [&str; 4] = ["1", "true", "yes", "on"];
    const OFF: [&str; 4] = ["0", "false", "no", "off"];
    let s = s.trim();
    if ON.iter().any(|w| s.eq_ignore_ascii_case(w)) {
        Some(true)
    } else if OFF.iter().any(|w| s.eq_ignore_ascii_case(w)) {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn words() {
        let cases = [
            ("1", Some(true)),
            ("TRUE", Some(true)),
            (" yes ", Some(true)),
            ("On", Some(true)),
            ("0", Some(false)),
            ("false", Some(false)),
            ("No", Some(false)),
            ("off", Some(false)),
            ("", None),
            ("2", None),
            ("enabled", None),
            ("y", None),
        ];
        for (input, want) in cases {
            assert_eq!(parse(input), want, "{input:?}");
        }
    }
}
