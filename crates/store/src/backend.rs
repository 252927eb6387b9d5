//! The minimal SQL interface both backends implement (a transaction that
//! runs statements with typed parameters, rows of typed cells), on which
//! the schema's migrations and the store's queries are written once.

use crate::StoreError;

/// A bound parameter; typed even when null, as PostgreSQL needs.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    /// BIGINT / INTEGER.
    Int(Option<i64>),
    /// TEXT.
    Text(Option<String>),
}

pub(crate) fn t(s: impl Into<String>) -> Arg {
    Arg::Text(Some(s.into()))
}

pub(crate) fn ot(s: Option<impl Into<String>>) -> Arg {
    Arg::Text(s.map(Into::into))
}

pub(crate) fn i(v: i64) -> Arg {
    Arg::Int(Some(v))
}

/// A result value.
#[derive(Debug, Clone)]
pub(crate) enum Cell {
    Null,
    Int(i64),
    Text(String),
}

/// A result row.
pub(crate) struct Row(pub Vec<Cell>);

pub(crate) fn corrupt(backend: &'static str, what: String) -> StoreError {
    StoreError::Backend {
        backend,
        message: what,
    }
}

impl Row {
    pub(crate) fn int(&self, i: usize) -> Result<i64, StoreError> {
        match self.0.get(i) {
            Some(Cell::Int(v)) => Ok(*v),
            other => Err(corrupt(
                "sql",
                format!("column {i}: expected an integer, found {other:?}"),
            )),
        }
    }

    pub(crate) fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
        match self.0.get(i) {
            Some(Cell::Text(s)) => Ok(Some(s.clone())),
            Some(Cell::Null) => Ok(None),
            other => Err(corrupt(
                "sql",
                format!("column {i}: expected text, found {other:?}"),
            )),
        }
    }

    pub(crate) fn text(&self, i: usize) -> Result<String, StoreError> {
        self.opt_text(i)?
            .ok_or_else(|| corrupt("sql", format!("column {i}: unexpected NULL")))
    }

    pub(crate) fn json<T: serde::de::DeserializeOwned>(
        &self,
        i: usize,
    ) -> Result<Option<T>, StoreError> {
        self.opt_text(i)?
            .map(|s| {
                serde_json::from_str(&s)
                    .map_err(|e| corrupt("sql", format!("column {i} holds bad JSON: {e}")))
            })
            .transpose()
    }
}

/// One transaction.
pub(crate) trait Tx {
    /// Runs a statement; the number of rows it changed.
    fn exec(&mut self, sql: &str, args: &[Arg]) -> Result<u64, StoreError>;
    /// Runs a query.
    fn query(&mut self, sql: &str, args: &[Arg]) -> Result<Vec<Row>, StoreError>;
    /// Runs several statements without parameters (migrations).
    fn batch(&mut self, sql: &str) -> Result<(), StoreError>;
}

/// Which SQL the schema is written in (the only place they differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// A database connection (or pool) that runs transactions.
pub(crate) trait Backend: Send + Sync + 'static {
    /// The schema dialect.
    const DIALECT: Dialect;
    /// Whether several servers may share it.
    const SHARED: bool;
    /// For logs and `Store::describe`.
    fn describe(&self) -> String;
    /// Runs `f` in one transaction: committed if it returns `Ok`, rolled
    /// back otherwise. A write transaction takes the write lock up front.
    fn transact<T>(
        &self,
        write: bool,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, StoreError>,
    ) -> Result<T, StoreError>;
}
