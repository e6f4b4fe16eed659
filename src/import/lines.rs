//! Reading old log files: bounded lines (a 10 MB line costs no more memory than a normal
//! one), decoded like live IRC (UTF-8, else CP1252 per byte), and opening files only
//! inside the tree being imported.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Longest line kept, in bytes: the same bound as a line from an IRC server. The rest of a
/// longer line is read and dropped; the line is imported cut and counted.
pub const MAX_LINE: usize = crate::irc::codec::MAX_LINE;

/// Longest message text kept from a source that joins lines (The Lounge's multi-line
/// messages, its message store), in bytes; the rest is cut and counted.
pub const MAX_TEXT: usize = 64 * 1024;

/// Cuts `text` to at most `max` bytes on a character boundary; `true` if it was cut.
pub fn cap(text: &mut String, max: usize) -> bool {
    if text.len() <= max {
        return false;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    true
}

/// One line of a file: its bytes without the line end, whether it was cut at
/// [`MAX_LINE`], and its number (from 1).
pub struct Line<'a> {
    pub number: u64,
    pub bytes: &'a [u8],
    pub cut: bool,
}

/// Reads lines of at most [`MAX_LINE`] bytes from `R`.
pub struct Lines<R> {
    inner: BufReader<R>,
    buf: Vec<u8>,
    number: u64,
    /// Bytes read so far (for progress).
    pub consumed: u64,
}

impl<R: Read> Lines<R> {
    pub fn new(inner: R) -> Lines<R> {
        Lines {
            inner: BufReader::with_capacity(64 * 1024, inner),
            buf: Vec::with_capacity(512),
            number: 0,
            consumed: 0,
        }
    }

    /// Lines read so far.
    pub fn count(&self) -> u64 {
        self.number
    }

    /// The next line, `None` at the end. A last line without a line end counts.
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        self.buf.clear();
        // Keep a few bytes past the limit so a cut can end on a character boundary.
        let keep = MAX_LINE + 4;
        let mut total = 0usize;
        let mut seen_any = false;
        loop {
            let avail = match self.inner.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                if !seen_any {
                    return Ok(None);
                }
                break;
            }
            seen_any = true;
            let (chunk, done) = match avail.iter().position(|b| *b == b'\n') {
                Some(i) => (&avail[..i], Some(i + 1)),
                None => (avail, None),
            };
            let room = keep.saturating_sub(self.buf.len());
            self.buf
                .extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or(chunk));
            total += chunk.len();
            let used = done.unwrap_or(avail.len());
            self.inner.consume(used);
            self.consumed += used as u64;
            if done.is_some() {
                break;
            }
        }
        self.number += 1;
        let mut cut = false;
        if total > MAX_LINE {
            cut = true;
            let mut end = MAX_LINE.min(self.buf.len());
            // Do not split a UTF-8 sequence: back off while the first dropped byte is a
            // continuation byte.
            while end > 0 && self.buf.get(end).is_some_and(|b| b & 0xC0 == 0x80) {
                end -= 1;
            }
            self.buf.truncate(end);
        } else if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        Ok(Some(Line {
            number: self.number,
            bytes: &self.buf,
            cut,
        }))
    }
}

/// Why a path under the imported tree is not read.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("a symbolic link to outside the imported directory")]
    Outside,
    #[error("not a regular file")]
    NotFile,
    #[error("not a directory")]
    NotDir,
    #[error("larger than {0} bytes")]
    TooLarge(u64),
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// The tree being imported: its canonical root, so that symbolic links are followed only
/// when they stay inside it. Nothing is ever written below it.
#[derive(Debug, Clone)]
pub struct Tree {
    pub root: PathBuf,
}

/// What an entry of a directory is, after following a link that stays in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Other,
}

impl Tree {
    pub fn new(root: &Path) -> io::Result<Tree> {
        Ok(Tree {
            root: root.canonicalize()?,
        })
    }

    /// `path` relative to the root, `/`-separated and lossy: the stable name of a source in
    /// import marks and reports.
    pub fn rel(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned()
    }

    /// What `path` is; a symbolic link is followed only when its target is inside the
    /// tree ([`Refused::Outside`] otherwise).
    pub fn kind(&self, path: &Path) -> Result<Kind, Refused> {
        let meta = std::fs::symlink_metadata(path)?;
        let meta = if meta.file_type().is_symlink() {
            let target = path.canonicalize()?;
            if !target.starts_with(&self.root) {
                return Err(Refused::Outside);
            }
            std::fs::metadata(&target)?
        } else {
            meta
        };
        Ok(if meta.is_file() {
            Kind::File
        } else if meta.is_dir() {
            Kind::Dir
        } else {
            Kind::Other
        })
    }

    /// The entries of a directory of the tree, sorted by name (names that are not UTF-8
    /// are skipped: no old server wrote them).
    pub fn list(&self, dir: &Path) -> Result<Vec<(String, PathBuf)>, Refused> {
        if self.kind(dir)? != Kind::Dir {
            return Err(Refused::NotDir);
        }
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            if let Ok(name) = entry.file_name().into_string() {
                out.push((name, entry.path()));
            }
        }
        out.sort();
        Ok(out)
    }

    /// Opens a regular file of the tree for reading.
    pub fn open(&self, path: &Path) -> Result<File, Refused> {
        if self.kind(path)? != Kind::File {
            return Err(Refused::NotFile);
        }
        Ok(File::open(path)?)
    }

    /// Bytes of the `.log` files below `dir`, `depth` levels deep at most (links not
    /// followed): the work a progress bar announces.
    pub fn log_bytes(&self, dir: &Path, depth: u32) -> u64 {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return 0;
        };
        let mut total = 0;
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() && depth > 0 {
                total += self.log_bytes(&entry.path(), depth - 1);
            } else if meta.is_file() && entry.file_name().to_string_lossy().ends_with(".log") {
                total += meta.len();
            }
        }
        total
    }

    /// Reads a small file (JSON settings) of at most `max` bytes.
    pub fn read_small(&self, path: &Path, max: u64) -> Result<Vec<u8>, Refused> {
        let file = self.open(path)?;
        let mut out = Vec::new();
        file.take(max + 1).read_to_end(&mut out)?;
        if out.len() as u64 > max {
            return Err(Refused::TooLarge(max));
        }
        Ok(out)
    }
}

/// Unix ms of `YYYY-MM-DDTHH:MM:SS` (UTC, as Convos logs it), `None` if it is not one.
pub fn parse_log_time(b: &[u8]) -> Option<i64> {
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let mut n = 0i64;
        for &c in b.get(r)? {
            if !c.is_ascii_digit() {
                return None;
            }
            n = n * 10 + i64::from(c - b'0');
        }
        Some(n)
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let days = crate::time::days_from_civil(y, mo, d);
    Some((days * 86400 + h * 3600 + mi * 60 + s.min(59)) * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &[u8]) -> Vec<(u64, Vec<u8>, bool)> {
        let mut l = Lines::new(input);
        let mut out = vec![];
        while let Some(line) = l.next_line().expect("read") {
            out.push((line.number, line.bytes.to_vec(), line.cut));
        }
        out
    }

    #[test]
    fn lines_are_split_and_bounded() {
        assert_eq!(
            all(b"a\r\nb\n\nlast"),
            vec![
                (1, b"a".to_vec(), false),
                (2, b"b".to_vec(), false),
                (3, b"".to_vec(), false),
                (4, b"last".to_vec(), false)
            ]
        );
        assert!(all(b"").is_empty());
        let mut big = vec![b'x'; 10 * 1024 * 1024];
        big.extend_from_slice(b"\nnext\n");
        let got = all(&big);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1.len(), MAX_LINE);
        assert!(got[0].2);
        assert_eq!(got[1], (2, b"next".to_vec(), false));
        // A cut never ends inside a UTF-8 sequence.
        let mut utf = vec![b'a'; MAX_LINE - 1];
        utf.extend("é".repeat(10).as_bytes());
        let got = all(&utf);
        assert!(std::str::from_utf8(&got[0].1).is_ok());
        assert!(got[0].1.len() <= MAX_LINE);
    }

    #[test]
    fn texts_are_capped_on_a_character_boundary() {
        let mut t = "aé".repeat(10);
        assert!(cap(&mut t, 4));
        assert_eq!(t, "aéa");
        let mut short = String::from("ok");
        assert!(!cap(&mut short, 4));
        assert_eq!(short, "ok");
    }

    #[test]
    fn log_times() {
        assert_eq!(parse_log_time(b"1970-01-01T00:00:01"), Some(1000));
        assert_eq!(
            parse_log_time(b"2019-03-04T05:06:07 rest"),
            crate::time::parse_rfc3339("2019-03-04T05:06:07Z")
        );
        for bad in [
            &b"2019-13-04T05:06:07"[..],
            b"2019-03-04 05:06:07",
            b"2019-03-04T05:06",
            b"x",
        ] {
            assert_eq!(parse_log_time(bad), None);
        }
    }

    #[test]
    fn links_outside_the_tree_are_refused() {
        let outside = tempfile::tempdir().expect("tmp");
        std::fs::write(outside.path().join("secret"), "x").expect("write");
        let root = tempfile::tempdir().expect("tmp");
        std::fs::write(root.path().join("inside"), "y").expect("write");
        std::os::unix::fs::symlink(outside.path().join("secret"), root.path().join("out"))
            .expect("link");
        std::os::unix::fs::symlink(root.path().join("inside"), root.path().join("in"))
            .expect("link");
        let tree = Tree::new(root.path()).expect("tree");
        assert!(matches!(
            tree.open(&root.path().join("out")),
            Err(Refused::Outside)
        ));
        assert!(tree.open(&root.path().join("in")).is_ok());
        assert_eq!(tree.rel(&tree.root.join("a/b.log")), "a/b.log");
    }
}
