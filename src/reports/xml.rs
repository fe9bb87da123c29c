//! A small XML writer for the Open311 answers: a JSON value becomes elements (arrays repeat
//! their item element; null becomes an empty element).

use serde_json::Value;

fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
}

fn element(name: &str, value: &Value, item: &str, out: &mut String) {
    match value {
        Value::Array(items) => {
            out.push_str(&format!("<{name}>"));
            for v in items {
                element(item, v, item, out);
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::Object(fields) => {
            out.push_str(&format!("<{name}>"));
            for (k, v) in fields {
                element(k, v, k.trim_end_matches('s'), out);
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::Null => out.push_str(&format!("<{name}/>")),
        Value::String(s) => {
            out.push_str(&format!("<{name}>"));
            escape(s, out);
            out.push_str(&format!("</{name}>"));
        }
        other => out.push_str(&format!("<{name}>{other}</{name}>")),
    }
}

/// The document `<root><item>...</item>...</root>` of a JSON array (or `<root>` of an object).
pub fn document(root: &str, item: &str, value: &Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
    element(root, value, item, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn arrays_repeat_their_item_and_text_is_escaped() {
        let v = json!([{"description": "a < b & \"c\""}, {"status_notes": null}]);
        assert_eq!(
            document("service_requests", "request", &v),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><service_requests>\
             <request><description>a &lt; b &amp; &quot;c&quot;</description></request>\
             <request><status_notes/></request></service_requests>"
        );
    }

    #[test]
    fn nested_lists_name_their_items_by_the_singular() {
        let v = json!({"endpoints": [{"formats": ["text/xml"]}]});
        assert_eq!(
            document("discovery", "discovery", &v),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><discovery><endpoints><endpoint><formats>\
             <format>text/xml</format></formats></endpoint></endpoints></discovery>"
        );
    }
}
