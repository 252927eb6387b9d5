//! Residents' answers as evidence in the plan: the *voice* factor and the
//! names residents give.
//!
//! The evidence ([`VoiceEvidence`]) is the counted answers per finest-layer
//! area (the area an answer's point fell in). A finest-layer area counts for
//! the community of the plan's community layer whose geometry holds the
//! area's interior point (directly, when the finest layer is the community
//! layer); a settlement counts the areas whose interior point lies in its
//! outline. A candidate's answers are the sum over its communities.
//!
//! *Voice* (0–1) is the mean of two parts, each shrunk towards the region's
//! value so that a handful of answers barely moves it:
//! - interest, θ/(1+θ) with θ = (a + α)/(E + α): `a` the candidate's
//!   answers, `E` the answers expected from its residents at the region's
//!   rate (answers per resident), α = [`ALPHA`]; 0.5 at the region's rate,
//!   towards 1 well above it; 0.5 when residents are unknown;
//! - following, (yes + β·F)/(n + β): the share who would follow, `F` the
//!   region's share, β = [`BETA`].
//!
//! Both take only figures that may be published (at least the minimum
//! count): the plan is public, and a factor moved by each single answer
//! would tell who answered what.
//!
//! Names: when the candidate's most given name is a shown figure (at least
//! the minimum count, see [`crate::voice::figures`]) and at least
//! `voice_name_share` of the answers that gave a name give it, the
//! suggestion takes it (display-cased), saying which name it replaces; a
//! planner's rename still wins. Without evidence, with no answer, or with
//! `voice=false`, nothing here touches the plan: it is byte for byte the
//! plan without the question.

use super::model::{Inputs, ResidentsName, VoiceEvidence, VoiceNote};
use super::params::VoiceParams;
use crate::voice::{display_name, figures, normalise_name, Counts, Follow, Question};
use feedmap_geography::area::Area;
use geo::{BoundingRect, Contains, InteriorPoint, MultiPolygon, Point};
use std::collections::BTreeMap;

/// Prior answers (α) shrinking a candidate's interest towards the region's
/// rate.
pub const ALPHA: f64 = 20.0;

/// Prior answers (β) shrinking a candidate's share who would follow
/// towards the region's.
pub const BETA: f64 = 20.0;

impl VoiceEvidence {
    /// The evidence of `counts` (as `Ledger::counted` gives them) under
    /// `question`'s minimum count and platform labels.
    pub fn new(counts: BTreeMap<(String, String), Counts>, question: &Question) -> VoiceEvidence {
        VoiceEvidence {
            counts,
            min_count: question.min_count(),
            platform_labels: question
                .platforms()
                .iter()
                .map(|p| (p.id.clone(), p.label.clone()))
                .collect(),
        }
    }

    /// The evidence of what `ledger` counts, under `region`'s question;
    /// `None` when the region asks none (or its `[question]` cannot be
    /// asked, which loading the region already refuses).
    pub fn of(
        region: &feedmap_geography::region::Region,
        ledger: &crate::voice::Ledger,
    ) -> Option<VoiceEvidence> {
        let question = Question::from_spec(region.question.as_deref()?).ok()?;
        Some(VoiceEvidence::new(ledger.counted(), &question))
    }

    /// Answers in all.
    pub fn answers(&self) -> u64 {
        self.counts.values().map(|c| c.answers).sum()
    }
}

/// One evidence area placed in the community layer.
struct Placed<'e> {
    point: Point<f64>,
    counts: &'e Counts,
}

/// The evidence placed in one community layer, with the region's rates.
pub(crate) struct VoiceTable<'e> {
    evidence: &'e VoiceEvidence,
    pub(crate) params: VoiceParams,
    /// Per community of the layer: its answers.
    per_community: Vec<Counts>,
    /// Every evidence area with an interior point.
    placed: Vec<Placed<'e>>,
    /// Answers per resident over the communities with known residents.
    rate: Option<f64>,
    /// The region's share who would follow.
    follow_share: f64,
    /// Every area and settlement name of the region, for display casing.
    known: Vec<&'e str>,
}

fn interior(a: &Area) -> Option<Point<f64>> {
    a.geometry.interior_point()
}

impl<'e> VoiceTable<'e> {
    /// The table for community layer `cl`, or `None` when voice is off,
    /// there is no evidence, or it has no answer (the plan is then as
    /// without the question).
    pub(crate) fn new(inputs: &Inputs<'e>, cl: usize, params: Option<VoiceParams>) -> Option<Self> {
        let params = params?;
        let evidence = inputs.voice?;
        if evidence.answers() == 0 {
            return None;
        }
        let region = inputs.region;
        let comms = &region.layers[cl];
        let mut per_community = vec![Counts::default(); comms.areas.len()];
        let mut placed = Vec::new();
        let mut region_counts = Counts::default();
        for ((layer, id), counts) in &evidence.counts {
            if counts.answers == 0 {
                continue;
            }
            let Some((li, l)) = region.layer(layer) else {
                continue;
            };
            let Some(ai) = l.area_index(id) else {
                continue;
            };
            region_counts.add(counts);
            let point = interior(&l.areas[ai]);
            if let Some(c) = crate::voice::holding_area(region, (li, ai), point, cl) {
                per_community[c].add(counts);
            }
            if let Some(point) = point {
                placed.push(Placed { point, counts });
            }
        }
        let pops = inputs.populations();
        let (mut answered, mut residents) = (0.0, 0.0);
        for (c, counts) in per_community.iter().enumerate() {
            if let Some(f) = pops.of(cl, c) {
                answered += counts.answers as f64;
                residents += f.value;
            }
        }
        let rate = (residents > 0.0).then(|| answered / residents);
        let follow_share = if region_counts.answers > 0 {
            region_counts.follow.get(&Follow::Yes).copied().unwrap_or(0) as f64
                / region_counts.answers as f64
        } else {
            0.0
        };
        let mut known: Vec<&str> = region
            .layers
            .iter()
            .flat_map(|l| l.areas.iter().map(|a| a.name.as_str()))
            .chain(
                inputs
                    .planning
                    .settlements
                    .list
                    .iter()
                    .map(|s| s.name.as_str()),
            )
            .collect();
        known.sort_unstable();
        known.dedup();
        Some(VoiceTable {
            evidence,
            params,
            per_community,
            placed,
            rate,
            follow_share,
            known,
        })
    }

    /// The answers of communities `cs` (indices in the community layer).
    pub(crate) fn of_communities(&self, cs: &[usize]) -> Counts {
        let mut out = Counts::default();
        for &c in cs {
            out.add(&self.per_community[c]);
        }
        out
    }

    /// The answers of the evidence areas whose interior point lies in
    /// `outline` (a settlement's).
    pub(crate) fn of_outline(&self, outline: &MultiPolygon<f64>) -> Counts {
        let mut out = Counts::default();
        let Some(bbox) = outline.bounding_rect() else {
            return out;
        };
        for p in &self.placed {
            let (x, y) = (p.point.x(), p.point.y());
            if x >= bbox.min().x
                && x <= bbox.max().x
                && y >= bbox.min().y
                && y <= bbox.max().y
                && outline.contains(&p.point)
            {
                out.add(p.counts);
            }
        }
        out
    }

    /// The voice factor of a candidate with answers `c` and `residents`
    /// (see the module documentation).
    ///
    /// Only figures that may be published enter it (answers and those who
    /// would follow, each at least the minimum): the plan is public, and a
    /// factor moved by every single answer would tell who answered what.
    /// Answers under the minimum count as none; a hidden follow figure as
    /// no evidence (the region's share).
    pub(crate) fn factor(&self, c: &Counts, residents: Option<f64>) -> f64 {
        let shown = figures(c, self.evidence.min_count);
        let a = shown.answers.unwrap_or(0) as f64;
        let interest = match (self.rate, residents) {
            (Some(rate), Some(r)) => {
                let theta = (a + ALPHA) / (rate * r.max(0.0) + ALPHA);
                theta / (1.0 + theta)
            }
            _ => 0.5,
        };
        let (yes, n) = match shown.follow.yes {
            Some(yes) => (yes as f64, a),
            None => (0.0, 0.0),
        };
        let follow = (yes + BETA * self.follow_share) / (n + BETA);
        (0.5 * interest + 0.5 * follow).clamp(0.0, 1.0)
    }

    /// What residents said about a candidate now called `name`, with the
    /// name they agree on (see the module documentation).
    pub(crate) fn note(&self, c: &Counts, name: &str) -> VoiceNote {
        let min = self.evidence.min_count;
        let figures = figures(c, min);
        let named = c.named();
        let agreed = c.top_name().and_then(|(top, count)| {
            let shown = figures.names.iter().any(|n| n.name == top);
            let answers = figures.answers?;
            (shown
                && count >= u64::from(min.max(1))
                && named > 0
                && count as f64 / named as f64 >= self.params.name_share)
                .then_some((top, count, answers))
        });
        let name = agreed.and_then(|(top, count, answers)| {
            let place = normalise_name(top).ok().flatten()?;
            Some(ResidentsName {
                name: display_name(&place, self.known.iter().copied()),
                share: super::model::round_to(count as f64 / answers as f64, 3),
                count,
                replaces: name.to_string(),
            })
        });
        VoiceNote { figures, name }
    }

    /// The sentence a reason gains (see [`super::explain::voice`]).
    pub(crate) fn sentence(&self, note: &VoiceNote) -> String {
        super::explain::voice(
            note,
            self.evidence.min_count,
            &self.evidence.platform_labels,
        )
    }
}

/// A candidate's identity factor once residents named it (`named`): 1 when
/// the plan's own name for it (`name`) is a statistical code or its
/// identity was 0, else unchanged.
pub(crate) fn identity(identity: f64, name: &str, named: bool) -> f64 {
    if named && (identity == 0.0 || super::factors::is_statistical_code(name)) {
        1.0
    } else {
        identity
    }
}

/// The voice of one candidate before it is scored: its factor, its note,
/// and whether residents named it.
pub(crate) struct CandidateVoice {
    pub factor: f64,
    pub note: VoiceNote,
}

impl CandidateVoice {
    /// The residents' name, if they agree on one.
    pub fn name(&self) -> Option<&str> {
        self.note.name.as_ref().map(|n| n.name.as_str())
    }
}

impl VoiceTable<'_> {
    /// The voice of a candidate with answers `c`, `residents` and the name
    /// `name` the plan gives it.
    pub(crate) fn candidate(
        &self,
        c: &Counts,
        residents: Option<f64>,
        name: &str,
    ) -> CandidateVoice {
        CandidateVoice {
            factor: self.factor(c, residents),
            note: self.note(c, name),
        }
    }
}

/// One residents' name per place in a neighbourhood: when several of its
/// suggestions would take the same name (a settlement and the community
/// it spans, both called what residents call the town), the one where
/// most of the answers give it (then the most answers) keeps it; the
/// others keep the name the plan gave them, their reason still citing
/// what residents said.
pub(crate) fn one_name_each(plan: &mut super::model::NeighbourhoodPlan) {
    let named = |s: &super::model::Suggestion| {
        s.voice
            .as_ref()
            .and_then(|v| v.name.as_ref())
            .map(|n| (n.name.clone(), n.share, n.count))
    };
    let mut best: BTreeMap<String, (f64, u64, usize)> = BTreeMap::new();
    for (i, s) in plan.suggestions.iter().enumerate() {
        if let Some((name, share, count)) = named(s) {
            let e = best.entry(name).or_insert((share, count, i));
            if (share, count) > (e.0, e.1) {
                *e = (share, count, i);
            }
        }
    }
    for (i, s) in plan.suggestions.iter_mut().enumerate() {
        let Some((name, ..)) = named(s) else { continue };
        if best.get(&name).is_some_and(|b| b.2 != i) {
            if let Some(n) = s.voice.as_mut().and_then(|v| v.name.take()) {
                if s.name == n.name {
                    s.name = n.replaces;
                }
            }
        }
    }
}

/// A reason with what residents said added (the sentence of
/// [`super::explain::voice`]); unchanged when the plan takes no answers.
pub(crate) fn with_voice(
    reason: String,
    table: Option<&VoiceTable>,
    heard: Option<&CandidateVoice>,
) -> String {
    match (table, heard) {
        (Some(t), Some(h)) => format!("{reason} {}", t.sentence(&h.note)),
        _ => reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{PlanParams, Suggestion, SuggestionKind};
    use crate::voice::Question;

    fn demo() -> crate::Served {
        crate::demo::served()
    }

    fn question(served: &crate::Served) -> Question {
        Question::from_spec(served.region().question.as_deref().expect("the demo asks")).unwrap()
    }

    /// `answers` answers, `yes` of them would follow, `named` call it
    /// `name`, all on Facebook.
    fn counts(answers: u64, yes: u64, name: &str, named: u64) -> Counts {
        let mut c = Counts {
            answers,
            ..Default::default()
        };
        c.follow.insert(Follow::Yes, yes);
        c.follow.insert(Follow::No, answers - yes);
        if named > 0 {
            c.names.insert(name.into(), named);
        }
        c.platforms.insert("facebook".into(), answers);
        c
    }

    /// Every community answers at the same rate (one answer per 100
    /// residents), half would follow.
    fn even(served: &crate::Served) -> BTreeMap<(String, String), Counts> {
        let (cl, comms) = served.region().layer("communities").unwrap();
        let pops = served.plan_inputs().populations();
        (0..comms.areas.len())
            .map(|c| {
                let n = (pops.of(cl, c).unwrap().value / 100.0).round() as u64;
                (
                    ("communities".to_string(), comms.areas[c].id.clone()),
                    counts(n, n / 2, "", 0),
                )
            })
            .collect()
    }

    /// 400 answers, 300 calling it The Dell and 60 Wexcombe Green (83 %
    /// of the names agree).
    fn loud() -> Counts {
        let mut c = counts(400, 320, "the dell", 300);
        c.names.insert("wexcombe green".into(), 60);
        c
    }

    fn suggestions(p: &crate::plan::Plan) -> Vec<&Suggestion> {
        p.neighbourhoods
            .iter()
            .flat_map(|n| n.suggestions.iter())
            .collect()
    }

    fn json(p: &crate::plan::Plan) -> String {
        serde_json::to_string_pretty(p).unwrap()
    }

    #[test]
    fn without_answers_or_with_voice_off_the_plan_is_unchanged() {
        let served = demo();
        let q = question(&served);
        let defaults = PlanParams::default();
        let today = json(&served.plan(&defaults).unwrap());
        assert!(!today.contains("\"voice\""));
        let none = VoiceEvidence::new(BTreeMap::new(), &q);
        assert_eq!(
            json(&served.plan_with(&defaults, Some(&none)).unwrap()),
            today
        );
        let mut zero = even(&served);
        zero.values_mut().for_each(|c| *c = Counts::default());
        let zero = VoiceEvidence::new(zero, &q);
        assert_eq!(
            json(&served.plan_with(&defaults, Some(&zero)).unwrap()),
            today
        );
        let some = VoiceEvidence::new(even(&served), &q);
        let off = PlanParams::from_pairs([("voice", "false")]).unwrap();
        assert_eq!(json(&served.plan_with(&off, Some(&some)).unwrap()), today);
        // Other parameters too: off is the plan without the question.
        let pairs = [
            ("voice", "false"),
            ("min_score", "0"),
            ("clusters", "false"),
        ];
        let off = PlanParams::from_pairs(pairs).unwrap();
        assert_eq!(
            json(&served.plan_with(&off, Some(&some)).unwrap()),
            json(&served.plan(&off).unwrap())
        );
        // With answers, the voice shows.
        let on = served.plan_with(&defaults, Some(&some)).unwrap();
        assert!(on.params.voice.is_some());
        assert!(suggestions(&on)
            .iter()
            .all(|s| s.factors.voice.is_some() && s.voice.is_some()));
    }

    #[test]
    fn many_answers_raise_the_voice_and_name_the_place() {
        let served = demo();
        let q = question(&served);
        let params = PlanParams::from_pairs([("min_score", "0")]).unwrap();
        let base = VoiceEvidence::new(even(&served), &q);
        let plan = served.plan_with(&params, Some(&base)).unwrap();
        let target = suggestions(&plan)
            .into_iter()
            .find(|s| s.kind == SuggestionKind::Community)
            .map(|s| (s.id.clone(), s.name.clone(), s.factors.voice.unwrap()))
            .unwrap();
        let (id, official, before) = target;
        let find = |p: &crate::plan::Plan| -> Suggestion {
            suggestions(p)
                .into_iter()
                .find(|s| s.id == id)
                .cloned()
                .unwrap()
        };
        let key = ("communities".to_string(), id.clone());
        // A handful more barely moves it.
        let mut few = even(&served);
        few.get_mut(&key).unwrap().add(&counts(3, 3, "the dell", 3));
        let few = served
            .plan_with(&params, Some(&VoiceEvidence::new(few, &q)))
            .unwrap();
        let s = find(&few);
        assert!(
            (s.factors.voice.unwrap() - before).abs() < 0.05,
            "{} → {:?}",
            before,
            s.factors.voice
        );
        assert_eq!(s.name, official, "3 answers name nothing");
        // Many answers, most calling it The Dell: the highest voice, and
        // the residents' name.
        let mut many = even(&served);
        many.get_mut(&key).unwrap().add(&loud());
        let many = served
            .plan_with(&params, Some(&VoiceEvidence::new(many, &q)))
            .unwrap();
        let s = find(&many);
        let v = s.factors.voice.unwrap();
        assert!(v > before + 0.2, "{before} → {v}");
        for o in suggestions(&many) {
            assert!(
                o.id == id || o.factors.voice.unwrap() < v,
                "{}: {:?}",
                o.id,
                o.factors.voice
            );
        }
        assert_eq!(s.name, "The Dell");
        let heard = s.voice.as_ref().unwrap();
        let named = heard.name.as_ref().unwrap();
        assert_eq!(named.replaces, official);
        assert_eq!(named.count, 300);
        let answers = heard.figures.answers.unwrap();
        assert!(answers >= 400);
        assert!(
            s.reason
                .contains(&format!("{answers} residents answered the question"))
                && s.reason.contains("call it The Dell")
                && s.reason.contains("chose Facebook"),
            "{}",
            s.reason
        );
        // A planner's rename still wins over the residents' name.
        assert!(s.generated_name.is_none());
        // Below the agreement asked for, no name is offered.
        let strict =
            PlanParams::from_pairs([("min_score", "0"), ("voice_name_share", "0.9")]).unwrap();
        let mut many = even(&served);
        many.get_mut(&key).unwrap().add(&loud());
        let strict = served
            .plan_with(&strict, Some(&VoiceEvidence::new(many, &q)))
            .unwrap();
        assert_eq!(find(&strict).name, official);
    }

    #[test]
    fn areas_of_another_layer_count_where_their_interior_point_lies() {
        let served = demo();
        let q = question(&served);
        let hoods = &served.region().layers[0];
        let evidence = VoiceEvidence::new(
            hoods
                .areas
                .iter()
                .map(|a| {
                    (
                        ("neighbourhoods".to_string(), a.id.clone()),
                        counts(12, 6, "", 0),
                    )
                })
                .chain([(("gone".to_string(), "X".to_string()), counts(5, 5, "", 0))])
                .collect(),
            &q,
        );
        let inputs = crate::plan::Inputs {
            voice: Some(&evidence),
            ..served.plan_inputs()
        };
        let table = VoiceTable::new(&inputs, 1, Some(VoiceParams::default())).unwrap();
        let placed: u64 = table.per_community.iter().map(|c| c.answers).sum();
        assert_eq!(placed, 12 * hoods.areas.len() as u64);
        assert_eq!(
            table.per_community.iter().filter(|c| c.answers > 0).count(),
            hoods.areas.len()
        );
    }
}
