//! Deadlines counted in working time: Monday to Friday, 09:00-12:00 and 13:30-17:30 China
//! Standard Time (UTC+8, no daylight saving), skipping the configured holidays.

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc, Weekday,
};

/// The working calendar.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkingTime {
    /// Days off besides weekends (public holidays).
    pub holidays: Vec<NaiveDate>,
}

/// Working periods of a working day, local time.
const PERIODS: [((u32, u32), (u32, u32)); 2] = [((9, 0), (12, 0)), ((13, 30), (17, 30))];

fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

impl WorkingTime {
    fn is_working_day(&self, day: NaiveDate) -> bool {
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&day)
    }

    /// The instant `hours` working hours after `start`.
    pub fn add_hours(&self, start: DateTime<Utc>, hours: f64) -> DateTime<Utc> {
        let tz = china();
        let mut left = Duration::milliseconds((hours.max(0.0) * 3_600_000.0).round() as i64);
        let mut now = start.with_timezone(&tz);
        // A year of calendar days holds far more working time than any catalogue deadline.
        for _ in 0..(366 * 3) {
            let day = now.date_naive();
            if self.is_working_day(day) {
                for ((h0, m0), (h1, m1)) in PERIODS {
                    let at = |h: u32, m: u32| {
                        let t = NaiveTime::from_hms_opt(h, m, 0).expect("valid period time");
                        tz.from_local_datetime(&day.and_time(t))
                            .single()
                            .expect("a fixed offset has no gaps")
                    };
                    let (open, close) = (at(h0, m0), at(h1, m1));
                    if now >= close {
                        continue;
                    }
                    let from = now.max(open);
                    let available = close - from;
                    if left <= available {
                        return (from + left).with_timezone(&Utc);
                    }
                    left -= available;
                    now = close;
                }
            }
            let next = day.succ_opt().expect("dates far from the end of time");
            now = tz
                .from_local_datetime(&next.and_time(NaiveTime::MIN))
                .single()
                .expect("a fixed offset has no gaps");
        }
        (now + left).with_timezone(&Utc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cst(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        china()
            .with_ymd_and_hms(y, mo, d, h, mi, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn hours_count_only_inside_working_periods() {
        let w = WorkingTime::default();
        // Thursday 2026-11-26 10:00 + 2 h: 12:00 is the end of the morning exactly.
        assert_eq!(
            w.add_hours(cst(2026, 11, 26, 10, 0), 2.0),
            cst(2026, 11, 26, 12, 0)
        );
        // + 3 h crosses lunch.
        assert_eq!(
            w.add_hours(cst(2026, 11, 26, 10, 0), 3.0),
            cst(2026, 11, 26, 14, 30)
        );
        // Evening intake starts counting the next morning.
        assert_eq!(
            w.add_hours(cst(2026, 11, 26, 20, 0), 1.0),
            cst(2026, 11, 27, 10, 0)
        );
    }

    #[test]
    fn weekends_and_holidays_are_skipped() {
        let w = WorkingTime::default();
        // Friday 17:00 + 1 h: half an hour on Friday, half on Monday.
        assert_eq!(
            w.add_hours(cst(2026, 11, 27, 17, 0), 1.0),
            cst(2026, 11, 30, 9, 30)
        );
        let w = WorkingTime {
            holidays: vec![NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()],
        };
        assert_eq!(
            w.add_hours(cst(2026, 11, 27, 17, 0), 1.0),
            cst(2026, 12, 1, 9, 30)
        );
        // A working day holds 7 hours.
        assert_eq!(
            w.add_hours(cst(2026, 12, 1, 9, 0), 7.0),
            cst(2026, 12, 1, 17, 30)
        );
    }
}
