//! The shared store: PostgreSQL, for any number of stateless `feedmap
//! serve` replicas. A small pool of blocking connections (planners' writes
//! are few; reads that matter are cached by the server and refreshed when
//! the store's generation moves). Plain TCP without TLS: run it on loopback
//! or a private network.

use super::backend::{Arg, Backend, Cell, Dialect, Row, Tx};
use super::sql::SqlStore;
use super::{Store, StoreError};
use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls};
use std::sync::Arc;
use std::sync::Mutex;

/// The PostgreSQL backend.
pub(crate) struct Postgres {
    url: String,
    label: String,
    idle: Mutex<Vec<Client>>,
}

/// Connections kept idle for reuse.
const POOL: usize = 8;

/// What went wrong, with the database's own message and code, or the
/// underlying cause (e.g. "Connection refused") for connection errors.
fn message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => match std::error::Error::source(e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    }
}

fn err(e: postgres::Error) -> StoreError {
    StoreError::Backend {
        backend: "postgres",
        message: message(&e),
    }
}

/// The URL without its password, for logs and errors.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        Err(_) => "(unparseable URL)".into(),
    }
}

/// Connects to `url` (`postgres://user:pass@host:port/db`), checks it and
/// migrates the schema.
pub fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    let label = match url::Url::parse(url) {
        Ok(u) => format!(
            "postgres {}:{}{}",
            u.host_str().unwrap_or("localhost"),
            u.port().unwrap_or(5432),
            u.path()
        ),
        Err(e) => {
            return Err(StoreError::Backend {
                backend: "postgres",
                message: format!("--store {}: {e}", redact(url)),
            })
        }
    };
    let pg = Postgres {
        url: url.into(),
        label,
        idle: Mutex::new(Vec::new()),
    };
    Ok(Arc::new(SqlStore::new(pg)?))
}

impl Postgres {
    fn client(&self) -> Result<Client, StoreError> {
        if let Some(c) = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop() {
            if !c.is_closed() {
                return Ok(c);
            }
        }
        Client::connect(&self.url, NoTls).map_err(|e| StoreError::Backend {
            backend: "postgres",
            message: format!("cannot connect to {}: {}", redact(&self.url), message(&e)),
        })
    }

    fn give_back(&self, c: Client) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if !c.is_closed() && idle.len() < POOL {
            idle.push(c);
        }
    }
}

struct PgTx<'a, 'b>(&'a mut postgres::Transaction<'b>);

fn bind(args: &[Arg]) -> Vec<&(dyn ToSql + Sync)> {
    args.iter()
        .map(|a| match a {
            Arg::Int(v) => v as &(dyn ToSql + Sync),
            Arg::Text(s) => s as &(dyn ToSql + Sync),
        })
        .collect()
}

impl Tx for PgTx<'_, '_> {
    fn exec(&mut self, sql: &str, args: &[Arg]) -> Result<u64, StoreError> {
        self.0.execute(sql, &bind(args)).map_err(err)
    }

    fn query(&mut self, sql: &str, args: &[Arg]) -> Result<Vec<Row>, StoreError> {
        let rows = self.0.query(sql, &bind(args)).map_err(err)?;
        rows.iter()
            .map(|r| {
                (0..r.len())
                    .map(|c| {
                        let ty = r.columns()[c].type_();
                        Ok(if *ty == Type::INT8 {
                            r.try_get::<_, Option<i64>>(c)
                                .map_err(err)?
                                .map_or(Cell::Null, Cell::Int)
                        } else if *ty == Type::INT4 {
                            r.try_get::<_, Option<i32>>(c)
                                .map_err(err)?
                                .map_or(Cell::Null, |v| Cell::Int(v.into()))
                        } else if *ty == Type::TEXT || *ty == Type::VARCHAR {
                            r.try_get::<_, Option<String>>(c)
                                .map_err(err)?
                                .map_or(Cell::Null, Cell::Text)
                        } else {
                            return Err(StoreError::Backend {
                                backend: "postgres",
                                message: format!("unexpected column type {ty}"),
                            });
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Row)
            })
            .collect()
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.0.batch_execute(sql).map_err(err)
    }
}

impl Backend for Postgres {
    const DIALECT: Dialect = Dialect::Postgres;
    const SHARED: bool = true;

    fn describe(&self) -> String {
        self.label.clone()
    }

    fn transact<T>(
        &self,
        write: bool,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut client = self.client()?;
        let out = (|| {
            let mut tx = client
                .build_transaction()
                .read_only(!write)
                // A read sees one snapshot throughout (a server follows
                // the generation and the audit log read together); writes
                // serialise on the generation row instead.
                .isolation_level(if write {
                    postgres::IsolationLevel::ReadCommitted
                } else {
                    postgres::IsolationLevel::RepeatableRead
                })
                .start()
                .map_err(err)?;
            let out = f(&mut PgTx(&mut tx))?;
            tx.commit().map_err(err)?;
            Ok(out)
        })();
        self.give_back(client);
        out
    }
}
