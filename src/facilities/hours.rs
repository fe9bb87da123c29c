//! Opening hours: a documented subset of OpenStreetMap's `opening_hours` syntax, evaluated in
//! China Standard Time (UTC+8, no daylight saving).
//!
//! Accepted: `24/7`; `off`; rules separated by `;`, each an optional weekday selector (`Mo`,
//! `Mo-Fr`, `Sa,Su`, `Mo-We,Fr`) followed by comma-separated time spans `HH:MM-HH:MM` (end up to
//! `24:00`; an end before the start runs past midnight into the next day) or by `off`. A rule
//! without weekdays applies to every day. As in OSM, a later rule replaces what earlier rules said
//! for the days it names: `Mo-Su 08:00-20:00; We off` is closed on Wednesdays. Public holidays
//! (`PH`), months, weeks and comments are not accepted: they are refused with the reason, never
//! half-understood.

use std::fmt;

use chrono::{DateTime, Datelike, FixedOffset, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

const DAYS: [&str; 7] = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];
const DAY_MINUTES: u16 = 24 * 60;

/// Parsed opening hours; displays (and serialises) as the text it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpeningHours {
    text: String,
    /// Per weekday (Monday first), spans in minutes from that day's midnight; an end beyond
    /// 1440 runs into the next day.
    week: [Vec<(u16, u16)>; 7],
}

/// Why a text is not opening hours of the accepted subset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoursError {
    pub text: String,
    pub reason: String,
}

impl fmt::Display for HoursError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "opening hours `{}`: {}", self.text, self.reason)
    }
}

impl std::error::Error for HoursError {}

impl OpeningHours {
    pub fn parse(text: &str) -> Result<OpeningHours, HoursError> {
        let fail = |reason: String| HoursError {
            text: text.to_owned(),
            reason,
        };
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(fail("empty".to_owned()));
        }
        let mut week: [Vec<(u16, u16)>; 7] = Default::default();
        if trimmed == "24/7" {
            for day in &mut week {
                day.push((0, DAY_MINUTES));
            }
            return Ok(OpeningHours {
                text: trimmed.to_owned(),
                week,
            });
        }
        for (i, rule) in trimmed.split(';').enumerate() {
            let rule = rule.trim();
            let at = |r: String| fail(format!("rule {} (`{rule}`): {r}", i + 1));
            if rule.is_empty() {
                return Err(at("empty rule".to_owned()));
            }
            let (days, times) = match rule.split_once(' ') {
                Some((first, rest)) if starts_with_day(first) => {
                    (parse_days(first).map_err(at)?, rest.trim())
                }
                None if parse_days(rule).is_ok() => {
                    return Err(at("weekdays without times or `off`".to_owned()))
                }
                _ => ([true; 7], rule),
            };
            let spans = if times == "off" || times == "closed" {
                Vec::new()
            } else {
                times
                    .split(',')
                    .map(|s| parse_span(s.trim()))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(at)?
            };
            for (d, named) in days.iter().enumerate() {
                if *named {
                    week[d] = spans.clone();
                }
            }
        }
        Ok(OpeningHours {
            text: trimmed.to_owned(),
            week,
        })
    }

    /// Whether the facility is open at this instant (China Standard Time).
    pub fn is_open_at(&self, at: DateTime<Utc>) -> bool {
        let local = at.with_timezone(&china_time());
        let day = local.weekday().num_days_from_monday() as usize;
        let minute = (local.hour() * 60 + local.minute()) as u16;
        let yesterday = (day + 6) % 7;
        self.week[day]
            .iter()
            .any(|&(s, e)| s <= minute && minute < e)
            || self.week[yesterday]
                .iter()
                .any(|&(_, e)| e > DAY_MINUTES && minute < e - DAY_MINUTES)
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// China Standard Time, UTC+8.
pub fn china_time() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// Whether a rule's first word is a weekday selector (anything alphabetic but `off`).
fn starts_with_day(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic()) && s != "off" && s != "closed"
}

fn day_index(s: &str) -> Result<usize, String> {
    DAYS.iter().position(|d| *d == s).ok_or_else(|| {
        if s == "PH" || s == "SH" {
            format!("`{s}` (holidays) is not supported")
        } else {
            format!("unknown weekday `{s}`: expected Mo, Tu, We, Th, Fr, Sa or Su")
        }
    })
}

fn parse_days(selector: &str) -> Result<[bool; 7], String> {
    let mut days = [false; 7];
    for part in selector.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (day_index(a)?, day_index(b)?);
                let mut d = a;
                loop {
                    days[d] = true;
                    if d == b {
                        break;
                    }
                    d = (d + 1) % 7;
                }
            }
            None => days[day_index(part)?] = true,
        }
    }
    Ok(days)
}

fn parse_time(s: &str) -> Result<u16, String> {
    let bad = || format!("`{s}` is not a time HH:MM");
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: u16 = h.parse().map_err(|_| bad())?;
    let m: u16 = m.parse().map_err(|_| bad())?;
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

fn parse_span(s: &str) -> Result<(u16, u16), String> {
    let (a, b) = s
        .split_once('-')
        .ok_or_else(|| format!("`{s}` is not a time span HH:MM-HH:MM or `off`"))?;
    let (start, end) = (parse_time(a.trim())?, parse_time(b.trim())?);
    if start == DAY_MINUTES {
        return Err(format!("`{s}` starts at 24:00"));
    }
    if start == end {
        return Err(format!("`{s}` is empty"));
    }
    // An end before the start runs past midnight.
    Ok(if end < start {
        (start, end + DAY_MINUTES)
    } else {
        (start, end)
    })
}

impl fmt::Display for OpeningHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for OpeningHours {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for OpeningHours {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        OpeningHours::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// An instant given in China time; 2026-12-07 is a Monday.
    fn cst(day: u32, h: u32, m: u32) -> DateTime<Utc> {
        china_time()
            .with_ymd_and_hms(2026, 12, day, h, m, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn always_open_is_open_at_any_time() {
        let h = OpeningHours::parse("24/7").unwrap();
        assert!(h.is_open_at(cst(7, 0, 0)));
        assert!(h.is_open_at(cst(13, 23, 59)));
    }

    #[test]
    fn weekday_and_weekend_rules_are_evaluated_in_china_time() {
        let h = OpeningHours::parse("Mo-Fr 08:00-17:30; Sa,Su 09:00-12:00").unwrap();
        assert!(h.is_open_at(cst(7, 8, 0)));
        assert!(!h.is_open_at(cst(7, 17, 30)), "the end is exclusive");
        assert!(!h.is_open_at(cst(7, 7, 59)));
        assert!(h.is_open_at(cst(12, 11, 0)), "Saturday morning");
        assert!(!h.is_open_at(cst(12, 13, 0)), "Saturday afternoon");
        // 01:00 UTC on Monday is 09:00 in China.
        assert!(h.is_open_at(Utc.with_ymd_and_hms(2026, 12, 7, 1, 0, 0).unwrap()));
    }

    #[test]
    fn a_later_rule_replaces_earlier_ones_for_its_days() {
        let h = OpeningHours::parse("Mo-Su 08:00-20:00; We off").unwrap();
        assert!(h.is_open_at(cst(8, 10, 0)));
        assert!(!h.is_open_at(cst(9, 10, 0)), "Wednesday is off");
    }

    #[test]
    fn a_span_past_midnight_runs_into_the_next_day() {
        let h = OpeningHours::parse("Fr 18:00-02:00").unwrap();
        assert!(h.is_open_at(cst(11, 23, 0)));
        assert!(h.is_open_at(cst(12, 1, 30)), "Saturday 01:30");
        assert!(!h.is_open_at(cst(12, 2, 0)));
        assert!(!h.is_open_at(cst(10, 1, 0)), "not Friday 01:00");
    }

    #[test]
    fn off_is_never_open_and_split_spans_have_a_gap() {
        assert!(!OpeningHours::parse("off")
            .unwrap()
            .is_open_at(cst(7, 12, 0)));
        let h = OpeningHours::parse("07:30-11:30,14:00-17:00").unwrap();
        assert!(h.is_open_at(cst(13, 7, 30)));
        assert!(!h.is_open_at(cst(13, 12, 0)));
        assert!(h.is_open_at(cst(13, 16, 59)));
    }

    #[test]
    fn unsupported_or_malformed_hours_are_refused_with_the_reason() {
        for (text, reason) in [
            ("", "empty"),
            ("PH off", "holidays"),
            ("Mo-Fr", "without times"),
            ("Xx 08:00-12:00", "unknown weekday `Xx`"),
            ("Mo-Fr 8:00-17:00", "`8:00` is not a time"),
            ("Mo-Fr 08:00-25:00", "`25:00` is not a time"),
            ("Mo 08:00", "not a time span"),
            ("Mo 08:00-08:00", "is empty"),
            ("Mo-Fr 08:00-12:00;", "empty rule"),
            ("sunrise-sunset", "not a time"),
        ] {
            let err = OpeningHours::parse(text).unwrap_err();
            assert!(
                err.to_string().contains(reason),
                "{text:?}: {err} should say {reason:?}"
            );
        }
    }

    #[test]
    fn hours_serialise_as_their_text() {
        let h = OpeningHours::parse(" Mo-Fr 08:00-17:30 ").unwrap();
        assert_eq!(serde_json::to_string(&h).unwrap(), "\"Mo-Fr 08:00-17:30\"");
        let back: OpeningHours = serde_json::from_str("\"Mo-Fr 08:00-17:30\"").unwrap();
        assert_eq!(back, h);
    }
}
