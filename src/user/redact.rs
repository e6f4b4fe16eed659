//! Secrets in on-connect commands: what API answers show instead of them, and how an
//! edited list that still shows `********` gets the stored secret back.

use crate::model::Secret;

/// What replaces a secret.
pub const MASK: &str = "********";

/// `cmd` with its secret replaced by [`MASK`]: the text after the NickServ command word of
/// a message to NickServ (`/msg NickServ IDENTIFY pw`, `/ns`, `/nickserv`, `/quote PRIVMSG
/// NickServ :...`), the arguments of `PASS` and `OPER`. Other commands are unchanged.
pub fn command(cmd: &str) -> String {
    let trimmed = cmd.trim_start();
    let words: Vec<&str> = trimmed.split_whitespace().collect();
    let lower: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
    let at = |i: usize| lower.get(i).map(String::as_str).unwrap_or("");
    // How many words to keep before the secret.
    let keep = match (at(0), at(1), at(2)) {
        ("/msg" | "/query", "nickserv", _) => Some(3),
        ("/ns" | "/nickserv", _, _) => Some(2),
        ("/quote" | "/raw", "privmsg", "nickserv" | ":nickserv") => Some(4),
        ("privmsg", "nickserv", _) => Some(3),
        ("/quote" | "/raw", "pass" | "oper", _) => Some(2),
        ("pass" | "oper" | "/pass" | "/oper", _, _) => Some(1),
        _ => None,
    };
    match keep {
        Some(k) if words.len() > k => format!("{} {MASK}", words[..k].join(" ")),
        _ => cmd.to_string(),
    }
}

/// The commands a user saved, with each one still showing a mask replaced by the stored
/// command it was shown for.
pub fn restore(new: Vec<String>, old: &[Secret]) -> Vec<String> {
    new.into_iter()
        .map(|c| {
            if !c.contains(MASK) {
                return c;
            }
            old.iter()
                .map(|o| o.expose())
                .find(|o| command(o) == c.trim())
                .map(str::to_string)
                .unwrap_or(c)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_secrets_in_commands() {
        for (cmd, shown) in [
            (
                "/msg NickServ IDENTIFY hunter2",
                "/msg NickServ IDENTIFY ********",
            ),
            (
                "/msg nickserv identify bob hunter2",
                "/msg nickserv identify ********",
            ),
            ("/ns identify hunter2", "/ns identify ********"),
            ("/nickserv IDENTIFY hunter2", "/nickserv IDENTIFY ********"),
            (
                "/quote PRIVMSG NickServ :IDENTIFY pw",
                "/quote PRIVMSG NickServ :IDENTIFY ********",
            ),
            (
                "PRIVMSG NickServ :IDENTIFY pw",
                "PRIVMSG NickServ :IDENTIFY ********",
            ),
            ("/quote PASS secret", "/quote PASS ********"),
            ("PASS secret", "PASS ********"),
            ("/oper admin pw", "/oper ********"),
            ("/join #convos", "/join #convos"),
            ("/msg bob hi there", "/msg bob hi there"),
            ("/msg NickServ", "/msg NickServ"),
        ] {
            assert_eq!(command(cmd), shown, "{cmd}");
        }
    }

    #[test]
    fn restores_masked_commands() {
        let old = vec![
            Secret::new("/msg NickServ IDENTIFY hunter2"),
            Secret::new("/join #a"),
        ];
        let new = vec![
            "/msg NickServ IDENTIFY ********".to_string(),
            "/join #b".to_string(),
            "/msg NickServ IDENTIFY newpass".to_string(),
            "/ns identify ********".to_string(),
        ];
        assert_eq!(
            restore(new, &old),
            vec![
                "/msg NickServ IDENTIFY hunter2",
                "/join #b",
                "/msg NickServ IDENTIFY newpass",
                "/ns identify ********",
            ]
        );
    }
}
