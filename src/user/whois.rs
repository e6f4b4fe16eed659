//! `/whois` answers gathered into one card: the numerics between the first reply and
//! `RPL_ENDOFWHOIS` (<https://modern.ircdocs.horse/#whois-message>) become a
//! [`wire::Whois`], shown in the conversation where it was asked and recorded there as
//! one readable line instead of a dozen numerics. Pure.

use irc_proto::{numeric, Message};

use crate::wire;

/// Channels listed on one card, most (a hostile server may list thousands).
const MAX_CHANNELS: usize = 100;
/// Longest text kept from any one field.
const MAX_FIELD: usize = 300;

fn clip(s: &str) -> String {
    s.chars().take(MAX_FIELD).collect()
}

/// An empty card for `nick`.
pub fn new(nick: &str) -> wire::Whois {
    wire::Whois {
        nick: clip(nick),
        user: String::new(),
        host: String::new(),
        realname: String::new(),
        server: String::new(),
        server_info: String::new(),
        account: None,
        channels: Vec::new(),
        idle_secs: None,
        signon: None,
        secure: false,
        operator: false,
        away: None,
        found: true,
    }
}

/// Adds one reply to the card; `true` when it was a WHOIS reply it understood or can
/// drop (the card is complete at `RPL_ENDOFWHOIS`).
pub fn apply(card: &mut wire::Whois, msg: &Message) -> bool {
    let p = |i: usize| msg.param(i).unwrap_or("");
    match msg.command() {
        // 311 me nick user host * :realname
        numeric::RPL_WHOISUSER => {
            card.nick = clip(p(1));
            card.user = clip(p(2));
            card.host = clip(p(3));
            card.realname = clip(msg.last_param().unwrap_or(""));
        }
        // 312 me nick server :info
        numeric::RPL_WHOISSERVER => {
            card.server = clip(p(2));
            card.server_info = clip(p(3));
        }
        numeric::RPL_WHOISOPERATOR => card.operator = true,
        // 317 me nick idle signon :seconds idle, signon time
        numeric::RPL_WHOISIDLE => {
            card.idle_secs = p(2).parse().ok();
            card.signon = p(3).parse::<i64>().ok().map(|s| s.saturating_mul(1000));
        }
        // 319 me nick :@#a +#b #c (may come more than once)
        numeric::RPL_WHOISCHANNELS => {
            for c in msg.last_param().unwrap_or("").split_whitespace() {
                if card.channels.len() < MAX_CHANNELS {
                    card.channels.push(clip(c));
                }
            }
        }
        // 330 me nick account :is logged in as
        numeric::RPL_WHOISACCOUNT => card.account = Some(clip(p(2))),
        // 671 me nick :is using a secure connection
        numeric::RPL_WHOISSECURE => card.secure = true,
        numeric::RPL_AWAY => card.away = Some(clip(p(2))),
        numeric::ERR_NOSUCHNICK => card.found = false,
        numeric::RPL_ENDOFWHOIS => {}
        // Other WHOIS lines (378 host, 338 actual host, 320, 276, ...): known, not shown.
        c => return is_reply(c),
    }
    true
}

/// Whether `command` is part of a WHOIS answer (RFC 2812 and common extensions).
pub fn is_reply(command: &str) -> bool {
    matches!(
        command,
        "301"
            | "307"
            | "311"
            | "312"
            | "313"
            | "317"
            | "318"
            | "319"
            | "320"
            | "330"
            | "338"
            | "378"
            | "379"
            | "671"
            | "276"
    )
}

/// The card as one line for the record and search.
pub fn summary(card: &wire::Whois) -> String {
    if !card.found {
        return format!("{}: no such nick.", card.nick);
    }
    let mut parts = vec![];
    let mut who = format!("{} is {}@{}", card.nick, card.user, card.host);
    if !card.realname.is_empty() {
        who.push_str(&format!(" ({})", card.realname));
    }
    parts.push(who);
    if let Some(a) = &card.account {
        parts.push(format!("logged in as {a}"));
    }
    if card.operator {
        parts.push("an IRC operator".into());
    }
    if !card.channels.is_empty() {
        parts.push(format!("on {}", card.channels.join(" ")));
    }
    if !card.server.is_empty() {
        parts.push(format!("via {}", card.server));
    }
    if card.secure {
        parts.push("secure connection".into());
    }
    if let Some(idle) = card.idle_secs {
        parts.push(format!("idle {}", duration(idle)));
    }
    if let Some(away) = &card.away {
        parts.push(format!("away: {away}"));
    }
    parts.join(" · ")
}

/// `3d 4h`, `5m 2s`, `40s`.
fn duration(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gathers_a_card_from_real_replies() {
        // InspIRCd 3's answer to WHOIS bob, as it sends it.
        let lines = [
            ":irc.test 311 me bob bobuser 127.0.0.1 * :Bob Builder",
            ":irc.test 319 me bob :@#build +#chat",
            ":irc.test 319 me bob :#more",
            ":irc.test 312 me bob irc.test :Test server",
            ":irc.test 301 me bob :lunch",
            ":irc.test 330 me bob bobacct :is logged in as",
            ":irc.test 671 me bob :is using a secure connection",
            ":irc.test 378 me bob :is connecting from bobuser@127.0.0.1 127.0.0.1",
            ":irc.test 317 me bob 302 1796420000 :seconds idle, signon time",
            ":irc.test 318 me bob :End of /WHOIS list.",
        ];
        let mut card = new("bob");
        for l in lines {
            assert!(apply(&mut card, &Message::parse(l).expect("line")), "{l}");
        }
        assert_eq!(card.channels, ["@#build", "+#chat", "#more"]);
        assert_eq!(card.signon, Some(1_796_420_000_000));
        assert_eq!(
            summary(&card),
            "bob is bobuser@127.0.0.1 (Bob Builder) · logged in as bobacct · on @#build +#chat #more \
             · via irc.test · secure connection · idle 5m 2s · away: lunch"
        );
        assert!(!apply(
            &mut card,
            &Message::parse(":x 353 me = #c :a").expect("line")
        ));
    }

    #[test]
    fn no_such_nick_and_hostile_sizes() {
        let mut card = new("ghost");
        apply(
            &mut card,
            &Message::parse(":x 401 me ghost :No such nick").expect("line"),
        );
        assert_eq!(summary(&card), "ghost: no such nick.");
        let mut card = new("many");
        let chans: Vec<String> = (0..500).map(|i| format!("#c{i}")).collect();
        let line = format!(":x 319 me many :{}", chans.join(" "));
        apply(&mut card, &Message::parse(&line).expect("line"));
        assert_eq!(card.channels.len(), MAX_CHANNELS);
        assert_eq!(duration(90_000), "1d 1h");
        assert_eq!(duration(3_700), "1h 1m");
    }
}
