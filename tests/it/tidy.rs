//! The house rules no compiler checks (CONTRIBUTING.md): every Rust file opens with a `//!`
//! line saying what it is; no `should_panic` (a test asserts values, not that something
//! blew up somewhere); no source file over 800 lines without its reason written at its
//! top; no Python bytecode committed.

use std::path::{Path, PathBuf};

use crate::common;

/// Most lines of a source file without a written reason.
const MAX_LINES: usize = 800;
/// The phrase that opens a written reason, within the first lines of a longer file.
const REASON: &str = "Over 800 lines:";

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if !p.ends_with("target") {
                rust_files(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_file_keeps_the_house_rules() {
    let root = common::root();
    let mut files = Vec::new();
    for dir in ["crates", "tests", "benches"] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 100, "found {} Rust files: the walk is broken", files.len());
    let mut problems = Vec::new();
    // Written so that this file does not trip its own check.
    let should_panic = ["should", "_panic"].concat();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let name = f.strip_prefix(&root).unwrap().display().to_string();
        if !text.starts_with("//!") {
            problems.push(format!("{name}: does not open with a `//!` line"));
        }
        if text.contains(&format!("#[{should_panic}")) {
            problems.push(format!("{name}: uses {should_panic}"));
        }
        let lines = text.lines().count();
        let in_src = name.starts_with("crates/") && name.contains("/src/");
        let reasoned = text.lines().take(20).any(|l| l.contains(REASON));
        if in_src && lines > MAX_LINES && !reasoned {
            problems.push(format!(
                "{name}: {lines} lines; split it by concept, or say why not at its top \
                 (`//! {REASON} …`)"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_python_bytecode_is_committed() {
    let root = common::root();
    let Ok(out) = std::process::Command::new("git").arg("ls-files").current_dir(&root).output()
    else {
        eprintln!("skipped: git is not available");
        return;
    };
    if !out.status.success() {
        eprintln!("skipped: not a git checkout");
        return;
    }
    let listed = String::from_utf8_lossy(&out.stdout);
    let bytecode: Vec<&str> = listed
        .lines()
        .filter(|l| l.contains("__pycache__") || l.to_ascii_lowercase().ends_with(".pyc"))
        .collect();
    assert!(bytecode.is_empty(), "committed Python bytecode: {bytecode:?}");
}
