//! Public verification against impersonation: is this handle one of the
//! force's accounts, of which area, since when — and the open register of
//! official accounts. Only public fields: no owner's or administrator's
//! name is ever part of an answer here.
//!
//! An account is *official* while its feed is active. A retired feed's
//! handle is answered as retired (it was the force's, it is no longer
//! run), a planned one as not yet live. A handle that is not the force's
//! but reads like one once look-alike characters are folded (`1` for `l`,
//! `0` for `o`, `rn` for `m` …) is named as a look-alike of the official
//! account it imitates.

use crate::activity::normalise_handle;
use crate::feeds::{Feed, FeedStatus};
use crate::health::{area_of, FeedArea};
use crate::served::View;
use feedmap_geography::manifest::Role;
use feedmap_store::Verification;
use serde::Serialize;

/// How much ground an account speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// The whole force.
    Force,
    /// One neighbourhood.
    Neighbourhood,
    /// One community inside a neighbourhood.
    Community,
}

/// One account of the force, public fields only.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Account {
    /// Feed id.
    pub feed_id: String,
    /// Platform word.
    pub platform: String,
    /// Handle.
    pub handle: String,
    /// Public URL.
    pub url: String,
    /// Display name.
    pub name: String,
    /// Active (official), planned or retired.
    pub status: FeedStatus,
    /// Since when it has had that status, where known.
    pub since: Option<String>,
    /// Force, neighbourhood or community.
    pub scope: Scope,
    /// The area it speaks for (`None`: force-wide).
    pub area: Option<FeedArea>,
    /// The owning team (a unit, not a person).
    pub team: Option<String>,
    /// The platform's verification state.
    pub verification: Verification,
}

fn account(view: &View, f: &Feed) -> Account {
    let layers = &view.region().layers;
    // By the layer's role, also when the area itself is gone.
    let role = f
        .fields
        .layer
        .as_deref()
        .and_then(|l| view.region().layer(l))
        .map(|(_, l)| l.role);
    let scope = match (&f.fields.layer, role) {
        (None, _) => Scope::Force,
        (_, Some(Role::Community)) => Scope::Community,
        _ => Scope::Neighbourhood,
    };
    Account {
        feed_id: f.feed_id.clone(),
        platform: f.fields.platform.clone(),
        handle: f.fields.handle.clone(),
        url: f.fields.url.clone(),
        name: f.fields.name.clone(),
        status: f.fields.status,
        since: f.owner.status_since.clone(),
        scope,
        area: area_of(layers, f),
        team: f.owner.team.clone(),
        verification: f.owner.verification,
    }
}

/// The answer to "is this handle ours?".
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Verdict {
    /// The handle asked about.
    pub handle: String,
    /// The platform asked about, if given.
    pub platform: Option<String>,
    /// Whether it is an official account of the force now.
    pub official: bool,
    /// The account it is (or was), if any.
    pub account: Option<Account>,
    /// Official accounts it imitates, when it is not one itself.
    pub look_alike_of: Vec<Account>,
    /// The answer in words, for a resident.
    pub message: String,
}

/// A handle with look-alike characters folded: what a reader sees.
pub fn skeleton(handle: &str) -> String {
    let h = normalise_handle(handle);
    let folded: String = h
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | '.'))
        .map(|c| match c {
            '0' => 'o',
            '1' | 'i' | '|' | '!' => 'l',
            '3' => 'e',
            '4' => 'a',
            '5' | '$' => 's',
            '7' => 't',
            '8' => 'b',
            c => c,
        })
        .collect();
    folded.replace("rn", "m").replace("vv", "w")
}

/// Whether `a` imitates `b` (different handles that read alike).
fn looks_like(a: &str, b: &str) -> bool {
    if normalise_handle(a) == normalise_handle(b) {
        return false;
    }
    let (sa, sb) = (skeleton(a), skeleton(b));
    sa == sb || (sb.len() >= 8 && strsim::levenshtein(&sa, &sb) <= 1)
}

/// Answers whether `handle` (on `platform`, if given) is one of the
/// force's accounts in `view`.
pub fn verify(view: &View, handle: &str, platform: Option<&str>) -> Verdict {
    let want = normalise_handle(handle);
    let on = |f: &&Feed| platform.is_none_or(|p| f.fields.platform == p);
    let mut matches: Vec<&Feed> = view
        .feeds()
        .feeds
        .iter()
        .filter(on)
        .filter(|f| normalise_handle(&f.fields.handle) == want)
        .collect();
    // An active account first, then planned, then retired.
    matches.sort_by_key(|f| match f.fields.status {
        FeedStatus::Active => 0,
        FeedStatus::Planned => 1,
        FeedStatus::Retired => 2,
    });
    let official = |f: &Feed| f.fields.status == FeedStatus::Active && f.problem.is_none();
    let found = matches.first().map(|f| (official(f), account(view, f)));
    let look_alike_of: Vec<Account> = if found.as_ref().is_some_and(|(o, _)| *o) {
        Vec::new()
    } else {
        view.feeds()
            .feeds
            .iter()
            .filter(on)
            .filter(|f| official(f) && looks_like(handle, &f.fields.handle))
            .map(|f| account(view, f))
            .collect()
    };
    let where_ = |a: &Account| {
        a.area
            .as_ref()
            .map_or("the whole force".to_string(), |x| x.name.clone())
    };
    let message = match &found {
        Some((true, a)) => format!(
            "{} on {} is an official account of the force for {}{}.",
            a.handle,
            a.platform,
            where_(a),
            a.since.as_ref().map(|s| format!(", active since {s}")).unwrap_or_default()
        ),
        Some((false, a)) if a.status == FeedStatus::Retired => format!(
            "{} on {} was the force's account for {} and is no longer run by it{}; do not trust posts from it.",
            a.handle,
            a.platform,
            where_(a),
            a.since.as_ref().map(|s| format!(" (retired {s})")).unwrap_or_default()
        ),
        Some((false, a)) => format!(
            "{} on {} is not live: the force plans it for {} but does not post from it yet.",
            a.handle,
            a.platform,
            where_(a)
        ),
        None if !look_alike_of.is_empty() => format!(
            "{handle} is not an official account of the force. It looks like {}, which {}.",
            look_alike_of
                .iter()
                .map(|a| format!("{} ({})", a.handle, a.platform))
                .collect::<Vec<_>>()
                .join(", "),
            if look_alike_of.len() == 1 { "is" } else { "are" }
        ),
        None => format!("{handle} is not an official account of the force."),
    };
    Verdict {
        handle: handle.to_string(),
        platform: platform.map(str::to_string),
        official: found.as_ref().is_some_and(|(o, _)| *o),
        account: found.map(|(_, a)| a),
        look_alike_of,
        message,
    }
}

/// The open register: every active and retired account, active first,
/// then by platform and handle.
pub fn register(view: &View) -> Vec<Account> {
    let mut out: Vec<Account> = view
        .feeds()
        .feeds
        .iter()
        .filter(|f| f.fields.status != FeedStatus::Planned)
        .map(|f| account(view, f))
        .collect();
    out.sort_by(|a, b| {
        (
            a.status != FeedStatus::Active,
            &a.platform,
            a.handle.to_lowercase(),
        )
            .cmp(&(
                b.status != FeedStatus::Active,
                &b.platform,
                b.handle.to_lowercase(),
            ))
    });
    out
}

/// The register as CSV.
pub fn register_csv(accounts: &[Account]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "platform",
        "handle",
        "url",
        "name",
        "status",
        "since",
        "scope",
        "layer",
        "area_id",
        "area_name",
        "team",
        "verification",
        "feed_id",
    ]);
    for a in accounts {
        let (layer, id, name) = a.area.as_ref().map_or(("", "", ""), |x| {
            (x.layer.as_str(), x.id.as_str(), x.name.as_str())
        });
        let _ = w.write_record([
            a.platform.as_str(),
            &a.handle,
            &a.url,
            &a.name,
            a.status.as_str(),
            a.since.as_deref().unwrap_or(""),
            match a.scope {
                Scope::Force => "force",
                Scope::Neighbourhood => "neighbourhood",
                Scope::Community => "community",
            },
            layer,
            id,
            name,
            a.team.as_deref().unwrap_or(""),
            a.verification.as_str(),
            &a.feed_id,
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_alikes_fold_digits_for_letters() {
        assert!(looks_like("@TraffordPol1ceNorth", "@TraffordPoliceNorth"));
        assert!(looks_like("@GMPTraff0rd", "@GMPTrafford"));
        assert!(looks_like("@GMP_Trafford", "@GMPTrafford"));
        assert!(!looks_like("@GMPTrafford", "@gmptrafford"));
        assert!(!looks_like("@GMPSale", "@GMPTrafford"));
    }
}
