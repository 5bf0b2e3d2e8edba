//! Ingestion in blocks of companies: when there are more companies than a block holds, the
//! chosen filings and the monthly rows are written to temporary files as they are validated
//! (the monthly rows to one file per block), and the panel is then built one block at a
//! time from them. Peak memory is then set by the block size: at 5,000,000 companies the
//! monthly grids alone held 2.2 GB, the filings 1.4 GB.
//!
//! Validation is unchanged and happens once, as rows are read (a bit per company and month
//! finds duplicate monthly rows across the whole file); only where accepted values wait
//! differs. Records are written and read back bit for bit (`f32` / `f64` bits, little
//! endian), so a block's grid and filings equal the slices of the whole ones.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use vigie_core::{Date, Month};

use super::{Filing, MonthlyGrid};
use crate::{Error, Result};

/// Most blocks a source is spilt into: one file open per block while it is read.
pub(super) const MAX_BLOCKS: usize = 512;

/// Write buffer of each block's file.
const BUFFER: usize = 64 << 10;

/// A temporary directory, removed (with its files) when dropped.
pub(super) struct SpillDir {
    path: PathBuf,
}

impl SpillDir {
    /// Creates `vigie-spill-<pid>-<n>` in the system's temporary directory (`TMPDIR`: it
    /// must be on disk, not in memory), first removing those left there by processes that
    /// no longer run (a run killed in its features phase).
    pub(super) fn new() -> Result<Self> {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let tmp = std::env::temp_dir();
        remove_stale(&tmp);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = tmp.join(format!("vigie-spill-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&path).map_err(|e| write_err(&path, &e))?;
        Ok(Self { path })
    }

    fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }
}

impl Drop for SpillDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Removes the spill directories in `tmp` of processes that are gone (where `/proc` tells).
fn remove_stale(tmp: &Path) {
    let Ok(entries) = std::fs::read_dir(tmp) else { return };
    if !Path::new("/proc/self").exists() {
        return;
    }
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix("vigie-spill-")) else {
            continue;
        };
        let pid = pid.split('-').next().unwrap_or_default();
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn io(path: &Path, e: &dyn std::fmt::Display) -> Error {
    Error::Unreadable { path: path.to_owned(), message: format!("temporary file: {e}") }
}

fn write_err(path: &Path, e: &dyn std::fmt::Display) -> Error {
    Error::Write { path: path.to_owned(), message: format!("temporary file: {e}") }
}

/// Bytes of a monthly record: company (u32), month offset (u16), a, b (f32 bits), flags.
const GRID_RECORD: usize = 4 + 2 + 4 + 4 + 1;

/// A monthly source being spilt: accepted rows go to their block's file, and a bit per
/// (company, month) slot says which slots were read (duplicates are found across blocks).
pub(super) struct GridSpill {
    /// The grid's window, without values: its slots are the spill's.
    window: MonthlyGrid,
    block: usize,
    present: Vec<u64>,
    files: Vec<(PathBuf, BufWriter<File>)>,
}

impl GridSpill {
    /// A spill of the months `start..start + len` for `companies` companies in blocks of
    /// `block`, its files named `<name>-<block>` in `dir`.
    pub(super) fn new(
        dir: &SpillDir,
        name: &str,
        (start, len): (Month, usize),
        companies: usize,
        block: usize,
    ) -> Result<Self> {
        let files = (0..companies.div_ceil(block))
            .map(|b| {
                let path = dir.file(&format!("{name}-{b}"));
                let f = File::create(&path).map_err(|e| write_err(&path, &e))?;
                Ok((path, BufWriter::with_capacity(BUFFER, f)))
            })
            .collect::<Result<_>>()?;
        let present = vec![0; (companies * len).div_ceil(64)];
        Ok(Self { window: MonthlyGrid::new(start, len, 0), block, present, files })
    }

    /// Slot index of (company, month), if the month is in the window.
    pub(super) fn slot(&self, company: u32, month: Month) -> Option<usize> {
        self.window.slot(company, month)
    }

    /// Whether the slot was read already.
    pub(super) fn is_present(&self, slot: usize) -> bool {
        self.present[slot / 64] >> (slot % 64) & 1 == 1
    }

    /// Keeps the values of a slot.
    pub(super) fn put(&mut self, slot: usize, a: f32, b: f32, flags: u8) -> Result<()> {
        self.present[slot / 64] |= 1 << (slot % 64);
        let len = self.window.len;
        let (company, t) = (slot / len, slot % len);
        let mut rec = [0u8; GRID_RECORD];
        rec[0..4].copy_from_slice(&u32::try_from(company).expect("u32 company").to_le_bytes());
        rec[4..6].copy_from_slice(&u16::try_from(t).expect("months fit u16").to_le_bytes());
        rec[6..10].copy_from_slice(&a.to_bits().to_le_bytes());
        rec[10..14].copy_from_slice(&b.to_bits().to_le_bytes());
        rec[14] = flags;
        let (path, w) = &mut self.files[company / self.block];
        w.write_all(&rec).map_err(|e| write_err(path, &e))
    }

    /// Closes the files: the window (a grid without values) and the spill, to be read
    /// block by block.
    pub(super) fn finish(self) -> Result<(MonthlyGrid, GridBlocks)> {
        let mut paths = Vec::with_capacity(self.files.len());
        for (path, w) in self.files {
            w.into_inner().map_err(|e| write_err(&path, e.error()))?;
            paths.push(path);
        }
        let (start, len) = (self.window.start, self.window.len);
        Ok((self.window, GridBlocks { start, len, block: self.block, paths }))
    }
}

/// A spilt monthly source, read back one block of companies at a time.
pub(super) struct GridBlocks {
    start: Month,
    len: usize,
    block: usize,
    paths: Vec<PathBuf>,
}

impl GridBlocks {
    /// The grid of the companies `range` (a whole block), indexed from its first company.
    pub(super) fn load(&self, range: &Range<usize>) -> Result<MonthlyGrid> {
        let b = range.start / self.block;
        let path = &self.paths[b];
        let mut grid = MonthlyGrid::new(self.start, self.len, range.len());
        let mut r = BufReader::with_capacity(1 << 20, File::open(path).map_err(|e| io(path, &e))?);
        let mut rec = [0u8; GRID_RECORD];
        loop {
            match r.read_exact(&mut rec) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
                Err(e) => return Err(io(path, &e)),
            }
            let word = |k: usize| u32::from_le_bytes(rec[k..k + 4].try_into().expect("4 bytes"));
            let company = word(0) as usize - range.start;
            let t = usize::from(u16::from_le_bytes([rec[4], rec[5]]));
            let slot = company * self.len + t;
            grid.a[slot] = f32::from_bits(word(6));
            grid.b[slot] = f32::from_bits(word(10));
            grid.flags[slot] = rec[14];
        }
        Ok(grid)
    }
}

/// Bytes of a filing record: company, two dates (year i16, month, day each), 16 amounts.
const FILING_RECORD: usize = 4 + 4 + 4 + 16 * 8;

/// The chosen filings, in company order, in one file.
pub(super) struct FilingSpill {
    path: PathBuf,
}

fn put_date(out: &mut [u8], d: Date) {
    out[0..2].copy_from_slice(&i16::try_from(d.year()).expect("years 1900-2199").to_le_bytes());
    out[2] = u8::try_from(d.month().month()).expect("month");
    out[3] = u8::try_from(d.day()).expect("day");
}

fn get_date(b: &[u8]) -> Date {
    Date::new(i32::from(i16::from_le_bytes([b[0], b[1]])), u32::from(b[2]), u32::from(b[3]))
        .expect("a date written from a valid one")
}

impl FilingSpill {
    /// Writes `filings` (in company order) to `dir`.
    pub(super) fn write(dir: &SpillDir, filings: impl Iterator<Item = Filing>) -> Result<Self> {
        let path = dir.file("filings");
        let f = File::create(&path).map_err(|e| write_err(&path, &e))?;
        let mut w = BufWriter::with_capacity(BUFFER, f);
        let mut rec = [0u8; FILING_RECORD];
        for f in filings {
            rec[0..4].copy_from_slice(&f.company.to_le_bytes());
            put_date(&mut rec[4..8], f.year_end);
            put_date(&mut rec[8..12], f.filed);
            for (k, v) in f.values.iter().enumerate() {
                rec[12 + 8 * k..20 + 8 * k].copy_from_slice(&v.to_bits().to_le_bytes());
            }
            w.write_all(&rec).map_err(|e| write_err(&path, &e))?;
        }
        w.into_inner().map_err(|e| write_err(&path, e.error()))?;
        Ok(Self { path })
    }

    /// The filings `skip..skip + count` (those of a block of companies), re-indexed from
    /// company `first`.
    pub(super) fn read(&self, skip: usize, count: usize, first: usize) -> Result<Vec<Filing>> {
        let mut f = File::open(&self.path).map_err(|e| io(&self.path, &e))?;
        f.seek(SeekFrom::Start(u64::try_from(skip * FILING_RECORD).expect("u64 offsets")))
            .map_err(|e| io(&self.path, &e))?;
        let mut r = BufReader::with_capacity(BUFFER, f);
        let mut rec = [0u8; FILING_RECORD];
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            r.read_exact(&mut rec).map_err(|e| io(&self.path, &e))?;
            let company = u32::from_le_bytes(rec[0..4].try_into().expect("4 bytes"));
            let mut values = [0f64; 16];
            for (k, v) in values.iter_mut().enumerate() {
                *v = f64::from_bits(u64::from_le_bytes(
                    rec[12 + 8 * k..20 + 8 * k].try_into().expect("8 bytes"),
                ));
            }
            out.push(Filing {
                company: company - u32::try_from(first).expect("u32 company"),
                year_end: get_date(&rec[4..8]),
                filed: get_date(&rec[8..12]),
                values,
            });
        }
        Ok(out)
    }
}
