//! Terminal progress for long work (loading national-scale regions).
//!
//! Bars draw on stderr only when it is a terminal a person is watching, so
//! logs, pipes, tests and CI stay clean.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar of `len` steps labelled `what`, hidden unless stderr is an
/// attended terminal.
pub fn bar(len: usize, what: &str) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template("{msg:>28} [{bar:30}] {pos}/{len} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}
