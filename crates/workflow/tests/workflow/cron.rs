//! `cron::parse` and `Schedule::next_after`, with exact expected Unix times (computed with an
//! independent calendar, shown as UTC dates).

use workflow::cron;

#[test]
fn next_after_table() {
    let cases: &[(&str, i64, Option<i64>, &str)] = &[
        (
            "*/5 * * * *",
            1704067200,
            Some(1704067500),
            "2024-01-01 00:00 → 00:05",
        ),
        (
            "*/5 * * * *",
            1704067439,
            Some(1704067500),
            "00:03:59 → 00:05",
        ),
        (
            "*/5 * * * *",
            1704067500,
            Some(1704067800),
            "strictly after 00:05 → 00:10",
        ),
        (
            "@daily",
            1704110400,
            Some(1704153600),
            "2024-01-01 12:00 → 01-02 00:00",
        ),
        ("@midnight", 1704110400, Some(1704153600), "same as @daily"),
        (
            "@hourly",
            1704110400,
            Some(1704110400 + 3600),
            "12:00 → 13:00",
        ),
        (
            "@weekly",
            1704067200,
            Some(1704585600),
            "Mon 2024-01-01 → Sun 01-07",
        ),
        ("@monthly", 1704067200, Some(1706745600), "→ 2024-02-01"),
        ("@yearly", 1704067200, Some(1735689600), "→ 2025-01-01"),
        (
            "@annually",
            1735689570,
            Some(1735689600),
            "2024-12-31 23:59:30 → 2025-01-01",
        ),
        (
            "0 9 * * mon-fri",
            1704445200,
            Some(1704704400),
            "Fri 2024-01-05 09:00 → Mon 01-08 09:00",
        ),
        (
            "0 9 * * mon-fri",
            1704445140,
            Some(1704445200),
            "Fri 08:59 → Fri 09:00",
        ),
        ("0 9 * * 1-5", 1704445200, Some(1704704400), "numeric days"),
        (
            "0 9 * * MON-FRI",
            1704445200,
            Some(1704704400),
            "names in any case",
        ),
        (
            "0 0 31 * *",
            1706659200,
            Some(1711843200),
            "2024-01-31 → 03-31, skipping February",
        ),
        (
            "0 0 31 * *",
            1711843200,
            Some(1717113600),
            "2024-03-31 → 05-31, skipping April",
        ),
        (
            "0 0 29 2 *",
            1709251200,
            Some(1835395200),
            "2024-03-01 → 2028-02-29",
        ),
        (
            "0 0 29 2 *",
            3981398400,
            Some(4233686400),
            "2096-03-01 → 2104-02-29 (2100 is no leap year)",
        ),
        ("0 0 29 feb *", 1709251200, Some(1835395200), "month names"),
        (
            "0 0 13 * fri",
            1728604800,
            Some(1728777600),
            "OR: Fri 2024-10-11 → Sun 10-13 (the 13th)",
        ),
        (
            "0 0 13 * fri",
            1728777600,
            Some(1729209600),
            "OR: Sun 10-13 → Fri 10-18 (a Friday)",
        ),
        (
            "0 0 */2 * fri",
            1727740800,
            Some(1728604800),
            "`*/2` day-of-month: AND: odd day and a Friday → 10-11",
        ),
        ("0 0 * * 7", 1704067200, Some(1704585600), "7 is Sunday"),
        ("0 0 * * sun", 1704067200, Some(1704585600), "sun"),
        (
            "0 0 1 1 *",
            -301276800,
            Some(-283996800),
            "before 1970: 1960-06-15 → 1961-01-01",
        ),
        ("0 0 30 2 *", 1704067200, None, "February 30th never comes"),
        (
            "0 0 31 4,6,9,11 *",
            1704067200,
            None,
            "no 31st in those months",
        ),
        (
            "30 2 * * *",
            1704067200,
            Some(1704067200 + 2 * 3600 + 1800),
            "02:30",
        ),
        (
            "0,30 * * * *",
            1704067200 + 60,
            Some(1704067200 + 1800),
            "lists",
        ),
        (
            "10-20/5 * * * *",
            1704067200 + 16 * 60,
            Some(1704067200 + 20 * 60),
            "stepped range",
        ),
        (
            "50/5 * * * *",
            1704067200 + 56 * 60,
            Some(1704067200 + 3600 + 50 * 60),
            "`a/n` runs to the end",
        ),
        (
            "0 23 * * *",
            1704067200 + 23 * 3600,
            Some(1704153600 + 23 * 3600),
            "next day",
        ),
    ];
    for (src, after, want, why) in cases {
        let s = cron::parse(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        assert_eq!(s.next_after(*after), *want, "{src} after {after}: {why}");
    }
}

#[test]
fn next_after_is_a_whole_minute_that_matches() {
    let s = cron::parse("*/7 */3 * * *").unwrap();
    let mut t = 1704067200 - 1;
    for _ in 0..200 {
        let next = s.next_after(t).unwrap();
        assert!(next > t);
        assert_eq!(next % 60, 0);
        let minute = (next / 60) % 60;
        let hour = (next / 3600) % 24;
        assert_eq!(minute % 7, 0, "{next}");
        assert_eq!(hour % 3, 0, "{next}");
        t = next;
    }
}

#[test]
fn extremes_do_not_panic() {
    let s = cron::parse("* * * * *").unwrap();
    assert_eq!(s.next_after(i64::MAX), None);
    assert_eq!(s.next_after(i64::MAX - 30), Some(i64::MAX - 7));
    assert!(s.next_after(i64::MIN / 1000).is_some());
}

#[test]
fn errors_name_the_field() {
    let cases = [
        ("", "expected 5 fields"),
        ("* * * *", "expected 5 fields"),
        ("* * * * * *", "expected 5 fields"),
        ("60 * * * *", "minute field `60`: 60 is out of range 0-59"),
        ("* 24 * * *", "hour field `24`"),
        ("* * 0 * *", "day-of-month field `0`"),
        ("* * 32 * *", "day-of-month field `32`"),
        ("* * * 13 *", "month field `13`"),
        ("* * * foo *", "month field `foo`: `foo` is not a month"),
        ("* * * * 8", "day-of-week field `8`"),
        (
            "* * * * mon-funday",
            "day-of-week field `mon-funday`: `funday` is not a day",
        ),
        ("* * * * jan", "day-of-week field `jan`"),
        ("* * mon * *", "day-of-month field `mon`"),
        (
            "*/0 * * * *",
            "minute field `*/0`: a step must be at least 1",
        ),
        (
            "*/x * * * *",
            "minute field `*/x`: step `x` is not a number",
        ),
        (
            "5-2 * * * *",
            "minute field `5-2`: range start 5 is after its end 2",
        ),
        ("1,,2 * * * *", "minute field `1,,2`: an empty list item"),
        ("? * * * *", "minute field `?`"),
        ("* * L * *", "day-of-month field `L`"),
        ("* * * * 5#2", "day-of-week field `5#2`"),
        ("@reboot", "`@reboot` is not supported"),
        ("@often", "unknown macro `@often`"),
    ];
    for (src, want) in cases {
        let err = cron::parse(src).expect_err(src);
        assert!(err.contains(want), "{src:?}: {err}");
    }
}
