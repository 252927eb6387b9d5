//! Query parameters: parsed in order, each refused by name when repeated,
//! unknown or out of range.

use super::problem::ApiProblem;
use feedmap_geography::lookup::LatLon;
use std::borrow::Cow;

/// Parsed query string: pairs in order, for precise error messages; each
/// name and value borrowed from the query unless percent-decoding changed
/// it.
pub struct Params<'q>(pub smallvec::SmallVec<[(Cow<'q, str>, Cow<'q, str>); 4]>);

impl<'q> Params<'q> {
    /// Parses a raw query string as `application/x-www-form-urlencoded`
    /// (`form_urlencoded`'s reading: empty pairs skipped, a pair without
    /// `=` an empty value, `+` a space, bad escapes and bytes replaced).
    /// A pair with no `%` or `+` in it is borrowed as it is — the decoder
    /// would return the same text, the query being UTF-8 already.
    pub fn parse(raw: Option<&'q str>) -> Params<'q> {
        let mut pairs = smallvec::SmallVec::new();
        for piece in raw.unwrap_or("").split('&') {
            if piece.is_empty() {
                continue;
            }
            if piece.contains(['%', '+']) {
                pairs.extend(
                    form_urlencoded::parse(piece.as_bytes())
                        .map(|(k, v)| (Cow::Owned(k.into_owned()), Cow::Owned(v.into_owned()))),
                );
            } else {
                let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
                pairs.push((Cow::Borrowed(k), Cow::Borrowed(v)));
            }
        }
        Params(pairs)
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

/// Parses `bbox=minLon,minLat,maxLon,maxLat` (6 values with heights are
/// accepted; heights are ignored).
pub fn parse_bbox(v: &str) -> Result<geo::Rect<f64>, ApiProblem> {
    let nums: Result<Vec<f64>, _> = v.split(',').map(|s| s.trim().parse::<f64>()).collect();
    let bad = |why: &str| {
        ApiProblem::bad_parameter(format!(
            "bbox={v:?} {why}; expected minLon,minLat,maxLon,maxLat"
        ))
    };
    let nums = nums.map_err(|_| bad("has a value that is not a number"))?;
    let (x0, y0, x1, y1) = match nums.as_slice() {
        [a, b, c, d] => (*a, *b, *c, *d),
        [a, b, _, c, d, _] => (*a, *b, *c, *d),
        _ => return Err(bad("must have 4 (or 6) numbers")),
    };
    if ![x0, y0, x1, y1].iter().all(|x| x.is_finite()) {
        return Err(bad("must be finite"));
    }
    if !(-180.0..=180.0).contains(&x0) || !(-180.0..=180.0).contains(&x1) {
        return Err(bad("has a longitude outside -180..180"));
    }
    if !(-90.0..=90.0).contains(&y0) || !(-90.0..=90.0).contains(&y1) {
        return Err(bad("has a latitude outside -90..90"));
    }
    if x0 > x1 || y0 > y1 {
        return Err(bad(
            "has min > max (boxes across the antimeridian are not supported)",
        ));
    }
    Ok(geo::Rect::new(
        geo::coord! {x: x0, y: y0},
        geo::coord! {x: x1, y: y1},
    ))
}
