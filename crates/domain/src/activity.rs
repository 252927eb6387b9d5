//! Feed activity without calling any platform: days of posts and
//! followers read from the CSV a social media management platform (or a
//! platform's own analytics) exports, and what they say about a feed.
//!
//! The CSV has a header and one row per feed and day:
//!
//! | column      | required | holds                                                   |
//! |-------------|----------|---------------------------------------------------------|
//! | `handle`    | yes*     | the account handle, with or without `@`, any case        |
//! | `feed_id`   | yes*     | the feed id instead of (or as well as) the handle        |
//! | `platform`  | no       | `x`, `facebook`, …: tells apart one handle on two platforms |
//! | `date`      | yes      | the day, `YYYY-MM-DD`                                    |
//! | `posts`     | yes      | posts published that day, a whole number ≥ 0             |
//! | `followers` | no       | followers at the end of the day, a whole number ≥ 0      |
//!
//! (*) one of `handle` and `feed_id`. A file is taken whole or not at all:
//! every bad row is reported by line (an unknown handle, a bad date or
//! count, a day given twice) and nothing is recorded while any remain.

use crate::feeds::{Feed, FeedRegistry};
use feedmap_geography::calendar::{add_days, days_between, is_date};
use feedmap_geography::validate::{quoted, Problem, ProblemKind};
use feedmap_store::ActivityDay;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Recorded activity: feed id → date (`YYYY-MM-DD`) → that day.
pub type Activity = BTreeMap<String, BTreeMap<String, ActivityDay>>;

/// Adds days to `into`; a day already there for the feed is replaced.
pub fn add(into: &mut Activity, days: impl IntoIterator<Item = ActivityDay>) {
    for d in days {
        into.entry(d.feed_id.clone())
            .or_default()
            .insert(d.date.clone(), d);
    }
}

/// A handle as compared: without `@`, a URL's path or surrounding space,
/// lowercase (platforms treat handles case-insensitively).
pub fn normalise_handle(h: &str) -> String {
    let h = h.trim();
    let h = match url::Url::parse(h) {
        Ok(u) if u.host_str().is_some() => u
            .path_segments()
            .and_then(|mut s| s.find(|p| !p.is_empty()).map(str::to_string))
            .unwrap_or_default(),
        _ => h.to_string(),
    };
    h.trim_start_matches('@').trim_matches('/').to_lowercase()
}

/// Feeds by normalised handle, every status (activity of a retired feed is
/// still its history).
pub fn by_handle(feeds: &FeedRegistry) -> HashMap<String, Vec<&Feed>> {
    let mut out: HashMap<String, Vec<&Feed>> = HashMap::new();
    for f in &feeds.feeds {
        out.entry(normalise_handle(&f.fields.handle))
            .or_default()
            .push(f);
    }
    out
}

/// Reads an activity CSV (`name` for messages) against the feeds it may
/// name. Returns the days, or every problem, each with its line.
pub fn read_csv(
    name: &str,
    bytes: &[u8],
    feeds: &FeedRegistry,
) -> Result<Vec<ActivityDay>, Vec<Problem>> {
    let file = Path::new(name);
    let mut problems = Vec::new();
    let problem = |line: usize, id: Option<&str>, kind: ProblemKind, detail: String| {
        Problem::at_row(file, "[activity]", line, id, kind, detail)
    };
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            return Err(vec![problem(
                1,
                None,
                ProblemKind::UnreadableFile,
                format!("no readable header row: {e}"),
            )])
        }
    };
    let find = |c: &str| {
        headers.iter().position(|h| {
            h.trim()
                .trim_start_matches('\u{feff}')
                .eq_ignore_ascii_case(c)
        })
    };
    let (handle, feed_id, platform, date, posts, followers) = (
        find("handle"),
        find("feed_id"),
        find("platform"),
        find("date"),
        find("posts"),
        find("followers"),
    );
    let header = headers.iter().collect::<Vec<_>>().join(", ");
    if handle.is_none() && feed_id.is_none() {
        problems.push(problem(
            1,
            None,
            ProblemKind::MissingColumn,
            format!("no column \"handle\" or \"feed_id\"; the header has: {header}"),
        ));
    }
    for (c, col) in [("date", date), ("posts", posts)] {
        if col.is_none() {
            problems.push(problem(
                1,
                None,
                ProblemKind::MissingColumn,
                format!("no column {c:?}; the header has: {header}"),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let handles = by_handle(feeds);
    let mut days: Vec<ActivityDay> = Vec::new();
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    let mut record = csv::StringRecord::new();
    let mut line = 1;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => line = record.position().map_or(line + 1, |p| p.line() as usize),
            Err(e) => {
                problems.push(problem(
                    line + 1,
                    None,
                    ProblemKind::UnreadableFile,
                    e.to_string(),
                ));
                break;
            }
        }
        let get = |c: Option<usize>| c.and_then(|c| record.get(c)).map(str::trim).unwrap_or("");
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let who = if get(feed_id).is_empty() {
            get(handle)
        } else {
            get(feed_id)
        };
        let mut bad = |kind: ProblemKind, detail: String| {
            problems.push(problem(line, Some(who), kind, detail));
        };
        let feed = if !get(feed_id).is_empty() {
            match feeds.get(get(feed_id)) {
                Some(f) => Some(f.feed_id.clone()),
                None => {
                    bad(
                        ProblemKind::UnknownFeed,
                        format!(
                            "feed_id {} is not a feed of the region",
                            quoted(get(feed_id))
                        ),
                    );
                    None
                }
            }
        } else if get(handle).is_empty() {
            bad(ProblemKind::MissingHandle, "the handle is empty".into());
            None
        } else {
            let want = get(platform).to_lowercase();
            let found: Vec<&&Feed> = handles
                .get(&normalise_handle(get(handle)))
                .into_iter()
                .flatten()
                .filter(|f| want.is_empty() || f.fields.platform == want)
                .collect();
            match found.as_slice() {
                [one] => Some(one.feed_id.clone()),
                [] => {
                    bad(
                        ProblemKind::UnknownFeed,
                        format!(
                            "handle {:?}{} is not a feed of the region",
                            get(handle),
                            if want.is_empty() {
                                String::new()
                            } else {
                                format!(" on {want}")
                            }
                        ),
                    );
                    None
                }
                many => {
                    bad(
                        ProblemKind::UnknownFeed,
                        format!(
                            "handle {:?} is feeds {}; add a platform column to tell them apart",
                            get(handle),
                            many.iter()
                                .map(|f| f.feed_id.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                    None
                }
            }
        };
        let d = get(date);
        let day_ok = is_date(d);
        if !day_ok {
            bad(
                ProblemKind::BadValue,
                format!("date {} is not a date (YYYY-MM-DD)", quoted(d)),
            );
        }
        let count = |what: &str, v: &str| -> Result<Option<i64>, String> {
            if v.is_empty() {
                return Ok(None);
            }
            match v.replace(',', "").parse::<i64>() {
                Ok(n) if n >= 0 => Ok(Some(n)),
                _ => Err(format!(
                    "{what} {} is not a whole number of 0 or more",
                    quoted(v)
                )),
            }
        };
        let posts_n = match count("posts", get(posts)) {
            Ok(Some(n)) => Some(n),
            Ok(None) => {
                bad(ProblemKind::BadValue, "posts is empty".into());
                None
            }
            Err(e) => {
                bad(ProblemKind::BadValue, e);
                None
            }
        };
        let followers_n = match count("followers", get(followers)) {
            Ok(n) => Some(n),
            Err(e) => {
                bad(ProblemKind::BadValue, e);
                None
            }
        };
        if let (Some(feed), true, Some(posts), Some(followers)) =
            (feed, day_ok, posts_n, followers_n)
        {
            match seen.get(&(feed.clone(), d.to_string())) {
                Some(first) => bad(
                    ProblemKind::DuplicateId,
                    format!("feed {feed} on {d} is already given on line {first}"),
                ),
                None => {
                    seen.insert((feed.clone(), d.to_string()), line);
                    days.push(ActivityDay {
                        feed_id: feed,
                        date: d.to_string(),
                        posts,
                        followers,
                    });
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(days)
    } else {
        Err(problems)
    }
}

/// Reads the region's activity file; with `relative_to_today`, every date
/// moves by the days between the file's newest date and `today`.
pub fn load(
    file: &Path,
    feeds: &FeedRegistry,
    relative_to_today: Option<&str>,
    problems: &mut Vec<Problem>,
) -> Vec<ActivityDay> {
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            problems.push(Problem::at_row(
                file,
                "[activity]",
                1,
                None,
                ProblemKind::UnreadableFile,
                format!("cannot read: {e}"),
            ));
            return Vec::new();
        }
    };
    match read_csv(&file.to_string_lossy(), &bytes, feeds) {
        Ok(mut days) => {
            if let Some(today) = relative_to_today {
                if let Some(shift) = days
                    .iter()
                    .map(|d| d.date.as_str())
                    .max()
                    .and_then(|newest| days_between(newest, today))
                {
                    for d in &mut days {
                        d.date = add_days(&d.date, shift).unwrap_or_else(|| d.date.clone());
                    }
                }
            }
            days
        }
        Err(mut found) => {
            problems.append(&mut found);
            Vec::new()
        }
    }
}

/// What the recorded days say about one feed as of a date.
#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Summary {
    /// The last day with a post, on or before the date.
    pub last_post: Option<String>,
    /// Whole days from `last_post` to the date.
    pub days_since_post: Option<i64>,
    /// Posts in the 90 days up to the date.
    pub posts_90_days: i64,
    /// The latest follower count recorded on or before the date.
    pub followers: Option<i64>,
    /// Whether any day is recorded at all.
    pub recorded: bool,
}

/// The activity in effect: the region's file and the store's records, a
/// day the store has replacing the file's — read together, never copied.
#[derive(Debug, Clone, Copy)]
pub struct Sources<'a> {
    /// The region's activity file.
    pub file: &'a Activity,
    /// What the store recorded.
    pub store: &'a Activity,
}

impl Sources<'_> {
    /// What the days of `feed_id` say as of `at`.
    pub fn summary(&self, feed_id: &str, at: &str) -> Summary {
        Summary::of(self.file.get(feed_id), self.store.get(feed_id), at)
    }
}

impl Summary {
    /// Summarises one feed's days as of `at`, from two sources by date (a
    /// day in `over` replaces the same day in `under`). Walks back from
    /// `at`, so the cost is the 90-day window, not the whole history.
    pub fn of(
        under: Option<&BTreeMap<String, ActivityDay>>,
        over: Option<&BTreeMap<String, ActivityDay>>,
        at: &str,
    ) -> Summary {
        let mut s = Summary::default();
        let empty = BTreeMap::new();
        let (mut a, mut b) = (
            under
                .unwrap_or(&empty)
                .range(..=at.to_string())
                .rev()
                .peekable(),
            over.unwrap_or(&empty)
                .range(..=at.to_string())
                .rev()
                .peekable(),
        );
        let window_start = add_days(at, -89).unwrap_or_default();
        loop {
            // The later date first; on the same date, `over` wins.
            let d = match (a.peek(), b.peek()) {
                (None, None) => break,
                (Some(_), None) => a.next().map(|x| x.1),
                (None, Some(_)) => b.next().map(|x| x.1),
                (Some(x), Some(y)) if x.0 > y.0 => a.next().map(|x| x.1),
                (Some(x), Some(y)) if x.0 == y.0 => {
                    a.next();
                    b.next().map(|x| x.1)
                }
                _ => b.next().map(|x| x.1),
            };
            let Some(d) = d else { break };
            s.recorded = true;
            if d.posts > 0 {
                if s.last_post.is_none() {
                    s.last_post = Some(d.date.clone());
                }
                if d.date >= window_start {
                    s.posts_90_days += d.posts;
                }
            }
            if s.followers.is_none() {
                s.followers = d.followers;
            }
            let done = s.last_post.is_some() && s.followers.is_some() && d.date < window_start;
            if done {
                break;
            }
        }
        s.days_since_post = s.last_post.as_deref().and_then(|p| days_between(p, at));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(list: &[(&str, i64, Option<i64>)]) -> BTreeMap<String, ActivityDay> {
        list.iter()
            .map(|(d, p, f)| {
                (
                    d.to_string(),
                    ActivityDay {
                        feed_id: "F".into(),
                        date: d.to_string(),
                        posts: *p,
                        followers: *f,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn a_summary_reads_both_sources_the_store_winning_on_a_day() {
        let file = days(&[
            ("2026-01-01", 4, Some(10)),
            ("2026-03-01", 2, Some(20)),
            ("2026-03-05", 1, None),
            ("2026-04-01", 9, Some(99)),
        ]);
        let store = days(&[("2026-03-05", 0, Some(30)), ("2026-02-01", 1, None)]);
        let s = Summary::of(Some(&file), Some(&store), "2026-03-10");
        // 03-05 is the store's (no post, 30 followers); 04-01 is after `at`.
        assert_eq!(s.last_post.as_deref(), Some("2026-03-01"));
        assert_eq!(s.days_since_post, Some(9));
        assert_eq!(s.followers, Some(30));
        // The 90 days to 03-10 start on 12-11: 01-01, 02-01 and 03-01.
        assert_eq!(s.posts_90_days, 4 + 1 + 2);
        assert!(s.recorded);
        let none = Summary::of(None, None, "2026-03-10");
        assert!(!none.recorded && none.last_post.is_none());
        let quiet = Summary::of(
            Some(&days(&[("2026-03-01", 0, Some(5))])),
            None,
            "2026-03-10",
        );
        assert!(quiet.recorded && quiet.last_post.is_none() && quiet.followers == Some(5));
    }

    #[test]
    fn handles_compare_without_at_case_or_url() {
        for h in [
            "@GMPTrafford",
            "gmptrafford",
            " https://x.com/GMPTrafford?s=1 ",
            "https://twitter.com/GMPTrafford/",
        ] {
            assert_eq!(normalise_handle(h), "gmptrafford", "{h}");
        }
    }
}
