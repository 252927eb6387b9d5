//! What the library's unit tests share (built for tests only; the
//! integration tests' `common` module includes this file too).

/// A seeded generator (xorshift) of numbers in `[0, 1)`: the same sequence
/// from the same seed on every run.
pub fn seeded(seed: u64) -> impl FnMut() -> f64 {
    let mut state = seed;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    }
}
