//! Feed health: rules that say, in words, what needs a person's attention
//! about each feed (nobody posting, one person holding the keys, an account
//! the platform has not verified, …), and the Neighbourhood Policing
//! Guarantee view (an active feed, a named contact and an update within 90
//! days, per neighbourhood).
//!
//! Everything is computed from one [`Served`] value as of a date: the
//! feeds in effect then, their owners, the recorded activity (the region's
//! file and the store) and data.police.uk's listings.

use crate::activity::Summary;
use crate::feeds::{Feed, FeedStatus};
use crate::served::Served;
use crate::settings::{self, Read, Setting, Takes};
use feedmap_geography::manifest::Role;
use feedmap_store::{HandoverStatus, Verification};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// A health rule.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// An active feed with no post in `dormant_days`.
    Dormant,
    /// An active feed with fewer than `min_administrators`.
    FewAdministrators,
    /// An active feed the platform has not verified.
    Unverified,
    /// A feed with no owning team.
    NoTeam,
    /// A handle used by more than one feed on one platform.
    DuplicateHandle,
    /// The feed's area is gone after a boundary change.
    AreaGone,
    /// data.police.uk lists another account for the neighbourhood.
    ListingMismatch,
}

impl Rule {
    /// Every rule, in the order reports list them.
    pub const ALL: [Rule; 7] = [
        Rule::Dormant,
        Rule::FewAdministrators,
        Rule::Unverified,
        Rule::NoTeam,
        Rule::DuplicateHandle,
        Rule::AreaGone,
        Rule::ListingMismatch,
    ];

    /// The snake_case name used in answers and parameters.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Dormant => "dormant",
            Rule::FewAdministrators => "few_administrators",
            Rule::Unverified => "unverified",
            Rule::NoTeam => "no_team",
            Rule::DuplicateHandle => "duplicate_handle",
            Rule::AreaGone => "area_gone",
            Rule::ListingMismatch => "listing_mismatch",
        }
    }

    /// Reads a rule name.
    pub fn parse(s: &str) -> Option<Rule> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// What the rule checks and why, in words, with the parameters used.
    pub fn describe(self, p: &HealthParams) -> String {
        match self {
            Rule::Dormant => format!(
                "An active feed with no post in the last {} days: residents who follow it hear nothing, and a quiet account is easier to take over unnoticed.",
                p.dormant_days
            ),
            Rule::FewAdministrators => format!(
                "An active feed with fewer than {} named administrators: when one officer moves on, nobody else can get in.",
                p.min_administrators
            ),
            Rule::Unverified => "An active feed the platform has not verified: residents cannot tell it from an impersonator.".into(),
            Rule::NoTeam => "A feed with no owning team (a unit or role, not a person): nobody is accountable for it when people move.".into(),
            Rule::DuplicateHandle => "A handle used by more than one feed on the same platform: lookups would send residents to one account under two names.".into(),
            Rule::AreaGone => "The feed's area is gone after a boundary change and no successor was confirmed: lookups no longer return it.".into(),
            Rule::ListingMismatch => "data.police.uk lists a different account for the neighbourhood on this platform: the public is pointed somewhere else.".into(),
        }
    }
}

/// The rules' settings.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct HealthParams {
    /// The date the report is as of (`YYYY-MM-DD`; default today).
    pub at: String,
    /// Days without a post before an active feed is dormant (default 30).
    pub dormant_days: i64,
    /// Administrators an active feed needs (default 2).
    pub min_administrators: usize,
    /// Days within which the Guarantee wants an update (default 90).
    pub update_days: i64,
    /// Days within which the Guarantee wants a neighbourhood's priorities
    /// set or reported on (default 92: three months).
    pub priority_days: i64,
    /// Rules left out.
    pub skip: BTreeSet<Rule>,
}

impl HealthParams {
    /// The defaults as of `at`.
    pub fn new(at: &str) -> HealthParams {
        HealthParams {
            at: at.into(),
            dormant_days: 30,
            min_administrators: 2,
            update_days: 90,
            priority_days: 92,
            skip: BTreeSet::new(),
        }
    }

    /// The settings, their bounds and what each does.
    pub const SETTINGS: &'static [Setting] = &[
        Setting {
            name: "at",
            takes: Takes::Date,
            doc: "the date the report is as of (YYYY-MM-DD; default today)",
        },
        Setting {
            name: "dormant_days",
            takes: Takes::Whole { min: 1, max: 3650 },
            doc: "days without a post before an active feed is dormant (default 30)",
        },
        Setting {
            name: "min_administrators",
            takes: Takes::Whole { min: 0, max: 20 },
            doc: "administrators an active feed needs (default 2)",
        },
        Setting {
            name: "update_days",
            takes: Takes::Whole { min: 1, max: 3650 },
            doc: "the Guarantee's update window (default 90)",
        },
        Setting {
            name: "priority_days",
            takes: Takes::Whole { min: 1, max: 3650 },
            doc: "days within which the Guarantee wants priorities set or reported on (default 92: three months)",
        },
        Setting {
            name: "skip",
            takes: Takes::Names,
            doc: "rules to leave out, comma-separated",
        },
    ];

    /// The defaults changed by the [`HealthParams::SETTINGS`] given as
    /// name-value pairs; other names are left to the caller. An error names
    /// the parameter and what it takes.
    pub fn from_pairs(today: &str, pairs: &[(String, String)]) -> Result<HealthParams, String> {
        let mut p = HealthParams::new(today);
        for setting in settings::read(Self::SETTINGS, pairs) {
            match setting? {
                ("at", Read::Date(d)) => p.at = d.into(),
                ("dormant_days", Read::Whole(n)) => p.dormant_days = n,
                ("min_administrators", Read::Whole(n)) => p.min_administrators = n as usize,
                ("update_days", Read::Whole(n)) => p.update_days = n,
                ("priority_days", Read::Whole(n)) => p.priority_days = n,
                ("skip", Read::Names(names)) => {
                    for name in names {
                        let rule = Rule::parse(name).ok_or_else(|| {
                            format!(
                                "skip names an unknown rule {name:?}; the rules are {}",
                                Rule::ALL.map(Rule::as_str).join(", ")
                            )
                        })?;
                        p.skip.insert(rule);
                    }
                }
                (name, _) => unreachable!("{name} is read as its table says"),
            }
        }
        Ok(p)
    }
}

/// One rule firing on one feed.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Finding {
    /// The rule.
    pub rule: Rule,
    /// Why it fired here, in words.
    pub reason: String,
}

/// The area a feed serves, by id and name.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct FeedArea {
    /// Layer id.
    pub layer: String,
    /// Area id.
    pub id: String,
    /// Area name (the id when the area is gone).
    pub name: String,
}

/// One feed's health.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct FeedHealth {
    /// Feed id.
    pub feed_id: String,
    /// Platform word.
    pub platform: String,
    /// Handle.
    pub handle: String,
    /// Display name.
    pub name: String,
    /// Active, planned or retired.
    pub status: FeedStatus,
    /// The area served (`None`: force-wide).
    pub area: Option<FeedArea>,
    /// Owning team.
    pub team: Option<String>,
    /// How many administrators.
    pub administrators: usize,
    /// The administrators by name: only for a caller with a token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub administrator_names: Option<Vec<String>>,
    /// The platform's verification state.
    pub verification: Verification,
    /// What the recorded activity says.
    pub activity: Summary,
    /// An open handover's id, if any.
    pub open_handover: Option<i64>,
    /// The rules that fired, in rule order.
    pub findings: Vec<Finding>,
}

/// How often one rule fired.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct RuleCount {
    /// The rule.
    pub rule: Rule,
    /// What it checks, in words.
    pub description: String,
    /// Whether it was left out (`skip`).
    pub skipped: bool,
    /// Feeds it fired on.
    pub fired: usize,
}

/// The health report.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct HealthReport {
    /// The settings used.
    pub params: HealthParams,
    /// Each rule with its count.
    pub rules: Vec<RuleCount>,
    /// Every feed not retired (and retired ones a rule fired on), feeds
    /// with findings first.
    pub feeds: Vec<FeedHealth>,
}

/// The activity in effect: the region's file, then the store's records.
pub fn activity(served: &Served) -> crate::activity::Sources<'_> {
    crate::activity::Sources {
        file: &served.source().activity,
        store: &served.store().activity,
    }
}

/// The area `f` serves, named from `layers` (those its target indexes).
pub fn area_of(layers: &[feedmap_geography::boundary::Layer], f: &Feed) -> Option<FeedArea> {
    let (layer, id) = (f.fields.layer.clone()?, f.fields.area_id.clone()?);
    let name = f
        .target
        .map(|t| layers[t.layer].areas[t.area].name.clone())
        .unwrap_or_else(|| id.clone());
    Some(FeedArea { layer, id, name })
}

/// The health of every feed as of `params.at`; `names` adds the
/// administrators' names (a caller with a token).
pub fn report(served: &Served, params: &HealthParams, names: bool) -> HealthReport {
    let view = served.view_at(&params.at);
    let feeds = view.feeds();
    let activity = activity(served);
    let listings = &served.source().listings;
    let layers = &view.region().layers;
    let mut handle_count: HashMap<(String, String), Vec<&str>> = HashMap::new();
    for f in feeds
        .feeds
        .iter()
        .filter(|f| f.fields.status != FeedStatus::Retired)
    {
        handle_count
            .entry((
                f.fields.platform.clone(),
                crate::activity::normalise_handle(&f.fields.handle),
            ))
            .or_default()
            .push(&f.feed_id);
    }
    let open: HashMap<&str, i64> = served
        .store()
        .handovers
        .values()
        .filter(|h| h.status == HandoverStatus::Open)
        .map(|h| (h.feed_id.as_str(), h.id))
        .collect();
    let mut out = Vec::new();
    for f in &feeds.feeds {
        let summary = activity.summary(&f.feed_id, &params.at);
        let active = f.fields.status == FeedStatus::Active;
        let mut findings = Vec::new();
        let mut fire = |rule: Rule, reason: String| {
            if !params.skip.contains(&rule) {
                findings.push(Finding { rule, reason });
            }
        };
        if active {
            match (&summary.last_post, summary.days_since_post) {
                (Some(last), Some(days)) if days > params.dormant_days => fire(
                    Rule::Dormant,
                    format!("last post {last}, {days} days before {}", params.at),
                ),
                (None, _) if summary.recorded => fire(
                    Rule::Dormant,
                    format!(
                        "activity is recorded but no post on or before {}",
                        params.at
                    ),
                ),
                (None, _) => fire(Rule::Dormant, "no activity recorded for it".into()),
                _ => {}
            }
            let n = f.owner.administrators.len();
            if n < params.min_administrators {
                fire(
                    Rule::FewAdministrators,
                    match n {
                        0 => "no named administrator".into(),
                        1 => "one named administrator".into(),
                        n => format!(
                            "{n} named administrators, {} needed",
                            params.min_administrators
                        ),
                    },
                );
            }
            if f.owner.verification != Verification::Verified {
                fire(
                    Rule::Unverified,
                    format!(
                        "the platform shows it as {}{}",
                        f.owner.verification.as_str(),
                        f.owner
                            .verified_on
                            .as_ref()
                            .map(|d| format!(" (seen {d})"))
                            .unwrap_or_default()
                    ),
                );
            }
        }
        if f.fields.status != FeedStatus::Retired {
            if f.owner.team.is_none() {
                fire(Rule::NoTeam, "no owning team recorded".into());
            }
            let key = (
                f.fields.platform.clone(),
                crate::activity::normalise_handle(&f.fields.handle),
            );
            if let Some(ids) = handle_count.get(&key).filter(|ids| ids.len() > 1) {
                let others: Vec<&str> = ids.iter().copied().filter(|i| *i != f.feed_id).collect();
                fire(
                    Rule::DuplicateHandle,
                    format!(
                        "{} on {} is also feed {}",
                        f.fields.handle,
                        f.fields.platform,
                        others.join(", ")
                    ),
                );
            }
            if let Some(problem) = &f.problem {
                fire(Rule::AreaGone, problem.clone());
            }
        }
        if active {
            if let Some(t) = f
                .target
                .filter(|t| layers[t.layer].role == Role::Neighbourhood)
            {
                let area = &layers[t.layer].areas[t.area];
                if let Some(listed) = listings
                    .by_id
                    .get(&area.id)
                    .and_then(|l| l.accounts.get(&f.fields.platform).map(|a| (l, a)))
                {
                    let (_, account) = listed;
                    if crate::activity::normalise_handle(account)
                        != crate::activity::normalise_handle(&f.fields.handle)
                    {
                        fire(
                            Rule::ListingMismatch,
                            format!(
                                "data.police.uk lists {account} as {}'s {} account; this feed is {}",
                                area.name, f.fields.platform, f.fields.handle
                            ),
                        );
                    }
                }
            }
        }
        if f.fields.status == FeedStatus::Retired && findings.is_empty() {
            continue;
        }
        out.push(FeedHealth {
            feed_id: f.feed_id.clone(),
            platform: f.fields.platform.clone(),
            handle: f.fields.handle.clone(),
            name: f.fields.name.clone(),
            status: f.fields.status,
            area: area_of(layers, f),
            team: f.owner.team.clone(),
            administrators: f.owner.administrators.len(),
            administrator_names: names.then(|| f.owner.administrators.clone()),
            verification: f.owner.verification,
            activity: summary,
            open_handover: open.get(f.feed_id.as_str()).copied(),
            findings,
        });
    }
    out.sort_by_key(|h| std::cmp::Reverse(h.findings.len()));
    let rules = Rule::ALL
        .iter()
        .map(|&rule| RuleCount {
            rule,
            description: rule.describe(params),
            skipped: params.skip.contains(&rule),
            fired: out
                .iter()
                .filter(|h| h.findings.iter().any(|x| x.rule == rule))
                .count(),
        })
        .collect();
    HealthReport {
        params: params.clone(),
        rules,
        feeds: out,
    }
}

/// The report as CSV: one row per finding (a healthy feed has none).
pub fn csv(report: &HealthReport) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "feed_id",
        "platform",
        "handle",
        "status",
        "layer",
        "area_id",
        "area_name",
        "team",
        "administrators",
        "verification",
        "last_post",
        "followers",
        "rule",
        "reason",
    ]);
    for h in &report.feeds {
        for x in &h.findings {
            let (layer, id, name) = h.area.as_ref().map_or(("", "", ""), |a| {
                (a.layer.as_str(), a.id.as_str(), a.name.as_str())
            });
            let _ = w.write_record([
                h.feed_id.as_str(),
                &h.platform,
                &h.handle,
                match h.status {
                    FeedStatus::Active => "active",
                    FeedStatus::Planned => "planned",
                    FeedStatus::Retired => "retired",
                },
                layer,
                id,
                name,
                h.team.as_deref().unwrap_or(""),
                &h.administrators.to_string(),
                h.verification.as_str(),
                h.activity.last_post.as_deref().unwrap_or(""),
                &h.activity
                    .followers
                    .map(|f| f.to_string())
                    .unwrap_or_default(),
                x.rule.as_str(),
                &x.reason,
            ]);
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// One neighbourhood against the Neighbourhood Policing Guarantee.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct GuaranteeRow {
    /// Neighbourhood layer id.
    pub layer: String,
    /// Neighbourhood id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its active feeds (ids).
    pub feeds: Vec<String>,
    /// Whether it has an active feed.
    pub active_feed: bool,
    /// Contacts published for it (`/police-api/{force}/{id}/people`).
    pub contacts: usize,
    /// Whether a published contact gives a way to reach them: the
    /// Guarantee's named, contactable officer.
    pub named_contact: bool,
    /// The newest date of its priorities (set or reported on).
    pub last_priority: Option<String>,
    /// Whether that is within `priority_days`.
    pub current_priorities: bool,
    /// The newest post of its active feeds.
    pub last_update: Option<String>,
    /// Whether that is within `update_days`.
    pub recent_update: bool,
    /// All four.
    pub meets: bool,
    /// What is missing, in words.
    pub missing: Vec<String>,
}

/// The Guarantee view.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Guarantee {
    /// As of.
    pub at: String,
    /// The update window in days.
    pub update_days: i64,
    /// The priorities' window in days.
    pub priority_days: i64,
    /// Neighbourhoods meeting all four.
    pub meeting: usize,
    /// Every neighbourhood.
    pub neighbourhoods: Vec<GuaranteeRow>,
}

/// Per neighbourhood: an active feed, a published contact residents can
/// reach, an update within `params.update_days`, and priorities set or
/// reported on within `params.priority_days`.
pub fn guarantee(served: &Served, params: &HealthParams) -> Guarantee {
    let view = served.view_at(&params.at);
    let activity = activity(served);
    let mut rows = Vec::new();
    for (li, layer) in view.region().layers.iter().enumerate() {
        if layer.role != Role::Neighbourhood {
            continue;
        }
        for (ai, area) in layer.areas.iter().enumerate() {
            let feeds: Vec<&Feed> = view
                .feeds()
                .of_area(feedmap_geography::area::AreaRef::new(li, ai))
                .iter()
                .map(|&i| &view.feeds().feeds[i])
                .collect();
            let page = view.pages().get(&layer.id, &area.id);
            let people = page.map_or(&[][..], |p| &p.people[..]);
            let named_contact = people.iter().any(crate::published::is_contactable);
            let last_priority = page
                .and_then(|p| crate::published::last_priority_date(p))
                .map(str::to_string);
            let current_priorities = last_priority
                .as_deref()
                .and_then(|d| feedmap_geography::calendar::days_between(d, &params.at))
                .is_some_and(|n| n <= params.priority_days);
            let last_update = feeds
                .iter()
                .filter_map(|f| activity.summary(&f.feed_id, &params.at).last_post)
                .max();
            let recent_update = last_update
                .as_deref()
                .and_then(|d| feedmap_geography::calendar::days_between(d, &params.at))
                .is_some_and(|n| n <= params.update_days);
            let mut missing = Vec::new();
            if feeds.is_empty() {
                missing.push("no active feed".to_string());
            }
            if !named_contact {
                missing.push(if people.is_empty() {
                    "no published contact (record the named officer under Contacts and priorities)"
                        .into()
                } else {
                    "no way to reach its published contacts (give an email or telephone)".into()
                });
            }
            if !recent_update {
                missing.push(match &last_update {
                    Some(d) => format!("no update since {d}, over {} days", params.update_days),
                    None => "no update recorded".into(),
                });
            }
            if !current_priorities {
                missing.push(match &last_priority {
                    Some(d) => format!(
                        "priorities not set or reported on since {d}, over {} days",
                        params.priority_days
                    ),
                    None => "no priorities published".into(),
                });
            }
            rows.push(GuaranteeRow {
                layer: layer.id.clone(),
                id: area.id.clone(),
                name: area.name.clone(),
                feeds: feeds.iter().map(|f| f.feed_id.clone()).collect(),
                active_feed: !feeds.is_empty(),
                contacts: people.len(),
                named_contact,
                last_priority,
                current_priorities,
                last_update,
                recent_update,
                meets: missing.is_empty(),
                missing,
            });
        }
    }
    Guarantee {
        at: params.at.clone(),
        update_days: params.update_days,
        priority_days: params.priority_days,
        meeting: rows.iter().filter(|r| r.meets).count(),
        neighbourhoods: rows,
    }
}
