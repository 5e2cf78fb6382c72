//! PDF metadata: page count, title and author, from PDFs written here byte by byte.

use media_runner::Limits;
use media_runner::pdf::{PdfError, pdf_metadata};

/// A PDF with `pages` empty pages and the given Info entries (raw PDF values), with a
/// correct cross-reference table.
fn pdf(pages: usize, info: &str) -> Vec<u8> {
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        format!(
            "<< /Type /Pages /Count {pages} /Kids [{}] >>",
            (0..pages)
                .map(|i| format!("{} 0 R", i + 4))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        format!("<< {info} >>"),
    ];
    objects.extend(
        (0..pages).map(|_| "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>".to_owned()),
    );
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for off in offsets {
        out.extend(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R /Info 3 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[test]
fn page_count_title_and_author_are_read() {
    let m = pdf_metadata(
        &pdf(3, "/Title (Quarterly report) /Author (Ada Lovelace)"),
        &Limits::default(),
    )
    .expect("pdf");
    assert_eq!(m.page_count, 3);
    assert_eq!(m.title.as_deref(), Some("Quarterly report"));
    assert_eq!(m.author.as_deref(), Some("Ada Lovelace"));
    assert!(!m.encrypted);
}

#[test]
fn utf16_titles_are_decoded_and_absent_fields_omitted() {
    // "Été" in UTF-16BE with its byte order mark, as PDF writers store non-ASCII titles.
    let m = pdf_metadata(
        &pdf(1, "/Title <FEFF00C9007400E9> /Author ()"),
        &Limits::default(),
    )
    .expect("pdf");
    assert_eq!(
        (m.page_count, m.title.as_deref(), m.author.as_deref()),
        (1, Some("Été"), None)
    );
    let json = serde_json::to_value(&m).expect("json");
    assert!(json.get("author").is_none(), "{json}");
}

#[test]
fn broken_pdfs_give_typed_errors() {
    let whole = pdf(2, "/Title (x)");
    let err = pdf_metadata(b"%PDF-1.4\ngarbage", &Limits::default()).expect_err("garbage");
    assert!(matches!(err, PdfError::Invalid(_)), "got {err:?}");
    assert!(
        err.to_string()
            .starts_with("the PDF is corrupt or truncated"),
        "{err}"
    );
    // Cut before the xref: lopdf may rebuild the table by scanning objects, or fail; either
    // way it must answer, not panic or hang.
    let _ = pdf_metadata(&whole[..whole.len() / 2], &Limits::default());
    let limits = Limits {
        max_file_bytes: 10,
        ..Limits::default()
    };
    assert!(matches!(
        pdf_metadata(&whole, &limits),
        Err(PdfError::FileTooLarge { .. })
    ));
}
