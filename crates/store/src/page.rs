//! A neighbourhood's published page: the contacts planners chose to
//! publish for it (the Neighbourhood Policing Guarantee's named,
//! contactable officers) and its priorities, as data.police.uk's `people`
//! and `priorities` carry them.
//!
//! Plain data, kept as one JSON record per neighbourhood (like a feed):
//! what makes a contact or a priority valid is the domain's rule. The
//! people here are published on purpose; feed administrators are not
//! among them and stay private.

use crate::Meta;
use serde::{Deserialize, Serialize};

/// How residents reach a published contact: data.police.uk's keys for a
/// person's `contact_details`, each absent when not given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactWays {
    /// Email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Telephone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telephone: Option<String>,
    /// Mobile number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    /// A web page (`https://…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web: Option<String>,
    /// An X (Twitter) account URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub twitter: Option<String>,
    /// A Facebook page URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facebook: Option<String>,
}

impl ContactWays {
    /// Whether any way is given.
    pub fn is_empty(&self) -> bool {
        self.email.is_none()
            && self.telephone.is_none()
            && self.mobile.is_none()
            && self.web.is_none()
            && self.twitter.is_none()
            && self.facebook.is_none()
    }
}

/// A contact published for a neighbourhood: a named officer (or team)
/// residents can reach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Name as published, e.g. "PC Sam Ahmed".
    pub name: String,
    /// Rank or role, e.g. "Police Constable", "PCSO", "Sergeant".
    #[serde(default)]
    pub rank: Option<String>,
    /// A line or two about them (plain text).
    #[serde(default)]
    pub bio: Option<String>,
    /// How to reach them.
    #[serde(default)]
    pub contact_details: ContactWays,
}

/// A neighbourhood priority: what residents raised and what the team does
/// about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Priority {
    /// The issue (plain text), e.g. "Speeding on Moss Lane".
    pub issue: String,
    /// When it was set (`YYYY-MM-DD`).
    pub issue_date: String,
    /// What is being done (plain text).
    #[serde(default)]
    pub action: Option<String>,
    /// When the action was last reported (`YYYY-MM-DD`).
    #[serde(default)]
    pub action_date: Option<String>,
}

/// A neighbourhood's published contacts and priorities, as stored: keyed
/// by the layer and the area id it was first recorded for (a boundary
/// release may attach it to a successor area since).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Page {
    /// Neighbourhood layer id.
    pub layer: String,
    /// Neighbourhood id it was recorded for.
    pub area_id: String,
    /// Published contacts, in the order planners gave them.
    #[serde(default)]
    pub people: Vec<Contact>,
    /// Priorities, in the order planners gave them.
    #[serde(default)]
    pub priorities: Vec<Priority>,
    /// Who and when, and the version.
    #[serde(flatten)]
    pub meta: Meta,
}

impl Page {
    /// The audit log's id for a page: `layer/area_id`.
    pub fn key(layer: &str, area_id: &str) -> String {
        format!("{layer}/{area_id}")
    }
}

/// What one write of a page replaces: one of its two lists, whole.
#[derive(Debug, Clone, PartialEq)]
pub enum PagePart {
    /// The published contacts.
    People(Vec<Contact>),
    /// The priorities.
    Priorities(Vec<Priority>),
}

impl PagePart {
    /// The audit action recording it.
    pub fn action(&self) -> &'static str {
        match self {
            PagePart::People(_) => "page.people",
            PagePart::Priorities(_) => "page.priorities",
        }
    }

    /// `page` with this part replaced.
    pub fn apply(self, page: &mut Page) {
        match self {
            PagePart::People(p) => page.people = p,
            PagePart::Priorities(p) => page.priorities = p,
        }
    }
}
