//! Cron schedules, in UTC: the standard five fields `minute hour day-of-month month day-of-week`
//! with `*`, lists `a,b`, ranges `a-b`, steps `*/n`, `a-b/n` and `a/n` (= `a-max/n`), month
//! names `jan`–`dec` and day names `sun`–`sat` (any case; day 7 is Sunday too), and the macros
//! `@hourly`, `@daily` (`@midnight`), `@weekly`, `@monthly`, `@yearly` (`@annually`).
//!
//! Day-of-month and day-of-week combine like Vixie cron: when either field starts with `*`, a
//! day must match both (so the other one decides); when both are restricted, a day matching
//! either one fires (`0 0 13 * fri` = every 13th *and* every Friday).
//!
//! Dates are computed on a small proleptic-Gregorian civil calendar from Unix seconds (no
//! time-zone database, no date crate: a schedule is UTC by definition).

/// A parsed cron schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    source: String,
    /// Bit `m` for minute `m` (0–59).
    minutes: u64,
    /// Bit `h` for hour `h` (0–23).
    hours: u32,
    /// Bit `d` for day `d` (1–31).
    days: u32,
    /// Bit `m` for month `m` (1–12).
    months: u16,
    /// Bit `w` for weekday `w` (0 = Sunday … 6).
    weekdays: u8,
    /// The day-of-month field started with `*`.
    dom_star: bool,
    /// The day-of-week field started with `*`.
    dow_star: bool,
}

const MACROS: [(&str, &str); 7] = [
    ("@yearly", "0 0 1 1 *"),
    ("@annually", "0 0 1 1 *"),
    ("@monthly", "0 0 1 * *"),
    ("@weekly", "0 0 * * 0"),
    ("@daily", "0 0 * * *"),
    ("@midnight", "0 0 * * *"),
    ("@hourly", "0 * * * *"),
];

const MONTH_NAMES: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAY_NAMES: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    /// Names for `min..`, and what a value is called in messages.
    names: Option<(&'static [&'static str], &'static str)>,
}

const FIELDS: [Field; 5] = [
    Field {
        name: "minute",
        min: 0,
        max: 59,
        names: None,
    },
    Field {
        name: "hour",
        min: 0,
        max: 23,
        names: None,
    },
    Field {
        name: "day-of-month",
        min: 1,
        max: 31,
        names: None,
    },
    Field {
        name: "month",
        min: 1,
        max: 12,
        names: Some((&MONTH_NAMES, "month (1-12 or jan-dec)")),
    },
    Field {
        name: "day-of-week",
        min: 0,
        max: 7,
        names: Some((&DAY_NAMES, "day (0-7 or sun-sat)")),
    },
];

/// Parses a cron expression; the error names the field at fault and why.
pub fn parse(src: &str) -> Result<Schedule, String> {
    let trimmed = src.trim();
    let expanded = if trimmed.starts_with('@') {
        let lower = trimmed.to_ascii_lowercase();
        match MACROS.iter().find(|(m, _)| *m == lower) {
            Some((_, fields)) => *fields,
            None if lower == "@reboot" => {
                return Err("`@reboot` is not supported: a workflow has no boot".into())
            }
            None => {
                let names: Vec<&str> = MACROS.iter().map(|(m, _)| *m).collect();
                return Err(format!(
                    "unknown macro `{trimmed}` (allowed: {})",
                    names.join(", ")
                ));
            }
        }
    } else {
        trimmed
    };
    let parts: Vec<&str> = expanded.split_whitespace().collect();
    if parts.len() != 5 {
        return Err(format!(
            "expected 5 fields (minute hour day-of-month month day-of-week), found {}",
            parts.len()
        ));
    }
    let mut bits = [0u64; 5];
    for (i, (field, text)) in FIELDS.iter().zip(&parts).enumerate() {
        bits[i] = parse_field(field, text)
            .map_err(|why| format!("{} field `{text}`: {why}", field.name))?;
    }
    // Day 7 is Sunday.
    let weekdays = (bits[4] | (bits[4] >> 7)) & 0x7f;
    Ok(Schedule {
        source: trimmed.to_owned(),
        minutes: bits[0],
        hours: bits[1] as u32,
        days: bits[2] as u32,
        months: bits[3] as u16,
        weekdays: weekdays as u8,
        dom_star: parts[2].starts_with('*'),
        dow_star: parts[4].starts_with('*'),
    })
}

fn parse_field(field: &Field, text: &str) -> Result<u64, String> {
    let mut bits = 0u64;
    for item in text.split(',') {
        if item.is_empty() {
            return Err("an empty list item".into());
        }
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s
                    .parse()
                    .map_err(|_| format!("step `{s}` is not a number"))?;
                if step == 0 {
                    return Err("a step must be at least 1".into());
                }
                (r, Some(step))
            }
            None => (item, None),
        };
        let (lo, hi) = if range == "*" {
            (field.min, field.max)
        } else if let Some((a, b)) = range.split_once('-') {
            let (lo, hi) = (value(field, a)?, value(field, b)?);
            if lo > hi {
                return Err(format!("range start {a} is after its end {b}"));
            }
            (lo, hi)
        } else {
            let v = value(field, range)?;
            // `a/n` runs from a to the field's end.
            (v, if step.is_some() { field.max } else { v })
        };
        let step = step.unwrap_or(1);
        let mut v = lo;
        while v <= hi {
            bits |= 1 << v;
            v += step;
        }
    }
    Ok(bits)
}

fn value(field: &Field, text: &str) -> Result<u32, String> {
    if let Ok(n) = text.parse::<u32>() {
        if n < field.min || n > field.max {
            return Err(format!("{n} is out of range {}-{}", field.min, field.max));
        }
        return Ok(n);
    }
    match field.names {
        Some((names, what)) => names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(text))
            .map(|i| i as u32 + field.min)
            .ok_or_else(|| format!("`{text}` is not a {what}")),
        None => Err(format!(
            "`{text}` is not a number in {}-{}",
            field.min, field.max
        )),
    }
}

/// How far ahead [`Schedule::next_after`] looks: one full Gregorian cycle.
const SEARCH_YEARS: i64 = 400;

impl Schedule {
    /// The expression as given (trimmed).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The first fire time strictly after `after_unix_secs` (UTC, whole minutes), or `None` if
    /// there is none (e.g. `0 0 30 2 *`, February 30th) or it would overflow.
    pub fn next_after(&self, after_unix_secs: i64) -> Option<i64> {
        if self.never() {
            return None;
        }
        let mut t = after_unix_secs
            .div_euclid(60)
            .checked_add(1)?
            .checked_mul(60)?;
        let (start_year, _, _) = civil_from_days(t.div_euclid(86_400));
        let last_year = start_year.checked_add(SEARCH_YEARS)?;
        loop {
            let days = t.div_euclid(86_400);
            let secs = t.rem_euclid(86_400);
            let (y, m, d) = civil_from_days(days);
            if y > last_year {
                return None;
            }
            if self.months & (1 << m) == 0 {
                let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                t = days_from_civil(ny, nm, 1).checked_mul(86_400)?;
                continue;
            }
            if !self.day_matches(d, weekday(days)) {
                t = (days + 1).checked_mul(86_400)?;
                continue;
            }
            let hour = (secs / 3600) as u32;
            let minute = ((secs % 3600) / 60) as u32;
            let Some(h) = next_bit(u64::from(self.hours), hour) else {
                t = (days + 1).checked_mul(86_400)?;
                continue;
            };
            if h != hour {
                t = days * 86_400 + i64::from(h) * 3600;
                continue;
            }
            match next_bit(self.minutes, minute) {
                Some(min) => {
                    return Some(days * 86_400 + i64::from(h) * 3600 + i64::from(min) * 60)
                }
                None => t = days * 86_400 + i64::from(h + 1) * 3600,
            }
        }
    }

    fn day_matches(&self, day: u32, weekday: u32) -> bool {
        let dom = self.days & (1 << day) != 0;
        let dow = self.weekdays & (1 << weekday) != 0;
        if self.dom_star || self.dow_star {
            dom && dow
        } else {
            dom || dow
        }
    }

    /// No day can ever match: only day-of-month decides (day-of-week is `*`) and no chosen
    /// month has a chosen day.
    fn never(&self) -> bool {
        if self.weekdays != 0x7f || !self.dow_star {
            return false;
        }
        !(1..=12u32).any(|m| {
            self.months & (1 << m) != 0 && (1..=max_days(m)).any(|d| self.days & (1 << d) != 0)
        })
    }
}

impl std::fmt::Display for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.source)
    }
}

/// The lowest set bit at or above `from`.
fn next_bit(bits: u64, from: u32) -> Option<u32> {
    if from >= 64 {
        return None;
    }
    let rest = bits >> from;
    (rest != 0).then(|| from + rest.trailing_zeros())
}

/// Longest a month can be (February: 29).
fn max_days(month: u32) -> u32 {
    match month {
        2 => 29,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// 0 = Sunday; 1970-01-01 was a Thursday.
fn weekday(days: i64) -> u32 {
    (days + 4).rem_euclid(7) as u32
}

/// Days since 1970-01-01 of a proleptic-Gregorian date (H. Hinnant's `days_from_civil`).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for (days, date) in [
            (0, (1970, 1, 1)),
            (-1, (1969, 12, 31)),
            (11_016, (2000, 2, 29)),
            (19_782, (2024, 2, 29)),
            (20_454, (2026, 1, 1)),
            (-719_468, (0, 3, 1)),
        ] {
            assert_eq!(civil_from_days(days), date, "{days}");
            assert_eq!(days_from_civil(date.0, date.1, date.2), days, "{date:?}");
        }
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(weekday(0), 4);
        assert_eq!(weekday(-1), 3);
    }
}
