//! Reading and setting a neighbourhood's published contacts and
//! priorities against what is served: the neighbourhood checked in today's
//! boundaries, the lists checked by [`crate::published`]'s rules, the write
//! going to the record a boundary release may have moved onto the area.
//! The one way the API and the command line share.

use crate::published::{check_people, check_priorities, Invalid};
use crate::served::{Served, View};
use feedmap_geography::manifest::Role;
use feedmap_store::{Contact, Expect, PagePart, Priority, Store, StoreError};
use serde::Serialize;

/// A neighbourhood's page as answered: on the area it is on today, with
/// nothing of who wrote it (the audit log keeps that).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PageView {
    /// Neighbourhood layer id.
    pub layer: String,
    /// Neighbourhood id.
    pub area_id: String,
    /// Neighbourhood name.
    pub name: String,
    /// Published contacts.
    pub people: Vec<Contact>,
    /// Priorities.
    pub priorities: Vec<Priority>,
    /// When it was last set (RFC 3339); none when nothing is recorded.
    pub updated_at: Option<String>,
    /// The version (the ETag's number; 0 when nothing is recorded).
    pub version: i64,
}

/// Why a page could not be read or set.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// No such neighbourhood today.
    #[error("{0}")]
    NotANeighbourhood(String),
    /// A contact or priority is not acceptable.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks that `layer`/`area_id` is a neighbourhood in `view`; its name.
fn neighbourhood<'v>(view: &'v View, layer: &str, area_id: &str) -> Result<&'v str, PageError> {
    let region = view.region();
    let Some(l) = region.layers.iter().find(|l| l.id == layer) else {
        let hoods: Vec<&str> = region
            .layers
            .iter()
            .filter(|l| l.role == Role::Neighbourhood)
            .map(|l| l.id.as_str())
            .collect();
        return Err(PageError::NotANeighbourhood(format!(
            "no layer {layer:?}; the neighbourhood layers are {}",
            hoods.join(", ")
        )));
    };
    if l.role != Role::Neighbourhood {
        return Err(PageError::NotANeighbourhood(format!(
            "layer {layer:?} is not a neighbourhood layer (contacts and priorities are published per neighbourhood)"
        )));
    }
    let a = l.area_index(area_id).ok_or_else(|| {
        PageError::NotANeighbourhood(format!(
            "no neighbourhood {area_id:?} in layer {layer:?} today"
        ))
    })?;
    Ok(&l.areas[a].name)
}

/// The page of neighbourhood `layer`/`area_id` today (an empty one at
/// version 0 when nothing is recorded).
pub fn page(served: &Served, layer: &str, area_id: &str) -> Result<PageView, PageError> {
    let view = served.today();
    let name = neighbourhood(view, layer, area_id)?.to_string();
    let p = view.pages().get(layer, area_id);
    Ok(PageView {
        layer: layer.into(),
        area_id: area_id.into(),
        name,
        people: p.map(|p| p.people.clone()).unwrap_or_default(),
        priorities: p.map(|p| p.priorities.clone()).unwrap_or_default(),
        updated_at: p.map(|p| p.meta.updated_at.clone()),
        version: p.map_or(0, |p| p.meta.version),
    })
}

/// Sets one list of the page of neighbourhood `layer`/`area_id` (as it
/// is today) after checking it, if the page is at the expected version;
/// the page as answered after. A page a boundary release moved onto the
/// area is that area's page: the write goes to its record.
pub fn set(
    served: &Served,
    store: &dyn Store,
    who: &str,
    layer: &str,
    area_id: &str,
    expect: Expect,
    part: PagePart,
) -> Result<PageView, PageError> {
    let view = served.today();
    let name = neighbourhood(view, layer, area_id)?.to_string();
    let part = match part {
        PagePart::People(p) => PagePart::People(check_people(p)?),
        PagePart::Priorities(p) => PagePart::Priorities(check_priorities(p)?),
    };
    let stored_area = view
        .pages()
        .get(layer, area_id)
        .map_or(area_id, |p| p.area_id.as_str());
    let p = store.set_page(who, layer, stored_area, expect, part)?;
    Ok(PageView {
        layer: layer.into(),
        area_id: area_id.into(),
        name,
        people: p.people,
        priorities: p.priorities,
        updated_at: Some(p.meta.updated_at),
        version: p.meta.version,
    })
}
