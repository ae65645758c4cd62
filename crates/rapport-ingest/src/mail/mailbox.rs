//! Splitting what was named into messages: an mbox file (a file whose first
//! line starts with `From `) through mail-parser's mbox reader, which also
//! undoes `>From ` quoting; any other file is one RFC 5322 message (`.eml`);
//! a folder is its `.eml` files in name order. Each message keeps where it
//! came from (file, 1-based index in it, the line it starts on) so a problem
//! can be reported at its place.

use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use mail_parser::mailbox::mbox::MessageIterator;

/// One message's raw bytes and its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMessage {
    /// 1-based position in its file (always 1 for an `.eml`).
    pub index: u64,
    /// The 1-based line it starts on (its `From ` line in an mbox).
    pub line: u64,
    /// The date of an mbox `From ` line, seconds since the epoch (read as UTC).
    pub envelope_date: Option<i64>,
    pub bytes: Vec<u8>,
}

/// The messages of one file, read one at a time.
pub struct Messages<R: BufRead> {
    inner: Inner<R>,
    index: u64,
    next_line: u64,
}

enum Inner<R: BufRead> {
    Mbox(MessageIterator<R>),
    Single(R),
    Done,
}

impl<R: BufRead> Messages<R> {
    /// Reads `reader` as an mbox when its first line starts with `From `,
    /// else as one message. A UTF-8 byte-order mark is skipped.
    pub fn new(mut reader: R) -> std::io::Result<Self> {
        const MARK: &[u8] = b"\xEF\xBB\xBF";
        if reader.fill_buf()?.starts_with(MARK) {
            reader.consume(MARK.len());
        }
        let inner = if reader.fill_buf()?.starts_with(b"From ") {
            Inner::Mbox(MessageIterator::new(reader))
        } else {
            Inner::Single(reader)
        };
        Ok(Messages {
            inner,
            index: 0,
            next_line: 1,
        })
    }

    /// Whether the file is an mbox (its messages are told apart by index and line).
    pub fn is_mbox(&self) -> bool {
        matches!(self.inner, Inner::Mbox(_))
    }
}

impl<R: BufRead> Iterator for Messages<R> {
    /// A message, or the file stopped being readable (the iterator then ends).
    type Item = std::io::Result<RawMessage>;

    fn next(&mut self) -> Option<Self::Item> {
        let (bytes, envelope_date, line) = match &mut self.inner {
            Inner::Done => return None,
            Inner::Single(reader) => {
                let mut bytes = Vec::new();
                let read = reader.read_to_end(&mut bytes);
                self.inner = Inner::Done;
                if let Err(error) = read {
                    return Some(Err(error));
                }
                if bytes.iter().all(u8::is_ascii_whitespace) {
                    return None;
                }
                (bytes, None, 1)
            }
            Inner::Mbox(messages) => match messages.next()? {
                Err(error) => {
                    self.inner = Inner::Done;
                    return Some(Err(error));
                }
                Ok(message) => {
                    let line = self.next_line;
                    let date = message.internal_date();
                    let bytes = message.unwrap_contents();
                    // The `From ` line, then the message's own lines
                    // (unquoting `>From ` changes no line count).
                    let lines = bytes.iter().filter(|byte| **byte == b'\n').count() as u64;
                    self.next_line += 1 + lines;
                    (bytes, (date > 0).then_some(date as i64), line)
                }
            },
        };
        self.index += 1;
        Some(Ok(RawMessage {
            index: self.index,
            line,
            envelope_date,
            bytes,
        }))
    }
}

/// The files an import of `path` reads: the file itself, or a folder's
/// `.eml` files (any case of the extension) in name order. Sub-folders are
/// not entered.
pub fn files_of(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path)? {
        let entry = entry?;
        let file = entry.path();
        let is_eml = file
            .extension()
            .is_some_and(|extension| extension.eq_ignore_ascii_case("eml"));
        if is_eml && !entry.file_type()?.is_dir() {
            files.push(file);
        }
    }
    files.sort();
    Ok(files)
}

/// Counts the bytes read through it, for a progress bar.
pub struct CountingReader<R, F: FnMut(u64)> {
    pub inner: R,
    pub on_bytes: F,
}

impl<R: Read, F: FnMut(u64)> Read for CountingReader<R, F> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let count = self.inner.read(buffer)?;
        (self.on_bytes)(count as u64);
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<RawMessage> {
        Messages::new(text.as_bytes())
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn an_mbox_is_split_at_from_lines_and_from_quoting_is_undone() {
        let mbox = "From a@x.com Tue Nov  3 10:00:00 2026\n\
                    Subject: one\n\
                    \n\
                    body\n\
                    >From here on\n\
                    >>From stays quoted once\n\
                    \n\
                    From b@y.com Wed Nov  4 11:30:00 2026\n\
                    Subject: two\n\
                    \n\
                    second\n";
        let messages = split(mbox);
        assert_eq!(messages.len(), 2);
        assert_eq!((messages[0].index, messages[0].line), (1, 1));
        assert_eq!((messages[1].index, messages[1].line), (2, 8));
        assert_eq!(
            String::from_utf8_lossy(&messages[0].bytes),
            "Subject: one\n\nbody\nFrom here on\n>From stays quoted once\n\n"
        );
        assert_eq!(messages[0].envelope_date, Some(1_793_700_000));
        assert_eq!(messages[1].envelope_date, Some(1_793_791_800));
    }

    #[test]
    fn a_file_not_starting_with_from_is_one_message() {
        let messages = split("\u{feff}Subject: alone\r\n\r\nbody\r\n");
        assert_eq!(messages.len(), 1);
        assert_eq!(
            (
                messages[0].index,
                messages[0].line,
                messages[0].envelope_date
            ),
            (1, 1, None)
        );
        assert!(messages[0].bytes.starts_with(b"Subject: alone"));
        assert!(split("  \n").is_empty());
    }
}
