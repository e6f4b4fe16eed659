//! The slash commands as the user sees them: name, aliases, usage and a line of help for
//! each. The one list behind usage errors, the browser's completion and
//! `GET /api/commands`; [`super::parse`] decides what each one does.

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

/// Every command [`super::parse`] knows.
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
