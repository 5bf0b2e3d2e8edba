//! The OpenAPI document says exactly what the server does: after utoipa generates it from
//! the handlers, [`complete`] adds what every route of a kind answers (the extractors'
//! statuses: a token's 401 and 429, a JSON body's 400, 413, 415 and 422, a query's 400 and
//! 422, everyone's 408 and 500), a description to every response (the error codes of its
//! status, from [`ErrorCode`]), and the constraints the server enforces on query and path
//! parameters and bodies. Done on the JSON form once at start-up (utoipa's builders would
//! need the same rule repeated on every route, and its types cannot hold a `oneOf` beside
//! an object's properties); the server serves that JSON.

use serde_json::{Value, json};

use crate::error::ErrorCode;
use crate::web::fr::{FOLLOW_UPS, SIZE_BANDS};

/// The values `sort` accepts (`vigie_store::AlertSort::parse`).
const SORTS: [&str; 3] = ["risk_desc", "risk_asc", "departement"];
/// A SIREN (9 digits, Luhn-checked by the server: a wrong check digit is a 404
/// `invalid_siren`, no company having that number) or a pseudonymous id (16 lowercase hex digits).
const COMPANY_ID: &str = "^([0-9]{9}|[0-9a-f]{16})$";
/// A département code (unanchored: also a part of the cursor's pattern).
const DEPARTEMENT: &str = "(0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5]|97[1-6])";

/// A pseudonymous id only (a server without a pseudonymisation key refuses SIRENs).
const PSEUDONYMOUS_ID: &str = "^[0-9a-f]{16}$";

/// Completes the generated document (see the module's documentation). `sirens`: whether
/// this server has a pseudonymisation key, so takes SIRENs as company ids.
#[must_use]
pub fn complete(doc: &utoipa::openapi::OpenApi, sirens: bool) -> Value {
    let mut v = serde_json::to_value(doc).expect("the document serialises");
    if let Some(paths) = v.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else { continue };
            for (_, op) in item.iter_mut() {
                complete_operation(path, op, sirens);
            }
        }
    }
    // Exactly one of `features` and `items` given (not null): both or neither is a 422. As
    // two shapes (`ScoreOne`, `ScoreBatch`), which client generators understand.
    if let Some(schemas) = v.pointer_mut("/components/schemas").and_then(Value::as_object_mut)
        && let Some(req) = schemas.remove("ScoreRequest")
    {
        let props = &req["properties"];
        let shape = |given: &str, absent: &str, description: &str| {
            json!({
                "type": "object",
                "description": description,
                "additionalProperties": false,
                "required": [given],
                "properties": {
                    given: props[given].clone(),
                    absent: {"type": "null", "description": "Absent or null."},
                    "explain": props["explain"].clone(),
                },
            })
        };
        let mut one = shape("features", "items", "One company's feature vector.");
        one["properties"]["features"] = json!({"$ref": "#/components/schemas/FeatureVector"});
        let mut batch = shape("items", "features", "A batch of feature vectors.");
        batch["properties"]["items"]["type"] = json!("array");
        schemas.insert("ScoreOne".into(), one);
        schemas.insert("ScoreBatch".into(), batch);
        schemas.insert(
            "ScoreRequest".into(),
            json!({
                "description": req["description"].clone(),
                "oneOf": [
                    {"$ref": "#/components/schemas/ScoreOne"},
                    {"$ref": "#/components/schemas/ScoreBatch"},
                ],
            }),
        );
    }
    // The follow-up statuses.
    if let Some(status) = v.pointer_mut("/components/schemas/FollowUpRequest/properties/status") {
        status["enum"] = json!(FOLLOW_UPS);
    }
    // An export has every page: no cursor, no page size (the server refuses them).
    if let Some(ps) =
        v.pointer_mut("/paths/~1v1~1alerts~1export/get/parameters").and_then(Value::as_array_mut)
    {
        ps.retain(|p| p["name"] != "cursor" && p["name"] != "limit");
    }
    v
}

fn complete_operation(path: &str, op: &mut Value, sirens: bool) {
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
            constrain(path, p, sirens);
        }
    }
}

/// The constraint the server enforces on a parameter, by name.
fn constrain(path: &str, p: &mut Value, sirens: bool) {
    let name = p["name"].as_str().unwrap_or("").to_owned();
    let place = p["in"].as_str().unwrap_or("").to_owned();
    let schema = &mut p["schema"];
    let set = |schema: &mut Value, k: &str, v: Value| {
        schema[k] = v;
    };
    match (place.as_str(), name.as_str()) {
        ("path", "id") if path.starts_with("/v1/companies/") => {
            set(schema, "pattern", json!(if sirens { COMPANY_ID } else { PSEUDONYMOUS_ID }));
        }
        ("query", "sort") => set(schema, "enum", json!(SORTS)),
        ("query", "level") => set(schema, "enum", json!(["red", "orange"])),
        ("query", "size_band") => {
            set(schema, "enum", json!(SIZE_BANDS));
        }
        ("query", "follow_up") => set(schema, "enum", json!(FOLLOW_UPS)),
        ("query", "naf_section") => set(schema, "pattern", json!("^[A-U]$")),
        ("query", "departement") => set(schema, "pattern", json!(format!("^{DEPARTEMENT}$"))),
        ("query", "region") => {
            let codes: Vec<String> =
                vigie_core::Region::all().iter().map(|r| r.code.to_string()).collect();
            set(schema, "enum", json!(codes));
        }
        ("query", "limit") => {
            set(schema, "minimum", json!(1));
            set(schema, "maximum", json!(vigie_store::MAX_PAGE));
        }
        ("query", "cursor") => set(
            schema,
            "pattern",
            json!(vigie_store::AlertCursor::PATTERN.replace("{dep}", DEPARTEMENT)),
        ),
        ("query", "reason") => set(schema, "maxLength", json!(500)),
        _ => {}
    }
}
