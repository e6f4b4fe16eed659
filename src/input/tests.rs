//! Tests of slash-command parsing: every command, its usage errors and plain text.

use super::*;

const CHAN: Context<'static> = Context {
    conversation: "#convos",
    is_channel: true,
};
const PRIV: Context<'static> = Context {
    conversation: "bob",
    is_channel: false,
};
const SERVER: Context<'static> = Context {
    conversation: "",
    is_channel: false,
};

fn ok(text: &str, ctx: Context<'_>) -> Command {
    parse(text, ctx).unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn every_listed_command_is_known() {
    for c in COMMANDS {
        for name in std::iter::once(&c.name).chain(c.aliases) {
            for ctx in [CHAN, PRIV, SERVER] {
                if let Err(e) = parse(&format!("/{name}"), ctx) {
                    assert!(!e.0.starts_with("Unknown command"), "/{name}: {e}");
                }
            }
        }
        assert!(c.usage.starts_with(&format!("/{} ", c.name)) || c.usage == format!("/{}", c.name));
    }
    assert!(parse("/nope", CHAN).is_err_and(|e| e.0.starts_with("Unknown command")));
    assert_eq!(
        parse("/clear", CHAN),
        Err(Error("Usage: /clear history [name]".into()))
    );
    assert!(matches!(
        parse("/q bob hi", CHAN),
        Ok(Command::Query { .. })
    ));
}

#[test]
fn commands() {
    let s = |x: &str| x.to_string();
    let table: Vec<(&str, Context<'_>, Command)> = vec![
        ("hello", CHAN, Command::Say(s("hello"))),
        ("//not a command", CHAN, Command::Say(s("/not a command"))),
        ("/say /x", CHAN, Command::Say(s("/x"))),
        ("/me waves", CHAN, Command::Action(s("waves"))),
        (
            "/msg bob hi there",
            SERVER,
            Command::Msg {
                target: s("bob"),
                text: s("hi there"),
            },
        ),
        (
            "/query bob",
            CHAN,
            Command::Query {
                target: s("bob"),
                text: None,
            },
        ),
        (
            "/join #rust key",
            SERVER,
            Command::Join {
                channel: s("#rust"),
                key: s("key"),
            },
        ),
        (
            "/join rust",
            SERVER,
            Command::Join {
                channel: s("#rust"),
                key: s(""),
            },
        ),
        (
            "/part",
            CHAN,
            Command::Part {
                channel: s("#convos"),
                reason: s(""),
            },
        ),
        (
            "/part #other bye now",
            CHAN,
            Command::Part {
                channel: s("#other"),
                reason: s("bye now"),
            },
        ),
        ("/part", PRIV, Command::Close { target: s("bob") }),
        ("/close", PRIV, Command::Close { target: s("bob") }),
        (
            "/topic",
            CHAN,
            Command::Topic {
                channel: s("#convos"),
                topic: None,
            },
        ),
        (
            "/topic New topic",
            CHAN,
            Command::Topic {
                channel: s("#convos"),
                topic: Some(s("New topic")),
            },
        ),
        (
            "/names",
            CHAN,
            Command::Names {
                channel: s("#convos"),
            },
        ),
        ("/whois", PRIV, Command::Whois { nick: s("bob") }),
        (
            "/nick superman",
            CHAN,
            Command::Nick {
                nick: s("superman"),
            },
        ),
        (
            "/mode +o bob",
            CHAN,
            Command::Mode {
                target: s("#convos"),
                args: s("+o bob"),
            },
        ),
        (
            "/mode #c +i",
            SERVER,
            Command::Mode {
                target: s("#c"),
                args: s("+i"),
            },
        ),
        (
            "/kick bob be nice",
            CHAN,
            Command::Kick {
                channel: s("#convos"),
                nick: s("bob"),
                reason: s("be nice"),
            },
        ),
        (
            "/invite bob",
            CHAN,
            Command::Invite {
                nick: s("bob"),
                channel: s("#convos"),
            },
        ),
        (
            "/away lunch",
            CHAN,
            Command::Away {
                message: Some(s("lunch")),
            },
        ),
        ("/away", CHAN, Command::Away { message: None }),
        ("/list", SERVER, Command::List { args: s("") }),
        (
            "/quote PRIVMSG x :y",
            SERVER,
            Command::Raw(s("PRIVMSG x :y")),
        ),
        ("/RAW VERSION", SERVER, Command::Raw(s("VERSION"))),
        (
            "/ns identify pw",
            SERVER,
            Command::Msg {
                target: s("NickServ"),
                text: s("identify pw"),
            },
        ),
        (
            "/cs op #c",
            SERVER,
            Command::Msg {
                target: s("ChanServ"),
                text: s("op #c"),
            },
        ),
        ("/ison a b", SERVER, Command::Ison { nicks: s("a b") }),
        ("/clear history", CHAN, Command::ClearHistory { name: None }),
        (
            "/clear HISTORY #old",
            SERVER,
            Command::ClearHistory {
                name: Some(s("#old")),
            },
        ),
        (
            "/notice bob hi there",
            CHAN,
            Command::Notice {
                target: s("bob"),
                text: s("hi there"),
            },
        ),
        (
            "/ctcp bob version",
            CHAN,
            Command::Ctcp {
                target: s("bob"),
                command: s("VERSION"),
                args: s(""),
            },
        ),
        (
            "/oper admin secret",
            SERVER,
            Command::Oper {
                name: s("admin"),
                password: s("secret"),
            },
        ),
        ("/ignore", CHAN, Command::Ignore { mask: None }),
        (
            "/ignore *!*@spam",
            CHAN,
            Command::Ignore {
                mask: Some(s("*!*@spam")),
            },
        ),
        ("/unignore bob", CHAN, Command::Unignore { mask: s("bob") }),
        ("/reconnect", SERVER, Command::Reconnect),
        ("/connect", SERVER, Command::Connect),
        (
            "/disconnect brb",
            SERVER,
            Command::Disconnect { reason: s("brb") },
        ),
        ("/quit", SERVER, Command::Quit { reason: s("") }),
    ];
    for (text, ctx, want) in table {
        assert_eq!(ok(text, ctx), want, "{text}");
    }
}

#[test]
fn errors() {
    for (text, ctx, want) in [
        ("/frobnicate", CHAN, "Unknown command: /frobnicate"),
        ("/notice bob", CHAN, "Usage: /notice"),
        ("/ctcp bob", CHAN, "Usage: /ctcp"),
        ("/oper admin", CHAN, "Usage: /oper"),
        ("/unignore", CHAN, "Usage: /unignore"),
        ("/clear history", SERVER, "only in a conversation"),
        ("/msg bob", CHAN, "Usage: /msg"),
        ("/join", CHAN, "Usage: /join"),
        ("/kick bob", PRIV, "only in a channel"),
        ("/topic x", SERVER, "only in a channel"),
        ("/me", CHAN, "Usage: /me"),
        ("/clear", CHAN, "Usage: /clear history"),
        ("hello", SERVER, "server conversation"),
        ("   ", CHAN, "Nothing to send"),
        ("/query #chan", CHAN, "Usage: /query"),
    ] {
        let e = parse(text, ctx).expect_err(text).to_string();
        assert!(e.contains(want), "{text}: {e}");
    }
}
