//! The operations on boundary releases, shared by the HTTP API and the
//! command line: stage (validate all or nothing, then store), confirm a
//! successor, activate (now or from a date, applying the confirmed
//! successors in the same transaction), withdraw. Reads (list, diff,
//! proposals) come from a [`Served`] value.

use crate::generations::{build_release, is_date, release_spec, today};
use crate::manifest::is_valid_layer_id;
use crate::served::Served;
use crate::store::{Expect, NewRelease, Release, ReleaseFile, Store, StoreError};
use crate::successors::{proposals, ProposalError, DEFAULT_SUCCESSOR_SHARE};
use crate::validate::Problem;

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
    let probe = Release {
        id: 0,
        layer: new.layer.clone(),
        generation: 0,
        follows: new.follows,
        label: new.label.clone(),
        status: crate::store::ReleaseStatus::Staged,
        valid_from: None,
        id_property: new.id_property.clone(),
        name_property: new.name_property.clone(),
        files: Vec::new(),
        confirmations: Default::default(),
        migrations: Vec::new(),
        created_by: String::new(),
        created_at: String::new(),
        updated_by: String::new(),
        updated_at: String::new(),
        version: 0,
    };
    let repair = source.options.repair || spec.repair.unwrap_or(source.manifest.repair);
    let started = std::time::Instant::now();
    build_release(&release_spec(spec, &probe), &new.files, repair, "release")
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
        .map_or(0, |r| r.version);
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
    let r = store.activate_release(who, release, expect, &date, &props.migrations())?;
    Ok((r, waiting))
}

/// Checks a layer id given on a command line or in a URL.
pub fn check_layer_id(id: &str) -> Result<(), ReleaseError> {
    if is_valid_layer_id(id) {
        Ok(())
    } else {
        Err(bad("layer", format!("{id:?} is not a layer id")))
    }
}
