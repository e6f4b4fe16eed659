//! oEmbed for well-known providers (<https://oembed.com/providers.json>): for their links
//! the preview asks the provider's oEmbed endpoint directly, which answers even where the
//! page itself shows a consent wall or a script-only shell to a server (YouTube from the
//! EU, Spotify, TikTok). A hand-kept short list: the full registry has hundreds of
//! entries with wildcard schemes, and these few carry most of what is posted on IRC.

use url::Url;

/// One provider: the hosts its links are on, what a link's path must start with (any
/// when empty), and its oEmbed endpoint (the link goes in `url=`).
#[derive(Debug, Clone)]
pub struct Provider {
    pub hosts: &'static [&'static str],
    pub paths: &'static [&'static str],
    pub endpoint: &'static str,
}

/// The providers asked directly.
pub const KNOWN: &[Provider] = &[
    Provider {
        hosts: &[
            "youtube.com",
            "www.youtube.com",
            "m.youtube.com",
            "music.youtube.com",
        ],
        paths: &["/watch", "/shorts/", "/live/", "/playlist"],
        endpoint: "https://www.youtube.com/oembed?format=json",
    },
    Provider {
        hosts: &["youtu.be"],
        paths: &[],
        endpoint: "https://www.youtube.com/oembed?format=json",
    },
    Provider {
        hosts: &["vimeo.com", "www.vimeo.com"],
        paths: &[],
        endpoint: "https://vimeo.com/api/oembed.json",
    },
    Provider {
        hosts: &["soundcloud.com", "m.soundcloud.com"],
        paths: &[],
        endpoint: "https://soundcloud.com/oembed?format=json",
    },
    Provider {
        hosts: &["open.spotify.com"],
        paths: &[],
        endpoint: "https://open.spotify.com/oembed",
    },
    Provider {
        hosts: &["www.tiktok.com", "tiktok.com"],
        paths: &[],
        endpoint: "https://www.tiktok.com/oembed",
    },
    Provider {
        hosts: &["www.flickr.com", "flickr.com", "flic.kr"],
        paths: &[],
        endpoint: "https://www.flickr.com/services/oembed/?format=json",
    },
    Provider {
        hosts: &["www.reddit.com", "reddit.com", "old.reddit.com"],
        paths: &["/r/"],
        endpoint: "https://www.reddit.com/oembed",
    },
];

/// The oEmbed URL to ask for `link`, when one of `providers` serves it: https or http
/// links on one of its hosts (exactly), with one of its paths.
pub fn endpoint_for(providers: &[Provider], link: &Url) -> Option<Url> {
    if !matches!(link.scheme(), "http" | "https") {
        return None;
    }
    let host = link.host_str()?.to_ascii_lowercase();
    let p = providers.iter().find(|p| {
        p.hosts.contains(&host.as_str())
            && (p.paths.is_empty() || p.paths.iter().any(|s| link.path().starts_with(s)))
            && link.path() != "/"
    })?;
    let mut url = Url::parse(p.endpoint).ok()?;
    url.query_pairs_mut().append_pair("url", link.as_str());
    Some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(link: &str) -> Option<String> {
        endpoint_for(KNOWN, &Url::parse(link).expect("url")).map(String::from)
    }

    #[test]
    fn known_links_ask_their_provider() {
        assert_eq!(
            ask("https://www.youtube.com/watch?v=dQw4w9WgXcQ").as_deref(),
            Some("https://www.youtube.com/oembed?format=json&url=https%3A%2F%2Fwww.youtube.com%2Fwatch%3Fv%3DdQw4w9WgXcQ")
        );
        assert!(ask("https://youtu.be/dQw4w9WgXcQ").is_some());
        assert!(ask("https://vimeo.com/76979871")
            .is_some_and(|u| u.starts_with("https://vimeo.com/api/oembed.json?url=")));
        assert!(ask("https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC").is_some());
        assert!(ask("https://www.reddit.com/r/irc/comments/abc/x/").is_some());
    }

    #[test]
    fn other_links_and_look_alikes_do_not() {
        for link in [
            "https://www.youtube.com/",
            "https://www.youtube.com/about",
            "https://youtube.com.evil.example/watch?v=x",
            "https://evil.example/?u=youtube.com/watch",
            "https://notyoutube.com/watch?v=x",
            "https://www.reddit.com/user/x",
            "ftp://vimeo.com/1",
            "https://example.org/page",
        ] {
            assert_eq!(ask(link), None, "{link}");
        }
    }
}
