//! Shared harness: paths, generated data sets (built once per test binary), panel runs.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use polars::prelude::*;
use vigie_core::Pseudonymiser;
use vigie_data::panel::{self, Panel, PanelOptions};
use vigie_data::rejects::RejectLog;
use vigie_synth::{Format, GenerateOptions};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is in the workspace").to_owned()
}

/// The deliberately broken sample.
pub fn broken() -> PathBuf {
    root().join("data-samples/broken")
}

/// A fresh temporary directory.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary directory")
}

/// A pseudonymiser with a fixed test key.
pub fn pseudo() -> Pseudonymiser {
    Pseudonymiser::new(b"integration-test-key-0123456789").expect("valid key")
}

/// Builds a panel, returning it with its rejects.
pub fn build(dir: &Path, opts: &PanelOptions) -> vigie_data::Result<(Panel, RejectLog)> {
    let mut log = RejectLog::default();
    let p = panel::build(dir, &pseudo(), opts, &mut log)?;
    Ok((p, log))
}

/// A small generated data set in CSV (150 companies, 4 years), generated once.
pub fn small_csv() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempdir();
        let opts = GenerateOptions { companies: 150, years: 4, seed: 7, format: Format::Csv };
        vigie_synth::generate(&opts, dir.path()).expect("generation");
        dir
    })
    .path()
}

/// A larger generated data set in Parquet (20,000 companies, 8 years), generated once.
pub fn large_parquet() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempdir();
        let opts =
            GenerateOptions { companies: 20_000, years: 8, seed: 42, format: Format::Parquet };
        vigie_synth::generate(&opts, dir.path()).expect("generation");
        dir
    })
    .path()
}

/// The panel as a polars frame.
pub fn frame(p: Panel) -> DataFrame {
    p.table.into_frame().expect("frame")
}

/// A float column, NaN for null.
pub fn floats(df: &DataFrame, name: &str) -> Vec<f64> {
    df.column(name)
        .unwrap_or_else(|_| panic!("column {name}"))
        .cast(&DataType::Float64)
        .expect("numeric")
        .f64()
        .expect("f64")
        .iter()
        .map(|x| x.unwrap_or(f64::NAN))
        .collect()
}

/// A text column.
pub fn texts(df: &DataFrame, name: &str) -> Vec<String> {
    df.column(name)
        .unwrap_or_else(|_| panic!("column {name}"))
        .str()
        .expect("text")
        .iter()
        .map(|x| x.unwrap_or_default().to_owned())
        .collect()
}

/// Copies a directory (flat) into a new temporary one.
pub fn copy_dir(src: &Path) -> tempfile::TempDir {
    let dst = tempdir();
    for entry in std::fs::read_dir(src).expect("readable") {
        let entry = entry.expect("entry");
        if entry.file_type().expect("type").is_file() {
            std::fs::copy(entry.path(), dst.path().join(entry.file_name())).expect("copy");
        }
    }
    dst
}

/// The committed demo model's version directory (there is exactly one).
pub fn demo_model_dir() -> PathBuf {
    committed_model("demo")
}

/// The committed demo self-diagnosis model's version directory (there is exactly one).
pub fn demo_self_model_dir() -> PathBuf {
    committed_model("demo-self")
}

fn committed_model(name: &str) -> PathBuf {
    let versions: Vec<PathBuf> = std::fs::read_dir(root().join("models").join(name))
        .expect("the committed model exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(versions.len(), 1, "one version of models/{name} is committed");
    versions.into_iter().next().expect("one")
}

/// A Parquet file as a polars frame.
pub fn frame_of(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).expect("readable")).finish().expect("parquet")
}

/// A real server on a free local port, in its own runtime: what clients outside the
/// process (a browser, Python tools, raw sockets) talk to.
pub struct Live {
    /// The runtime the server runs on (tests drive their async clients on it).
    pub runtime: tokio::runtime::Runtime,
    /// Where it listens.
    pub addr: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Live {
    /// Serves `state` until [`Live::stop`].
    pub fn start(state: std::sync::Arc<vigie_server::AppState>) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let listener =
            runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("a free port");
        let addr = listener.local_addr().expect("bound");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = runtime.spawn(vigie_server::serve(state, listener, async {
            let _ = stopped.await;
        }));
        Self { runtime, addr, stop, server }
    }

    /// `http://<addr>`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Shuts the server down gracefully; panics if it ended with an error.
    pub fn stop(self) {
        self.stop.send(()).expect("the server is still running");
        self.runtime.block_on(self.server).expect("the server task").expect("a clean shutdown");
    }
}
