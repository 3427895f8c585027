//! Durations in definitions: a number of seconds, or a string such as `"30s"`, `"5m"`, `"1h"`,
//! `"2d"`, `"1h30m"` (a bare number string is seconds).

/// Longest accepted duration (a `wait` or a `timeout`): 30 days.
pub const MAX_DURATION_SECS: u64 = 30 * 24 * 3600;

/// Parses a duration string into seconds; the error says what is expected.
pub fn parse_duration(src: &str) -> Result<u64, String> {
    let s = src.trim();
    let expected = || {
        format!("`{src}` is not a duration: use seconds (30) or a string such as \"30s\", \"5m\", \"1h\", \"1h30m\"")
    };
    if s.is_empty() {
        return Err(expected());
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse::<u64>()
            .map_err(|_| expected())
            .and_then(check_range);
    }
    let mut total: u64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(expected());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| expected())?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = match &rest[..unit_len] {
            "s" | "sec" | "secs" => 1,
            "m" | "min" | "mins" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(expected()),
        };
        rest = &rest[unit_len..];
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(expected)?;
    }
    check_range(total)
}

pub(crate) fn check_range(secs: u64) -> Result<u64, String> {
    if secs > MAX_DURATION_SECS {
        Err(format!(
            "{secs} seconds is longer than the limit of {MAX_DURATION_SECS} (30 days)"
        ))
    } else {
        Ok(secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        for (src, want) in [
            ("30", Some(30)),
            ("30s", Some(30)),
            ("5m", Some(300)),
            ("1h", Some(3600)),
            ("2d", Some(172_800)),
            ("1h30m", Some(5400)),
            (" 10s ", Some(10)),
            ("0s", Some(0)),
            ("", None),
            ("s", None),
            ("5x", None),
            ("1.5h", None),
            ("-5s", None),
            ("31d", None),
            ("99999999999999999999s", None),
        ] {
            assert_eq!(parse_duration(src).ok(), want, "{src:?}");
        }
    }
}
