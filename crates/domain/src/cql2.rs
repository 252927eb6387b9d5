//! CQL2 text filters (OGC 21-065r2, *Common Query Language*), as OGC API –
//! Features – Part 3 takes them in `filter=`: a tokenizer, a
//! recursive-descent parser that checks the expression against a
//! collection's queryables (their names and types), and an evaluator over
//! one feature, exact for geometries (the [`geo`] crate's intersection and
//! DE-9IM relate, not bounding boxes).
//!
//! What it reads (the conformance classes the server declares):
//!
//! - *Basic CQL2*: `AND`, `OR`, `NOT`, parentheses, `TRUE`/`FALSE`, the
//!   comparisons `=`, `<>`, `<`, `<=`, `>`, `>=` between strings, numbers,
//!   booleans (`=` and `<>` only) and instants (`DATE('…')`,
//!   `TIMESTAMP('…')`), `IS [NOT] NULL`; SQL's three-valued logic (a
//!   comparison with an unset property is unknown, and a feature is kept
//!   only when the filter is true);
//! - *Advanced comparison operators*: `[NOT] LIKE` (`%` any run, `_` one
//!   character, `\` escapes the next), `[NOT] BETWEEN … AND …` (inclusive,
//!   numbers), `[NOT] IN (…)`;
//! - *Basic spatial functions* and *… with additional spatial literals*:
//!   `S_INTERSECTS` with every WKT literal of the grammar (`POINT`,
//!   `LINESTRING`, `POLYGON`, `MULTIPOINT`, `MULTILINESTRING`,
//!   `MULTIPOLYGON`, `GEOMETRYCOLLECTION`, optional `Z` whose third
//!   ordinate is ignored) and `BBOX(…)` (4 or 6 numbers; west > east
//!   crosses the antimeridian in geographic coordinates);
//! - *Spatial functions*: also `S_EQUALS`, `S_DISJOINT`, `S_TOUCHES`,
//!   `S_WITHIN`, `S_OVERLAPS`, `S_CROSSES`, `S_CONTAINS` (Simple Features
//!   semantics through the DE-9IM matrix);
//! - *Property-property comparisons*: either side of any operator may be a
//!   property or a literal.
//!
//! Not read (each refused with its position): `CASEI`/`ACCENTI`,
//! arithmetic, temporal (`T_…`, `INTERVAL`) and array (`A_…`) functions,
//! and other functions.
//!
//! Keywords are case-insensitive; property names are not (a name that is a
//! keyword is written in double quotes). Positions in errors count
//! characters from 1.

use geo::{
    Coord, Geometry, GeometryCollection, Intersects, LineString, MapCoords, MultiLineString,
    MultiPoint, MultiPolygon, Point, Polygon, Rect, Relate, Validation,
};
use serde_json::Value as Json;
use std::cmp::Ordering;
use std::fmt;

/// The type of a queryable, as the collection's queryables schema gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    /// A JSON string.
    String,
    /// A JSON number.
    Number,
    /// A JSON boolean.
    Boolean,
    /// The feature's geometry ([`Feature::geometry`]).
    Geometry,
}

/// Converts a geometry in projected coordinates to WGS84
/// longitude/latitude, or says why it cannot (e.g. a point outside the
/// system's area).
pub type ToLonLat = dyn Fn(&Geometry<f64>) -> Result<Geometry<f64>, String>;

/// How a filter's geometry literals are written, and so how they become
/// WGS84 longitude/latitude (the storage system).
pub enum Coordinates<'a> {
    /// Longitude, latitude in degrees (CRS84).
    LonLat,
    /// Latitude, longitude in degrees (EPSG:4326's axis order).
    LatLon,
    /// Projected coordinates, converted by the function.
    Projected(&'a ToLonLat),
}

/// A filter that does not parse, or does not fit the queryables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// Where, in characters from 1 (one past the end for "ended early").
    pub position: usize,
    /// What was wrong, and what was expected there.
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at character {}: {}", self.position, self.message)
    }
}

impl std::error::Error for Error {}

/// What a filter is evaluated on: one feature's properties and geometry.
pub trait Feature {
    /// A property's value; `None` (or JSON `null`) when unset.
    fn property(&self, name: &str) -> Option<&Json>;
    /// The feature's geometry, in WGS84 longitude/latitude.
    fn geometry(&self) -> Option<&MultiPolygon<f64>>;
}

/// A parsed CQL2 text filter.
#[derive(Debug, Clone)]
pub struct Filter {
    expr: Expr,
}

impl Filter {
    /// Parses `text` against the collection's `queryables` (name, type);
    /// geometry literals are read as `coordinates` says.
    pub fn parse(
        text: &str,
        queryables: &[(&str, Type)],
        coordinates: Coordinates<'_>,
    ) -> Result<Filter, Error> {
        let toks = tokenize(text)?;
        let mut p = Parser {
            toks,
            at: 0,
            queryables,
            coordinates,
            depth: 0,
        };
        let expr = p.or()?;
        let t = p.peek();
        if t.tok != Tok::End {
            return Err(p.error_at(
                t.pos,
                format!(
                    "expected AND, OR or the end of the filter, found {}{}",
                    t.tok,
                    arithmetic_note(&t.tok)
                ),
            ));
        }
        Ok(Filter { expr })
    }

    /// Whether the feature is selected: the filter evaluates to true (not
    /// false, nor unknown).
    pub fn matches<F: Feature + ?Sized>(&self, feature: &F) -> bool {
        eval(&self.expr, feature) == Some(true)
    }
}

// ---------------------------------------------------------------- tokens

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn test(self, o: Ordering) -> bool {
        match self {
            Cmp::Eq => o == Ordering::Equal,
            Cmp::Ne => o != Ordering::Equal,
            Cmp::Lt => o == Ordering::Less,
            Cmp::Le => o != Ordering::Greater,
            Cmp::Gt => o == Ordering::Greater,
            Cmp::Ge => o != Ordering::Less,
        }
    }

    fn text(self) -> &'static str {
        match self {
            Cmp::Eq => "=",
            Cmp::Ne => "<>",
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// An identifier or keyword.
    Word(String),
    /// A double-quoted property name.
    Quoted(String),
    /// A character literal (quotes removed, escapes read).
    Str(String),
    Num(f64),
    LParen,
    RParen,
    Comma,
    Op(Cmp),
    /// `+` or `-`: a sign (arithmetic is not read).
    Sign(char),
    /// `*`, `/`, `^`: arithmetic.
    Arith(char),
    End,
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Word(w) => write!(f, "{w:?}"),
            Tok::Quoted(w) => write!(f, "\"{w}\""),
            Tok::Str(s) => write!(f, "the string '{s}'"),
            Tok::Num(n) => write!(f, "the number {n}"),
            Tok::LParen => f.write_str("'('"),
            Tok::RParen => f.write_str("')'"),
            Tok::Comma => f.write_str("','"),
            Tok::Op(c) => write!(f, "'{}'", c.text()),
            Tok::Sign(c) | Tok::Arith(c) => write!(f, "'{c}'"),
            Tok::End => f.write_str("the end of the filter"),
        }
    }
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    /// Character index from 0.
    pos: usize,
}

/// Said after an unexpected `+ - * / % ^`.
fn arithmetic_note(t: &Tok) -> &'static str {
    match t {
        Tok::Sign(_) | Tok::Arith(_) => " (arithmetic is not supported)",
        _ => "",
    }
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c == ':' || c.is_alphabetic()
}

fn is_ident_part(c: char) -> bool {
    is_ident_start(c) || c == '.' || c.is_ascii_digit() || ('\u{300}'..='\u{36f}').contains(&c)
}

fn tokenize(text: &str) -> Result<Vec<Token>, Error> {
    let chars: Vec<char> = text.chars().collect();
    let err = |pos: usize, message: String| Error {
        position: pos + 1,
        message,
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let next = chars.get(i + 1).copied();
        let tok = match c {
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            ',' => Tok::Comma,
            '=' => Tok::Op(Cmp::Eq),
            '<' if next == Some('=') => {
                i += 1;
                Tok::Op(Cmp::Le)
            }
            '<' if next == Some('>') => {
                i += 1;
                Tok::Op(Cmp::Ne)
            }
            '<' => Tok::Op(Cmp::Lt),
            '>' if next == Some('=') => {
                i += 1;
                Tok::Op(Cmp::Ge)
            }
            '>' => Tok::Op(Cmp::Gt),
            '+' | '-' => Tok::Sign(c),
            '*' | '/' | '^' | '%' => Tok::Arith(c),
            '\'' => {
                let mut s = String::new();
                i += 1;
                loop {
                    let Some(&c) = chars.get(i) else {
                        return Err(err(
                            start,
                            "this string is not closed: expected a ' to end it".into(),
                        ));
                    };
                    match c {
                        '\'' if chars.get(i + 1) == Some(&'\'') => {
                            s.push('\'');
                            i += 1;
                        }
                        '\'' => break,
                        '\\' => {
                            match chars.get(i + 1) {
                                Some('\'') => s.push('\''),
                                Some('a') => s.push('\u{7}'),
                                Some('b') => s.push('\u{8}'),
                                Some('t') => s.push('\t'),
                                Some('n') => s.push('\n'),
                                Some('v') => s.push('\u{b}'),
                                Some('f') => s.push('\u{c}'),
                                Some('r') => s.push('\r'),
                                // Kept as written: LIKE reads `\%`, `\_`
                                // and `\\` as escapes of its own.
                                Some(&other) => {
                                    s.push('\\');
                                    s.push(other);
                                }
                                None => {
                                    s.push('\\');
                                    i -= 1;
                                }
                            }
                            i += 1;
                        }
                        c => s.push(c),
                    }
                    i += 1;
                }
                Tok::Str(s)
            }
            '"' => {
                let close = (i + 1..chars.len()).find(|&j| chars[j] == '"');
                let Some(close) = close else {
                    return Err(err(
                        start,
                        "this quoted property name is not closed: expected a \" to end it".into(),
                    ));
                };
                let name: String = chars[i + 1..close].iter().collect();
                if name.is_empty() {
                    return Err(err(start, "expected a property name between the quotes".into()));
                }
                i = close;
                Tok::Quoted(name)
            }
            c if c.is_ascii_digit() || (c == '.' && next.is_some_and(|n| n.is_ascii_digit())) => {
                let mut j = i;
                while j < chars.len() && chars[j].is_ascii_digit() {
                    j += 1;
                }
                if chars.get(j) == Some(&'.') {
                    j += 1;
                    while j < chars.len() && chars[j].is_ascii_digit() {
                        j += 1;
                    }
                }
                if matches!(chars.get(j), Some('e' | 'E')) {
                    let mut k = j + 1;
                    if matches!(chars.get(k), Some('+' | '-')) {
                        k += 1;
                    }
                    if chars.get(k).is_some_and(|c| c.is_ascii_digit()) {
                        while k < chars.len() && chars[k].is_ascii_digit() {
                            k += 1;
                        }
                        j = k;
                    }
                }
                let text: String = chars[i..j].iter().collect();
                let n = text
                    .parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .ok_or_else(|| err(start, format!("{text} is not a number")))?;
                i = j - 1;
                Tok::Num(n)
            }
            c if is_ident_start(c) => {
                let mut j = i + 1;
                while j < chars.len() && is_ident_part(chars[j]) {
                    j += 1;
                }
                let w: String = chars[i..j].iter().collect();
                i = j - 1;
                Tok::Word(w)
            }
            other => {
                return Err(err(
                    start,
                    format!("unexpected character {other:?}: expected a property name, a value, an operator or a parenthesis"),
                ))
            }
        };
        out.push(Token { tok, pos: start });
        i += 1;
    }
    out.push(Token {
        tok: Tok::End,
        pos: chars.len(),
    });
    Ok(out)
}

// ------------------------------------------------------------ expressions

/// The kind of value an operand has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    Num,
    Bool,
    Instant,
    Geom,
}

impl Kind {
    fn of(t: Type) -> Kind {
        match t {
            Type::String => Kind::Str,
            Type::Number => Kind::Num,
            Type::Boolean => Kind::Bool,
            Type::Geometry => Kind::Geom,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Str => "a string",
            Kind::Num => "a number",
            Kind::Bool => "a boolean",
            Kind::Instant => "a date or timestamp",
            Kind::Geom => "a geometry",
        }
    }
}

/// An instant: seconds since 1970-01-01T00:00:00Z and nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Instant(i64, u32);

#[derive(Debug, Clone)]
enum Operand {
    Property(String, Kind),
    Str(String),
    Num(f64),
    Bool(bool),
    Instant(Instant),
    Geometry(Box<Geometry<f64>>),
}

impl Operand {
    fn kind(&self) -> Kind {
        match self {
            Operand::Property(_, k) => *k,
            Operand::Str(_) => Kind::Str,
            Operand::Num(_) => Kind::Num,
            Operand::Bool(_) => Kind::Bool,
            Operand::Instant(_) => Kind::Instant,
            Operand::Geometry(_) => Kind::Geom,
        }
    }

    fn describe(&self) -> String {
        match self {
            Operand::Property(name, k) => format!("the property {name} ({})", k.name()),
            Operand::Str(s) => format!("the string '{s}'"),
            Operand::Num(n) => format!("the number {n}"),
            Operand::Bool(b) => format!("the boolean {}", if *b { "TRUE" } else { "FALSE" }),
            Operand::Instant(_) => "a date or timestamp".into(),
            Operand::Geometry(_) => "a geometry".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spatial {
    Intersects,
    Equals,
    Disjoint,
    Touches,
    Within,
    Overlaps,
    Crosses,
    Contains,
}

impl Spatial {
    fn parse(word: &str) -> Option<Spatial> {
        Some(match word.to_ascii_uppercase().as_str() {
            "S_INTERSECTS" => Spatial::Intersects,
            "S_EQUALS" => Spatial::Equals,
            "S_DISJOINT" => Spatial::Disjoint,
            "S_TOUCHES" => Spatial::Touches,
            "S_WITHIN" => Spatial::Within,
            "S_OVERLAPS" => Spatial::Overlaps,
            "S_CROSSES" => Spatial::Crosses,
            "S_CONTAINS" => Spatial::Contains,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Bool(bool),
    Compare(Operand, Cmp, Operand),
    Like {
        value: Operand,
        pattern: Operand,
        not: bool,
    },
    Between {
        value: Operand,
        low: Operand,
        high: Operand,
        not: bool,
    },
    In {
        value: Operand,
        list: Vec<Operand>,
        not: bool,
    },
    IsNull {
        value: Operand,
        not: bool,
    },
    /// `(condition) IS [NOT] NULL`.
    Unknown(Box<Expr>, bool),
    Spatial(Spatial, Operand, Operand),
}

// ----------------------------------------------------------------- parser

/// Deeper nesting of parentheses and NOTs is refused (the parser
/// recurses).
const MAX_DEPTH: usize = 64;

const GEOMETRY_TAGS: [&str; 8] = [
    "POINT",
    "LINESTRING",
    "POLYGON",
    "MULTIPOINT",
    "MULTILINESTRING",
    "MULTIPOLYGON",
    "GEOMETRYCOLLECTION",
    "BBOX",
];

struct Parser<'q> {
    toks: Vec<Token>,
    at: usize,
    queryables: &'q [(&'q str, Type)],
    coordinates: Coordinates<'q>,
    depth: usize,
}

type Parsed<T> = Result<T, Error>;

impl Parser<'_> {
    fn peek(&self) -> Token {
        self.toks[self.at].clone()
    }

    fn peek_at(&self, ahead: usize) -> &Tok {
        &self.toks[(self.at + ahead).min(self.toks.len() - 1)].tok
    }

    fn bump(&mut self) -> Token {
        let t = self.peek();
        if t.tok != Tok::End {
            self.at += 1;
        }
        t
    }

    fn error_at(&self, pos: usize, message: String) -> Error {
        Error {
            position: pos + 1,
            message,
        }
    }

    fn is_keyword(&self, kw: &str) -> bool {
        matches!(&self.peek().tok, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }

    fn expect(&mut self, want: Tok, what: &str) -> Parsed<Token> {
        let t = self.peek();
        if t.tok == want {
            Ok(self.bump())
        } else {
            Err(self.error_at(t.pos, format!("expected {what}, found {}", t.tok)))
        }
    }

    fn expect_keyword(&mut self, kw: &str, what: &str) -> Parsed<()> {
        if self.is_keyword(kw) {
            self.bump();
            Ok(())
        } else {
            let t = self.peek();
            Err(self.error_at(t.pos, format!("expected {what}, found {}", t.tok)))
        }
    }

    fn enter(&mut self, pos: usize) -> Parsed<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error_at(
                pos,
                format!("the filter nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    fn or(&mut self) -> Parsed<Expr> {
        let mut e = self.and()?;
        while self.is_keyword("OR") {
            self.bump();
            let r = self.and()?;
            e = Expr::Or(Box::new(e), Box::new(r));
        }
        Ok(e)
    }

    fn and(&mut self) -> Parsed<Expr> {
        let mut e = self.factor()?;
        while self.is_keyword("AND") {
            self.bump();
            let r = self.factor()?;
            e = Expr::And(Box::new(e), Box::new(r));
        }
        Ok(e)
    }

    fn factor(&mut self) -> Parsed<Expr> {
        if self.is_keyword("NOT") {
            let t = self.bump();
            self.enter(t.pos)?;
            let e = self.factor()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(e)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Parsed<Expr> {
        let t = self.peek();
        if t.tok == Tok::LParen {
            self.bump();
            self.enter(t.pos)?;
            let e = self.or()?;
            let close = self.peek();
            if close.tok != Tok::RParen {
                return Err(self.error_at(
                    close.pos,
                    format!(
                        "expected AND, OR or ')' to close the '(' at character {}, found {}{}",
                        t.pos + 1,
                        close.tok,
                        arithmetic_note(&close.tok)
                    ),
                ));
            }
            self.bump();
            self.depth -= 1;
            // A parenthesised condition is also an operand of IS NULL
            // (true when it is unknown).
            if self.is_keyword("IS") {
                self.bump();
                let not = self.is_keyword("NOT");
                if not {
                    self.bump();
                }
                self.expect_keyword("NULL", "NULL (or NOT NULL) after IS")?;
                return Ok(Expr::Unknown(Box::new(e), not));
            }
            return Ok(e);
        }
        if let Tok::Word(w) = &t.tok {
            if *self.peek_at(1) == Tok::LParen {
                if let Some(op) = Spatial::parse(w) {
                    return self.spatial(op);
                }
                let up = w.to_ascii_uppercase();
                if up.starts_with("T_") {
                    return Err(
                        self.error_at(t.pos, format!("{w}: temporal functions are not supported"))
                    );
                }
                if up.starts_with("A_") {
                    return Err(
                        self.error_at(t.pos, format!("{w}: array functions are not supported"))
                    );
                }
            }
        }
        let (lhs, pos) = self.operand()?;
        self.predicate(lhs, pos)
    }

    fn spatial(&mut self, op: Spatial) -> Parsed<Expr> {
        let name = self.bump();
        self.expect(Tok::LParen, "'('")?;
        let (a, apos) = self.operand()?;
        self.expect(Tok::Comma, "',' between the two geometries")?;
        let (b, bpos) = self.operand()?;
        self.expect(Tok::RParen, "')'")?;
        for (o, pos) in [(&a, apos), (&b, bpos)] {
            if o.kind() != Kind::Geom {
                return Err(self.error_at(
                    pos,
                    format!(
                        "{} compares geometries: expected the geometry property or a geometry literal, found {}",
                        name.tok, o.describe()
                    ),
                ));
            }
        }
        Ok(Expr::Spatial(op, a, b))
    }

    /// What follows a first operand: a comparison, LIKE, BETWEEN, IN or IS
    /// NULL (or nothing, after a boolean literal).
    fn predicate(&mut self, lhs: Operand, lpos: usize) -> Parsed<Expr> {
        let t = self.peek();
        if let Tok::Op(cmp) = t.tok {
            self.bump();
            let (rhs, rpos) = self.operand()?;
            self.check_comparable(&lhs, &rhs, rpos)?;
            if lhs.kind() == Kind::Bool && !matches!(cmp, Cmp::Eq | Cmp::Ne) {
                return Err(self.error_at(
                    t.pos,
                    format!(
                        "booleans are compared with = or <> only, not {}",
                        cmp.text()
                    ),
                ));
            }
            if lhs.kind() == Kind::Geom {
                return Err(self.error_at(
                    lpos,
                    "geometries are compared with the spatial functions (S_INTERSECTS, S_EQUALS, …), not with comparison operators".into(),
                ));
            }
            return Ok(Expr::Compare(lhs, cmp, rhs));
        }
        let not = self.is_keyword("NOT");
        if not {
            self.bump();
            if !(self.is_keyword("LIKE") || self.is_keyword("BETWEEN") || self.is_keyword("IN")) {
                let t = self.peek();
                return Err(self.error_at(
                    t.pos,
                    format!("expected LIKE, BETWEEN or IN after NOT, found {}", t.tok),
                ));
            }
        }
        if self.is_keyword("LIKE") {
            self.bump();
            let (pattern, ppos) = self.operand()?;
            for (o, pos) in [(&lhs, lpos), (&pattern, ppos)] {
                if o.kind() != Kind::Str {
                    return Err(self.error_at(
                        pos,
                        format!(
                            "LIKE matches strings: expected a string, found {}",
                            o.describe()
                        ),
                    ));
                }
            }
            return Ok(Expr::Like {
                value: lhs,
                pattern,
                not,
            });
        }
        if self.is_keyword("BETWEEN") {
            self.bump();
            let (low, lowpos) = self.operand()?;
            self.expect_keyword("AND", "AND between the two bounds of BETWEEN")?;
            let (high, highpos) = self.operand()?;
            for (o, pos) in [(&lhs, lpos), (&low, lowpos), (&high, highpos)] {
                if o.kind() != Kind::Num {
                    return Err(self.error_at(
                        pos,
                        format!(
                            "BETWEEN compares numbers: expected a number, found {}",
                            o.describe()
                        ),
                    ));
                }
            }
            return Ok(Expr::Between {
                value: lhs,
                low,
                high,
                not,
            });
        }
        if self.is_keyword("IN") {
            self.bump();
            self.expect(Tok::LParen, "'(' to open the list of IN")?;
            let mut list = Vec::new();
            loop {
                let (item, ipos) = self.operand()?;
                self.check_comparable(&lhs, &item, ipos)?;
                list.push(item);
                let t = self.peek();
                match t.tok {
                    Tok::Comma => {
                        self.bump();
                    }
                    Tok::RParen => {
                        self.bump();
                        break;
                    }
                    _ => {
                        return Err(self.error_at(
                            t.pos,
                            format!("expected ',' or ')' in the list of IN, found {}", t.tok),
                        ))
                    }
                }
            }
            if lhs.kind() == Kind::Geom {
                return Err(self.error_at(
                    lpos,
                    "IN compares strings, numbers, booleans or instants, not geometries".into(),
                ));
            }
            return Ok(Expr::In {
                value: lhs,
                list,
                not,
            });
        }
        if self.is_keyword("IS") {
            self.bump();
            let not = self.is_keyword("NOT");
            if not {
                self.bump();
            }
            self.expect_keyword("NULL", "NULL (or NOT NULL) after IS")?;
            return Ok(Expr::IsNull { value: lhs, not });
        }
        if let Operand::Bool(b) = lhs {
            return Ok(Expr::Bool(b));
        }
        let t = self.peek();
        Err(self.error_at(
            t.pos,
            format!(
                "expected a comparison operator (=, <>, <, <=, >, >=), LIKE, BETWEEN, IN or IS NULL after {}, found {}{}",
                lhs.describe(),
                t.tok,
                arithmetic_note(&t.tok)
            ),
        ))
    }

    fn check_comparable(&self, a: &Operand, b: &Operand, pos: usize) -> Parsed<()> {
        if a.kind() == b.kind() {
            return Ok(());
        }
        Err(self.error_at(
            pos,
            format!(
                "expected {} to compare with {}, found {}",
                a.kind().name(),
                a.describe(),
                b.describe()
            ),
        ))
    }

    /// One operand: a property, a literal (string, number, boolean,
    /// instant, geometry).
    fn operand(&mut self) -> Parsed<(Operand, usize)> {
        let t = self.peek();
        let pos = t.pos;
        let expected = "expected a property name or a value (a 'string', a number, TRUE, FALSE, DATE('…'), TIMESTAMP('…') or a geometry)";
        match t.tok {
            Tok::Str(s) => {
                self.bump();
                Ok((Operand::Str(s), pos))
            }
            Tok::Num(n) => {
                self.bump();
                Ok((Operand::Num(n), pos))
            }
            Tok::Sign(c) => {
                self.bump();
                match self.peek().tok {
                    Tok::Num(n) => {
                        self.bump();
                        Ok((Operand::Num(if c == '-' { -n } else { n }), pos))
                    }
                    other => Err(self.error_at(
                        self.peek().pos,
                        format!("expected a number after '{c}', found {other} (arithmetic is not supported)"),
                    )),
                }
            }
            Tok::Quoted(name) => {
                self.bump();
                self.property(&name, pos)
            }
            Tok::Word(w) => {
                let call = *self.peek_at(1) == Tok::LParen;
                let up = w.to_ascii_uppercase();
                if GEOMETRY_TAGS.contains(&up.as_str())
                    && (call
                        || matches!(self.peek_at(1), Tok::Word(z) if z.eq_ignore_ascii_case("Z")))
                {
                    return self.geometry_literal(pos);
                }
                match up.as_str() {
                    "TRUE" | "FALSE" if !call => {
                        self.bump();
                        Ok((Operand::Bool(up == "TRUE"), pos))
                    }
                    "DATE" | "TIMESTAMP" if call => self.instant(pos, up == "DATE"),
                    "INTERVAL" if call => Err(self.error_at(
                        pos,
                        "INTERVAL: temporal functions are not supported".into(),
                    )),
                    "CASEI" | "ACCENTI" if call => Err(self.error_at(
                        pos,
                        format!("{up}: case- and accent-insensitive comparison is not supported"),
                    )),
                    "AND" | "OR" | "NOT" | "LIKE" | "BETWEEN" | "IN" | "IS" | "NULL" if !call => {
                        Err(self.error_at(pos, format!("{expected}, found the keyword {w}")))
                    }
                    _ if call => Err(self.error_at(
                        pos,
                        format!("{w}(…): functions other than the spatial ones (S_INTERSECTS, …) are not supported"),
                    )),
                    _ => {
                        self.bump();
                        self.property(&w, pos)
                    }
                }
            }
            Tok::LParen => Err(self.error_at(
                pos,
                format!("{expected}, found '(' (arithmetic is not supported)"),
            )),
            other => Err(self.error_at(pos, format!("{expected}, found {other}"))),
        }
    }

    fn property(&self, name: &str, pos: usize) -> Parsed<(Operand, usize)> {
        match self.queryables.iter().find(|(q, _)| *q == name) {
            Some((_, t)) => Ok((Operand::Property(name.to_string(), Kind::of(*t)), pos)),
            None => {
                let names: Vec<&str> = self.queryables.iter().map(|(q, _)| *q).collect();
                Err(self.error_at(
                    pos,
                    format!(
                        "{name:?} is not a queryable; expected one of {} (or a value)",
                        names.join(", ")
                    ),
                ))
            }
        }
    }

    fn instant(&mut self, pos: usize, date: bool) -> Parsed<(Operand, usize)> {
        self.bump();
        self.expect(Tok::LParen, "'('")?;
        let t = self.peek();
        let Tok::Str(s) = t.tok else {
            return Err(self.error_at(
                t.pos,
                format!(
                    "expected a quoted {}, found {}",
                    if date {
                        "date 'YYYY-MM-DD'"
                    } else {
                        "timestamp 'YYYY-MM-DDThh:mm:ssZ'"
                    },
                    t.tok
                ),
            ));
        };
        self.bump();
        let parsed = if date {
            parse_date(&s).map(|d| Instant(d * 86_400, 0))
        } else {
            parse_timestamp(&s)
        };
        let Some(instant) = parsed else {
            return Err(self.error_at(
                t.pos,
                if date {
                    format!("'{s}' is not a date: expected 'YYYY-MM-DD'")
                } else {
                    format!("'{s}' is not a timestamp: expected 'YYYY-MM-DDThh:mm:ss[.fff]Z' (UTC)")
                },
            ));
        };
        self.expect(Tok::RParen, "')'")?;
        Ok((Operand::Instant(instant), pos))
    }

    // ------------------------------------------------------ geometries

    fn number(&mut self) -> Parsed<f64> {
        let t = self.peek();
        match t.tok {
            Tok::Num(n) => {
                self.bump();
                Ok(n)
            }
            Tok::Sign(c) if matches!(self.peek_at(1), Tok::Num(_)) => {
                self.bump();
                let Tok::Num(n) = self.bump().tok else {
                    unreachable!()
                };
                Ok(if c == '-' { -n } else { n })
            }
            other => Err(self.error_at(
                t.pos,
                format!("expected a coordinate (a number), found {other}"),
            )),
        }
    }

    /// `x y [z]` (z ignored).
    fn coord(&mut self) -> Parsed<Coord<f64>> {
        let x = self.number()?;
        let y = self.number()?;
        if matches!(self.peek().tok, Tok::Num(_) | Tok::Sign(_)) {
            self.number()?;
        }
        Ok(Coord { x, y })
    }

    /// `( item {, item} )` with at least `min` items.
    fn list<T>(
        &mut self,
        what: &str,
        min: usize,
        mut item: impl FnMut(&mut Self) -> Parsed<T>,
    ) -> Parsed<Vec<T>> {
        let open = self.expect(Tok::LParen, &format!("'(' to open the {what}"))?;
        let mut out = vec![item(self)?];
        loop {
            let t = self.peek();
            match t.tok {
                Tok::Comma => {
                    self.bump();
                    out.push(item(self)?);
                }
                Tok::RParen => {
                    self.bump();
                    break;
                }
                other => {
                    return Err(self.error_at(
                        t.pos,
                        format!("expected ',' or ')' in the {what}, found {other}"),
                    ))
                }
            }
        }
        if out.len() < min {
            return Err(self.error_at(
                open.pos,
                format!(
                    "a {what} needs at least {min} items, this has {}",
                    out.len()
                ),
            ));
        }
        Ok(out)
    }

    fn point_text(&mut self) -> Parsed<Point<f64>> {
        self.expect(Tok::LParen, "'(' to open the point")?;
        let c = self.coord()?;
        self.expect(Tok::RParen, "')' to close the point")?;
        Ok(Point(c))
    }

    fn line_text(&mut self) -> Parsed<LineString<f64>> {
        Ok(LineString(self.list("line string", 2, Self::coord)?))
    }

    fn ring(&mut self) -> Parsed<LineString<f64>> {
        let pos = self.peek().pos;
        let coords = self.list("polygon ring", 4, Self::coord)?;
        if coords.first() != coords.last() {
            return Err(self.error_at(
                pos,
                "a polygon ring must be closed: its last point equal to its first".into(),
            ));
        }
        Ok(LineString(coords))
    }

    fn polygon_text(&mut self) -> Parsed<Polygon<f64>> {
        let mut rings = self.list("polygon", 1, Self::ring)?.into_iter();
        let exterior = rings.next().expect("a polygon has a ring");
        Ok(Polygon::new(exterior, rings.collect()))
    }

    /// One tagged geometry (not BBOX) in the literal's coordinates.
    fn tagged(&mut self, collection_allowed: bool) -> Parsed<Geometry<f64>> {
        let t = self.bump();
        let Tok::Word(tag) = &t.tok else {
            return Err(self.error_at(
                t.pos,
                format!(
                    "expected a geometry (POINT, LINESTRING, POLYGON, …), found {}",
                    t.tok
                ),
            ));
        };
        let tag = tag.to_ascii_uppercase();
        if self.is_keyword("Z") {
            self.bump();
        }
        Ok(match tag.as_str() {
            "POINT" => Geometry::Point(self.point_text()?),
            "LINESTRING" => Geometry::LineString(self.line_text()?),
            "POLYGON" => Geometry::Polygon(self.polygon_text()?),
            "MULTIPOINT" => Geometry::MultiPoint(MultiPoint(self.list("multipoint", 1, |p| {
                // Both `MULTIPOINT((1 2), (3 4))` (the grammar) and the
                // common `MULTIPOINT(1 2, 3 4)`.
                if p.peek().tok == Tok::LParen {
                    p.point_text()
                } else {
                    p.coord().map(Point)
                }
            })?)),
            "MULTILINESTRING" => Geometry::MultiLineString(MultiLineString(self.list(
                "multilinestring",
                1,
                Self::line_text,
            )?)),
            "MULTIPOLYGON" => Geometry::MultiPolygon(MultiPolygon(self.list(
                "multipolygon",
                1,
                Self::polygon_text,
            )?)),
            "GEOMETRYCOLLECTION" if collection_allowed => {
                Geometry::GeometryCollection(GeometryCollection(self.list(
                    "geometry collection",
                    1,
                    |p| p.tagged(false),
                )?))
            }
            _ => {
                return Err(self.error_at(
                    t.pos,
                    format!("expected POINT, LINESTRING, POLYGON, MULTIPOINT, MULTILINESTRING or MULTIPOLYGON, found {tag}"),
                ))
            }
        })
    }

    fn geometry_literal(&mut self, pos: usize) -> Parsed<(Operand, usize)> {
        let is_bbox = matches!(&self.peek().tok, Tok::Word(w) if w.eq_ignore_ascii_case("BBOX"));
        let geometry = if is_bbox {
            self.bbox(pos)?
        } else {
            let g = self.tagged(true)?;
            self.to_lonlat(g, pos)?
        };
        if let Err(e) = geometry.check_validation() {
            return Err(self.error_at(pos, format!("this geometry is not valid: {e}")));
        }
        Ok((Operand::Geometry(Box::new(geometry)), pos))
    }

    /// `BBOX(x1, y1, [z1,] x2, y2 [, z2])` in the literal's axis order.
    fn bbox(&mut self, pos: usize) -> Parsed<Geometry<f64>> {
        self.bump();
        let n = self.list("BBOX", 4, Self::number)?;
        let (x0, y0, x1, y1) = match n.as_slice() {
            [a, b, c, d] => (*a, *b, *c, *d),
            [a, b, _, c, d, _] => (*a, *b, *c, *d),
            _ => {
                return Err(self.error_at(
                    pos,
                    format!("a BBOX has 4 or 6 numbers, this has {}", n.len()),
                ))
            }
        };
        let rect = |w: f64, s: f64, e: f64, n: f64| {
            Rect::new(Coord { x: w, y: s }, Coord { x: e, y: n }).to_polygon()
        };
        let geographic = |w: f64, s: f64, e: f64, n: f64| -> Parsed<Geometry<f64>> {
            let out = |v: f64, lim: f64| !(-lim..=lim).contains(&v);
            if out(w, 180.0) || out(e, 180.0) || out(s, 90.0) || out(n, 90.0) {
                return Err(self.error_at(
                    pos,
                    "a BBOX's longitudes must be within -180..180 and latitudes within -90..90"
                        .into(),
                ));
            }
            if s > n {
                return Err(self.error_at(
                    pos,
                    "this BBOX's southern latitude is greater than its northern".into(),
                ));
            }
            // West beyond east: the box crosses the antimeridian.
            Ok(if w <= e {
                Geometry::Polygon(rect(w, s, e, n))
            } else {
                Geometry::MultiPolygon(MultiPolygon(vec![
                    rect(w, s, 180.0, n),
                    rect(-180.0, s, e, n),
                ]))
            })
        };
        match &self.coordinates {
            Coordinates::LonLat => geographic(x0, y0, x1, y1),
            Coordinates::LatLon => geographic(y0, x0, y1, x1),
            Coordinates::Projected(to_lonlat) => {
                if x0 > x1 || y0 > y1 {
                    return Err(self.error_at(
                        pos,
                        "this BBOX's minimum is greater than its maximum".into(),
                    ));
                }
                to_lonlat(&Geometry::Polygon(rect(x0, y0, x1, y1)))
                    .map_err(|e| self.error_at(pos, e))
            }
        }
    }

    fn to_lonlat(&self, g: Geometry<f64>, pos: usize) -> Parsed<Geometry<f64>> {
        let g = match &self.coordinates {
            Coordinates::LonLat => g,
            Coordinates::LatLon => g.map_coords(|c| Coord { x: c.y, y: c.x }),
            Coordinates::Projected(to_lonlat) => {
                return to_lonlat(&g).map_err(|e| self.error_at(pos, e))
            }
        };
        let bad = geo::CoordsIter::coords_iter(&g)
            .find(|c| !(-180.0..=180.0).contains(&c.x) || !(-90.0..=90.0).contains(&c.y));
        if let Some(c) = bad {
            let (first, second) = match self.coordinates {
                Coordinates::LatLon => (c.y, c.x),
                _ => (c.x, c.y),
            };
            return Err(self.error_at(
                pos,
                format!(
                    "the point {first} {second} is outside -180..180 longitude, -90..90 latitude ({})",
                    match self.coordinates {
                        Coordinates::LatLon => "EPSG:4326 writes latitude first",
                        _ => "CRS84 writes longitude first",
                    }
                ),
            ));
        }
        Ok(g)
    }
}

/// Days from 1970-01-01 of a `YYYY-MM-DD` date (proleptic Gregorian,
/// years from 1), as the calendar counts them.
fn parse_date(s: &str) -> Option<i64> {
    feedmap_geography::calendar::day_number(s)
}

/// `YYYY-MM-DDThh:mm:ss[.f…]Z`.
fn parse_timestamp(s: &str) -> Option<Instant> {
    if !s.is_ascii() || s.len() < 20 {
        return None;
    }
    let days = parse_date(&s[..10])?;
    let rest = &s[10..];
    let rest = rest.strip_prefix(['T', 't'])?;
    let rest = rest.strip_suffix(['Z', 'z'])?;
    let (hms, frac) = match rest.split_once('.') {
        Some((a, f)) if !f.is_empty() && f.bytes().all(|c| c.is_ascii_digit()) => (a, f),
        Some(_) => return None,
        None => (rest, ""),
    };
    let b = hms.as_bytes();
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let two = |i: usize| -> Option<i64> {
        let t = &hms[i..i + 2];
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (h, m, sec) = (two(0)?, two(3)?, two(6)?);
    if h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let nanos = format!("{frac:0<9}")[..9].parse::<u32>().ok()?;
    Some(Instant(days * 86_400 + h * 3600 + m * 60 + sec, nanos))
}

// -------------------------------------------------------------- evaluator

/// A value during evaluation.
enum Val<'a> {
    Null,
    Str(&'a str),
    Num(f64),
    Bool(bool),
    Instant(Instant),
    Literal(&'a Geometry<f64>),
    Feature(&'a MultiPolygon<f64>),
}

fn value<'a, F: Feature + ?Sized>(o: &'a Operand, f: &'a F) -> Val<'a> {
    match o {
        Operand::Property(_, Kind::Geom) => f.geometry().map_or(Val::Null, Val::Feature),
        Operand::Property(name, kind) => match (f.property(name), kind) {
            (Some(Json::String(s)), Kind::Str) => Val::Str(s),
            (Some(Json::Number(n)), Kind::Num) => n.as_f64().map_or(Val::Null, Val::Num),
            (Some(Json::Bool(b)), Kind::Bool) => Val::Bool(*b),
            _ => Val::Null,
        },
        Operand::Str(s) => Val::Str(s),
        Operand::Num(n) => Val::Num(*n),
        Operand::Bool(b) => Val::Bool(*b),
        Operand::Instant(i) => Val::Instant(*i),
        Operand::Geometry(g) => Val::Literal(g),
    }
}

/// The order of two values of one kind; `None` when either is null.
fn compare(a: &Val, b: &Val) -> Option<Ordering> {
    match (a, b) {
        (Val::Str(x), Val::Str(y)) => Some(x.cmp(y)),
        (Val::Num(x), Val::Num(y)) => x.partial_cmp(y),
        (Val::Bool(x), Val::Bool(y)) => Some(x.cmp(y)),
        (Val::Instant(x), Val::Instant(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn negate(v: Option<bool>, not: bool) -> Option<bool> {
    v.map(|b| b != not)
}

fn eval<F: Feature + ?Sized>(e: &Expr, f: &F) -> Option<bool> {
    match e {
        Expr::And(a, b) => match eval(a, f) {
            Some(false) => Some(false),
            x => match (x, eval(b, f)) {
                (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            },
        },
        Expr::Or(a, b) => match eval(a, f) {
            Some(true) => Some(true),
            x => match (x, eval(b, f)) {
                (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            },
        },
        Expr::Not(a) => eval(a, f).map(|b| !b),
        Expr::Bool(b) => Some(*b),
        Expr::Compare(a, op, b) => compare(&value(a, f), &value(b, f)).map(|o| op.test(o)),
        Expr::Like {
            value: v,
            pattern,
            not,
        } => match (value(v, f), value(pattern, f)) {
            (Val::Str(s), Val::Str(p)) => negate(Some(like(s, p)), *not),
            _ => None,
        },
        Expr::Between {
            value: v,
            low,
            high,
            not,
        } => match (value(v, f), value(low, f), value(high, f)) {
            (Val::Num(x), Val::Num(lo), Val::Num(hi)) => negate(Some(lo <= x && x <= hi), *not),
            _ => None,
        },
        Expr::In {
            value: v,
            list,
            not,
        } => {
            let x = value(v, f);
            if matches!(x, Val::Null) {
                return None;
            }
            let mut unknown = false;
            for item in list {
                match compare(&x, &value(item, f)) {
                    Some(Ordering::Equal) => return Some(!*not),
                    Some(_) => {}
                    None => unknown = true,
                }
            }
            if unknown {
                None
            } else {
                Some(*not)
            }
        }
        Expr::IsNull { value: v, not } => Some(matches!(value(v, f), Val::Null) != *not),
        Expr::Unknown(e, not) => Some(eval(e, f).is_none() != *not),
        Expr::Spatial(op, a, b) => spatial(*op, &value(a, f), &value(b, f)),
    }
}

fn spatial(op: Spatial, a: &Val, b: &Val) -> Option<bool> {
    use Val::{Feature as A, Literal as L};
    if op == Spatial::Intersects || op == Spatial::Disjoint {
        let hit = match (a, b) {
            (A(x), A(y)) => x.intersects(*y),
            (A(x), L(y)) | (L(y), A(x)) => x.intersects(*y),
            (L(x), L(y)) => x.intersects(*y),
            _ => return None,
        };
        return Some(hit == (op == Spatial::Intersects));
    }
    let m = match (a, b) {
        (A(x), A(y)) => x.relate(*y),
        (A(x), L(y)) => x.relate(*y),
        (L(x), A(y)) => x.relate(*y),
        (L(x), L(y)) => x.relate(*y),
        _ => return None,
    };
    Some(match op {
        Spatial::Equals => m.is_equal_topo(),
        Spatial::Touches => m.is_touches(),
        Spatial::Within => m.is_within(),
        Spatial::Overlaps => m.is_overlaps(),
        Spatial::Crosses => m.is_crosses(),
        Spatial::Contains => m.is_contains(),
        Spatial::Intersects | Spatial::Disjoint => unreachable!(),
    })
}

/// SQL LIKE: `%` any run of characters, `_` one, `\` escapes the next.
fn like(text: &str, pattern: &str) -> bool {
    #[derive(PartialEq)]
    enum P {
        Any,
        One,
        Ch(char),
    }
    let mut pat = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        pat.push(match c {
            '\\' => P::Ch(chars.next().unwrap_or('\\')),
            '%' => P::Any,
            '_' => P::One,
            c => P::Ch(c),
        });
    }
    let text: Vec<char> = text.chars().collect();
    // Greedy matching, backtracking to the last `%`.
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pat.get(p) {
            Some(P::One) => {
                t += 1;
                p += 1;
            }
            Some(P::Ch(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            Some(P::Any) => {
                star = Some((p, t));
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pat[p..].iter().all(|x| *x == P::Any)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map};

    struct F {
        props: Map<String, Json>,
        geometry: MultiPolygon<f64>,
    }

    impl Feature for F {
        fn property(&self, name: &str) -> Option<&Json> {
            self.props.get(name)
        }
        fn geometry(&self) -> Option<&MultiPolygon<f64>> {
            Some(&self.geometry)
        }
    }

    const Q: &[(&str, Type)] = &[
        ("id", Type::String),
        ("name", Type::String),
        ("area_m2", Type::Number),
        ("population", Type::Number),
        ("flag", Type::Boolean),
        ("geometry", Type::Geometry),
    ];

    fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![Rect::new(
            Coord { x: x0, y: y0 },
            Coord { x: x1, y: y1 },
        )
        .to_polygon()])
    }

    fn feature(name: &str, area: f64, pop: Option<f64>) -> F {
        let mut props = Map::new();
        props.insert("id".into(), json!(format!("ID-{name}")));
        props.insert("name".into(), json!(name));
        props.insert("area_m2".into(), json!(area));
        props.insert("flag".into(), json!(area > 10.0));
        if let Some(p) = pop {
            props.insert("population".into(), json!(p));
        }
        F {
            props,
            geometry: square(0.0, 0.0, 1.0, 1.0),
        }
    }

    fn parse(text: &str) -> Result<Filter, Error> {
        Filter::parse(text, Q, Coordinates::LonLat)
    }

    fn yes(text: &str, f: &F) -> bool {
        parse(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .matches(f)
    }

    #[test]
    fn comparisons_and_logic() {
        let sale = feature("Sale Moor", 12.5, Some(1000.0));
        assert!(yes("name = 'Sale Moor'", &sale));
        assert!(yes("name <> 'Bowdon'", &sale));
        assert!(yes("area_m2 > 12 AND area_m2 < 13", &sale));
        assert!(yes("area_m2 >= 12.5 and area_m2 <= 12.5", &sale));
        assert!(!yes("area_m2 < 12.5", &sale));
        assert!(yes("name = 'x' OR population = 1000", &sale));
        assert!(yes("NOT (name = 'x')", &sale));
        assert!(yes("not not name = 'Sale Moor'", &sale));
        assert!(yes("'Sale Moor' = name", &sale));
        assert!(yes("area_m2 = 1.25e1", &sale));
        assert!(yes("area_m2 > -5", &sale));
        assert!(yes("flag = TRUE", &sale));
        assert!(yes("TRUE", &sale));
        assert!(!yes("FALSE OR name = 'x'", &sale));
        assert!(yes("\"name\" = 'Sale Moor'", &sale));
        assert!(yes("DATE('2024-01-02') > DATE('2024-01-01')", &sale));
        assert!(yes(
            "TIMESTAMP('2024-01-01T00:00:00Z') = DATE('2024-01-01')",
            &sale
        ));
        assert!(yes(
            "TIMESTAMP('2024-01-01T00:00:00.5Z') > TIMESTAMP('2024-01-01T00:00:00Z')",
            &sale
        ));
    }

    #[test]
    fn nulls_are_unknown() {
        let none = feature("Bowdon", 5.0, None);
        assert!(!yes("population = 1", &none));
        assert!(!yes("NOT population = 1", &none));
        assert!(yes("population IS NULL", &none));
        assert!(!yes("population IS NOT NULL", &none));
        assert!(yes("population = 1 OR name = 'Bowdon'", &none));
        assert!(!yes("population = 1 AND name = 'Bowdon'", &none));
        assert!(!yes("population BETWEEN 1 AND 2", &none));
        assert!(!yes("population IN (1, 2)", &none));
        assert!(!yes("population NOT IN (1, 2)", &none));
        assert!(yes("(population = 1) IS NULL", &none));
        assert!(yes("(name = 'x') IS NOT NULL", &none));
        assert!(yes("DATE('2020-01-01') IS NOT NULL", &none));
        assert!(yes("POINT(0 0) IS NOT NULL", &none));
    }

    #[test]
    fn like_between_in() {
        let f = feature("St. Mary's_1", 7.0, Some(3.0));
        assert!(yes("name LIKE 'St.%'", &f));
        assert!(yes("name LIKE '%Mary''s%'", &f));
        assert!(yes("name LIKE '%Mary\\'s%'", &f));
        assert!(yes("name LIKE 'St_ Mary_s%'", &f));
        assert!(!yes("name LIKE 'St'", &f));
        assert!(yes("name LIKE '%\\_1'", &f));
        assert!(!yes("name LIKE '%\\%'", &f));
        assert!(yes("name NOT LIKE 'x%'", &f));
        assert!(yes("area_m2 BETWEEN 7 AND 8", &f));
        assert!(yes("area_m2 BETWEEN 6 AND 7", &f));
        assert!(!yes("area_m2 NOT BETWEEN 6 AND 7", &f));
        assert!(yes("name IN ('a', 'St. Mary''s_1')", &f));
        assert!(yes("area_m2 NOT IN (1, 2, 3)", &f));
        assert!(like("abc", "a%c"));
        assert!(like("ac", "a%c"));
        assert!(like("", "%"));
        assert!(!like("", "_"));
        assert!(like("aXbXc", "%X%X_"));
        assert!(!like("ab", "a%c"));
        assert!(like("Ünïcødé", "Ün_cød_"));
    }

    #[test]
    fn spatial_functions_are_exact() {
        // A triangle whose bounding box meets the unit square but whose
        // body does not.
        let f = feature("x", 1.0, None);
        let near = "POLYGON((1.2 0.5, 2 2, 2 0.5, 1.2 0.5))";
        assert!(!yes(&format!("S_INTERSECTS(geometry, {near})"), &f));
        assert!(yes(&format!("S_DISJOINT(geometry, {near})"), &f));
        assert!(yes("S_INTERSECTS(geometry, POINT(0.5 0.5))", &f));
        assert!(yes("S_INTERSECTS(POINT(1 1), geometry)", &f));
        assert!(!yes("S_INTERSECTS(geometry, POINT(1.5 0.5))", &f));
        assert!(yes("S_INTERSECTS(geometry, BBOX(0.9, 0.9, 3, 3))", &f));
        assert!(yes(
            "S_INTERSECTS(geometry, BBOX(0.9, 0.9, 0, 3, 3, 0))",
            &f
        ));
        assert!(!yes("S_INTERSECTS(geometry, BBOX(1.1, 0, 3, 3))", &f));
        assert!(yes("S_INTERSECTS(geometry, LINESTRING(-1 0.5, 2 0.5))", &f));
        assert!(yes(
            "S_INTERSECTS(geometry, MULTIPOINT((5 5), (0.5 0.5)))",
            &f
        ));
        assert!(yes("S_INTERSECTS(geometry, MULTIPOINT(5 5, 0.5 0.5))", &f));
        assert!(yes(
            "S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(5 5), LINESTRING(0 0, -1 -1)))",
            &f
        ));
        assert!(yes("S_INTERSECTS(geometry, POINT Z(0.5 0.5 10))", &f));
        assert!(yes("S_WITHIN(geometry, BBOX(-1, -1, 2, 2))", &f));
        assert!(yes("S_CONTAINS(geometry, POINT(0.5 0.5))", &f));
        assert!(!yes("S_CONTAINS(geometry, POINT(1 1))", &f));
        assert!(yes("S_TOUCHES(geometry, POINT(1 1))", &f));
        assert!(yes(
            "S_EQUALS(geometry, POLYGON((0 0, 1 0, 1 1, 0 1, 0 0)))",
            &f
        ));
        assert!(yes(
            "S_OVERLAPS(geometry, POLYGON((0.5 0.5, 2 0.5, 2 2, 0.5 2, 0.5 0.5)))",
            &f
        ));
        assert!(yes("S_CROSSES(geometry, LINESTRING(-1 0.5, 2 0.5))", &f));
        assert!(yes("S_INTERSECTS(geometry, geometry)", &f));
        // Across the antimeridian: two boxes.
        assert!(!yes("S_INTERSECTS(geometry, BBOX(170, -10, -170, 10))", &f));
        assert!(yes(
            "S_INTERSECTS(POINT(175 0), BBOX(170, -10, -170, 10))",
            &f
        ));
        // EPSG:4326 order: latitude first.
        let g = Filter::parse(
            "S_INTERSECTS(geometry, POINT(0.5 0.25))",
            Q,
            Coordinates::LatLon,
        )
        .unwrap();
        assert!(g.matches(&f));
        let g = Filter::parse(
            "S_INTERSECTS(geometry, POINT(60 0.5))",
            Q,
            Coordinates::LatLon,
        )
        .unwrap();
        assert!(!g.matches(&f));
        // A projected system: here, units of 1/10 degree.
        let tenth = |g: &Geometry<f64>| -> Result<Geometry<f64>, String> {
            Ok(g.map_coords(|c| Coord {
                x: c.x / 10.0,
                y: c.y / 10.0,
            }))
        };
        let g = Filter::parse(
            "S_INTERSECTS(geometry, BBOX(5, 5, 6, 6))",
            Q,
            Coordinates::Projected(&tenth),
        )
        .unwrap();
        assert!(g.matches(&f));
    }

    fn err(text: &str) -> Error {
        parse(text).expect_err(text)
    }

    #[test]
    fn errors_name_the_position_and_what_was_expected() {
        let e = err("name = ");
        assert_eq!(e.position, 8);
        assert!(
            e.message.contains("expected a property name or a value"),
            "{e}"
        );
        let e = err("name == 'x'");
        assert_eq!(e.position, 7, "{e}");
        let e = err("name LIKE 'x");
        assert_eq!(e.position, 11);
        assert!(e.message.contains("not closed"), "{e}");
        let e = err("nom = 'x'");
        assert_eq!(e.position, 1);
        assert!(
            e.message.contains("not a queryable") && e.message.contains("name"),
            "{e}"
        );
        let e = err("name = 5");
        assert_eq!(e.position, 8);
        assert!(e.message.contains("expected a string"), "{e}");
        let e = err("(name = 'a' OR name = 'b'");
        assert_eq!(e.position, 26);
        assert!(
            e.message.contains("')'") && e.message.contains("character 1"),
            "{e}"
        );
        let e = err("name = 'a' name = 'b'");
        assert_eq!(e.position, 12);
        assert!(e.message.contains("expected AND, OR"), "{e}");
        let e = err("area_m2 + 1 > 2");
        assert_eq!(e.position, 9);
        assert!(e.message.contains("arithmetic"), "{e}");
        let e = err("area_m2 > 1 * 2");
        assert_eq!(e.position, 13);
        assert!(e.message.contains("arithmetic"), "{e}");
        let e = err("S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 1 1, 0 0.5)))");
        assert_eq!(e.position, 32);
        assert!(e.message.contains("closed"), "{e}");
        let e = err("S_INTERSECTS(geometry, POINT(200 0))");
        assert_eq!(e.position, 24);
        let e = err("S_INTERSECTS(name, POINT(0 0))");
        assert_eq!(e.position, 14);
        let e = err("CASEI(name) = 'x'");
        assert!(e.message.contains("not supported"), "{e}");
        let e = err("T_AFTER(a, b)");
        assert!(e.message.contains("temporal"), "{e}");
        let e = err("upper(name) = 'X'");
        assert!(e.message.contains("functions"), "{e}");
        let e = err("name = 'a' AND");
        assert_eq!(e.position, 15);
        assert!(e.message.contains("the end of the filter"), "{e}");
        let e = err("DATE('2023-02-29') = DATE('2023-03-01')");
        assert_eq!(e.position, 6);
        let e = err("flag < TRUE");
        assert!(e.message.contains("booleans"), "{e}");
        let e = err("name ; x");
        assert_eq!(e.position, 6);
        let e = err("S_INTERSECTS(geometry, BBOX(0, 10, 1, 5))");
        assert!(e.message.contains("southern"), "{e}");
        let e = err("S_INTERSECTS(geometry, POLYGON((0 0, 2 2, 2 0, 0 2, 0 0)))");
        assert!(e.message.contains("not valid"), "{e}");
        let deep = format!("{}name = 'a'{}", "(".repeat(100), ")".repeat(100));
        assert!(err(&deep).message.contains("deeper"));
        let e = err("");
        assert_eq!(e.position, 1);
        // Keywords are case-insensitive, names are not.
        assert!(parse("name like 'a%' And Not area_m2 between 1 and 2").is_ok());
        assert!(err("NAME = 'x'").message.contains("not a queryable"));
    }

    #[test]
    fn dates_are_checked() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2000-03-01"), Some(11017));
        assert_eq!(parse_date("2024-02-29"), Some(19782));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2023-13-01"), None);
        assert_eq!(
            parse_timestamp("1970-01-02T01:00:01.25Z"),
            Some(Instant(86_400 + 3601, 250_000_000))
        );
        assert_eq!(parse_timestamp("1970-01-02 01:00:01Z"), None);
    }
}
