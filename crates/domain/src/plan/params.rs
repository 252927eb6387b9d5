//! The planning parameters: every threshold and weight the planner uses,
//! with documented defaults and allowed ranges.
//!
//! One table ([`PARAMS`]) names each parameter, its range and what it does,
//! so the HTTP API, the command line and the README all say the same thing
//! and a bad value is refused with the parameter's name and range.

use serde::Serialize;

/// Factor weights. The score is the weighted mean of the factors that are
/// known (a factor that cannot be computed, such as size without any
/// population, drops out and the rest are re-weighted).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Weights {
    /// Weight of *size* (default 1).
    pub size: f64,
    /// Weight of *separation* (default 2: being a distinct place is the
    /// point of a community feed).
    pub separation: f64,
    /// Weight of *identity* (default 1).
    pub identity: f64,
    /// Weight of *compactness* (default 0.5).
    pub compactness: f64,
    /// Weight of *containment* (default 1).
    pub containment: f64,
}

/// How the plan follows settlements (present when it does).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SettlementParams {
    /// Gap of empty land (m) to the nearest larger settlement at which a
    /// settlement counts as wholly apart in its separation factor (1,000;
    /// parameter `separation_gap_m`).
    pub separation_gap_m: f64,
}

/// How the plan takes residents' answers to the question (present when it
/// does and the region has answers).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct VoiceParams {
    /// Weight of the *voice* factor (default 1; parameter `weight_voice`).
    pub weight: f64,
    /// Share of the answers giving a name that must give the same one for
    /// the suggestion to take it (0.6; parameter `voice_name_share`).
    pub name_share: f64,
}

/// `weight_voice`'s default.
pub const DEFAULT_VOICE_WEIGHT: f64 = 1.0;

/// `voice_name_share`'s default.
pub const DEFAULT_VOICE_NAME_SHARE: f64 = 0.6;

impl Default for VoiceParams {
    fn default() -> Self {
        VoiceParams {
            weight: DEFAULT_VOICE_WEIGHT,
            name_share: DEFAULT_VOICE_NAME_SHARE,
        }
    }
}

/// All planning parameters. `Default` gives the documented defaults.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PlanParams {
    /// Layer whose areas are the neighbourhoods (default: the region's
    /// first `role = "neighbourhood"` layer).
    pub neighbourhood_layer: Option<String>,
    /// Layer whose areas are the candidate communities (default: the
    /// region's first `role = "community"` layer).
    pub community_layer: Option<String>,
    /// A neighbourhood with at least this many residents is large (20,000).
    pub large_population: f64,
    /// A neighbourhood of at least this many km² is large whatever its
    /// population (100 km²: a rural beat too wide for one feed to feel local).
    pub large_area_km2: f64,
    /// Smallest share of a community inside its neighbourhood for it to be a
    /// candidate (0.6).
    pub min_containment: f64,
    /// Residents a feed needs to have an audience (3,000): the size factor
    /// saturates here, smaller candidates are suggested only in clusters.
    pub min_population: f64,
    /// Lowest score a suggestion may have (0.75: on real wards and the demo
    /// this keeps places with their own edge or outlying position and drops
    /// the middles of continuous towns, which share most of their boundary
    /// and sit at the neighbourhood's centre).
    pub min_score: f64,
    /// Most new feeds the plan may choose overall (default: no limit).
    pub max_new_feeds: Option<usize>,
    /// Most new feeds the plan may choose in one neighbourhood (default
    /// [`DEFAULT_SHORTLIST`]: a list a planner can review; `none` gives the
    /// full ranking).
    pub max_new_feeds_per_neighbourhood: Option<usize>,
    /// Merge adjacent small candidates into shared-feed clusters (true).
    pub clusters: bool,
    /// Offer a discovered settlement that lies apart from the rest of its
    /// neighbourhood as one suggestion (on by default; parameter
    /// `settlements`). Off (`settlements=false`), the plan is that of
    /// communities and clusters alone, and this member is absent from the
    /// answer, so the plan is the same, byte for byte, as before
    /// settlements existed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settlements: Option<SettlementParams>,
    /// Factor weights.
    pub weights: Weights,
    /// Take residents' answers to the question as evidence (on by default;
    /// parameter `voice`): the *voice* factor and residents' names. The
    /// plan echoes this member only when it took answers: off
    /// (`voice=false`), or with no answer in the region, it is absent and
    /// the plan is byte for byte the plan without the question.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voice: Option<VoiceParams>,
}

impl Default for PlanParams {
    fn default() -> Self {
        PlanParams {
            neighbourhood_layer: None,
            community_layer: None,
            large_population: 20_000.0,
            large_area_km2: 100.0,
            min_containment: 0.6,
            min_population: 3_000.0,
            min_score: 0.75,
            max_new_feeds: None,
            max_new_feeds_per_neighbourhood: Some(DEFAULT_SHORTLIST),
            clusters: true,
            settlements: Some(SettlementParams {
                separation_gap_m: DEFAULT_SEPARATION_GAP_M,
            }),
            weights: Weights {
                size: 1.0,
                separation: 2.0,
                identity: 1.0,
                compactness: 0.5,
                containment: 1.0,
            },
            voice: Some(VoiceParams::default()),
        }
    }
}

/// Most new feeds the default plan chooses in one neighbourhood: a
/// shortlist a planner can take to a meeting (on Greater Manchester's ten
/// boroughs × wards, 30 of 105 suggestions; the rest are listed as further
/// candidates). `max_new_feeds_per_neighbourhood=none` gives the full
/// ranking.
pub const DEFAULT_SHORTLIST: usize = 3;

/// `separation_gap_m`'s default, metres.
pub const DEFAULT_SEPARATION_GAP_M: f64 = 1_000.0;

/// What kind of value a parameter takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A layer id of the region.
    Layer,
    /// A number in `[min, max]`.
    Number,
    /// A whole number in `[min, max]`, or `none` for no limit.
    Limit,
    /// `true` or `false`.
    Flag,
}

/// One parameter's contract.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    /// The name used in URLs (`?min_population=`) and `--param`.
    pub name: &'static str,
    /// Its kind.
    pub kind: Kind,
    /// Smallest allowed value (numbers and limits).
    pub min: f64,
    /// Largest allowed value (numbers and limits).
    pub max: f64,
    /// One line for the README and error messages.
    pub doc: &'static str,
}

const fn spec(name: &'static str, kind: Kind, min: f64, max: f64, doc: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        kind,
        min,
        max,
        doc,
    }
}

/// Every parameter, in the order the README lists them.
pub const PARAMS: &[ParamSpec] = &[
    spec(
        "neighbourhood_layer",
        Kind::Layer,
        0.0,
        0.0,
        "layer of neighbourhoods (default: the first neighbourhood layer)",
    ),
    spec(
        "community_layer",
        Kind::Layer,
        0.0,
        0.0,
        "layer of candidate communities (default: the first community layer)",
    ),
    spec(
        "large_population",
        Kind::Number,
        0.0,
        1e9,
        "residents that make a neighbourhood large (default 20000)",
    ),
    spec(
        "large_area_km2",
        Kind::Number,
        0.0,
        1e6,
        "km² that make a neighbourhood large whatever its population (default 100)",
    ),
    spec(
        "min_containment",
        Kind::Number,
        0.0,
        1.0,
        "share of a community inside its neighbourhood to be a candidate (default 0.6)",
    ),
    spec(
        "min_population",
        Kind::Number,
        0.0,
        1e9,
        "residents a feed needs; smaller candidates only in clusters (default 3000)",
    ),
    spec(
        "min_score",
        Kind::Number,
        0.0,
        1.0,
        "lowest score suggested (default 0.75)",
    ),
    spec(
        "max_new_feeds",
        Kind::Limit,
        0.0,
        1e6,
        "most new feeds overall, or none (default none)",
    ),
    spec(
        "max_new_feeds_per_neighbourhood",
        Kind::Limit,
        0.0,
        1e6,
        "most new feeds per neighbourhood, or none for the full ranking (default 3)",
    ),
    spec(
        "clusters",
        Kind::Flag,
        0.0,
        0.0,
        "merge adjacent small candidates into shared feeds (default true)",
    ),
    spec(
        "settlements",
        Kind::Flag,
        0.0,
        0.0,
        "offer a settlement apart from the rest of its neighbourhood as one suggestion (default true)",
    ),
    spec(
        "separation_gap_m",
        Kind::Number,
        1.0,
        100_000.0,
        "gap of empty land (m) at which a settlement counts as wholly apart (default 1000)",
    ),
    spec(
        "weight_size",
        Kind::Number,
        0.0,
        100.0,
        "weight of the size factor (default 1)",
    ),
    spec(
        "weight_separation",
        Kind::Number,
        0.0,
        100.0,
        "weight of the separation factor (default 2)",
    ),
    spec(
        "weight_identity",
        Kind::Number,
        0.0,
        100.0,
        "weight of the identity factor (default 1)",
    ),
    spec(
        "weight_compactness",
        Kind::Number,
        0.0,
        100.0,
        "weight of the compactness factor (default 0.5)",
    ),
    spec(
        "weight_containment",
        Kind::Number,
        0.0,
        100.0,
        "weight of the containment factor (default 1)",
    ),
    spec(
        "voice",
        Kind::Flag,
        0.0,
        0.0,
        "take residents' answers to the question as evidence: the voice factor and their names (default true)",
    ),
    spec(
        "weight_voice",
        Kind::Number,
        0.0,
        100.0,
        "weight of the voice factor, residents' interest and wish to follow (default 1)",
    ),
    spec(
        "voice_name_share",
        Kind::Number,
        0.5,
        1.0,
        "share of residents giving a name who must agree for a suggestion to take it (default 0.6)",
    ),
];

/// A parameter that is unknown, repeated or out of range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ParamError {
    /// The parameter's name as given.
    pub param: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

fn range_text(s: &ParamSpec) -> String {
    match s.kind {
        Kind::Layer => "a layer id of the region".into(),
        Kind::Number => format!("a number from {} to {}", s.min, s.max),
        Kind::Limit => format!("a whole number from {} to {}, or none", s.min, s.max),
        Kind::Flag => "true or false".into(),
    }
}

impl PlanParams {
    /// Parses `name=value` pairs over the defaults. Unknown or repeated
    /// names and values outside a parameter's range are errors naming the
    /// parameter and what it allows.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<PlanParams, ParamError> {
        let mut p = PlanParams::default();
        let mut seen: Vec<&str> = Vec::new();
        let (mut settlements, mut separation_gap_m) = (true, DEFAULT_SEPARATION_GAP_M);
        let (mut voice, mut voice_params) = (true, VoiceParams::default());
        for (name, value) in pairs {
            let Some(s) = PARAMS.iter().find(|s| s.name == name) else {
                return Err(ParamError {
                    param: name.into(),
                    message: format!(
                        "unknown plan parameter {name:?}; allowed: {}",
                        PARAMS.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
                    ),
                });
            };
            if seen.contains(&name) {
                return Err(ParamError {
                    param: name.into(),
                    message: format!("{name} is given more than once"),
                });
            }
            seen.push(name);
            let bad = || ParamError {
                param: name.into(),
                message: format!(
                    "{name}={value:?} is out of range: it must be {}",
                    range_text(s)
                ),
            };
            let value = value.trim();
            let number = || {
                value
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v >= s.min && *v <= s.max)
                    .ok_or_else(bad)
            };
            match s.kind {
                Kind::Layer if value.is_empty() => return Err(bad()),
                Kind::Layer => {}
                Kind::Flag if !matches!(value, "true" | "false") => return Err(bad()),
                _ => {}
            }
            let limit = || -> Result<Option<usize>, ParamError> {
                if value.eq_ignore_ascii_case("none") {
                    return Ok(None);
                }
                let v = number()?;
                if v.fract() != 0.0 {
                    return Err(bad());
                }
                Ok(Some(v as usize))
            };
            match name {
                "neighbourhood_layer" => p.neighbourhood_layer = Some(value.into()),
                "community_layer" => p.community_layer = Some(value.into()),
                "large_population" => p.large_population = number()?,
                "large_area_km2" => p.large_area_km2 = number()?,
                "min_containment" => p.min_containment = number()?,
                "min_population" => p.min_population = number()?,
                "min_score" => p.min_score = number()?,
                "max_new_feeds" => p.max_new_feeds = limit()?,
                "max_new_feeds_per_neighbourhood" => p.max_new_feeds_per_neighbourhood = limit()?,
                "clusters" => p.clusters = value == "true",
                "settlements" => settlements = value == "true",
                "separation_gap_m" => separation_gap_m = number()?,
                "weight_size" => p.weights.size = number()?,
                "weight_separation" => p.weights.separation = number()?,
                "weight_identity" => p.weights.identity = number()?,
                "weight_compactness" => p.weights.compactness = number()?,
                "weight_containment" => p.weights.containment = number()?,
                "voice" => voice = value == "true",
                "weight_voice" => voice_params.weight = number()?,
                "voice_name_share" => voice_params.name_share = number()?,
                _ => unreachable!("every PARAMS name is handled"),
            }
        }
        p.settlements = settlements.then_some(SettlementParams { separation_gap_m });
        p.voice = voice.then_some(voice_params);
        let w = p.weights;
        if w.size + w.separation + w.identity + w.compactness + w.containment <= 0.0 {
            return Err(ParamError {
                param: "weight_*".into(),
                message: "the weights are all zero; at least one weight_* must be above 0".into(),
            });
        }
        Ok(p)
    }
}

/// The pairs of a query string (`a=1&b=2`, percent-decoded), as the API's
/// query and a saved parameter set both are.
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Parameters over saved ones: each saved pair the request does not name,
/// then the request's own, so a request overrides the saved set one
/// parameter at a time.
pub fn layered<'a>(
    saved: &'a [(String, String)],
    given: &'a [(String, String)],
) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
    saved
        .iter()
        .filter(move |(k, _)| !given.iter().any(|(g, _)| g == k))
        .chain(given.iter())
        .map(|(k, v)| (k.as_str(), v.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        assert_eq!(PlanParams::from_pairs([]).unwrap(), PlanParams::default());
        let p = PlanParams::from_pairs([
            ("min_population", "5000"),
            ("max_new_feeds", "3"),
            ("max_new_feeds_per_neighbourhood", "none"),
            ("clusters", "false"),
            ("weight_identity", "0"),
            ("community_layer", "wards"),
        ])
        .unwrap();
        assert_eq!(p.min_population, 5000.0);
        assert_eq!(p.max_new_feeds, Some(3));
        assert_eq!(p.max_new_feeds_per_neighbourhood, None);
        assert!(!p.clusters);
        assert_eq!(p.weights.identity, 0.0);
        assert_eq!(p.community_layer.as_deref(), Some("wards"));
        let p =
            PlanParams::from_pairs([("weight_voice", "2"), ("voice_name_share", "0.75")]).unwrap();
        assert_eq!(
            p.voice,
            Some(VoiceParams {
                weight: 2.0,
                name_share: 0.75
            })
        );
        assert_eq!(
            PlanParams::from_pairs([("voice", "false")]).unwrap().voice,
            None
        );
        assert!(PlanParams::from_pairs([("voice_name_share", "0.4")]).is_err());
    }

    #[test]
    fn bad_values_name_the_parameter_and_its_range() {
        for (name, value, says) in [
            ("min_containment", "1.5", "from 0 to 1"),
            ("min_population", "-1", "from 0"),
            ("min_score", "abc", "from 0 to 1"),
            ("max_new_feeds", "2.5", "whole number"),
            ("clusters", "yes", "true or false"),
            ("weight_size", "NaN", "from 0 to 100"),
            ("community_layer", "", "layer id"),
        ] {
            let e = PlanParams::from_pairs([(name, value)]).unwrap_err();
            assert_eq!(e.param, name);
            assert!(e.message.contains(name) && e.message.contains(says), "{e}");
        }
        let e = PlanParams::from_pairs([("min_pop", "1")]).unwrap_err();
        assert!(
            e.message.contains("unknown") && e.message.contains("min_population"),
            "{e}"
        );
        let e = PlanParams::from_pairs([("min_score", "0.1"), ("min_score", "0.2")]).unwrap_err();
        assert!(e.message.contains("more than once"), "{e}");
        let zero = PARAMS
            .iter()
            .filter(|s| s.name.starts_with("weight_"))
            .map(|s| (s.name, "0"));
        assert!(PlanParams::from_pairs(zero).is_err());
    }
}
