//! [`Policy`]: may this socket address be reached on a user's behalf?
//!
//! The public policy refuses every address that is not on the public internet: loopback,
//! private (RFC 1918, IPv6 ULA), link-local (with the cloud metadata address
//! 169.254.169.254), shared/CGNAT, multicast, broadcast, unspecified, "this network",
//! documentation, benchmarking and reserved ranges, and IPv6 forms that embed one of those
//! (IPv4-mapped `::ffff:127.0.0.1`, IPv4-compatible, NAT64, 6to4). The operator adjusts it
//! with rule lists (see [`Rule`]): a denied rule beats an allowed one, which beats the
//! built-in ranges.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::ops::RangeInclusive;
use std::str::FromStr;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// Why an address is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The operator's deny list names it.
    Listed,
    /// It is in a built-in non-public range (e.g. `"loopback"`).
    Range(&'static str),
}

/// A refused address; `Display` is for logs and admins, not for other users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{addr} may not be reached ({})", match .reason { Reason::Listed => "denied by configuration", Reason::Range(r) => r })]
pub struct Denied {
    pub addr: SocketAddr,
    pub reason: Reason,
}

/// A rule that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid address rule {rule:?}: {reason}")]
pub struct RuleError {
    pub rule: String,
    pub reason: &'static str,
}

/// One entry of an allow or deny list: an address or CIDR block, optionally with ports.
///
/// Syntax: `ADDR`, `ADDR/PREFIX`, `ADDR:PORTS`, `ADDR/PREFIX:PORTS`; IPv6 in brackets when
/// ports follow (`[::1]:6667`, `[fd00::/8]:6660-6669`). `PORTS` is a port or an inclusive
/// range, several joined by `+` (`6667+6697+7000-7010`). Lists are comma separated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    net: IpNet,
    /// Empty: every port.
    ports: Vec<RangeInclusive<u16>>,
}

impl Rule {
    fn matches(&self, ip: IpAddr, port: u16) -> bool {
        self.net.contains(&ip)
            && (self.ports.is_empty() || self.ports.iter().any(|r| r.contains(&port)))
    }

    /// Parses a comma-separated list (blank entries ignored).
    pub fn parse_list(list: &str) -> Result<Vec<Rule>, RuleError> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::parse)
            .collect()
    }
}

impl From<IpAddr> for Rule {
    /// The one address, every port.
    fn from(ip: IpAddr) -> Rule {
        Rule {
            net: IpNet::from(canonical(ip)),
            ports: Vec::new(),
        }
    }
}

impl FromStr for Rule {
    type Err = RuleError;

    fn from_str(raw: &str) -> Result<Rule, RuleError> {
        let err = |reason| RuleError {
            rule: raw.to_string(),
            reason,
        };
        let s = raw.trim();
        let (addr, ports) = if let Some(rest) = s.strip_prefix('[') {
            let (addr, after) = rest.split_once(']').ok_or_else(|| err("missing ]"))?;
            match after {
                "" => (addr, None),
                p => (
                    addr,
                    Some(
                        p.strip_prefix(':')
                            .ok_or_else(|| err("expected :PORTS after ]"))?,
                    ),
                ),
            }
        } else if s.matches(':').count() > 1 {
            (s, None) // bare IPv6: ports need the bracket form
        } else {
            match s.split_once(':') {
                Some((a, p)) => (a, Some(p)),
                None => (s, None),
            }
        };
        let net = match addr.parse::<IpNet>() {
            Ok(n) => n.trunc(),
            Err(_) => IpNet::from(
                addr.parse::<IpAddr>()
                    .map_err(|_| err("expected an IP address or CIDR block"))?,
            ),
        };
        let net = match net {
            // Rules about IPv4 also match the IPv4-mapped IPv6 form, as checks canonicalize.
            IpNet::V6(v6) => match v6.addr().to_ipv4_mapped() {
                Some(v4) if v6.prefix_len() >= 96 => IpNet::V4(
                    Ipv4Net::new(v4, v6.prefix_len() - 96).map_err(|_| err("bad prefix"))?,
                ),
                _ => net,
            },
            v4 => v4,
        };
        let ports = match ports {
            None => Vec::new(),
            Some(p) => p
                .split('+')
                .map(|part| {
                    let (lo, hi) = part.split_once('-').unwrap_or((part, part));
                    let lo = lo.trim().parse::<u16>().map_err(|_| err("invalid port"))?;
                    let hi = hi.trim().parse::<u16>().map_err(|_| err("invalid port"))?;
                    if lo == 0 || lo > hi {
                        return Err(err("invalid port range"));
                    }
                    Ok(lo..=hi)
                })
                .collect::<Result<_, _>>()?,
        };
        Ok(Rule { net, ports })
    }
}

/// Which socket addresses may be reached. Cheap to check; build once, share in an `Arc`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Refuse the built-in non-public ranges.
    public_only: bool,
    allow: Vec<Rule>,
    deny: Vec<Rule>,
}

impl Policy {
    /// Only public internet addresses (plus what [`Policy::allow`] adds).
    pub fn public() -> Policy {
        Policy {
            public_only: true,
            ..Policy::default()
        }
    }

    /// Every address (minus what [`Policy::deny`] adds): for trusted callers, e.g. admins.
    pub fn open() -> Policy {
        Policy::default()
    }

    /// Also allows these (they beat the built-in ranges, not the deny list).
    pub fn allow(mut self, rules: impl IntoIterator<Item = Rule>) -> Policy {
        self.allow.extend(rules);
        self
    }

    /// Also refuses these (they beat everything).
    pub fn deny(mut self, rules: impl IntoIterator<Item = Rule>) -> Policy {
        self.deny.extend(rules);
        self
    }

    /// `Ok` when `addr` may be reached; checks the address as it will be used, so call it
    /// with each resolved address right before connecting or sending.
    pub fn check(&self, addr: SocketAddr) -> Result<(), Denied> {
        let ip = canonical(addr.ip());
        let port = addr.port();
        let denied = |reason| Err(Denied { addr, reason });
        if self.deny.iter().any(|r| r.matches(ip, port)) {
            return denied(Reason::Listed);
        }
        if self.allow.iter().any(|r| r.matches(ip, port)) {
            return Ok(());
        }
        if self.public_only {
            if let Some(range) = special(ip) {
                return denied(Reason::Range(range));
            }
        }
        Ok(())
    }
}

/// IPv4-mapped IPv6 addresses as the IPv4 address they are.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => ip,
        },
        v4 => v4,
    }
}

/// Non-public IPv4 ranges (IANA special-purpose registry, RFC 6890 and successors).
const V4: &[(Ipv4Addr, u8, &str)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 8, "this network"),
    (Ipv4Addr::new(10, 0, 0, 0), 8, "private"),
    (Ipv4Addr::new(100, 64, 0, 0), 10, "shared (CGNAT)"),
    (Ipv4Addr::new(127, 0, 0, 0), 8, "loopback"),
    (Ipv4Addr::new(169, 254, 0, 0), 16, "link-local"),
    (Ipv4Addr::new(172, 16, 0, 0), 12, "private"),
    (Ipv4Addr::new(192, 0, 0, 0), 24, "protocol assignments"),
    (Ipv4Addr::new(192, 0, 2, 0), 24, "documentation"),
    (Ipv4Addr::new(192, 88, 99, 0), 24, "6to4 relay"),
    (Ipv4Addr::new(192, 168, 0, 0), 16, "private"),
    (Ipv4Addr::new(198, 18, 0, 0), 15, "benchmarking"),
    (Ipv4Addr::new(198, 51, 100, 0), 24, "documentation"),
    (Ipv4Addr::new(203, 0, 113, 0), 24, "documentation"),
    (Ipv4Addr::new(224, 0, 0, 0), 4, "multicast"),
    (Ipv4Addr::new(255, 255, 255, 255), 32, "broadcast"),
    (Ipv4Addr::new(240, 0, 0, 0), 4, "reserved"),
];

/// Non-public IPv6 ranges; IPv4-mapped addresses were made IPv4 before.
const V6: &[(Ipv6Addr, u8, &str)] = &[
    (Ipv6Addr::UNSPECIFIED, 128, "unspecified"),
    (Ipv6Addr::LOCALHOST, 128, "loopback"),
    (Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 0), 96, "IPv4-compatible"),
    (
        Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0),
        48,
        "local NAT64",
    ),
    (
        Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, 0),
        64,
        "discard-only",
    ),
    (
        Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0),
        23,
        "protocol assignments",
    ),
    (
        Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0),
        32,
        "documentation",
    ),
    (
        Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0),
        20,
        "documentation",
    ),
    (
        Ipv6Addr::new(0x5f00, 0, 0, 0, 0, 0, 0, 0),
        16,
        "segment routing",
    ),
    (
        Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0),
        7,
        "private (ULA)",
    ),
    (Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10, "link-local"),
    (Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0), 10, "site-local"),
    (Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0), 8, "multicast"),
];

/// The built-in range `ip` is in, if any.
fn special(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => V4
            .iter()
            .find(|(net, len, _)| Ipv4Net::new_assert(*net, *len).contains(&v4))
            .map(|(_, _, name)| *name),
        IpAddr::V6(v6) => {
            // Addresses that carry an IPv4 address a gateway would reach: judge that one.
            if let Some(v4) = embedded_v4(v6) {
                if let Some(name) = special(IpAddr::V4(v4)) {
                    return Some(name);
                }
            }
            V6.iter()
                .find(|(net, len, _)| Ipv6Net::new_assert(*net, *len).contains(&v6))
                .map(|(_, _, name)| *name)
        }
    }
}

/// The IPv4 address inside a NAT64 (`64:ff9b::/96`) or 6to4 (`2002::/16`) address.
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let o = v6.octets();
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().expect("socket address")
    }

    #[test]
    fn public_policy_refuses_non_public_addresses() {
        let p = Policy::public();
        for (a, range) in [
            ("127.0.0.1:6667", "loopback"),
            ("127.255.0.9:1", "loopback"),
            ("[::1]:6667", "loopback"),
            ("[::ffff:127.0.0.1]:6667", "loopback"),
            ("[::ffff:10.1.2.3]:80", "private"),
            ("[::127.0.0.1]:6667", "IPv4-compatible"),
            ("[::]:6667", "unspecified"),
            ("0.0.0.0:6667", "this network"),
            ("0.1.2.3:6667", "this network"),
            ("10.0.0.1:6667", "private"),
            ("172.16.0.1:6667", "private"),
            ("172.31.255.255:6667", "private"),
            ("192.168.1.1:6667", "private"),
            ("100.64.0.1:6667", "shared (CGNAT)"),
            ("100.127.255.254:6667", "shared (CGNAT)"),
            ("169.254.169.254:80", "link-local"),
            ("[fe80::1]:6667", "link-local"),
            ("[fd12:3456::1]:6667", "private (ULA)"),
            ("[fc00::1]:6667", "private (ULA)"),
            ("224.0.0.1:6667", "multicast"),
            ("239.255.255.250:1900", "multicast"),
            ("[ff02::1]:6667", "multicast"),
            ("255.255.255.255:6667", "broadcast"),
            ("240.0.0.1:6667", "reserved"),
            ("192.0.2.1:6667", "documentation"),
            ("198.51.100.7:6667", "documentation"),
            ("203.0.113.7:6667", "documentation"),
            ("[2001:db8::1]:6667", "documentation"),
            ("198.18.0.1:6667", "benchmarking"),
            ("[64:ff9b::7f00:1]:6667", "loopback"),
            ("[64:ff9b::a9fe:a9fe]:80", "link-local"),
            ("[2002:7f00:1::]:6667", "loopback"),
            ("[2002:c0a8:101::1]:6667", "private"),
            ("[2001::1]:6667", "protocol assignments"),
        ] {
            assert_eq!(
                p.check(addr(a)),
                Err(Denied {
                    addr: addr(a),
                    reason: Reason::Range(range)
                }),
                "{a}"
            );
        }
    }

    #[test]
    fn public_policy_allows_public_addresses() {
        let p = Policy::public();
        for a in [
            "1.1.1.1:6697",
            "130.239.18.116:6667",
            "100.63.255.255:6667",
            "100.128.0.0:6667",
            "172.32.0.1:6667",
            "[2a01:4f8::1]:6697",
            "[::ffff:8.8.8.8]:6697",
            "[64:ff9b::808:808]:6697",
            "[2002:808:808::1]:6697",
        ] {
            assert_eq!(p.check(addr(a)), Ok(()), "{a}");
        }
        assert_eq!(Policy::open().check(addr("127.0.0.1:1")), Ok(()));
    }

    #[test]
    fn rules_adjust_the_policy() {
        let p = Policy::public()
            .allow(
                Rule::parse_list("127.0.0.1:6667, [::1]:7000-7001+7005, 10.0.0.0/8")
                    .expect("valid"),
            )
            .deny(Rule::parse_list("10.9.0.0/16, 1.2.3.4:25, 2a01:4f8::/32").expect("valid"));
        for (a, ok) in [
            ("127.0.0.1:6667", true),
            ("[::ffff:127.0.0.1]:6667", true),
            ("127.0.0.1:6668", false),
            ("127.0.0.2:6667", false),
            ("[::1]:7001", true),
            ("[::1]:7005", true),
            ("[::1]:7002", false),
            ("10.1.2.3:1", true),
            ("10.9.2.3:1", false),
            ("1.2.3.4:25", false),
            ("1.2.3.4:587", true),
            ("[2a01:4f8::1]:6697", false),
        ] {
            assert_eq!(p.check(addr(a)).is_ok(), ok, "{a}");
        }
        let listed = Policy::open().deny(["169.254.169.254".parse().expect("valid")]);
        assert_eq!(
            listed
                .check(addr("169.254.169.254:80"))
                .map_err(|d| d.reason),
            Err(Reason::Listed)
        );
    }

    #[test]
    fn rule_syntax() {
        for ok in [
            "127.0.0.1",
            "127.0.0.1:6667",
            "10.0.0.0/8",
            "10.0.0.0/8:6660-6669",
            "::1",
            "fd00::/8",
            "[::1]",
            "[::1]:6667+6697",
            "[fd00::/8]:1-65535",
            "::ffff:127.0.0.1",
        ] {
            assert!(ok.parse::<Rule>().is_ok(), "{ok}");
        }
        for bad in [
            "",
            "localhost",
            "10.0.0.0/33",
            "1.2.3.4:0",
            "1.2.3.4:9-2",
            "1.2.3.4:x",
            "[::1",
            "[::1]6667",
            "1.2.3.4:70000",
            "[::1]:",
        ] {
            assert!(bad.parse::<Rule>().is_err(), "{bad}");
        }
        assert_eq!(Rule::parse_list(" , ").expect("blank"), vec![]);
        assert!(Rule::parse_list("127.0.0.1,nope").is_err());
    }
}
