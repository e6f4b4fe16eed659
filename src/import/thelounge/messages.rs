//! The Lounge's messages: a row of its store (type + JSON) or a line of its text log as a
//! message here, and a row rendered as the text log writes it (to take each message once).

use serde_json::Value;

use crate::model::Kind;

/// A message as stored here.
pub(super) struct Msg {
    pub kind: Kind,
    pub from: String,
    pub text: String,
    pub highlight: bool,
}

/// A row of The Lounge's store (type + JSON) as a message; `None` for types without
/// anything to show.
pub(super) fn from_row(kind: &str, msg: &Value) -> Option<Msg> {
    let s = |p: &str| msg.pointer(p).and_then(Value::as_str).unwrap_or("");
    let nick = s("/from/nick").to_owned();
    let text = s("/text").to_owned();
    let highlight = msg
        .get("highlight")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let (kind, text) = match kind {
        "message" => (Kind::Privmsg, text),
        "action" => (Kind::Action, text),
        "notice" => (Kind::Notice, text),
        "join" => (Kind::Join, format!("{nick} joined.")),
        "part" => (Kind::Part, text),
        "quit" => (Kind::Quit, quit(&nick, &text)),
        "kick" => {
            let target = s("/target/nick").to_owned();
            let t = kicked(&target, &nick, &text);
            return Some(Msg {
                kind: Kind::Kick,
                from: target,
                text: t,
                highlight,
            });
        }
        "nick" => (
            Kind::Nick,
            format!("{nick} is now known as {}.", s("/new_nick")),
        ),
        "mode" | "mode_channel" | "mode_user" => (Kind::Mode, text),
        "topic" => (Kind::Topic, topic(&nick, &text)),
        "chghost" => (
            Kind::Server,
            format!(
                "{nick} changed host to {}@{}",
                s("/new_ident"),
                s("/new_host")
            ),
        ),
        "error" if !text.is_empty() => (Kind::Error, text),
        _ if !text.is_empty() => (Kind::Server, text),
        _ => return None,
    };
    Some(Msg {
        kind,
        from: nick,
        text,
        highlight,
    })
}

fn quit(nick: &str, reason: &str) -> String {
    if reason.is_empty() {
        format!("{nick} quit.")
    } else {
        format!("{nick} quit: {reason}")
    }
}

fn kicked(target: &str, by: &str, reason: &str) -> String {
    if reason.is_empty() {
        format!("{target} was kicked by {by}")
    } else {
        format!("{target} was kicked by {by}: {reason}")
    }
}

fn topic(nick: &str, text: &str) -> String {
    if nick.is_empty() {
        format!("The topic is: {text}")
    } else {
        format!("{nick} changed the topic to: {text}")
    }
}

/// A row rendered as The Lounge writes it to its text log (`text.ts`), continuation lines
/// joined with `\n`; `None` for types it does not log.
pub(super) fn render(kind: &str, msg: &Value) -> Option<String> {
    let s = |p: &str| msg.pointer(p).and_then(Value::as_str).unwrap_or("");
    let (mode, nick, text, host) = (s("/from/mode"), s("/from/nick"), s("/text"), s("/hostmask"));
    Some(match kind {
        "action" => format!("* {mode}{nick} {text}"),
        "join" => format!("*** {nick} ({host}) joined"),
        "kick" => format!("*** {} was kicked by {nick} ({text})", s("/target/nick")),
        "message" => format!("<{mode}{nick}> {text}"),
        "mode" => format!("*** {nick} set mode {text}"),
        "nick" => format!("*** {nick} changed nick to {}", s("/new_nick")),
        "notice" => format!("-{nick}- {text}"),
        "part" => format!("*** {nick} ({host}) left ({text})"),
        "quit" => format!("*** {nick} ({host}) quit ({text})"),
        "chghost" => format!(
            "*** {nick} changed host to '{}@{}'",
            s("/new_ident"),
            s("/new_host")
        ),
        "topic" => format!("*** {nick} changed topic to '{text}'"),
        _ => return None,
    })
}

/// A nick as the text log shows it, without its mode symbol (`@fred` → `fred`).
fn bare(nick: &str) -> &str {
    nick.strip_prefix(['~', '&', '@', '%', '+', '!'])
        .filter(|n| !n.is_empty())
        .unwrap_or(nick)
}

/// A text log record (after `[time] `) as a message.
pub(super) fn from_text(rest: &str) -> Msg {
    let msg = |kind, from: &str, text: String| Msg {
        kind,
        from: from.to_owned(),
        text,
        highlight: false,
    };
    if let Some((nick, text)) = rest
        .strip_prefix('<')
        .and_then(|r| r.split_once("> "))
        .filter(|(n, _)| !n.is_empty() && !n.contains(' '))
    {
        return msg(Kind::Privmsg, bare(nick), text.to_owned());
    }
    if let Some((nick, text)) = rest
        .strip_prefix("* ")
        .and_then(|r| r.split_once(' '))
        .filter(|(n, _)| !n.is_empty())
    {
        return msg(Kind::Action, bare(nick), text.to_owned());
    }
    if let Some((nick, text)) = rest
        .strip_prefix('-')
        .and_then(|r| r.split_once("- "))
        .filter(|(n, _)| !n.is_empty() && !n.contains(' '))
    {
        return msg(Kind::Notice, nick, text.to_owned());
    }
    let Some(body) = rest.strip_prefix("*** ") else {
        return msg(Kind::Server, "", rest.to_owned());
    };
    let (nick, tail) = body.split_once(' ').unwrap_or((body, ""));
    let paren =
        |t: &str| -> Option<String> { Some(t.strip_prefix('(')?.strip_suffix(')')?.to_owned()) };
    if tail.ends_with(") joined") && tail.starts_with('(') {
        return msg(Kind::Join, nick, format!("{nick} joined."));
    }
    if let Some(r) = tail.strip_prefix("was kicked by ") {
        let (by, reason) = r.split_once(' ').unwrap_or((r, ""));
        let reason = paren(reason).unwrap_or_default();
        return msg(Kind::Kick, nick, kicked(nick, by, &reason));
    }
    if let Some(m) = tail.strip_prefix("set mode ") {
        return msg(Kind::Mode, nick, m.to_owned());
    }
    if let Some(new) = tail.strip_prefix("changed nick to ") {
        return msg(Kind::Nick, nick, format!("{nick} is now known as {new}."));
    }
    if let Some(t) = tail
        .strip_prefix("changed topic to '")
        .and_then(|t| t.strip_suffix('\''))
    {
        return msg(Kind::Topic, nick, topic(nick, t));
    }
    if let Some(h) = tail
        .strip_prefix("changed host to '")
        .and_then(|t| t.strip_suffix('\''))
    {
        return msg(Kind::Server, nick, format!("{nick} changed host to {h}"));
    }
    if tail.starts_with('(') {
        if let Some((_, after)) = tail.split_once(") ") {
            if let Some(r) = after.strip_prefix("left ").and_then(paren) {
                return msg(Kind::Part, nick, r);
            }
            if let Some(r) = after.strip_prefix("quit ").and_then(paren) {
                return msg(Kind::Quit, nick, quit(nick, &r));
            }
        }
    }
    msg(Kind::Server, "", body.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rows_render_as_the_text_log_and_read_back_alike() {
        let cases = [
            (
                "message",
                json!({"from": {"mode": "@", "nick": "fred"}, "text": "hi"}),
                "<@fred> hi",
                Kind::Privmsg,
                "fred",
                "hi",
            ),
            (
                "action",
                json!({"from": {"mode": "", "nick": "fred"}, "text": "waves"}),
                "* fred waves",
                Kind::Action,
                "fred",
                "waves",
            ),
            (
                "notice",
                json!({"from": {"nick": "NickServ"}, "text": "x y"}),
                "-NickServ- x y",
                Kind::Notice,
                "NickServ",
                "x y",
            ),
            (
                "join",
                json!({"from": {"nick": "gina"}, "hostmask": "g@h"}),
                "*** gina (g@h) joined",
                Kind::Join,
                "gina",
                "gina joined.",
            ),
            (
                "part",
                json!({"from": {"nick": "gina"}, "hostmask": "g@h", "text": "bye now"}),
                "*** gina (g@h) left (bye now)",
                Kind::Part,
                "gina",
                "bye now",
            ),
            (
                "quit",
                json!({"from": {"nick": "gina"}, "hostmask": "g@h", "text": "EOF"}),
                "*** gina (g@h) quit (EOF)",
                Kind::Quit,
                "gina",
                "gina quit: EOF",
            ),
            (
                "kick",
                json!({"from": {"nick": "op"}, "target": {"nick": "gina"}, "text": "spam"}),
                "*** gina was kicked by op (spam)",
                Kind::Kick,
                "gina",
                "gina was kicked by op: spam",
            ),
            (
                "mode",
                json!({"from": {"nick": "op"}, "text": "+o gina"}),
                "*** op set mode +o gina",
                Kind::Mode,
                "op",
                "+o gina",
            ),
            (
                "nick",
                json!({"from": {"nick": "gina"}, "new_nick": "gin"}),
                "*** gina changed nick to gin",
                Kind::Nick,
                "gina",
                "gina is now known as gin.",
            ),
            (
                "topic",
                json!({"from": {"nick": "op"}, "text": "new"}),
                "*** op changed topic to 'new'",
                Kind::Topic,
                "op",
                "op changed the topic to: new",
            ),
            (
                "chghost",
                json!({"from": {"nick": "gina"}, "new_ident": "i", "new_host": "h"}),
                "*** gina changed host to 'i@h'",
                Kind::Server,
                "gina",
                "gina changed host to i@h",
            ),
        ];
        for (kind, row, line, k, from, text) in cases {
            assert_eq!(render(kind, &row).as_deref(), Some(line), "{kind}");
            let m = from_row(kind, &row).expect("a message");
            assert_eq!(
                (m.kind, m.from.as_str(), m.text.as_str()),
                (k, from, text),
                "{kind} row"
            );
            let t = from_text(line);
            assert_eq!(
                (t.kind, t.from.as_str(), t.text.as_str()),
                (k, from, text),
                "{line}"
            );
        }
        assert!(from_row("whois", &json!({"from": {"nick": "x"}})).is_none());
        assert_eq!(render("whois", &json!({})), None);
        assert_eq!(from_text("something else").kind, Kind::Server);
    }
}
