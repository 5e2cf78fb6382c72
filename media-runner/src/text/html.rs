//! The visible text of an HTML page, from html5ever's tokenizer (the parser of Servo, and of
//! `scraper` and `html2text`) without building a DOM.
//!
//! Shown: the text of the body, paragraphs, headings, list items and other blocks apart by a
//! blank line, table rows as lines with ` | ` between cells, `<br>` as a line break, `<pre>`
//! as written. Not shown: `script`, `style`, `noscript`, `template`, `title`, `textarea`,
//! `iframe`, comments, elements with the `hidden` attribute or an inline `display: none` /
//! `visibility: hidden` (except elements whose end tag may be left out, `<p hidden>` say: with
//! no tree, where they end is a guess, and guessing wrong would drop real text).
//!
//! Why the tokenizer, measured on this machine (release builds, html5ever 0.40, two runs each):
//! - `html2text` 0.17 (`plain_no_decorate`, raw mode) is a terminal renderer: it kept the text
//!   of `hidden`, `display: none` and `noscript` elements, wrote `[Home]`, `#` and `*` markers
//!   anyway, and took 0.62 to 0.70 s for a 6 MB page that a `scraper` 0.29 DOM parses and
//!   walks in 0.09 to 0.14 s.
//! - A DOM (`scraper`'s, or `html2text`'s own) costs time quadratic in the nesting depth in
//!   html5ever's tree builder (every end tag searches the stack of open elements): 1 MB of
//!   100,000 nested `<div>`s took 18 to 20 s with `scraper` and 29 to 43 s with `html2text`;
//!   a few MB of it would hold a core for hours.
//! - The tokenizer is linear: the 6 MB page in 0.06 s, the nested `<div>`s in 0.03 s. The
//!   tree builder's work that matters for text (which elements' text is raw or hidden) is done
//!   here in a few lines, and a missing end tag costs nothing: blocks are separated at their
//!   start and at their end. It also brings fewer crates than either (no CSS selectors).

use std::cell::RefCell;

use html5ever::LocalName;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

/// The visible text of `html`; blocks are separated by blank lines (before
/// [`super::normalise`]).
pub(super) fn to_text(html: &str) -> String {
    let tokenizer = Tokenizer::new(Reader::default(), TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    // The tokenizer stops early only for a script to run or an encoding to switch to, which
    // `Reader` never asks for: one call consumes the input.
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.state.into_inner().out
}

#[derive(Default)]
struct Reader {
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    out: String,
    /// Inside a raw-text element (`script`, `style`, `title`, ...): the tokenizer emits no tag
    /// until the element's own end tag.
    in_raw: bool,
    /// Whether that raw text is shown (`xmp`, `plaintext`).
    raw_shown: bool,
    /// Open `template` elements.
    templates: usize,
    /// A hidden element being skipped: its name and how many elements of that name are open.
    hidden: Option<(LocalName, usize)>,
    /// Open `pre` and `listing` elements, whose line breaks are kept.
    pre: usize,
    /// Cells written in the current table row.
    cells: usize,
}

impl TokenSink for Reader {
    type Handle = ();

    fn process_token(&self, token: Token, _line_number: u64) -> TokenSinkResult<()> {
        let mut state = self.state.borrow_mut();
        match token {
            Token::TagToken(tag) => return state.tag(&tag),
            Token::CharacterTokens(text) => state.text(&text),
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

impl State {
    fn skipping(&self) -> bool {
        self.templates > 0 || self.hidden.is_some()
    }

    fn block_break(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push_str("\n\n");
        }
    }

    fn line_break(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            self.out.push('\n');
        }
    }

    fn text(&mut self, text: &str) {
        if (self.in_raw && !self.raw_shown) || self.skipping() {
            return;
        }
        // The indentation between tags (`</tr>\n  <tr>`) would make a line of spaces, that
        // is a blank line, between lines of a table or after a `<br>`.
        let at_line_start = self.out.is_empty() || self.out.ends_with('\n');
        if self.pre == 0 && at_line_start && text.chars().all(char::is_whitespace) {
            return;
        }
        if self.pre > 0 {
            self.out.push_str(text);
        } else {
            // Outside `pre`, a line break in the source is a space on the page.
            self.out.extend(
                text.chars()
                    .map(|c| if c == '\n' || c == '\r' { ' ' } else { c }),
            );
        }
    }

    fn tag(&mut self, tag: &Tag) -> TokenSinkResult<()> {
        let name = &*tag.name;
        if tag.kind == TagKind::EndTag {
            if self.in_raw {
                self.in_raw = false;
            } else {
                self.end(tag);
            }
            return TokenSinkResult::Continue;
        }
        // The tokenizer must be told what the tree builder would tell it, whether the text is
        // shown or not: otherwise `<script>if (a<b)...` would be read as markup.
        let raw = match name {
            "script" => Some(TokenSinkResult::RawData(RawKind::ScriptData)),
            "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript" => {
                Some(TokenSinkResult::RawData(RawKind::Rawtext))
            }
            "title" | "textarea" => Some(TokenSinkResult::RawData(RawKind::Rcdata)),
            "plaintext" => Some(TokenSinkResult::Plaintext),
            _ => None,
        };
        if let Some(raw) = raw {
            self.in_raw = true;
            self.raw_shown = matches!(name, "xmp" | "plaintext");
            if self.raw_shown && !self.skipping() {
                self.block_break();
            }
            return raw;
        }
        if self.skipping() {
            if name == "template" {
                self.templates += 1;
            }
            if let Some((hidden, open)) = &mut self.hidden
                && *hidden == tag.name
                && !tag.self_closing
            {
                *open += 1;
            }
            return TokenSinkResult::Continue;
        }
        if name == "template" {
            self.templates += 1;
            return TokenSinkResult::Continue;
        }
        if is_hidden(tag) && !is_void(name) && !may_omit_end_tag(name) && !tag.self_closing {
            self.hidden = Some((tag.name.clone(), 1));
            return TokenSinkResult::Continue;
        }
        match name {
            "br" => self.out.push('\n'),
            "tr" => {
                self.cells = 0;
                self.line_break();
            }
            "td" | "th" => {
                if self.cells > 0 {
                    self.out.push_str(" | ");
                }
                self.cells += 1;
            }
            "pre" | "listing" => {
                self.pre += 1;
                self.block_break();
            }
            n if is_block(n) => self.block_break(),
            _ => {}
        }
        TokenSinkResult::Continue
    }

    fn end(&mut self, tag: &Tag) {
        let name = &*tag.name;
        if name == "template" && self.templates > 0 {
            self.templates -= 1;
            return;
        }
        if let Some((hidden, open)) = &mut self.hidden
            && *hidden == tag.name
        {
            *open -= 1;
            if *open == 0 {
                self.hidden = None;
            }
            return;
        }
        if self.skipping() {
            return;
        }
        match name {
            // Parsers read `</br>` as `<br>`.
            "br" => self.out.push('\n'),
            "tr" => self.line_break(),
            "pre" | "listing" => {
                self.pre = self.pre.saturating_sub(1);
                self.block_break();
            }
            n if is_block(n) => self.block_break(),
            _ => {}
        }
    }
}

/// `hidden` (but not `hidden="until-found"`, whose text a page search reveals), or an inline
/// style that hides the element.
fn is_hidden(tag: &Tag) -> bool {
    tag.attrs.iter().any(|a| match &*a.name.local {
        "hidden" => !a.value.eq_ignore_ascii_case("until-found"),
        "style" => {
            let style: String = a
                .value
                .chars()
                .filter(|c| !c.is_whitespace())
                .flat_map(char::to_lowercase)
                .collect();
            style.contains("display:none") || style.contains("visibility:hidden")
        }
        _ => false,
    })
}

/// Elements with no content and no end tag.
fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "keygen"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
    )
}

/// Elements whose end tag HTML lets an author leave out.
fn may_omit_end_tag(name: &str) -> bool {
    matches!(
        name,
        "html"
            | "head"
            | "body"
            | "p"
            | "li"
            | "dt"
            | "dd"
            | "rt"
            | "rp"
            | "optgroup"
            | "option"
            | "colgroup"
            | "caption"
            | "thead"
            | "tbody"
            | "tfoot"
            | "tr"
            | "td"
            | "th"
    )
}

/// Elements that stand apart from their neighbours on a page.
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "body"
            | "caption"
            | "center"
            | "dd"
            | "details"
            | "dialog"
            | "dir"
            | "div"
            | "dl"
            | "dt"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hgroup"
            | "hr"
            | "legend"
            | "li"
            | "main"
            | "menu"
            | "nav"
            | "ol"
            | "option"
            | "p"
            | "search"
            | "section"
            | "summary"
            | "table"
            | "ul"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::normalise;

    fn text(html: &str) -> String {
        normalise(&to_text(html))
    }

    #[test]
    fn blocks_inline_elements_and_entities() {
        assert_eq!(
            text("<h1>Title</h1><p>One <b>bold</b>\nword &amp; more</p><ul><li>a<li>b</ul>x<br>y"),
            "Title\n\nOne bold word & more\n\na\n\nb\n\nx\ny"
        );
        assert_eq!(
            text("<table><tr><th>k<th>v<tr><td>1</td><td>2</td></table>"),
            "k | v\n1 | 2"
        );
        assert_eq!(text("<pre>line 1\n  line 2</pre>"), "line 1\nline 2");
    }

    #[test]
    fn hidden_and_raw_text_stay_out() {
        assert_eq!(
            text(
                "<script>if (a<b) { x = '</p>' }</script><style>p{}</style><title>T</title>\
                 <p>shown</p><div hidden><div>no</div>still no</div><p>after</p>\
                 <template><p>tpl<template>inner</template>tpl</p></template>\
                 <span style='DISPLAY: none'>gone</span><noscript>js off</noscript>\
                 <textarea>typed</textarea><!-- note --><details hidden=until-found>found</details>"
            ),
            "shown\n\nafter\n\nfound"
        );
    }

    #[test]
    fn deep_nesting_is_linear() {
        let depth = 200_000;
        let html = format!("{}deep{}", "<div>".repeat(depth), "</div>".repeat(depth));
        let started = std::time::Instant::now();
        assert_eq!(text(&html), "deep");
        // A DOM takes tens of seconds here; the tokenizer well under one even unoptimised.
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }
}
