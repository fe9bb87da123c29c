//! A household as stored, its tags, the natural key an import upserts on, and phone masking.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::spatial::crs::Crs;
use crate::units::UnitCode;

/// The tags grid workers keep on a household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tag {
    /// 独居老人
    ElderlyAlone,
    /// 党员中心户
    PartyMemberHousehold,
    /// 低保户
    LowIncome,
}

impl Tag {
    pub const ALL: [Tag; 3] = [Tag::ElderlyAlone, Tag::PartyMemberHousehold, Tag::LowIncome];

    pub fn as_str(self) -> &'static str {
        match self {
            Tag::ElderlyAlone => "elderly_alone",
            Tag::PartyMemberHousehold => "party_member_household",
            Tag::LowIncome => "low_income",
        }
    }

    pub fn chinese(self) -> &'static str {
        match self {
            Tag::ElderlyAlone => "独居老人",
            Tag::PartyMemberHousehold => "党员中心户",
            Tag::LowIncome => "低保户",
        }
    }

    /// The tag an office writes in a tags cell, in English or Chinese.
    pub fn parse(s: &str) -> Option<Tag> {
        let s = s.trim();
        Tag::ALL.into_iter().find(|t| {
            t.as_str().eq_ignore_ascii_case(s)
                || t.chinese() == s
                || (*t == Tag::LowIncome && (s == "低保" || s == "低收入"))
                || (*t == Tag::ElderlyAlone && s == "空巢独居")
        })
    }
}

/// A household as the client gives it, already in WGS84.
#[derive(Debug, Clone, PartialEq)]
pub struct HouseholdInput {
    pub address: String,
    pub room: String,
    pub head_name: String,
    /// Digits only (spaces, dashes and a +86 prefix removed); may be empty.
    pub phone: String,
    pub size: Option<i32>,
    pub tags: Vec<Tag>,
    pub lon: f64,
    pub lat: f64,
    pub input_crs: Crs,
}

impl HouseholdInput {
    pub fn natural_key(&self) -> String {
        natural_key(&self.address, &self.room)
    }
}

/// A stored household, assigned to its unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Household {
    pub id: i64,
    pub address: String,
    pub room: String,
    pub head_name: String,
    pub phone: String,
    pub size: Option<i32>,
    pub tags: Vec<Tag>,
    pub lon: f64,
    pub lat: f64,
    pub input_crs: Crs,
    /// The smallest unit of the chain the location was assigned to on write.
    pub unit_code: UnitCode,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The key an import re-run matches on: address and room with full-width forms folded to ASCII,
/// every kind of whitespace dropped and ASCII lower-cased, so that `思明路１２号 ３０１` and
/// `思明路12号301` are one household. A `#` separates address and room.
pub fn natural_key(address: &str, room: &str) -> String {
    crate::tabular::natural_key(&[address, room])
}

/// A phone number for eyes that need not see it whole: the first three and last four digits
/// (`138****5678`); shorter numbers keep only their last two digits.
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().collect();
    match digits.len() {
        0 => String::new(),
        n if n >= 8 => {
            let head: String = digits[..3].iter().collect();
            let tail: String = digits[n - 4..].iter().collect();
            format!("{head}****{tail}")
        }
        n => {
            let tail: String = digits[n.saturating_sub(2)..].iter().collect();
            format!("{}{tail}", "*".repeat(n.saturating_sub(2)))
        }
    }
}

/// Digits of a phone cell: spaces, dashes, brackets and a leading +86/0086 removed. `Err` when
/// anything else remains or the count is not 5–15 digits.
pub fn clean_phone(cell: &str) -> Result<String, String> {
    let mut s: String = cell
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '（' | '）' | '\u{3000}'))
        .collect();
    if let Some(rest) = s.strip_prefix("+86").or_else(|| s.strip_prefix("0086")) {
        s = rest.to_owned();
    }
    if s.is_empty() {
        return Ok(s);
    }
    if !s.chars().all(|c| c.is_ascii_digit()) || !(5..=15).contains(&s.len()) {
        return Err(format!(
            "phone `{cell}` is not a phone number (5–15 digits)"
        ));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_key_folds_full_width_forms_whitespace_and_case() {
        assert_eq!(
            natural_key("思明路１２号 B栋", " ３０１ "),
            natural_key("思明路12号b栋", "301")
        );
        assert_ne!(
            natural_key("思明路12号", "301"),
            natural_key("思明路12号3", "01")
        );
    }

    #[test]
    fn phones_are_masked_to_three_and_four_digits() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("5551234"), "*****34");
        assert_eq!(mask_phone(""), "");
    }

    #[test]
    fn phone_cells_lose_separators_and_country_code_but_not_letters() {
        assert_eq!(clean_phone("+86 138-1234-5678").unwrap(), "13812345678");
        assert_eq!(clean_phone("").unwrap(), "");
        assert!(clean_phone("138abc").is_err());
        assert!(clean_phone("12").is_err());
    }

    #[test]
    fn tags_parse_in_chinese_and_english() {
        assert_eq!(Tag::parse("独居老人"), Some(Tag::ElderlyAlone));
        assert_eq!(Tag::parse("low_income"), Some(Tag::LowIncome));
        assert_eq!(Tag::parse("党员中心户"), Some(Tag::PartyMemberHousehold));
        assert_eq!(Tag::parse("VIP"), None);
    }
}
