//! Names of demo facilities in the style Xiamen uses, built from where a facility lies (its
//! street, community and road) and, for numbered schools, its ordinal: 鸿山社区卫生服务站,
//! 厦港街道社区卫生服务中心, 思明区第三实验小学, 康宁大药房（榕岭路店）.

use super::names::{
    chinese_number, pick, Road, CONVENIENCE_BRANDS, NURSERY_BRANDS, PHARMACY_BRANDS,
    SUPERMARKET_BRANDS,
};
use super::rng::SplitMix64;

/// Where a facility lies, for naming it.
pub(crate) struct NamingSite<'a> {
    /// e.g. 思明区
    pub district: &'a str,
    /// e.g. 厦港街道
    pub street: &'a str,
    /// e.g. 鸿山社区
    pub community: &'a str,
    /// e.g. 鸿山
    pub community_stem: &'a str,
    pub road: &'a Road,
    /// 1 for the first facility of its kind, 2 for the next, …
    pub ordinal: usize,
}

/// A name for a facility of `kind`; several styles per kind, drawn by `rng`. Metro stations are
/// named by [`metro_station_name`].
pub(crate) fn facility_name(kind: &str, at: &NamingSite, rng: &mut SplitMix64) -> String {
    let NamingSite {
        district,
        street,
        community,
        community_stem: stem,
        road,
        ordinal,
    } = *at;
    let n = chinese_number(ordinal);
    let mut style = rng.range_inclusive(0, 2);
    // 小学社区 would give 思明区小学小学: schools there are named after the road instead.
    if style == 0 && stem.ends_with('学') {
        style = 2;
    }
    match kind {
        "health_centre" => format!("{street}社区卫生服务中心"),
        "health_station" => format!("{community}卫生服务站"),
        "pharmacy" => format!("{}大药房（{}店）", pick(&PHARMACY_BRANDS, rng), road.name),
        "nursing_home" => match style {
            0 => format!("{stem}颐养院"),
            1 => format!("{district}{stem}敬老院"),
            _ => format!("{}康养中心", road.stem),
        },
        "day_care" => format!("{community}老年人日间照料中心"),
        "kindergarten" => match style {
            0 => format!("{district}{stem}幼儿园"),
            1 => format!("{district}第{n}实验幼儿园"),
            _ => format!("厦门市{}幼儿园", road.stem),
        },
        "primary_school" => match style {
            0 => format!("{district}{stem}小学"),
            1 => format!("{district}第{n}实验小学"),
            _ => format!("厦门市{}小学", road.stem),
        },
        "middle_school" => match style {
            0 => format!("{district}{stem}中学"),
            1 => format!("厦门市第{}中学", chinese_number(ordinal + 30)),
            _ => format!("厦门{}实验中学", road.stem),
        },
        "nursery" => match style {
            0 => format!("{stem}托育中心"),
            1 => format!("{}托育园（{stem}园）", pick(&NURSERY_BRANDS, rng)),
            _ => format!("{community}普惠托育点"),
        },
        "park" => match style {
            0 => format!("{stem}公园"),
            1 => format!("{}公园", road.stem),
            _ => format!("{stem}生态公园"),
        },
        "pocket_park" => match style {
            0 => format!("{}口袋公园", road.name),
            1 => format!("{stem}街心花园"),
            _ => format!("{}小游园", road.stem),
        },
        "community_canteen" => match style {
            0 => format!("{community}长者食堂"),
            1 => format!("{community}邻里食堂"),
            _ => format!("{}社区食堂", road.stem),
        },
        "market" => match style {
            0 => format!("{stem}农贸市场"),
            1 => format!("{}菜市场", road.stem),
            _ => format!("{stem}综合市场"),
        },
        "convenience_shop" => format!(
            "{}便利店（{}店）",
            pick(&CONVENIENCE_BRANDS, rng),
            road.name
        ),
        "supermarket" => format!("{}超市（{stem}店）", pick(&SUPERMARKET_BRANDS, rng)),
        "culture_centre" => format!("{street}综合文化活动中心"),
        "culture_station" => format!("{community}文化活动站"),
        "sports_ground" => match style {
            0 => format!("{stem}多功能运动场"),
            1 => format!("{}全民健身广场", road.stem),
            _ => format!("{stem}社区球场"),
        },
        "fitness_area" => match style {
            0 => format!("{stem}健身点"),
            1 => format!("{}健身路径", road.name),
            _ => format!("{}广场健身区", road.stem),
        },
        "street_service_centre" => format!("{street}党群服务中心"),
        "community_service_station" => format!("{community}党群服务站"),
        "bus_stop" => match style {
            0 => format!("{}站", road.name),
            1 => format!("{}口站", road.name),
            _ => format!("{stem}{}站", pick(&["东", "西", "南", "北"], rng)),
        },
        _ => format!("{stem}{kind}"),
    }
}

/// 地铁2号线鸿山站: the line and the community the station lies in.
pub(crate) fn metro_station_name(line: usize, community_stem: &str) -> String {
    format!("地铁{line}号线{community_stem}站")
}
