//! The resident question's rules: what residents may answer, what is
//! counted, and what may be shown.
//!
//! Residents say where they live (a postcode or a point, used only to find
//! the small area they live in and then dropped), what they call the place
//! (a short name, normalised), whether they would follow a local police
//! feed about it, on which platforms, and the force's own questions with
//! fixed choices. Nothing personal is kept: an [`Answer`] holds no postcode,
//! no point and no raw text, and becomes a handful of counted cells
//! ([`Answer::cells`]) added to its area's counts in the store.
//!
//! [`Ledger`] holds every count in memory with the holds (areas whose
//! answers jumped, waiting for a planner) and exclusions (windows of an
//! area's answers a planner left out), and says what is counted.
//! [`figures`] is the only way counts become public: every figure shown is
//! at least the region's minimum count, and no hidden figure below it can
//! be worked out from those shown (statistical disclosure control).

use feedmap_geography::manifest::{ChoiceSpec, QuestionSpec};
use feedmap_geography::region::Region;
use feedmap_store::{
    HoldStatus, VoiceCell, VoiceExclusion, VoiceHold, VoiceKind, VoiceRecords, VoiceTally,
};
use geo::{InteriorPoint, Point};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Most characters a place name may have, once normalised.
pub const MAX_NAME_CHARS: usize = 40;

/// Most extra questions a force may ask.
pub const MAX_EXTRA_QUESTIONS: usize = 3;

/// Fewest and most choices of an extra question.
pub const CHOICES: std::ops::RangeInclusive<usize> = 2..=8;

/// Most platforms a question may offer.
pub const MAX_PLATFORMS: usize = 12;

/// The minimum count below which `[question].min_count` draws a warning.
pub const RECOMMENDED_MIN_COUNT: u32 = 10;

/// A place name as residents gave it, normalised: trimmed, inner whitespace
/// collapsed to one space, lower-cased (Unicode), curly apostrophes and
/// dashes made plain, at most [`MAX_NAME_CHARS`] characters. What is
/// counted; shown display-cased ([`display_name`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct PlaceName(String);

impl PlaceName {
    /// The normalised text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for PlaceName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a name was refused: it is not a place name, or may identify someone.
/// Each message says what to give instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameRefusal {
    /// Longer than [`MAX_NAME_CHARS`].
    #[error(
        "is longer than 40 characters; give the short name of the place, such as \"Sale Moor\""
    )]
    TooLong,
    /// Seven or more digits: a phone number.
    #[error("looks like a phone number; give the name of a place, not contact details")]
    Phone,
    /// An email address.
    #[error("looks like an email address; give the name of a place, not contact details")]
    Email,
    /// A web address.
    #[error("looks like a web address; give the name of a place, not a link")]
    Url,
    /// A UK postcode.
    #[error("looks like a postcode; give the name of the place instead (the postcode box is for your postcode, which is not kept)")]
    Postcode,
    /// A title and a name ("Mr Smith"), or "my name is …".
    #[error("looks like a person's name; give the name of the place where you live, not your own")]
    PersonalName,
    /// Characters no place name uses.
    #[error(
        "has characters a place name does not use; use letters, digits, spaces and ' - . , & ( ) /"
    )]
    Characters,
}

/// Longest raw text looked at: anything longer is refused at once.
const MAX_RAW_CHARS: usize = 400;

/// Words that start a personal name when another word follows.
const TITLES: &[&str] = &["mr", "mrs", "ms", "miss", "mx", "dr", "pc", "sgt", "prof"];

/// Endings that make a word a web address (`example.com`, `x.co.uk`).
const DOMAIN_ENDINGS: &[&str] = &[
    "com", "net", "org", "uk", "co", "io", "info", "gov", "police", "ac", "me", "app", "dev", "ly",
    "biz", "eu", "tv", "online", "site", "xyz", "ie", "us", "page", "link",
];

/// Lower-cased, trimmed, whitespace collapsed, curly apostrophes and dashes
/// made plain: the key two spellings of one name share.
fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for ch in word.chars() {
            match ch {
                '\u{2018}' | '\u{2019}' | '\u{02BC}' | '`' => out.push('\''),
                '\u{2010}'..='\u{2015}' => out.push('-'),
                c => out.extend(c.to_lowercase()),
            }
        }
    }
    out
}

fn allowed(c: char) -> bool {
    c.is_alphabetic()
        || c.is_numeric()
        || matches!(c, ' ' | '\'' | '-' | '.' | ',' | '&' | '(' | ')' | '/')
        || ('\u{0300}'..='\u{036F}').contains(&c)
}

fn looks_like_email(words: &[&str]) -> bool {
    words.iter().any(|w| {
        w.split_once('@').is_some_and(|(user, host)| {
            !user.is_empty() && host.contains('.') && !host.ends_with('.')
        })
    })
}

fn looks_like_url(text: &str, words: &[&str]) -> bool {
    if text.contains("://") || text.contains("www.") {
        return true;
    }
    words.iter().any(|w| {
        let w = w.trim_end_matches(['/', ',', ')', '.']);
        match w.rsplit_once('.') {
            Some((host, end)) => {
                !host.is_empty()
                    && host.chars().next_back().is_some_and(char::is_alphanumeric)
                    && DOMAIN_ENDINGS.contains(&end)
            }
            None => false,
        }
    })
}

fn looks_like_postcode(words: &[&str]) -> bool {
    let clean: Vec<String> = words
        .iter()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_ascii_alphanumeric())
                .to_string()
        })
        .collect();
    let ok = |s: &str| feedmap_geography::gazetteer::normalise_postcode(s).is_ok();
    (0..clean.len()).any(|i| {
        ok(&clean[i])
            || clean
                .get(i + 1)
                .is_some_and(|n| ok(&format!("{}{n}", clean[i])))
    })
}

fn looks_like_personal_name(text: &str, words: &[&str]) -> bool {
    let bare: Vec<&str> = words
        .iter()
        .map(|w| w.trim_matches(|c: char| c == '.' || c == ','))
        .collect();
    let titled = bare.windows(2).any(|pair| {
        TITLES.contains(&pair[0]) && pair[1].chars().next().is_some_and(char::is_alphabetic)
    });
    titled
        || text.contains("my name is")
        || text.contains("my name's")
        || text.starts_with("i am called")
        || text.starts_with("i'm called")
}

/// Normalises what a resident calls the place they live. `None` for empty
/// or blank text (the name is optional); refused when it looks like a phone
/// number (seven or more digits), an email address, a web address, a UK
/// postcode or a person's name (a title such as Mr, Mrs, Ms, Miss, Dr, PC
/// or Sgt followed by a word, or "my name is …"), holds characters no place
/// name uses, or is longer than [`MAX_NAME_CHARS`]. Letters of any
/// alphabet (accents included), digits, apostrophes, hyphens and `. , & ( ) /`
/// are allowed: "Ó Briain's Corner" is a place name.
pub fn normalise_name(text: &str) -> Result<Option<PlaceName>, NameRefusal> {
    if text.chars().count() > MAX_RAW_CHARS {
        return Err(NameRefusal::TooLong);
    }
    let folded = fold(text);
    if folded.is_empty() {
        return Ok(None);
    }
    let words: Vec<&str> = folded.split(' ').collect();
    if looks_like_email(&words) {
        return Err(NameRefusal::Email);
    }
    if looks_like_url(&folded, &words) {
        return Err(NameRefusal::Url);
    }
    if folded.chars().filter(char::is_ascii_digit).count() >= 7 {
        return Err(NameRefusal::Phone);
    }
    if looks_like_postcode(&words) {
        return Err(NameRefusal::Postcode);
    }
    if looks_like_personal_name(&folded, &words) {
        return Err(NameRefusal::PersonalName);
    }
    if !folded.chars().all(allowed) || !folded.chars().any(char::is_alphabetic) {
        return Err(NameRefusal::Characters);
    }
    if folded.chars().count() > MAX_NAME_CHARS {
        return Err(NameRefusal::TooLong);
    }
    Ok(Some(PlaceName(folded)))
}

/// Words kept lower case inside a display-cased name.
const SMALL_WORDS: &[&str] = &["upon", "on", "under", "le", "the", "and", "of", "in"];

/// Display casing of a counted name: a known place name of the region when
/// one matches it case-insensitively (area names, settlement names, given
/// in `known`), else title case keeping "upon", "on", "under", "le", "the",
/// "and", "of" and "in" lower case (except as the first word): "ashton upon
/// mersey" → "Ashton upon Mersey", "ó briain's corner" → "Ó Briain's Corner".
pub fn display_name<'k>(name: &PlaceName, known: impl IntoIterator<Item = &'k str>) -> String {
    if let Some(k) = known.into_iter().find(|k| fold(k) == name.0) {
        return k.trim().to_string();
    }
    let mut out = String::with_capacity(name.0.len());
    let mut first = true;
    for (w, word) in name.0.split(' ').enumerate() {
        if w > 0 {
            out.push(' ');
        }
        for (p, part) in word.split('-').enumerate() {
            if p > 0 {
                out.push('-');
            }
            if !first && SMALL_WORDS.contains(&part) {
                out.push_str(part);
            } else {
                out.push_str(&capitalise(part));
            }
            first = false;
        }
    }
    out
}

/// "hobb's" → "Hobb's", "o'brien" → "O'Brien", "(east)" → "(East)".
fn capitalise(part: &str) -> String {
    let mut out = String::with_capacity(part.len());
    let mut upper_next = true;
    let chars: Vec<char> = part.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if upper_next && c.is_alphabetic() {
            out.extend(c.to_uppercase());
            upper_next = false;
        } else {
            out.push(c);
        }
        // O'Brien, D'Arcy: one letter before an apostrophe.
        if c == '\'' && i == 1 {
            upper_next = true;
        }
    }
    out
}

/// Whether a resident would follow a local police feed about the place.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Follow {
    /// They would.
    Yes,
    /// They would not.
    No,
    /// They do not know.
    NotSure,
}

impl Follow {
    /// Every answer, in order.
    pub const ALL: [Follow; 3] = [Follow::Yes, Follow::No, Follow::NotSure];

    /// The word counted: `yes`, `no` or `not_sure`.
    pub fn as_str(self) -> &'static str {
        match self {
            Follow::Yes => "yes",
            Follow::No => "no",
            Follow::NotSure => "not_sure",
        }
    }

    /// Reads the counted word; `None` for any other.
    pub fn parse(s: &str) -> Option<Follow> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// A fixed choice: a platform or a choice of an extra question.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Choice {
    /// Stable id (lowercase letters, digits, `_`), sent in answers.
    pub id: String,
    /// What residents read.
    pub label: String,
}

/// One of the force's own questions.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ExtraQuestion {
    /// Stable id (lowercase letters, digits, `_`).
    pub id: String,
    /// The question as residents read it.
    pub text: String,
    /// Its choices, in display order (2–8).
    pub choices: Vec<Choice>,
    /// Whether a resident may pick several.
    pub multiple: bool,
}

/// The region's question, checked (from `region.toml`'s `[question]`):
/// the platforms offered, up to [`MAX_EXTRA_QUESTIONS`] extra questions
/// each with 2–8 fixed choices, and the minimum count a public figure
/// needs. Serialised as `GET /v1/question` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Question {
    intro: Option<String>,
    platforms: Vec<Choice>,
    questions: Vec<ExtraQuestion>,
    min_count: u32,
    #[serde(skip)]
    warnings: Vec<String>,
}

/// Why a `[question]` cannot be asked: which key, what is wrong, what
/// would do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct QuestionError {
    /// The key, e.g. `question.extra[1].choices`.
    pub key: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

/// Whether `id` is a valid choice or question id: 1–32 lowercase ASCII
/// letters, digits or `_`.
pub fn is_valid_id(id: &str) -> bool {
    (1..=32).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn choices(key: &str, given: &[ChoiceSpec]) -> Result<Vec<Choice>, QuestionError> {
    let err = |message: String| QuestionError {
        key: key.to_string(),
        message,
    };
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(given.len());
    for c in given {
        if !is_valid_id(&c.id) {
            return Err(err(format!(
                "id {:?} must be 1–32 lowercase letters, digits or _ (like \"facebook\")",
                c.id
            )));
        }
        if !seen.insert(c.id.as_str()) {
            return Err(err(format!(
                "id {:?} is given twice; ids must be unique",
                c.id
            )));
        }
        let label = c.label.trim();
        if label.is_empty() || label.chars().count() > 120 {
            return Err(err(format!("{:?} needs a label of 1–120 characters", c.id)));
        }
        out.push(Choice {
            id: c.id.clone(),
            label: label.to_string(),
        });
    }
    Ok(out)
}

impl Question {
    /// Checks `[question]`: platform and question ids are 1–32 lowercase
    /// letters, digits or `_` and unique; at most 12 platforms; at most
    /// [`MAX_EXTRA_QUESTIONS`] extra questions, each with a text and 2–8
    /// choices; `min_count` at least 1 (below 10 is allowed, with a
    /// warning: small counts can identify people).
    pub fn from_spec(spec: &QuestionSpec) -> Result<Question, QuestionError> {
        let err = |key: &str, message: String| QuestionError {
            key: key.to_string(),
            message,
        };
        let mut warnings = Vec::new();
        if spec.min_count == 0 {
            return Err(err(
                "question.min_count",
                "is 0; it must be at least 1 (10 is recommended: smaller counts can identify people)".into(),
            ));
        }
        if spec.min_count < RECOMMENDED_MIN_COUNT {
            warnings.push(format!(
                "[question].min_count is {}: figures this small can identify people; 10 or more is recommended",
                spec.min_count
            ));
        }
        if spec.platforms.len() > MAX_PLATFORMS {
            return Err(err(
                "question.platforms",
                format!(
                    "lists {} platforms; offer at most {MAX_PLATFORMS}",
                    spec.platforms.len()
                ),
            ));
        }
        let platforms = choices("question.platforms", &spec.platforms)?;
        if spec.extra.len() > MAX_EXTRA_QUESTIONS {
            return Err(err(
                "question.extra",
                format!(
                    "has {} questions; ask at most {MAX_EXTRA_QUESTIONS} so the question stays short",
                    spec.extra.len()
                ),
            ));
        }
        let mut seen = BTreeSet::new();
        let mut questions = Vec::with_capacity(spec.extra.len());
        for (i, q) in spec.extra.iter().enumerate() {
            let key = format!("question.extra[{i}]");
            if !is_valid_id(&q.id) {
                return Err(err(
                    &format!("{key}.id"),
                    format!(
                        "{:?} must be 1–32 lowercase letters, digits or _ (like \"cover\")",
                        q.id
                    ),
                ));
            }
            if !seen.insert(q.id.as_str()) {
                return Err(err(
                    &format!("{key}.id"),
                    format!("{:?} is used by another question; ids must be unique", q.id),
                ));
            }
            let text = q.text.trim();
            if text.is_empty() || text.chars().count() > 300 {
                return Err(err(
                    &format!("{key}.text"),
                    "must be the question as residents read it, 1–300 characters".into(),
                ));
            }
            if !CHOICES.contains(&q.choices.len()) {
                return Err(err(
                    &format!("{key}.choices"),
                    format!(
                        "question {:?} has {} choices; give from {} to {}",
                        q.id,
                        q.choices.len(),
                        CHOICES.start(),
                        CHOICES.end()
                    ),
                ));
            }
            questions.push(ExtraQuestion {
                id: q.id.clone(),
                text: text.to_string(),
                choices: choices(&format!("{key}.choices"), &q.choices)?,
                multiple: q.multiple,
            });
        }
        let intro = spec
            .intro
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if intro.as_ref().is_some_and(|t| t.chars().count() > 2000) {
            return Err(err(
                "question.intro",
                "is longer than 2000 characters; keep it to a short paragraph".into(),
            ));
        }
        Ok(Question {
            intro,
            platforms,
            questions,
            min_count: spec.min_count,
            warnings,
        })
    }

    /// The smallest count a public figure may show.
    pub fn min_count(&self) -> u32 {
        self.min_count
    }

    /// The paragraph shown above the question, if any.
    pub fn intro(&self) -> Option<&str> {
        self.intro.as_deref()
    }

    /// The platforms offered, in display order.
    pub fn platforms(&self) -> &[Choice] {
        &self.platforms
    }

    /// The force's own questions, in display order.
    pub fn questions(&self) -> &[ExtraQuestion] {
        &self.questions
    }

    /// Warnings about the question (a minimum count below 10).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

/// The body of `POST /v1/question/answers`: where (a postcode, or a point
/// as `lon` and `lat`), the name, whether they would follow, platforms and
/// the extra questions' choices (question id → choice ids).
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerForm {
    /// A UK postcode (used to find the area, never kept).
    #[serde(default)]
    pub postcode: Option<String>,
    /// Longitude, WGS 84 degrees (with `lat`; used to find the area, never kept).
    #[serde(default)]
    pub lon: Option<f64>,
    /// Latitude, WGS 84 degrees (with `lon`).
    #[serde(default)]
    pub lat: Option<f64>,
    /// What they call the place they live (optional, at most 40 characters).
    #[serde(default)]
    pub name: Option<String>,
    /// Whether they would follow a local police feed about it.
    pub follow: Follow,
    /// Platform ids they would follow it on.
    #[serde(default)]
    pub platforms: Vec<String>,
    /// The force's questions: question id → the chosen choice ids.
    #[serde(default)]
    pub choices: BTreeMap<String, Vec<String>>,
}

/// An answer checked against the question: no postcode, no point, no raw
/// text left in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The normalised name, if one was given.
    pub name: Option<PlaceName>,
    /// Whether they would follow.
    pub follow: Follow,
    /// Platform ids chosen.
    pub platforms: BTreeSet<String>,
    /// (question id, choice id) pairs chosen.
    pub choices: BTreeSet<(String, String)>,
}

/// What is wrong with an answer, by field (`name`, `platforms`,
/// `choices.cover`, `postcode`, `lon`, `lat`), in words a resident can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct AnswerError {
    /// The field, as the form names it.
    pub field: String,
    /// What is wrong and what to give instead.
    pub message: String,
}

fn answer_error(field: impl Into<String>, message: impl Into<String>) -> AnswerError {
    AnswerError {
        field: field.into(),
        message: message.into(),
    }
}

/// Checks an answer against the question: a postcode or a point (both
/// `lon` and `lat`, in range) is given, the name is a place name
/// ([`normalise_name`]), platforms and choices are the question's, and a
/// single-choice question has at most one choice. It does not locate the
/// point (the server does, and drops it).
pub fn check(q: &Question, form: &AnswerForm) -> Result<Answer, AnswerError> {
    let postcode = form
        .postcode
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    if postcode.is_some_and(|p| p.chars().count() > 16) {
        return Err(answer_error(
            "postcode",
            "is too long for a postcode; give a UK postcode such as \"M33 7XX\"",
        ));
    }
    match (form.lon, form.lat) {
        (Some(_), None) => {
            return Err(answer_error(
                "lat",
                "is missing; give both lon and lat, or a postcode",
            ))
        }
        (None, Some(_)) => {
            return Err(answer_error(
                "lon",
                "is missing; give both lon and lat, or a postcode",
            ))
        }
        (Some(lon), Some(lat)) => {
            if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
                return Err(answer_error("lon", "must be a longitude from -180 to 180"));
            }
            if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
                return Err(answer_error("lat", "must be a latitude from -90 to 90"));
            }
        }
        (None, None) if postcode.is_none() => {
            return Err(answer_error(
                "postcode",
                "is missing; give your postcode, or tap where you live on the map",
            ))
        }
        (None, None) => {}
    }
    let name = match form.name.as_deref() {
        None => None,
        Some(text) => normalise_name(text).map_err(|r| answer_error("name", r.to_string()))?,
    };
    let mut platforms = BTreeSet::new();
    for p in &form.platforms {
        if !q.platforms.iter().any(|c| &c.id == p) {
            return Err(answer_error(
                "platforms",
                format!(
                    "{p:?} is not one of the platforms; choose from {}",
                    ids(&q.platforms)
                ),
            ));
        }
        platforms.insert(p.clone());
    }
    let mut choices = BTreeSet::new();
    for (qid, chosen) in &form.choices {
        let Some(question) = q.questions.iter().find(|x| &x.id == qid) else {
            return Err(answer_error(
                "choices",
                if q.questions.is_empty() {
                    format!("{qid:?} is not a question here; this question has no extra questions")
                } else {
                    format!(
                        "{qid:?} is not a question here; the questions are {}",
                        q.questions
                            .iter()
                            .map(|x| x.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
            ));
        };
        let field = format!("choices.{qid}");
        let distinct: BTreeSet<&String> = chosen.iter().collect();
        if !question.multiple && distinct.len() > 1 {
            return Err(answer_error(
                field,
                "takes one choice; pick the one that fits best",
            ));
        }
        for c in distinct {
            if !question.choices.iter().any(|x| &x.id == c) {
                return Err(answer_error(
                    field,
                    format!(
                        "{c:?} is not a choice; choose from {}",
                        ids(&question.choices)
                    ),
                ));
            }
            choices.insert((qid.clone(), c.clone()));
        }
    }
    Ok(Answer {
        name,
        follow: form.follow,
        platforms,
        choices,
    })
}

fn ids(choices: &[Choice]) -> String {
    choices
        .iter()
        .map(|c| c.id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Answer {
    /// The cells the answer adds 1 to: always one `Answers` cell, then the
    /// name (if given), the follow answer, each platform and each choice
    /// (`question_id/choice_id`).
    pub fn cells(&self) -> Vec<VoiceCell> {
        let cell = |kind, value: String| VoiceCell { kind, value };
        let mut out = vec![cell(VoiceKind::Answers, String::new())];
        if let Some(n) = &self.name {
            out.push(cell(VoiceKind::Name, n.0.clone()));
        }
        out.push(cell(VoiceKind::Follow, self.follow.as_str().into()));
        out.extend(
            self.platforms
                .iter()
                .map(|p| cell(VoiceKind::Platform, p.clone())),
        );
        out.extend(
            self.choices
                .iter()
                .map(|(q, c)| cell(VoiceKind::Choice, format!("{q}/{c}"))),
        );
        out
    }
}

/// Counts of one area (or a sum of areas): answers, and per name, follow
/// answer, platform and choice (`question_id/choice_id`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Answers given.
    pub answers: u64,
    /// Per normalised name.
    pub names: BTreeMap<String, u64>,
    /// Per follow answer.
    pub follow: BTreeMap<Follow, u64>,
    /// Per platform id.
    pub platforms: BTreeMap<String, u64>,
    /// Per `question_id/choice_id`.
    pub choices: BTreeMap<String, u64>,
}

impl Counts {
    /// Adds `n` answers to cell `c` (a follow value that is not one is
    /// ignored).
    pub fn add_cell(&mut self, c: &VoiceCell, n: u64) {
        self.add_value(c.kind, &c.value, n);
    }

    fn add_value(&mut self, kind: VoiceKind, value: &str, n: u64) {
        let bump = |m: &mut BTreeMap<String, u64>| {
            if let Some(v) = m.get_mut(value) {
                *v += n;
            } else {
                m.insert(value.to_string(), n);
            }
        };
        match kind {
            VoiceKind::Answers => self.answers += n,
            VoiceKind::Name => bump(&mut self.names),
            VoiceKind::Platform => bump(&mut self.platforms),
            VoiceKind::Choice => bump(&mut self.choices),
            VoiceKind::Follow => {
                if let Some(f) = Follow::parse(value) {
                    *self.follow.entry(f).or_default() += n;
                }
            }
        }
    }

    /// Adds another area's counts.
    pub fn add(&mut self, o: &Counts) {
        self.answers += o.answers;
        for (k, v) in &o.names {
            *self.names.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &o.follow {
            *self.follow.entry(*k).or_default() += v;
        }
        for (k, v) in &o.platforms {
            *self.platforms.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &o.choices {
            *self.choices.entry(k.clone()).or_default() += v;
        }
    }

    /// Answers that gave a name.
    pub fn named(&self) -> u64 {
        self.names.values().sum()
    }

    /// The most given name and its count (ties: the first in order).
    pub fn top_name(&self) -> Option<(&str, u64)> {
        self.names
            .iter()
            .fold(None, |best: Option<(&str, u64)>, (k, &v)| match best {
                Some((_, b)) if b >= v => best,
                _ => Some((k.as_str(), v)),
            })
    }
}

/// Every count, hold and exclusion in memory: what is counted, what is
/// held, what is left out. Made from the store's records; kept current
/// with [`Ledger::apply`] after each committed batch.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    /// (layer, area id) → (bucket, hold) → counts.
    rows: BTreeMap<(String, String), BTreeMap<(i64, i64), Counts>>,
    holds: BTreeMap<i64, VoiceHold>,
    exclusions: Vec<VoiceExclusion>,
}

impl Ledger {
    /// The ledger of the store's records.
    pub fn new(records: VoiceRecords) -> Ledger {
        let mut l = Ledger::default();
        for c in &records.counts {
            l.rows
                .entry((c.layer.clone(), c.area_id.clone()))
                .or_default()
                .entry((c.bucket, c.hold))
                .or_default()
                .add_value(c.kind, &c.value, c.n.max(0) as u64);
        }
        l.set_holds_and_exclusions(records.holds, records.exclusions);
        l
    }

    /// Adds tallies the store has committed (`Store::record_voice`).
    pub fn apply(&mut self, tallies: &[VoiceTally]) {
        for t in tallies {
            let counts = match self.rows.get_mut(&(t.layer.clone(), t.area_id.clone())) {
                Some(m) => m.entry((t.bucket, t.hold)).or_default(),
                None => self
                    .rows
                    .entry((t.layer.clone(), t.area_id.clone()))
                    .or_default()
                    .entry((t.bucket, t.hold))
                    .or_default(),
            };
            for c in &t.cells {
                counts.add_cell(c, 1);
            }
        }
    }

    /// Replaces the holds and exclusions (after a planner's decision or a
    /// new hold; counts stay).
    pub fn set_holds_and_exclusions(
        &mut self,
        holds: Vec<VoiceHold>,
        exclusions: Vec<VoiceExclusion>,
    ) {
        self.holds = holds.into_iter().map(|h| (h.id, h)).collect();
        self.exclusions = exclusions;
    }

    /// Every hold, by id.
    pub fn holds(&self) -> impl Iterator<Item = &VoiceHold> {
        self.holds.values()
    }

    /// Every exclusion window.
    pub fn exclusions(&self) -> &[VoiceExclusion] {
        &self.exclusions
    }

    /// Whether rows under `hold` count: no hold, or a released one. An
    /// unknown hold does not count.
    fn hold_counts(&self, hold: i64) -> bool {
        hold == 0
            || self
                .holds
                .get(&hold)
                .is_some_and(|h| h.status == HoldStatus::Released)
    }

    fn excluded(&self, layer: &str, area_id: &str, bucket: i64) -> bool {
        self.exclusions
            .iter()
            .any(|e| e.layer == layer && e.area_id == area_id && e.from <= bucket && bucket < e.to)
    }

    /// Counted answers per (layer, area id): rows with no hold or a
    /// released one, minus buckets starting inside an exclusion window of
    /// that area. Areas with no counted answer are left out.
    pub fn counted(&self) -> BTreeMap<(String, String), Counts> {
        let mut out = BTreeMap::new();
        for ((layer, area), buckets) in &self.rows {
            let mut sum = Counts::default();
            for ((bucket, hold), c) in buckets {
                if self.hold_counts(*hold) && !self.excluded(layer, area, *bucket) {
                    sum.add(c);
                }
            }
            if sum.answers > 0 {
                out.insert((layer.clone(), area.clone()), sum);
            }
        }
        out
    }

    /// Answers counted under an open (held) hold, per hold id.
    pub fn held(&self) -> BTreeMap<i64, Counts> {
        let mut out: BTreeMap<i64, Counts> = BTreeMap::new();
        for buckets in self.rows.values() {
            for ((_, hold), c) in buckets {
                if self
                    .holds
                    .get(hold)
                    .is_some_and(|h| h.status == HoldStatus::Held)
                {
                    out.entry(*hold).or_default().add(c);
                }
            }
        }
        out
    }

    /// The area's counted answers per second over `[from, to)` (unix s; by
    /// bucket start): the burst detector's baseline. 0 for an empty span.
    pub fn rate(&self, layer: &str, area_id: &str, from: i64, to: i64) -> f64 {
        if to <= from {
            return 0.0;
        }
        let Some(buckets) = self.rows.get(&(layer.to_string(), area_id.to_string())) else {
            return 0.0;
        };
        let n: u64 = buckets
            .range((from, i64::MIN)..(to, i64::MIN))
            .filter(|((bucket, hold), _)| {
                self.hold_counts(*hold) && !self.excluded(layer, area_id, *bucket)
            })
            .map(|(_, c)| c.answers)
            .sum();
        n as f64 / (to - from) as f64
    }

    /// The area's open hold, if it has one.
    pub fn open_hold(&self, layer: &str, area_id: &str) -> Option<&VoiceHold> {
        self.holds
            .values()
            .find(|h| h.status == HoldStatus::Held && h.layer == layer && h.area_id == area_id)
    }
}

/// A name residents give, with how many gave it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct NameFigure {
    /// The normalised name (display-case it with [`display_name`]).
    pub name: String,
    /// Answers giving it.
    pub count: u64,
}

/// Answers to "would you follow", each shown only when it may be.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct FollowFigures {
    /// Would follow.
    pub yes: Option<u64>,
    /// Would not.
    pub no: Option<u64>,
    /// Not sure.
    pub not_sure: Option<u64>,
}

/// Answers choosing a platform.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct PlatformFigure {
    /// Platform id.
    pub platform: String,
    /// Answers choosing it.
    pub count: u64,
}

/// Answers making a choice of an extra question.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ChoiceFigure {
    /// Question id.
    pub question: String,
    /// Choice id.
    pub choice: String,
    /// Answers making it.
    pub count: u64,
}

/// The area of layer `into` that answers counted in area `area` of layer
/// `layer` count for: the area itself in its own layer, else the area of
/// `into` holding `point`, the area's interior point (none when `into`
/// has no area there).
pub fn holding_area(
    region: &Region,
    (layer, area): (usize, usize),
    point: Option<Point<f64>>,
    into: usize,
) -> Option<usize> {
    if layer == into {
        return Some(area);
    }
    let p = point?;
    let l = &region.layers[into];
    l.index.locate(&l.areas, p.x(), p.y()).first().copied()
}

/// Counted answers (per layer id and area id, as [`Ledger::counted`]
/// gives them) summed into the areas of layer `into`, by
/// [`holding_area`]; answers in areas no longer in the region, or outside
/// every area of `into`, are left out.
pub fn by_layer(
    region: &Region,
    counted: &BTreeMap<(String, String), Counts>,
    into: usize,
) -> BTreeMap<usize, Counts> {
    let mut out: BTreeMap<usize, Counts> = BTreeMap::new();
    for ((layer, area_id), c) in counted {
        let Some((li, l)) = region.layer(layer) else {
            continue;
        };
        let Some(ai) = l.area_index(area_id) else {
            continue;
        };
        let point = (li != into)
            .then(|| l.areas[ai].geometry.interior_point())
            .flatten();
        if let Some(a) = holding_area(region, (li, ai), point, into) {
            out.entry(a).or_default().add(c);
        }
    }
    out
}

/// Public figures of some counts: every figure shown is at least the
/// minimum count, and no follow answer below it can be worked out by
/// subtraction from those shown (see [`figures`]).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Figures {
    /// Answers, when at least the minimum.
    pub answers: Option<u64>,
    /// Names shown, most given first.
    pub names: Vec<NameFigure>,
    /// Follow answers shown.
    pub follow: FollowFigures,
    /// Platforms shown, most chosen first.
    pub platforms: Vec<PlatformFigure>,
    /// Choices shown, by question and choice.
    pub choices: Vec<ChoiceFigure>,
    /// True when any figure is held back (under the minimum, or revealing
    /// one by subtraction); with `answers` absent, everything is.
    pub withheld: bool,
}

/// The follow answers that may be shown, of `total` answers: those of at
/// least `min`; then, while exactly one of the three is hidden and what it
/// holds (answers − those shown) is above 0 and below `min`, the smallest
/// shown is hidden too, so that no follow answer below `min` can be worked
/// out by subtraction. (With two hidden, what they hold between them says
/// nothing of either.)
fn follow_shown(total: u64, cells: &[(Follow, u64)], min: u64) -> Vec<(Follow, u64)> {
    let mut shown: Vec<(Follow, u64)> = cells.iter().filter(|(_, v)| *v >= min).cloned().collect();
    loop {
        let sum: u64 = shown.iter().map(|(_, v)| v).sum();
        let rest = total.saturating_sub(sum);
        if cells.len() - shown.len() != 1 || rest == 0 || rest >= min {
            return shown;
        }
        // The smallest shown cell (the last of equals) joins the hidden.
        let k = (0..shown.len())
            .min_by(|&a, &b| shown[a].1.cmp(&shown[b].1).then(b.cmp(&a)))
            .expect("two shown of three");
        shown.remove(k);
    }
}

/// The public figures of `c` with minimum count `min` (statistical
/// disclosure control):
/// 1. the answers are shown only if at least `min`; otherwise everything is
///    withheld;
/// 2. every other figure — a name, a follow answer, a platform, a choice —
///    is shown only if at least `min` answers gave it;
/// 3. the follow answers (three, fixed) are also kept from revealing one
///    another: when only one of them is hidden and it holds fewer than
///    `min` (but some), the smallest shown one is hidden too.
///
/// Names are an open list and the rest of the answers ("another name, or
/// none") is not one answer, so a name's figure reveals nothing below the
/// minimum; a platform's or a choice's likewise ("did not choose it" is
/// not an answer anyone gave). `withheld` says whether any figure was held
/// back.
pub fn figures(c: &Counts, min: u32) -> Figures {
    let min = u64::from(min.max(1));
    if c.answers < min {
        return Figures {
            answers: None,
            names: Vec::new(),
            follow: FollowFigures::default(),
            platforms: Vec::new(),
            choices: Vec::new(),
            withheld: true,
        };
    }
    let total = c.answers;
    let names: Vec<(String, u64)> = c.names.iter().map(|(k, v)| (k.clone(), *v)).collect();
    let mut names: Vec<NameFigure> = names
        .into_iter()
        .filter(|(_, count)| *count >= min)
        .map(|(name, count)| NameFigure { name, count })
        .collect();
    names.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
    let follows: Vec<(Follow, u64)> = Follow::ALL
        .iter()
        .map(|f| (*f, c.follow.get(f).copied().unwrap_or(0)))
        .collect();
    let mut follow = FollowFigures::default();
    for (f, v) in follow_shown(total, &follows, min) {
        match f {
            Follow::Yes => follow.yes = Some(v),
            Follow::No => follow.no = Some(v),
            Follow::NotSure => follow.not_sure = Some(v),
        }
    }
    let mut platforms: Vec<PlatformFigure> = c
        .platforms
        .iter()
        .filter(|(_, v)| **v >= min)
        .map(|(k, v)| PlatformFigure {
            platform: k.clone(),
            count: *v,
        })
        .collect();
    platforms.sort_by(|a, b| b.count.cmp(&a.count).then(a.platform.cmp(&b.platform)));
    let mut by_question: BTreeMap<&str, Vec<(&str, u64)>> = BTreeMap::new();
    for (k, v) in &c.choices {
        let (q, choice) = k.split_once('/').unwrap_or((k.as_str(), ""));
        by_question.entry(q).or_default().push((choice, *v));
    }
    let mut choices = Vec::new();
    for (q, cells) in by_question {
        for (choice, count) in cells {
            if count >= min {
                choices.push(ChoiceFigure {
                    question: q.to_string(),
                    choice: choice.to_string(),
                    count,
                });
            }
        }
    }
    let shown_cells = names.len()
        + [follow.yes, follow.no, follow.not_sure]
            .iter()
            .flatten()
            .count()
        + platforms.len()
        + choices.len();
    let nonzero_cells = c.names.values().filter(|v| **v > 0).count()
        + c.follow.values().filter(|v| **v > 0).count()
        + c.platforms.values().filter(|v| **v > 0).count()
        + c.choices.values().filter(|v| **v > 0).count();
    Figures {
        answers: Some(total),
        names,
        follow,
        platforms,
        choices,
        withheld: shown_cells < nonzero_cells,
    }
}

/// The total of several areas' answers, published beside the areas whose
/// answers are shown only when the hidden remainder (the areas not shown)
/// is 0 or at least `min`, and the total itself at least `min`; `None`
/// otherwise.
pub fn total_answers(per_area: impl IntoIterator<Item = u64>, min: u32) -> Option<u64> {
    let min = u64::from(min.max(1));
    let (mut total, mut shown) = (0u64, 0u64);
    for a in per_area {
        total += a;
        if a >= min {
            shown += a;
        }
    }
    let rest = total - shown;
    (total >= min && (rest == 0 || rest >= min)).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn spec() -> QuestionSpec {
        toml::from_str(
            r#"
            intro = "Tell us"
            [[extra]]
            id = "cover"
            text = "What first?"
            choices = [{ id = "crime", label = "Crime" }, { id = "roads", label = "Roads" }]
            [[extra]]
            id = "times"
            text = "When?"
            multiple = true
            choices = [{ id = "morning", label = "Morning" }, { id = "evening", label = "Evening" }, { id = "night", label = "Night" }]
            "#,
        )
        .unwrap()
    }

    fn form(json: serde_json::Value) -> AnswerForm {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn contact_details_and_personal_names_are_refused() {
        for (text, why) in [
            ("call me on 07700 900123", NameRefusal::Phone),
            ("+44 161 555 0100", NameRefusal::Phone),
            ("sam@example.com", NameRefusal::Email),
            ("www.x.com", NameRefusal::Url),
            ("https://sale.example/", NameRefusal::Url),
            ("salemoor.co.uk", NameRefusal::Url),
            ("M33 7XX", NameRefusal::Postcode),
            ("near m337xx", NameRefusal::Postcode),
            ("Mr Smith", NameRefusal::PersonalName),
            ("Dr. Jones", NameRefusal::PersonalName),
            ("my name is Jo", NameRefusal::PersonalName),
            ("PC Harris", NameRefusal::PersonalName),
            ("Sale <b>Moor</b>", NameRefusal::Characters),
            ("😀", NameRefusal::Characters),
            ("12", NameRefusal::Characters),
            (
                "the long road between the two villages by the river",
                NameRefusal::TooLong,
            ),
        ] {
            assert_eq!(normalise_name(text), Err(why), "{text}");
        }
        // Each refusal says what to give instead.
        assert!(NameRefusal::Phone.to_string().contains("name of a place"));
        assert!(NameRefusal::PersonalName.to_string().contains("place"));
        assert!(normalise_name(&"a".repeat(5000)).is_err());
    }

    #[test]
    fn place_names_are_normalised() {
        let n = |t: &str| normalise_name(t).unwrap().map(|p| p.as_str().to_string());
        assert_eq!(n("Sale Moor").as_deref(), Some("sale moor"));
        assert_eq!(
            n("  ASHTON upon   Mersey ").as_deref(),
            Some("ashton upon mersey")
        );
        assert_eq!(n("Hale Barns").as_deref(), Some("hale barns"));
        assert_eq!(n("Ó Briain’s Corner").as_deref(), Some("ó briain's corner"));
        assert_eq!(n("St. Albans").as_deref(), Some("st. albans"));
        assert_eq!(n("Stretford (North)").as_deref(), Some("stretford (north)"));
        assert_eq!(n("Misses End").as_deref(), Some("misses end"));
        assert_eq!(n("Mill Dr").as_deref(), Some("mill dr"));
        assert_eq!(n("   "), None);
        assert_eq!(n(""), None);
        assert_eq!(n(&"a".repeat(40)).map(|s| s.len()), Some(40));
    }

    #[test]
    fn display_names_prefer_the_regions_spelling() {
        let name = normalise_name("ashton UPON mersey").unwrap().unwrap();
        assert_eq!(display_name(&name, []), "Ashton upon Mersey");
        assert_eq!(
            display_name(&name, ["Ashton Upon Mersey", "Sale"]),
            "Ashton Upon Mersey"
        );
        let name = normalise_name("the ó briain’s corner-on-sea")
            .unwrap()
            .unwrap();
        assert_eq!(display_name(&name, []), "The Ó Briain's Corner-on-Sea");
        let name = normalise_name("o'brien park").unwrap().unwrap();
        assert_eq!(display_name(&name, []), "O'Brien Park");
    }

    #[test]
    fn a_question_is_checked() {
        let q = Question::from_spec(&spec()).unwrap();
        assert_eq!(q.min_count(), 10);
        assert_eq!(q.platforms().len(), 5);
        assert!(q.warnings().is_empty());
        let bad = |edit: &dyn Fn(&mut QuestionSpec), key: &str, says: &str| {
            let mut s = spec();
            edit(&mut s);
            let e = Question::from_spec(&s).unwrap_err();
            assert!(e.key.contains(key) && e.message.contains(says), "{e}");
        };
        bad(
            &|s| {
                let x = s.extra[0].clone();
                s.extra.extend([x.clone(), x]);
            },
            "question.extra",
            "at most 3",
        );
        bad(
            &|s| s.extra[0].choices.truncate(1),
            "extra[0].choices",
            "from 2 to 8",
        );
        bad(
            &|s| {
                let c = s.extra[0].choices[0].clone();
                s.extra[0].choices = vec![c; 9];
            },
            "extra[0].choices",
            "from 2 to 8",
        );
        bad(&|s| s.extra[1].id = "cover".into(), "extra[1].id", "unique");
        bad(
            &|s| s.extra[0].choices[1].id = "crime".into(),
            "extra[0].choices",
            "twice",
        );
        bad(
            &|s| s.extra[0].id = "Cover!".into(),
            "extra[0].id",
            "lowercase",
        );
        bad(
            &|s| s.platforms[0].id = "face book".into(),
            "platforms",
            "lowercase",
        );
        bad(&|s| s.min_count = 0, "min_count", "at least 1");
        let mut s = spec();
        s.min_count = 5;
        assert_eq!(Question::from_spec(&s).unwrap().warnings().len(), 1);
    }

    #[test]
    fn answers_are_checked_by_field() {
        let q = Question::from_spec(&spec()).unwrap();
        let a = check(
            &q,
            &form(serde_json::json!({
                "postcode": "M33 7XX", "name": " Sale  MOOR ", "follow": "yes",
                "platforms": ["facebook", "x", "facebook"],
                "choices": {"cover": ["roads"], "times": ["morning", "night"]}
            })),
        )
        .unwrap();
        assert_eq!(a.name.as_ref().unwrap().as_str(), "sale moor");
        assert_eq!(a.platforms.len(), 2);
        let cells = a.cells();
        assert_eq!(cells[0].kind, VoiceKind::Answers);
        assert_eq!(cells.len(), 1 + 1 + 1 + 2 + 3);
        assert!(cells.contains(&VoiceCell {
            kind: VoiceKind::Choice,
            value: "times/night".into()
        }));
        let field = |json: serde_json::Value| check(&q, &form(json)).unwrap_err();
        let e = field(
            serde_json::json!({"lon": -2.3, "lat": 53.4, "follow": "no", "name": "07700 900123"}),
        );
        assert_eq!(e.field, "name");
        assert!(e.message.contains("phone number"), "{e}");
        let e = field(
            serde_json::json!({"postcode": "M33 7XX", "follow": "no", "platforms": ["myspace"]}),
        );
        assert_eq!(e.field, "platforms");
        let e = field(
            serde_json::json!({"postcode": "M33 7XX", "follow": "no", "choices": {"colour": ["red"]}}),
        );
        assert_eq!(e.field, "choices");
        let e = field(
            serde_json::json!({"postcode": "M33 7XX", "follow": "no", "choices": {"cover": ["weather"]}}),
        );
        assert_eq!(e.field, "choices.cover");
        let e = field(
            serde_json::json!({"postcode": "M33 7XX", "follow": "no", "choices": {"cover": ["crime", "roads"]}}),
        );
        assert_eq!(e.field, "choices.cover");
        assert!(e.message.contains("one choice"), "{e}");
        let e = field(serde_json::json!({"follow": "not_sure"}));
        assert_eq!(e.field, "postcode");
        let e = field(serde_json::json!({"lon": 1.0, "follow": "yes"}));
        assert_eq!(e.field, "lat");
        let e = field(serde_json::json!({"lon": 1.0, "lat": 95.0, "follow": "yes"}));
        assert_eq!(e.field, "lat");
        // Unknown fields are refused when the form is read.
        assert!(serde_json::from_value::<AnswerForm>(
            serde_json::json!({"postcode": "M33 7XX", "follow": "yes", "email": "a@b.c"})
        )
        .is_err());
    }

    fn hold(id: i64, area: &str, status: HoldStatus) -> VoiceHold {
        VoiceHold {
            id,
            layer: "oa".into(),
            area_id: area.into(),
            since: 0,
            detected: 0,
            attempts: 0,
            usual: 0.0,
            status,
            decided_at: None,
            version: 1,
        }
    }

    fn tally(area: &str, bucket: i64, hold: i64, follow: &str) -> VoiceTally {
        VoiceTally {
            layer: "oa".into(),
            area_id: area.into(),
            bucket,
            hold,
            cells: vec![
                VoiceCell {
                    kind: VoiceKind::Answers,
                    value: String::new(),
                },
                VoiceCell {
                    kind: VoiceKind::Follow,
                    value: follow.into(),
                },
            ],
        }
    }

    #[test]
    fn the_ledger_counts_what_is_neither_held_nor_excluded() {
        let mut l = Ledger::new(VoiceRecords::default());
        let mut batch = Vec::new();
        for b in 0..10 {
            batch.push(tally("A", b * 3600, 0, "yes"));
        }
        batch.push(tally("A", 20 * 3600, 7, "no"));
        batch.push(tally("A", 20 * 3600, 7, "no"));
        batch.push(tally("B", 0, 8, "no"));
        l.apply(&batch);
        let key = ("oa".to_string(), "A".to_string());
        l.set_holds_and_exclusions(
            vec![
                hold(7, "A", HoldStatus::Held),
                hold(8, "B", HoldStatus::Excluded),
            ],
            Vec::new(),
        );
        assert_eq!(l.counted()[&key].answers, 10);
        assert!(!l.counted().contains_key(&("oa".into(), "B".into())));
        assert_eq!(l.held()[&7].answers, 2);
        assert!(!l.held().contains_key(&8));
        assert_eq!(l.open_hold("oa", "A").unwrap().id, 7);
        assert!(l.open_hold("oa", "B").is_none());
        assert!((l.rate("oa", "A", 0, 36_000) - 10.0 / 36_000.0).abs() < 1e-12);
        // Released: its answers count.
        l.set_holds_and_exclusions(vec![hold(7, "A", HoldStatus::Released)], Vec::new());
        assert_eq!(l.counted()[&key].answers, 12);
        assert_eq!(l.counted()[&key].follow[&Follow::No], 2);
        // An exclusion window leaves out the buckets starting inside it.
        let window = VoiceExclusion {
            id: 1,
            layer: "oa".into(),
            area_id: "A".into(),
            from: 3600,
            to: 3 * 3600,
            reason: "burst".into(),
            at: "2026-01-01T00:00:00Z".into(),
        };
        l.set_holds_and_exclusions(vec![hold(7, "A", HoldStatus::Released)], vec![window]);
        assert_eq!(l.counted()[&key].answers, 10);
        assert!((l.rate("oa", "A", 0, 36_000) - 8.0 / 36_000.0).abs() < 1e-12);
        // The same from the store's records.
        let records = VoiceRecords {
            counts: vec![feedmap_store::VoiceCount {
                layer: "oa".into(),
                area_id: "A".into(),
                bucket: 0,
                hold: 0,
                kind: VoiceKind::Answers,
                value: String::new(),
                n: 4,
            }],
            ..Default::default()
        };
        assert_eq!(Ledger::new(records).counted()[&key].answers, 4);
    }

    #[test]
    fn figures_withhold_what_could_identify() {
        let mut c = Counts {
            answers: 9,
            ..Default::default()
        };
        assert!(figures(&c, 10).withheld);
        assert_eq!(figures(&c, 10).answers, None);
        c.answers = 40;
        c.follow = [(Follow::Yes, 25), (Follow::No, 11), (Follow::NotSure, 4)].into();
        c.names = [("sale moor".to_string(), 30), ("sale".to_string(), 3)].into();
        c.platforms = [("facebook".to_string(), 33), ("x".to_string(), 12)].into();
        let f = figures(&c, 10);
        assert_eq!(f.answers, Some(40));
        // Not sure (4) hidden alone would be 40 − 25 − 11: No is hidden too.
        assert_eq!(f.follow.yes, Some(25));
        assert_eq!(f.follow.no, None);
        assert_eq!(f.follow.not_sure, None);
        // 30 named Sale Moor, 10 other or none: shown.
        assert_eq!(f.names.len(), 1);
        // Platforms: each shown from 10 ("did not choose it" is not an
        // answer anyone gave).
        assert_eq!(f.platforms.len(), 2);
        assert_eq!(f.platforms[0].platform, "facebook");
        assert!(
            f.withheld,
            "the 3 who said Sale and the 4 not sure are held back"
        );
        // One answer more for Sale Moor of 15 leaves it shown: another name,
        // or none, is not one answer.
        let mut d = Counts {
            answers: 15,
            ..Default::default()
        };
        d.names = [("wexcombe".to_string(), 10)].into();
        d.follow = [(Follow::Yes, 13), (Follow::No, 1), (Follow::NotSure, 1)].into();
        let f = figures(&d, 10);
        assert_eq!(f.names[0].count, 10);
        assert_eq!(f.follow.yes, Some(13));
        assert_eq!(total_answers([40, 3, 30], 10), None);
        assert_eq!(total_answers([40, 12, 30], 10), Some(82));
        assert_eq!(total_answers([40, 3, 9, 30], 10), Some(82));
    }

    fn counts() -> impl Strategy<Value = Counts> {
        (
            0u64..120,
            proptest::collection::vec(0u64..60, 0..6),
            proptest::collection::vec(0u64..60, 3),
            proptest::collection::vec(0u64..130, 0..5),
            proptest::collection::vec(0u64..60, 0..5),
            proptest::collection::vec(0u64..130, 0..4),
        )
            .prop_map(|(answers, names, follow, platforms, single, multiple)| {
                // Partitions are scaled to sum to at most the answers.
                let fit = |v: &[u64], total: u64| -> Vec<u64> {
                    let sum: u64 = v.iter().sum();
                    if sum <= total {
                        v.to_vec()
                    } else {
                        v.iter().map(|x| x * total / sum).collect()
                    }
                };
                let names = fit(&names, answers);
                let mut follow = fit(&follow, answers);
                let given: u64 = follow.iter().sum();
                follow[0] += answers - given;
                let single = fit(&single, answers);
                let mut c = Counts {
                    answers,
                    ..Default::default()
                };
                for (i, n) in names.into_iter().enumerate() {
                    c.names.insert(format!("name {i}"), n);
                }
                for (f, n) in Follow::ALL.into_iter().zip(follow) {
                    c.follow.insert(f, n);
                }
                for (i, n) in platforms.into_iter().enumerate() {
                    c.platforms.insert(format!("p{i}"), n.min(answers));
                }
                for (i, n) in single.into_iter().enumerate() {
                    c.choices.insert(format!("one/c{i}"), n);
                }
                for (i, n) in multiple.into_iter().enumerate() {
                    c.choices.insert(format!("many/c{i}"), n.min(answers));
                }
                c
            })
    }

    proptest! {
        /// Every figure shown is at least the minimum and equals its count;
        /// when one follow answer alone is hidden, what it holds is 0 or at
        /// least the minimum (so it cannot be worked out by subtraction);
        /// too few answers withhold everything; `withheld` says whether
        /// anything was held back.
        #[test]
        fn every_public_figure_respects_the_minimum(c in counts(), min in 1u32..15) {
            let f = figures(&c, min);
            let m = u64::from(min);
            if c.answers < m {
                prop_assert!(f.withheld && f.answers.is_none());
                prop_assert!(f.names.is_empty() && f.platforms.is_empty() && f.choices.is_empty());
                prop_assert_eq!(f.follow, FollowFigures::default());
                return Ok(());
            }
            prop_assert_eq!(f.answers, Some(c.answers));
            let shown = |v: u64| v >= m;
            let follow = [f.follow.yes, f.follow.no, f.follow.not_sure];
            prop_assert!(follow.iter().flatten().all(|&v| shown(v)));
            for (v, k) in follow.iter().zip(Follow::ALL) {
                if let Some(v) = v { prop_assert_eq!(*v, c.follow.get(&k).copied().unwrap_or(0)); }
            }
            if follow.iter().flatten().count() == 2 {
                let rest = c.answers - follow.iter().flatten().sum::<u64>();
                prop_assert!(rest == 0 || rest >= m, "one follow answer of {} revealed", rest);
            }
            prop_assert!(f.names.iter().all(|n| shown(n.count) && c.names[&n.name] == n.count));
            prop_assert!(f.platforms.iter().all(|p| shown(p.count) && c.platforms[&p.platform] == p.count));
            let choice_ok = |ch: &ChoiceFigure| {
                let key = [ch.question.as_str(), ch.choice.as_str()].join("/");
                shown(ch.count) && c.choices[&key] == ch.count
            };
            prop_assert!(f.choices.iter().all(choice_ok));
            let hidden_some = c.names.values().chain(c.platforms.values()).chain(c.choices.values()).chain(c.follow.values())
                .filter(|v| **v > 0).count()
                > f.names.len() + f.platforms.len() + f.choices.len() + follow.iter().flatten().count();
            prop_assert_eq!(f.withheld, hidden_some);
        }

        /// Across areas: the total is published only when it and the areas
        /// not shown (those under the minimum) are 0 or at least the
        /// minimum, so no hidden area's count follows by subtraction.
        #[test]
        fn a_total_beside_its_areas_reveals_no_small_area(
            areas in proptest::collection::vec(0u64..40, 0..12),
            min in 1u32..15,
        ) {
            let m = u64::from(min);
            let total: u64 = areas.iter().sum();
            let hidden: u64 = areas.iter().filter(|a| **a < m).sum();
            match total_answers(areas.iter().copied(), min) {
                Some(t) => {
                    prop_assert_eq!(t, total);
                    prop_assert!(t >= m && (hidden == 0 || hidden >= m));
                }
                None => prop_assert!(total < m || (hidden > 0 && hidden < m)),
            }
        }
    }
}
