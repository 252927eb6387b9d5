//! A neighbourhood's published contacts and priorities: what makes them
//! valid, where each stands in a view (a boundary release may attach a
//! page to a successor area), and reading them from a planner's file.
//! Setting them against what is served is the `publish` module's.
//!
//! The contacts are the Neighbourhood Policing Guarantee's named,
//! contactable officers, chosen by planners for publication; they are not
//! the feed administrators (whose names stay private). data.police.uk's
//! `people` and `priorities` answer from them (`police_api`), and
//! the Guarantee view (`health::guarantee`) counts them.

use feedmap_geography::calendar;
use feedmap_store::{Contact, ContactWays, Page, PagePart, Priority};
use std::collections::HashMap;
use std::sync::Arc;

/// Most contacts one neighbourhood publishes.
pub const MAX_PEOPLE: usize = 50;
/// Most priorities one neighbourhood lists.
pub const MAX_PRIORITIES: usize = 50;
/// Longest name or rank, in characters.
pub const MAX_NAME: usize = 100;
/// Longest bio, issue or action, in characters.
pub const MAX_TEXT: usize = 2000;

/// A field of a contact or priority that is not acceptable: where (e.g.
/// `people[1].contact_details.email`) and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    /// The field, with its list index.
    pub field: String,
    /// What is wrong, and what would do.
    pub message: String,
}

fn invalid(field: String, message: impl Into<String>) -> Invalid {
    Invalid {
        field,
        message: message.into(),
    }
}

/// `value` trimmed; refused when longer than `max` characters or holding
/// control characters (a line break is allowed where `lines`).
fn text(field: &str, value: &str, max: usize, lines: bool) -> Result<String, Invalid> {
    let v = value.trim();
    if v.chars().count() > max {
        return Err(invalid(field.into(), format!("is over {max} characters")));
    }
    if v.chars()
        .any(|c| c.is_control() && !(lines && (c == '\n' || c == '\r' || c == '\t')))
    {
        return Err(invalid(field.into(), "holds a control character"));
    }
    Ok(v.to_string())
}

/// An optional text: trimmed, and empty is none.
fn optional(
    field: &str,
    value: Option<String>,
    max: usize,
    lines: bool,
) -> Result<Option<String>, Invalid> {
    value
        .map(|v| text(field, &v, max, lines))
        .transpose()
        .map(|v| v.filter(|s| !s.is_empty()))
}

fn email(field: &str, v: Option<String>) -> Result<Option<String>, Invalid> {
    let Some(v) = optional(field, v, 254, false)? else {
        return Ok(None);
    };
    let ok = match v.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !v.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if !ok {
        return Err(invalid(
            field.into(),
            format!("{v:?} is not an email address (like neighbourhood.team@police.example)"),
        ));
    }
    Ok(Some(v))
}

fn phone(field: &str, v: Option<String>) -> Result<Option<String>, Invalid> {
    let Some(v) = optional(field, v, 30, false)? else {
        return Ok(None);
    };
    let digits = v.chars().filter(char::is_ascii_digit).count();
    let allowed = v.chars().all(|c| c.is_ascii_digit() || " +()-".contains(c));
    if !allowed || !(3..=15).contains(&digits) {
        return Err(invalid(
            field.into(),
            format!("{v:?} is not a telephone number (3 to 15 digits, with spaces, +, ( ) or - only; e.g. 101 or 0161 872 5050)"),
        ));
    }
    Ok(Some(v))
}

fn link(field: &str, v: Option<String>) -> Result<Option<String>, Invalid> {
    let Some(v) = optional(field, v, 500, false)? else {
        return Ok(None);
    };
    let rest = v
        .strip_prefix("https://")
        .or_else(|| v.strip_prefix("http://"));
    if !rest.is_some_and(|r| !r.is_empty() && !r.chars().any(char::is_whitespace)) {
        return Err(invalid(
            field.into(),
            format!("{v:?} is not a web address (it starts https://)"),
        ));
    }
    Ok(Some(v))
}

/// Published contacts made tidy (texts trimmed, empty ones left out) and
/// checked: a name each, ranks and bios of a sensible length, each way of
/// contact in its form.
pub fn check_people(people: Vec<Contact>) -> Result<Vec<Contact>, Invalid> {
    if people.len() > MAX_PEOPLE {
        return Err(invalid(
            "people".into(),
            format!("{} contacts; publish at most {MAX_PEOPLE}", people.len()),
        ));
    }
    people
        .into_iter()
        .enumerate()
        .map(|(n, c)| {
            let at = |f: &str| format!("people[{n}].{f}");
            let name = text(&at("name"), &c.name, MAX_NAME, false)?;
            if name.is_empty() {
                return Err(invalid(
                    at("name"),
                    "is empty: give the name residents see, e.g. \"PC Sam Ahmed\"",
                ));
            }
            let w = c.contact_details;
            let cd = |f: &str| at(&format!("contact_details.{f}"));
            Ok(Contact {
                name,
                rank: optional(&at("rank"), c.rank, MAX_NAME, false)?,
                bio: optional(&at("bio"), c.bio, MAX_TEXT, true)?,
                contact_details: ContactWays {
                    email: email(&cd("email"), w.email)?,
                    telephone: phone(&cd("telephone"), w.telephone)?,
                    mobile: phone(&cd("mobile"), w.mobile)?,
                    web: link(&cd("web"), w.web)?,
                    twitter: link(&cd("twitter"), w.twitter)?,
                    facebook: link(&cd("facebook"), w.facebook)?,
                },
            })
        })
        .collect()
}

fn date(field: &str, v: &str) -> Result<String, Invalid> {
    let v = v.trim();
    if !calendar::is_date(v) {
        return Err(invalid(
            field.into(),
            format!("{v:?} is not a date (YYYY-MM-DD)"),
        ));
    }
    Ok(v.to_string())
}

/// Priorities made tidy and checked: an issue and its date each, an
/// action's date not before the issue's.
pub fn check_priorities(priorities: Vec<Priority>) -> Result<Vec<Priority>, Invalid> {
    if priorities.len() > MAX_PRIORITIES {
        return Err(invalid(
            "priorities".into(),
            format!(
                "{} priorities; list at most {MAX_PRIORITIES}",
                priorities.len()
            ),
        ));
    }
    priorities
        .into_iter()
        .enumerate()
        .map(|(n, p)| {
            let at = |f: &str| format!("priorities[{n}].{f}");
            let issue = text(&at("issue"), &p.issue, MAX_TEXT, true)?;
            if issue.is_empty() {
                return Err(invalid(
                    at("issue"),
                    "is empty: say what residents raised, e.g. \"Speeding on Moss Lane\"",
                ));
            }
            let issue_date = date(&at("issue_date"), &p.issue_date)?;
            let action = optional(&at("action"), p.action, MAX_TEXT, true)?;
            let action_date = p
                .action_date
                .filter(|d| !d.trim().is_empty())
                .map(|d| date(&at("action_date"), &d))
                .transpose()?;
            if let Some(d) = &action_date {
                if *d < issue_date {
                    return Err(invalid(
                        at("action_date"),
                        format!("{d} is before the issue's date {issue_date}"),
                    ));
                }
            }
            Ok(Priority {
                issue,
                issue_date,
                action,
                action_date,
            })
        })
        .collect()
}

/// The newest date of a page's priorities (an issue's or an action's).
pub fn last_priority_date(page: &Page) -> Option<&str> {
    page.priorities
        .iter()
        .flat_map(|p| std::iter::once(p.issue_date.as_str()).chain(p.action_date.as_deref()))
        .max()
}

/// Whether a contact can be reached: some way of contact is given.
pub fn is_contactable(c: &Contact) -> bool {
    !c.contact_details.is_empty()
}

/// The pages as they stand in one view: each on the area it is on then.
#[derive(Debug, Clone, Default)]
pub struct Pages {
    by_area: HashMap<(String, String), Arc<Page>>,
}

impl Pages {
    /// The stored pages, each moved along `moves` (stored area id →
    /// the (layer, from, to) moves of the active boundary releases,
    /// oldest first).
    pub fn new<'a>(
        stored: impl IntoIterator<Item = &'a Arc<Page>>,
        moves: &HashMap<String, Vec<(String, String, String)>>,
    ) -> Pages {
        let mut by_area = HashMap::new();
        for p in stored {
            let mut area = p.area_id.clone();
            for (layer, from, to) in moves.get(&p.area_id).into_iter().flatten() {
                if *layer == p.layer && *from == area {
                    area = to.clone();
                }
            }
            by_area.insert((p.layer.clone(), area), p.clone());
        }
        Pages { by_area }
    }

    /// The page of neighbourhood `layer`/`area_id` (as the view has it).
    pub fn get(&self, layer: &str, area_id: &str) -> Option<&Arc<Page>> {
        self.by_area.get(&(layer.to_string(), area_id.to_string()))
    }

    /// Every page with the area it is on, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str, &Arc<Page>)> {
        self.by_area
            .iter()
            .map(|((l, a), p)| (l.as_str(), a.as_str(), p))
    }
}

/// Which list of a page a file or a request sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    /// The published contacts.
    People,
    /// The priorities.
    Priorities,
}

impl List {
    /// Its key in JSON (`people`, `priorities`).
    pub fn key(self) -> &'static str {
        match self {
            List::People => "people",
            List::Priorities => "priorities",
        }
    }

    /// The CSV columns a file of this list may have (the first is
    /// required).
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            List::People => &[
                "name",
                "rank",
                "bio",
                "email",
                "telephone",
                "mobile",
                "web",
                "twitter",
                "facebook",
            ],
            List::Priorities => &["issue", "issue_date", "action", "action_date"],
        }
    }
}

/// Why a file of contacts or priorities could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct FileError {
    /// The file.
    pub file: String,
    /// Where (row, column) and what is wrong.
    pub message: String,
}

/// Reads a list from a file's bytes: CSV (a header row naming
/// [`List::columns`], one row each) when `name` ends `.csv`, otherwise
/// JSON (an array, or an object with the list under its key, as the API
/// takes it). The list is not yet checked ([`check_people`],
/// [`check_priorities`] do that).
pub fn read_file(name: &str, bytes: &[u8], list: List) -> Result<PagePart, FileError> {
    let fail = |message: String| FileError {
        file: name.to_string(),
        message,
    };
    if name.to_ascii_lowercase().ends_with(".csv") {
        let mut r = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(bytes);
        let header: Vec<String> = r
            .headers()
            .map_err(|e| fail(format!("the header row: {e}")))?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase())
            .collect();
        let known = list.columns();
        if let Some(h) = header.iter().find(|h| !known.contains(&h.as_str())) {
            return Err(fail(format!(
                "column {h:?} is not one feedmap reads for {}; the columns are {}",
                list.key(),
                known.join(", ")
            )));
        }
        if !header.iter().any(|h| h == known[0]) {
            return Err(fail(format!(
                "no {:?} column (the columns are {})",
                known[0],
                known.join(", ")
            )));
        }
        let mut people = Vec::new();
        let mut priorities = Vec::new();
        for (n, rec) in r.records().enumerate() {
            let rec = rec.map_err(|e| fail(format!("row {}: {e}", n + 2)))?;
            let get = |col: &str| {
                header
                    .iter()
                    .position(|h| h == col)
                    .and_then(|i| rec.get(i))
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
            };
            match list {
                List::People => people.push(Contact {
                    name: get("name").unwrap_or_default(),
                    rank: get("rank"),
                    bio: get("bio"),
                    contact_details: ContactWays {
                        email: get("email"),
                        telephone: get("telephone"),
                        mobile: get("mobile"),
                        web: get("web"),
                        twitter: get("twitter"),
                        facebook: get("facebook"),
                    },
                }),
                List::Priorities => priorities.push(Priority {
                    issue: get("issue").unwrap_or_default(),
                    issue_date: get("issue_date").unwrap_or_default(),
                    action: get("action"),
                    action_date: get("action_date"),
                }),
            }
        }
        return Ok(match list {
            List::People => PagePart::People(people),
            List::Priorities => PagePart::Priorities(priorities),
        });
    }
    let v: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| fail(format!("not JSON: {e} (give a .csv file, or JSON)")))?;
    let items = match v {
        serde_json::Value::Object(mut o) => o
            .remove(list.key())
            .ok_or_else(|| fail(format!("a JSON object without a {:?} key", list.key())))?,
        other => other,
    };
    let part = match list {
        List::People => serde_json::from_value(items).map(PagePart::People),
        List::Priorities => serde_json::from_value(items).map(PagePart::Priorities),
    };
    part.map_err(|e| fail(format!("not a list of {}: {e}", list.key())))
}

/// Text as HTML paragraphs, escaped (data.police.uk's bios, issues and
/// actions are HTML; planners write plain text).
pub fn html_paragraphs(text: &str) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#39;")
    };
    text.replace("\r\n", "\n")
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", escape(p).replace('\n', "<br>")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(name: &str) -> Contact {
        Contact {
            name: name.into(),
            rank: None,
            bio: None,
            contact_details: ContactWays::default(),
        }
    }

    #[test]
    fn contacts_are_trimmed_and_each_way_checked() {
        let mut c = contact("  PC Sam Ahmed ");
        c.rank = Some(" ".into());
        c.contact_details.email = Some(" team@police.example ".into());
        c.contact_details.telephone = Some("0161 872 5050".into());
        let out = check_people(vec![c]).unwrap();
        assert_eq!(out[0].name, "PC Sam Ahmed");
        assert_eq!(out[0].rank, None);
        assert_eq!(
            out[0].contact_details.email.as_deref(),
            Some("team@police.example")
        );
        let mut bad = contact("PC Two");
        bad.contact_details.email = Some("not an address".into());
        let e = check_people(vec![contact("PC One"), bad]).unwrap_err();
        assert_eq!(e.field, "people[1].contact_details.email");
        let mut bad = contact("PC Three");
        bad.contact_details.telephone = Some("call 999".into());
        assert_eq!(
            check_people(vec![bad]).unwrap_err().field,
            "people[0].contact_details.telephone"
        );
        assert_eq!(
            check_people(vec![contact(" ")]).unwrap_err().field,
            "people[0].name"
        );
        let mut bad = contact("PC Four");
        bad.contact_details.web = Some("javascript:alert(1)".into());
        assert!(check_people(vec![bad]).is_err());
    }

    #[test]
    fn priorities_need_an_issue_and_dates_in_order() {
        let p = |issue: &str, d: &str, a: Option<&str>| Priority {
            issue: issue.into(),
            issue_date: d.into(),
            action: Some("Patrols at school times".into()),
            action_date: a.map(str::to_string),
        };
        let ok = check_priorities(vec![p("Speeding", "2026-09-01", Some("2026-10-01"))]).unwrap();
        assert_eq!(ok[0].action_date.as_deref(), Some("2026-10-01"));
        assert_eq!(
            check_priorities(vec![p("Speeding", "2026-09-31", None)])
                .unwrap_err()
                .field,
            "priorities[0].issue_date"
        );
        assert_eq!(
            check_priorities(vec![p("Speeding", "2026-09-01", Some("2026-08-01"))])
                .unwrap_err()
                .field,
            "priorities[0].action_date"
        );
        assert_eq!(
            check_priorities(vec![p("", "2026-09-01", None)])
                .unwrap_err()
                .field,
            "priorities[0].issue"
        );
        let page = Page {
            layer: "n".into(),
            area_id: "a".into(),
            people: vec![],
            priorities: ok,
            meta: feedmap_store::Meta::new("t", "2026-10-01T00:00:00Z"),
        };
        assert_eq!(last_priority_date(&page), Some("2026-10-01"));
    }

    #[test]
    fn plain_text_becomes_escaped_paragraphs() {
        assert_eq!(
            html_paragraphs("Speeding <b>near</b> the school.\n\nSecond & last\nline"),
            "<p>Speeding &lt;b&gt;near&lt;/b&gt; the school.</p><p>Second &amp; last<br>line</p>"
        );
    }

    #[test]
    fn a_moved_page_is_on_its_successor() {
        let page = Arc::new(Page {
            layer: "nh".into(),
            area_id: "OLD".into(),
            people: vec![contact("PC One")],
            priorities: vec![],
            meta: feedmap_store::Meta::new("t", "2026-10-01T00:00:00Z"),
        });
        let moves = HashMap::from([(
            "OLD".to_string(),
            vec![("nh".to_string(), "OLD".to_string(), "NEW".to_string())],
        )]);
        let pages = Pages::new([&page], &moves);
        assert!(pages.get("nh", "OLD").is_none());
        assert_eq!(pages.get("nh", "NEW").unwrap().area_id, "OLD");
    }
}
