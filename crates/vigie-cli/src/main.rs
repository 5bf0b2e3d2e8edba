//! The `vigie` command-line tool: generate synthetic data, build panels (and, as later
//! layers land, train, rescore and serve).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use vigie_core::Month;
use vigie_data::panel::{self, PanelOptions};
use vigie_data::pseudo::Pseudonymiser;
use vigie_data::rejects::RejectLog;
use vigie_data::source::Format;
use vigie_synth::GenerateOptions;

/// Vigie: early warning of business failures from pseudonymised fiscal data.
#[derive(Debug, Parser)]
#[command(name = "vigie", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    Parquet,
    Csv,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Parquet => Format::Parquet,
            FormatArg::Csv => Format::Csv,
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate realistic synthetic sources (history ending December 2025).
    Generate {
        /// Number of companies.
        #[arg(long)]
        companies: usize,
        /// Years of monthly history.
        #[arg(long, default_value_t = 8)]
        years: u32,
        /// Random seed: the same seed gives byte-identical files.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// File format.
        #[arg(long, value_enum, default_value_t = FormatArg::Parquet)]
        format: FormatArg,
    },
    /// Build the point-in-time company × month panel with features and labels.
    Panel {
        /// Directory holding companies, filings, tax_monthly, social_monthly (optional)
        /// and events, as .parquet or .csv.
        #[arg(long)]
        input: PathBuf,
        /// Output Parquet file.
        #[arg(long)]
        out: PathBuf,
        /// First month (YYYY-MM); default: the first month of tax_monthly plus its lag.
        #[arg(long)]
        from: Option<Month>,
        /// Last month (YYYY-MM); default: the latest month of tax_monthly.
        #[arg(long)]
        to: Option<Month>,
        /// Keep one month in STEP (3 = quarterly snapshots).
        #[arg(long, default_value_t = 1)]
        step: u32,
        /// Publication lag of tax_monthly, in months.
        #[arg(long, default_value_t = 1)]
        tax_lag: u32,
        /// Publication lag of social_monthly, in months.
        #[arg(long, default_value_t = 2)]
        social_lag: u32,
        /// Observation end of the labels (YYYY-MM); default: the latest month of
        /// tax_monthly.
        #[arg(long)]
        as_of: Option<Month>,
        /// Rejected rows file (CSV); default: beside the output, `<out>.rejects.csv`.
        #[arg(long)]
        rejects: Option<PathBuf>,
        /// Pseudonymisation key file (first line); otherwise VIGIE_PSEUDO_KEY.
        #[arg(long, conflicts_with = "demo_key")]
        key_file: Option<PathBuf>,
        /// Use the public demonstration key (synthetic data only).
        #[arg(long)]
        demo_key: bool,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("VIGIE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Generate { companies, years, seed, out, format } => {
            let opts = GenerateOptions { companies, years, seed, format: format.into() };
            let started = std::time::Instant::now();
            let generated = vigie_synth::generate(&opts, &out)?;
            tracing::info!(seconds = started.elapsed().as_secs_f64(), dir = %out.display(), "generated");
            println!("{}", serde_json::to_string_pretty(&generated)?);
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
        } => {
            let pseudo = Pseudonymiser::resolve(
                demo_key,
                key_file.as_deref(),
                std::env::var(vigie_data::pseudo::KEY_ENV).ok(),
            )?;
            if pseudo.is_demo() {
                tracing::warn!("using the public demonstration key: never do this on real data");
            }
            let opts = PanelOptions { from, to, step, tax_lag, social_lag, as_of };
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
    }
    Ok(())
}
