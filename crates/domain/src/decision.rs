//! A planner's decision about a suggestion: the one piece of planning state
//! that is not a pure function of the boundary files.
//!
//! Decisions are stored (the `store` module) and fed back into the plan
//! (`plan::plan`): an accepted suggestion becomes a planned
//! feed that counts as served, a rejected one is not suggested again until
//! the decision is withdrawn, and a deferred one stays on the list marked as
//! such. A decision whose area disappears after a boundary update is
//! reported as vanished rather than silently dropped.

use feedmap_geography::area::AreaRef;
use feedmap_geography::manifest::Role;
use feedmap_geography::region::Region;
use serde::Serialize;
use std::collections::HashMap;

/// What a planner decided (recorded by the store, which keeps the word).
pub use feedmap_store::DecisionKind;

/// The `layer` of a decision about an existing feed (the consolidation
/// plan's merge or retire suggestions): its `area_id` is then the feed
/// id. No manifest layer can take this id (layer ids do not start with
/// `@`), so the two kinds of decision never collide, and everything that
/// walks a layer's decisions passes these by.
pub const FEEDS_LAYER: &str = "@feeds";

/// The `layer` of a decision about a discovered settlement (a plan's
/// `kind: "settlement"` suggestion): its `area_id` is the settlement id.
/// Like [`FEEDS_LAYER`], no manifest layer can take it, and a boundary
/// redraw of a community layer does not move it.
pub const SETTLEMENTS_LAYER: &str = "@settlements";

/// A cluster's id: its members' area ids joined by `+` (as the plan names
/// clusters). The one home of that rule: the plan builds ids with
/// [`ClusterId::of`], decisions split them with [`ClusterId::parts`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClusterId(String);

impl ClusterId {
    /// The separator between member ids.
    pub const SEPARATOR: char = '+';

    /// The id of the cluster of `members` (in the order given).
    pub fn of<'a>(members: impl IntoIterator<Item = &'a str>) -> ClusterId {
        let mut id = String::new();
        for (i, m) in members.into_iter().enumerate() {
            if i > 0 {
                id.push(Self::SEPARATOR);
            }
            id.push_str(m);
        }
        ClusterId(id)
    }

    /// The member ids an id names (one part for an area id).
    pub fn parts(id: &str) -> impl Iterator<Item = &str> {
        id.split(Self::SEPARATOR)
    }

    /// The id as text.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// Longest name a planner may give a suggestion, in characters.
pub const MAX_NAME: usize = 120;

/// Checks a planner's name for a suggestion and returns it trimmed: one
/// line of at most [`MAX_NAME`] characters, not blank. The one rule for
/// every way in (HTTP, command line, map).
pub fn check_name(name: &str) -> Result<String, String> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err("is blank; give the name planners and residents know the place by".into());
    }
    if let Some(c) = trimmed.chars().find(|c| c.is_control()) {
        return Err(format!(
            "contains the control character {:?}; a name is one line of text",
            c
        ));
    }
    let n = trimmed.chars().count();
    if n > MAX_NAME {
        return Err(format!("is {n} characters; at most {MAX_NAME}"));
    }
    Ok(trimmed.to_string())
}

/// A name as a change gives it: `""` removes the name (kept as `""`, as
/// the store's patch takes it), anything else must pass [`check_name`].
pub fn name_change(name: Option<&str>) -> Result<Option<String>, String> {
    match name {
        Some("") => Ok(Some(String::new())),
        Some(n) => check_name(n).map(Some),
        None => Ok(None),
    }
}

/// The kind of a new decision: the one given, or, for a name alone,
/// [`DecisionKind::Defer`] (named, still to decide); `None` when neither
/// is given.
pub fn new_kind(given: Option<DecisionKind>, named: bool) -> Option<DecisionKind> {
    given.or(named.then_some(DecisionKind::Defer))
}

/// A decision as the plan sees it: enough to mark a suggestion and to say
/// who decided what, when and why.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Applied {
    /// The stored decision's id.
    pub id: i64,
    /// What was decided.
    pub decision: DecisionKind,
    /// Who decided (the token's name).
    pub by: String,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// The planner's note.
    pub note: String,
    /// The planner's name for the suggestion, shown instead of the plan's
    /// own (absent when not renamed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The stored decision's version, so a client changing it can send the
    /// `If-Match` of exactly what it was shown.
    pub version: i64,
}

impl Applied {
    /// "accepted by planner-a on 2026-11-25 as “Partington”: “note”",
    /// for reasons.
    pub fn sentence(&self) -> String {
        let day = self.at.get(..10).unwrap_or(&self.at);
        let mut s = format!("{} by {} on {day}", self.decision.past(), self.by);
        if let Some(name) = &self.name {
            s.push_str(&format!(" as \u{201c}{name}\u{201d}"));
        }
        if !self.note.is_empty() {
            s.push_str(&format!(": \u{201c}{}\u{201d}", self.note));
        }
        s
    }
}

/// One decision the plan is given: the area (or cluster of areas) it is
/// about, and the decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Given {
    /// Community layer id.
    pub layer: String,
    /// The area id, or a cluster's id (its members' ids joined by `+`).
    pub area_id: String,
    /// A cluster's member ids (empty for one area).
    pub members: Vec<String>,
    /// The decision.
    pub applied: Applied,
}

/// Decisions keyed for the plan: by (layer, area or cluster id).
#[derive(Debug, Clone, Default)]
pub struct Decisions {
    by_key: HashMap<(String, String), Given>,
}

impl Decisions {
    /// Indexes decisions (at most one per layer and area, as the store
    /// guarantees; a later duplicate would replace an earlier one).
    pub fn new(given: impl IntoIterator<Item = Given>) -> Decisions {
        Decisions {
            by_key: given
                .into_iter()
                .map(|g| ((g.layer.clone(), g.area_id.clone()), g))
                .collect(),
        }
    }

    /// No decisions at all.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// The decision about `area_id` (an area or cluster id) of `layer`.
    pub fn get(&self, layer: &str, area_id: &str) -> Option<&Given> {
        self.by_key.get(&(layer.to_string(), area_id.to_string()))
    }

    /// Every decision about `layer`.
    pub fn of_layer<'a>(&'a self, layer: &'a str) -> impl Iterator<Item = &'a Given> + 'a {
        self.by_key.values().filter(move |g| g.layer == layer)
    }

    /// Every decision.
    pub fn all(&self) -> impl Iterator<Item = &Given> {
        self.by_key.values()
    }
}

/// What a decision's area or cluster is in the current region.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// One community area.
    Area(AreaRef),
    /// A cluster of community areas (layer index, area indices).
    Cluster(usize, Vec<usize>),
}

/// Why a decision's target is not in the region.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TargetError {
    /// No such layer.
    #[error("layer {layer:?} is not in the region (community layers: {known})")]
    NoLayer {
        /// The layer named.
        layer: String,
        /// Community layers there are.
        known: String,
    },
    /// The layer is not a community layer.
    #[error("layer {layer:?} is a {role} layer; decisions are about community layers")]
    NotCommunity {
        /// The layer named.
        layer: String,
        /// Its role.
        role: &'static str,
    },
    /// Areas missing from the layer.
    #[error("{} not in layer {layer:?}", missing.iter().map(|m| format!("{m:?}")).collect::<Vec<_>>().join(", ") + if missing.len() == 1 { " is" } else { " are" })]
    NoArea {
        /// The layer.
        layer: String,
        /// The ids not found.
        missing: Vec<String>,
    },
}

/// Resolves a decision's layer and area (or cluster) against a region: an
/// existing area id is one area; otherwise an id of two or more existing
/// area ids joined by `+` is a cluster (as the plan names clusters).
pub fn resolve(region: &Region, layer: &str, area_id: &str) -> Result<Target, TargetError> {
    let Some((li, l)) = region.layer(layer) else {
        return Err(TargetError::NoLayer {
            layer: layer.into(),
            known: region
                .layers
                .iter()
                .filter(|l| l.role == Role::Community)
                .map(|l| l.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    };
    if l.role != Role::Community {
        return Err(TargetError::NotCommunity {
            layer: layer.into(),
            role: l.role.as_str(),
        });
    }
    if let Some(a) = l.area_index(area_id) {
        return Ok(Target::Area(AreaRef::new(li, a)));
    }
    let parts: Vec<&str> = ClusterId::parts(area_id).collect();
    let found: Vec<Option<usize>> = parts.iter().map(|p| l.area_index(p)).collect();
    if parts.len() >= 2 && found.iter().all(Option::is_some) {
        return Ok(Target::Cluster(li, found.into_iter().flatten().collect()));
    }
    let missing = if parts.len() >= 2 {
        parts
            .iter()
            .zip(&found)
            .filter(|(_, f)| f.is_none())
            .map(|(p, _)| p.to_string())
            .collect()
    } else {
        vec![area_id.to_string()]
    };
    Err(TargetError::NoArea {
        layer: layer.into(),
        missing,
    })
}

impl From<&feedmap_store::Decision> for Given {
    fn from(d: &feedmap_store::Decision) -> Given {
        Given {
            layer: d.layer.clone(),
            area_id: d.area_id.clone(),
            members: d.members.clone(),
            applied: Applied {
                id: d.id,
                decision: d.decision,
                by: d.meta.updated_by.clone(),
                at: d.meta.updated_at.clone(),
                note: d.note.clone(),
                name: d.name.clone(),
                version: d.meta.version,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_name_who_when_and_why() {
        let a = Applied {
            id: 1,
            decision: DecisionKind::Reject,
            by: "planner-a".into(),
            at: "2026-11-25T07:00:00.000Z".into(),
            note: "covered by the parish newsletter".into(),
            name: None,
            version: 1,
        };
        assert_eq!(
            a.sentence(),
            "rejected by planner-a on 2026-11-25: \u{201c}covered by the parish newsletter\u{201d}"
        );
        let named = Applied {
            decision: DecisionKind::Accept,
            name: Some("Marlow".into()),
            note: String::new(),
            ..a.clone()
        };
        assert_eq!(
            named.sentence(),
            "accepted by planner-a on 2026-11-25 as \u{201c}Marlow\u{201d}"
        );
        for k in [
            DecisionKind::Accept,
            DecisionKind::Reject,
            DecisionKind::Defer,
        ] {
            assert_eq!(DecisionKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(DecisionKind::parse("Accept"), None);
        // Names: "" removes one; others are checked; a name alone defers.
        assert_eq!(name_change(Some("")), Ok(Some(String::new())));
        assert_eq!(name_change(Some(" Marlow ")), Ok(Some("Marlow".into())));
        assert!(name_change(Some("a\nb")).is_err());
        assert_eq!(name_change(None), Ok(None));
        assert_eq!(new_kind(None, true), Some(DecisionKind::Defer));
        assert_eq!(
            new_kind(Some(DecisionKind::Accept), true),
            Some(DecisionKind::Accept)
        );
        assert_eq!(new_kind(None, false), None);
    }
}
