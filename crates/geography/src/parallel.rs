//! Work spread over all cores with results in input order.
//!
//! Loading and planning do many independent geometric computations (one per
//! area); running them on every core matters on national data. Workers take
//! fixed-size chunks from a shared counter, and the results come back in
//! index order, so what is computed never depends on the core count.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Items per chunk a worker takes at a time: small enough to balance uneven
/// areas, large enough that the counter is not contended.
const CHUNK: usize = 32;

/// `f(0), f(1), …, f(n - 1)` computed on all cores, returned in order, with
/// a progress bar labelled `what` on an attended terminal.
pub fn map_indexed<T: Send>(n: usize, what: &str, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let progress = crate::progress::bar(n, what);
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let mut parts: Vec<(usize, Vec<T>)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads.min(n.div_ceil(CHUNK)).max(1))
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let start = next.fetch_add(CHUNK, Ordering::Relaxed);
                        if start >= n {
                            break done;
                        }
                        let end = (start + CHUNK).min(n);
                        done.push((start, (start..end).map(&f).collect()));
                        progress.inc((end - start) as u64);
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("worker thread panicked"))
            .collect()
    });
    progress.finish_and_clear();
    parts.sort_unstable_by_key(|(start, _)| *start);
    parts.into_iter().flat_map(|(_, chunk)| chunk).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_come_back_in_order() {
        for n in [0, 1, 31, 32, 33, 1000] {
            let v = super::map_indexed(n, "test", |i| i * 2);
            assert_eq!(v, (0..n).map(|i| i * 2).collect::<Vec<_>>());
        }
    }
}
