//! The `vigie` command-line tool: generate synthetic data, build panels, evaluate and
//! train models, rescore, serve the API and the dashboard, manage tokens, models and the
//! audit log. The options are in `args`; each subcommand is a thin wrapper over a library.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use vigie_core::Pseudonymiser;
use vigie_data::panel::{self, PanelOptions};
use vigie_data::rejects::RejectLog;
use vigie_data::source::Format;
use vigie_synth::GenerateOptions;

mod args;
mod demo;
mod progress;

use args::{AuditCommand, Cli, Command, GenerateFormat, ModelsCommand, RunsCommand, TokenCommand};

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("VIGIE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", message(&e));
            // EX_TEMPFAIL: another rescore holds the store; a scheduler may retry later.
            let locked = e.chain().any(|c| {
                matches!(
                    c.downcast_ref::<vigie_store::Error>(),
                    Some(vigie_store::Error::Locked(_))
                )
            });
            if locked { ExitCode::from(LOCKED_EXIT) } else { ExitCode::FAILURE }
        }
    }
}

/// An error and its causes on one line, each cause once: the errors of the library crates
/// already print their cause (`{path}: {source}`), which a plain `{:#}` would repeat.
fn message(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !out.contains(&text) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&text);
        }
    }
    out
}

/// Exit code of `vigie rescore` when another rescore holds the store (EX_TEMPFAIL).
const LOCKED_EXIT: u8 = 75;

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn pseudonymiser(demo_key: bool, key_file: Option<&std::path::Path>) -> Result<Pseudonymiser> {
    let pseudo = vigie_data::pseudo::resolve(
        demo_key,
        key_file,
        std::env::var(vigie_data::pseudo::KEY_ENV).ok(),
    )?;
    if pseudo.is_demo() {
        tracing::warn!("using the public demonstration key: never do this on real data");
    }
    Ok(pseudo)
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Generate { companies, seed, out, format, .. }
            if matches!(format, GenerateFormat::SireneStock | GenerateFormat::UrssafDebits) =>
        {
            let started = std::time::Instant::now();
            let written = if format == GenerateFormat::SireneStock {
                vigie_synth::national::sirene(&out, companies, seed)?
            } else {
                vigie_synth::national::debits(&out, companies.saturating_mul(4), seed)?
            };
            tracing::info!(seconds = started.elapsed().as_secs_f64(), dir = %out.display(), "generated");
            println!("{}", serde_json::to_string_pretty(&written)?);
        }
        Command::Generate { companies, years, seed, out, format } => {
            let (sources, file_format) = match format {
                GenerateFormat::Parquet
                | GenerateFormat::SireneStock
                | GenerateFormat::UrssafDebits => (out.clone(), Format::Parquet),
                GenerateFormat::Csv => (out.clone(), Format::Csv),
                GenerateFormat::OpenData => (out.join("sources"), Format::Parquet),
            };
            let opts = GenerateOptions { companies, years, seed, format: file_format };
            let started = std::time::Instant::now();
            let generated = vigie_synth::generate(&opts, &sources)?;
            let open = if format == GenerateFormat::OpenData {
                Some(vigie_synth::open_data::write(&sources, &out)?)
            } else {
                None
            };
            tracing::info!(seconds = started.elapsed().as_secs_f64(), dir = %out.display(), "generated");
            let mut summary = serde_json::to_value(&generated)?;
            if let Some(open) = open {
                summary["open_data"] = serde_json::to_value(open)?;
            }
            println!("{}", serde_json::to_string_pretty(&summary)?);
        }
        Command::Import {
            sirene_ul,
            sirene_etab,
            liasse,
            inpi,
            ratios_inpi,
            urssaf_debits,
            urssaf_cotisations,
            urssaf_delais,
            procol,
            bodacc,
            encoding,
            legal_entities_only,
            out,
            format,
        } => {
            use vigie_data::import;
            let inputs = import::Inputs {
                sirene: import::sirene::SireneInputs {
                    legal_units: sirene_ul,
                    establishments: sirene_etab,
                    legal_entities_only,
                    encoding,
                },
                liasse,
                inpi,
                ratios_inpi,
                encoding,
                urssaf: import::urssaf::UrssafInputs {
                    debits: urssaf_debits,
                    cotisations: urssaf_cotisations,
                    delais: urssaf_delais,
                    encoding,
                },
                events: import::events::EventInputs { procol, bodacc, encoding },
            };
            anyhow::ensure!(
                !inputs.is_empty(),
                "nothing to import: give --sirene-ul and --sirene-etab, --liasse, --inpi, \
                 --ratios-inpi, \
                 --urssaf-debits/--urssaf-cotisations/--urssaf-delais, --procol or --bodacc"
            );
            std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
            let report = import::run(&inputs, &out, format.into())?;
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        Command::Panel {
            input,
            out,
            from,
            to,
            step,
            tax_lag,
            social_lag,
            as_of,
            rejects,
            key_file,
            demo_key,
            keep_in_procedure,
            block_companies,
        } => {
            let pseudo = pseudonymiser(demo_key, key_file.as_deref())?;
            let opts = PanelOptions {
                from,
                to,
                step,
                tax_lag,
                social_lag,
                as_of,
                keep_in_procedure,
                block_companies,
                ..PanelOptions::default()
            };
            let started = std::time::Instant::now();
            let mut log = RejectLog::default();
            let built = panel::build(&input, &pseudo, &opts, &mut log)?;
            let rejects_path = rejects.unwrap_or_else(|| {
                let mut p = out.clone().into_os_string();
                p.push(".rejects.csv");
                PathBuf::from(p)
            });
            log.write_csv(&rejects_path)
                .with_context(|| format!("writing rejects to {}", rejects_path.display()))?;
            built.table.write(&out, Format::Parquet)?;
            tracing::info!(
                seconds = started.elapsed().as_secs_f64(),
                rows = built.summary.rows_written,
                rejected = built.summary.rows_rejected,
                "panel written"
            );
            let mut summary = serde_json::to_value(&built.summary)?;
            summary["output"] = out.display().to_string().into();
            summary["rejects_file"] = rejects_path.display().to_string().into();
            println!("{}", serde_json::to_string_pretty(&summary)?);
        }
        Command::Train {
            panel,
            model,
            out,
            seed,
            test_from,
            cv_folds,
            params,
            no_refit,
            train_months,
            feature_set,
            fit_rows,
        } => {
            anyhow::ensure!(
                train_months == 0 || train_months >= vigie_train::walk::MIN_TRAIN_MONTHS,
                "--train-months must be 0 (every month) or at least {} (a window needs that much \
                 training history)",
                vigie_train::walk::MIN_TRAIN_MONTHS
            );
            let family: vigie_train::Family = model.into();
            let (gbdt, logistic) = family_params(family, params.as_deref())?;
            let name = out
                .file_name()
                .and_then(|n| n.to_str())
                .context("--out must end with the model name, e.g. models/risk")?
                .to_owned();
            let root = out.parent().map(std::path::Path::to_path_buf).unwrap_or_default();
            let opts = vigie_train::train::TrainOptions {
                family,
                name,
                seed,
                test_from,
                cv_folds,
                gbdt,
                logistic,
                refit: !no_refit,
                train_months,
                feature_set,
                fit_rows,
            };
            let started = std::time::Instant::now();
            let progress = progress::TrainProgress::new();
            let outcome = vigie_train::train::train_with_progress(&panel, &root, &opts, &|s| {
                progress.step(&s);
            });
            progress.finish();
            let outcome = outcome?;
            tracing::info!(seconds = started.elapsed().as_secs_f64(), dir = %outcome.dir.display(), "model written");
            println!("{}", outcome.report.display());
            println!("{}", serde_json::to_string_pretty(&outcome)?);
        }
        Command::Evaluate {
            data,
            label,
            group,
            exclude,
            model,
            folds,
            seed,
            json,
            fold_column,
            write_folds,
            params,
        } => {
            let table = vigie_data::tabular::read(&data)?;
            let family: vigie_train::Family = model.into();
            let (gbdt, logistic) = family_params(family, params.as_deref())?;
            let opts = vigie_train::evaluate::CvOptions {
                label,
                group,
                exclude: exclude.into_iter().filter(|e| !e.is_empty()).collect(),
                family,
                folds,
                seed,
                fold_column,
                gbdt,
                logistic,
            };
            let report = vigie_train::evaluate::cross_validate(&table, &opts)?;
            tracing::info!(
                model = opts.family.as_str(),
                roc_auc = report.roc_auc,
                pr_auc = report.pr_auc,
                fit_seconds = report.fit_seconds,
                "cross-validation done"
            );
            if let Some(path) = write_folds {
                use std::fmt::Write as _;
                let mut csv = String::from("row,fold\n");
                for (i, f) in report.assignment.iter().enumerate() {
                    let _ = writeln!(csv, "{},{f}", i + 1);
                }
                std::fs::write(&path, csv)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            let text = serde_json::to_string_pretty(&report)?;
            if let Some(path) = json {
                std::fs::write(&path, format!("{text}\n"))
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            println!("{text}");
        }
        Command::Rescore {
            input,
            month,
            store,
            model,
            run_id,
            out,
            report,
            tax_lag,
            social_lag,
            explain_all,
            backfill,
            key_file,
            demo_key,
            block_companies,
        } => {
            let pseudo = pseudonymiser(demo_key, key_file.as_deref())?;
            let run_id = run_id.unwrap_or_else(|| month.to_string());
            let report_dir = report.unwrap_or_else(|| PathBuf::from("vigie-runs").join(&run_id));
            let opts = vigie_batch::RescoreOptions {
                input,
                month,
                run_id: Some(run_id),
                model,
                out,
                report_dir,
                tax_lag,
                social_lag,
                explain_all,
                backfill,
                block_companies,
                pseudo,
            };
            let outcome = runtime()?.block_on(async {
                let store = vigie_store::Store::open(&store).await?;
                let lock = store.lock_rescore().await?;
                let progress = progress::Progress::new();
                let outcome = vigie_batch::rescore(&store, &opts, &|e| progress.event(e)).await;
                progress.finish();
                lock.release().await?;
                store.close().await;
                anyhow::Ok(outcome?)
            })?;
            tracing::info!(
                run_id = %outcome.summary.run_id,
                scored = outcome.summary.scored,
                rejected = outcome.summary.rejected,
                "run committed"
            );
            println!("{}", outcome.report.display());
            println!("{}", serde_json::to_string_pretty(&outcome.summary)?);
        }
        Command::Serve { config, store, addr, key_file, demo_key } => {
            let mut cfg = match &config {
                Some(path) => vigie_server::Config::from_file(path).map_err(anyhow::Error::msg)?,
                None => vigie_server::Config::default(),
            };
            if let Some(s) = store {
                cfg.store = s;
            }
            if let Some(a) = addr {
                cfg.addr = a;
            }
            if key_file.is_some() {
                cfg.key_file = key_file;
            }
            cfg.check().map_err(anyhow::Error::msg)?;
            let env_key = std::env::var(vigie_data::pseudo::KEY_ENV).ok();
            let pseudo = if demo_key || cfg.key_file.is_some() || env_key.is_some() {
                Some(pseudonymiser(demo_key, cfg.key_file.as_deref())?)
            } else {
                tracing::warn!(
                    "no pseudonymisation key: companies can be looked up by pseudonymous id only"
                );
                None
            };
            runtime()?.block_on(serve(cfg, pseudo))?;
        }
        Command::Token { command } => runtime()?.block_on(token(command))?,
        Command::Audit { command: AuditCommand::Export { store, out } } => {
            let rows = runtime()?.block_on(async {
                let store = vigie_store::Store::open(&store).await?;
                let rows = store.audit_log().await?;
                store.close().await;
                anyhow::Ok(rows)
            })?;
            let csv = audit_csv(&rows)?;
            match out {
                Some(path) => std::fs::write(&path, csv)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => print!("{csv}"),
            }
        }
        Command::Demo { addr, dir } => demo::run(addr, &dir)?,
        Command::Models { command } => runtime()?.block_on(models(command))?,
        Command::Runs { command: RunsCommand::List { store } } => {
            let runs = runtime()?.block_on(async {
                let store = vigie_store::Store::open(&store).await?;
                let runs = store.runs().await?;
                store.close().await;
                anyhow::Ok(runs)
            })?;
            for r in runs {
                println!(
                    "{}\tmonth={}\tmodel={}\tscored={}\tred={}\torange={}\texcluded={}\trejected={}\tcommitted={}",
                    r.run_id,
                    r.month,
                    r.model_version,
                    r.scored,
                    r.red,
                    r.orange,
                    r.excluded,
                    r.rejected,
                    r.finished_at
                );
            }
        }
    }
    Ok(())
}

async fn serve(cfg: vigie_server::Config, pseudo: Option<Pseudonymiser>) -> Result<()> {
    let store = vigie_store::Store::open_serving(&cfg.store).await?;
    let listener = tokio::net::TcpListener::bind(cfg.addr)
        .await
        .with_context(|| format!("cannot listen on {}", cfg.addr))?;
    tracing::info!(addr = %cfg.addr, store = store.url(), "serving");
    let state = std::sync::Arc::new(vigie_server::AppState::new(store.clone(), pseudo, cfg));
    vigie_server::serve(state, listener, vigie_server::shutdown_signal()).await?;
    store.close().await;
    Ok(())
}

async fn models(command: ModelsCommand) -> Result<()> {
    match command {
        ModelsCommand::Compare { store, model, input, tax_lag, social_lag, key_file, demo_key } => {
            let pseudo = pseudonymiser(demo_key, key_file.as_deref())?;
            let store = vigie_store::Store::open(&store).await?;
            let opts =
                vigie_batch::compare::CompareOptions { input, model, tax_lag, social_lag, pseudo };
            let c = vigie_batch::compare::compare(&store, &opts).await;
            store.close().await;
            println!("{}", serde_json::to_string_pretty(&c?)?);
        }
        ModelsCommand::Register { store, model } => {
            let store = vigie_store::Store::open(&store).await?;
            let record = vigie_batch::register(&store, &model).await;
            store.close().await;
            let record = record?;
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "registered": record.version,
                    "name": record.name,
                    "feature_set": record.feature_set,
                }))?
            );
        }
        ModelsCommand::Activate { store, version } => {
            let store = vigie_store::Store::open(&store).await?;
            let comparison = store.comparison(&version).await?;
            match &comparison {
                Some(c) => eprintln!(
                    "comparison with {} on run {}: {} of {} levels change, red lists overlap {} of {} / {}",
                    c.active_version,
                    c.run_id,
                    c.changed,
                    c.scored,
                    c.red.both,
                    c.red.active,
                    c.red.candidate
                ),
                None => eprintln!(
                    "{version} was never compared with the active model (`vigie models compare`)"
                ),
            }
            let set = store.activate_model(&version).await;
            store.close().await;
            let set = set?;
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "activated": version,
                    "feature_set": set,
                    "comparison": comparison
                }))?
            );
        }
    }
    Ok(())
}

async fn token(command: TokenCommand) -> Result<()> {
    match command {
        TokenCommand::Create { store, name, role, territories } => {
            let store = vigie_store::Store::open(&store).await?;
            let mut deps = Vec::new();
            for t in territories.iter().filter(|t| !t.is_empty()) {
                deps.push(vigie_core::Departement::parse(t.trim())?.as_str().to_owned());
            }
            let (token, secret) = store
                .create_token(&vigie_store::NewToken { name, role: role.into(), territories: deps })
                .await?;
            store.close().await;
            println!(
                "created token {:?}: role {}, territories {}",
                token.name,
                token.role.as_str(),
                if token.territories.is_empty() {
                    "national".to_owned()
                } else {
                    token.territories.join(",")
                }
            );
            println!("{secret}");
        }
        TokenCommand::Revoke { store, name } => {
            let store = vigie_store::Store::open(&store).await?;
            let revoked = store.revoke_token(&name).await?;
            store.close().await;
            anyhow::ensure!(revoked, "no live token named {name:?}");
            println!("revoked token {name:?}");
        }
        TokenCommand::List { store } => {
            let store = vigie_store::Store::open(&store).await?;
            for t in store.tokens().await? {
                println!(
                    "{}\trole={}\tterritories={}\tcreated={}\t{}",
                    t.name,
                    t.role.as_str(),
                    if t.territories.is_empty() {
                        "national".to_owned()
                    } else {
                        t.territories.join(",")
                    },
                    t.created_at,
                    t.revoked_at.map_or_else(|| "live".to_owned(), |r| format!("revoked={r}"))
                );
            }
            store.close().await;
        }
    }
    Ok(())
}

/// The audit log as CSV (RFC 4180 quoting, by the `csv` crate).
fn audit_csv(rows: &[vigie_store::AuditEntry]) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["at", "token_name", "route", "company_id", "territory", "outcome", "reason"])?;
    for r in rows {
        w.write_record([
            r.at.as_str(),
            &r.token_name,
            &r.route,
            r.company_id.as_deref().unwrap_or(""),
            r.territory.as_deref().unwrap_or(""),
            &r.outcome,
            r.reason.as_deref().unwrap_or(""),
        ])?;
    }
    let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("writing CSV: {}", e.error()))?;
    Ok(String::from_utf8(bytes)?)
}

/// The hyperparameters of both families, the chosen one overridden by `--params` JSON.
fn family_params(
    family: vigie_train::Family,
    params: Option<&str>,
) -> Result<(vigie_train::gbdt::GbdtParams, vigie_train::logistic::LogisticParams)> {
    let mut gbdt = vigie_train::gbdt::GbdtParams::default();
    let mut logistic = vigie_train::logistic::LogisticParams::default();
    if let Some(p) = params {
        match family {
            vigie_train::Family::Gbdt => gbdt = serde_json::from_str(p).context("--params")?,
            vigie_train::Family::Logistic => {
                logistic = serde_json::from_str(p).context("--params")?;
            }
        }
    }
    Ok((gbdt, logistic))
}
