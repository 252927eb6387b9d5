//! The consolidation plan, the reverse of the growth plan: which feeds to
//! merge into another or retire, per neighbourhood, ranked and explained.
//!
//! A feed is a candidate when the evidence says it is not earning its
//! keep: it is *dormant* (no post in `dormant_days`, from the recorded
//! activity — a feed with nothing recorded is not judged) or has a *tiny
//! reach* (fewer than `min_followers`, or followers below `min_reach` of
//! the residents of its area). It is suggested for *merging* into the
//! active feed on the same platform that reaches the same residents — one
//! serving the same area (an *overlapping audience*), else its
//! neighbourhood's, else the force-wide account — and for *retiring* when
//! there is none. Each suggestion says how many residents it affects and
//! what coverage they lose.
//!
//! Planners' decisions are honoured as in the growth plan (decisions with
//! layer [`FEEDS_LAYER`] and the feed id as area): an accepted suggestion
//! is always in the plan and counts first against the budget, a rejected
//! one is left out (listed apart) until the decision is withdrawn, a
//! deferred one stays marked as such.

use crate::activity::Summary;
use crate::decision::{Applied, DecisionKind, FEEDS_LAYER};
use crate::feeds::{Feed, FeedStatus};
use crate::health::{activity, area_of, FeedArea};
use crate::served::Served;
use crate::settings::{self, Read, Setting, Takes};
use feedmap_geography::area::AreaRef;
use feedmap_geography::manifest::Role;
use serde::Serialize;
use std::collections::HashSet;

/// The plan's settings.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ConsolidationParams {
    /// As of (`YYYY-MM-DD`; default today).
    pub at: String,
    /// Days without a post that make a feed dormant (default 30).
    pub dormant_days: i64,
    /// Followers below which a feed's reach is tiny (default 100).
    pub min_followers: i64,
    /// Followers per resident of its area below which a feed's reach is
    /// tiny (default 0.005: one in two hundred).
    pub min_reach: f64,
    /// At most this many changes (`None`: no limit); accepted ones first.
    pub max_changes: Option<usize>,
}

impl ConsolidationParams {
    /// The settings, their bounds and what each does.
    pub const SETTINGS: &'static [Setting] = &[
        Setting {
            name: "at",
            takes: Takes::Date,
            doc: "as of this date (YYYY-MM-DD; default today)",
        },
        Setting {
            name: "dormant_days",
            takes: Takes::Whole { min: 1, max: 3650 },
            doc: "days without a post that make a feed dormant (default 30)",
        },
        Setting {
            name: "min_followers",
            takes: Takes::Whole {
                min: 0,
                max: 100_000_000,
            },
            doc: "followers below which reach is tiny (default 100)",
        },
        Setting {
            name: "min_reach",
            takes: Takes::Fraction,
            doc: "followers per resident below which reach is tiny (default 0.005)",
        },
        Setting {
            name: "max_changes",
            takes: Takes::WholeOrNone {
                min: 0,
                max: 100_000,
            },
            doc: "budget: at most this many changes (default none)",
        },
    ];

    /// The defaults changed by the [`ConsolidationParams::SETTINGS`] given
    /// as name-value pairs; an error names the parameter and what it
    /// takes. Other names are left to the caller.
    pub fn from_pairs(
        today: &str,
        pairs: &[(String, String)],
    ) -> Result<ConsolidationParams, String> {
        let mut p = ConsolidationParams {
            at: today.into(),
            dormant_days: 30,
            min_followers: 100,
            min_reach: 0.005,
            max_changes: None,
        };
        for setting in settings::read(Self::SETTINGS, pairs) {
            match setting? {
                ("at", Read::Date(d)) => p.at = d.into(),
                ("dormant_days", Read::Whole(n)) => p.dormant_days = n,
                ("min_followers", Read::Whole(n)) => p.min_followers = n,
                ("min_reach", Read::Fraction(x)) => p.min_reach = x,
                ("max_changes", Read::Limit(n)) => p.max_changes = n.map(|n| n as usize),
                (name, _) => unreachable!("{name} is read as its table says"),
            }
        }
        Ok(p)
    }
}

/// Merge into another feed, or retire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Point its followers at another feed, then retire it.
    Merge,
    /// Retire it: no feed reaches the same residents on its platform.
    Retire,
}

/// Why a feed is suggested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReasonKind {
    /// No post in `dormant_days`.
    Dormant,
    /// Few followers for the residents it serves.
    TinyReach,
    /// Another active feed on its platform reaches the same residents.
    OverlappingAudience,
}

/// A reason in words.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Reason {
    /// The kind.
    pub kind: ReasonKind,
    /// In words.
    pub text: String,
}

/// What residents lose when the feed goes.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CoverageLoss {
    /// Residents of its area left without a feed of that area.
    pub residents: Option<f64>,
    /// The most specific feed they had (`community` or `neighbourhood`).
    pub from: String,
    /// What they keep (`neighbourhood` or `force`).
    pub to: String,
}

/// The feed another one merges into.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct MergeTarget {
    /// Feed id.
    pub feed_id: String,
    /// Handle.
    pub handle: String,
    /// Name.
    pub name: String,
    /// Its area (`None`: force-wide).
    pub area: Option<FeedArea>,
}

/// One suggested change.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Change {
    /// The feed.
    pub feed_id: String,
    /// Platform word.
    pub platform: String,
    /// Handle.
    pub handle: String,
    /// Name.
    pub name: String,
    /// Its area.
    pub area: Option<FeedArea>,
    /// The neighbourhood it belongs to (its own area for a neighbourhood
    /// feed).
    pub neighbourhood: Option<FeedArea>,
    /// Merge or retire.
    pub action: Action,
    /// The feed it merges into.
    pub into: Option<MergeTarget>,
    /// Why.
    pub reasons: Vec<Reason>,
    /// Ranking score (higher first).
    pub score: f64,
    /// Residents of its area (given or estimated), where known.
    pub residents: Option<f64>,
    /// Followers, where recorded.
    pub followers: Option<i64>,
    /// The last post, where recorded.
    pub last_post: Option<String>,
    /// Coverage residents lose (`None`: another feed of the same area
    /// remains).
    pub coverage_lost: Option<CoverageLoss>,
    /// A planner's decision about it.
    pub decision: Option<Applied>,
    /// The whole suggestion in plain words.
    pub explanation: String,
}

/// The consolidation plan.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Consolidation {
    /// The settings used.
    pub params: ConsolidationParams,
    /// Active feeds now.
    pub feeds_now: usize,
    /// Active feeds after the changes in the plan.
    pub feeds_after: usize,
    /// The changes in the plan (within the budget), best first.
    pub changes: Vec<Change>,
    /// Good candidates the budget leaves out.
    pub over_budget: Vec<Change>,
    /// Suggestions planners rejected.
    pub rejected: Vec<Change>,
}

struct Candidate<'a> {
    feed: &'a Feed,
    at: AreaRef,
    summary: Summary,
    dormant: bool,
    tiny: bool,
    residents: Option<f64>,
}

/// The consolidation plan of `served` with `params`.
pub fn plan(served: &Served, params: &ConsolidationParams) -> Consolidation {
    let view = served.view_at(&params.at);
    let feeds = view.feeds();
    let region = view.region();
    let layers = &region.layers;
    let planning = view.geo().planning();
    let activity = activity(served);
    let active: Vec<&Feed> = feeds
        .feeds
        .iter()
        .filter(|f| f.fields.status == FeedStatus::Active && f.problem.is_none())
        .collect();
    // Each active feed's activity, summarised once.
    let summaries: std::collections::HashMap<&str, Summary> = active
        .iter()
        .map(|f| (f.feed_id.as_str(), activity.summary(&f.feed_id, &params.at)))
        .collect();
    let summary = |f: &Feed| {
        summaries
            .get(f.feed_id.as_str())
            .cloned()
            .unwrap_or_default()
    };
    let dormant =
        |s: &Summary| s.recorded && s.days_since_post.is_none_or(|d| d > params.dormant_days);
    let mut candidates: Vec<Candidate> = Vec::new();
    for f in &active {
        let Some(at) = f.target else { continue };
        let s = summary(f);
        let residents = planning.populations.of(at.layer, at.area).map(|p| p.value);
        let reach_tiny = match (s.followers, residents) {
            (Some(n), _) if n < params.min_followers => true,
            (Some(n), Some(r)) if r > 0.0 => (n as f64 / r) < params.min_reach,
            _ => false,
        };
        let d = dormant(&s);
        if d || reach_tiny {
            candidates.push(Candidate {
                feed: f,
                at,
                summary: s,
                dormant: d,
                tiny: reach_tiny,
                residents,
            });
        }
    }
    let neighbourhood_of = |at: AreaRef| -> Option<AreaRef> {
        match layers[at.layer].role {
            Role::Neighbourhood => Some(at),
            _ => region
                .relations
                .primary_parent(at.layer, at.area)
                .filter(|r| layers[r.parent_layer].role == Role::Neighbourhood)
                .map(|r| AreaRef::new(r.parent_layer, r.parent_area)),
        }
    };
    let brief = |at: AreaRef| {
        let a = &layers[at.layer].areas[at.area];
        FeedArea {
            layer: layers[at.layer].id.clone(),
            id: a.id.clone(),
            name: a.name.clone(),
        }
    };
    // Best first: dormant before tiny, longer silence first.
    let base_score = |c: &Candidate| {
        let mut s = 0.0;
        if c.dormant {
            s += 1.0
                + c.summary.days_since_post.map_or(1.0, |d| {
                    (d as f64 / params.dormant_days as f64 / 4.0).min(1.0)
                });
        }
        if c.tiny {
            s += 0.5;
        }
        s
    };
    candidates.sort_by(|a, b| {
        base_score(b)
            .total_cmp(&base_score(a))
            .then(a.feed.feed_id.cmp(&b.feed.feed_id))
    });
    let mut gone: HashSet<&str> = HashSet::new();
    let mut kept: HashSet<&str> = HashSet::new();
    let decisions = view.decisions();
    let mut changes = Vec::new();
    let mut rejected = Vec::new();
    for c in &candidates {
        let f = c.feed;
        if kept.contains(f.feed_id.as_str()) {
            continue;
        }
        // Who else reaches these residents on this platform, best first.
        let hood = neighbourhood_of(c.at);
        let usable = |g: &&&Feed| {
            g.feed_id != f.feed_id
                && g.fields.platform == f.fields.platform
                && !gone.contains(g.feed_id.as_str())
                && !dormant(&summary(g))
        };
        let same_area = active
            .iter()
            .filter(usable)
            .find(|g| g.target == Some(c.at));
        let parent = hood
            .filter(|h| *h != c.at)
            .and_then(|h| active.iter().filter(usable).find(|g| g.target == Some(h)));
        let force = active
            .iter()
            .filter(usable)
            .find(|g| g.target.is_none() && g.fields.layer.is_none());
        let (into, overlap) = match (same_area, parent, force) {
            (Some(g), _, _) => (
                Some(*g),
                Some(format!(
                    "{} serves the same area on {}",
                    g.fields.handle, g.fields.platform
                )),
            ),
            (None, Some(g), _) => (
                Some(*g),
                Some(format!(
                    "its neighbourhood's feed {} reaches the same residents on {}",
                    g.fields.handle, g.fields.platform
                )),
            ),
            (None, None, Some(g)) => (Some(*g), None),
            _ => (None, None),
        };
        let mut reasons = Vec::new();
        if c.dormant {
            reasons.push(Reason {
                kind: ReasonKind::Dormant,
                text: match (&c.summary.last_post, c.summary.days_since_post) {
                    (Some(d), Some(n)) => format!("no post since {d} ({n} days)"),
                    _ => "no post recorded".into(),
                },
            });
        }
        if c.tiny {
            reasons.push(Reason {
                kind: ReasonKind::TinyReach,
                text: match (c.summary.followers, c.residents) {
                    (Some(n), Some(r)) if r > 0.0 => format!(
                        "{n} followers, {:.1}% of its {} residents",
                        100.0 * n as f64 / r,
                        r.round()
                    ),
                    (Some(n), _) => format!("{n} followers"),
                    _ => "few followers".into(),
                },
            });
        }
        if let Some(text) = overlap {
            reasons.push(Reason {
                kind: ReasonKind::OverlappingAudience,
                text,
            });
        }
        // Coverage: other active feeds of the same area (any platform) keep it.
        let others_here = active.iter().any(|g| {
            g.feed_id != f.feed_id && g.target == Some(c.at) && !gone.contains(g.feed_id.as_str())
        });
        let is_community = layers[c.at.layer].role == Role::Community;
        let coverage_lost = (!others_here).then(|| {
            let hood_fed = is_community
                && hood.is_some_and(|h| {
                    active
                        .iter()
                        .any(|g| g.target == Some(h) && !gone.contains(g.feed_id.as_str()))
                });
            CoverageLoss {
                residents: c.residents,
                from: if is_community {
                    "community"
                } else {
                    "neighbourhood"
                }
                .into(),
                to: if hood_fed { "neighbourhood" } else { "force" }.into(),
            }
        });
        let mut score = base_score(c);
        if into.is_some_and(|g| g.target.is_some()) {
            score += 0.5;
        }
        if coverage_lost.as_ref().is_some_and(|l| l.to == "force") {
            score -= 0.5;
        }
        let action = if into.is_some() {
            Action::Merge
        } else {
            Action::Retire
        };
        let area = brief(c.at);
        let who = c
            .residents
            .map(|r| format!("{} residents of {}", r.round(), area.name))
            .unwrap_or_else(|| format!("residents of {}", area.name));
        let mut explanation = match into {
            Some(g) => format!(
                "Merge {} ({}) into {}: ",
                f.fields.handle, f.fields.platform, g.fields.handle
            ),
            None => format!("Retire {} ({}): ", f.fields.handle, f.fields.platform),
        };
        explanation.push_str(
            &reasons
                .iter()
                .map(|r| r.text.clone())
                .collect::<Vec<_>>()
                .join("; "),
        );
        explanation.push_str(". ");
        explanation.push_str(&match &coverage_lost {
            None => format!("{who} keep another feed of their area."),
            Some(l) if l.to == "neighbourhood" => {
                format!("{who} keep their neighbourhood's feed but lose a community feed.")
            }
            Some(l) => format!(
                "{who} lose their {} feed and are left with the force-wide accounts.",
                l.from
            ),
        });
        let decision = decisions
            .get(FEEDS_LAYER, &f.feed_id)
            .map(|g| g.applied.clone());
        if let Some(d) = &decision {
            explanation.push_str(&format!(" ({})", d.sentence()));
        }
        let change = Change {
            feed_id: f.feed_id.clone(),
            platform: f.fields.platform.clone(),
            handle: f.fields.handle.clone(),
            name: f.fields.name.clone(),
            area: Some(area),
            neighbourhood: hood.map(brief),
            action,
            into: into.map(|g| MergeTarget {
                feed_id: g.feed_id.clone(),
                handle: g.fields.handle.clone(),
                name: g.fields.name.clone(),
                area: area_of(layers, g),
            }),
            reasons,
            score: (score * 1000.0).round() / 1000.0,
            residents: c.residents.map(f64::round),
            followers: c.summary.followers,
            last_post: c.summary.last_post.clone(),
            coverage_lost,
            decision,
            explanation,
        };
        if change
            .decision
            .as_ref()
            .is_some_and(|d| d.decision == DecisionKind::Reject)
        {
            rejected.push(change);
            continue;
        }
        gone.insert(&f.feed_id);
        if let Some(g) = into {
            kept.insert(&g.feed_id);
        }
        changes.push(change);
    }
    let accepted = |c: &Change| {
        c.decision
            .as_ref()
            .is_some_and(|d| d.decision == DecisionKind::Accept)
    };
    changes.sort_by(|a, b| {
        accepted(b)
            .cmp(&accepted(a))
            .then(b.score.total_cmp(&a.score))
            .then(a.feed_id.cmp(&b.feed_id))
    });
    let limit = params.max_changes.unwrap_or(usize::MAX);
    let mut over_budget = Vec::new();
    let mut within = Vec::new();
    for c in changes {
        if within.len() < limit || accepted(&c) {
            within.push(c);
        } else {
            over_budget.push(c);
        }
    }
    Consolidation {
        params: params.clone(),
        feeds_now: active.len(),
        feeds_after: active.len() - within.len(),
        changes: within,
        over_budget,
        rejected,
    }
}

/// The plan as CSV: one row per change in the plan.
pub fn csv(plan: &Consolidation) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "feed_id",
        "platform",
        "handle",
        "action",
        "into_feed_id",
        "into_handle",
        "layer",
        "area_id",
        "area_name",
        "neighbourhood_id",
        "residents",
        "followers",
        "last_post",
        "coverage_from",
        "coverage_to",
        "score",
        "decision",
        "reasons",
        "explanation",
    ]);
    for c in &plan.changes {
        let (layer, id, name) = c.area.as_ref().map_or(("", "", ""), |a| {
            (a.layer.as_str(), a.id.as_str(), a.name.as_str())
        });
        let _ = w.write_record([
            c.feed_id.as_str(),
            &c.platform,
            &c.handle,
            match c.action {
                Action::Merge => "merge",
                Action::Retire => "retire",
            },
            c.into.as_ref().map_or("", |i| i.feed_id.as_str()),
            c.into.as_ref().map_or("", |i| i.handle.as_str()),
            layer,
            id,
            name,
            c.neighbourhood.as_ref().map_or("", |n| n.id.as_str()),
            &c.residents.map(|r| r.to_string()).unwrap_or_default(),
            &c.followers.map(|r| r.to_string()).unwrap_or_default(),
            c.last_post.as_deref().unwrap_or(""),
            c.coverage_lost.as_ref().map_or("", |l| l.from.as_str()),
            c.coverage_lost.as_ref().map_or("", |l| l.to.as_str()),
            &c.score.to_string(),
            c.decision.as_ref().map_or("", |d| d.decision.as_str()),
            &c.reasons
                .iter()
                .map(|r| {
                    serde_json::to_value(r.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default()
                })
                .collect::<Vec<_>>()
                .join(";"),
            &c.explanation,
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The plan as GeoJSON: each change's area with the change's fields.
pub fn geojson(served: &Served, plan: &Consolidation) -> serde_json::Value {
    let view = served.view_at(&plan.params.at);
    let region = view.region();
    let features: Vec<serde_json::Value> = plan
        .changes
        .iter()
        .map(|c| {
            let geometry = c.area.as_ref().and_then(|a| {
                let (_, l) = region.layer(&a.layer)?;
                let i = l.area_index(&a.id)?;
                Some(geojson::Geometry::new(geojson::GeometryValue::from(
                    &l.areas[i].geometry,
                )))
            });
            let mut props = serde_json::to_value(c).unwrap_or_default();
            if let Some(o) = props.as_object_mut() {
                o.remove("area");
            }
            serde_json::json!({ "type": "Feature", "geometry": geometry, "properties": props })
        })
        .collect();
    serde_json::json!({ "type": "FeatureCollection", "features": features })
}
