//! The two encodings offices' CSV files come in: UTF-8 (with or without BOM) and GBK/GB18030.

use std::borrow::Cow;

use serde::Serialize;

/// How the bytes were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Encoding {
    #[serde(rename = "utf-8")]
    Utf8,
    /// GB18030, the superset of GBK that Excel writes on Chinese Windows.
    #[serde(rename = "gbk")]
    Gbk,
}

impl std::str::FromStr for Encoding {
    type Err = String;
    fn from_str(s: &str) -> Result<Encoding, String> {
        match s.to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Ok(Encoding::Utf8),
            "gbk" | "gb18030" | "gb2312" => Ok(Encoding::Gbk),
            _ => Err(format!(
                "unknown encoding `{s}`: expected auto, utf-8 or gbk"
            )),
        }
    }
}

impl Encoding {
    /// `auto` (or nothing) is `None`: detect it from the bytes.
    pub fn parse_choice(s: Option<&str>) -> Result<Option<Encoding>, String> {
        match s {
            None | Some("auto") => Ok(None),
            Some(e) => e.parse().map(Some),
        }
    }
}

/// Valid UTF-8 (a BOM is dropped) is UTF-8; anything else is read as GB18030.
pub fn detect(bytes: &[u8]) -> Encoding {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if std::str::from_utf8(body).is_ok() {
        Encoding::Utf8
    } else {
        Encoding::Gbk
    }
}

/// The text of `bytes` in `encoding`; `Err` names the first byte offset that is not valid in it.
pub fn decode(bytes: &[u8], encoding: Encoding) -> Result<Cow<'_, str>, String> {
    match encoding {
        Encoding::Utf8 => {
            let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            std::str::from_utf8(body)
                .map(Cow::Borrowed)
                .map_err(|e| format!("not UTF-8 at byte {}", e.valid_up_to()))
        }
        Encoding::Gbk => {
            let (text, had_errors) = encoding_rs::GB18030
                .decode_without_bom_handling_and_without_replacement(bytes)
                .map(|t| (t, false))
                .unwrap_or_else(|| (Cow::Borrowed(""), true));
            if had_errors {
                Err("not GBK/GB18030 either".to_owned())
            } else {
                Ok(text)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_bytes_are_detected_and_decoded_and_utf8_with_bom_is_utf8() {
        let (gbk, _, _) = encoding_rs::GBK.encode("地址,经度\n思明路1号,118.1\n");
        assert_eq!(detect(&gbk), Encoding::Gbk);
        assert_eq!(
            decode(&gbk, Encoding::Gbk).unwrap(),
            "地址,经度\n思明路1号,118.1\n"
        );
        let bom = "\u{FEFF}地址".as_bytes();
        assert_eq!(detect(bom), Encoding::Utf8);
        assert_eq!(decode(bom, Encoding::Utf8).unwrap(), "地址");
        assert!(decode(&gbk, Encoding::Utf8).is_err());
    }

    #[test]
    fn auto_means_detect_and_unknown_names_are_refused() {
        assert_eq!(Encoding::parse_choice(Some("auto")), Ok(None));
        assert_eq!(Encoding::parse_choice(None), Ok(None));
        assert_eq!(
            Encoding::parse_choice(Some("GB18030")),
            Ok(Some(Encoding::Gbk))
        );
        assert!(Encoding::parse_choice(Some("latin1")).is_err());
    }
}
