//! Connection URLs, as in Convos:
//! `irc://[user[:password]@]host[:port][/%23chan1,%23chan2]?nick=..&realname=..&tls=0|1&tls_verify=0|1&sasl=plain|external&local_address=..`.
//!
//! TLS is on unless `tls=0`; certificates are verified unless `tls_verify=0`.

/// A parse failure, safe to show (never contains the password).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    #[error("Invalid connection URL: {0}")]
    Invalid(String),
}

pub use crate::model::Secret;

/// SASL mechanism to authenticate with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaslMech {
    Plain,
    External,
}

/// Everything needed to connect and register, parsed from a connection URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub host: String,
    pub port: u16,
    pub tls: bool,
    pub tls_verify: bool,
    pub nick: String,
    /// USER's username: the URL's user part, else the nick.
    pub username: String,
    /// SASL account name: the URL's user part as given.
    pub account: String,
    pub realname: String,
    /// Server password (`PASS`) when SASL is not used, else the SASL password.
    pub password: Secret,
    pub sasl: Option<SaslMech>,
    /// Channels named in the URL path, with keys (`#chan key`).
    pub channels: Vec<(String, String)>,
    pub local_address: Option<std::net::IpAddr>,
    /// Client certificate for TLS (SASL EXTERNAL / CertFP): PEM certificate and key.
    pub client_cert: Option<crate::model::ClientCert>,
}

impl Config {
    /// Parses a connection URL; `default_nick` is used when the URL has no `nick=`.
    pub fn parse(raw: &str, default_nick: &str) -> Result<Config, Error> {
        let bad = |m: &str| Error::Invalid(m.to_string());
        let url = url::Url::parse(raw.trim()).map_err(|e| Error::Invalid(e.to_string()))?;
        if !matches!(url.scheme(), "irc" | "ircs") {
            return Err(bad("the scheme must be irc://"));
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("missing host"))?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let mut c = Config {
            host,
            port: 0,
            tls: url.scheme() == "ircs",
            tls_verify: true,
            nick: String::new(),
            username: String::new(),
            account: decode(url.username()),
            realname: String::new(),
            password: Secret::new(decode(url.password().unwrap_or(""))),
            sasl: None,
            channels: Vec::new(),
            local_address: None,
            client_cert: None,
        };
        let mut tls_given = false;
        for (k, v) in url.query_pairs() {
            match k.as_ref() {
                "nick" => c.nick = v.trim().to_string(),
                "realname" => c.realname = v.to_string(),
                "tls" => {
                    tls_given = true;
                    c.tls = crate::flag::parse(&v).ok_or_else(|| bad("tls must be 0 or 1"))?;
                }
                "tls_verify" => {
                    c.tls_verify =
                        crate::flag::parse(&v).ok_or_else(|| bad("tls_verify must be 0 or 1"))?
                }
                "sasl" => {
                    c.sasl = match v.to_ascii_lowercase().as_str() {
                        "" | "none" => None,
                        "plain" => Some(SaslMech::Plain),
                        "external" => Some(SaslMech::External),
                        _ => return Err(bad("sasl must be plain or external")),
                    }
                }
                "local_address" if !v.is_empty() => {
                    c.local_address = Some(
                        v.parse()
                            .map_err(|_| bad("local_address must be an IP address"))?,
                    )
                }
                _ => {}
            }
        }
        if !tls_given && url.scheme() == "irc" {
            c.tls = true;
        }
        c.port = url.port().unwrap_or(if c.tls { 6697 } else { 6667 });
        c.username = decode(url.username());
        if c.nick.is_empty() {
            c.nick = default_nick.to_string();
        }
        if !valid_nick(&c.nick) {
            return Err(bad(
                "invalid nick: at most 64 characters, without spaces or , * ? ! @",
            ));
        }
        // Never send something like an e-mail address as username: servers show it to everyone.
        if c.username.is_empty() || c.username.contains('@') {
            c.username = c.nick.clone();
        }
        c.username = c
            .username
            .chars()
            .filter(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.'))
            .take(10)
            .collect();
        if c.username.is_empty() {
            c.username = "convos".into();
        }
        if c.realname.trim().is_empty() || c.realname.contains('@') {
            c.realname = "Convos".into();
        }
        if c.sasl == Some(SaslMech::Plain)
            && (url.username().is_empty() || c.password.expose().is_empty())
        {
            return Err(bad("sasl=plain needs user:password@ in the URL"));
        }
        c.channels = channels_from_path(url.path());
        if c.sasl == Some(SaslMech::External) && !c.tls {
            return Err(bad("sasl=external needs TLS (a client certificate)"));
        }
        Ok(c)
    }
}

/// What a connect form edits. [`Fields::url`] makes the connection URL that
/// [`Config::parse`] reads back as the same fields, so the browser never builds or parses
/// URLs itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields {
    pub host: String,
    /// 0: the default port for `tls`.
    pub port: u16,
    pub tls: bool,
    pub nick: String,
    /// Channels to join, with keys (`""`: none).
    pub channels: Vec<(String, String)>,
    /// SASL PLAIN account; with `password` it turns SASL on.
    pub account: String,
    pub password: Secret,
}

impl Fields {
    /// The connection URL of these fields.
    pub fn url(&self) -> String {
        use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
        let enc = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
        let host = self.host.trim();
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.to_string()
        };
        let port = match self.port {
            0 if self.tls => 6697,
            0 => 6667,
            p => p,
        };
        let sasl = !self.account.is_empty() && !self.password.expose().is_empty();
        let auth = match (self.account.is_empty(), self.password.expose().is_empty()) {
            (true, true) => String::new(),
            (false, true) => format!("{}@", enc(&self.account)),
            (_, false) => format!("{}:{}@", enc(&self.account), enc(self.password.expose())),
        };
        let channels: Vec<String> = self
            .channels
            .iter()
            .filter(|(name, _)| !name.trim().is_empty())
            .map(|(name, key)| {
                let name = name.trim();
                let name = if name.starts_with(['#', '&', '!', '+']) {
                    name.to_string()
                } else {
                    format!("#{name}")
                };
                match key.trim() {
                    "" => enc(&name),
                    key => enc(&format!("{name} {key}")),
                }
            })
            .collect();
        let mut url = format!("irc://{auth}{host}:{port}");
        if !channels.is_empty() {
            url.push('/');
            url.push_str(&channels.join(","));
        }
        url.push_str(&format!(
            "?nick={}&tls={}",
            enc(self.nick.trim()),
            if self.tls { 1 } else { 0 }
        ));
        if sasl {
            url.push_str("&sasl=plain");
        }
        url
    }
}

impl Fields {
    /// `old` (a connection URL) changed to these fields: host, port, TLS, nick, channels and
    /// the SASL account; everything else it says (realname, `tls_verify`, `local_address`,
    /// `sasl=external`, the password when `password` is empty) is kept.
    pub fn merge_into(&self, old: &str) -> String {
        let Ok(url) = url::Url::parse(old.trim()) else {
            return self.url();
        };
        let fresh = match url::Url::parse(&self.url()) {
            Ok(u) => u,
            Err(_) => return self.url(),
        };
        let old_pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let external = old_pairs
            .iter()
            .any(|(k, v)| k == "sasl" && v.eq_ignore_ascii_case("external"));
        let old_password = url.password().map(str::to_string);
        // The new URL has the fields' host, port, user, password and path.
        let mut merged = fresh;
        let password = if self.password.expose().is_empty() {
            old_password
        } else {
            merged.password().map(str::to_string)
        };
        let _ = merged.set_password(password.as_deref());
        let sasl_plain = !external && !self.account.is_empty() && password.is_some();
        {
            let mut q = merged.query_pairs_mut();
            q.clear();
            q.append_pair("nick", self.nick.trim());
            q.append_pair("tls", if self.tls { "1" } else { "0" });
            for (k, v) in &old_pairs {
                if !matches!(k.as_str(), "nick" | "tls" | "sasl") {
                    q.append_pair(k, v);
                }
            }
            if external {
                q.append_pair("sasl", "external");
            } else if sasl_plain {
                q.append_pair("sasl", "plain");
            }
        }
        merged.to_string()
    }
}

impl Config {
    /// Whether `other` goes to the same server: host (ASCII case and a final dot
    /// ignored), port and TLS.
    pub fn same_server(&self, other: &Config) -> bool {
        let host = |h: &str| h.trim_end_matches('.').to_ascii_lowercase();
        host(&self.host) == host(&other.host) && self.port == other.port && self.tls == other.tls
    }
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// A nick the server has a chance of accepting: no spaces, control or reserved characters.
pub fn valid_nick(nick: &str) -> bool {
    !nick.is_empty()
        && nick.len() <= 64
        && !nick.starts_with(['#', '&', ':', '$', '+', '~', '%', '@', '!'])
        && !nick.chars().any(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, ',' | '*' | '?' | '!' | '@')
        })
}

/// `/%23a,%23b%20key` → `[("#a",""),("#b","key")]`.
fn channels_from_path(path: &str) -> Vec<(String, String)> {
    let path = decode(path.trim_start_matches('/'));
    path.split(',')
        .filter_map(|item| {
            let mut parts = item.split_whitespace();
            let name = parts.next()?.to_string();
            let key = parts.next().unwrap_or("").to_string();
            Some((name, key))
        })
        .filter(|(name, _)| name.starts_with(['#', '&', '!', '+']) && name.len() > 1)
        .take(100)
        .collect()
}

/// A new client certificate for SASL EXTERNAL / CertFP.
pub fn generate_client_cert(nick: &str) -> Result<crate::model::ClientCert, String> {
    let mut params =
        rcgen::CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, format!("{nick} (convos)"));
    params.not_after = rcgen::date_time_ymd(2099, 1, 1);
    let key = rcgen::KeyPair::generate().map_err(|e| e.to_string())?;
    let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
    Ok(crate::model::ClientCert {
        cert: cert.pem(),
        key: Secret::new(key.serialize_pem()),
    })
}

/// SHA-512 fingerprint (hex) of a PEM certificate, as `/msg NickServ CERT ADD` shows it.
pub fn fingerprint(cert_pem: &str) -> Option<String> {
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    use sha2::Digest;
    let der = CertificateDer::from_pem_slice(cert_pem.as_bytes()).ok()?;
    Some(
        sha2::Sha512::digest(der.as_ref())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    )
}

/// The connection id Convos derives from a host: `irc.libera.chat` → `irc-libera`.
pub fn connection_id(host: &str) -> String {
    let mut name = host.to_ascii_lowercase();
    for prefix in ["irc.", "chat."] {
        if let Some(rest) = name.strip_prefix(prefix) {
            if rest.contains('.') || !rest.is_empty() {
                name = rest.to_string();
            }
            break;
        }
    }
    if let Some(dot) = name.rfind('.') {
        if name.parse::<std::net::IpAddr>().is_err() && dot > 0 {
            name.truncate(dot);
        }
    }
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("irc-{}", name.trim_matches('-'))
}

/// The URL with its password replaced by `********`, for showing and logging.
pub fn redact(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("********"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "(invalid URL)".into(),
    }
}

/// `new` with a `********` password replaced by the password of `old` (the form a user
/// edits shows the redacted URL), but only while scheme, host, port and user are
/// unchanged: the stored password never goes to another server or account.
pub fn unredact(new: &str, old: &str) -> String {
    let (Ok(mut n), Ok(o)) = (url::Url::parse(new.trim()), url::Url::parse(old)) else {
        return new.to_string();
    };
    if n.password() != Some("********") {
        return new.to_string();
    }
    let same = n.scheme() == o.scheme()
        && n.host_str().map(str::to_ascii_lowercase) == o.host_str().map(str::to_ascii_lowercase)
        && n.port() == o.port()
        && n.username() == o.username();
    if !same {
        let _ = n.set_password(None);
        return n.to_string();
    }
    let _ = n.set_password(o.password());
    n.to_string()
}

#[cfg(test)]
mod tests;
