//! Markdown's text without its markup, from pulldown-cmark's events (CommonMark with the GitHub
//! extensions people write: tables, task lists, footnotes, strikethrough).
//!
//! Kept: the text of paragraphs, headings, list items, quotes, table cells, code spans and
//! blocks, link texts and image descriptions. Dropped: URLs, front matter (YAML `---` or
//! `+++` blocks), inline HTML tags. An HTML block's text goes through the HTML reader.
//! Math is not parsed: `$5 and $10` must keep its dollar signs.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// The text of a Markdown document; blocks are separated by blank lines (before
/// [`super::normalise`]).
pub(super) fn to_text(source: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_DEFINITION_LIST
        | Options::ENABLE_GFM
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_PLUSES_DELIMITED_METADATA_BLOCKS;
    let mut out = String::with_capacity(source.len());
    let mut html_block = String::new();
    let mut in_metadata = false;
    let mut cells_in_row = 0usize;
    for event in Parser::new_ext(source, options) {
        match event {
            Event::Start(Tag::MetadataBlock(_)) => in_metadata = true,
            Event::End(TagEnd::MetadataBlock(_)) => in_metadata = false,
            _ if in_metadata => {}
            Event::Html(raw) => html_block.push_str(&raw),
            Event::End(TagEnd::HtmlBlock) => {
                out.push_str("\n\n");
                out.push_str(&super::html::to_text(&html_block));
                out.push_str("\n\n");
                html_block.clear();
            }
            Event::Start(Tag::TableHead | Tag::TableRow) => {
                cells_in_row = 0;
                line_break(&mut out);
            }
            Event::End(TagEnd::TableHead | TagEnd::TableRow) => line_break(&mut out),
            Event::Start(Tag::TableCell) => {
                if cells_in_row > 0 {
                    out.push_str(" | ");
                }
                cells_in_row += 1;
            }
            Event::Start(tag) => {
                if is_block(&TagEnd::from(tag)) {
                    out.push_str("\n\n");
                }
            }
            Event::End(end) => {
                if is_block(&end) {
                    out.push_str("\n\n");
                }
            }
            Event::Text(text)
            | Event::Code(text)
            | Event::InlineMath(text)
            | Event::DisplayMath(text) => out.push_str(&text),
            Event::SoftBreak => out.push(' '),
            Event::HardBreak => out.push('\n'),
            Event::Rule => out.push_str("\n\n"),
            Event::InlineHtml(_) | Event::FootnoteReference(_) | Event::TaskListMarker(_) => {}
        }
    }
    out
}

/// Ends the line, unless it is ended: rows of a table are lines, not paragraphs.
fn line_break(out: &mut String) {
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

/// Whether a tag is a block of its own, separated from the next by a blank line. Table rows
/// are lines, and inline tags (emphasis, links, images) are none.
fn is_block(tag: &TagEnd) -> bool {
    matches!(
        tag,
        TagEnd::Paragraph
            | TagEnd::Heading(_)
            | TagEnd::BlockQuote(_)
            | TagEnd::CodeBlock
            | TagEnd::HtmlBlock
            | TagEnd::List(_)
            | TagEnd::Item
            | TagEnd::FootnoteDefinition
            | TagEnd::DefinitionList
            | TagEnd::DefinitionListTitle
            | TagEnd::DefinitionListDefinition
            | TagEnd::Table
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::normalise;

    fn text(md: &str) -> String {
        normalise(&to_text(md))
    }

    #[test]
    fn markup_goes_and_blocks_stay_apart() {
        assert_eq!(
            text(
                "# Title\n\nSome *emphasis* and a [link](http://x.test/u).\nSame paragraph.\n\n- one\n- two\n"
            ),
            "Title\n\nSome emphasis and a link. Same paragraph.\n\none\n\ntwo"
        );
        assert_eq!(text("| a | b |\n|---|---|\n| 1 | 2 |\n"), "a | b\n1 | 2");
        assert_eq!(text("- [x] done\n- [ ] todo\n"), "done\n\ntodo");
        assert_eq!(text("costs $5 and $10"), "costs $5 and $10");
        assert_eq!(
            text("+++\ntitle = \"x\"\n+++\n\nBody with `code`.\n"),
            "Body with code."
        );
    }

    #[test]
    fn html_blocks_are_read_as_html() {
        assert_eq!(
            text("<div>\n<script>alert(1)</script>\nInside a div.\n</div>\n\nAfter."),
            "Inside a div.\n\nAfter."
        );
    }
}
