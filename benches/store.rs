//! The store's cost per operation: a durable write (one transaction with
//! its audit entry; SQLite fsyncs the WAL on every commit), the generation
//! check every plan or list request makes, and reading every decision.
//! PostgreSQL is measured when `FEEDMAP_TEST_POSTGRES` names a server (a
//! throwaway database is created and dropped).

use criterion::{criterion_group, criterion_main, Criterion};
use feedmap::decision::DecisionKind;
use feedmap::store::{DecisionPatch, Expect, Location, NewDecision, Store};
use std::sync::Arc;

fn exercise(c: &mut Criterion, name: &str, store: Arc<dyn Store>) {
    let mut g = c.benchmark_group(name);
    g.sample_size(20);
    for i in 0..200 {
        store
            .create_decision(
                "bench",
                NewDecision {
                    layer: "communities".into(),
                    area_id: format!("C{i}"),
                    members: Vec::new(),
                    decision: DecisionKind::Defer,
                    note: String::new(),
                    name: None,
                    params: None,
                },
            )
            .unwrap();
    }
    let id = store.decisions().unwrap()[0].id;
    let mut n = 0u64;
    g.bench_function("update_decision", |b| {
        b.iter(|| {
            n += 1;
            store
                .update_decision(
                    "bench",
                    id,
                    Expect::Any,
                    DecisionPatch {
                        decision: None,
                        note: Some(format!("note {n}")),
                        name: None,
                    },
                )
                .unwrap()
        })
    });
    g.bench_function("generation", |b| b.iter(|| store.generation().unwrap()));
    g.bench_function("decisions_200", |b| b.iter(|| store.decisions().unwrap()));
    g.finish();
}

fn sqlite(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = Location::Sqlite(dir.path().to_path_buf()).open().unwrap();
    exercise(c, "sqlite", store);
}

fn postgres(c: &mut Criterion) {
    let Ok(admin) = std::env::var("FEEDMAP_TEST_POSTGRES") else {
        eprintln!("postgres: FEEDMAP_TEST_POSTGRES is not set; skipped");
        return;
    };
    let name = format!("feedmap_bench_{}", std::process::id());
    let mut client = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_path(&format!("/{name}"));
    {
        let store = Location::Postgres(url.to_string()).open().unwrap();
        exercise(c, "postgres", store);
    }
    client
        .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .unwrap();
}

criterion_group!(benches, sqlite, postgres);
criterion_main!(benches);
