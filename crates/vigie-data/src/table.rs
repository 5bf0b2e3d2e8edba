//! Writing tables: a small column model ([`Table`], [`Col`]) so that other crates (the
//! generator, later the batch) write CSV or Parquet without touching polars, and atomic
//! file replacement (write to a temporary name, then rename).

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use polars::prelude::*;

use crate::source::Format;
use crate::{Error, Result};

/// A column of values. Floats use NaN for "missing" (written as null).
#[derive(Debug, Clone)]
pub enum Col {
    /// Text, `None` is null.
    Str(Vec<Option<String>>),
    /// Text drawn from a shared dictionary by index (no allocation per row).
    Dict(Arc<Vec<String>>, Vec<u32>),
    /// Floats; NaN is written as null.
    F64(Vec<f64>),
    /// 32-bit integers.
    I32(Vec<Option<i32>>),
    /// Unsigned 32-bit integers.
    U32(Vec<Option<u32>>),
    /// Small unsigned integers (flags, labels).
    U8(Vec<Option<u8>>),
}

impl Col {
    fn len(&self) -> usize {
        match self {
            Col::Str(v) => v.len(),
            Col::Dict(_, v) => v.len(),
            Col::F64(v) => v.len(),
            Col::I32(v) => v.len(),
            Col::U32(v) => v.len(),
            Col::U8(v) => v.len(),
        }
    }

    fn into_column(self, name: &str) -> Column {
        let name: PlSmallStr = name.into();
        match self {
            Col::Str(v) => Column::new(name, v),
            Col::Dict(dict, idx) => {
                let ca: StringChunked =
                    idx.iter().map(|&i| Some(dict[i as usize].as_str())).collect();
                ca.with_name(name).into_column()
            }
            Col::F64(v) => {
                let ca: Float64Chunked =
                    v.into_iter().map(|x| if x.is_nan() { None } else { Some(x) }).collect();
                ca.with_name(name).into_column()
            }
            Col::I32(v) => Column::new(name, v),
            Col::U32(v) => Column::new(name, v),
            Col::U8(v) => Column::new(name, v),
        }
    }
}

/// Named columns of equal length.
#[derive(Debug, Clone, Default)]
pub struct Table {
    cols: Vec<(String, Col)>,
}

impl Table {
    /// A table from named columns. Panics if lengths differ (a programming error).
    #[must_use]
    pub fn new<S: Into<String>>(cols: Vec<(S, Col)>) -> Self {
        let cols: Vec<(String, Col)> = cols.into_iter().map(|(n, c)| (n.into(), c)).collect();
        if let Some((_, first)) = cols.first() {
            let n = first.len();
            for (name, c) in &cols {
                assert_eq!(c.len(), n, "column {name} has {} rows, expected {n}", c.len());
            }
        }
        Self { cols }
    }

    /// Number of rows.
    #[must_use]
    pub fn height(&self) -> usize {
        self.cols.first().map_or(0, |(_, c)| c.len())
    }

    /// The column named `name`.
    #[must_use]
    pub fn column(&self, name: &str) -> Option<&Col> {
        self.cols.iter().find(|(n, _)| n == name).map(|(_, c)| c)
    }

    /// Column names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.cols.iter().map(|(n, _)| n.as_str())
    }

    /// Converts to a polars frame.
    pub fn into_frame(self) -> Result<DataFrame> {
        let height = self.height();
        let columns = self.cols.into_iter().map(|(n, c)| c.into_column(&n)).collect();
        DataFrame::new(height, columns)
            .map_err(|e| Error::Unreadable { path: PathBuf::new(), message: e.to_string() })
    }

    /// Writes the table to `path` atomically (temporary file, then rename).
    pub fn write(self, path: &Path, format: Format) -> Result<()> {
        let mut df = self.into_frame()?;
        write_frame(&mut df, path, format)
    }
}

/// Writes a polars frame to `path` atomically.
pub fn write_frame(df: &mut DataFrame, path: &Path, format: Format) -> Result<()> {
    let tmp = temp_path(path);
    let err =
        |e: &dyn std::fmt::Display| Error::Write { path: path.to_owned(), message: e.to_string() };
    let file = File::create(&tmp).map_err(|e| err(&e))?;
    let mut w = BufWriter::new(file);
    match format {
        Format::Csv => CsvWriter::new(&mut w).include_header(true).finish(df),
        Format::Parquet => ParquetWriter::new(&mut w).finish(df).map(|_| ()),
    }
    .map_err(|e| err(&e))?;
    finish_file(w, &tmp, path)
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(std::ffi::OsStr::to_os_string).unwrap_or_default();
    name.push(format!(".tmp-{}", std::process::id()));
    path.with_file_name(name)
}

fn finish_file(w: BufWriter<File>, tmp: &Path, path: &Path) -> Result<()> {
    let err =
        |e: &dyn std::fmt::Display| Error::Write { path: path.to_owned(), message: e.to_string() };
    let file = w.into_inner().map_err(|e| err(&e))?;
    file.sync_all().map_err(|e| err(&e))?;
    drop(file);
    std::fs::rename(tmp, path).map_err(|e| err(&e))
}

// Both writers are large; one lives per output file, so boxing buys nothing.
#[allow(clippy::large_enum_variant)]
enum Inner {
    Csv(polars::io::csv::write::BatchedWriter<BufWriter<File>>),
    Parquet(polars::io::parquet::write::BatchedWriter<BufWriter<File>>),
}

/// Writes a large table batch by batch (bounded memory), then renames it into place.
pub struct TableWriter {
    path: PathBuf,
    tmp: PathBuf,
    format: Format,
    inner: Option<Inner>,
    rows: usize,
}

impl TableWriter {
    /// Prepares a writer; the file is created with the first batch.
    #[must_use]
    pub fn new(path: &Path, format: Format) -> Self {
        Self { path: path.to_owned(), tmp: temp_path(path), format, inner: None, rows: 0 }
    }

    /// Appends a batch. Every batch must have the same columns and types.
    pub fn write(&mut self, table: Table) -> Result<()> {
        self.write_frame(&table.into_frame()?)
    }

    /// Appends a batch given as a polars frame. Every batch must have the same columns and
    /// types.
    pub fn write_frame(&mut self, df: &DataFrame) -> Result<()> {
        let path = self.path.clone();
        let err = move |e: &dyn std::fmt::Display| Error::Write {
            path: path.clone(),
            message: e.to_string(),
        };
        self.rows += df.height();
        if self.inner.is_none() {
            let file = BufWriter::new(File::create(&self.tmp).map_err(|e| err(&e))?);
            let schema = df.schema().clone();
            self.inner = Some(match self.format {
                Format::Csv => Inner::Csv(
                    CsvWriter::new(file)
                        .include_header(true)
                        .batched(&schema)
                        .map_err(|e| err(&e))?,
                ),
                Format::Parquet => {
                    Inner::Parquet(ParquetWriter::new(file).batched(&schema).map_err(|e| err(&e))?)
                }
            });
        }
        match self.inner.as_mut().expect("initialised above") {
            Inner::Csv(w) => w.write_batch(df),
            Inner::Parquet(w) => w.write_batch(df),
        }
        .map_err(|e| err(&e))
    }

    /// Rows written so far.
    #[must_use]
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Finishes the file and renames it into place. Returns the number of rows written.
    /// A writer that received no batch writes nothing and returns 0.
    pub fn finish(mut self) -> Result<usize> {
        let path = self.path.clone();
        let err =
            |e: &dyn std::fmt::Display| Error::Write { path: path.clone(), message: e.to_string() };
        match self.inner.take() {
            None => return Ok(0),
            Some(Inner::Csv(mut w)) => w.finish().map_err(|e| err(&e))?,
            Some(Inner::Parquet(w)) => {
                w.finish().map_err(|e| err(&e))?;
            }
        }
        // The batched writers own their file handle and flush it on finish; make the
        // content durable before the rename.
        let f = File::open(&self.tmp).map_err(|e| err(&e))?;
        f.sync_all().map_err(|e| err(&e))?;
        std::fs::rename(&self.tmp, &self.path).map_err(|e| err(&e))?;
        Ok(self.rows)
    }
}

impl Drop for TableWriter {
    /// A writer dropped unfinished (its run failed) leaves no temporary file behind.
    fn drop(&mut self) {
        if self.inner.take().is_some() {
            let _ignored = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(n: u32) -> Table {
        Table::new(vec![("x", Col::U32((0..n).map(Some).collect()))])
    }

    #[test]
    fn a_writer_dropped_unfinished_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let mut w = TableWriter::new(&path, Format::Parquet);
        w.write(batch(3)).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "the temporary file");
        drop(w);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let mut w = TableWriter::new(&path, Format::Parquet);
        w.write(batch(3)).unwrap();
        w.write(batch(2)).unwrap();
        assert_eq!(w.rows(), 5);
        assert_eq!(w.finish().unwrap(), 5);
        let names: Vec<_> =
            std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(names, ["t.parquet"]);
    }
}
