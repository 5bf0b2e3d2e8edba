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

/// A monthly record is a tag byte (the grid's flags in bits 0-2, and the bits below), the
/// slot (its distance from the previous record's in one byte when it is 1 to 255 — a
/// month's rows follow the companies' order — or whole in 8), then `a` and `b` (`f32`
/// bits) unless they are +0.0. In the generator's files a record takes about 8 bytes
/// where fixed ones took 15 (the spill of 1,000,000 companies, filings included: 756 MB
/// before, 523 MB now).
const GRID_FLAGS: u8 = MonthlyGrid::PRESENT | MonthlyGrid::LATE | MonthlyGrid::PLAN;
/// `a` is +0.0 (not written).
const A_ZERO: u8 = 1 << 3;
/// `b` is +0.0 (not written).
const B_ZERO: u8 = 1 << 4;
/// The slot is the previous record's plus one byte.
const NEAR: u8 = 1 << 5;

/// A monthly source being spilt: accepted rows go to their block's file, and a bit per
/// (company, month) slot says which slots were read (duplicates are found across blocks).
pub(super) struct GridSpill {
    /// The grid's window, without values: its slots are the spill's.
    window: MonthlyGrid,
    block: usize,
    present: Vec<u64>,
    /// Each block's file, and the block-local slot of its last record.
    files: Vec<(PathBuf, BufWriter<File>, Option<u64>)>,
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
                Ok((path, BufWriter::with_capacity(BUFFER, f), None))
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
        assert_eq!(flags & !GRID_FLAGS, 0, "a grid's flags use bits 0-2");
        self.present[slot / 64] |= 1 << (slot % 64);
        let block = slot / self.window.len / self.block;
        let local = (slot - block * self.block * self.window.len) as u64;
        let (path, w, last) = &mut self.files[block];
        let mut rec = [0u8; 1 + 8 + 4 + 4];
        let (mut tag, mut n) = (flags, 1);
        if let Some(d @ 1..=255) = last.map(|l| local.wrapping_sub(l)) {
            tag |= NEAR;
            rec[1] = d as u8;
            n += 1;
        } else {
            rec[1..9].copy_from_slice(&local.to_le_bytes());
            n += 8;
        }
        *last = Some(local);
        for (v, zero) in [(a, A_ZERO), (b, B_ZERO)] {
            if v.to_bits() == 0 {
                tag |= zero;
            } else {
                rec[n..n + 4].copy_from_slice(&v.to_bits().to_le_bytes());
                n += 4;
            }
        }
        rec[0] = tag;
        w.write_all(&rec[..n]).map_err(|e| write_err(path, &e))
    }

    /// Closes the files: the window (a grid without values) and the spill, to be read
    /// block by block.
    pub(super) fn finish(self) -> Result<(MonthlyGrid, GridBlocks)> {
        let mut paths = Vec::with_capacity(self.files.len());
        for (path, w, _) in self.files {
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
        let mut tag = [0u8; 1];
        let mut slot = 0u64;
        loop {
            match r.read_exact(&mut tag) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
                Err(e) => return Err(io(path, &e)),
            }
            let tag = tag[0];
            if tag & NEAR != 0 {
                slot += u64::from(take::<1>(&mut r, path)?[0]);
            } else {
                slot = u64::from_le_bytes(take::<8>(&mut r, path)?);
            }
            let mut value = |zero: u8| -> Result<f32> {
                Ok(if tag & zero != 0 {
                    0.0
                } else {
                    f32::from_bits(u32::from_le_bytes(take::<4>(&mut r, path)?))
                })
            };
            let (a, b) = (value(A_ZERO)?, value(B_ZERO)?);
            let s = usize::try_from(slot).expect("a block's slots are memory indices");
            grid.a[s] = a;
            grid.b[s] = b;
            grid.flags[s] = tag & GRID_FLAGS;
        }
        Ok(grid)
    }
}

/// The next `N` bytes of a spill file (a record cut short is an error).
fn take<const N: usize>(r: &mut impl Read, path: &Path) -> Result<[u8; N]> {
    let mut b = [0u8; N];
    r.read_exact(&mut b).map_err(|e| io(path, &e))?;
    Ok(b)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Packed records read back bit for bit, whatever the order of the slots and the
    /// values: steps of 1 to 255 and beyond, backwards, +0.0 and -0.0, NaN, every flag.
    #[test]
    fn monthly_records_read_back_bit_for_bit() {
        let dir = SpillDir::new().unwrap();
        let (start, len, companies, block) = (Month::new(2024, 1).unwrap(), 300, 7, 3);
        let mut spill = GridSpill::new(&dir, "t", (start, len), companies, block).unwrap();
        let mut want = MonthlyGrid::new(start, len, companies);
        // A fixed pseudo-random order of half the slots (a multiplicative walk).
        let n = len * companies;
        let values = [0.0f32, -0.0, f32::NAN, 1.5, -3.25e7, f32::MIN_POSITIVE];
        for k in 0..n / 2 {
            let slot = (k * 7919 + 13) % n;
            if spill.is_present(slot) {
                continue;
            }
            let (a, b) = (values[k % values.len()], values[(k / 3) % values.len()]);
            let flags = u8::try_from(k % 8).unwrap();
            spill.put(slot, a, b, flags).unwrap();
            (want.a[slot], want.b[slot], want.flags[slot]) = (a, b, flags);
        }
        // And a run of neighbours, as a month of a file in companies' order gives.
        for slot in (5..n).step_by(len).take(companies) {
            if !spill.is_present(slot) {
                spill.put(slot, 2.0, 0.0, MonthlyGrid::PRESENT).unwrap();
                (want.a[slot], want.b[slot], want.flags[slot]) = (2.0, 0.0, MonthlyGrid::PRESENT);
            }
        }
        let (_, blocks) = spill.finish().unwrap();
        for first in (0..companies).step_by(block) {
            let range = first..(first + block).min(companies);
            let got = blocks.load(&range).unwrap();
            let slots = range.start * len..range.end * len;
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got.a), bits(&want.a[slots.clone()]), "a of {range:?}");
            assert_eq!(bits(&got.b), bits(&want.b[slots.clone()]), "b of {range:?}");
            assert_eq!(got.flags, want.flags[slots], "flags of {range:?}");
        }
    }
}
