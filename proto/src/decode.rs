//! [`decode`]: raw line bytes to text, UTF-8 first with a CP1252 fallback per byte.
//!
//! IRC has no declared encoding; modern networks and clients use UTF-8, older clients
//! still send Latin-1 or CP1252 (<https://modern.ircdocs.horse/#character-encodings>).

use std::borrow::Cow;

/// CP1252 characters for bytes 0x80..=0x9F. The five bytes CP1252 leaves undefined map to
/// the C1 control of the same value, as browsers (WHATWG Encoding) do.
const CP1252_HIGH: [char; 32] = [
    '\u{20AC}', '\u{81}', '\u{201A}', '\u{192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{2C6}', '\u{2030}', '\u{160}', '\u{2039}', '\u{152}', '\u{8D}', '\u{17D}', '\u{8F}',
    '\u{90}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{2DC}', '\u{2122}', '\u{161}', '\u{203A}', '\u{153}', '\u{9D}', '\u{17E}', '\u{178}',
];

/// The character CP1252 gives byte `b` (Latin-1 outside 0x80..=0x9F).
pub fn cp1252_char(b: u8) -> char {
    match b {
        0x80..=0x9F => CP1252_HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

/// Decodes one line's bytes into text; never fails.
///
/// Valid UTF-8 is borrowed as is. Otherwise every valid UTF-8 sequence is kept and each
/// byte that is not part of one is read as CP1252 (a superset of Latin-1), so a line that
/// mixes a UTF-8 nick with Latin-1 text still reads right.
/// <https://modern.ircdocs.horse/#character-encodings>
pub fn decode(bytes: &[u8]) -> Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 2);
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        out.extend(chunk.invalid().iter().map(|&b| cp1252_char(b)));
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_table() {
        let cases: &[(&[u8], &str)] = &[
            (b"plain ascii", "plain ascii"),
            ("blåbærsyltetøy".as_bytes(), "blåbærsyltetøy"),
            (b"bl\xe5b\xe6rsyltet\xf8y", "blåbærsyltetøy"),
            (b"\x80 \x85 \x99", "€ … ™"),
            (b"caf\xe9 \xc3\xa9t\xe9", "café été"),
            (b"\x81\x8d\x8f\x90\x9d", "\u{81}\u{8d}\u{8f}\u{90}\u{9d}"),
            (b"\xff\xfe", "ÿþ"),
            (b"\xe2\x82", "â\u{201a}"),
            (b"", ""),
        ];
        for &(input, want) in cases {
            assert_eq!(decode(input), want, "{input:?}");
        }
        assert!(matches!(decode(b"ok"), Cow::Borrowed(_)));
    }

    #[test]
    fn every_byte_decodes() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(decode(&all).chars().count(), 256);
    }
}
