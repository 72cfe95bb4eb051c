//! The one escaper for text written into HTML or XML (pages, feeds, the Sparkle appcast,
//! Zealot's install manifest), so that every output agrees on what is escaped and on what
//! markup cannot carry at all.

/// Escapes `s` for HTML and XML alike: element content and double- or single-quoted attribute
/// values. `& < > " '` become references (`'` as `&#39;`, which HTML 4 knows and `&apos;` is
/// not); the C0 control characters other than tab, line feed and carriage return are dropped,
/// since XML 1.0 cannot carry them even as references and a page would only hide them. `/`
/// is kept (Tera's default escapes it, which only makes URLs unreadable).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c < ' ' && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_and_drops_what_xml_cannot_carry() {
        assert_eq!(
            escape("a<b>&\"c'\u{1}\u{1b}[31m\t\n\r/é"),
            "a&lt;b&gt;&amp;&quot;c&#39;[31m\t\n\r/é"
        );
        assert_eq!(escape(""), "");
    }
}
