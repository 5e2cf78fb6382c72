//! A document's text cut into chunks for embedding, sized in estimated tokens
//! (`shared::token_estimate`), each cut on the largest boundary that fits: paragraphs, then
//! lines, then sentences, then words (Unicode's UAX #29 rules, from `unicode-segmentation`),
//! then characters. Each chunk repeats up to `overlap` tokens of whole words from the end of
//! the one before.
//!
//! Why not `text-splitter`, which does the same and was the first pick (measured on the
//! consumer Worker, 248 KiB gzip before this job): from 0.20 it segments words with ICU4X's
//! dictionaries (Chinese, Japanese, Thai, Khmer ...), and 0.33.1 made the Worker 2,460 KiB,
//! over the 1 MiB bundle limit; 0.19.1, the last release before ICU, brings `regex` and made it
//! about 590 KiB, for a 2024 line no longer maintained. With this module, whose boundaries all
//! come from `unicode-segmentation`, it is 304 KiB (BENCHMARKS.md "Edge bundles").

use shared::api::knowledge::NewChunk;
use shared::token_estimate::estimate_tokens;
use unicode_segmentation::UnicodeSegmentation;

/// Why a text could not be chunked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChunkingError {
    /// The base's settings do not make chunks (no room, or overlap not below the size).
    #[error("the base's chunk settings are invalid: {0}")]
    Settings(String),
    /// Nothing but whitespace.
    #[error("the document has no text to chunk")]
    Empty,
}

/// The boundaries a text is cut at, coarsest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Boundary {
    Paragraph,
    Line,
    Sentence,
    Word,
    Character,
}

impl Boundary {
    fn finer(self) -> Option<Self> {
        match self {
            Boundary::Paragraph => Some(Boundary::Line),
            Boundary::Line => Some(Boundary::Sentence),
            Boundary::Sentence => Some(Boundary::Word),
            Boundary::Word => Some(Boundary::Character),
            Boundary::Character => None,
        }
    }

    /// `text` cut at this boundary, as byte offsets where each piece starts (the first is 0);
    /// the pieces keep their separators, so together they are the whole text.
    fn starts(self, text: &str) -> Vec<usize> {
        match self {
            Boundary::Paragraph => {
                // A piece ends after a blank line (two newlines, with any whitespace between).
                let mut starts = vec![0];
                let mut newlines = 0;
                for (i, c) in text.char_indices() {
                    if c == '\n' {
                        newlines += 1;
                    } else if !c.is_whitespace() {
                        if newlines >= 2 && i > 0 {
                            starts.push(i);
                        }
                        newlines = 0;
                    }
                }
                starts
            }
            Boundary::Line => std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .filter(|i| *i < text.len())
                .collect(),
            Boundary::Sentence => text
                .split_sentence_bound_indices()
                .map(|(i, _)| i)
                .collect(),
            Boundary::Word => text.split_word_bound_indices().map(|(i, _)| i).collect(),
            Boundary::Character => text.grapheme_indices(true).map(|(i, _)| i).collect(),
        }
    }
}

/// Splits `text[range]` into pieces of at most `max` tokens, each cut at the coarsest
/// boundary that makes it fit; pushes their byte ranges in order.
fn atoms(
    text: &str,
    start: usize,
    end: usize,
    at: Boundary,
    max: usize,
    out: &mut Vec<(usize, usize)>,
) {
    let piece = &text[start..end];
    if estimate_tokens(piece) <= max {
        out.push((start, end));
        return;
    }
    let cuts = at.starts(piece);
    if cuts.len() <= 1 {
        match at.finer() {
            Some(finer) => atoms(text, start, end, finer, max, out),
            // One grapheme over the limit (a very long combining sequence): it stays whole.
            None => out.push((start, end)),
        }
        return;
    }
    let finer = at.finer().unwrap_or(at);
    for (i, cut) in cuts.iter().enumerate() {
        let to = cuts.get(i + 1).map_or(end, |next| start + next);
        atoms(text, start + cut, to, finer, max, out);
    }
}

/// Where the overlap of the chunk `text[start..end]` begins: the earliest word start whose
/// tail, up to `end`, is at most `overlap` tokens (`end` when none fits).
fn overlap_start(text: &str, start: usize, end: usize, overlap: usize) -> usize {
    if overlap == 0 {
        return end;
    }
    let mut best = end;
    for (i, word) in text[start..end].split_word_bound_indices().rev() {
        let at = start + i;
        if estimate_tokens(&text[at..end]) > overlap {
            break;
        }
        if !word.trim().is_empty() {
            best = at;
        }
    }
    best
}

/// The chunks of `text`, in order, each at most `tokens` estimated tokens.
pub fn chunk(text: &str, tokens: usize, overlap: usize) -> Result<Vec<NewChunk>, ChunkingError> {
    if tokens == 0 || overlap >= tokens {
        return Err(ChunkingError::Settings(format!(
            "a chunk of {tokens} tokens cannot overlap by {overlap}"
        )));
    }
    let mut pieces = Vec::new();
    atoms(
        text,
        0,
        text.len(),
        Boundary::Paragraph,
        tokens,
        &mut pieces,
    );
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    let mut current: Option<(usize, usize)> = None;
    for (a_start, a_end) in pieces {
        let Some((start, end)) = current else {
            current = Some((a_start, a_end));
            continue;
        };
        if estimate_tokens(&text[start..a_end]) <= tokens {
            current = Some((start, a_end));
            continue;
        }
        ranges.push((start, end));
        let from = overlap_start(text, start, end, overlap);
        // The overlap gives way when it and the next piece do not fit together.
        let from = if estimate_tokens(&text[from..a_end]) <= tokens {
            from
        } else {
            a_start
        };
        current = Some((from, a_end));
    }
    ranges.extend(current);
    let chunks: Vec<NewChunk> = ranges
        .into_iter()
        .map(|(s, e)| text[s..e].trim())
        .filter(|c| !c.is_empty())
        .map(|c| NewChunk {
            text: c.to_string(),
            token_count: i32::try_from(estimate_tokens(c)).unwrap_or(i32::MAX),
        })
        .collect();
    if chunks.is_empty() {
        return Err(ChunkingError::Empty);
    }
    Ok(chunks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paragraph(topic: &str, n: usize) -> String {
        (0..n)
            .map(|i| format!("Sentence {i} is about {topic} and nothing else."))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn chunks_fit_and_follow_paragraphs() {
        let text = format!(
            "{}\n\n{}\n\n{}",
            paragraph("rivers", 6),
            paragraph("mountains", 6),
            paragraph("deserts", 6)
        );
        let chunks = chunk(&text, 80, 0).expect("chunks");
        assert!(chunks.len() >= 3, "{chunks:?}");
        for c in &chunks {
            assert!(c.token_count <= 80, "{} tokens", c.token_count);
            // No chunk mixes two paragraphs when each paragraph fits on its own.
            let topics = ["rivers", "mountains", "deserts"]
                .iter()
                .filter(|t| c.text.contains(*t))
                .count();
            assert_eq!(topics, 1, "{}", c.text);
        }
        // Nothing is lost: every sentence is in some chunk.
        for topic in ["rivers", "mountains", "deserts"] {
            for i in 0..6 {
                let s = format!("Sentence {i} is about {topic} and nothing else.");
                assert!(chunks.iter().any(|c| c.text.contains(&s)), "{s}");
            }
        }
    }

    #[test]
    fn a_long_paragraph_is_cut_between_sentences() {
        let text = paragraph("tides", 40);
        let chunks = chunk(&text, 60, 0).expect("chunks");
        assert!(chunks.len() >= 3);
        for c in &chunks {
            assert!(c.text.starts_with("Sentence "), "{}", c.text);
            assert!(c.text.ends_with("else."), "{}", c.text);
        }
    }

    #[test]
    fn overlap_repeats_the_end_of_the_previous_chunk() {
        let text = paragraph("tides", 40);
        let chunks = chunk(&text, 60, 20).expect("chunks");
        assert!(chunks.len() >= 3);
        for pair in chunks.windows(2) {
            let tail: Vec<&str> = pair[0].text.split_whitespace().rev().take(3).collect();
            assert!(
                tail.iter().all(|w| pair[1].text.contains(w)),
                "{:?} / {:?}",
                pair[0].text,
                pair[1].text
            );
            assert!(pair[1].token_count <= 60);
        }
    }

    #[test]
    fn text_without_boundaries_is_cut_anyway() {
        let text = "x".repeat(5000);
        let chunks = chunk(&text, 50, 0).expect("chunks");
        assert!(chunks.iter().all(|c| c.token_count <= 50));
        assert_eq!(chunks.iter().map(|c| c.text.len()).sum::<usize>(), 5000);
        let cjk = "知识库".repeat(100);
        assert!(
            chunk(&cjk, 40, 5)
                .expect("chunks")
                .iter()
                .all(|c| c.token_count <= 40)
        );
    }

    #[test]
    fn the_same_text_gives_the_same_chunks_and_bad_settings_are_refused() {
        let text = paragraph("glaciers", 30);
        assert_eq!(chunk(&text, 50, 10), chunk(&text, 50, 10));
        assert!(matches!(
            chunk(&text, 50, 50),
            Err(ChunkingError::Settings(_))
        ));
        assert_eq!(chunk(" \n\n ", 50, 10), Err(ChunkingError::Empty));
    }
}
