//! Recording planners' decisions against what is served: whether a new
//! decision's subject (a community, a cluster, a settlement, a feed) is in
//! the region today, and setting a decision (its kind, note or name) the
//! one way the command line and the map share. The rules on a decision's
//! own fields are in [`crate::decision`].

use crate::decision::{
    name_change, new_kind, resolve, ClusterId, DecisionKind, Target, TargetError, FEEDS_LAYER,
    SETTLEMENTS_LAYER,
};

/// Why a new decision cannot be recorded about `layer`/`area_id`: the
/// field at fault and the reason (for an HTTP problem or a CLI error).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct NotDecidable {
    /// `layer` or `area_id`.
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
    /// The decision there already is (change that one), if that is why.
    pub existing: Option<i64>,
}

/// Checks what a new decision is about against what `served` serves today
/// and returns a cluster's member ids (empty for one area, a feed or a
/// settlement): a feed (layer [`FEEDS_LAYER`]), a settlement
/// ([`SETTLEMENTS_LAYER`]), or a community or cluster of a community
/// layer, with no decision yet (a decision a boundary release moved onto
/// an area is that area's decision now). The one rule for every way in.
pub fn new_target(
    served: &crate::served::Served,
    layer: &str,
    area_id: &str,
) -> Result<Vec<String>, NotDecidable> {
    let bad = |field, message: String| NotDecidable {
        field,
        message,
        existing: None,
    };
    let members = if layer == FEEDS_LAYER {
        if served.feeds().get(area_id).is_none() {
            return Err(bad("area_id", format!("{area_id:?} is not a feed (decisions with layer {FEEDS_LAYER:?} are about feeds, by feed id)")));
        }
        Vec::new()
    } else if layer == SETTLEMENTS_LAYER {
        if served.geo().settlements().by_id(area_id).is_none() {
            return Err(bad("area_id", format!("{area_id:?} is not a settlement of the region (decisions with layer {SETTLEMENTS_LAYER:?} are about settlements, by the id /v1/settlements gives)")));
        }
        Vec::new()
    } else {
        match resolve(served.region(), layer, area_id) {
            Ok(Target::Area(..)) => Vec::new(),
            Ok(Target::Cluster(..)) => ClusterId::parts(area_id).map(str::to_string).collect(),
            Err(e @ TargetError::NoArea { .. }) => {
                let hint = if is_settlement(served, layer, area_id) {
                    format!(" ({area_id:?} is a settlement of the plan: decide it with layer {SETTLEMENTS_LAYER:?})")
                } else {
                    String::new()
                };
                return Err(bad("area_id", format!("{e}{hint}")));
            }
            Err(e) => return Err(bad("layer", e.to_string())),
        }
    };
    if let Some(g) = served.decisions().get(layer, area_id) {
        return Err(NotDecidable {
            field: "area_id",
            message: format!(
                "{layer}/{area_id} already has decision {} ({}); change that one",
                g.applied.id,
                g.applied.sentence()
            ),
            existing: Some(g.applied.id),
        });
    }
    Ok(members)
}

/// A stored decision as it stands today: one a boundary release moved to
/// a successor area is shown on that area (the store keeps the area it
/// was made for).
pub fn as_today(
    served: &crate::served::Served,
    mut d: feedmap_store::Decision,
) -> feedmap_store::Decision {
    if let Some(g) = served.decisions().all().find(|g| g.applied.id == d.id) {
        if g.area_id != d.area_id {
            d.area_id = g.area_id.clone();
            d.members = g.members.clone();
        }
    }
    d
}

/// Whether `area_id`, given under the community layer `layer`, is not an
/// area of it but a settlement (as the plan lists settlements).
fn is_settlement(served: &crate::served::Served, layer: &str, area_id: &str) -> bool {
    layer != SETTLEMENTS_LAYER
        && layer != FEEDS_LAYER
        && served.geo().settlements().by_id(area_id).is_some()
        && resolve(served.region(), layer, area_id).is_err()
}

/// What to set on the decision about a suggestion: fields left `None`
/// keep their value (or, for a new decision, their default).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Change {
    /// Accept, reject or defer.
    pub decision: Option<DecisionKind>,
    /// The planner's note.
    pub note: Option<String>,
    /// The planner's name for the suggestion (`""` removes it).
    pub name: Option<String>,
}

/// Why a decision could not be set.
#[derive(Debug, thiserror::Error)]
pub enum SetError {
    /// What it is about is not in the region (or not decidable).
    #[error(transparent)]
    Target(#[from] NotDecidable),
    /// The name breaks [`crate::decision::check_name`]'s rule.
    #[error("name: {0}")]
    Name(String),
    /// A new decision needs a kind (or a name, which records it deferred).
    #[error("{layer}/{area_id} has no decision yet: give accept, reject or defer (or a name, which records it as deferred: named, still to decide)")]
    NoKind {
        /// The layer.
        layer: String,
        /// The area or cluster id.
        area_id: String,
    },
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] feedmap_store::StoreError),
}

/// Sets the decision about `layer`/`area_id` (an area, a cluster id, a
/// feed or a settlement) as planner `who`: changes the decision there is
/// (one a boundary release moved onto the area included), or records a
/// new one. A name alone on a suggestion still to decide records it as
/// deferred. Returns the stored decision and whether it is new.
pub fn set(
    served: &crate::served::Served,
    store: &dyn feedmap_store::Store,
    who: &str,
    layer: &str,
    area_id: &str,
    change: Change,
) -> Result<(feedmap_store::Decision, bool), SetError> {
    let name = name_change(change.name.as_deref()).map_err(SetError::Name)?;
    // A settlement, as the plan lists it (under its community layer), is
    // decided under `@settlements`.
    let layer = if is_settlement(served, layer, area_id) {
        SETTLEMENTS_LAYER
    } else {
        layer
    };
    if let Some(g) = served.decisions().get(layer, area_id) {
        let patch = feedmap_store::DecisionPatch {
            decision: change.decision,
            note: change.note,
            name,
        };
        let d = store.update_decision(
            who,
            g.applied.id,
            feedmap_store::Expect::Version(g.applied.version),
            patch,
        )?;
        return Ok((d, false));
    }
    let members = new_target(served, layer, area_id)?;
    let name = name.filter(|n| !n.is_empty());
    let decision = new_kind(change.decision, name.is_some()).ok_or_else(|| SetError::NoKind {
        layer: layer.into(),
        area_id: area_id.into(),
    })?;
    let d = store.create_decision(
        who,
        feedmap_store::NewDecision {
            layer: layer.into(),
            area_id: area_id.into(),
            members,
            decision,
            note: change.note.unwrap_or_default(),
            name,
            params: None,
        },
    )?;
    Ok((d, true))
}
