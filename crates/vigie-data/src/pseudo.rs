//! Where the pseudonymisation key comes from: a key file, the environment or the public
//! demonstration key. The keyed hash itself is [`vigie_core::Pseudonymiser`].

use std::path::Path;

pub use vigie_core::Pseudonymiser;

use crate::{Error, Result};

/// Environment variable holding the pseudonymisation key.
pub const KEY_ENV: &str = "VIGIE_PSEUDO_KEY";

/// Resolves the key: `--demo-key` first, then a key file, then the value of
/// `VIGIE_PSEUDO_KEY` (passed in by the caller, so that tests need not touch the process
/// environment). A key file holds the key on its first line (surrounding whitespace is
/// ignored).
pub fn resolve(
    demo: bool,
    key_file: Option<&Path>,
    env_key: Option<String>,
) -> Result<Pseudonymiser> {
    if demo {
        return Ok(Pseudonymiser::demo());
    }
    let key = if let Some(path) = key_file {
        let text = std::fs::read_to_string(path)
            .map_err(|source| Error::Io { path: path.to_owned(), source })?;
        text.lines().next().unwrap_or("").trim().to_owned()
    } else {
        match env_key {
            Some(k) if !k.is_empty() => k,
            _ => return Err(Error::MissingKey),
        }
    };
    Pseudonymiser::new(key.as_bytes()).map_err(|e| Error::InvalidKey(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigie_core::Siren;

    #[test]
    fn key_resolution_order() {
        assert!(matches!(resolve(false, None, None), Err(Error::MissingKey)));
        assert!(matches!(resolve(false, None, Some(String::new())), Err(Error::MissingKey)));
        assert!(resolve(true, None, None).unwrap().is_demo());
        let env = resolve(false, None, Some("0123456789abcdef".into())).unwrap();
        assert!(!env.is_demo());
        let dir = std::env::temp_dir().join(format!("vigie-key-{}", std::process::id()));
        std::fs::write(&dir, "  fedcba9876543210fedcba  \nignored\n").unwrap();
        let from_file = resolve(false, Some(&dir), Some("0123456789abcdef".into())).unwrap();
        let direct = Pseudonymiser::new(b"fedcba9876543210fedcba").unwrap();
        let s = Siren::parse("552032534").unwrap();
        assert_eq!(
            from_file.company_id(s),
            direct.company_id(s),
            "the key file wins over the environment"
        );
        std::fs::remove_file(&dir).unwrap();
        let missing = std::path::Path::new("/nonexistent/vigie.key");
        assert!(matches!(resolve(false, Some(missing), None), Err(Error::Io { .. })));
        assert!(matches!(resolve(false, None, Some("short".into())), Err(Error::InvalidKey(_))));
    }
}
