//! The text of knowledge documents, from the real files in `tests/fixtures` (see its README):
//! a web page, a Markdown guide, a plain text log, PDFs written by ReportLab and printed by
//! Chromium, a scan without a text layer, an encrypted, a restricted and a truncated PDF.

use std::path::PathBuf;

use media_runner::text::{
    ExtractedText, TextError, TextFormat, TextLimits, extract_text, extract_text_from_path,
};

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn fixture(name: &str) -> Vec<u8> {
    let path = fixture_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The type the API stores for each fixture: what it sniffs at upload.
fn read(name: &str, content_type: &str) -> Result<ExtractedText, TextError> {
    extract_text(
        &fixture(name),
        content_type,
        Some(name),
        &TextLimits::default(),
    )
}

fn ok(name: &str, content_type: &str) -> ExtractedText {
    read(name, content_type).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The text with line breaks inside paragraphs made spaces, for sentences a PDF wraps.
fn flowing(text: &str) -> String {
    text.split("\n\n")
        .map(|p| p.replace('\n', " "))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The error's message (empty for a success).
fn message<T>(result: Result<T, TextError>) -> String {
    result.err().map(|e| e.to_string()).unwrap_or_default()
}

fn assert_no_markup(name: &str, text: &str) {
    for leak in [
        "LEAK", "<", ">", "&amp;", "&nbsp;", "](", "**", "```", "---",
    ] {
        assert!(!text.contains(leak), "{name}: {leak:?} in\n{text}");
    }
}

#[test]
fn a_web_page_gives_its_visible_text_in_paragraphs() {
    let got = ok("knowledge.html", "text/html");
    assert_eq!(got.format, TextFormat::Html);
    let text = &got.text;
    assert_no_markup("knowledge.html", text);
    for paragraph in [
        "Keeping a lighthouse lit",
        "The keeper climbs the spiral stair every evening at dusk. He trims the wick, cleans the lens and winds the clockwork.",
        "Daily duties",
        "Polish the brass fittings.",
        "Record the weather in the logbook.",
        "Fog means the horn sounds twice a minute & the lamp stays lit until dawn.\nNobody sleeps on foggy nights.",
        "Month | Oil used\nJanuary | 41 gallons",
        "Café owners in the harbour town remember the last keeper fondly.",
    ] {
        assert!(
            text.split("\n\n").any(|p| p == paragraph),
            "{paragraph:?} is not a paragraph of\n{text}"
        );
    }
    assert!(!text.contains("document.title"), "no script: {text}");
    assert!(!text.contains("font-family"), "no style: {text}");
}

#[test]
fn a_page_that_does_not_start_with_a_tag_is_html_by_its_name() {
    // The API sniffs such a page as text/plain.
    let page = b"<meta charset=utf-8><p>One</p><script>var x</script><p>Two</p>";
    let got = extract_text(
        page,
        "text/plain",
        Some("page.html"),
        &TextLimits::default(),
    )
    .expect("html");
    assert_eq!(
        (got.format, got.text.as_str()),
        (TextFormat::Html, "One\n\nTwo")
    );
}

#[test]
fn markdown_loses_its_markup_and_keeps_its_text() {
    // The API stores Markdown as text/plain: the name says Markdown.
    let got = ok("knowledge.md", "text/plain");
    assert_eq!(got.format, TextFormat::Markdown);
    let text = &got.text;
    assert_no_markup("knowledge.md", text);
    assert!(!text.contains('#') && !text.contains("*deep"), "{text}");
    for paragraph in [
        "Orchard irrigation schedule",
        "Young apple trees need deep watering once a week, so drip lines run along every row of the orchard. Check the soil moisture chart before each run.",
        "What the schedule covers",
        "Monday: the pear and plum rows",
        "Early varieties at dawn",
        "Water the roots, not the leaves.",
        "def litres(trees, per_tree=40):\nreturn trees * per_tree",
        "Month | Litres per tree\nJune | 40",
        "Close the main valve before the first frost.",
        "Inline valve codes stay, and an image a dripping emitter keeps its description.",
    ] {
        assert!(
            text.split("\n\n").any(|p| p == paragraph),
            "{paragraph:?} is not a paragraph of\n{text}"
        );
    }
    // Declared as Markdown, with no name, it reads the same.
    let declared = extract_text(
        &fixture("knowledge.md"),
        "text/markdown",
        None,
        &TextLimits::default(),
    )
    .expect("markdown");
    assert_eq!(&declared.text, text);
}

#[test]
fn plain_text_is_normalised() {
    let got = ok("knowledge.txt", "text/plain");
    assert_eq!(got.format, TextFormat::Plain);
    assert_eq!(
        got.text,
        "Harbour log, spring season\n\n\
         The ferry left at seven o'clock with twelve passengers aboard.\n\
         Winds were light from the south-west; visibility was good.\n\n\
         Repairs: the north jetty needs two new planks — ordered from Ålesund.\n\
         Naïve estimate of cost: 340 €."
    );
}

#[test]
fn binary_data_named_txt_is_refused() {
    let elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0>\0\x01\0\0\0";
    let got = extract_text(
        elf,
        "application/octet-stream",
        Some("a.txt"),
        &TextLimits::default(),
    );
    assert!(matches!(got, Err(TextError::Binary)), "{got:?}");
}

#[test]
fn a_pdf_gives_the_text_of_every_page() {
    let got = ok("knowledge.pdf", "application/pdf");
    assert_eq!((got.format, got.pages), (TextFormat::Pdf, Some(2)));
    let text = flowing(&got.text);
    for sentence in [
        "Quarterly harbour inspection report",
        "The harbour handled more ships this quarter than in any quarter since the new breakwater was built.",
        "Divers inspected every pile below the waterline and found that only three needed replacing, far fewer than the engineers had feared.",
        "The harbour master retired in October after thirty-one years of service.",
        // Page 2, in an embedded TrueType font (a CID font with a ToUnicode map).
        "Finances",
        "Income from mooring fees rose to 1.2 million euros (€), while the café on the pier reported its best summer yet.",
        "Visitors from Zürich and Ålesund praised the naïve charm of the old customs house.",
    ] {
        assert!(text.contains(sentence), "{sentence:?} not in\n{text}");
    }
    assert!(
        got.text.split("\n\n").count() >= 6,
        "paragraphs stay apart: {}",
        got.text
    );
}

#[test]
fn a_pdf_printed_by_a_browser_reads_too() {
    let got = ok("knowledge-chromium.pdf", "application/pdf");
    assert_eq!(got.pages, Some(2));
    let text = flowing(&got.text);
    for sentence in [
        "Minutes of the village council",
        "The council met in the old school hall on a wet Tuesday evening.",
        // "first" is a ligature glyph in the PDF.
        "The first item was the bridge over the mill stream.",
        "The library will open on Sunday afternoons.",
        "The meeting closed at nine o’clock with thanks to the caretaker for the tea.",
    ] {
        assert!(text.contains(sentence), "{sentence:?} not in\n{text}");
    }
}

#[test]
fn an_owner_password_only_restricts_and_still_reads() {
    let got = ok("restricted.pdf", "application/pdf");
    assert!(
        got.text
            .contains("anyone may open and read it without a password"),
        "{}",
        got.text
    );
}

#[test]
fn unreadable_pdfs_fail_with_their_reason() {
    let encrypted = read("encrypted.pdf", "application/pdf");
    assert!(
        matches!(encrypted, Err(TextError::PdfEncrypted)),
        "{encrypted:?}"
    );

    let scanned = read("scanned.pdf", "application/pdf");
    assert!(
        matches!(scanned, Err(TextError::PdfNoTextLayer)),
        "{scanned:?}"
    );
    assert!(message(scanned).starts_with("the PDF has no text layer"));

    let broken = read("broken.pdf", "application/pdf");
    let Err(TextError::PdfInvalid(why)) = &broken else {
        panic!("broken.pdf: {broken:?}");
    };
    assert!(!why.is_empty());
    assert!(message(broken).starts_with("the PDF could not be read: "));

    // Not a PDF at all, though the type says so.
    let not_pdf = extract_text(
        b"%PDF-1.7\nnothing else",
        "application/pdf",
        None,
        &TextLimits::default(),
    );
    assert!(
        matches!(not_pdf, Err(TextError::PdfInvalid(_))),
        "{not_pdf:?}"
    );
}

/// A one-page PDF showing "hello" whose content stream ends in `padding` spaces, compressed.
fn pdf_with_padding(padding: usize) -> Vec<u8> {
    use lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.5");
    let pages = doc.new_object_id();
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let mut content = b"BT /F1 12 Tf 72 720 Td (hello from a small page) Tj ET\n".to_vec();
    content.resize(content.len() + padding, b' ');
    let mut stream = Stream::new(dictionary! {}, content);
    stream.compress().expect("compress");
    let contents = doc.add_object(stream);
    let page = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages,
        "Contents" => contents,
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    });
    doc.objects.insert(
        pages,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1,
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages });
    doc.trailer.set("Root", catalog);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).expect("save");
    bytes
}

#[test]
fn a_decompression_bomb_is_refused_before_it_inflates() {
    let limits = TextLimits {
        max_pdf_stream_bytes: 1024 * 1024,
        ..TextLimits::default()
    };
    let small = extract_text(&pdf_with_padding(1000), "application/pdf", None, &limits)
        .expect("a small page");
    assert_eq!(small.text, "hello from a small page");
    // 4 MiB of content in a few KiB of file.
    let bomb = pdf_with_padding(4 * 1024 * 1024);
    assert!(bomb.len() < 64 * 1024, "{} bytes", bomb.len());
    let got = extract_text(&bomb, "application/pdf", None, &limits);
    let Err(TextError::PdfInvalid(why)) = &got else {
        panic!("{got:?}");
    };
    assert!(
        why.contains("decompresses to more than 1048576 bytes"),
        "{why}"
    );
}

#[test]
fn limits_are_typed_errors() {
    let tight = TextLimits {
        max_text_bytes: 100,
        ..TextLimits::default()
    };
    let long = extract_text(&fixture("knowledge.pdf"), "application/pdf", None, &tight);
    assert!(
        matches!(long, Err(TextError::TooLong { limit: 100 })),
        "{long:?}"
    );
    assert_eq!(message(long), "the text is over the limit of 100 bytes");
    let small_pdfs = TextLimits {
        max_pdf_bytes: 1000,
        ..TextLimits::default()
    };
    let big = extract_text(
        &fixture("knowledge.pdf"),
        "application/pdf",
        None,
        &small_pdfs,
    );
    assert!(
        matches!(
            big,
            Err(TextError::FileTooLarge {
                limit: 1000,
                format: "PDF",
                ..
            })
        ),
        "{big:?}"
    );
}

#[test]
fn other_types_cannot_be_read_as_text() {
    let jpeg = b"\xff\xd8\xff\xe0\0\x10JFIF\0";
    let got = extract_text(
        jpeg,
        "image/jpeg",
        Some("photo.jpg"),
        &TextLimits::default(),
    );
    assert!(
        matches!(&got, Err(TextError::Unsupported(t)) if t == "image/jpeg"),
        "{got:?}"
    );
    assert_eq!(
        message(got),
        "a file of type image/jpeg cannot be read as text (plain text, Markdown, HTML and PDF can)"
    );
}

#[tokio::test]
async fn a_file_on_disk_is_read_off_the_async_threads_and_sized_first() {
    let got = extract_text_from_path(
        &fixture_path("knowledge.pdf"),
        "application/pdf",
        Some("knowledge.pdf"),
        &TextLimits::default(),
    )
    .await
    .expect("pdf");
    assert!(got.text.starts_with("Quarterly harbour inspection report"));
    let small = TextLimits {
        max_markup_bytes: 100,
        ..TextLimits::default()
    };
    let big =
        extract_text_from_path(&fixture_path("knowledge.html"), "text/html", None, &small).await;
    assert!(
        matches!(
            big,
            Err(TextError::FileTooLarge {
                limit: 100,
                format: "HTML",
                ..
            })
        ),
        "{big:?}"
    );
    let missing = extract_text_from_path(
        &fixture_path("no-such-file.txt"),
        "text/plain",
        None,
        &TextLimits::default(),
    )
    .await;
    assert!(
        matches!(&missing, Err(e @ TextError::Io(_)) if e.is_retryable()),
        "{missing:?}"
    );
}
