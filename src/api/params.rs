//! Query parameters: parsed in order, each refused by name when repeated,
//! unknown or out of range.

use super::problem::ApiProblem;
use crate::lookup::LatLon;
use std::borrow::Cow;

/// Parsed query string: pairs in order, for precise error messages; each
/// name and value borrowed from the query unless percent-decoding changed
/// it.
pub struct Params<'q>(pub Vec<(Cow<'q, str>, Cow<'q, str>)>);

impl<'q> Params<'q> {
    /// Parses a raw query string.
    pub fn parse(raw: Option<&'q str>) -> Params<'q> {
        Params(raw.map_or_else(Vec::new, |q| form_urlencoded::parse(q.as_bytes()).collect()))
    }

    /// The pairs as owned strings (for parameter sets that outlive the
    /// request).
    pub fn owned(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .map(|(k, v)| (k.clone().into_owned(), v.clone().into_owned()))
            .collect()
    }

    /// The value of a parameter given once (a repeated one is an error).
    pub fn get(&self, name: &str) -> Result<Option<&str>, ApiProblem> {
        let mut found = self.0.iter().filter(|(k, _)| k == name);
        let first = found.next().map(|(_, v)| v.as_ref());
        if found.next().is_some() {
            return Err(ApiProblem::bad_parameter(format!(
                "{name} is given more than once"
            )));
        }
        Ok(first)
    }

    /// Refuses parameters outside `allowed`.
    pub fn only(&self, allowed: &[&str]) -> Result<(), ApiProblem> {
        match self.0.iter().find(|(k, _)| !allowed.contains(&k.as_ref())) {
            Some((k, _)) => Err(ApiProblem::bad_parameter(format!(
                "unknown parameter {k:?}; allowed: {}",
                allowed.join(", ")
            ))),
            None => Ok(()),
        }
    }

    /// The `format` asked for: `json` (the default) or one of `others`;
    /// anything else is a 400 naming the choices.
    pub fn format(&self, others: &[&'static str]) -> Result<&'static str, ApiProblem> {
        match self.get("format")? {
            None | Some("json") => Ok("json"),
            Some(f) => others.iter().find(|o| **o == f).copied().ok_or_else(|| {
                let (last, rest) = others
                    .split_last()
                    .map_or(("json", &[][..]), |(l, r)| (*l, r));
                let head: Vec<&str> = std::iter::once("json")
                    .chain(rest.iter().copied())
                    .collect();
                ApiProblem::bad_parameter(format!(
                    "format={f:?}: use {} or {last}",
                    head.join(", ")
                ))
            }),
        }
    }

    /// An optional whole number from `min` to `max` (`default` when
    /// absent); anything else is a 400 naming the parameter and the range.
    pub fn whole(&self, name: &str, default: i64, min: i64, max: i64) -> Result<i64, ApiProblem> {
        match self.get(name)? {
            None => Ok(default),
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| {
                    ApiProblem::bad_parameter(format!(
                        "{name}={v:?} must be a whole number from {min} to {max}"
                    ))
                }),
        }
    }

    /// A required finite number.
    pub fn number(&self, name: &str) -> Result<f64, ApiProblem> {
        let v = self
            .get(name)?
            .ok_or_else(|| ApiProblem::bad_parameter(format!("{name} is required")))?;
        v.trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| ApiProblem::bad_parameter(format!("{name}={v:?} is not a number")))
    }
}

/// The point given by `lat` and `lon` parameters, range-checked.
pub fn point_param(params: &Params) -> Result<LatLon, ApiProblem> {
    let lat = params.number("lat")?;
    let lon = params.number("lon")?;
    LatLon::new(lat, lon).map_err(|e| ApiProblem::bad_parameter(e.to_string()))
}
