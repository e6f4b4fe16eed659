//! What a page says about itself: OpenGraph (`og:*`), Twitter card (`twitter:*`) and plain
//! `<title>`/`<meta name=description>`, and where its oEmbed description is
//! (`<link rel=alternate type=application/json+oembed>`), read with a real HTML parser
//! (html5ever through `scraper`), never with regexes; and the oEmbed JSON itself. Everything comes out as plain text: markup in a title
//! stays characters, and the browser shows it as text. Pure.

use scraper::{Html, Selector};
use url::Url;

/// The most characters kept of a title and of a description.
pub const MAX_TITLE: usize = 200;
pub const MAX_DESCRIPTION: usize = 300;

/// What a page says about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meta {
    pub title: Option<String>,
    pub description: Option<String>,
    pub site_name: Option<String>,
    /// Absolute http(s) URL of its image.
    pub image: Option<Url>,
    /// Absolute http(s) URL of its oEmbed JSON (YouTube, Vimeo, Flickr, ... announce one).
    pub oembed: Option<Url>,
}

/// Reads `html` fetched from `base` (for relative image URLs).
pub fn parse(html: &str, base: &Url) -> Meta {
    let doc = Html::parse_document(html);
    let meta = |keys: &[&str]| -> Option<String> {
        let sel = Selector::parse("meta").ok()?;
        for key in keys {
            for el in doc.select(&sel) {
                let v = el.value();
                let name = v.attr("property").or_else(|| v.attr("name"));
                if name.is_some_and(|n| n.eq_ignore_ascii_case(key)) {
                    if let Some(c) = v.attr("content").map(str::trim).filter(|c| !c.is_empty()) {
                        return Some(c.to_string());
                    }
                }
            }
        }
        None
    };
    let title = meta(&["og:title", "twitter:title"]).or_else(|| {
        let sel = Selector::parse("title").ok()?;
        doc.select(&sel)
            .next()
            .map(|t| t.text().collect::<String>())
    });
    let description = meta(&["og:description", "twitter:description", "description"]);
    let image = meta(&[
        "og:image:secure_url",
        "og:image",
        "twitter:image",
        "twitter:image:src",
    ])
    .and_then(|u| base.join(&u).ok())
    .filter(|u| matches!(u.scheme(), "http" | "https"));
    let oembed = Selector::parse("link[rel~=alternate]")
        .ok()
        .and_then(|sel| {
            doc.select(&sel)
                .filter(|l| {
                    l.value()
                        .attr("type")
                        .is_some_and(|t| t.eq_ignore_ascii_case("application/json+oembed"))
                })
                .find_map(|l| l.value().attr("href"))
                .and_then(|h| base.join(h.trim()).ok())
                .filter(|u| matches!(u.scheme(), "http" | "https"))
        });
    Meta {
        title: title.and_then(|t| clean(&t, MAX_TITLE)),
        description: description.and_then(|d| clean(&d, MAX_DESCRIPTION)),
        site_name: meta(&["og:site_name"]).and_then(|s| clean(&s, 80)),
        image,
        oembed,
    }
}

/// Fills what `meta` lacks from an oEmbed answer (`title`, `provider_name`,
/// `author_name`, `thumbnail_url`); markup in them stays text, like everywhere.
pub fn oembed(meta: &mut Meta, json: &[u8], base: &Url) {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(json) else {
        return;
    };
    let text = |k: &str, max: usize| {
        v.get(k)
            .and_then(|x| x.as_str())
            .and_then(|x| clean(x, max))
    };
    if meta.title.is_none() {
        meta.title = text("title", MAX_TITLE);
    }
    if meta.site_name.is_none() {
        meta.site_name = text("provider_name", 80);
    }
    if meta.description.is_none() {
        meta.description = text("author_name", 80).map(|a| format!("by {a}"));
    }
    if meta.image.is_none() {
        meta.image = text("thumbnail_url", 2048)
            .and_then(|u| base.join(&u).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"));
    }
}

/// Whitespace collapsed, control characters dropped, at most `max` characters (with `…`);
/// `None` when nothing is left.
fn clean(s: &str, max: usize) -> Option<String> {
    let words: Vec<&str> = s.split_whitespace().collect();
    let one: String = words
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    if one.is_empty() {
        return None;
    }
    if one.chars().count() <= max {
        return Some(one);
    }
    let mut cut: String = one.chars().take(max - 1).collect();
    cut.push('…');
    Some(cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://example.com/a/page").expect("url")
    }

    #[test]
    fn opengraph_beats_twitter_beats_plain() {
        let html = r#"<html><head><title>Plain</title>
            <meta name="twitter:title" content="Tweet">
            <meta property="og:title" content="  Open
              Graph ">
            <meta name="description" content="desc">
            <meta property="og:site_name" content="Example">
            <meta property="og:image" content="/img.png">
            </head><body></body></html>"#;
        let m = parse(html, &base());
        assert_eq!(m.title.as_deref(), Some("Open Graph"));
        assert_eq!(m.description.as_deref(), Some("desc"));
        assert_eq!(m.site_name.as_deref(), Some("Example"));
        assert_eq!(
            m.image.map(|u| u.to_string()),
            Some("https://example.com/img.png".into())
        );
        let m = parse("<title>Just &amp; a <b>title</b></title>", &base());
        assert_eq!(m.title.as_deref(), Some("Just & a <b>title</b>"));
    }

    #[test]
    fn oembed_fills_what_the_page_lacks() {
        let html = r#"<title>Watch</title>
            <link rel="alternate" type="application/json+oembed" href="/oembed?url=x&amp;format=json">
            <link rel="alternate" type="text/xml+oembed" href="/oembed.xml">"#;
        let mut m = parse(html, &base());
        assert_eq!(
            m.oembed.as_ref().map(Url::as_str),
            Some("https://example.com/oembed?url=x&format=json")
        );
        let json = br#"{"title": "A <i>video</i>", "provider_name": "Tube",
            "author_name": "Someone", "thumbnail_url": "https://img.example/t.jpg"}"#;
        oembed(&mut m, json, &base());
        assert_eq!(
            m.title.as_deref(),
            Some("Watch"),
            "the page's own title wins"
        );
        assert_eq!(m.site_name.as_deref(), Some("Tube"));
        assert_eq!(m.description.as_deref(), Some("by Someone"));
        assert_eq!(
            m.image.map(|u| u.to_string()),
            Some("https://img.example/t.jpg".into())
        );
        let mut empty = Meta::default();
        oembed(&mut empty, b"not json", &base());
        oembed(
            &mut empty,
            br#"{"thumbnail_url": "javascript:alert(1)"}"#,
            &base(),
        );
        assert_eq!(empty, Meta::default());
    }

    #[test]
    fn markup_stays_text_and_lengths_are_bounded() {
        let html = r#"<meta property="og:title" content="<script>alert(1)</script>">
            <meta property="og:description" content="<img src=x onerror=alert(1)>">
            <meta property="og:image" content="javascript:alert(1)">"#;
        let m = parse(html, &base());
        assert_eq!(m.title.as_deref(), Some("<script>alert(1)</script>"));
        assert_eq!(
            m.description.as_deref(),
            Some("<img src=x onerror=alert(1)>")
        );
        assert_eq!(m.image, None, "only http(s) images");
        let long = format!("<title>{}</title>", "x".repeat(1000));
        let t = parse(&long, &base()).title.expect("title");
        assert_eq!(t.chars().count(), MAX_TITLE);
        assert!(t.ends_with('…'));
        assert_eq!(parse("<title> \n </title>", &base()), Meta::default());
        assert_eq!(parse("not html at all \0\u{1}", &base()).title, None);
    }
}
