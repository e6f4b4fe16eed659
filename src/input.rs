//! What the user typed → a [`Command`]. Pure: no IO, no state beyond the conversation
//! the text was typed in. The user actor turns commands into IRC lines and local effects.
//!
//! The commands are those of Convos: `/me /say /msg /query /join /part /close /topic
//! /names /whois /nick /mode /kick /invite /away /list /quote /raw /ns /cs /ison /clear
//! /reconnect /connect /disconnect /quit`, and `/notice /ctcp /oper /ignore /unignore`.

/// A parsed command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Plain text (or `/say`) to the current conversation.
    Say(String),
    /// `/me text`.
    Action(String),
    /// `/msg target text`.
    Msg {
        target: String,
        text: String,
    },
    /// `/query nick [text]`: open (and optionally write to) a private conversation.
    Query {
        target: String,
        text: Option<String>,
    },
    /// `/join #channel [key]`.
    Join {
        channel: String,
        key: String,
    },
    /// `/part [#channel] [reason]`.
    Part {
        channel: String,
        reason: String,
    },
    /// `/close [name]`: leave a channel or close a private conversation.
    Close {
        target: String,
    },
    /// `/topic [text]`: show (None) or set the topic.
    Topic {
        channel: String,
        topic: Option<String>,
    },
    Names {
        channel: String,
    },
    Whois {
        nick: String,
    },
    Nick {
        nick: String,
    },
    Mode {
        target: String,
        args: String,
    },
    Kick {
        channel: String,
        nick: String,
        reason: String,
    },
    Invite {
        nick: String,
        channel: String,
    },
    /// `/away [message]`: no message → back.
    Away {
        message: Option<String>,
    },
    List {
        args: String,
    },
    /// `/quote` or `/raw`: a line sent as is.
    Raw(String),
    Ison {
        nicks: String,
    },
    /// `/clear history [name]`: this conversation's history, or that of `name`.
    ClearHistory {
        name: Option<String>,
    },
    /// `/notice target text`.
    Notice {
        target: String,
        text: String,
    },
    /// `/ctcp nick COMMAND [args]`.
    Ctcp {
        target: String,
        command: String,
        args: String,
    },
    /// `/oper name password`.
    Oper {
        name: String,
        password: String,
    },
    /// `/ignore [mask]`: ignore a sender, or list who is ignored.
    Ignore {
        mask: Option<String>,
    },
    /// `/unignore mask`.
    Unignore {
        mask: String,
    },
    Reconnect,
    Connect,
    Disconnect {
        reason: String,
    },
    Quit {
        reason: String,
    },
}

/// A command the user got wrong; the message says how to use it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Error(pub String);

/// Where the text was typed: the conversation's display name (`""` for the server
/// conversation) and whether it is a channel.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub conversation: &'a str,
    pub is_channel: bool,
}

/// One slash command as the user sees it: the one list that parsing errors, the browser's
/// completion (`frontend/src/lib/commands.ts`, generated) and `GET /api/commands` show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Help {
    pub name: &'static str,
    /// Other names that run it (`/j`, `/q`).
    pub aliases: &'static [&'static str],
    pub usage: &'static str,
    pub help: &'static str,
}

/// Every command [`parse`] knows.
pub const COMMANDS: &[Help] = &[
    Help {
        name: "me",
        aliases: &[],
        usage: "/me <action>",
        help: "Send an action, shown as \"* you do something\"",
    },
    Help {
        name: "say",
        aliases: &[],
        usage: "/say <text>",
        help: "Send text as is, even if it starts with /",
    },
    Help {
        name: "msg",
        aliases: &[],
        usage: "/msg <nick|#channel> <text>",
        help: "Send a message to someone",
    },
    Help {
        name: "query",
        aliases: &["q"],
        usage: "/query <nick> [text]",
        help: "Open a private conversation",
    },
    Help {
        name: "join",
        aliases: &["j"],
        usage: "/join <#channel> [key]",
        help: "Join a channel",
    },
    Help {
        name: "part",
        aliases: &["leave"],
        usage: "/part [#channel] [reason]",
        help: "Leave a channel",
    },
    Help {
        name: "close",
        aliases: &[],
        usage: "/close [nick|#channel]",
        help: "Leave and remove a conversation",
    },
    Help {
        name: "topic",
        aliases: &[],
        usage: "/topic [new topic]",
        help: "Show or set the topic",
    },
    Help {
        name: "names",
        aliases: &[],
        usage: "/names [#channel]",
        help: "List the participants",
    },
    Help {
        name: "whois",
        aliases: &[],
        usage: "/whois <nick>",
        help: "Show information about a nick",
    },
    Help {
        name: "nick",
        aliases: &[],
        usage: "/nick <new nick>",
        help: "Change your nick",
    },
    Help {
        name: "mode",
        aliases: &[],
        usage: "/mode [target] <modes>",
        help: "Change channel or user modes",
    },
    Help {
        name: "kick",
        aliases: &[],
        usage: "/kick <nick> [reason]",
        help: "Remove someone from the channel",
    },
    Help {
        name: "invite",
        aliases: &[],
        usage: "/invite <nick> [#channel]",
        help: "Invite someone to a channel",
    },
    Help {
        name: "away",
        aliases: &[],
        usage: "/away [message]",
        help: "Set or clear your away message",
    },
    Help {
        name: "list",
        aliases: &[],
        usage: "/list [args]",
        help: "List channels on the network",
    },
    Help {
        name: "quote",
        aliases: &["raw"],
        usage: "/quote <raw IRC line>",
        help: "Send a raw IRC line",
    },
    Help {
        name: "ns",
        aliases: &[],
        usage: "/ns <NickServ command>",
        help: "Talk to NickServ",
    },
    Help {
        name: "cs",
        aliases: &[],
        usage: "/cs <ChanServ command>",
        help: "Talk to ChanServ",
    },
    Help {
        name: "ison",
        aliases: &[],
        usage: "/ison <nick> [nick...]",
        help: "Check whether nicks are online",
    },
    Help {
        name: "clear",
        aliases: &[],
        usage: "/clear history [name]",
        help: "Delete the stored history of this (or the named) conversation",
    },
    Help {
        name: "notice",
        aliases: &[],
        usage: "/notice <nick|#channel> <text>",
        help: "Send a notice",
    },
    Help {
        name: "ctcp",
        aliases: &[],
        usage: "/ctcp <nick> <command> [args]",
        help: "Send a CTCP request (VERSION, TIME, PING...)",
    },
    Help {
        name: "oper",
        aliases: &[],
        usage: "/oper <name> <password>",
        help: "Become an IRC operator",
    },
    Help {
        name: "ignore",
        aliases: &[],
        usage: "/ignore [nick|mask]",
        help: "Hide everything from someone (nick or nick!user@host with * and ?); no argument lists them",
    },
    Help {
        name: "unignore",
        aliases: &[],
        usage: "/unignore <nick|mask>",
        help: "Stop ignoring someone",
    },
    Help {
        name: "reconnect",
        aliases: &[],
        usage: "/reconnect",
        help: "Reconnect to the network",
    },
    Help {
        name: "connect",
        aliases: &[],
        usage: "/connect",
        help: "Connect to the network",
    },
    Help {
        name: "disconnect",
        aliases: &[],
        usage: "/disconnect [reason]",
        help: "Disconnect from the network",
    },
    Help {
        name: "quit",
        aliases: &[],
        usage: "/quit [reason]",
        help: "Disconnect from the network",
    },
];

fn usage(name: &str) -> Error {
    let u = COMMANDS
        .iter()
        .find(|c| c.name == name)
        .map(|c| c.usage)
        .unwrap_or("");
    Error(format!("Usage: {u}"))
}

/// Splits off the first word.
fn word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.split_once(char::is_whitespace) {
        Some((w, rest)) => (w, rest.trim_start()),
        None => (s, ""),
    }
}

fn is_channel(name: &str) -> bool {
    name.starts_with(['#', '&', '!', '+']) && name.len() > 1
}

/// Parses one line the user typed. Text not starting with `/` (or starting with `//`,
/// which sends a literal `/`) is [`Command::Say`].
pub fn parse(text: &str, ctx: Context<'_>) -> Result<Command, Error> {
    let text = text.trim_end_matches(['\r', '\n']);
    let Some(rest) = text.strip_prefix('/') else {
        return say(text, ctx);
    };
    if rest.starts_with('/') {
        return say(rest, ctx);
    }
    let (name, args) = word(rest);
    let name = name.to_ascii_lowercase();
    let here = || ctx.conversation.to_string();
    let need_here = |cmd: &str| -> Result<String, Error> {
        if ctx.conversation.is_empty() {
            Err(Error(format!("/{cmd} works only in a conversation.")))
        } else {
            Ok(here())
        }
    };
    let need_channel = |cmd: &str| -> Result<String, Error> {
        if ctx.is_channel {
            Ok(here())
        } else {
            Err(Error(format!("/{cmd} works only in a channel.")))
        }
    };
    let cmd = match name.as_str() {
        "say" => return say(args, ctx),
        "me" if !args.trim().is_empty() => {
            need_here("me")?;
            Command::Action(args.to_string())
        }
        "msg" => {
            let (target, text) = word(args);
            if target.is_empty() || text.is_empty() {
                return Err(usage("msg"));
            }
            Command::Msg {
                target: target.into(),
                text: text.into(),
            }
        }
        "query" | "q" => {
            let (target, text) = word(args);
            if target.is_empty() || is_channel(target) {
                return Err(usage("query"));
            }
            Command::Query {
                target: target.into(),
                text: (!text.is_empty()).then(|| text.to_string()),
            }
        }
        "join" | "j" => {
            let (channel, key) = word(args);
            if channel.is_empty() {
                return Err(usage("join"));
            }
            let channel = if is_channel(channel) {
                channel.to_string()
            } else {
                format!("#{channel}")
            };
            Command::Join {
                channel,
                key: word(key).0.to_string(),
            }
        }
        "part" | "leave" => {
            let (first, rest) = word(args);
            if is_channel(first) {
                Command::Part {
                    channel: first.into(),
                    reason: rest.into(),
                }
            } else if ctx.is_channel {
                Command::Part {
                    channel: here(),
                    reason: args.trim().into(),
                }
            } else if !ctx.conversation.is_empty() {
                Command::Close { target: here() }
            } else {
                return Err(usage("part"));
            }
        }
        "close" => {
            let (target, _) = word(args);
            let target = if target.is_empty() {
                need_here("close")?
            } else {
                target.to_string()
            };
            Command::Close { target }
        }
        "topic" => Command::Topic {
            channel: need_channel("topic")?,
            topic: (!args.trim().is_empty()).then(|| args.trim().to_string()),
        },
        "names" => {
            let (channel, _) = word(args);
            let channel = if channel.is_empty() {
                need_channel("names")?
            } else {
                channel.into()
            };
            Command::Names { channel }
        }
        "whois" => {
            let (nick, _) = word(args);
            let nick = if nick.is_empty() && !ctx.is_channel && !ctx.conversation.is_empty() {
                here()
            } else {
                nick.to_string()
            };
            if nick.is_empty() {
                return Err(usage("whois"));
            }
            Command::Whois { nick }
        }
        "nick" => {
            let (nick, _) = word(args);
            if nick.is_empty() {
                return Err(usage("nick"));
            }
            Command::Nick { nick: nick.into() }
        }
        "mode" => {
            let (first, rest) = word(args);
            if first.is_empty() {
                return Err(usage("mode"));
            }
            if first.starts_with(['+', '-']) {
                Command::Mode {
                    target: need_here("mode")?,
                    args: args.trim().into(),
                }
            } else {
                Command::Mode {
                    target: first.into(),
                    args: rest.trim().into(),
                }
            }
        }
        "kick" => {
            let channel = need_channel("kick")?;
            let (nick, reason) = word(args);
            if nick.is_empty() {
                return Err(usage("kick"));
            }
            Command::Kick {
                channel,
                nick: nick.into(),
                reason: reason.into(),
            }
        }
        "invite" => {
            let (nick, channel) = word(args);
            let (channel, _) = word(channel);
            if nick.is_empty() {
                return Err(usage("invite"));
            }
            let channel = if channel.is_empty() {
                need_channel("invite")?
            } else {
                channel.into()
            };
            Command::Invite {
                nick: nick.into(),
                channel,
            }
        }
        "away" => Command::Away {
            message: (!args.trim().is_empty()).then(|| args.trim().to_string()),
        },
        "list" => Command::List {
            args: args.trim().into(),
        },
        "quote" | "raw" => {
            if args.trim().is_empty() {
                return Err(usage(&name));
            }
            Command::Raw(args.trim().into())
        }
        "ns" | "cs" => {
            if args.trim().is_empty() {
                return Err(usage(&name));
            }
            let service = if name == "ns" { "NickServ" } else { "ChanServ" };
            Command::Msg {
                target: service.into(),
                text: args.trim().into(),
            }
        }
        "ison" => {
            if args.trim().is_empty() {
                return Err(usage("ison"));
            }
            Command::Ison {
                nicks: args.trim().into(),
            }
        }
        "clear" => {
            let (what, name) = word(args);
            let (name, _) = word(name);
            if !what.eq_ignore_ascii_case("history") {
                return Err(usage("clear"));
            }
            if name.is_empty() {
                need_here("clear")?;
                Command::ClearHistory { name: None }
            } else {
                Command::ClearHistory {
                    name: Some(name.into()),
                }
            }
        }
        "notice" => {
            let (target, text) = word(args);
            if target.is_empty() || text.is_empty() {
                return Err(usage("notice"));
            }
            Command::Notice {
                target: target.into(),
                text: text.into(),
            }
        }
        "ctcp" => {
            let (target, rest) = word(args);
            let (command, args) = word(rest);
            if target.is_empty() || command.is_empty() {
                return Err(usage("ctcp"));
            }
            Command::Ctcp {
                target: target.into(),
                command: command.to_ascii_uppercase(),
                args: args.trim().into(),
            }
        }
        "oper" => {
            let (name, rest) = word(args);
            let (password, _) = word(rest);
            if name.is_empty() || password.is_empty() {
                return Err(usage("oper"));
            }
            Command::Oper {
                name: name.into(),
                password: password.into(),
            }
        }
        "ignore" => {
            let (mask, _) = word(args);
            Command::Ignore {
                mask: (!mask.is_empty()).then(|| mask.to_string()),
            }
        }
        "unignore" => {
            let (mask, _) = word(args);
            if mask.is_empty() {
                return Err(usage("unignore"));
            }
            Command::Unignore { mask: mask.into() }
        }
        "reconnect" => Command::Reconnect,
        "connect" => Command::Connect,
        "disconnect" => Command::Disconnect {
            reason: args.trim().into(),
        },
        "quit" => Command::Quit {
            reason: args.trim().into(),
        },
        "me" => return Err(usage("me")),
        _ => {
            return Err(Error(format!(
                "Unknown command: /{name}. Type / to see the commands."
            )))
        }
    };
    Ok(cmd)
}

fn say(text: &str, ctx: Context<'_>) -> Result<Command, Error> {
    if text.trim().is_empty() {
        return Err(Error("Nothing to send.".into()));
    }
    if ctx.conversation.is_empty() {
        return Err(Error(
            "Cannot send a message to the server conversation: use /quote or /msg.".into(),
        ));
    }
    Ok(Command::Say(text.to_string()))
}

#[cfg(test)]
mod tests {
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
            assert!(
                c.usage.starts_with(&format!("/{} ", c.name)) || c.usage == format!("/{}", c.name)
            );
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
}
