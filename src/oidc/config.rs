//! The providers' configuration from the environment: `CONVOS_OIDC_PROVIDERS=a,b` names
//! them, and for each NAME (upper-cased, `-` as `_`) `CONVOS_OIDC_<NAME>_ISSUER`,
//! `_CLIENT_ID`, `_CLIENT_SECRET` (none: a public client, PKCE only), `_LABEL` (the button,
//! default the name) and `_SCOPES` (default `openid email profile`). Pure: the variables
//! come in as a lookup function.

use crate::model::Secret;

/// Providers offered at most.
pub const MAX_PROVIDERS: usize = 8;

/// One configured provider.
#[derive(Debug, Clone)]
pub struct Provider {
    /// Lower-case `[a-z0-9-]{1,32}`: in URLs (`/api/oidc/NAME/...`) and records.
    pub name: String,
    /// What the button says after "Sign in with".
    pub label: String,
    /// The issuer URL; discovery is `ISSUER/.well-known/openid-configuration`.
    pub issuer: url::Url,
    pub client_id: String,
    pub client_secret: Option<Secret>,
    /// Always includes `openid`.
    pub scopes: Vec<String>,
}

/// A configuration error, for the operator.
#[derive(Debug, thiserror::Error)]
#[error("OpenID Connect: {0}")]
pub struct Error(pub String);

/// The providers named in `list` (CONVOS_OIDC_PROVIDERS), each read through `var`.
pub fn parse(list: &str, var: impl Fn(&str) -> Option<String>) -> Result<Vec<Provider>, Error> {
    let mut out: Vec<Provider> = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let name = name.to_ascii_lowercase();
        let valid = name.len() <= 32
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid {
            return Err(Error(format!(
                "provider name {name:?}: use 1-32 of a-z, 0-9 and -"
            )));
        }
        if out.iter().any(|p| p.name == name) {
            return Err(Error(format!("provider {name:?} is named twice")));
        }
        if out.len() >= MAX_PROVIDERS {
            return Err(Error(format!("at most {MAX_PROVIDERS} providers")));
        }
        let key = |suffix: &str| {
            format!(
                "CONVOS_OIDC_{}_{suffix}",
                name.to_ascii_uppercase().replace('-', "_")
            )
        };
        let get = |suffix: &str| var(&key(suffix)).filter(|v| !v.trim().is_empty());
        let need =
            |suffix: &str| get(suffix).ok_or_else(|| Error(format!("{} is not set", key(suffix))));
        let issuer_raw = need("ISSUER")?;
        let issuer = url::Url::parse(issuer_raw.trim())
            .map_err(|e| Error(format!("{}: {e}", key("ISSUER"))))?;
        if !matches!(issuer.scheme(), "https" | "http")
            || issuer.query().is_some()
            || issuer.fragment().is_some()
        {
            return Err(Error(format!(
                "{}: an http(s) URL without query or fragment",
                key("ISSUER")
            )));
        }
        let mut scopes: Vec<String> = get("SCOPES")
            .unwrap_or_else(|| "openid email profile".into())
            .split([' ', ','])
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if !scopes.iter().any(|s| s == "openid") {
            scopes.insert(0, "openid".into());
        }
        let label = get("LABEL").unwrap_or_else(|| name.clone());
        if label.chars().count() > 64 {
            return Err(Error(format!("{}: at most 64 characters", key("LABEL"))));
        }
        out.push(Provider {
            label,
            issuer,
            client_id: need("CLIENT_ID")?.trim().to_string(),
            client_secret: get("CLIENT_SECRET").map(Secret::new),
            scopes,
            name,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn providers_are_read_from_the_environment() {
        let e = env(&[
            (
                "CONVOS_OIDC_CORP_SSO_ISSUER",
                "https://id.example.com/realms/x",
            ),
            ("CONVOS_OIDC_CORP_SSO_CLIENT_ID", "convos"),
            ("CONVOS_OIDC_CORP_SSO_CLIENT_SECRET", "s3cret"),
            ("CONVOS_OIDC_CORP_SSO_LABEL", "Example Corp"),
            ("CONVOS_OIDC_GOOGLE_ISSUER", "https://accounts.google.com"),
            ("CONVOS_OIDC_GOOGLE_CLIENT_ID", "id"),
            ("CONVOS_OIDC_GOOGLE_SCOPES", "email profile"),
        ]);
        let p = parse(" Corp-SSO, google ,", &e).expect("valid");
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].name, "corp-sso");
        assert_eq!(p[0].label, "Example Corp");
        assert_eq!(
            p[0].client_secret.as_ref().map(Secret::expose),
            Some("s3cret")
        );
        assert_eq!(p[1].label, "google");
        assert!(p[1].client_secret.is_none());
        assert_eq!(p[1].scopes, ["openid", "email", "profile"]);
        assert!(parse("", &e).expect("none").is_empty());
    }

    #[test]
    fn bad_configurations_are_refused() {
        let e = env(&[
            ("CONVOS_OIDC_A_ISSUER", "https://id.example.com"),
            ("CONVOS_OIDC_A_CLIENT_ID", "x"),
            ("CONVOS_OIDC_B_ISSUER", "ftp://id.example.com"),
            ("CONVOS_OIDC_B_CLIENT_ID", "x"),
            ("CONVOS_OIDC_C_ISSUER", "https://id.example.com"),
        ]);
        for list in ["a,a", "b", "c", "d", "a b", "../x", &"x".repeat(33)] {
            assert!(parse(list, &e).is_err(), "{list}");
        }
        let many = (0..9)
            .map(|i| format!("p{i}"))
            .collect::<Vec<_>>()
            .join(",");
        let all = |k: &str| {
            Some(
                if k.ends_with("ISSUER") {
                    "https://id.example.com"
                } else {
                    "x"
                }
                .to_string(),
            )
        };
        assert!(parse(&many, all).is_err());
    }
}
