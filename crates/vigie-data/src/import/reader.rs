//! The reader of `vigie import`: an input file read as real files come — UTF-8 with or
//! without a byte-order mark, or Latin-1 (declared, or detected when the file is not
//! UTF-8); `,`, `;`, tab or `|` between fields; column names in any case and any order,
//! unknown ones listed — and **block by block**, so that a national file (a
//! `StockUniteLegale` of 25 million rows, a débits file of 100 million) goes through in
//! the memory of one block ([`BLOCK`] bytes of text) whatever its size.
//!
//! A block ends at a record's end (the quote-aware scan of `source::csv_split`, so a
//! quoted field with line breaks is never cut); row numbers run on across blocks. A
//! record that never ends (a quote never closed) is rejected once [`LONGEST_RECORD`] bytes
//! are read without its end, and reading resumes at its first line's end — as the whole
//! file's scan does at the end of the file (a quoted field of over 32 MiB that does close
//! is rejected the same way: no field of these formats is that long). A line without an
//! end in that much text is an error naming the file and the row.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::source::{InputNotes, RawTable, SourceSpec};
use crate::{Error, Result};

/// The text read per block (after transcoding): large enough for the CSV parser's
/// threads, small enough that a block's table stays a few hundred megabytes.
pub(crate) const BLOCK: usize = 32 << 20;

/// A record whose end is not found within this much text (checked as blocks are read: the
/// text held is then at least a block) is taken for a quote never closed.
pub(crate) const LONGEST_RECORD: usize = BLOCK;

/// How an input file's text is encoded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 when the whole file is valid UTF-8, Latin-1 otherwise.
    #[default]
    Auto,
    /// UTF-8 (a record that is not is rejected as malformed).
    Utf8,
    /// ISO-8859-1 (every byte is a character).
    Latin1,
}

impl Encoding {
    /// Parses `auto`, `utf-8` (or `utf8`) or `latin-1` (or `latin1`, `iso-8859-1`).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Some(Self::Auto),
            "utf-8" | "utf8" => Some(Self::Utf8),
            "latin-1" | "latin1" | "iso-8859-1" => Some(Self::Latin1),
            _ => None,
        }
    }
}

/// An input file being read, block by block ([`Input::next_block`]).
pub(crate) struct Input {
    spec: &'static SourceSpec,
    path: PathBuf,
    file: BufReader<File>,
    latin1: bool,
    sep: u8,
    /// The header line, in lower case, with its line end.
    header: Vec<u8>,
    /// Text read and not yet given: the start of a record cut by the last read.
    pending: Vec<u8>,
    eof: bool,
    /// Bytes read per block ([`BLOCK`]; smaller in tests).
    block: usize,
    /// [`LONGEST_RECORD`] (smaller in tests).
    longest: usize,
    /// Data records in the blocks given so far (the next block's rows are numbered after).
    records: u32,
    /// Encoding, separator and ignored columns, for the file's summary.
    pub(crate) notes: InputNotes,
}

/// Whether the whole file is valid UTF-8, read by blocks (a character cut by a block's end
/// is completed by the next).
fn is_utf8(path: &Path) -> std::io::Result<bool> {
    let mut f = File::open(path)?;
    let mut buf = vec![0u8; 8 << 20];
    let mut carried = 0;
    loop {
        let n = f.read(&mut buf[carried..])?;
        if n == 0 {
            return Ok(carried == 0);
        }
        let len = carried + n;
        match std::str::from_utf8(&buf[..len]) {
            Ok(_) => carried = 0,
            // A character cut by the block's end (at most 3 bytes).
            Err(e) if e.error_len().is_none() => {
                buf.copy_within(e.valid_up_to()..len, 0);
                carried = len - e.valid_up_to();
            }
            Err(_) => return Ok(false),
        }
    }
}

/// Latin-1 bytes appended to `out` as UTF-8: every Latin-1 byte is the character of the
/// same number. Bytes below 0x80 stay as they are, so quotes, separators and line ends
/// keep their places.
fn latin1_to_utf8(bytes: &[u8], out: &mut Vec<u8>) {
    out.reserve(bytes.len());
    for &b in bytes {
        if b < 0x80 {
            out.push(b);
        } else {
            out.push(0xC0 | (b >> 6));
            out.push(0x80 | (b & 0x3F));
        }
    }
}

impl Input {
    /// Opens `path`: its encoding (read through once when `Auto`), its header, separator
    /// and columns. A file without a header line, or without a column the format needs, is
    /// an error naming the file (and the column).
    pub(crate) fn open(spec: &'static SourceSpec, path: &Path, encoding: Encoding) -> Result<Self> {
        let unreadable = |m: String| Error::Unreadable { path: path.to_owned(), message: m };
        let io = |e: std::io::Error| unreadable(e.to_string());
        let mut file = BufReader::with_capacity(1 << 20, File::open(path).map_err(io)?);
        let bom = file.fill_buf().map_err(io)?.starts_with(b"\xEF\xBB\xBF");
        if bom {
            file.consume(3);
        }
        let latin1 = match encoding {
            Encoding::Latin1 => true,
            Encoding::Utf8 => false,
            Encoding::Auto => !is_utf8(path).map_err(io)?,
        };
        let mut line = Vec::new();
        file.read_until(b'\n', &mut line).map_err(io)?;
        if latin1 {
            let raw = std::mem::take(&mut line);
            latin1_to_utf8(&raw, &mut line);
        }
        let header = String::from_utf8_lossy(&line).to_lowercase();
        if header.trim().is_empty() {
            return Err(unreadable("empty file: no header line".into()));
        }
        let sep = [b',', b';', b'\t', b'|']
            .into_iter()
            .max_by_key(|&c| header.bytes().filter(|&b| b == c).count())
            .unwrap_or(b',');
        let names: Vec<String> = header
            .trim_end_matches(['\r', '\n'])
            .split(char::from(sep))
            .map(|n| n.trim().trim_matches('"').to_owned())
            .collect();
        if let Some(c) =
            spec.columns.iter().find(|c| c.required && !names.iter().any(|n| n == c.name))
        {
            return Err(Error::MissingColumn { path: path.to_owned(), column: c.name.to_owned() });
        }
        let mut lowered = names.join(&char::from(sep).to_string()).into_bytes();
        lowered.push(b'\n');
        let notes = InputNotes {
            encoding: Some(match (latin1, bom) {
                (true, _) => "latin-1",
                (false, true) => "utf-8 with BOM",
                (false, false) => "utf-8",
            }),
            separator: Some(char::from(sep)),
            ignored_columns: names
                .into_iter()
                .filter(|n| !n.is_empty() && spec.column(n).is_none())
                .collect(),
        };
        Ok(Self {
            spec,
            path: path.to_owned(),
            file,
            latin1,
            sep,
            header: lowered,
            pending: Vec::new(),
            eof: false,
            block: BLOCK,
            longest: LONGEST_RECORD,
            records: 0,
            notes,
        })
    }

    /// The format read.
    pub(crate) fn spec(&self) -> &'static SourceSpec {
        self.spec
    }

    /// The file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The next block of whole records as a table of text (rows numbered from the file's
    /// start), or `None` at the end of the file.
    pub(crate) fn next_block(&mut self) -> Result<Option<RawTable>> {
        let io = |e: std::io::Error| Error::Unreadable {
            path: self.path.clone(),
            message: e.to_string(),
        };
        let (block, shape) = loop {
            if !self.eof {
                let mut chunk = Vec::with_capacity(self.block);
                (&mut self.file).take(self.block as u64).read_to_end(&mut chunk).map_err(io)?;
                if chunk.is_empty() {
                    self.eof = true;
                } else if self.latin1 {
                    latin1_to_utf8(&chunk, &mut self.pending);
                } else if self.pending.is_empty() {
                    self.pending = chunk;
                } else {
                    self.pending.extend_from_slice(&chunk);
                }
            }
            if self.eof && self.pending.is_empty() {
                return Ok(None);
            }
            let unreadable = |m: String| Error::Unreadable { path: self.path.clone(), message: m };
            let mut block = Vec::with_capacity(self.header.len() + self.pending.len());
            block.extend_from_slice(&self.header);
            block.extend_from_slice(&self.pending);
            // One scan of the block: its whole records, split, and where they end.
            let (shape, end) = if self.eof {
                let shape = crate::source::split_with(&block, self.sep).map_err(unreadable)?;
                (shape, block.len())
            } else {
                crate::source::split_whole_records(&block, self.sep).map_err(unreadable)?
            };
            let end = end - self.header.len();
            if end > 0 {
                block.truncate(self.header.len() + end);
                self.pending.drain(..end);
                break (block, shape);
            }
            if self.pending.len() > self.longest {
                // Cut at the record's first line end, where the whole file's scan resumes
                // after a quote never closed; a line without an end in that much text is
                // no line of a CSV file.
                let line = crate::source::first_line(&self.pending);
                if line == self.pending.len() && self.pending.last() != Some(&b'\n') {
                    return Err(unreadable(format!(
                        "data row {}: a line of over {} MiB without a line end (not a CSV \
                         file of this format?)",
                        self.records + 1,
                        self.longest >> 20
                    )));
                }
                block.truncate(self.header.len() + line);
                self.pending.drain(..line);
                let shape = crate::source::split_with(&block, self.sep).map_err(unreadable)?;
                break (block, shape);
            }
        };
        let mut raw = crate::source::read_csv_split(self.spec, &self.path, block, self.sep, shape)?;
        let before = self.records;
        for r in &mut raw.row_numbers {
            *r += before;
        }
        for (r, _) in &mut raw.ragged {
            *r += before;
        }
        for (r, _) in &mut raw.malformed {
            *r += before;
        }
        let records = raw.row_numbers.len() + raw.malformed.len();
        self.records += u32::try_from(records)
            .map_err(|e| Error::Unreadable { path: self.path.clone(), message: e.to_string() })?;
        raw.notes = self.notes.clone();
        Ok(Some(raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static SPEC: SourceSpec = SourceSpec {
        name: "test",
        grain: "one row per test",
        optional: true,
        key: &["a"],
        columns: &[super::super::text("a", true), super::super::text("b", false)],
    };

    /// Every row of `path` read with blocks of `block` bytes: (row, a, b), the malformed
    /// rows and the ragged ones.
    #[allow(clippy::type_complexity)]
    fn read_all(
        path: &Path,
        block: usize,
        encoding: Encoding,
    ) -> (Vec<(u32, String, String)>, Vec<u32>, Vec<u32>) {
        let mut input = Input::open(&SPEC, path, encoding).unwrap();
        input.block = block;
        // A record of over 64 bytes and 3 blocks is taken for a quote never closed.
        input.longest = (3 * block).max(64);
        let (mut rows, mut malformed, mut ragged) = (Vec::new(), Vec::new(), Vec::new());
        while let Some(raw) = input.next_block().unwrap() {
            let a = raw.df.column("a").unwrap().str().unwrap().clone();
            let b = raw.df.column("b").ok().map(|c| c.str().unwrap().clone());
            for i in 0..raw.df.height() {
                let get = |c: Option<&polars::prelude::StringChunked>| {
                    c.and_then(|c| c.get(i)).unwrap_or("").to_owned()
                };
                rows.push((raw.row_numbers[i], get(Some(&a)), get(b.as_ref())));
            }
            malformed.extend(raw.malformed.iter().map(|m| m.0));
            ragged.extend(raw.ragged.iter().map(|m| m.0));
        }
        (rows, malformed, ragged)
    }

    #[test]
    fn blocks_of_any_size_read_the_same_rows_as_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.csv");
        // A quoted field with a line break and an escaped quote, a blank line, a ragged
        // row, a quote inside an unquoted field, CRLF ends, a Latin-1 "é", a last line
        // without its end.
        let text: &[u8] = b"A;B\r\n1;\"two\nlines \"\"q\"\"\"\r\n\n2;x;extra\n3;ba\"d\n4;caf\xE9\n\"5\";\"\"\n6;end";
        std::fs::write(&path, text).unwrap();
        let whole = read_all(&path, 1 << 20, Encoding::Auto);
        assert_eq!(
            whole.0,
            vec![
                (1, "1".into(), "two\nlines \"q\"".into()),
                (2, "2".into(), "x".into()),
                (4, "4".into(), "café".into()),
                (5, "5".into(), String::new()),
                (6, "6".into(), "end".into()),
            ]
        );
        assert_eq!(whole.1, vec![3], "the quote inside an unquoted field");
        assert_eq!(whole.2, vec![2], "three fields where the header has two");
        for block in 1..text.len() {
            assert_eq!(read_all(&path, block, Encoding::Auto), whole, "blocks of {block} bytes");
        }
    }

    #[test]
    fn a_quote_never_closed_is_one_rejected_record_and_reading_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.csv");
        let mut text = b"a,b\n1,\"open\n".to_vec();
        for k in 2..=40 {
            text.extend_from_slice(format!("{k},y\n").as_bytes());
        }
        std::fs::write(&path, &text).unwrap();
        // Read whole, the quote is found never closed at the end of the file; by blocks,
        // once the record runs over 64 bytes: the same record rejected either way.
        let whole = read_all(&path, 1 << 20, Encoding::Utf8);
        assert_eq!(whole.1, vec![1], "{whole:?}");
        assert_eq!(whole.0.iter().map(|r| r.0).collect::<Vec<_>>(), (2..=40).collect::<Vec<_>>());
        for block in 1..text.len() {
            assert_eq!(read_all(&path, block, Encoding::Utf8), whole, "blocks of {block} bytes");
        }
    }

    #[test]
    fn a_line_without_an_end_is_an_error_naming_its_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.csv");
        let mut text = b"a,b\n1,x\n".to_vec();
        text.extend(std::iter::repeat_n(b'z', 300));
        std::fs::write(&path, &text).unwrap();
        let mut input = Input::open(&SPEC, &path, Encoding::Utf8).unwrap();
        (input.block, input.longest) = (16, 64);
        let first = input.next_block().unwrap().unwrap();
        assert_eq!(first.row_numbers, [1]);
        let Err(e) = input.next_block() else { panic!("a line without an end was read") };
        let e = e.to_string();
        assert!(e.contains("data row 2") && e.contains("f.csv"), "{e}");
    }

    #[test]
    fn latin1_becomes_the_same_characters() {
        let mut out = Vec::new();
        latin1_to_utf8(b"caf\xE9;\xC0 \"x\"\n", &mut out);
        assert_eq!(String::from_utf8(out).unwrap(), "café;À \"x\"\n");
    }

    #[test]
    fn utf8_is_recognised_across_block_ends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.csv");
        // "é" (2 bytes) straddling the 8 MiB read, then a Latin-1 file.
        let mut text = vec![b'a'; (8 << 20) - 1];
        text.extend_from_slice("é\n".as_bytes());
        std::fs::write(&path, &text).unwrap();
        assert!(is_utf8(&path).unwrap());
        text.push(0xE9);
        std::fs::write(&path, &text).unwrap();
        assert!(!is_utf8(&path).unwrap());
    }
}
