//! Workspace integration tests: one binary, modules by capability, a shared harness in
//! `common`.

mod api;
mod common;
mod dashboard;
mod diagnosis;
mod docs;
mod import;
mod ingest;
mod lookahead;
mod middleware;
mod models;
mod open_data;
mod panel;
mod polish;
mod rescore;
mod snapshots;
mod store;
mod synth;
mod tidy;
