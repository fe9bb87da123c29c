//! How many demo facilities of each kind, where they go, when they open and what they hold: one
//! plan per kind of `geodata/facility-categories.json`. `geodata/README.md` gives the reasoning.

/// Where the facilities of one kind are placed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Placement {
    /// One per street, at the point nearest the street's middle (civic centres).
    StreetCentre,
    /// One per street, in a micro-grid drawn by residents.
    PerStreet,
    /// One per community, in a micro-grid drawn by residents, except for a seeded share of
    /// communities (drawn more often among the poorly served) that go without.
    PerCommunity { without: f64 },
    /// `count` over the district, each in a micro-grid drawn by a weight of which the share
    /// `follow` follows residents × the community's service level and the rest is even (parks
    /// follow people little, shops closely).
    District { count: usize, follow: f64 },
    /// Metro stations spaced evenly along straight lines across the district, as many per line
    /// as listed; a station that falls in the sea or in a community the line already serves is
    /// left out.
    Lines { stations: &'static [usize] },
}

/// The plan of one kind.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KindPlan {
    pub placement: Placement,
    /// Opening hours (the subset `facilities::OpeningHours` parses), one drawn per facility;
    /// repeats make a value likelier.
    pub hours: &'static [&'static str],
    /// Places, beds or seats as (lowest, highest, step), for kinds that count them.
    pub capacity: Option<(u32, u32, u32)>,
}

const fn plan(
    placement: Placement,
    hours: &'static [&'static str],
    capacity: Option<(u32, u32, u32)>,
) -> KindPlan {
    KindPlan {
        placement,
        hours,
        capacity,
    }
}

const fn district(count: usize, follow: f64) -> Placement {
    Placement::District { count, follow }
}

const OFFICE_HOURS: &str = "Mo-Fr 08:30-12:00,14:30-17:30";

/// The plan for a kind code of the catalogue; `None` for a kind the generator does not know.
pub(crate) fn plan_for(kind: &str) -> Option<KindPlan> {
    use Placement::*;
    let p = match kind {
        // 医
        "health_centre" => plan(
            StreetCentre,
            &["Mo-Su 08:00-17:30", "Mo-Fr 08:00-17:30; Sa,Su 08:00-12:00"],
            Some((10, 50, 5)),
        ),
        "health_station" => plan(
            PerCommunity { without: 0.12 },
            &[
                "Mo-Fr 08:00-12:00,14:30-17:30; Sa 08:00-12:00",
                "Mo-Su 08:00-12:00,14:30-17:30",
            ],
            None,
        ),
        "pharmacy" => plan(
            district(300, 0.85),
            &["08:00-22:00", "08:00-22:00", "08:30-21:30", "24/7"],
            None,
        ),
        // 养
        "nursing_home" => plan(district(20, 0.3), &["24/7"], Some((60, 400, 10))),
        "day_care" => plan(
            PerCommunity { without: 0.18 },
            &["Mo-Fr 08:00-17:00", "Mo-Sa 08:30-17:30"],
            Some((20, 60, 5)),
        ),
        // 学
        "kindergarten" => plan(
            district(70, 0.7),
            &["Mo-Fr 07:30-17:30", "Mo-Fr 07:45-17:45"],
            Some((180, 540, 30)),
        ),
        "primary_school" => plan(
            district(50, 0.6),
            &["Mo-Fr 07:30-17:00"],
            Some((900, 2700, 45)),
        ),
        "middle_school" => plan(
            district(25, 0.5),
            &["Mo-Fr 07:00-17:30", "Mo-Fr 07:00-21:30"],
            Some((1000, 2400, 50)),
        ),
        // 托
        "nursery" => plan(
            district(60, 0.8),
            &["Mo-Fr 07:30-18:00", "Mo-Sa 07:30-18:30"],
            Some((30, 120, 10)),
        ),
        // 游
        "park" => plan(
            district(30, 0.1),
            &["24/7", "06:00-22:00", "05:30-23:00"],
            None,
        ),
        "pocket_park" => plan(district(150, 0.5), &["24/7"], None),
        // 食
        "community_canteen" => plan(
            district(60, 0.6),
            &["10:30-13:00,16:30-19:00", "Mo-Sa 10:30-13:30,16:30-19:00"],
            Some((40, 160, 10)),
        ),
        // 购
        "market" => plan(
            district(40, 0.8),
            &["06:00-19:00", "05:30-20:00", "06:00-12:00,15:00-19:30"],
            None,
        ),
        "convenience_shop" => plan(
            district(500, 0.95),
            &["24/7", "24/7", "07:00-23:00", "07:00-24:00"],
            None,
        ),
        "supermarket" => plan(
            district(60, 0.9),
            &["08:30-22:00", "08:00-22:30", "09:00-22:00"],
            None,
        ),
        // 文体
        "culture_centre" => plan(
            PerStreet,
            &["Tu-Su 09:00-21:00", "09:00-12:00,14:30-21:00"],
            Some((200, 600, 50)),
        ),
        "culture_station" => plan(
            PerCommunity { without: 0.15 },
            &["Mo-Fr 08:30-12:00,14:30-21:00; Sa,Su 09:00-21:00"],
            None,
        ),
        "sports_ground" => plan(district(60, 0.4), &["06:00-22:00", "06:30-21:30"], None),
        "fitness_area" => plan(district(200, 0.6), &["24/7", "05:30-22:00"], None),
        // 服务
        "street_service_centre" => plan(
            StreetCentre,
            &[OFFICE_HOURS, "Mo-Fr 08:00-12:00,15:00-18:00"],
            None,
        ),
        "community_service_station" => plan(
            PerCommunity { without: 0.1 },
            &[
                "Mo-Fr 08:30-12:00,14:30-17:30; Sa 09:00-12:00",
                OFFICE_HOURS,
            ],
            None,
        ),
        // 行
        "bus_stop" => plan(district(600, 0.5), &["06:00-22:30", "05:50-23:00"], None),
        "metro_station" => plan(
            Lines {
                stations: &[6, 5, 5],
            },
            &["06:00-23:00"],
            None,
        ),
        _ => return None,
    };
    Some(p)
}
