//! The embedded store: one SQLite file, `DIR/feedmap.sqlite`, in WAL mode
//! with `synchronous = FULL`, so a write acknowledged to a client survives
//! the process being killed (and a power cut) — the crash test checks it.
//! One connection behind a mutex: planners' writes are few, and SQLite
//! serialises writers anyway. For several servers use PostgreSQL.

use super::backend::{Arg, Backend, Cell, Dialect, Row, Tx};
use super::sql::SqlStore;
use super::{Store, StoreError};
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::{Connection, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;

/// The file name inside the data directory.
pub const FILE_NAME: &str = "feedmap.sqlite";

/// The SQLite backend.
pub(crate) struct Sqlite {
    conn: Mutex<Connection>,
    path: PathBuf,
}

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend {
        backend: "sqlite",
        message: e.to_string(),
    }
}

/// Opens (creating if needed) the store in data directory `dir`, checks
/// the file is sound and migrates it.
pub fn open(dir: &Path) -> Result<Arc<dyn Store>, StoreError> {
    std::fs::create_dir_all(dir).map_err(|e| {
        err(format!(
            "cannot create data directory {}: {e}",
            dir.display()
        ))
    })?;
    let path = dir.join(FILE_NAME);
    let conn = Connection::open(&path).map_err(|e| err(format!("{}: {e}", path.display())))?;
    let setup = || -> rusqlite::Result<String> {
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
        let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
        Ok(format!("{mode}/{check}"))
    };
    match setup() {
        Ok(s) if s == "wal/ok" => {}
        Ok(s) => {
            return Err(err(format!(
                "{}: the database is not sound (journal mode / quick_check: {s})",
                path.display()
            )))
        }
        Err(e) => return Err(err(format!("{}: {e}", path.display()))),
    }
    Ok(Arc::new(SqlStore::new(Sqlite {
        conn: Mutex::new(conn),
        path,
    })?))
}

struct SqliteTx<'a>(&'a rusqlite::Transaction<'a>);

fn bind(args: &[Arg]) -> Vec<ToSqlOutput<'_>> {
    args.iter()
        .map(|a| match a {
            Arg::Int(Some(v)) => ToSqlOutput::Owned(Value::Integer(*v)),
            Arg::Text(Some(s)) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Arg::Int(None) | Arg::Text(None) => ToSqlOutput::Owned(Value::Null),
        })
        .collect()
}

impl Tx for SqliteTx<'_> {
    fn exec(&mut self, sql: &str, args: &[Arg]) -> Result<u64, StoreError> {
        let mut stmt = self.0.prepare_cached(sql).map_err(err)?;
        let n = stmt
            .execute(rusqlite::params_from_iter(bind(args)))
            .map_err(err)?;
        Ok(n as u64)
    }

    fn query(&mut self, sql: &str, args: &[Arg]) -> Result<Vec<Row>, StoreError> {
        let mut stmt = self.0.prepare_cached(sql).map_err(err)?;
        let width = stmt.column_count();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(bind(args)))
            .map_err(err)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(err)? {
            let mut cells = Vec::with_capacity(width);
            for c in 0..width {
                cells.push(match r.get_ref(c).map_err(err)? {
                    ValueRef::Null => Cell::Null,
                    ValueRef::Integer(v) => Cell::Int(v),
                    ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
                    other => {
                        return Err(err(format!(
                            "unexpected column type {:?}",
                            other.data_type()
                        )))
                    }
                });
            }
            out.push(Row(cells));
        }
        Ok(out)
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.0.execute_batch(sql).map_err(err)
    }
}

impl Backend for Sqlite {
    const DIALECT: Dialect = Dialect::Sqlite;
    const SHARED: bool = false;

    fn describe(&self) -> String {
        format!("sqlite {}", self.path.display())
    }

    fn transact<T>(
        &self,
        write: bool,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let behaviour = if write {
            TransactionBehavior::Immediate
        } else {
            TransactionBehavior::Deferred
        };
        let tx = conn.transaction_with_behavior(behaviour).map_err(err)?;
        let out = f(&mut SqliteTx(&tx))?;
        tx.commit().map_err(err)?;
        Ok(out)
    }
}
