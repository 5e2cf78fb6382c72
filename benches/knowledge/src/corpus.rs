//! The corpus `scripts/lib/embed-serve.py corpus` writes: TSV files (fields escaped as in
//! Postgres's COPY text format: `\\`, `\t`, `\n`) and float32 little-endian vector files.

use std::path::Path;

use anyhow::{Context, Result, bail};

/// wordllama's dimension.
pub const DIMS: usize = 256;

/// The lines of a TSV file, each split into its (still escaped) fields; every line must have
/// `fields` fields.
pub fn read_tsv(path: &Path, fields: usize) -> Result<Vec<Vec<String>>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            let row: Vec<String> = line.split('\t').map(str::to_owned).collect();
            if row.len() != fields {
                bail!(
                    "{}:{}: {} fields, expected {fields}",
                    path.display(),
                    i + 1,
                    row.len()
                );
            }
            Ok(row)
        })
        .collect()
}

/// A field's text (the escapes undone).
pub fn unescape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A text escaped for COPY's text format.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            _ => out.push(c),
        }
    }
    out
}

/// `rows` vectors of DIMS float32 each.
pub fn read_vectors(path: &Path, rows: usize) -> Result<Vec<Vec<f32>>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if bytes.len() != rows * DIMS * 4 {
        bail!(
            "{}: {} bytes, expected {rows} vectors of {DIMS} float32 ({} bytes)",
            path.display(),
            bytes.len(),
            rows * DIMS * 4
        );
    }
    Ok(bytes
        .chunks_exact(DIMS * 4)
        .map(|v| {
            v.chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect()
        })
        .collect())
}

/// pgvector's text form of a vector: `[x,y,...]`, each float in its shortest exact form.
pub fn vector_text(v: &[f32]) -> String {
    let mut s = String::with_capacity(v.len() * 12);
    s.push('[');
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&x.to_string());
    }
    s.push(']');
    s
}

/// One held-out sentence and its vector.
pub struct Query {
    /// The base whose held-out document it comes from.
    pub base: String,
    pub vector: Vec<f32>,
}

/// `queries.tsv` + `queries.f32`.
pub fn read_queries(dir: &Path) -> Result<Vec<Query>> {
    let rows = read_tsv(&dir.join("queries.tsv"), 3)?;
    let vectors = read_vectors(&dir.join("queries.f32"), rows.len())?;
    Ok(rows
        .into_iter()
        .zip(vectors)
        .map(|(row, vector)| {
            let mut fields = row.into_iter();
            // base, held-out document's title, sentence: the text is for reading only.
            let base = fields.next().map(|f| unescape(&f)).unwrap_or_default();
            Query { base, vector }
        })
        .collect())
}

/// SHA-256 as lower-case hex.
pub fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_round_trips() {
        let text = "a\\b\tc\nd";
        assert_eq!(unescape(&escape(text)), text);
        assert_eq!(escape(text), "a\\\\b\\tc\\nd");
    }

    #[test]
    fn vector_text_is_pgvector_form() {
        assert_eq!(vector_text(&[0.5, -1.0, 0.1]), "[0.5,-1,0.1]");
    }
}
