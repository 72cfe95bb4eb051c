//! QR codes as inline SVG, drawn at build time so the pages need no script.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// An SVG QR code of `text` (error correction M, four modules of quiet zone), sized by its
/// `viewBox` so the style sheet decides its width; `None` when the text is too long to encode.
pub fn svg(text: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let image = code
        .render::<svg::Color<'_>>()
        .module_dimensions(1, 1)
        .dark_color(svg::Color("#000"))
        .light_color(svg::Color("#fff"))
        .build();
    // Inline in HTML: no XML declaration; the label says what the code holds for screen readers.
    let body = image
        .split_once("?>")
        .map_or(image.as_str(), |(_, rest)| rest)
        .to_owned();
    let label = format!(
        r#"<svg class="qr-code" role="img" aria-label="QR code: {}" "#,
        update_protocol::markup::escape(text)
    );
    Some(body.replacen("<svg ", &label, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_is_inline_markup_with_a_label() {
        let s = svg("https://example.com/a?b=1&c=2").expect("encodes");
        assert!(s.starts_with("<svg class=\"qr-code\""), "{s}");
        assert!(s.contains("aria-label=\"QR code: https://example.com/a?b=1&amp;c=2\""));
        assert!(s.contains("viewBox=\"0 0 "));
        assert!(!s.contains("<?xml"));
        assert_eq!(s, svg("https://example.com/a?b=1&c=2").expect("encodes"));
    }

    #[test]
    fn too_long_text_gives_none() {
        assert!(svg(&"x".repeat(5000)).is_none());
    }
}
