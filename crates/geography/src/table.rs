//! The manifest's CSV tables (`[postcodes]`, `[feeds]`, `[addresses]`), all
//! read one way: columns found by name, rows numbered by their line, every
//! problem reported with file, table, line and reason.

use crate::validate::{quoted, Problem, ProblemKind};
use csv::StringRecord;
use std::fs::File;
use std::path::{Path, PathBuf};

/// An open CSV table.
pub struct Table {
    file: PathBuf,
    name: &'static str,
    headers: StringRecord,
    reader: csv::Reader<File>,
}

impl Table {
    /// Opens `file` as the manifest table `name` (e.g. `[feeds]`) and reads
    /// its header, reporting an unreadable file or header.
    pub fn open(file: &Path, name: &'static str, problems: &mut Vec<Problem>) -> Option<Table> {
        let unreadable = |detail: String| Problem {
            file: file.to_path_buf(),
            layer: name.to_string(),
            feature: None,
            row: None,
            id: None,
            kind: ProblemKind::UnreadableFile,
            detail,
        };
        let mut reader = match csv::ReaderBuilder::new().flexible(true).from_path(file) {
            Ok(r) => r,
            Err(e) => {
                problems.push(unreadable(format!("cannot read: {e}")));
                return None;
            }
        };
        match reader.headers() {
            Ok(h) => Some(Table {
                file: file.to_path_buf(),
                name,
                headers: h.clone(),
                reader,
            }),
            Err(e) => {
                problems.push(unreadable(format!("no readable header row: {e}")));
                None
            }
        }
    }

    /// The position of an optional column.
    pub fn find(&self, column: &str) -> Option<usize> {
        self.headers.iter().position(|h| h.trim() == column)
    }

    /// The header of column `i`, trimmed.
    pub fn header(&self, i: usize) -> &str {
        self.headers.get(i).unwrap_or("").trim()
    }

    /// The header, for messages: its columns joined by commas.
    pub fn header_list(&self) -> String {
        self.headers.iter().collect::<Vec<_>>().join(", ")
    }

    /// The position of a required column, or a `missing_column` problem.
    pub fn column(&self, column: &str, problems: &mut Vec<Problem>) -> Option<usize> {
        let found = self.find(column);
        if found.is_none() {
            problems.push(self.problem(
                1,
                None,
                ProblemKind::MissingColumn,
                format!(
                    "no column {column:?}; the header has: {}",
                    self.header_list()
                ),
            ));
        }
        found
    }

    /// A problem about line `line` of this table.
    pub fn problem(
        &self,
        line: usize,
        id: Option<&str>,
        kind: ProblemKind,
        detail: impl Into<String>,
    ) -> Problem {
        Problem::at_row(&self.file, self.name, line, id, kind, detail)
    }

    /// Calls `f` with each row and its line number. A row the CSV parser
    /// cannot read is reported and ends the table (what follows it cannot be
    /// trusted to line up).
    pub fn rows(
        mut self,
        problems: &mut Vec<Problem>,
        mut f: impl FnMut(&Table, usize, &StringRecord, &mut Vec<Problem>),
    ) {
        let mut record = StringRecord::new();
        let mut line = 1;
        loop {
            match self.reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => line = record.position().map_or(line + 1, |p| p.line() as usize),
                Err(e) => {
                    problems.push(self.problem(
                        line + 1,
                        None,
                        ProblemKind::UnreadableFile,
                        e.to_string(),
                    ));
                    break;
                }
            }
            f(&self, line, &record, problems);
        }
    }
}

/// Parses a coordinate cell, with the reason when it is unusable.
pub fn coordinate(value: &str, what: &str, range: f64) -> Result<f64, String> {
    let v: f64 = value
        .trim()
        .parse()
        .map_err(|_| format!("{what} {} is not a number", quoted(value)))?;
    if !v.is_finite() || v.abs() > range {
        return Err(format!(
            "{what} {} is outside -{range}..{range}",
            quoted(value)
        ));
    }
    Ok(v)
}
