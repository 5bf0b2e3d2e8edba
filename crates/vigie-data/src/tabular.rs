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
        Format::Csv => CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(None)
            .try_into_reader_with_file_path(Some(path.to_owned()))
            .map_err(|e| err(&e))?
            .finish()
            .map_err(|e| err(&e))?,
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

/// SHA-256 of a file's bytes, hex: the fingerprint of training data.
pub fn fingerprint(path: &Path) -> Result<String> {
    let bytes =
        std::fs::read(path).map_err(|source| Error::Io { path: path.to_owned(), source })?;
    Ok(hex(&Sha256::digest(&bytes)))
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
