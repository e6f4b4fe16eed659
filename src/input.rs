//! What the user typed → a [`Command`]. Pure: no IO, no state beyond the conversation
//! the text was typed in. The user actor turns commands into IRC lines and local effects.
//!
//! The commands are those of Convos: `/me /say /msg /query /join /part /close /topic
//! /names /whois /nick /mode /kick /invite /away /list /quote /raw /ns /cs /ison /clear
//! /reconnect /connect /disconnect /quit`, and `/notice /ctcp /oper /ignore /unignore`.

mod commands;

pub use commands::{Help, COMMANDS};

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
mod tests;
