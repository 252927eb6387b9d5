//! Bearer tokens for writes. Reads are public; every write names a token
//! from the tokens file (`feedmap serve --tokens FILE` or
//! `FEEDMAP_TOKENS_FILE`), whose `name` goes into the audit log.
//!
//! ```toml
//! [[tokens]]
//! name = "planner-a"   # goes into the audit log
//! token = "…"          # at least 16 characters; compared in constant time
//! role = "planner"     # planner (read + write) | reader (read only)
//!                      # | integrator (read; its own webhooks)
//! ```
//!
//! An `integrator` token is for an outside organisation (a council's web
//! team): it reads what a reader token reads, and registers, tests,
//! changes, pauses and removes the webhooks it registered itself — no
//! other write, and no other token's webhook.
//!
//! Tokens are kept only as SHA-256 digests and compared in constant time
//! against every entry (no early exit), so neither timing nor a memory dump
//! gives them away; they are never logged.

use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use subtle::ConstantTimeEq;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenRole {
    /// Read and write.
    Planner,
    /// Read only (reads need no token; a reader token on a write is 403).
    Reader,
    /// Read, and manage its own webhooks; every other write is 403.
    Integrator,
}

impl TokenRole {
    /// The word used in the tokens file and in answers.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenRole::Planner => "planner",
            TokenRole::Reader => "reader",
            TokenRole::Integrator => "integrator",
        }
    }
}

/// Who a request is, once its token checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token's name, for the audit log.
    pub name: String,
    /// Its role.
    pub role: TokenRole,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    tokens: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    token: String,
    role: TokenRole,
}

/// The shortest token accepted: guessing 16 random characters is hopeless.
pub const MIN_TOKEN_LEN: usize = 16;

/// The loaded tokens.
#[derive(Debug, Default)]
pub struct Tokens {
    entries: Vec<(Caller, [u8; 32])>,
}

/// Why a command-line write was refused.
#[derive(Debug, thiserror::Error)]
pub enum WriterError {
    /// No tokens file or no token given.
    #[error(
        "writes need a planner token: --tokens FILE (or FEEDMAP_TOKENS_FILE) and FEEDMAP_TOKEN"
    )]
    Missing,
    /// The tokens file is unusable.
    #[error(transparent)]
    File(#[from] TokensError),
    /// The token is not in the file.
    #[error("the token is not in {}", .0.display())]
    Unknown(PathBuf),
    /// A reader's or integrator's token: its name and what it is.
    #[error("token {0:?} is {1}; writes need a planner token")]
    ReadOnly(String, &'static str),
}

/// The name of the planner a command-line write is made by: `token` must
/// be a planner token of the tokens file `file` (as a server would check
/// it). The name goes into the audit log.
pub fn planner_name(file: Option<&Path>, token: Option<&str>) -> Result<String, WriterError> {
    let (Some(file), Some(token)) = (file, token) else {
        return Err(WriterError::Missing);
    };
    let tokens = Tokens::load(file)?;
    let caller = tokens
        .check(token)
        .ok_or_else(|| WriterError::Unknown(file.to_path_buf()))?;
    if caller.role != TokenRole::Planner {
        let what = match caller.role {
            TokenRole::Integrator => "an integrator's (its own webhooks only)",
            _ => "read-only",
        };
        return Err(WriterError::ReadOnly(caller.name.clone(), what));
    }
    Ok(caller.name.clone())
}

/// Why a tokens file was refused.
#[derive(Debug, thiserror::Error)]
pub enum TokensError {
    /// Unreadable.
    #[error("tokens file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not the expected TOML.
    #[error("tokens file {}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What and where (never the token itself).
        message: String,
    },
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Tokens {
    /// Reads and checks a tokens file: at least one token, names and tokens
    /// unique and non-empty, tokens at least [`MIN_TOKEN_LEN`] characters.
    pub fn load(path: &Path) -> Result<Tokens, TokensError> {
        let text = std::fs::read_to_string(path).map_err(|source| TokensError::Io {
            path: path.into(),
            source,
        })?;
        let invalid = |message: String| TokensError::Invalid {
            path: path.into(),
            message,
        };
        // toml's message can quote the offending line, which may hold a
        // token; only its position is passed on.
        let file: File = toml::from_str(&text).map_err(|e| {
            let at = e
                .span()
                .map(|s| {
                    let line = text[..s.start].lines().count().max(1);
                    format!(" at line {line}")
                })
                .unwrap_or_default();
            let what = e.message().lines().next().unwrap_or("").to_string();
            let what = if what.contains('"') || what.contains('\'') {
                "invalid value".to_string()
            } else {
                what
            };
            invalid(format!("{what}{at} (expected [[tokens]] tables with name, token and role = \"planner\" | \"reader\")"))
        })?;
        if file.tokens.is_empty() {
            return Err(invalid("no [[tokens]] entries".into()));
        }
        let mut entries: Vec<(Caller, [u8; 32])> = Vec::new();
        for (i, e) in file.tokens.into_iter().enumerate() {
            let at = format!("[[tokens]] #{} ({:?})", i + 1, e.name);
            if e.name.trim().is_empty() {
                return Err(invalid(format!("[[tokens]] #{}: name is empty", i + 1)));
            }
            if e.token.chars().count() < MIN_TOKEN_LEN {
                return Err(invalid(format!(
                    "{at}: token is shorter than {MIN_TOKEN_LEN} characters"
                )));
            }
            let d = digest(&e.token);
            if let Some((c, _)) = entries.iter().find(|(c, x)| c.name == e.name || *x == d) {
                return Err(invalid(format!(
                    "{at}: name or token already used by {:?}",
                    c.name
                )));
            }
            entries.push((
                Caller {
                    name: e.name,
                    role: e.role,
                },
                d,
            ));
        }
        Ok(Tokens { entries })
    }

    /// Whether any token is configured (without, every write is refused).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The caller a presented token belongs to, if any. Every entry is
    /// compared, in constant time.
    pub fn check(&self, presented: &str) -> Option<&Caller> {
        let d = digest(presented);
        let mut found = None;
        for (caller, x) in &self.entries {
            if bool::from(x.ct_eq(&d)) {
                found = Some(caller);
            }
        }
        found
    }
}
