//! Workspace benchmarks live in `pipeline.rs`; this library is intentionally empty.
