//! Hierarchical unit codes (GB/T 2260 district + statistical street/community codes + our own
//! grid and micro-grid digits) and the five levels they encode.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The five levels of the grid-governance hierarchy, from the top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    District,
    Street,
    Community,
    Grid,
    MicroGrid,
}

impl Level {
    pub const ALL: [Level; 5] = [
        Level::District,
        Level::Street,
        Level::Community,
        Level::Grid,
        Level::MicroGrid,
    ];

    /// Number of digits of a code at this level.
    pub fn code_len(self) -> usize {
        match self {
            Level::District => 6,
            Level::Street => 9,
            Level::Community => 12,
            Level::Grid => 15,
            Level::MicroGrid => 17,
        }
    }

    pub fn from_code_len(len: usize) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.code_len() == len)
    }

    pub fn depth(self) -> usize {
        self as usize
    }

    pub fn parent(self) -> Option<Level> {
        self.depth().checked_sub(1).map(|d| Level::ALL[d])
    }

    pub fn child(self) -> Option<Level> {
        Level::ALL.get(self.depth() + 1).copied()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::District => "district",
            Level::Street => "street",
            Level::Community => "community",
            Level::Grid => "grid",
            Level::MicroGrid => "micro_grid",
        }
    }

    pub fn chinese(self) -> &'static str {
        match self {
            Level::District => "区县",
            Level::Street => "街道",
            Level::Community => "社区",
            Level::Grid => "网格",
            Level::MicroGrid => "微网格",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Level::ALL
            .into_iter()
            .find(|l| l.as_str() == s || (s == "microgrid" && *l == Level::MicroGrid))
            .ok_or_else(|| {
                format!(
                    "unknown level `{s}`: expected district, street, community, grid or micro_grid"
                )
            })
    }
}

/// A unit code: 6, 9, 12, 15 or 17 ASCII digits. Its length is its level, and the code of its
/// parent is its prefix, so ordering codes as strings orders siblings and keeps subtrees together.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UnitCode(String);

impl UnitCode {
    pub fn parse(s: &str) -> Result<UnitCode, String> {
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("unit code `{s}` must contain only digits"));
        }
        if Level::from_code_len(s.len()).is_none() {
            return Err(format!(
                "unit code `{s}` has {} digits: expected 6, 9, 12, 15 or 17",
                s.len()
            ));
        }
        Ok(UnitCode(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> Level {
        Level::from_code_len(self.0.len()).expect("validated at construction")
    }

    /// The code of the parent unit implied by this code (its prefix), none for a district.
    pub fn parent(&self) -> Option<UnitCode> {
        self.level()
            .parent()
            .map(|l| UnitCode(self.0[..l.code_len()].to_owned()))
    }

    /// True when `self` is `other` or lies below it.
    pub fn is_within(&self, other: &UnitCode) -> bool {
        self.0.starts_with(&other.0)
    }
}

impl fmt::Display for UnitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for UnitCode {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        UnitCode::parse(&s)
    }
}

impl From<UnitCode> for String {
    fn from(c: UnitCode) -> String {
        c.0
    }
}

impl std::str::FromStr for UnitCode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        UnitCode::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_length_is_level_and_prefix_is_parent() {
        let c = UnitCode::parse("35020300100100703").unwrap();
        assert_eq!(c.level(), Level::MicroGrid);
        assert_eq!(c.parent().unwrap().as_str(), "350203001001007");
        assert_eq!(UnitCode::parse("350203").unwrap().parent(), None);
        assert!(c.is_within(&UnitCode::parse("350203001").unwrap()));
    }

    #[test]
    fn malformed_codes_are_rejected_with_reason() {
        assert!(UnitCode::parse("35020").unwrap_err().contains("5 digits"));
        assert!(UnitCode::parse("35020a")
            .unwrap_err()
            .contains("only digits"));
    }
}
