//! `vigie demo`: the whole service on the committed demo data, in one command.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use vigie_core::Month;
use vigie_core::Pseudonymiser;
use vigie_store::{NewToken, Role, Store};

/// The first month the demo scores: monthly runs from here to the last month of the demo
/// sources, so that the backtesting of past runs ("Suivi du modèle", `/v1/monitoring`)
/// shows runs whose 6-, 12- and 18-month horizons have elapsed.
const FIRST_MONTH: &str = "2024-01";
/// The names of the demo models (`models/demo`, and `models/demo-self` for the public
/// self-diagnosis): a store whose models all bear one was made by `vigie demo`.
const DEMO_MODEL_NAMES: [&str; 2] = ["demo", "demo-self"];
/// The last month of the demo sources.
const LAST_MONTH: &str = "2025-12";

/// The months the demo scores, oldest first.
fn months() -> Vec<Month> {
    let first = Month::parse(FIRST_MONTH).expect("a month");
    let last = Month::parse(LAST_MONTH).expect("a month");
    first.through(last).collect()
}

/// Whether the store at `url` already holds the demo: every demo month scored by the demo
/// model, and nothing else.
async fn is_current(store: &Store, model_version: &str) -> Result<bool> {
    let runs = store.runs().await?;
    let mut have: Vec<(String, String)> =
        runs.into_iter().map(|r| (r.month, r.model_version)).collect();
    have.sort();
    let want: Vec<(String, String)> =
        months().iter().map(|m| (m.to_string(), model_version.to_owned())).collect();
    if have != want {
        return Ok(false);
    }
    // Written by this version of the batch: its reports carry what the pages need (the
    // levers' bounds; the model rows beside the explanations come with them).
    let Some(latest) = store.latest_run().await? else { return Ok(false) };
    let report: serde_json::Value = serde_json::from_str(&latest.report).unwrap_or_default();
    Ok(report.get("lever_ranges").is_some())
}

/// The repository's committed file or folder `rel`: from the current directory, else from
/// where this binary was built.
fn committed(rel: &str) -> Result<PathBuf> {
    let here = PathBuf::from(rel);
    if here.exists() {
        return Ok(here);
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel);
    anyhow::ensure!(built.exists(), "{rel} not found: run `vigie demo` from the repository root");
    Ok(built)
}

fn demo_model(name: &str) -> Result<PathBuf> {
    let root = committed(&format!("models/{name}"))?;
    let mut versions: Vec<PathBuf> = std::fs::read_dir(&root)
        .with_context(|| format!("reading {}", root.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("model.json").exists())
        .collect();
    versions.sort();
    versions.pop().with_context(|| format!("no model under models/{name}"))
}

/// Runs the demo: rescoring, tokens, then the server until Ctrl-C.
pub fn run(addr: SocketAddr, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let url = format!("sqlite://{}", dir.join("vigie.db").display());
    let input = committed("data-samples/demo")?;
    let model = demo_model("demo")?;
    let self_model = demo_model("demo-self")?;
    let pseudo = Pseudonymiser::demo();
    let model_version = vigie_score::ModelFile::load(&model)
        .with_context(|| format!("loading {}", model.display()))?
        .version;
    let rt = crate::runtime()?;
    let tokens = rt.block_on(async {
        let mut store = Store::open(&url).await?;
        let mut lock = store.lock_rescore().await?;
        // A store left by an earlier demo is reused when it holds exactly the demo's runs
        // (a second `vigie demo` starts at once). A store only ever fed demo models (an
        // older demo model, an interrupted first start) is rebuilt from scratch; any other
        // store is refused, never deleted.
        let current = is_current(&store, &model_version).await?;
        if current {
            eprintln!("reusing the demo store {url}: it holds every demo run");
        } else {
            let others: Vec<String> = store
                .models()
                .await?
                .into_iter()
                .filter(|m| !DEMO_MODEL_NAMES.contains(&m.name.as_str()))
                .map(|m| m.version)
                .collect();
            anyhow::ensure!(
                others.is_empty(),
                "{url} holds models that are not the demo's ({}): `vigie demo` rebuilds only \
                 its own store; pass another --dir",
                others.join(", ")
            );
            lock.release().await?;
            store.close().await;
            for suffix in ["", "-wal", "-shm"] {
                let path = dir.join(format!("vigie.db{suffix}"));
                match std::fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(e).with_context(|| format!("removing {}", path.display()));
                    }
                }
            }
            store = Store::open(&url).await?;
            lock = store.lock_rescore().await?;
        }
        let todo = if current { Vec::new() } else { months() };
        for (i, month) in todo.iter().enumerate() {
            let opts = vigie_batch::RescoreOptions {
                input: input.clone(),
                month: *month,
                run_id: None,
                model: (i == 0).then(|| model.clone()),
                out: None,
                report_dir: dir.join("runs").join(month.to_string()),
                tax_lag: 1,
                social_lag: 2,
                explain_all: false,
                backfill: false,
                block_companies: vigie_data::ingest::BLOCK_COMPANIES,
                pseudo: pseudo.clone(),
            };
            let out = vigie_batch::rescore(&store, &opts, &|_| {}).await?;
            eprintln!(
                "rescored {month}: {} companies, {} red, {} orange",
                out.summary.scored, out.summary.alerts["red"], out.summary.alerts["orange"]
            );
        }
        lock.release().await?;
        // The public self-diagnosis (`/diagnostic`): registering again is a no-op.
        let record = vigie_batch::register(&store, &self_model).await?;
        store.activate_model(&record.version).await?;
        // The agent gets the département with the most alerts.
        let latest = store.latest_run().await?.context("no run")?;
        let report: serde_json::Value = serde_json::from_str(&latest.report)?;
        let busiest = report["alerts_by_departement"]
            .as_object()
            .and_then(|deps| {
                deps.iter()
                    .map(|(d, c)| {
                        let n = c.as_object().map_or(0, |c| {
                            c.values().filter_map(serde_json::Value::as_u64).sum::<u64>()
                        });
                        (n, d.clone())
                    })
                    .max()
            })
            .map_or_else(|| "21".to_owned(), |(_, d)| d);
        // Fresh tokens each time; the previous demo tokens are revoked.
        for t in store.tokens().await? {
            if t.name.starts_with("demo-") && t.revoked_at.is_none() {
                store.revoke_token(&t.name).await?;
            }
        }
        let stamp = vigie_store::now_utc().replace([':', '.'], "");
        let mut made = Vec::new();
        for (role, territories) in
            [(Role::Agent, vec![busiest.clone()]), (Role::Analyst, vec![]), (Role::Admin, vec![])]
        {
            let name = format!("demo-{}-{stamp}", role.as_str());
            let (t, secret) = store.create_token(&NewToken { name, role, territories }).await?;
            made.push((t, secret));
        }
        store.close().await;
        anyhow::Ok(made)
    })?;

    println!("Vigie demo (synthetic data, public demonstration key) at http://{addr}");
    println!("Dashboard: http://{addr}/ — sign in with the agent token below");
    println!("Store: {url}; run reports in {}/runs", dir.display());
    for (t, secret) in &tokens {
        let scope = if t.territories.is_empty() {
            "national".to_owned()
        } else {
            format!("département {}", t.territories.join(","))
        };
        println!("{:<8} ({scope}): {secret}", t.role.as_str());
    }
    println!("Try: curl -H 'Authorization: Bearer {}' http://{addr}/v1/alerts", tokens[0].1);
    println!("OpenAPI: http://{addr}/v1/openapi.json — stop with Ctrl-C");

    let cfg = vigie_server::Config { store: url, addr, ..vigie_server::Config::default() };
    rt.block_on(async {
        let store = Store::open_serving(&cfg.store).await?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let state = Arc::new(vigie_server::AppState::new(store.clone(), Some(pseudo), cfg));
        vigie_server::serve(state, listener, vigie_server::shutdown_signal()).await?;
        store.close().await;
        anyhow::Ok(())
    })
}
