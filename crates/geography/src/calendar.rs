//! Calendar dates as `YYYY-MM-DD` text: checking them, today's, and whole
//! days between two (proleptic Gregorian, UTC), without a date library.

/// Today's date (UTC) as `YYYY-MM-DD`.
pub fn today() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()[..10].to_string()
}

/// Whether `s` is a real `YYYY-MM-DD` date.
pub fn is_date(s: &str) -> bool {
    parts(s).is_some()
}

fn parts(s: &str) -> Option<(i64, i64, i64)> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    if !s[..4]
        .bytes()
        .chain(s[5..7].bytes())
        .chain(s[8..].bytes())
        .all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    ((1..=days).contains(&d) && y >= 1).then_some((y, m, d))
}

/// The day number of a date: days since 1970-01-01 (negative before).
pub fn day_number(s: &str) -> Option<i64> {
    let (y, m, d) = parts(s)?;
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// The date of a day number.
pub fn date_of(n: i64) -> String {
    let z = n + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Whole days from `from` to `to` (negative when `to` is earlier); `None`
/// when either is not a date.
pub fn days_between(from: &str, to: &str) -> Option<i64> {
    Some(day_number(to)? - day_number(from)?)
}

/// The date `days` after `date` (before, when negative).
pub fn add_days(date: &str, days: i64) -> Option<String> {
    Some(date_of(day_number(date)? + days))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_round_trip_and_count_leap_days() {
        assert_eq!(day_number("1970-01-01"), Some(0));
        assert_eq!(day_number("2000-03-01"), Some(11_017));
        assert_eq!(days_between("2024-02-28", "2024-03-01"), Some(2));
        assert_eq!(days_between("2023-02-28", "2023-03-01"), Some(1));
        assert_eq!(add_days("2026-11-25", -30).as_deref(), Some("2026-10-26"));
        for n in [-1000, 0, 19_000, 20_782, 40_000] {
            assert_eq!(day_number(&date_of(n)), Some(n));
        }
        assert!(!is_date("2023-02-29") && is_date("2024-02-29") && !is_date("2024-1-01"));
    }
}
