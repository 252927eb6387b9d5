//! The operations on boundary releases, shared by the HTTP API and the
//! command line: stage (validate all or nothing, then store), confirm a
//! successor, activate (now or from a date, applying the confirmed
//! successors in the same transaction), withdraw. Reads (list, diff,
//! proposals) come from a [`Served`] value.

use crate::diff::{Diff, Side};
use crate::generations::{build_release, is_date, release_spec, today, Generation};
use crate::served::Served;
use crate::successors::{proposals, ProposalError, DEFAULT_SUCCESSOR_SHARE};
use feedmap_geography::manifest::is_valid_layer_id;
use feedmap_geography::validate::Problem;
use feedmap_store::{Expect, NewRelease, Release, ReleaseFile, ReleaseStatus, Store, StoreError};
use serde::Serialize;

/// Longest label, in characters.
pub const MAX_LABEL: usize = 200;

/// A release to stage, as given.
#[derive(Debug, Clone, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StageRequest {
    /// The layer it is a new generation of.
    pub layer: String,
    /// A label, e.g. `May 2023 wards`.
    #[serde(default)]
    pub label: String,
    /// Property with the area id, when it differs from the manifest's.
    #[serde(default)]
    pub id_property: Option<String>,
    /// Property with the area name, when it differs from the manifest's.
    #[serde(default)]
    pub name_property: Option<String>,
    /// One GeoJSON file, or one or more KML files: name and text.
    pub files: Vec<FileBody>,
}

/// One file of a release as given.
#[derive(Debug, Clone, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileBody {
    /// File name; its extension says GeoJSON (`.geojson`, `.json`) or KML.
    pub name: String,
    /// The file's text.
    pub text: String,
}

/// Why a release operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// The layer is not in the region.
    #[error("unknown layer {0:?}; the region's layers are {1}")]
    UnknownLayer(String, String),
    /// A field of the request is wrong.
    #[error("{field}: {detail}")]
    BadField {
        /// Field.
        field: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// The files do not make a valid layer; every problem is listed.
    #[error("{} problem(s) in the release; nothing was stored:\n{}", .0.len(), .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Problem>),
    /// The release cannot be compared or proposed for.
    #[error(transparent)]
    Proposal(#[from] ProposalError),
    /// No such layer or area.
    #[error("{0}")]
    NotFound(String),
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn bad(field: &'static str, detail: impl Into<String>) -> ReleaseError {
    ReleaseError::BadField {
        field,
        detail: detail.into(),
    }
}

/// Validates `req` against the layer's manifest entry and stores it as
/// staged, after the layer's latest active generation. Nothing is stored
/// unless every file is valid.
pub fn stage(
    served: &Served,
    store: &dyn Store,
    who: &str,
    req: StageRequest,
) -> Result<Release, ReleaseError> {
    let source = served.source();
    let Some((li, _)) = source.region.layer(&req.layer) else {
        let known: Vec<_> = source.region.layers.iter().map(|l| l.id.as_str()).collect();
        return Err(ReleaseError::UnknownLayer(req.layer, known.join(", ")));
    };
    if req.label.chars().count() > MAX_LABEL || req.label.contains('\0') {
        return Err(bad(
            "label",
            format!("at most {MAX_LABEL} characters, no NUL"),
        ));
    }
    for (field, v) in [
        ("id_property", &req.id_property),
        ("name_property", &req.name_property),
    ] {
        if v.as_deref()
            .is_some_and(|p| p.trim().is_empty() || p.len() > MAX_LABEL)
        {
            return Err(bad(field, "must be a property name"));
        }
    }
    if req.files.is_empty() {
        return Err(bad(
            "files",
            "give one GeoJSON file or one or more KML files",
        ));
    }
    let spec = &source.manifest.layers[li];
    let files: Vec<ReleaseFile> = req
        .files
        .into_iter()
        .map(|f| ReleaseFile {
            name: f.name,
            text: f.text,
        })
        .collect();
    if let Some(f) = files.iter().find(|f| {
        f.name.is_empty() || f.name.len() > MAX_LABEL || f.name.contains(['/', '\\', '\0'])
    }) {
        return Err(bad(
            "files",
            format!("file name {:?} must be a plain file name", f.name),
        ));
    }
    let new = NewRelease {
        layer: req.layer,
        follows: served.generations().latest_active(li),
        label: req.label,
        id_property: req.id_property,
        name_property: req.name_property,
        files,
    };
    let repair = source.options.repair || spec.repair.unwrap_or(source.manifest.repair);
    let started = std::time::Instant::now();
    build_release(
        &release_spec(
            spec,
            new.id_property.as_deref(),
            new.name_property.as_deref(),
        ),
        &new.files,
        repair,
        "release",
    )
    .map_err(ReleaseError::Invalid)?;
    tracing::info!(layer = %new.layer, ms = started.elapsed().as_millis() as u64, "release validated");
    Ok(store.stage_release(who, new)?)
}

/// What a planner confirms for one subject.
#[derive(Debug, Clone, PartialEq)]
pub enum Choice {
    /// The diff's proposal.
    Proposal,
    /// This area (or `+`-joined cluster) of the new generation.
    Area(String),
    /// No successor: it stays attached to its old area, listed with its
    /// problem.
    None,
}

/// Records a planner's successor for `subject` of staged release
/// `release`.
pub fn confirm(
    served: &Served,
    store: &dyn Store,
    who: &str,
    release: i64,
    subject: &str,
    expect: Expect,
    choice: Choice,
) -> Result<Release, ReleaseError> {
    let props = proposals(served, release, DEFAULT_SUCCESSOR_SHARE)?;
    let Some(p) = props.proposals.iter().find(|p| p.subject == subject) else {
        return Err(StoreError::NotFound {
            entity: "proposal",
            id: format!("{subject} in release {release}"),
        }
        .into());
    };
    let to = match choice {
        Choice::Proposal => Some(p.proposed.clone().ok_or_else(|| {
            bad(
                "to",
                format!(
                    "{subject} has no proposed successor ({}); name the area",
                    p.reason
                ),
            )
        })?),
        Choice::None => None,
        Choice::Area(id) => {
            let (li, gen) = served
                .generations()
                .release(release)
                .ok_or(ProposalError::NotFound(release))?;
            let _ = li;
            let layer = gen.layer.as_ref().map_err(|why| {
                ReleaseError::Proposal(ProposalError::Unusable(release, why.clone()))
            })?;
            for part in crate::decision::ClusterId::parts(&id) {
                if layer.area_index(part).is_none() {
                    return Err(bad(
                        "to",
                        format!(
                            "{part:?} is not an area of generation {} of layer {:?}",
                            gen.number, layer.id
                        ),
                    ));
                }
            }
            Some(id)
        }
    };
    Ok(store.confirm_successor(who, release, subject, expect, to)?)
}

/// Activates staged release `release` from `valid_from` (`YYYY-MM-DD`,
/// default today), moving every confirmed successor in the same
/// transaction. Returns the release and the proposals that still need a
/// person (their subjects stay attached to their old areas, listed with
/// their problem).
pub fn activate(
    served: &Served,
    store: &dyn Store,
    who: &str,
    release: i64,
    expect: Expect,
    valid_from: Option<&str>,
) -> Result<(Release, Vec<String>), ReleaseError> {
    let date = match valid_from {
        Some(d) if is_date(d) => d.to_string(),
        Some(d) => return Err(bad("valid_from", format!("{d:?} is not a date YYYY-MM-DD"))),
        None => today(),
    };
    let props = proposals(served, release, DEFAULT_SUCCESSOR_SHARE)?;
    // The moves come from the confirmations this value holds: activation
    // must find the release exactly as read, or a confirmation made
    // meanwhile (on another replica) would be left out.
    let seen = served
        .generations()
        .get_release(release)
        .map_or(0, |r| r.meta.version);
    let expect = match expect {
        Expect::Any => Expect::Version(seen),
        Expect::Version(v) if v != seen => {
            return Err(StoreError::Stale {
                entity: "release",
                id: release.to_string(),
                current: seen,
            }
            .into())
        }
        e => e,
    };
    let waiting = props
        .proposals
        .iter()
        .filter(|p| p.needs_a_person())
        .map(|p| format!("{}: {}", p.subject, p.reason))
        .collect();
    let r = store.activate_release(
        who,
        release,
        expect,
        &date,
        &props.migrations(),
        &may_follow,
    )?;
    Ok((r, waiting))
}

/// Whether `release` may be activated from `valid_from` after the layer's
/// `active` releases: generations are used in order, each from a later
/// date than the one before, and a release staged against one generation
/// cannot replace another (the boundaries it was compared with are gone).
/// `Err` says why not, for a planner to read.
pub fn may_follow(release: &Release, active: &[Release], valid_from: &str) -> Result<(), String> {
    if let Some(latest) = active.iter().max_by_key(|r| r.generation) {
        if latest.generation > release.generation {
            return Err(format!(
                "generation {} of layer {:?} is already active; generation {} is older",
                latest.generation, release.layer, release.generation
            ));
        }
        if latest
            .valid_from
            .as_deref()
            .is_some_and(|d| d >= valid_from)
        {
            return Err(format!(
                "valid_from {valid_from} is not after {} (from when generation {} is in use)",
                latest.valid_from.as_deref().unwrap_or(""),
                latest.generation
            ));
        }
    }
    let active_generation = active.iter().map(|r| r.generation).max().unwrap_or(1);
    if active_generation != release.follows {
        return Err(format!(
            "it was staged against generation {} of layer {:?}, but generation {active_generation} is active now; stage it again",
            release.follows, release.layer
        ));
    }
    Ok(())
}

/// Checks a layer id given on a command line or in a URL.
pub fn check_layer_id(id: &str) -> Result<(), ReleaseError> {
    if is_valid_layer_id(id) {
        Ok(())
    } else {
        Err(bad("layer", format!("{id:?} is not a layer id")))
    }
}

/// One generation of one layer, as listed.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct GenerationView {
    /// Layer id.
    pub layer: String,
    /// Generation number (1: the manifest's file).
    pub generation: i64,
    /// The release it comes from (`None`: the manifest).
    pub release: Option<i64>,
    /// Label.
    pub label: String,
    /// Staged, active or withdrawn.
    pub status: ReleaseStatus,
    /// From when lookups use it (`None` for the manifest's: always).
    pub valid_from: Option<String>,
    /// Until when (the next active generation's `valid_from`).
    pub valid_to: Option<String>,
    /// Whether lookups use it today.
    pub in_effect: bool,
    /// The generation it replaces.
    pub follows: Option<i64>,
    /// How many areas.
    pub areas: Option<usize>,
    /// The file names.
    pub files: Vec<String>,
    /// How many successors planners confirmed.
    pub confirmed: usize,
    /// Why it cannot be used, if it cannot.
    pub problem: Option<String>,
    /// When it was staged.
    pub staged_at: Option<String>,
    /// The release's version: its ETag.
    pub version: i64,
}

impl GenerationView {
    /// Describes generation `g` of layer `li`.
    pub fn of(served: &Served, li: usize, g: &Generation) -> GenerationView {
        let layer = &served.source().region.layers[li];
        let r: Option<&Release> = g.release.as_ref();
        GenerationView {
            layer: layer.id.clone(),
            generation: g.number,
            release: r.map(|r| r.id),
            label: r.map_or_else(
                || format!("{} (region manifest)", layer.title),
                |r| r.label.clone(),
            ),
            status: g.status(),
            valid_from: g.valid_from().map(str::to_string),
            valid_to: g.valid_to.clone(),
            in_effect: served.today().key.get(li) == Some(&g.number),
            follows: r.map(|r| r.follows),
            areas: g.layer.as_ref().ok().map(|l| l.areas.len()),
            files: r.map_or_else(
                || vec![layer.source.display().to_string()],
                |r| r.files.clone(),
            ),
            confirmed: r.map_or(0, |r| r.confirmations.len()),
            problem: g.layer.as_ref().err().cloned(),
            staged_at: r.map(|r| r.meta.created_at.clone()),
            version: r.map_or(0, |r| r.meta.version),
        }
    }
}

/// The answer of `GET /v1/releases`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ReleaseList {
    /// Today's date, as lookups take it (UTC).
    pub today: String,
    /// Every generation of every layer, layer by layer, oldest first.
    pub generations: Vec<GenerationView>,
}

/// A diff as CSV: one row per old → new pair, then a row for each area
/// in no pair (wholly added or removed).
pub fn diff_csv(d: &Diff) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "from",
        "from_name",
        "from_kind",
        "to",
        "to_name",
        "to_kind",
        "ground_share",
        "resident_share",
        "residents",
        "share_of_new",
        "ground_m2",
        "postcodes",
    ]);
    let kind = |side, id: &str| d.area(side, id).map_or("", |a| a.kind.as_str());
    let num = |v: Option<f64>, places: usize| v.map_or(String::new(), |v| format!("{v:.places$}"));
    for p in &d.pairs {
        let _ = w.write_record([
            p.from.as_str(),
            &p.from_name,
            kind(Side::Old, &p.from),
            &p.to,
            &p.to_name,
            kind(Side::New, &p.to),
            &format!("{:.4}", p.ground_share),
            &num(p.resident_share, 4),
            &num(p.residents, 0),
            &format!("{:.4}", p.share_of_new),
            &format!("{:.0}", p.ground_m2),
            &p.postcodes.to_string(),
        ]);
    }
    // Areas in no pair (wholly added or removed) get a row too.
    for a in &d.areas {
        let paired = d.pairs.iter().any(|p| match a.side {
            Side::Old => p.from == a.id,
            Side::New => p.to == a.id,
        });
        if !paired {
            let (from, to) = match a.side {
                Side::Old => ([a.id.as_str(), &a.name, a.kind.as_str()], ["", "", ""]),
                Side::New => (["", "", ""], [a.id.as_str(), &a.name, a.kind.as_str()]),
            };
            let _ = w.write_record(
                from.iter()
                    .chain(to.iter())
                    .chain(["", "", "", "", "", ""].iter()),
            );
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// A diff as GeoJSON: the old generation's areas, then the new one's,
/// each with its kind of change and its successors or predecessors.
pub fn diff_geojson(
    d: &Diff,
    old: &feedmap_geography::boundary::Layer,
    new: &feedmap_geography::boundary::Layer,
    r: &Release,
) -> serde_json::Value {
    let feature = |side: Side, generation: i64, a: &feedmap_geography::boundary::Area| {
        let change = d.area(side, &a.id);
        let links: Vec<_> = match side {
            Side::Old => d.successors(&a.id).map(|p| serde_json::json!({"id": p.to, "name": p.to_name, "ground_share": p.ground_share, "resident_share": p.resident_share})).collect(),
            Side::New => d.predecessors(&a.id).map(|p| serde_json::json!({"id": p.from, "name": p.from_name, "ground_share": p.ground_share, "resident_share": p.resident_share})).collect(),
        };
        serde_json::json!({
            "type": "Feature",
            "id": format!("{}:{}", generation, a.id),
            "geometry": geojson::Geometry::new(geojson::GeometryValue::from(&a.geometry)),
            "properties": {
                "side": side,
                "generation": generation,
                "id": a.id,
                "name": a.name,
                "kind": change.map(|c| c.kind),
                "residents": change.and_then(|c| c.residents),
                if side == Side::Old { "successors" } else { "predecessors" }: links,
            },
        })
    };
    let features: Vec<_> = old
        .areas
        .iter()
        .map(|a| feature(Side::Old, r.follows, a))
        .chain(
            new.areas
                .iter()
                .map(|a| feature(Side::New, r.generation, a)),
        )
        .collect();
    serde_json::json!({ "type": "FeatureCollection", "layer": d.layer, "features": features })
}

/// One step of an area's lineage.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Link {
    /// Generation of the linked area.
    pub generation: i64,
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Share of the old area's ground passed.
    pub ground_share: f64,
    /// Share of the old area's residents passed.
    pub resident_share: Option<f64>,
}

/// The area in one generation where it exists.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Incarnation {
    /// Generation number.
    pub generation: i64,
    /// Its status.
    pub status: ReleaseStatus,
    /// The area's name in it.
    pub name: String,
    /// In effect from (`None`: from the start).
    pub valid_from: Option<String>,
    /// Until.
    pub valid_to: Option<String>,
    /// Areas of the previous generation it took ground from.
    pub predecessors: Vec<Link>,
    /// Areas of the next generation its ground went to.
    pub successors: Vec<Link>,
}

/// The answer of `GET /v1/areas/{layer}/{id}/lineage`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Lineage {
    /// Layer id.
    pub layer: String,
    /// Area id.
    pub id: String,
    /// Every generation (staged and active) holding an area with this id.
    pub generations: Vec<Incarnation>,
}

/// An area's predecessors and successors in every generation of its
/// layer holding an area with its id.
pub fn lineage(served: &Served, layer: &str, id: &str) -> Result<Lineage, ReleaseError> {
    let (li, _) = served
        .source()
        .region
        .layer(layer)
        .ok_or_else(|| ReleaseError::NotFound(format!("no layer {layer:?}")))?;
    let g = served.generations();
    let gens = &g.layers[li];
    let link = |generation: i64, id: &str, name: &str, p: &crate::diff::Pair| Link {
        generation,
        id: id.to_string(),
        name: name.to_string(),
        ground_share: p.ground_share,
        resident_share: p.resident_share,
    };
    let mut out = Vec::new();
    for gen in gens
        .iter()
        .filter(|x| x.status() != ReleaseStatus::Withdrawn)
    {
        let Ok(l) = &gen.layer else { continue };
        let Some(ai) = l.area_index(id) else { continue };
        let predecessors = gen
            .release
            .as_ref()
            .and_then(|r| g.diff(li, r.follows, r.generation).map(|d| (r.follows, d)))
            .map(|(from, d)| {
                d.predecessors(id)
                    .map(|p| link(from, &p.from, &p.from_name, p))
                    .collect()
            })
            .unwrap_or_default();
        let successors = gens
            .iter()
            .filter(|next| {
                next.status() != ReleaseStatus::Withdrawn
                    && next
                        .release
                        .as_ref()
                        .is_some_and(|r| r.follows == gen.number)
            })
            .filter_map(|next| {
                g.diff(li, gen.number, next.number)
                    .map(|d| (next.number, d))
            })
            .flat_map(|(to, d)| {
                d.successors(id)
                    .map(|p| link(to, &p.to, &p.to_name, p))
                    .collect::<Vec<_>>()
            })
            .collect();
        out.push(Incarnation {
            generation: gen.number,
            status: gen.status(),
            name: l.areas[ai].name.clone(),
            valid_from: gen.valid_from().map(str::to_string),
            valid_to: gen.valid_to.clone(),
            predecessors,
            successors,
        });
    }
    if out.is_empty() {
        return Err(ReleaseError::NotFound(format!(
            "no area {id:?} in any generation of layer {layer:?}"
        )));
    }
    Ok(Lineage {
        layer: layer.to_string(),
        id: id.to_string(),
        generations: out,
    })
}

/// Every generation of every layer (or of `only`), oldest first.
pub fn list(served: &Served, only: Option<&str>) -> ReleaseList {
    let generations = served
        .generations()
        .layers
        .iter()
        .enumerate()
        .flat_map(|(li, gens)| gens.iter().map(move |g| (li, g)))
        .map(|(li, g)| GenerationView::of(served, li, g))
        .filter(|g| only.is_none_or(|l| l == g.layer))
        .collect();
    ReleaseList {
        today: served.day().to_string(),
        generations,
    }
}

#[cfg(test)]
mod tests {
    use super::may_follow;
    use feedmap_store::{Release, ReleaseStatus};

    fn release(generation: i64, follows: i64, valid_from: Option<&str>) -> Release {
        Release {
            id: generation,
            layer: "wards".into(),
            generation,
            follows,
            label: String::new(),
            status: ReleaseStatus::Active,
            valid_from: valid_from.map(String::from),
            id_property: None,
            name_property: None,
            files: Vec::new(),
            confirmations: Default::default(),
            migrations: Vec::new(),
            meta: feedmap_store::Meta::new("a", ""),
        }
    }

    /// Generations follow each other in order, each from a later date,
    /// each staged against the one in use.
    #[test]
    fn releases_follow_in_order() {
        // The first release follows the manifest's generation 1.
        assert_eq!(may_follow(&release(2, 1, None), &[], "2030-01-01"), Ok(()));
        let active = [release(2, 1, Some("2030-01-01"))];
        assert_eq!(
            may_follow(&release(3, 2, None), &active, "2031-01-01"),
            Ok(())
        );
        let older = may_follow(&release(1, 1, None), &active, "2031-01-01").unwrap_err();
        assert!(
            older.contains("generation 2 of layer \"wards\" is already active"),
            "{older}"
        );
        let early = may_follow(&release(3, 2, None), &active, "2030-01-01").unwrap_err();
        assert!(
            early.contains("valid_from 2030-01-01 is not after 2030-01-01"),
            "{early}"
        );
        let stale = may_follow(&release(4, 3, None), &active, "2031-01-01").unwrap_err();
        assert!(stale.contains("staged against generation 3"), "{stale}");
    }
}
