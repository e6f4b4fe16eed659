//! The ICE payload (docs/rtcz.md §3.3): a form-urlencoded `ice=...&sdpMid=...&sdpMLineIndex=...`,
//! bounded as in D7.

use super::Error;

/// Longest candidate we send or accept. D7 suggests 1 KiB, but the Convos test vector of
/// docs/rtcz.md §4.2 carries 1200 bytes, so we allow 2 KiB (real candidates are under 300).
pub const MAX_CANDIDATE: usize = 2048;
/// Longest `sdpMid` we send or accept (D7).
pub const MAX_MID: usize = 64;

/// One trickled ICE candidate, as the browser's `RTCIceCandidateInit`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Candidate {
    /// The `candidate:...` attribute line (without `a=`).
    pub candidate: String,
    /// The media stream id; `None` when the sender gave none or an empty one.
    pub sdp_mid: Option<String>,
    /// The m-line index, when given.
    pub sdp_mline_index: Option<u16>,
}

impl Candidate {
    /// The form string Convos sends: `ice=` first, then `sdpMid` and `sdpMLineIndex` when
    /// present, escaped as `Mojo::Parameters` does.
    ///
    /// Fails with [`Error::InputTooLarge`] past [`MAX_CANDIDATE`] or [`MAX_MID`] bytes.
    pub fn to_form(&self) -> Result<String, Error> {
        if self.candidate.len() > MAX_CANDIDATE {
            return Err(Error::InputTooLarge(self.candidate.len()));
        }
        let mut form = format!("ice={}", escape(&self.candidate));
        if let Some(mid) = &self.sdp_mid {
            if mid.len() > MAX_MID {
                return Err(Error::InputTooLarge(mid.len()));
            }
            form.push_str("&sdpMid=");
            form.push_str(&escape(mid));
        }
        if let Some(index) = self.sdp_mline_index {
            form.push_str(&format!("&sdpMLineIndex={index}"));
        }
        Ok(form)
    }

    /// Parses a form string from any Convos or from us. Only `ice` (required), `sdpMid` and
    /// `sdpMLineIndex` are read; other keys are ignored, and a repeated one is an error.
    /// Empty `sdpMid`/`sdpMLineIndex` values (a JSON `null` at the sender) become `None`.
    pub fn from_form(form: &str) -> Result<Self, Error> {
        let mut ice = None;
        let mut mid = None;
        let mut index = None;
        for pair in form.split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = unescape(name)?;
            let slot = match name.as_str() {
                "" => continue,
                "ice" => &mut ice,
                "sdpMid" => &mut mid,
                "sdpMLineIndex" => &mut index,
                _ => continue,
            };
            if slot.replace(unescape(value)?).is_some() {
                return Err(Error::Ice("repeated key"));
            }
        }
        let candidate = ice.ok_or(Error::Ice("no candidate"))?;
        if candidate.len() > MAX_CANDIDATE {
            return Err(Error::Ice("candidate too long"));
        }
        let sdp_mid = mid.filter(|mid| !mid.is_empty());
        if sdp_mid.as_ref().is_some_and(|mid| mid.len() > MAX_MID) {
            return Err(Error::Ice("sdpMid too long"));
        }
        let sdp_mline_index = match index.as_deref() {
            None | Some("") => None,
            Some(digits) if digits.bytes().all(|b| b.is_ascii_digit()) => Some(
                digits
                    .parse::<u16>()
                    .map_err(|_| Error::Ice("sdpMLineIndex out of range"))?,
            ),
            Some(_) => return Err(Error::Ice("sdpMLineIndex is not a number")),
        };
        Ok(Candidate {
            candidate,
            sdp_mid,
            sdp_mline_index,
        })
    }
}

/// `Mojo::Parameters`: every byte but `A-Z a-z 0-9 * - . _` as `%XX`, then `%20` as `+`.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// `+` as space, `%XX` as a byte, then UTF-8. A broken escape is an error.
fn unescape(text: &str) -> Result<String, Error> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        rest = tail;
        match byte {
            b'+' => bytes.push(b' '),
            b'%' => match rest {
                [high, low, tail @ ..] if high.is_ascii_hexdigit() && low.is_ascii_hexdigit() => {
                    bytes.push(hex_value(*high) << 4 | hex_value(*low));
                    rest = tail;
                }
                _ => return Err(Error::Ice("bad percent escape")),
            },
            _ => bytes.push(byte),
        }
    }
    String::from_utf8(bytes).map_err(|_| Error::Utf8)
}

fn hex_value(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        _ => digit.wrapping_sub(b'A').wrapping_add(10),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRFLX: &str = "candidate:842163049 1 udp 1677729535 203.0.113.7 50123 typ srflx raddr 192.168.1.2 rport 50123 generation 0 ufrag 50VQ network-cost 999";

    #[test]
    fn derived_example_of_section_3_3() {
        let candidate = Candidate {
            candidate: SRFLX.into(),
            sdp_mid: Some("0".into()),
            sdp_mline_index: Some(0),
        };
        let form = "ice=candidate%3A842163049+1+udp+1677729535+203.0.113.7+50123+typ+srflx+raddr+192.168.1.2+rport+50123+generation+0+ufrag+50VQ+network-cost+999&sdpMid=0&sdpMLineIndex=0";
        assert_eq!(candidate.to_form().as_deref(), Ok(form));
        assert_eq!(form.len(), 166);
        assert_eq!(Candidate::from_form(form), Ok(candidate));
    }

    #[test]
    fn escaping() {
        let candidate = Candidate {
            candidate: "a:~\r\n é*-._".into(),
            ..Candidate::default()
        };
        assert_eq!(
            candidate.to_form().as_deref(),
            Ok("ice=a%3A%7E%0D%0A+%C3%A9*-._")
        );
    }

    #[test]
    fn decoding() {
        let ok = |candidate: &str, mid: Option<&str>, index: Option<u16>| {
            Ok(Candidate {
                candidate: candidate.into(),
                sdp_mid: mid.map(Into::into),
                sdp_mline_index: index,
            })
        };
        let cases = [
            ("ice=a%20b+c", ok("a b c", None, None)),
            (
                "sdpMLineIndex=1&sdpMid=audio&ice=x",
                ok("x", Some("audio"), Some(1)),
            ),
            ("ice=x&sdpMid=&sdpMLineIndex=", ok("x", None, None)),
            ("&=y&ice=x&other=1&other=2", ok("x", None, None)),
            ("ice", ok("", None, None)),
            ("sdpMid=0", Err(Error::Ice("no candidate"))),
            ("ice=x&ice=y", Err(Error::Ice("repeated key"))),
            ("ice=x&sdpMid=0&sdpMid=1", Err(Error::Ice("repeated key"))),
            ("ice=%4", Err(Error::Ice("bad percent escape"))),
            ("ice=%+1", Err(Error::Ice("bad percent escape"))),
            ("ice=%FF", Err(Error::Utf8)),
            (
                "ice=x&sdpMLineIndex=65536",
                Err(Error::Ice("sdpMLineIndex out of range")),
            ),
            (
                "ice=x&sdpMLineIndex=-1",
                Err(Error::Ice("sdpMLineIndex is not a number")),
            ),
            (
                "ice=x&sdpMLineIndex=+1",
                Err(Error::Ice("sdpMLineIndex is not a number")),
            ),
        ];
        for (form, want) in cases {
            assert_eq!(Candidate::from_form(form), want, "{form:?}");
        }
        let long_mid = format!("ice=x&sdpMid={}", "m".repeat(MAX_MID + 1));
        assert_eq!(
            Candidate::from_form(&long_mid),
            Err(Error::Ice("sdpMid too long"))
        );
        let long = format!("ice={}", "c".repeat(MAX_CANDIDATE + 1));
        assert_eq!(
            Candidate::from_form(&long),
            Err(Error::Ice("candidate too long"))
        );
    }
}
