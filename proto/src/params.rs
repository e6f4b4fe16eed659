//! [`Params`]: the parameters of a [`Message`](crate::Message), as an iterator that can
//! also be indexed and compared with slices.

use std::ops::Index;

use crate::message::Span;

/// The parameters of a message, the trailing one without its `:`
/// (<https://modern.ircdocs.horse/#parameters>).
///
/// An [`ExactSizeIterator`] of `&str`, and also indexable: `params[0]` panics like a slice
/// when out of range, [`Params::get`] does not. Compares equal to arrays, slices and
/// vectors of `&str`.
#[derive(Debug, Clone)]
pub struct Params<'a> {
    buf: &'a str,
    spans: &'a [Span],
}

impl<'a> Params<'a> {
    pub(crate) fn new(buf: &'a str, spans: &'a [Span]) -> Self {
        Params { buf, spans }
    }

    /// Parameter `i` of those not yet iterated, if there is one.
    pub fn get(&self, i: usize) -> Option<&'a str> {
        self.spans.get(i).map(|s| s.get(self.buf))
    }

    /// The first parameter, if any.
    pub fn first(&self) -> Option<&'a str> {
        self.get(0)
    }

    /// Whether there are no parameters left.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The parameters as a vector.
    pub fn to_vec(&self) -> Vec<&'a str> {
        self.clone().collect()
    }
}

impl<'a> Iterator for Params<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let (first, rest) = self.spans.split_first()?;
        self.spans = rest;
        Some(first.get(self.buf))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.spans.len(), Some(self.spans.len()))
    }

    fn nth(&mut self, n: usize) -> Option<&'a str> {
        self.spans = self.spans.get(n..).unwrap_or_default();
        self.next()
    }

    fn last(self) -> Option<&'a str> {
        self.spans.last().map(|s| s.get(self.buf))
    }
}

impl DoubleEndedIterator for Params<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let (last, rest) = self.spans.split_last()?;
        self.spans = rest;
        Some(last.get(self.buf))
    }
}

impl ExactSizeIterator for Params<'_> {}

impl std::iter::FusedIterator for Params<'_> {}

impl Index<usize> for Params<'_> {
    type Output = str;

    /// Parameter `i`; panics when out of range, like slice indexing.
    fn index(&self, i: usize) -> &str {
        match self.get(i) {
            Some(p) => p,
            None => panic!(
                "parameter index {i} out of range for {} parameters",
                self.spans.len()
            ),
        }
    }
}

impl<S: AsRef<str>> PartialEq<[S]> for Params<'_> {
    fn eq(&self, other: &[S]) -> bool {
        self.len() == other.len() && self.clone().zip(other).all(|(a, b)| a == b.as_ref())
    }
}

impl<S: AsRef<str>, const N: usize> PartialEq<[S; N]> for Params<'_> {
    fn eq(&self, other: &[S; N]) -> bool {
        *self == other[..]
    }
}

impl<S: AsRef<str>> PartialEq<&[S]> for Params<'_> {
    fn eq(&self, other: &&[S]) -> bool {
        *self == **other
    }
}

impl<S: AsRef<str>> PartialEq<Vec<S>> for Params<'_> {
    fn eq(&self, other: &Vec<S>) -> bool {
        *self == other[..]
    }
}
