//! Workspace integration tests: one binary, modules by capability, a shared harness in
//! `common`.

// Counts, flags and labels are exact small integers stored as floats: exact comparison is
// the right check for them.
#![allow(clippy::float_cmp)]

mod common;
mod docs;
mod ingest;
mod lookahead;
mod panel;
mod synth;
