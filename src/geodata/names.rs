//! Made-up Chinese names for the demo population: people (common surnames, weighted towards
//! southern Fujian, and given-name characters), roads and shop brands. Any likeness to a real
//! person, road or business is chance.

use super::rng::SplitMix64;

/// Common surnames with rough relative weights (陈, 林 and 黄 lead in Xiamen).
const SURNAMES: [(&str, u32); 40] = [
    ("陈", 110),
    ("林", 90),
    ("黄", 60),
    ("张", 45),
    ("吴", 40),
    ("王", 38),
    ("李", 38),
    ("郑", 32),
    ("刘", 28),
    ("杨", 24),
    ("蔡", 24),
    ("许", 20),
    ("洪", 18),
    ("谢", 16),
    ("郭", 16),
    ("曾", 14),
    ("庄", 14),
    ("叶", 12),
    ("苏", 12),
    ("周", 12),
    ("柯", 10),
    ("卢", 9),
    ("颜", 9),
    ("邱", 8),
    ("徐", 8),
    ("何", 8),
    ("潘", 7),
    ("胡", 7),
    ("方", 7),
    ("高", 6),
    ("朱", 6),
    ("赵", 6),
    ("孙", 5),
    ("江", 5),
    ("魏", 5),
    ("彭", 4),
    ("傅", 4),
    ("戴", 4),
    ("钟", 4),
    ("欧阳", 2),
];

/// Characters of given names.
const GIVEN: [&str; 64] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超",
    "秀", "霞", "平", "刚", "桂", "英", "华", "玉", "萍", "红", "玲", "芬", "燕", "斌", "辉", "鹏",
    "建", "国", "志", "文", "海", "荣", "金", "宝", "春", "清", "雪", "丹", "婷", "慧", "颖", "琳",
    "晨", "宇", "浩", "俊", "欣", "怡", "佳", "梓", "涵", "子", "轩", "家", "博", "思", "雨", "泽",
];

/// First and second characters of made-up road names.
const ROAD_FIRST: [&str; 40] = [
    "鹭", "榕", "嘉", "莲", "仙", "岳", "云", "松", "福", "安", "康", "宁", "和", "兴", "盛", "海",
    "湖", "滨", "文", "华", "新", "民", "振", "泰", "祥", "瑞", "金", "翠", "春", "光", "明", "德",
    "育", "梅", "兰", "桂", "凤", "锦", "丰", "长",
];
const ROAD_SECOND: [&str; 24] = [
    "江", "湖", "山", "林", "园", "华", "兴", "安", "平", "和", "福", "泰", "明", "新", "岭", "溪",
    "池", "屿", "湾", "埔", "亭", "苑", "坊", "光",
];
/// Road suffixes, 路 most often.
const ROAD_SUFFIX: [&str; 9] = ["路", "路", "路", "路", "路", "街", "街", "巷", "里"];

/// Made-up brands, by trade.
pub(crate) const PHARMACY_BRANDS: [&str; 8] = [
    "康宁",
    "仁心堂",
    "惠民",
    "福寿堂",
    "益康",
    "百草堂",
    "鹭康",
    "同春",
];
pub(crate) const CONVENIENCE_BRANDS: [&str; 8] = [
    "邻家",
    "鹭鹭",
    "每日鲜",
    "晨光",
    "易站",
    "乐邻",
    "便民家",
    "好又近",
];
pub(crate) const SUPERMARKET_BRANDS: [&str; 6] =
    ["海鹭", "惠家", "万福", "鑫家乐", "鹭岛生活", "佳家福"];
pub(crate) const NURSERY_BRANDS: [&str; 5] = ["小树苗", "贝贝佳", "启蒙星", "童心", "小海豚"];

/// A person's name: a surname and one or two given-name characters, e.g. 陈思涵.
pub(crate) fn person_name(rng: &mut SplitMix64) -> String {
    let total: u32 = SURNAMES.iter().map(|(_, w)| w).sum();
    let mut target = rng.range_inclusive(0, total as usize - 1) as u32;
    let mut surname = SURNAMES[0].0;
    for (s, w) in SURNAMES {
        if target < w {
            surname = s;
            break;
        }
        target -= w;
    }
    let mut name = surname.to_owned();
    let given = if rng.chance(0.3) { 1 } else { 2 };
    for _ in 0..given {
        name.push_str(pick(&GIVEN, rng));
    }
    name
}

/// A made-up road: its two-character stem (for naming places after it) and its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Road {
    /// e.g. 榕岭
    pub stem: String,
    /// e.g. 榕岭路
    pub name: String,
}

/// A made-up road name, e.g. 榕岭路, 春溪街, 和苑里.
pub(crate) fn road(rng: &mut SplitMix64) -> Road {
    let stem = format!("{}{}", pick(&ROAD_FIRST, rng), pick(&ROAD_SECOND, rng));
    let name = format!("{stem}{}", pick(&ROAD_SUFFIX, rng));
    Road { stem, name }
}

/// One of `words`, uniformly (the lists here are never empty).
pub(crate) fn pick<'a>(words: &[&'a str], rng: &mut SplitMix64) -> &'a str {
    rng.pick(words).copied().unwrap_or("")
}

/// `n` in Chinese numerals as school names use them: 1 → 一, 10 → 十, 12 → 十二, 35 → 三十五.
pub(crate) fn chinese_number(n: usize) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => DIGITS[n].to_owned(),
        10..=19 => format!("十{}", if n == 10 { "" } else { DIGITS[n % 10] }),
        20..=99 => format!(
            "{}十{}",
            DIGITS[n / 10],
            if n.is_multiple_of(10) {
                ""
            } else {
                DIGITS[n % 10]
            }
        ),
        _ => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_numbers_read_as_in_school_names() {
        assert_eq!(chinese_number(1), "一");
        assert_eq!(chinese_number(10), "十");
        assert_eq!(chinese_number(12), "十二");
        assert_eq!(chinese_number(20), "二十");
        assert_eq!(chinese_number(35), "三十五");
    }

    #[test]
    fn person_names_are_a_surname_and_one_or_two_characters() {
        let mut rng = SplitMix64::new(3);
        for _ in 0..200 {
            let name = person_name(&mut rng);
            let surname = SURNAMES
                .iter()
                .map(|(s, _)| *s)
                .filter(|s| name.starts_with(s))
                .max_by_key(|s| s.len())
                .expect("starts with a listed surname");
            let given = name[surname.len()..].chars().count();
            assert!((1..=2).contains(&given), "{name}");
        }
    }
}
