//! The quote-aware split of a CSV file's bytes into records, before any parser: ragged
//! records, bad quoting and bytes that are not UTF-8 are set apart, to be rejected one by
//! one with their row number instead of failing the whole file.

/// The records of a CSV file, split by a quote-aware scan of its bytes, with the records
/// that no CSV parser can read set apart (so that they are rejected one by one, with
/// their row number, instead of failing the whole file).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct CsvSplit {
    /// Number of fields of the header, `None` for an empty file.
    pub header_fields: Option<usize>,
    /// Number of data records (blank lines are not records), readable or not.
    pub records: usize,
    /// 1-based numbers of the readable data records, in order.
    pub readable: Vec<u32>,
    /// Readable records whose field count differs from the header: (1-based row, fields).
    pub ragged: Vec<(u32, usize)>,
    /// Unreadable records: (1-based row, what is wrong). A quote inside an unquoted field,
    /// text after a closing quote, a quote never closed, bytes that are not UTF-8.
    pub malformed: Vec<(u32, String)>,
    /// The header and the readable records, when some records are unreadable or some
    /// lines blank (otherwise the file's bytes are parsed as they are).
    pub cleaned: Option<Vec<u8>>,
}

/// One record found by [`split_csv`]: its byte span (line end included), field count,
/// and what makes it unreadable.
struct Record {
    end: usize,
    fields: usize,
    blank: bool,
    problem: Option<String>,
    /// The scan reached the end of the bytes before the record's line end: with more of
    /// the file to come, the record may go on.
    truncated: bool,
}

/// The end of the physical line holding byte `i` (after its `\n`), where scanning
/// resumes after an unreadable record.
fn line_end(bytes: &[u8], i: usize) -> usize {
    bytes[i.min(bytes.len())..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |p| i + p + 1)
}

/// Scans the record starting at `start` (RFC 4180 with separator `sep`: `"` quoting with
/// `""` escapes, LF or CRLF line ends, quoted fields may span lines).
fn scan_record(bytes: &[u8], start: usize, sep: u8) -> Record {
    let mut i = start;
    let mut fields = 1;
    let mut content = false;
    let bad = |end: usize, fields: usize, problem: String| Record {
        end,
        fields,
        blank: false,
        problem: Some(problem),
        truncated: false,
    };
    loop {
        if bytes.get(i) == Some(&b'"') {
            content = true;
            i += 1;
            loop {
                match bytes.get(i) {
                    None => {
                        let mut r = bad(
                            line_end(bytes, start),
                            fields,
                            format!("field {fields} opens a quote that is never closed"),
                        );
                        r.truncated = true;
                        return r;
                    }
                    Some(b'"') if bytes.get(i + 1) == Some(&b'"') => i += 2,
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(_) => i += 1,
                }
            }
            match bytes.get(i) {
                None => {
                    return Record { end: i, fields, blank: false, problem: None, truncated: true };
                }
                Some(&b) if b == sep => {
                    fields += 1;
                    i += 1;
                    continue;
                }
                Some(b'\n') => {
                    return Record {
                        end: i + 1,
                        fields,
                        blank: false,
                        problem: None,
                        truncated: false,
                    };
                }
                Some(b'\r') if matches!(bytes.get(i + 1), None | Some(b'\n')) => {
                    let end = (i + 2).min(bytes.len());
                    let truncated = i + 1 >= bytes.len();
                    return Record { end, fields, blank: false, problem: None, truncated };
                }
                Some(_) => {
                    return bad(
                        line_end(bytes, i),
                        fields,
                        format!("field {fields} has text after its closing quote"),
                    );
                }
            }
        }
        let mut quote = false;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'\n' => break,
                b if b == sep => break,
                b'"' => quote = true,
                b'\r' => {}
                _ => content = true,
            }
            i += 1;
        }
        if quote {
            return bad(
                line_end(bytes, i),
                fields,
                format!("field {fields} holds a quote but does not start with one"),
            );
        }
        match bytes.get(i) {
            Some(&b) if b == sep => {
                fields += 1;
                content = true;
                i += 1;
            }
            Some(_) => {
                return Record {
                    end: i + 1,
                    fields,
                    blank: !content,
                    problem: None,
                    truncated: false,
                };
            }
            None => {
                return Record { end: i, fields, blank: !content, problem: None, truncated: true };
            }
        }
    }
}

/// The end of the physical line that starts `bytes` (after its `\n`): where a block holding
/// a record that never ends (a quote never closed) is cut, the record then rejected.
#[must_use]
pub fn first_line(bytes: &[u8]) -> usize {
    line_end(bytes, 0)
}

/// Splits comma-separated bytes into records; see [`CsvSplit`]. An unreadable header is an
/// error.
pub fn split_csv(bytes: &[u8]) -> std::result::Result<CsvSplit, String> {
    split_with(bytes, b',')
}

/// Splits CSV bytes whose separator is `sep` into records; see [`CsvSplit`].
pub fn split_with(bytes: &[u8], sep: u8) -> std::result::Result<CsvSplit, String> {
    split_records(bytes, sep, false).map(|(split, _)| split)
}

/// Splits the whole records at the start of `bytes` (a block of a file read by blocks),
/// as [`split_with`] does; stops before a record the block may have cut (one the scan
/// ran out of bytes in, or a last line without its end). Returns the split and the length
/// of the bytes it covers.
pub fn split_whole_records(
    bytes: &[u8],
    sep: u8,
) -> std::result::Result<(CsvSplit, usize), String> {
    split_records(bytes, sep, true)
}

fn split_records(
    bytes: &[u8],
    sep: u8,
    partial: bool,
) -> std::result::Result<(CsvSplit, usize), String> {
    let mut split = CsvSplit::default();
    let utf8 = match std::str::from_utf8(bytes) {
        Ok(_) => true,
        // A character cut by the block's end lies in the record cut with it.
        Err(e) => partial && e.error_len().is_none(),
    };
    let mut cleaned: Vec<(usize, usize)> = Vec::new();
    let mut blank_lines = false;
    let mut pos = 0;
    while pos < bytes.len() {
        let mut r = scan_record(bytes, pos, sep);
        // A bad record is cut at its line end, which the block may not hold yet.
        if partial && (r.truncated || (r.end == bytes.len() && bytes.last() != Some(&b'\n'))) {
            break;
        }
        let span = pos..r.end;
        pos = r.end;
        if r.blank {
            blank_lines = true;
            continue;
        }
        if r.problem.is_none()
            && !utf8
            && let Err(e) = std::str::from_utf8(&bytes[span.clone()])
        {
            r.problem = Some(format!(
                "byte {} of the record (0x{:02X}) is not UTF-8: files must be UTF-8 encoded",
                e.valid_up_to() + 1,
                bytes[span.start + e.valid_up_to()]
            ));
        }
        let Some(header) = split.header_fields else {
            if let Some(p) = r.problem {
                return Err(format!("the header line is unreadable: {p}"));
            }
            split.header_fields = Some(r.fields);
            cleaned.push((span.start, span.end));
            continue;
        };
        split.records += 1;
        let row = split.records as u32;
        if let Some(p) = r.problem {
            split.malformed.push((row, p));
            continue;
        }
        split.readable.push(row);
        cleaned.push((span.start, span.end));
        if r.fields != header {
            split.ragged.push((row, r.fields));
        }
    }
    // Without the records no parser reads, and without blank lines (which a parser may
    // take for a record of empty fields): the record numbers stay those of the scan.
    if !split.malformed.is_empty() || blank_lines {
        let mut out = Vec::with_capacity(bytes.len());
        for (a, b) in cleaned {
            out.extend_from_slice(&bytes[a..b]);
            if out.last() != Some(&b'\n') {
                out.push(b'\n');
            }
        }
        split.cleaned = Some(out);
    }
    Ok((split, pos))
}
