//! The command line: every subcommand and option of `vigie` (clap), with their help texts.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use vigie_core::Month;
use vigie_data::source::Format;

/// Vigie: early warning of business failures from pseudonymised fiscal data.
#[derive(Debug, Parser)]
#[command(name = "vigie", version, about)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum FormatArg {
    Parquet,
    Csv,
}

/// What `vigie generate` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum GenerateFormat {
    Parquet,
    Csv,
    OpenData,
    /// A `StockUniteLegale` and a `StockEtablissement` of `--companies` legal units, with
    /// INSEE's full headers (for the benchmark of `vigie import` at national size).
    SireneStock,
    /// An Urssaf débits file of 4 rows per company (two debts, two operations each).
    UrssafDebits,
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
pub(crate) enum Command {
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
        /// File format: Vigie's five sources in Parquet or CSV, or `open-data`: the same
        /// companies as the public can download them (SIRENE stock files, INPI accounts in
        /// XML, BODACC notices; `docs/open-data.md`), Vigie's sources beside them in
        /// `<out>/sources`. `sirene-stock` and `urssaf-debits` write files of national size
        /// for the benchmark of `vigie import`, row after row (values drawn per row, not
        /// companies' histories; `BENCHMARKS.md`).
        #[arg(long, value_enum, default_value_t = GenerateFormat::Parquet)]
        format: GenerateFormat,
    },
    /// Convert the files administrations and the public hold into Vigie's sources: SIRENE,
    /// the liasse fiscale by box, INPI accounts, ratios_inpi_bce, the Urssaf files and the
    /// judgments (procol, BODACC) — SIRENs kept as in the inputs, for `panel` and `rescore`
    /// to pseudonymise. Prints a JSON summary per input file; the rejected rows, with their
    /// reasons, go to `<out>/import-rejects.csv`. Formats: `docs/data-format.md`.
    Import {
        /// `StockUniteLegale` CSV files (creation, activity, headcount band, closure).
        #[arg(long = "sirene-ul", num_args = 1..)]
        sirene_ul: Vec<PathBuf>,
        /// `StockEtablissement` CSV files (the head office's commune, hence the
        /// département); required with `--sirene-ul`.
        #[arg(long = "sirene-etab", num_args = 1..)]
        sirene_etab: Vec<PathBuf>,
        /// Long tables of the liasse fiscale (`siren, date_cloture_exercice,
        /// duree_exercice, date_depot, regime, code, value`; `regime` = normal or
        /// simplified, `code` the form box) → `filings`.
        #[arg(long, num_args = 1..)]
        liasse: Vec<PathBuf>,
        /// INPI "bilans saisis" XML documents, or directories of them (page / m1–m4
        /// layout, types C and S) → `filings`, through the same box mapping; confidential,
        /// not keyed in, consolidated, bank and insurance accounts skipped.
        #[arg(long, num_args = 1..)]
        inpi: Vec<PathBuf>,
        /// ratios_inpi_bce CSV files → `filings` with turnover, EBITDA, operating income and
        /// net income (the other amounts missing; filed 8 months after closing, assumed).
        #[arg(long = "ratios-inpi", num_args = 1..)]
        ratios_inpi: Vec<PathBuf>,
        /// Urssaf débits files (arrears events: `num_cpte`, `Siren`/`Siret`, `Periode`
        /// AAAAXY, `Num_Ecn`, `Num_Hist_Ecn`, `Dt_trt_ecn` (A)AAMMJJ, `Mt_PO`/`Mt_PP` in
        /// cents) → `social_monthly` (overdue shares).
        #[arg(long = "urssaf-debits", num_args = 1..)]
        urssaf_debits: Vec<PathBuf>,
        /// Urssaf cotisations files (`Compte`, `Siret`, `periode`, `mer` called) →
        /// `social_monthly` (contributions called).
        #[arg(long = "urssaf-cotisations", num_args = 1..)]
        urssaf_cotisations: Vec<PathBuf>,
        /// Urssaf délais files (payment plans: `Siret`, `Date_creation`, `Date_echeance`
        /// DD/MM/YYYY) → `social_monthly` (payment plan active).
        #[arg(long = "urssaf-delais", num_args = 1..)]
        urssaf_delais: Vec<PathBuf>,
        /// Urssaf procedure files (`Siret`/`Siren`, `Dt_effet` 24FEB2014, `Lib_actx_stdx`)
        /// → `events`.
        #[arg(long, num_args = 1..)]
        procol: Vec<PathBuf>,
        /// BODACC exports of the "annonces" (CSV with `;`, or `.json`): collective
        /// procedure notices → `events`, de-duplicated across notices and with --procol.
        #[arg(long, num_args = 1..)]
        bodacc: Vec<PathBuf>,
        /// Encoding of the input files: auto (UTF-8 if valid, else Latin-1), utf-8 or
        /// latin-1. Separators (`,` `;` tab `|`) are found from the header.
        #[arg(long, default_value = "auto", value_parser = parse_encoding)]
        encoding: vigie_data::import::Encoding,
        /// Leave out individual entrepreneurs (legal form 1000: natural persons), counted
        /// as skipped.
        #[arg(long)]
        legal_entities_only: bool,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// File format of the sources written.
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
        /// Publication lag of tax_monthly, in months (0 to 36).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=36))]
        tax_lag: u32,
        /// Publication lag of social_monthly, in months (0 to 36).
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(0..=36))]
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
        /// Keep company-months already in procedure, flagged in an `in_procedure` column
        /// (to measure the effect of excluding them; models never train on them).
        #[arg(long)]
        keep_in_procedure: bool,
        /// Companies whose features are built at a time: the filings and monthly values
        /// of the others wait in temporary files (under TMPDIR, about 1 GB per million
        /// companies). Peak memory follows it; the results do not.
        #[arg(long, default_value_t = vigie_data::ingest::BLOCK_COMPANIES, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
        block_companies: usize,
    },
    /// Train a model on a panel: walk-forward out-of-time evaluation, then the shipped
    /// model refitted on the latest labelled data (calibrated, anchored, thresholds).
    Train {
        /// The panel (from `vigie panel`).
        #[arg(long)]
        panel: PathBuf,
        /// Model family.
        #[arg(long, value_enum)]
        model: FamilyArg,
        /// Output folder `models/NAME`; the artifact goes to `models/NAME/<version>/`.
        #[arg(long)]
        out: PathBuf,
        /// Seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// First month of the out-of-time test window (default: the last 12 months whose
        /// 18-month outcome is known).
        #[arg(long)]
        test_from: Option<Month>,
        /// Folds of the grouped-by-company cross-validation view (0 to skip).
        #[arg(long, default_value_t = 5)]
        cv_folds: usize,
        /// Hyperparameter overrides of the chosen family, as JSON.
        #[arg(long)]
        params: Option<String>,
        /// Ship the evaluated model of the last walk-forward window instead of a model
        /// refitted on the latest labelled data (research).
        #[arg(long)]
        no_refit: bool,
        /// Months of the rolling training window of every model (0 = all months).
        #[arg(long, default_value_t = vigie_train::walk::DEFAULT_TRAIN_MONTHS)]
        train_months: i32,
        /// The features trained on: `full` (the catalogue) or `self` (what a company head
        /// can enter; the card then compares it with the full set on the same windows).
        #[arg(long, default_value = "full", value_parser = parse_feature_set)]
        feature_set: vigie_core::features::FeatureSet,
        /// Write the rows of every fit into this directory (`fit-CUTOFF.csv` per
        /// walk-forward window, `fit-CUTOFF-refit.csv`, `test.csv`, `features.txt`): what
        /// `benches/train.sh` gives LightGBM to fit the same rows.
        #[arg(long)]
        fit_rows: Option<std::path::PathBuf>,
    },
    /// k-fold cross-validation of a model family on any table (CSV or Parquet).
    Evaluate {
        /// The table.
        #[arg(long)]
        data: PathBuf,
        /// Label column (0/1).
        #[arg(long)]
        label: String,
        /// Group column: all rows of a group stay in one fold.
        #[arg(long)]
        group: Option<String>,
        /// Columns to leave out (comma-separated); non-numeric columns must be listed.
        #[arg(long, value_delimiter = ',')]
        exclude: Vec<String>,
        /// Model family.
        #[arg(long, value_enum)]
        model: FamilyArg,
        /// Number of folds.
        #[arg(long, default_value_t = 5)]
        folds: usize,
        /// Seed of the split and of the model.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Also write the JSON report to this file.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Take the folds from this column (fold numbers 0..K) instead of drawing them, to
        /// reproduce another tool's split.
        #[arg(long)]
        fold_column: Option<String>,
        /// Write the fold of each row (CSV `row,fold`, rows from 1), to run other tools on
        /// the same split.
        #[arg(long)]
        write_folds: Option<PathBuf>,
        /// Hyperparameter overrides of the chosen family, as JSON (e.g.
        /// '{"learning_rate":0.03}'); the defaults are documented in BENCHMARKS.md.
        #[arg(long)]
        params: Option<String>,
    },
    /// Rescore every company for a month: features, scores, explanations of alerts, changes
    /// and drift against the previous run; writes the store (one transaction), a Parquet
    /// file of scores, a report and the rejected rows. Safe to re-run: the same run id
    /// replaces its run.
    Rescore {
        /// Directory of the sources (as for `vigie panel`).
        #[arg(long)]
        input: PathBuf,
        /// Month to score (YYYY-MM).
        #[arg(long)]
        month: Month,
        /// Store URL: `sqlite://PATH` (created if missing) or `postgres://USER@HOST/DB`.
        #[arg(long, env = "VIGIE_STORE")]
        store: String,
        /// Model to use (`models/NAME/VERSION`), registered and activated in the store when
        /// the run commits; default: the store's active model.
        #[arg(long)]
        model: Option<PathBuf>,
        /// Run id; default: the month. Re-running an id replaces its run.
        #[arg(long)]
        run_id: Option<String>,
        /// Parquet file of scores; default: `<report>/scores.parquet`.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Report directory; default: `vigie-runs/<run id>`.
        #[arg(long)]
        report: Option<PathBuf>,
        /// Publication lag of tax_monthly, in months (0 to 36).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=36))]
        tax_lag: u32,
        /// Publication lag of social_monthly, in months (0 to 36).
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(0..=36))]
        social_lag: u32,
        /// Explain every company, not only those in alert (slower).
        #[arg(long)]
        explain_all: bool,
        /// Write a month older than the store's latest run (a backfill). Later runs keep
        /// the diff they were written with: re-run them in order afterwards.
        #[arg(long)]
        backfill: bool,
        /// Pseudonymisation key file (first line); otherwise VIGIE_PSEUDO_KEY.
        #[arg(long, conflicts_with = "demo_key")]
        key_file: Option<PathBuf>,
        /// Use the public demonstration key (synthetic data only).
        #[arg(long)]
        demo_key: bool,
        /// Companies whose features are built at a time: the filings and monthly values
        /// of the others wait in temporary files (under TMPDIR, about 1 GB per million
        /// companies). Peak memory follows it; the results do not.
        #[arg(long, default_value_t = vigie_data::ingest::BLOCK_COMPANIES, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
        block_companies: usize,
    },
    /// Runs of a store.
    Runs {
        #[command(subcommand)]
        command: RunsCommand,
    },
    /// The model registry: compare a candidate with the active model, activate a version.
    Models {
        #[command(subcommand)]
        command: ModelsCommand,
    },
    /// Serve the API (production entry point). Settings: flags, then `VIGIE_*`
    /// environment variables, then the config file, then defaults.
    Serve {
        /// TOML config file (see docs/vigie.sample.toml).
        #[arg(long, env = "VIGIE_CONFIG")]
        config: Option<PathBuf>,
        /// Store URL.
        #[arg(long, env = "VIGIE_STORE")]
        store: Option<String>,
        /// Listening address.
        #[arg(long, env = "VIGIE_ADDR")]
        addr: Option<std::net::SocketAddr>,
        /// Pseudonymisation key file, for SIREN lookups (or VIGIE_PSEUDO_KEY).
        #[arg(long, env = "VIGIE_KEY_FILE", conflicts_with = "demo_key")]
        key_file: Option<PathBuf>,
        /// Use the public demonstration key (synthetic data only).
        #[arg(long)]
        demo_key: bool,
    },
    /// API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The whole service on the demo data: rescores data-samples/demo with the committed
    /// demo model into an embedded SQLite store, creates an agent, an analyst and an admin
    /// token, and serves the API.
    Demo {
        /// Listening address.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// Working directory of the demo (store, run reports).
        #[arg(long, default_value = "vigie-demo")]
        dir: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Creates a token; prints it alone on the last line of stdout (it is shown once).
    Create {
        /// Store URL.
        #[arg(long, env = "VIGIE_STORE")]
        store: String,
        /// Unique name (who holds it).
        #[arg(long)]
        name: String,
        /// Role.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Départements of an agent (comma-separated).
        #[arg(long, value_delimiter = ',')]
        territories: Vec<String>,
    },
    /// Revokes a token by name.
    Revoke {
        /// Store URL.
        #[arg(long, env = "VIGIE_STORE")]
        store: String,
        /// Token name.
        #[arg(long)]
        name: String,
    },
    /// Lists tokens (names, roles, territories; never secrets).
    List {
        /// Store URL.
        #[arg(long, env = "VIGIE_STORE")]
        store: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Writes the audit log as CSV.
    Export {
        /// Store URL.
        #[arg(long, env = "VIGIE_STORE")]
        store: String,
        /// Output file (default: stdout).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum RoleArg {
    Agent,
    Analyst,
    Admin,
}

impl From<RoleArg> for vigie_store::Role {
    fn from(r: RoleArg) -> Self {
        match r {
            RoleArg::Agent => vigie_store::Role::Agent,
            RoleArg::Analyst => vigie_store::Role::Analyst,
            RoleArg::Admin => vigie_store::Role::Admin,
        }
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum ModelsCommand {
    /// Scores the companies of the store's latest run with a candidate model beside the
    /// active one: levels that would change, overlap of the red and alert lists, both
    /// walk-forward summaries. Registers the candidate (inactive) with the comparison.
    Compare {
        /// Store URL (`sqlite://PATH` or `postgres://…`).
        #[arg(long, env = "VIGIE_STORE")]
        store: String,
        /// The candidate (`models/NAME/VERSION`).
        #[arg(long)]
        model: PathBuf,
        /// Directory of the sources the latest run read (its features are built again).
        #[arg(long)]
        input: PathBuf,
        /// Publication lag of tax_monthly, in months (0 to 36).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=36))]
        tax_lag: u32,
        /// Publication lag of social_monthly, in months (0 to 36).
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(0..=36))]
        social_lag: u32,
        /// Pseudonymisation key file (first line); otherwise VIGIE_PSEUDO_KEY.
        #[arg(long, conflicts_with = "demo_key")]
        key_file: Option<PathBuf>,
        /// Use the public demonstration key (synthetic data only).
        #[arg(long)]
        demo_key: bool,
    },
    /// Registers a model (inactive) with its card and metrics: the way a self-diagnosis
    /// model (`vigie train --feature-set self`) enters the registry; activate it next.
    Register {
        /// Store URL.
        #[arg(long, env = "VIGIE_STORE")]
        store: String,
        /// The model (`models/NAME/VERSION`).
        #[arg(long)]
        model: PathBuf,
    },
    /// Activates a registered version in place of the active model of its feature set
    /// (after printing its comparison with the active model, when one was made). Servers
    /// load it within `model_refresh_seconds`.
    Activate {
        /// Store URL.
        #[arg(long, env = "VIGIE_STORE")]
        store: String,
        /// The version to activate.
        version: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum RunsCommand {
    /// Lists the runs of a store, newest month first, one per line starting with the run id.
    List {
        /// Store URL (`sqlite://PATH` or `postgres://…`).
        #[arg(long, env = "VIGIE_STORE")]
        store: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum FamilyArg {
    Logistic,
    Gbdt,
}

impl From<FamilyArg> for vigie_train::Family {
    fn from(f: FamilyArg) -> Self {
        match f {
            FamilyArg::Logistic => vigie_train::Family::Logistic,
            FamilyArg::Gbdt => vigie_train::Family::Gbdt,
        }
    }
}

fn parse_encoding(s: &str) -> Result<vigie_data::import::Encoding, String> {
    vigie_data::import::Encoding::parse(s).ok_or_else(|| format!("{s:?}: auto, utf-8 or latin-1"))
}

fn parse_feature_set(s: &str) -> Result<vigie_core::features::FeatureSet, String> {
    vigie_core::features::FeatureSet::parse(s).ok_or_else(|| format!("{s:?}: full or self"))
}
