//! Safe file names for what clients upload.

/// Longest name kept, in bytes (cut on a character boundary). Well under the 255-byte
/// limit of common file systems, and long enough for any real name.
pub const MAX_NAME_BYTES: usize = 200;

/// A client's file name made safe to store, show and put in `Content-Disposition`: the last
/// path component only (both `/` and `\`, since clients on Windows send full paths), without
/// control characters, bidirectional overrides (which make `exe.txt` display as `txt.exe`)
/// and other invisible format characters, without leading dots (hidden files, `..`) and
/// surrounding spaces, no `..` anywhere, at most [`MAX_NAME_BYTES`] bytes, never empty
/// (`"file"` then).
pub fn sanitize_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !is_invisible_format(*c))
        .map(|c| {
            if matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .collect();
    // Replacing one `..` can create another (`...` → `.` + `..`), so repeat until none.
    while cleaned.contains("..") {
        cleaned = cleaned.replace("..", ".");
    }
    let trimmed = cleaned
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end();
    let mut end = trimmed.len().min(MAX_NAME_BYTES);
    while !trimmed.is_char_boundary(end) {
        end -= 1;
    }
    // Trailing dots and spaces are dropped too: Windows strips them silently.
    let capped = trimmed[..end].trim_end_matches(['.', ' ']).trim_end();
    if capped.is_empty() {
        "file".to_owned()
    } else {
        capped.to_owned()
    }
}

/// Unicode format characters that change how text displays without being visible: the
/// bidirectional embeddings, overrides and isolates, zero-width characters and the BOM.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' // zero-width space/joiners, LRM, RLM
        | '\u{202A}'..='\u{202E}' // embeddings and overrides
        | '\u{2060}'..='\u{2069}' // word joiner, invisible operators, isolates
        | '\u{FEFF}'
        | '\u{061C}' // Arabic letter mark
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_ordinary_names() {
        assert_eq!(sanitize_file_name("report.pdf"), "report.pdf");
        assert_eq!(
            sanitize_file_name("Résumé 2024 (final).docx"),
            "Résumé 2024 (final).docx"
        );
        assert_eq!(sanitize_file_name("日本語.txt"), "日本語.txt");
        assert_eq!(sanitize_file_name("a.tar.gz"), "a.tar.gz");
    }

    #[test]
    fn strips_paths_and_traversal() {
        assert_eq!(sanitize_file_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_file_name("C:\\Users\\me\\photo.jpg"), "photo.jpg");
        assert_eq!(sanitize_file_name("dir/"), "file");
        assert_eq!(sanitize_file_name(".."), "file");
        assert_eq!(sanitize_file_name("..."), "file");
        assert_eq!(sanitize_file_name("a..b"), "a.b");
        assert_eq!(sanitize_file_name("a....b"), "a.b");
        assert_eq!(sanitize_file_name(".bashrc"), "bashrc");
        assert_eq!(sanitize_file_name(" . .hidden"), "hidden");
        assert!(!sanitize_file_name("x/..\\..").contains(".."));
    }

    #[test]
    fn removes_control_and_bidi_characters() {
        assert_eq!(sanitize_file_name("evil\u{202E}gpj.exe"), "evilgpj.exe");
        assert_eq!(sanitize_file_name("a\nb\r\0c\u{7}.txt"), "abc.txt");
        assert_eq!(
            sanitize_file_name("zero\u{200B}width\u{2067}.txt"),
            "zerowidth.txt"
        );
        assert_eq!(sanitize_file_name("a:b*c?.txt"), "a_b_c_.txt");
        assert_eq!(sanitize_file_name("\"quoted\".txt"), "_quoted_.txt");
    }

    #[test]
    fn never_empty_and_trimmed() {
        assert_eq!(sanitize_file_name(""), "file");
        assert_eq!(sanitize_file_name("   "), "file");
        assert_eq!(sanitize_file_name("\u{202E}\u{200B}"), "file");
        assert_eq!(sanitize_file_name("  name.txt  "), "name.txt");
        assert_eq!(sanitize_file_name("name. . "), "name");
    }

    #[test]
    fn caps_length_on_a_char_boundary() {
        let long = "é".repeat(150); // 300 bytes
        let out = sanitize_file_name(&long);
        assert!(out.len() <= MAX_NAME_BYTES);
        assert_eq!(out.len(), MAX_NAME_BYTES);
        assert!(out.chars().all(|c| c == 'é'));
        let out = sanitize_file_name(&format!("a{}", "€".repeat(100)));
        assert!(out.len() <= MAX_NAME_BYTES && out.is_char_boundary(out.len()));
    }
}
