//! The OpenAPI document says exactly what the server does: after utoipa generates it from
//! the handlers, [`complete`] adds what every route of a kind answers (the extractors'
//! statuses: a token's 401 and 429, a JSON body's 400, 413, 415 and 422, a query's 400 and
//! 422, everyone's 408 and 500), a description to every response (the error codes of its
//! status, from [`ErrorCode`]), and the constraints the server enforces on query and path
//! parameters. Done on the JSON form once at start-up: utoipa's builders would need the
//! same rule repeated on every route.

use serde_json::{Value, json};

use crate::error::ErrorCode;

/// The values `sort` accepts (`vigie_store::AlertSort::parse`).
const SORTS: [&str; 3] = ["risk_desc", "risk_asc", "departement"];
/// The follow-up statuses (`vigie_store::FollowUpStatus::parse`).
const FOLLOW_UPS: [&str; 4] = ["to_contact", "contacted", "in_support", "closed"];
/// A SIREN (9 digits, Luhn-checked by the server: a wrong check digit is a 422
/// `invalid_siren`) or a pseudonymous id (16 lowercase hex digits).
const COMPANY_ID: &str = "^([0-9]{9}|[0-9a-f]{16})$";
/// A département code.
const DEPARTEMENT: &str = "^(0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5]|97[1-6])$";

/// Completes the generated document (see the module's documentation).
#[must_use]
pub fn complete(doc: &utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let mut v = serde_json::to_value(doc).expect("the document serialises");
    if let Some(paths) = v.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else { continue };
            for (_, op) in item.iter_mut() {
                complete_operation(path, op);
            }
        }
    }
    // Exactly one of `features` and `items` (both or neither: 422).
    if let Some(req) = v.pointer_mut("/components/schemas/ScoreRequest") {
        req["oneOf"] = json!([{"required": ["features"]}, {"required": ["items"]}]);
    }
    serde_json::from_value(v).expect("the completed document is a document")
}

fn complete_operation(path: &str, op: &mut Value) {
    let secured = op.get("security") != Some(&json!([{}]));
    let body = op.get("requestBody").is_some();
    let params = op.get("parameters").and_then(Value::as_array).cloned().unwrap_or_default();
    let query = params.iter().any(|p| p["in"] == "query");
    let mut statuses: Vec<u16> = vec![408, 500];
    if secured {
        statuses.extend([401, 429]);
    }
    if body {
        statuses.extend([400, 413, 415, 422]);
    }
    if query {
        statuses.extend([400, 422]);
    }
    if path.contains("{id}") && path.starts_with("/v1/companies") {
        statuses.extend([404, 422]);
    }
    let responses = op["responses"].as_object_mut().expect("every operation has responses");
    for s in statuses {
        responses.entry(s.to_string()).or_insert_with(|| json!({}));
    }
    for (status, r) in responses.iter_mut() {
        let code: u16 = status.parse().unwrap_or(0);
        if code >= 400 {
            r["content"] =
                json!({"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}});
            let own = r.get("description").and_then(Value::as_str).unwrap_or("").to_owned();
            // A route that names its codes answers those (of this status); otherwise any
            // code of the status may come from the extractors.
            let named: Vec<ErrorCode> =
                ErrorCode::with_status(code).filter(|c| own.contains(c.as_str())).collect();
            let codes: Vec<ErrorCode> =
                if named.is_empty() { ErrorCode::with_status(code).collect() } else { named };
            let listed: Vec<String> =
                codes.iter().map(|c| format!("`{c}`: {}", c.meaning())).collect();
            let listed = listed.join("; ");
            let prose = own.split(", ").any(|w| ErrorCode::parse(w.trim()).is_none());
            r["description"] = json!(if own.is_empty() || !prose {
                listed
            } else {
                format!("{own}. Codes: {listed}")
            });
        } else if r.get("description").and_then(Value::as_str).is_none_or(str::is_empty) {
            r["description"] = json!(if code == 201 { "Created." } else { "OK." });
        }
    }
    if let Some(ps) = op.get_mut("parameters").and_then(Value::as_array_mut) {
        for p in ps {
            constrain(path, p);
        }
    }
}

/// The constraint the server enforces on a parameter, by name.
fn constrain(path: &str, p: &mut Value) {
    let name = p["name"].as_str().unwrap_or("").to_owned();
    let place = p["in"].as_str().unwrap_or("").to_owned();
    let schema = &mut p["schema"];
    let set = |schema: &mut Value, k: &str, v: Value| {
        schema[k] = v;
    };
    match (place.as_str(), name.as_str()) {
        ("path", "id") if path.starts_with("/v1/companies/") => {
            set(schema, "pattern", json!(COMPANY_ID));
        }
        ("query", "sort") => set(schema, "enum", json!(SORTS)),
        ("query", "level") => set(schema, "enum", json!(["red", "orange"])),
        ("query", "size_band") => {
            set(schema, "enum", json!(["micro", "small", "medium", "large", "unknown"]));
        }
        ("query", "follow_up") => set(schema, "enum", json!(FOLLOW_UPS)),
        ("query", "naf_section") => set(schema, "pattern", json!("^[A-U]$")),
        ("query", "departement") => set(schema, "pattern", json!(DEPARTEMENT)),
        ("query", "region") => set(schema, "pattern", json!("^[0-9]{2}$")),
        ("query", "limit") => {
            set(schema, "minimum", json!(1));
            set(schema, "maximum", json!(vigie_store::MAX_PAGE));
        }
        ("query", "cursor") => set(schema, "pattern", json!("^([0-9a-f]{2}){1,400}$")),
        ("query", "reason") => set(schema, "maxLength", json!(500)),
        _ => {}
    }
}
