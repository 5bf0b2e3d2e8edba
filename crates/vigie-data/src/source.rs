//! The five input sources: their columns (the contract documented in
//! `docs/data-format.md`), and reading them from CSV or Parquet.
//!
//! Reading stops the run only for file-level problems: a missing or unreadable file, a
//! missing required column, a column whose type cannot hold its values. Everything
//! row-level (a malformed CSV record, a bad value) is left to [`crate::ingest`], which
//! rejects the row and goes on.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::{Error, Result};

mod csv_split;
pub use csv_split::{CsvSplit, first_line, split_csv, split_whole_records, split_with};

/// What a column holds; decides both its parsing and its accepted storage types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A 9-digit SIREN with a valid Luhn checksum (text).
    Siren,
    /// A NAF rév. 2 code `NN.NNL` (text).
    Naf,
    /// A département code (text).
    Departement,
    /// An INSEE headcount band code (text).
    HeadcountBand,
    /// Free text (at most 64 characters).
    Text,
    /// A `YYYY-MM-DD` date (text).
    Date,
    /// A `YYYY-MM` month (text).
    Month,
    /// An amount in euros; `signed` amounts may be negative.
    Amount {
        /// Whether negative values are legitimate.
        signed: bool,
    },
    /// A non-negative count (headcount).
    Count,
    /// A 0/1 flag (or boolean).
    Flag,
    /// A judgment kind: safeguard, receivership, liquidation, plan_adoption, closure.
    EventKind,
}

impl Kind {
    /// Whether the column is stored as text (CSV and Parquet alike).
    #[must_use]
    pub fn is_text(self) -> bool {
        !matches!(self, Kind::Amount { .. } | Kind::Count | Kind::Flag)
    }

    /// The type name used in docs and errors.
    #[must_use]
    pub fn type_name(self) -> &'static str {
        match self {
            Kind::Siren
            | Kind::Naf
            | Kind::Departement
            | Kind::HeadcountBand
            | Kind::Text
            | Kind::Date
            | Kind::Month
            | Kind::EventKind => "string",
            Kind::Amount { .. } => "float (€)",
            Kind::Count => "integer or float",
            Kind::Flag => "0/1 integer or boolean",
        }
    }
}

/// One column of a source.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    /// Column name.
    pub name: &'static str,
    /// What it holds.
    pub kind: Kind,
    /// Whether the column must be present in the file (an absent optional column reads as
    /// all nulls).
    pub required: bool,
    /// Whether a row may leave the value empty.
    pub nullable: bool,
    /// Meaning, for the docs.
    pub meaning: &'static str,
    /// An example value, for the docs.
    pub example: &'static str,
}

/// One input source.
#[derive(Debug)]
pub struct SourceSpec {
    /// Source name, also the file stem (`companies.csv`, `companies.parquet`).
    pub name: &'static str,
    /// Grain of a row, for the docs.
    pub grain: &'static str,
    /// Whether the source may be absent altogether.
    pub optional: bool,
    /// Columns forming the unique key of a row.
    pub key: &'static [&'static str],
    /// The columns.
    pub columns: &'static [ColumnSpec],
}

impl SourceSpec {
    /// The spec of a column by name.
    #[must_use]
    pub fn column(&self, name: &str) -> Option<&ColumnSpec> {
        self.columns.iter().find(|c| c.name == name)
    }
}

const fn spec_col(
    name: &'static str,
    kind: Kind,
    required: bool,
    nullable: bool,
    meaning: &'static str,
    example: &'static str,
) -> ColumnSpec {
    ColumnSpec { name, kind, required, nullable, meaning, example }
}

const SIGNED: Kind = Kind::Amount { signed: true };
const UNSIGNED: Kind = Kind::Amount { signed: false };
const SIREN_COL: ColumnSpec = spec_col(
    "siren",
    Kind::Siren,
    true,
    false,
    "SIREN of the company (9 digits, Luhn checksum); pseudonymised on read",
    "552032534",
);

/// `companies`: one row per company.
pub static COMPANIES: SourceSpec = SourceSpec {
    name: "companies",
    grain: "one row per company",
    optional: false,
    key: &["siren"],
    columns: &[
        SIREN_COL,
        spec_col("naf", Kind::Naf, true, false, "NAF rév. 2 activity code (APE)", "56.10A"),
        spec_col(
            "departement",
            Kind::Departement,
            true,
            false,
            "département of the head office",
            "21",
        ),
        spec_col("legal_form", Kind::Text, false, true, "legal form (SARL, SAS, SA, EI, …)", "SAS"),
        spec_col("creation_date", Kind::Date, true, false, "date of creation", "2011-04-18"),
        spec_col(
            "closure_date",
            Kind::Date,
            true,
            true,
            "date of closure (ceased activity), empty if active",
            "2024-09-30",
        ),
        spec_col(
            "headcount_band",
            Kind::HeadcountBand,
            true,
            true,
            "INSEE headcount band of the register; empty or NN if unknown",
            "12",
        ),
    ],
};

/// `filings`: one row per company and fiscal year.
pub static FILINGS: SourceSpec = SourceSpec {
    name: "filings",
    grain: "one row per company × fiscal year",
    optional: true,
    key: &["siren", "fiscal_year_end"],
    columns: &[
        SIREN_COL,
        spec_col(
            "fiscal_year_end",
            Kind::Date,
            true,
            false,
            "closing date of the fiscal year",
            "2023-12-31",
        ),
        spec_col(
            "filing_date",
            Kind::Date,
            true,
            false,
            "date the return was filed, i.e. became available; not before the fiscal year end",
            "2024-05-03",
        ),
        spec_col("turnover", UNSIGNED, true, true, "net turnover of the year (€)", "1250000"),
        spec_col("value_added", SIGNED, true, true, "value added (€)", "480000"),
        spec_col("ebitda", SIGNED, true, true, "EBITDA, excédent brut d'exploitation (€)", "95000"),
        spec_col("operating_income", SIGNED, true, true, "operating income (€)", "61000"),
        spec_col("net_income", SIGNED, true, true, "net income (€)", "38000"),
        spec_col("total_assets", UNSIGNED, true, true, "balance-sheet total (€)", "900000"),
        spec_col(
            "equity",
            SIGNED,
            true,
            true,
            "equity, capitaux propres (€), negative when losses exceed capital",
            "310000",
        ),
        spec_col("financial_debt", UNSIGNED, true, true, "financial debt (€)", "220000"),
        spec_col(
            "trade_payables",
            UNSIGNED,
            true,
            true,
            "trade payables, dettes fournisseurs (€)",
            "140000",
        ),
        spec_col(
            "trade_receivables",
            UNSIGNED,
            true,
            true,
            "trade receivables, créances clients (€)",
            "175000",
        ),
        spec_col("inventory", UNSIGNED, true, true, "inventory, stocks (€)", "60000"),
        spec_col("cash", UNSIGNED, true, true, "cash and equivalents (€)", "85000"),
        spec_col("staff_costs", UNSIGNED, true, true, "wages and social charges (€)", "370000"),
        spec_col(
            "tax_social_liabilities",
            UNSIGNED,
            true,
            true,
            "tax and social liabilities at closing (€)",
            "70000",
        ),
        spec_col("investment", UNSIGNED, true, true, "investment of the year (€)", "40000"),
        spec_col("headcount", Kind::Count, true, true, "average headcount of the year", "14"),
    ],
};

/// `tax_monthly`: one row per company and month.
pub static TAX_MONTHLY: SourceSpec = SourceSpec {
    name: "tax_monthly",
    grain: "one row per company × month",
    optional: true,
    key: &["siren", "month"],
    columns: &[
        SIREN_COL,
        spec_col("month", Kind::Month, true, false, "the period declared", "2024-03"),
        spec_col(
            "vat_turnover",
            UNSIGNED,
            true,
            true,
            "turnover declared for VAT for the month (€); empty when no declaration was filed",
            "104000",
        ),
        spec_col(
            "tax_arrears",
            UNSIGNED,
            true,
            false,
            "tax overdue at the end of the month, restes à recouvrer (€)",
            "12500",
        ),
        spec_col(
            "late_declaration",
            Kind::Flag,
            true,
            false,
            "1 if the declaration was late or missing",
            "0",
        ),
        spec_col("payment_plan", Kind::Flag, true, false, "1 if a tax payment plan is active", "0"),
    ],
};

/// `social_monthly`: one row per company and month (optional source).
pub static SOCIAL_MONTHLY: SourceSpec = SourceSpec {
    name: "social_monthly",
    grain: "one row per company × month",
    optional: true,
    key: &["siren", "month"],
    columns: &[
        SIREN_COL,
        spec_col("month", Kind::Month, true, false, "the period", "2024-03"),
        spec_col(
            "contributions_called",
            UNSIGNED,
            true,
            true,
            "social contributions called for the month (€); empty when unknown (the social \
             debt ratio is then missing)",
            "31000",
        ),
        spec_col(
            "overdue_employee",
            UNSIGNED,
            true,
            false,
            "overdue employee share at the end of the month (€)",
            "0",
        ),
        spec_col(
            "overdue_employer",
            UNSIGNED,
            true,
            false,
            "overdue employer share at the end of the month (€)",
            "4200",
        ),
        spec_col(
            "payment_plan",
            Kind::Flag,
            true,
            false,
            "1 if a social payment plan is active",
            "0",
        ),
    ],
};

/// `events`: one row per judgment.
pub static EVENTS: SourceSpec = SourceSpec {
    name: "events",
    grain: "one row per company × judgment",
    optional: true,
    key: &["siren", "date", "kind"],
    columns: &[
        SIREN_COL,
        spec_col("date", Kind::Date, true, false, "date of the judgment", "2024-11-05"),
        spec_col(
            "kind",
            Kind::EventKind,
            true,
            false,
            "safeguard, receivership, liquidation (openings of a collective procedure), plan_adoption, closure",
            "receivership",
        ),
    ],
};

/// All sources, in reading order.
pub static ALL: [&SourceSpec; 5] = [&COMPANIES, &FILINGS, &TAX_MONTHLY, &SOCIAL_MONTHLY, &EVENTS];

/// Format of a table file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header line, UTF-8.
    Csv,
    /// Apache Parquet.
    Parquet,
}

impl Format {
    /// The file extension.
    #[must_use]
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
        }
    }
}

/// Finds the file of a source in a directory (`name.parquet` preferred over `name.csv`).
/// Returns `None` when neither exists.
#[must_use]
pub fn locate(dir: &Path, spec: &SourceSpec) -> Option<(PathBuf, Format)> {
    [Format::Parquet, Format::Csv].into_iter().find_map(|f| {
        let p = dir.join(format!("{}.{}", spec.name, f.extension()));
        p.is_file().then_some((p, f))
    })
}

/// A source file read into memory, before row-level validation.
pub struct RawTable {
    /// The source.
    pub spec: &'static SourceSpec,
    /// The file.
    pub path: PathBuf,
    /// The rows. Columns are those of the spec that the file has (absent optional
    /// columns are absent here too).
    pub df: DataFrame,
    /// 1-based row number in the file of each row of `df` (data rows, header excluded).
    pub row_numbers: Vec<u32>,
    /// CSV records whose number of fields differs from the header: (row, fields found).
    pub ragged: Vec<(u32, usize)>,
    /// CSV records no parser can read, left out of `df`: (row, what is wrong). Each is
    /// rejected as a malformed row.
    pub malformed: Vec<(u32, String)>,
    /// Number of fields of the header.
    pub header_fields: usize,
    /// Rows of the file not read because they lie outside the requested month window.
    pub rows_outside_window: usize,
    /// How an imported file was read (encoding, separator, ignored columns).
    pub notes: InputNotes,
}

/// What `vigie import`'s reader found out about an input file (empty for the sources'
/// own reader).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputNotes {
    /// Encoding.
    pub encoding: Option<&'static str>,
    /// Separator.
    pub separator: Option<char>,
    /// Columns no field reads.
    pub ignored_columns: Vec<String>,
}

/// A month window restricting which rows of a monthly source are read (Parquet inputs):
/// rows with `month` between the two `YYYY-MM` bounds, inclusive, plus rows whose month is
/// one of `also` (malformed values, so that they are read and rejected, not skipped).
#[derive(Debug, Clone)]
pub struct MonthWindow {
    /// First month, `YYYY-MM`.
    pub from: String,
    /// Last month, `YYYY-MM`.
    pub to: String,
    /// Other values to read whatever the window.
    pub also: Vec<String>,
}

/// Reads a source file, checking its columns.
///
/// `window` applies to monthly sources in Parquet format only (a pushed-down filter:
/// rows outside are skipped unread and counted). CSV inputs are always read whole.
pub fn read(
    spec: &'static SourceSpec,
    path: &Path,
    format: Format,
    window: Option<&MonthWindow>,
) -> Result<RawTable> {
    let unreadable = |e: &dyn std::fmt::Display| Error::Unreadable {
        path: path.to_owned(),
        message: e.to_string(),
    };
    match format {
        Format::Csv => read_csv(spec, path, &unreadable),
        Format::Parquet => read_parquet(spec, path, window, None, &unreadable),
    }
}

/// Rows of a Parquet file read at a time by [`read_batches`]. The text of the rows read is
/// the largest transient of ingestion: the window of `tax_monthly` for 1,000,000 companies
/// read at once held about 2 GB; a batch of this size holds about 80 MB.
pub const BATCH_ROWS: usize = 1 << 20;

/// Reads a source file batch by batch, calling `on` with each (in file order, row numbers
/// as in [`read`]): a Parquet file by slices of `batch_rows` rows (the slice is pushed down
/// to the reader, which skips the row groups before it), a CSV file whole, in one batch.
/// The batches together hold exactly the rows [`read`] returns.
pub fn read_batches(
    spec: &'static SourceSpec,
    path: &Path,
    format: Format,
    window: Option<&MonthWindow>,
    batch_rows: usize,
    on: &mut dyn FnMut(RawTable) -> Result<()>,
) -> Result<()> {
    let unreadable = |e: &dyn std::fmt::Display| Error::Unreadable {
        path: path.to_owned(),
        message: e.to_string(),
    };
    match format {
        Format::Csv => on(read_csv(spec, path, &unreadable)?),
        Format::Parquet => {
            let p = path.to_str().ok_or_else(|| unreadable(&"path is not UTF-8"))?;
            let counted = LazyFrame::scan_parquet(PlRefPath::new(p), ScanArgsParquet::default())
                .and_then(|lf| lf.select([len()]).collect())
                .map_err(|e| unreadable(&e))?;
            let total = counted.column("len").and_then(|c| c.get(0)).map_err(|e| unreadable(&e))?;
            let total = total.extract::<usize>().unwrap_or(0);
            let batch_rows = batch_rows.max(1);
            // An empty file is one (empty) batch, so that its columns are still checked.
            let mut start = 0;
            loop {
                let slice = (start, batch_rows.min(total - start));
                on(read_parquet(spec, path, window, Some(slice), &unreadable)?)?;
                start += batch_rows;
                if start >= total {
                    return Ok(());
                }
            }
        }
    }
}

fn read_csv(
    spec: &'static SourceSpec,
    path: &Path,
    unreadable: &dyn Fn(&dyn std::fmt::Display) -> Error,
) -> Result<RawTable> {
    let bytes = std::fs::read(path).map_err(|e| unreadable(&e))?;
    read_csv_bytes(spec, path, bytes, b',')
}

/// Reads the bytes of a CSV file (UTF-8) whose separator is `sep`, checking its columns;
/// `path` names it in errors. What [`read`] does with a file's bytes.
pub fn read_csv_bytes(
    spec: &'static SourceSpec,
    path: &Path,
    bytes: Vec<u8>,
    sep: u8,
) -> Result<RawTable> {
    let shape = split_with(&bytes, sep)
        .map_err(|e| Error::Unreadable { path: path.to_owned(), message: e })?;
    read_csv_split(spec, path, bytes, sep, shape)
}

/// [`read_csv_bytes`] with the split of `bytes` already made (a block of a file read by
/// blocks is scanned once).
pub(crate) fn read_csv_split(
    spec: &'static SourceSpec,
    path: &Path,
    bytes: Vec<u8>,
    sep: u8,
    mut shape: CsvSplit,
) -> Result<RawTable> {
    let unreadable = |e: &dyn std::fmt::Display| Error::Unreadable {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let Some(header_fields) = shape.header_fields else {
        return Err(unreadable(&"empty file: no header line"));
    };
    let bytes = shape.cleaned.take().unwrap_or(bytes);
    // Only the spec's columns are parsed (a SIRENE stock has 34 columns, 8 of them read).
    let header = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let names: Vec<&str> = std::str::from_utf8(header)
        .unwrap_or_default()
        .trim_end_matches(['\r', '\n'])
        .trim_start_matches('\u{feff}') // the parser drops a byte-order mark too
        .split(char::from(sep))
        .map(|n| n.trim_matches('"'))
        .collect();
    let wanted: Arc<[PlSmallStr]> = spec
        .columns
        .iter()
        .filter(|c| names.contains(&c.name))
        .map(|c| PlSmallStr::from_static(c.name))
        .collect();
    // Every column is read as text: parsing happens per cell in `ingest`, so that one bad
    // value rejects one row instead of failing the whole file.
    let df = CsvReadOptions::default()
        .with_columns((!wanted.is_empty()).then_some(wanted))
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .with_raise_if_empty(false)
        .map_parse_options(|o| {
            o.with_separator(sep).with_truncate_ragged_lines(true).with_missing_is_null(true)
        })
        .into_reader_with_file_handle(std::io::Cursor::new(bytes))
        .finish()
        .map_err(|e| unreadable(&e))?;
    if df.height() != shape.readable.len() {
        return Err(unreadable(&format!(
            "CSV structure is ambiguous: {} records found by the shape scan, {} by the parser",
            shape.readable.len(),
            df.height()
        )));
    }
    let df = select_columns(spec, path, &df)?;
    Ok(RawTable {
        spec,
        path: path.to_owned(),
        df,
        row_numbers: shape.readable,
        ragged: shape.ragged,
        malformed: shape.malformed,
        header_fields,
        rows_outside_window: 0,
        notes: InputNotes::default(),
    })
}

/// Reads a Parquet source, or the slice `(first row, rows)` of it.
fn read_parquet(
    spec: &'static SourceSpec,
    path: &Path,
    window: Option<&MonthWindow>,
    slice: Option<(usize, usize)>,
    unreadable: &dyn Fn(&dyn std::fmt::Display) -> Error,
) -> Result<RawTable> {
    const ROW: &str = "__vigie_row";
    let args = ScanArgsParquet {
        row_index: Some(RowIndex { name: ROW.into(), offset: 1 }),
        ..ScanArgsParquet::default()
    };
    let path_str = path.to_str().ok_or_else(|| unreadable(&"path is not UTF-8"))?;
    let mut lf =
        LazyFrame::scan_parquet(PlRefPath::new(path_str), args).map_err(|e| unreadable(&e))?;
    if let Some((first, rows)) = slice {
        let first = i64::try_from(first).map_err(|e| unreadable(&e))?;
        let rows = IdxSize::try_from(rows).map_err(|e| unreadable(&e))?;
        lf = lf.slice(first, rows);
    }
    let mut lf_for_schema = lf.clone();
    let schema = lf_for_schema.collect_schema().map_err(|e| unreadable(&e))?;
    let mut exprs = vec![col(ROW)];
    for c in spec.columns {
        if schema.get(c.name).is_some() {
            exprs.push(col(c.name));
        } else if c.required {
            return Err(Error::MissingColumn { path: path.to_owned(), column: c.name.to_owned() });
        }
    }
    let has_month = spec.column("month").is_some();
    let total_rows = if let (true, Some((_, rows))) = (window.is_some() && has_month, slice) {
        Some(rows)
    } else if window.is_some() && has_month {
        let counted = lf.clone().select([len()]).collect().map_err(|e| unreadable(&e))?;
        let total = counted.column("len").and_then(|c| c.get(0)).map_err(|e| unreadable(&e))?;
        Some(total.extract::<usize>().unwrap_or(0))
    } else {
        None
    };
    let mut q = lf.select(exprs);
    if let (Some(w), true) = (window, has_month) {
        let mut keep = col("month")
            .gt_eq(lit(w.from.as_str()))
            .and(col("month").lt_eq(lit(w.to.as_str())))
            .or(col("month").is_null());
        for v in &w.also {
            keep = keep.or(col("month").eq(lit(v.as_str())));
        }
        q = q.filter(keep);
    }
    let df = q.collect().map_err(|e| unreadable(&e))?;
    check_parquet_types(spec, path, &df)?;
    let rows = df.column(ROW).map_err(|e| unreadable(&e))?;
    let rows = rows.cast(&DataType::UInt32).map_err(|e| unreadable(&e))?;
    let row_numbers: Vec<u32> =
        rows.u32().map_err(|e| unreadable(&e))?.into_no_null_iter().collect();
    let rows_outside_window = match total_rows {
        Some(total) => total.saturating_sub(df.height()),
        None => 0,
    };
    let mut df = df;
    let _ = df.drop_in_place(ROW);
    Ok(RawTable {
        spec,
        path: path.to_owned(),
        df,
        row_numbers,
        ragged: Vec::new(),
        malformed: Vec::new(),
        header_fields: spec.columns.len(),
        rows_outside_window,
        notes: InputNotes::default(),
    })
}

/// Keeps the spec's columns (in spec order), failing on a missing required one.
fn select_columns(spec: &SourceSpec, path: &Path, df: &DataFrame) -> Result<DataFrame> {
    let mut cols = Vec::with_capacity(spec.columns.len());
    for c in spec.columns {
        match df.column(c.name) {
            Ok(column) => cols.push(column.clone()),
            Err(_) if c.required => {
                return Err(Error::MissingColumn {
                    path: path.to_owned(),
                    column: c.name.to_owned(),
                });
            }
            Err(_) => {}
        }
    }
    DataFrame::new(df.height(), cols)
        .map_err(|e| Error::Unreadable { path: path.to_owned(), message: e.to_string() })
}

fn check_parquet_types(spec: &SourceSpec, path: &Path, df: &DataFrame) -> Result<()> {
    for c in spec.columns {
        let Ok(column) = df.column(c.name) else { continue };
        let dt = column.dtype();
        let ok = match c.kind {
            k if k.is_text() => matches!(dt, DataType::String | DataType::Null),
            Kind::Flag => {
                dt.is_primitive_numeric() || matches!(dt, DataType::Boolean | DataType::Null)
            }
            _ => dt.is_primitive_numeric() || matches!(dt, DataType::Null),
        };
        if !ok {
            return Err(Error::WrongType {
                path: path.to_owned(),
                column: c.name.to_owned(),
                expected: c.kind.type_name(),
                found: dt.to_string(),
            });
        }
    }
    Ok(())
}

/// The column tables of `docs/data-format.md`, generated from the specs.
#[must_use]
pub fn markdown() -> String {
    use std::fmt::Write;
    let mut s = String::new();
    for spec in ALL {
        let _ = writeln!(
            s,
            "### `{}`{}\n",
            spec.name,
            if spec.optional { " (optional source)" } else { "" }
        );
        let _ = writeln!(
            s,
            "Grain: {}. Unique key: {}.\n",
            spec.grain,
            spec.key.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(" + ")
        );
        s.push_str("| column | type | unit / format | column required | empty allowed | meaning | example |\n");
        s.push_str("|---|---|---|---|---|---|---|\n");
        for c in spec.columns {
            let unit = match c.kind {
                Kind::Siren => "9 digits",
                Kind::Naf => "`NN.NNL`",
                Kind::Departement => "`01`–`95`, `2A`, `2B`, `971`–`976`",
                Kind::HeadcountBand => "INSEE code",
                Kind::Text => "≤ 64 characters",
                Kind::Date => "`YYYY-MM-DD`",
                Kind::Month => "`YYYY-MM`",
                Kind::Amount { signed: true } => "€, may be negative",
                Kind::Amount { signed: false } => "€, ≥ 0",
                Kind::Count => "persons, ≥ 0",
                Kind::Flag => "0 / 1",
                Kind::EventKind => "enumeration",
            };
            let yes_no = |b: bool| if b { "yes" } else { "no" };
            let _ = writeln!(
                s,
                "| `{}` | {} | {} | {} | {} | {} | `{}` |",
                c.name,
                c.kind.type_name(),
                unit,
                yes_no(c.required),
                yes_no(c.nullable),
                c.meaning,
                c.example
            );
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests;
