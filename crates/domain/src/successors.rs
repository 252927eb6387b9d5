//! What becomes of the feeds and decisions attached to a layer when a
//! staged release of it replaces the active generation: for each one a
//! proposed successor area (the new area receiving at least
//! `successor_share` of its residents), or "split: a planner chooses" with
//! the candidates, and what a planner confirmed. Activation applies the
//! confirmed ones ([`Proposals::migrations`]); nothing unconfirmed is
//! dropped — it stays attached to its old area and is listed with its
//! problem.

use crate::decision::ClusterId;
use crate::diff::{ChangeKind, Diff, Pair, Side};
use crate::feeds::FeedStatus;
use crate::served::Served;
use feedmap_store::{Confirmation, Migration, ReleaseStatus};
use serde::Serialize;
use std::sync::Arc;

/// The share of an old area's residents (or ground, where residents are
/// unknown) a new area must receive to be proposed as its successor.
pub const DEFAULT_SUCCESSOR_SHARE: f64 = 0.75;

/// What a proposal says happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The area continues under the same id on the same ground: nothing to
    /// do.
    Stays,
    /// One new area receives at least `successor_share`: it is proposed.
    Proposed,
    /// No new area receives enough: a planner chooses among the
    /// candidates.
    Split,
    /// No new area covers it: a planner chooses any area, or none.
    Removed,
    /// Its area is not in the generation being replaced (already a
    /// problem): a planner chooses.
    Unknown,
}

/// A new area that could succeed an old one.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Candidate {
    /// New area id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Share of the old area's residents it receives (0–1), where known.
    pub resident_share: Option<f64>,
    /// Share of the old area's ground it receives (0–1).
    pub ground_share: f64,
}

impl From<&Pair> for Candidate {
    fn from(p: &Pair) -> Candidate {
        Candidate {
            id: p.to.clone(),
            name: p.to_name.clone(),
            resident_share: p.resident_share,
            ground_share: p.ground_share,
        }
    }
}

/// The successor proposed for one feed, decision or neighbourhood page.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Proposal {
    /// `feed:ID`, `decision:ID` or `page:AREA` (a neighbourhood's published
    /// contacts and priorities, by the area they were recorded for): what
    /// the confirmation is keyed by.
    pub subject: String,
    /// A feed's handle and name, a decision's kind, or what a page holds.
    pub label: String,
    /// The old area (or `+`-joined cluster) it is attached to.
    pub from: String,
    /// Its name(s).
    pub from_name: String,
    /// What happened to that area.
    pub change: Option<ChangeKind>,
    /// What the diff proposes.
    pub outcome: Outcome,
    /// The proposed successor (area or cluster id).
    pub proposed: Option<String>,
    /// Its name(s).
    pub proposed_name: Option<String>,
    /// The share of residents (or ground) going to the proposed successor.
    pub share: Option<f64>,
    /// Every new area receiving a part, largest share first.
    pub candidates: Vec<Candidate>,
    /// The proposal in words.
    pub reason: String,
    /// What a planner confirmed, if anything.
    pub confirmed: Option<Confirmation>,
    /// The proposal's version (0 before any confirmation): its ETag.
    pub version: i64,
    /// What activation will do, in words.
    pub on_activation: String,
}

impl Proposal {
    /// Whether a person must act before activation for this subject to
    /// keep working (no confirmation, and its area id does not continue).
    pub fn needs_a_person(&self) -> bool {
        self.confirmed.is_none() && self.outcome != Outcome::Stays
    }
}

/// Every proposal of one staged release.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Proposals {
    /// Release id.
    pub release: i64,
    /// Layer id.
    pub layer: String,
    /// The generation replaced and the one replacing it.
    pub from_generation: i64,
    /// The new generation.
    pub to_generation: i64,
    /// The share used.
    pub successor_share: f64,
    /// One per feed (not retired) and decision attached to the layer.
    pub proposals: Vec<Proposal>,
    /// How many still need a person.
    pub waiting: usize,
}

impl Proposals {
    /// The moves activation applies: every confirmed successor that
    /// differs from the area it leaves.
    pub fn migrations(&self) -> Vec<Migration> {
        self.proposals
            .iter()
            .filter_map(|p| {
                let to = p.confirmed.as_ref()?.to.clone()?;
                (to != p.from).then(|| Migration {
                    subject: p.subject.clone(),
                    from: p.from.clone(),
                    to,
                })
            })
            .collect()
    }
}

/// Why proposals cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum ProposalError {
    /// No such release.
    #[error("no release {0}")]
    NotFound(i64),
    /// The release or the generation it replaces does not build.
    #[error("release {0}: {1}")]
    Unusable(i64, String),
}

/// The diff of a release against the generation it replaces, with the
/// layer index.
pub fn release_diff(served: &Served, release: i64) -> Result<(usize, Arc<Diff>), ProposalError> {
    let g = served.generations();
    let (li, gen) = g.release(release).ok_or(ProposalError::NotFound(release))?;
    let r = gen.release.as_ref().expect("a release generation");
    if let Err(why) = &gen.layer {
        return Err(ProposalError::Unusable(release, why.clone()));
    }
    g.diff(li, r.follows, r.generation)
        .map(|d| (li, d))
        .ok_or_else(|| {
            ProposalError::Unusable(
                release,
                format!("generation {} of its layer does not build", r.follows),
            )
        })
}

/// One old area's successor by the diff.
struct Single {
    change: Option<ChangeKind>,
    outcome: Outcome,
    proposed: Option<(String, String, f64)>,
    candidates: Vec<Candidate>,
}

fn single(diff: &Diff, id: &str, share: f64) -> Single {
    let Some(area) = diff.area(Side::Old, id) else {
        return Single {
            change: None,
            outcome: Outcome::Unknown,
            proposed: None,
            candidates: Vec::new(),
        };
    };
    let pairs: Vec<&Pair> = diff.successors(id).collect();
    let candidates = pairs.iter().map(|p| Candidate::from(*p)).collect();
    let best = pairs.first();
    let (outcome, proposed) = match best {
        _ if area.kind == ChangeKind::Unchanged => (
            Outcome::Stays,
            Some((id.to_string(), area.name.clone(), 1.0)),
        ),
        None => (Outcome::Removed, None),
        Some(b) if b.share() >= share => (
            if b.to == id {
                Outcome::Stays
            } else {
                Outcome::Proposed
            },
            Some((b.to.clone(), b.to_name.clone(), b.share())),
        ),
        Some(_) => (Outcome::Split, None),
    };
    Single {
        change: Some(area.kind),
        outcome,
        proposed,
        candidates,
    }
}

fn percent(x: f64) -> String {
    format!("{:.0} %", x * 100.0)
}

/// The proposals of staged (or active) release `release`, with each
/// subject's confirmation.
pub fn proposals(served: &Served, release: i64, share: f64) -> Result<Proposals, ProposalError> {
    let (li, diff) = release_diff(served, release)?;
    let gens = served.generations();
    let gen = gens
        .get_release(release)
        .ok_or(ProposalError::NotFound(release))?;
    let layer_id = gen.layer.clone();
    // The feeds and decisions as attached while the replaced generation is
    // in effect: today's, unless that one is itself scheduled; once the
    // release is active, those it was proposed for (from the replaced
    // generation's start).
    let follows_from = gens
        .get(li, gen.follows)
        .and_then(|g| g.valid_from().map(str::to_string));
    let date = if gen.status == ReleaseStatus::Active {
        follows_from.unwrap_or_else(|| "0001-01-01".into())
    } else {
        follows_from
            .filter(|d| d.as_str() > served.day())
            .unwrap_or_else(|| served.day().to_string())
    };
    let view = served.view_at(&date);
    let residents_known = diff.residents_from.is_some();
    let what = if residents_known {
        "residents"
    } else {
        "ground"
    };
    let mut subjects: Vec<(String, String, String)> = view
        .feeds()
        .feeds
        .iter()
        .filter(|f| {
            f.fields.status != FeedStatus::Retired && f.fields.layer.as_deref() == Some(&layer_id)
        })
        .filter_map(|f| {
            Some((
                format!("feed:{}", f.feed_id),
                format!("{} ({})", f.fields.handle, f.fields.name),
                f.fields.area_id.clone()?,
            ))
        })
        .collect();
    subjects.extend(view.decisions().of_layer(&layer_id).map(|d| {
        (
            format!("decision:{}", d.applied.id),
            format!("decision: {}", d.applied.decision.as_str()),
            d.area_id.clone(),
        )
    }));
    // Published contacts and priorities follow their neighbourhood like a
    // feed does (in the order of their stored keys).
    let mut pages: Vec<(String, String, String)> = view
        .pages()
        .iter()
        .filter(|(layer, _, _)| *layer == layer_id)
        .map(|(_, area, p)| {
            (
                format!("page:{}", p.area_id),
                format!(
                    "published contacts ({}) and priorities ({})",
                    p.people.len(),
                    p.priorities.len()
                ),
                area.to_string(),
            )
        })
        .collect();
    pages.sort();
    subjects.extend(pages);
    let name_of = |side: Side, id: &str| {
        ClusterId::parts(id)
            .map(|p| {
                diff.area(side, p)
                    .map_or(p, |a| a.name.as_str())
                    .to_string()
            })
            .collect::<Vec<_>>()
            .join(" + ")
    };
    let mut out = Vec::new();
    for (subject, label, from) in subjects {
        let parts: Vec<Single> = ClusterId::parts(&from)
            .map(|p| single(&diff, p, share))
            .collect();
        let all_follow = parts.iter().all(|s| s.proposed.is_some());
        let (outcome, proposed, share_to) = if all_follow {
            let mut ids: Vec<String> = Vec::new();
            for s in &parts {
                let id = s.proposed.as_ref().expect("checked").0.clone();
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            let to = ClusterId::of(ids.iter().map(String::as_str)).into_string();
            let min_share = parts
                .iter()
                .map(|s| s.proposed.as_ref().expect("checked").2)
                .fold(1.0, f64::min);
            let outcome = if parts.iter().all(|s| s.outcome == Outcome::Stays) && to == from {
                Outcome::Stays
            } else {
                Outcome::Proposed
            };
            (outcome, Some(to), Some(min_share))
        } else {
            let worst = parts
                .iter()
                .map(|s| s.outcome)
                .find(|o| matches!(o, Outcome::Unknown | Outcome::Removed | Outcome::Split))
                .unwrap_or(Outcome::Split);
            (worst, None, None)
        };
        let change = if parts.len() == 1 {
            parts[0].change
        } else {
            parts
                .iter()
                .filter_map(|s| s.change)
                .find(|k| *k != ChangeKind::Unchanged)
                .or(Some(ChangeKind::Unchanged))
        };
        let candidates: Vec<Candidate> = parts.into_iter().flat_map(|s| s.candidates).collect();
        let from_name = name_of(Side::Old, &from);
        let proposed_name = proposed.as_ref().map(|p| name_of(Side::New, p));
        let reason = match (outcome, &proposed_name, share_to) {
            (Outcome::Stays, _, _) => format!("{from_name} continues under the same id"),
            (Outcome::Proposed, Some(name), Some(s)) => format!(
                "{name} receives {} of {from_name}'s {what} (at least {} needed)",
                percent(s),
                percent(share)
            ),
            (Outcome::Split, _, _) => format!(
                "split: no new area receives {} of {from_name}'s {what} ({}); a planner chooses",
                percent(share),
                candidates
                    .iter()
                    .take(4)
                    .map(|c| format!(
                        "{} {}",
                        c.name,
                        percent(c.resident_share.unwrap_or(c.ground_share))
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            (Outcome::Removed, _, _) => {
                format!("no new area covers {from_name}; a planner chooses an area, or none")
            }
            _ => format!(
                "{from_name} is not an area of the generation being replaced; a planner chooses"
            ),
        };
        let confirmed = gen.confirmations.get(&subject).cloned();
        let on_activation = match (&confirmed, outcome) {
            (Some(Confirmation { to: Some(to), .. }), _) if *to == from => {
                format!("stays on {from_name} (confirmed)")
            }
            (Some(Confirmation { to: Some(to), .. }), _) => {
                format!("moves to {} (confirmed)", name_of(Side::New, to))
            }
            (Some(Confirmation { to: None, .. }), _) => format!(
                "stays attached to {from_name} and is listed with its problem (confirmed: no successor)"
            ),
            (None, Outcome::Stays) => format!("stays on {from_name}"),
            (None, _) => format!(
                "waits: unconfirmed, it stays attached to {from_name} and is listed with its problem"
            ),
        };
        out.push(Proposal {
            version: confirmed.as_ref().map_or(0, |c| c.version),
            subject,
            label,
            from,
            from_name,
            change,
            outcome,
            proposed,
            proposed_name,
            share: share_to,
            candidates,
            reason,
            confirmed,
            on_activation,
        });
    }
    let waiting = out.iter().filter(|p| p.needs_a_person()).count();
    Ok(Proposals {
        release,
        layer: layer_id,
        from_generation: gen.follows,
        to_generation: gen.generation,
        successor_share: share,
        proposals: out,
        waiting,
    })
}
