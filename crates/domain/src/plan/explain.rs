//! Plain-English sentences for the plan: a planner reads why, not numbers.
//!
//! Sentences are built only from the plan's own figures, so they always
//! agree with the factors shown beside them.

use super::model::{Factors, Inputs, Measures, Member};
use super::overlay::Assignment;
use super::params::PlanParams;
use super::population::{Figure, Provenance};
use feedmap_geography::boundary::Area;

/// `12345.6` → `"12,346"`.
pub fn thousands(v: f64) -> String {
    let n = v.round().max(0.0) as u64;
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// "7,900 residents", "about 7,900 residents (estimated)" or "population
/// unknown". Estimates are rounded to the nearest hundred in the sentence
/// (the figure itself stays exact) so they do not look more precise than
/// they are.
pub fn residents(pop: Option<Figure>) -> String {
    match pop {
        None => "population unknown".into(),
        Some(f) if f.provenance == Provenance::Given => format!("{} residents", thousands(f.value)),
        Some(f) => format!(
            "about {} residents (estimated)",
            thousands((f.value / 100.0).round() * 100.0)
        ),
    }
}

/// `["A", "B", "C"]` → `"A, B and C"`.
pub fn list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// A score beside the threshold it missed, printed with as many decimals
/// (two at least, six at most) as it takes to tell them apart: never
/// "0.75 is below 0.75".
pub fn score_below(score: f64, min: f64) -> (String, String) {
    let digits = (2..=6)
        .find(|&d| format!("{score:.d$}") != format!("{min:.d$}"))
        .unwrap_or(6);
    (format!("{score:.digits$}"), format!("{min:.digits$}"))
}

fn percent(share: f64) -> String {
    format!("{:.0} %", share * 100.0)
}

/// Why a neighbourhood is or is not large.
pub fn large(
    pop: Option<Figure>,
    area_km2: f64,
    communities: usize,
    large: bool,
    p: &PlanParams,
) -> String {
    let people = format!(
        "{} (large from {})",
        residents(pop),
        thousands(p.large_population)
    );
    let size = format!("{area_km2:.1} km² (large from {} km²)", p.large_area_km2);
    let by_people = pop.is_some_and(|f| f.value >= p.large_population);
    let by_area = area_km2 >= p.large_area_km2;
    let holds = match communities {
        0 => "no community".to_string(),
        1 => "one community".to_string(),
        n => format!("{n} communities"),
    };
    match (large, by_people, by_area) {
        (true, true, _) => format!("Large: {people}, {holds}."),
        (true, false, _) => format!("Large: {size}, {holds}."),
        (false, false, false) => format!("Not large: {people}, {size}; one feed serves it."),
        (false, _, _) => format!("Not split: large, but it holds {holds}."),
    }
}

fn boundary_phrase(shared: f64, whose: &str) -> String {
    if shared <= 0.0005 {
        format!("shares none of {whose} boundary with neighbouring communities")
    } else if shared < 0.25 {
        format!(
            "shares only {} of {whose} boundary with neighbouring communities",
            percent(shared)
        )
    } else {
        format!(
            "shares {} of {whose} boundary with neighbouring communities",
            percent(shared)
        )
    }
}

/// The reason sentence for a single community.
#[allow(clippy::too_many_arguments)]
pub fn community(
    area: &Area,
    pop: Option<Figure>,
    hood: &str,
    a: &Assignment,
    m: &Measures,
    f: &Factors,
    planned: &[String],
    inputs: &Inputs,
) -> String {
    let mut parts = vec![
        residents(pop),
        format!("{} inside {hood}", percent(a.containment)),
        boundary_phrase(m.shared_boundary, "its"),
        format!(
            "{:.1} km from the neighbourhood's centre",
            m.centre_distance_km
        ),
    ];
    if f.identity == 0.0 {
        parts.push("its name looks like a statistical code".into());
    }
    parts.push(if planned.is_empty() {
        no_feed(inputs).into()
    } else {
        let handles: Vec<&str> = planned
            .iter()
            .filter_map(|id| inputs.feeds.get(id))
            .map(|f| f.fields.handle.as_str())
            .collect();
        format!("a feed is planned ({})", handles.join(", "))
    });
    format!("{}: {}.", area.name, parts.join(", "))
}

/// "no feed yet", or without a feed list, that none is known.
fn no_feed(inputs: &Inputs) -> &'static str {
    if inputs.feeds.feeds.is_empty() {
        "no feed known (the region has no feed list)"
    } else {
        "no feed yet"
    }
}

/// A reason with the planner's decision added ("Accepted by planner-a on
/// 2026-11-25: “…”."), so the explanation says who settled it.
pub fn decided(reason: String, decision: Option<&crate::decision::Applied>) -> String {
    match decision {
        None => reason,
        Some(d) => {
            let mut s = d.sentence();
            if let Some(first) = s.get(..1) {
                s = first.to_uppercase() + &s[1..];
            }
            format!("{reason} {s}.")
        }
    }
}

/// The reason sentence for a settlement: how far it lies from the nearest
/// larger one, its residents and points, where it lies, the communities it
/// spans, where it was found (`found`, a sentence without its full stop,
/// e.g. `Found among the region's 11264 live postcode centroids`) and
/// where its name came from.
#[allow(clippy::too_many_arguments)]
pub fn settlement(
    st: &feedmap_geography::settlements::Settlement,
    larger: Option<&str>,
    pop: Option<Figure>,
    hood: &str,
    share: f64,
    pieces: &[(&str, f64)],
    m: &Measures,
    found: &str,
) -> String {
    let apart = match (st.isolation_m, larger) {
        (Some(d), Some(l)) => format!(
            "a separate settlement {:.1} km from the nearest larger one ({l})",
            d / 1e3
        ),
        _ => "a separate settlement, the largest of the region".into(),
    };
    let mut parts = vec![
        apart,
        format!(
            "{} in {} residential points",
            residents(pop),
            thousands(st.points as f64)
        ),
    ];
    if let Some(g) = st.gap_m {
        parts.push(format!(
            "{:.0} m of empty land to the nearest other homes",
            g
        ));
    }
    parts.push(format!("{} inside {hood}", percent(share)));
    parts.push(format!(
        "{:.1} km from the neighbourhood's centre",
        m.centre_distance_km
    ));
    let spans: Vec<String> = pieces
        .iter()
        .map(|(name, of)| {
            if *of >= super::sites::WHOLLY {
                format!("all of {name}")
            } else {
                format!("{} of {name}", percent(*of))
            }
        })
        .collect();
    parts.push(format!(
        "it spans {} (by residential points)",
        list(spans.iter().map(String::as_str))
    ));
    format!(
        "{}: {}. {found}; named from {}.",
        st.name,
        parts.join(", "),
        st.name_source
    )
}

/// The reason sentence for a cluster.
#[allow(clippy::too_many_arguments)]
pub fn cluster(
    name: &str,
    members: &[Member],
    population: f64,
    provenance: Provenance,
    hood: &str,
    m: &Measures,
    f: &Factors,
    p: &PlanParams,
    inputs: &Inputs,
) -> String {
    let mut parts = vec![
        format!(
            "{} together, each under {} alone",
            residents(Some(Figure {
                value: population,
                provenance
            })),
            thousands(p.min_population)
        ),
        format!(
            "{} adjacent communities {} inside {hood}",
            members.len(),
            percent(f.containment)
        ),
        boundary_phrase(m.shared_boundary, "their outer"),
        format!(
            "{:.1} km from the neighbourhood's centre",
            m.centre_distance_km
        ),
        no_feed(inputs).into(),
    ];
    if f.identity == 0.0 {
        parts.insert(4, "their names look like statistical codes".into());
    }
    format!("{name}: {}.", parts.join(", "))
}

/// The sentence residents' answers add to a reason, from shown figures
/// only (each at least `min_count`), percentages of the answers: "142
/// residents answered the question; 78 % call it Sale Moor; 70 % would
/// follow a local feed; 61 % chose Facebook." With too few answers to show,
/// "Fewer than 10 residents answered the question." `labels` names the
/// platforms by id.
pub fn voice(
    note: &super::model::VoiceNote,
    min_count: u32,
    labels: &std::collections::BTreeMap<String, String>,
) -> String {
    let f = &note.figures;
    let Some(answers) = f.answers.filter(|a| *a > 0) else {
        return format!(
            "Fewer than {} residents answered the question.",
            min_count.max(1)
        );
    };
    let pct = |n: u64| percent(n as f64 / answers as f64);
    let mut parts = vec![format!(
        "{} resident{} answered the question",
        thousands(answers as f64),
        if answers == 1 { "" } else { "s" }
    )];
    if let Some(n) = &note.name {
        parts.push(format!("{} call it {}", pct(n.count), n.name));
    }
    if let Some(yes) = f.follow.yes {
        parts.push(format!("{} would follow a local feed", pct(yes)));
    }
    if let Some(p) = f.platforms.first() {
        let label = labels
            .get(&p.platform)
            .map_or(p.platform.as_str(), String::as_str);
        parts.push(format!("{} chose {label}", pct(p.count)));
    }
    format!("{}.", parts.join("; "))
}

/// Why a small candidate was not suggested; `with` is the cluster it ended
/// in (members, residents) when that was still too small.
pub fn too_small(pop: Option<Figure>, with: Option<(usize, f64)>, p: &PlanParams) -> String {
    let alone = format!(
        "{}, under min_population {}",
        residents(pop),
        thousands(p.min_population)
    );
    match with {
        Some((n, total)) => format!(
            "{alone}; with its {} adjacent small communities it reaches only {}",
            n - 1,
            thousands(total)
        ),
        None if p.clusters => {
            format!("{alone}, and no adjacent small community to share a feed with")
        }
        None => format!("{alone} (clusters are off)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_naturally() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(7_900.0), "7,900");
        assert_eq!(thousands(1_234_567.0), "1,234,567");
        let est = Figure {
            value: 7_873.2,
            provenance: Provenance::ArealWeighted,
        };
        assert_eq!(residents(Some(est)), "about 7,900 residents (estimated)");
        assert_eq!(list(["A", "B", "C"]), "A, B and C");
        assert_eq!(list(["A"]), "A");
    }
}
