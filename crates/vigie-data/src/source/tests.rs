//! Tests of the source specs and readers.

use super::*;

#[test]
fn csv_split_counts_records_and_ragged_rows() {
    let s = split_csv(b"a,b,c\n1,2,3\n\n4,5\n\"x,y\",\"q\"\"\n\",z\r\n7,8,9,10").unwrap();
    assert_eq!(s.header_fields, Some(3));
    assert_eq!(s.records, 4);
    assert_eq!(s.readable, vec![1, 2, 3, 4]);
    assert_eq!(s.ragged, vec![(2, 2), (4, 4)]);
    // The blank line is no record, and is left out of what the parser reads.
    assert!(s.malformed.is_empty());
    assert_eq!(
        s.cleaned.as_deref(),
        Some(&b"a,b,c\n1,2,3\n4,5\n\"x,y\",\"q\"\"\n\",z\r\n7,8,9,10\n"[..])
    );
    assert!(split_csv(b"a,b\n1,2\n").unwrap().cleaned.is_none(), "parsed as it is");
    assert_eq!(split_csv(b"").unwrap().header_fields, None);
    // Another separator.
    let s = split_with(b"a;b\n\"1;2\";3\n", b';').unwrap();
    assert_eq!((s.header_fields, s.readable.clone(), s.ragged.clone()), (Some(2), vec![1], vec![]));
}

#[test]
fn unreadable_records_are_set_apart_one_by_one() {
    let text: &[u8] =
        b"a,b\n1,S\"AS\n2,\"S\"AS\n3,caf\xe9\n4,\"ok \"\"quoted\"\"\"\r\n5,\"open\n6,x\n";
    let s = split_csv(text).unwrap();
    assert_eq!(s.records, 6);
    assert_eq!(s.readable, vec![4, 6]);
    let rows: Vec<u32> = s.malformed.iter().map(|m| m.0).collect();
    assert_eq!(rows, vec![1, 2, 3, 5]);
    assert!(s.malformed[0].1.contains("field 2 holds a quote"), "{:?}", s.malformed);
    assert!(s.malformed[1].1.contains("text after its closing quote"), "{:?}", s.malformed);
    assert!(s.malformed[2].1.contains("(0xE9) is not UTF-8"), "{:?}", s.malformed);
    assert!(s.malformed[3].1.contains("never closed"), "{:?}", s.malformed);
    assert_eq!(
        s.cleaned.as_deref(),
        Some(&b"a,b\n4,\"ok \"\"quoted\"\"\"\r\n6,x\n"[..]),
        "the header and the readable records, in order"
    );
    let e = split_csv(b"a,\"b\n1,2\n").unwrap_err();
    assert!(e.contains("header"), "{e}");
}

#[test]
fn every_source_has_siren_and_its_key_columns() {
    for spec in ALL {
        assert_eq!(spec.columns[0].name, "siren");
        for k in spec.key {
            assert!(spec.column(k).is_some_and(|c| c.required && !c.nullable), "{k}");
        }
    }
}

#[test]
fn only_the_specs_columns_are_parsed_whatever_the_header_starts_with() {
    // A byte-order mark before the first name (an Excel "CSV UTF-8" export), an extra
    // column, the spec's columns in another order: each read by its name.
    static SPEC: SourceSpec = SourceSpec {
        name: "test",
        grain: "one row per test",
        optional: true,
        key: &["siren"],
        columns: &[
            crate::import::text("siren", true),
            crate::import::text("naf", false),
            crate::import::text("legal_form", false),
        ],
    };
    let text = "\u{feff}legal_form,extra,siren\n5710,x,552032534\n,y,732829320\n";
    let raw = read_csv_bytes(&SPEC, Path::new("c.csv"), text.as_bytes().to_vec(), b',').unwrap();
    let names: Vec<&str> = raw.df.get_column_names().iter().map(|n| n.as_str()).collect();
    assert_eq!(names, ["siren", "legal_form"]);
    let siren = raw.df.column("siren").unwrap().str().unwrap();
    assert_eq!(siren.get(1), Some("732829320"));
    let form = raw.df.column("legal_form").unwrap().str().unwrap();
    assert_eq!((form.get(0), form.get(1)), (Some("5710"), None));
}
