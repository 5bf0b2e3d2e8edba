//! Reading any table (CSV or Parquet) as columns of numbers or text: the input of model
//! training and of `vigie evaluate` on public benchmark data.

use std::path::Path;

use polars::prelude::*;
use sha2::{Digest, Sha256};

use crate::source::Format;
use crate::{Error, Result};

/// A column of a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Numbers (integers, floats and booleans read as f64); NaN is missing.
    Numeric(Vec<f64>),
    /// Text; `None` is missing.
    Text(Vec<Option<String>>),
}

/// A table read whole into memory.
#[derive(Debug, Clone)]
pub struct Tabular {
    /// Number of rows.
    pub rows: usize,
    /// Named columns, in file order.
    pub columns: Vec<(String, Column)>,
}

impl Tabular {
    /// A column by name.
    #[must_use]
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|(n, _)| n == name).map(|(_, c)| c)
    }

    /// Removes a column and returns it, without copying (for callers that convert a table
    /// into their own structures and want the memory back).
    pub fn take(&mut self, name: &str) -> Option<Column> {
        let i = self.columns.iter().position(|(n, _)| n == name)?;
        Some(self.columns.swap_remove(i).1)
    }

    /// A numeric column by name.
    #[must_use]
    pub fn numeric(&self, name: &str) -> Option<&[f64]> {
        match self.column(name) {
            Some(Column::Numeric(v)) => Some(v),
            _ => None,
        }
    }

    /// A text column by name.
    #[must_use]
    pub fn text(&self, name: &str) -> Option<&[Option<String>]> {
        match self.column(name) {
            Some(Column::Text(v)) => Some(v),
            _ => None,
        }
    }
}

/// The format of a file from its extension.
pub fn format_of(path: &Path) -> Result<Format> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("csv") => Ok(Format::Csv),
        Some("parquet") => Ok(Format::Parquet),
        _ => Err(Error::Unreadable {
            path: path.to_owned(),
            message: "expected a .csv or .parquet file".into(),
        }),
    }
}

/// Reads a CSV (types inferred from every row; empty cells are missing) or Parquet file.
pub fn read(path: &Path) -> Result<Tabular> {
    let err = |e: &dyn std::fmt::Display| Error::Unreadable {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let df = match format_of(path)? {
        Format::Csv => csv_frame(path)?,
        Format::Parquet => {
            let file = std::fs::File::open(path).map_err(|e| err(&e))?;
            ParquetReader::new(file).finish().map_err(|e| err(&e))?
        }
    };
    let rows = df.height();
    let mut columns = Vec::with_capacity(df.width());
    for c in df.columns() {
        let name = c.name().to_string();
        let s = c.as_materialized_series();
        let col = match s.dtype() {
            DataType::String => Column::Text(
                s.str().map_err(|e| err(&e))?.iter().map(|v| v.map(str::to_owned)).collect(),
            ),
            DataType::Null => Column::Numeric(vec![f64::NAN; rows]),
            dt if dt.is_primitive_numeric() || dt == &DataType::Boolean => {
                let f = s.cast(&DataType::Float64).map_err(|e| err(&e))?;
                Column::Numeric(
                    f.f64().map_err(|e| err(&e))?.iter().map(|v| v.unwrap_or(f64::NAN)).collect(),
                )
            }
            other => {
                return Err(Error::WrongType {
                    path: path.to_owned(),
                    column: name,
                    expected: "number or text",
                    found: other.to_string(),
                });
            }
        };
        columns.push((name, col));
    }
    Ok(Tabular { rows, columns })
}

/// A text column held as codes into its distinct texts: a panel's months, départements and
/// company ids repeat over millions of rows, and a `String` per row would be most of its
/// memory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Texts {
    /// The distinct texts, in order of first appearance (a missing value is "").
    pub distinct: Vec<String>,
    /// The code of each row: its text's place in `distinct`.
    pub codes: Vec<u32>,
}

impl Texts {
    /// Number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// Whether there is no row.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// The same rows with each distinct text replaced by `f` of it (computed once per
    /// distinct text).
    #[must_use]
    pub fn map(&self, f: impl Fn(&str) -> String) -> Texts {
        let mut out = Texts::default();
        let mut index = PlHashMap::new();
        let recode: Vec<u32> = self.distinct.iter().map(|t| out.code(&f(t), &mut index)).collect();
        out.codes = self.codes.iter().map(|&c| recode[c as usize]).collect();
        out
    }

    /// The code of `text`, added to the distinct texts if new.
    fn code(&mut self, text: &str, index: &mut PlHashMap<String, u32>) -> u32 {
        if let Some(&c) = index.get(text) {
            return c;
        }
        let c = u32::try_from(self.distinct.len()).expect("fewer than 2^32 distinct texts");
        self.distinct.push(text.to_owned());
        index.insert(text.to_owned(), c);
        c
    }
}

impl std::ops::Index<usize> for Texts {
    type Output = str;
    fn index(&self, row: usize) -> &str {
        &self.distinct[self.codes[row] as usize]
    }
}

/// A column read by [`read_compact`].
#[derive(Debug, Clone, PartialEq)]
pub enum Compact {
    /// Numbers (integers, floats and booleans read as f64); NaN is missing.
    Numeric(Vec<f64>),
    /// Text, as codes.
    Text(Texts),
}

/// Rows of a Parquet file converted at a time by [`read_compact`].
pub const COMPACT_BATCH_ROWS: usize = 1 << 20;

/// Reads the columns `names` of a table (those it has; the caller checks what it needs):
/// numbers as f64, texts as [`Texts`]. A Parquet file is read by slices of
/// [`COMPACT_BATCH_ROWS`] rows, so that only a slice is ever held twice (by the reader and
/// in the columns); a CSV file is read whole first. What `vigie train` reads a panel of
/// millions of rows with.
pub fn read_compact(path: &Path, names: &[&str]) -> Result<(usize, Vec<(String, Compact)>)> {
    let err = |e: &dyn std::fmt::Display| Error::Unreadable {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let mut out: Vec<(String, Compact, PlHashMap<String, u32>)> = Vec::new();
    let mut append = |df: &DataFrame| -> Result<()> {
        for c in df.columns() {
            let name = c.name().as_str();
            let s = c.as_materialized_series();
            let at = if let Some(at) = out.iter().position(|(n, _, _)| n == name) {
                at
            } else {
                let empty = if s.dtype() == &DataType::String {
                    Compact::Text(Texts::default())
                } else {
                    Compact::Numeric(Vec::new())
                };
                out.push((name.to_owned(), empty, PlHashMap::new()));
                out.len() - 1
            };
            let (_, col, index) = &mut out[at];
            match (col, s.dtype()) {
                (Compact::Text(t), DataType::String) => {
                    for v in s.str().map_err(|e| err(&e))?.iter() {
                        let code = t.code(v.unwrap_or_default(), index);
                        t.codes.push(code);
                    }
                }
                (Compact::Numeric(v), DataType::Null) => {
                    v.extend(std::iter::repeat_n(f64::NAN, s.len()));
                }
                (Compact::Numeric(v), dt)
                    if dt.is_primitive_numeric() || dt == &DataType::Boolean =>
                {
                    let f = s.cast(&DataType::Float64).map_err(|e| err(&e))?;
                    v.extend(f.f64().map_err(|e| err(&e))?.iter().map(|x| x.unwrap_or(f64::NAN)));
                }
                (_, other) => {
                    return Err(Error::WrongType {
                        path: path.to_owned(),
                        column: name.to_owned(),
                        expected: "number or text",
                        found: other.to_string(),
                    });
                }
            }
        }
        Ok(())
    };
    let rows = match format_of(path)? {
        Format::Csv => {
            let df = csv_frame(path)?;
            let present: Vec<&str> =
                names.iter().copied().filter(|n| df.schema().get(n).is_some()).collect();
            append(&df.select(present).map_err(|e| err(&e))?)?;
            df.height()
        }
        Format::Parquet => {
            let p = path.to_str().ok_or_else(|| err(&"path is not UTF-8"))?;
            let lf = LazyFrame::scan_parquet(PlRefPath::new(p), ScanArgsParquet::default())
                .map_err(|e| err(&e))?;
            let schema = lf.clone().collect_schema().map_err(|e| err(&e))?;
            let present: Vec<Expr> =
                names.iter().filter(|n| schema.get(n).is_some()).map(|n| col(*n)).collect();
            let counted = lf.clone().select([len()]).collect().map_err(|e| err(&e))?;
            let total = counted.column("len").and_then(|c| c.get(0)).map_err(|e| err(&e))?;
            let total =
                total.extract::<usize>().ok_or_else(|| err(&"the row count cannot be read"))?;
            // An empty file is one (empty) slice, so that its columns are still there.
            let mut start = 0;
            loop {
                let rows = COMPACT_BATCH_ROWS.min(total - start);
                let df = lf
                    .clone()
                    .slice(
                        i64::try_from(start).map_err(|e| err(&e))?,
                        IdxSize::try_from(rows).map_err(|e| err(&e))?,
                    )
                    .select(present.clone())
                    .collect()
                    .map_err(|e| err(&e))?;
                append(&df)?;
                start += rows;
                if start >= total {
                    break total;
                }
            }
        }
    };
    Ok((rows, out.into_iter().map(|(n, c, _)| (n, c)).collect()))
}

/// A CSV table read whole by polars (header, types inferred from every row).
fn csv_frame(path: &Path) -> Result<DataFrame> {
    let err = |e: &dyn std::fmt::Display| Error::Unreadable {
        path: path.to_owned(),
        message: e.to_string(),
    };
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(None)
        .try_into_reader_with_file_path(Some(path.to_owned()))
        .map_err(|e| err(&e))?
        .finish()
        .map_err(|e| err(&e))
}

/// SHA-256 of a file's bytes, hex: the fingerprint of training data. The file is streamed
/// through the hash (it was read whole: 2 GB held beside the design of a 1,000,000-company
/// panel, the peak of its training).
pub fn fingerprint(path: &Path) -> Result<String> {
    let io = |source| Error::Io { path: path.to_owned(), source };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut h = Sha256::new();
    std::io::copy(&mut file, &mut h).map_err(io)?;
    Ok(hex(&h.finalize()))
}

/// Lowercase hexadecimal text of bytes.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(2 * bytes.len()), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_fingerprint_is_the_sha256_of_its_bytes_read_in_pieces() {
        // Over several of `io::copy`'s buffers, with a last partial one.
        let bytes: Vec<u8> =
            (0..1_000_003u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("panel.parquet");
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(fingerprint(&path).unwrap(), hex(&Sha256::digest(&bytes)));
        assert_eq!(hex(&[0, 15, 255]), "000fff");
        assert!(matches!(fingerprint(&dir.path().join("absent")), Err(Error::Io { .. })));
    }
}
