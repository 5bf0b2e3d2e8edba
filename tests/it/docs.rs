//! Generated documentation stays in sync with the code: the feature catalogue and the
//! input column tables. Run with `VIGIE_UPDATE_DOCS=1` to rewrite the generated parts.

use std::path::Path;

use crate::common::root;

const BEGIN: &str = "<!-- BEGIN GENERATED -->";
const END: &str = "<!-- END GENERATED -->";

fn check(file: &Path, generated: &str) {
    let text =
        std::fs::read_to_string(file).unwrap_or_else(|_| panic!("{} exists", file.display()));
    let (Some(b), Some(e)) = (text.find(BEGIN), text.find(END)) else {
        panic!("{} has generated markers", file.display())
    };
    let current = &text[b + BEGIN.len()..e];
    let wanted = format!("\n{generated}");
    if current != wanted {
        if std::env::var_os("VIGIE_UPDATE_DOCS").is_some() {
            let updated = format!("{}{BEGIN}{wanted}{}", &text[..b], &text[e..]);
            std::fs::write(file, updated).expect("writable");
        } else {
            panic!(
                "{} is out of date: run `VIGIE_UPDATE_DOCS=1 cargo test -p vigie-tests docs`",
                file.display()
            );
        }
    }
}

#[test]
fn features_doc_matches_the_catalogue() {
    check(&root().join("docs/features.md"), &vigie_core::features::markdown_table());
}

#[test]
fn data_format_doc_matches_the_source_specs() {
    check(&root().join("docs/data-format.md"), &vigie_data::source::markdown());
}
