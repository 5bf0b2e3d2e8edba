//! The peer of `benches/api.sh`: a bare axum server that does only what `POST /v1/score`
//! must do — parse one company's 42 named features into a struct (serde derive), score
//! them with the same model file (vigie-score), answer JSON — with no token, no rate limit,
//! no middleware, no audit. What Vigie's route costs beyond that is its own overhead.
//!
//! Usage: bare-score-server MODEL_JSON ADDR

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::routing::post;
use serde::{Deserialize, Serialize};
use vigie_core::features::CATALOGUE;
use vigie_score::{ModelFile, Scorer};

/// Declares the request struct with one named field per feature, in catalogue order.
macro_rules! features {
    ($($name:ident),* $(,)?) => {
        /// One company's features (`null` or absent: missing).
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Features {
            $(#[serde(default)] $name: Option<f64>,)*
        }

        /// Feature names in the order of the struct.
        const NAMES: &[&str] = &[$(stringify!($name),)*];

        impl Features {
            fn row(&self) -> Vec<f64> {
                vec![$(self.$name.unwrap_or(f64::NAN),)*]
            }
        }
    };
}

features!(
    fin_ebitda_margin,
    fin_net_margin,
    fin_roa,
    fin_equity_to_assets,
    fin_debt_to_assets,
    fin_net_debt_to_turnover,
    fin_cash_to_assets,
    fin_quick_ratio,
    fin_current_ratio,
    fin_staff_costs_to_va,
    fin_va_per_employee,
    fin_investment_rate,
    fin_payables_days,
    fin_receivables_days,
    fin_tax_social_liab_to_turnover,
    fin_turnover_growth,
    fin_equity_change,
    fin_filing_age,
    fin_filing_delay,
    tax_arrears_ratio,
    tax_arrears_ratio_lag3,
    tax_arrears_ratio_lag6,
    tax_arrears_ratio_lag12,
    tax_arrears_trend_6m,
    tax_arrears_months_12m,
    tax_late_declarations_12m,
    tax_payment_plan,
    act_vat_growth_yoy,
    act_vat_trend_6m,
    act_vat_to_filing_turnover,
    soc_debt_ratio,
    soc_debt_ratio_lag3,
    soc_debt_ratio_lag6,
    soc_debt_ratio_lag12,
    soc_debt_mean_12m,
    soc_debt_months_12m,
    soc_payment_plan,
    prof_age_years,
    prof_log_headcount,
    prof_log_turnover,
    prof_sector,
    prof_past_procedure,
);

#[derive(Deserialize)]
struct Request {
    features: Features,
}

#[derive(Serialize)]
struct Answer {
    p: [f64; 4],
    level: &'static str,
    margin: f64,
}

async fn score(State(scorer): State<Arc<Scorer>>, Json(req): Json<Request>) -> Json<Answer> {
    let s = scorer.score(&req.features.row()).expect("rows have the catalogue's width");
    Json(Answer { p: s.p.to_array(), level: s.level.as_str(), margin: s.margin })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, model, addr] = args.as_slice() else {
        eprintln!("usage: bare-score-server MODEL_JSON ADDR");
        return;
    };
    let catalogue: Vec<&str> = CATALOGUE.iter().map(|f| f.name).collect();
    assert_eq!(NAMES, catalogue.as_slice(), "the struct follows the feature catalogue");
    let file = ModelFile::load(std::path::Path::new(model)).expect("a model file");
    let scorer = Arc::new(Scorer::bind(file, &catalogue).expect("the model's features"));
    let app = axum::Router::new().route("/score", post(score)).with_state(scorer);
    tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
        let listener = tokio::net::TcpListener::bind(addr.as_str()).await.unwrap();
        axum::serve(listener, app).await.unwrap();
    });
}
