//! Server configuration: defaults, overridden by a TOML file, overridden by `VIGIE_*`
//! environment variables and flags (the command line applies those last two).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Server settings. See `docs/vigie.sample.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Store URL.
    pub store: String,
    /// Listening address.
    pub addr: SocketAddr,
    /// File holding the pseudonymisation key (first line), for SIREN lookups; without it
    /// (and without `VIGIE_PSEUDO_KEY`) companies are looked up by pseudonymous id only.
    pub key_file: Option<PathBuf>,
    /// Largest request body, in bytes.
    pub body_limit_bytes: usize,
    /// Request timeout, in seconds.
    pub request_timeout_seconds: f64,
    /// Most items in one `POST /v1/score`.
    pub batch_limit: usize,
    /// Sustained requests per second per token.
    pub rate_limit_per_second: f64,
    /// Burst of requests per token.
    pub rate_limit_burst: f64,
    /// How often to check the registry for a newly activated model (other instances'
    /// activations) and the runs for a newly committed one (the in-memory index is then
    /// rebuilt), in seconds.
    pub model_refresh_seconds: f64,
    /// How long a verified token is trusted before the store is asked again, in seconds: a
    /// revocation takes effect within this delay (0: ask on every request).
    pub token_cache_seconds: f64,
    /// How long a dashboard session lasts after sign-in, in hours.
    pub session_hours: f64,
    /// Mark the dashboard's cookies `Secure` (set it when the server is reached over TLS;
    /// requests with `X-Forwarded-Proto: https` get them anyway).
    pub secure_cookies: bool,
    /// The public self-diagnosis (`/diagnostic`, `POST /v1/self-assessment`): sustained
    /// requests per minute per client address.
    pub public_rate_limit_per_minute: f64,
    /// Its burst per client address.
    pub public_rate_limit_burst: f64,
    /// The header a reverse proxy in front of the server writes the client's address in
    /// (`x-forwarded-for`: its last address is taken, the one the proxy added). Unset: the
    /// address of the connection. Set it only behind such a proxy: a client could write the
    /// header itself otherwise.
    pub client_address_header: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            store: "sqlite://vigie.db".into(),
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            key_file: None,
            body_limit_bytes: 1 << 20,
            request_timeout_seconds: 10.0,
            batch_limit: 1000,
            rate_limit_per_second: 50.0,
            rate_limit_burst: 200.0,
            model_refresh_seconds: 15.0,
            token_cache_seconds: 2.0,
            session_hours: 8.0,
            secure_cookies: false,
            public_rate_limit_per_minute: 20.0,
            public_rate_limit_burst: 10.0,
            client_address_header: None,
        }
    }
}

impl Config {
    /// Reads a TOML file over the defaults.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("config file {}: {e}", path.display()))?;
        Self::from_toml(&text).map_err(|e| format!("config file {}: {e}", path.display()))
    }

    /// Parses TOML over the defaults.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let c: Self = toml::from_str(text).map_err(|e| toml_error(&e, text))?;
        c.check()?;
        Ok(c)
    }

    /// Refuses values that would make the server unusable.
    pub fn check(&self) -> Result<(), String> {
        if self.body_limit_bytes < 1024 {
            return Err("body_limit_bytes must be at least 1024".into());
        }
        // Durations are bounded: `inf` or 1e30 is valid TOML but no duration.
        if !(self.request_timeout_seconds > 0.0 && self.request_timeout_seconds <= 3600.0) {
            return Err("request_timeout_seconds must be above 0 and at most 3600".into());
        }
        if !(self.token_cache_seconds >= 0.0 && self.token_cache_seconds <= 3600.0) {
            return Err("token_cache_seconds must be between 0 and 3600".into());
        }
        if !(self.model_refresh_seconds >= 1.0 && self.model_refresh_seconds <= 86_400.0) {
            return Err("model_refresh_seconds must be between 1 and 86400".into());
        }
        if !(self.session_hours > 0.0 && self.session_hours <= 24.0 * 31.0) {
            return Err("session_hours must be above 0 and at most 744 (31 days)".into());
        }
        if self.batch_limit == 0 {
            return Err("batch_limit must be at least 1".into());
        }
        if !(self.rate_limit_per_second > 0.0
            && self.rate_limit_per_second.is_finite()
            && self.rate_limit_burst >= 1.0
            && self.rate_limit_burst.is_finite())
        {
            return Err(
                "rate_limit_per_second must be positive and rate_limit_burst ≥ 1 (both finite)"
                    .into(),
            );
        }
        if !(self.public_rate_limit_per_minute > 0.0
            && self.public_rate_limit_per_minute.is_finite()
            && self.public_rate_limit_burst >= 1.0
            && self.public_rate_limit_burst.is_finite())
        {
            return Err("public_rate_limit_per_minute must be positive and \
                        public_rate_limit_burst ≥ 1 (both finite)"
                .into());
        }
        if let Some(h) = &self.client_address_header
            && axum::http::HeaderName::from_bytes(h.as_bytes()).is_err()
        {
            return Err("client_address_header must be a header name".into());
        }
        Ok(())
    }
}

/// A TOML error as its message and position only: toml's own text quotes the offending
/// line, which may hold a database password (`stroe = "postgres://vigie:secret@db"`).
fn toml_error(e: &toml::de::Error, text: &str) -> String {
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.chars().rev().take_while(|&c| c != '\n').count() + 1;
            format!("line {line}, column {column}: {}", e.message())
        }
        None => e.message().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_config_is_the_defaults_and_unknown_keys_are_refused() {
        let sample = include_str!("../../../docs/vigie.sample.toml");
        let parsed = Config::from_toml(sample).expect("the sample parses");
        assert_eq!(parsed.store, "sqlite://vigie.db");
        assert_eq!(parsed.key_file.as_deref(), Some(Path::new("/etc/vigie/pseudo.key")));
        assert_eq!(Config { key_file: None, ..parsed }, Config::default());
        assert!(Config::from_toml("stroe = \"x\"").unwrap_err().contains("unknown field"));
        assert!(Config::from_toml("batch_limit = 0").is_err());
        // Valid TOML, but no duration: refused at start, not a panic on every request.
        for bad in [
            "request_timeout_seconds = inf",
            "request_timeout_seconds = nan",
            "token_cache_seconds = 1e30",
            "model_refresh_seconds = 0.5",
            "rate_limit_per_second = inf",
            "public_rate_limit_per_minute = 0",
            "client_address_header = \"x forwarded\"",
        ] {
            assert!(Config::from_toml(bad).is_err(), "{bad}");
        }
        assert_eq!(Config::from_toml("").unwrap(), Config::default());
    }

    #[test]
    fn errors_give_the_position_but_never_quote_the_line() {
        let text = "addr = \"127.0.0.1:8080\"\nstroe = \"postgres://vigie:s3cret@db/vigie\"\n";
        let e = Config::from_toml(text).unwrap_err();
        assert!(e.starts_with("line 2, column 1: unknown field `stroe`"), "{e}");
        assert!(!e.contains("s3cret"), "{e}");
        let e = Config::from_toml("store = postgres://vigie:s3cret@db\n").unwrap_err();
        assert!(e.starts_with("line 1, column 9: "), "{e}");
        assert!(!e.contains("s3cret"), "{e}");
    }
}
