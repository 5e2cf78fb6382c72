//! A document's text cut into chunks for embedding: `text-splitter` on the largest semantic
//! boundaries that fit (paragraphs, then sentences, then words), sized in estimated tokens
//! (`shared::token_estimate`), each chunk repeating up to `overlap` tokens of the one before.

use shared::api::knowledge::NewChunk;
use shared::token_estimate::estimate_tokens;
use text_splitter::{ChunkConfig, ChunkSizer, TextSplitter};

/// Sizes chunks by the platform's token estimate.
struct EstimatedTokens;

impl ChunkSizer for EstimatedTokens {
    fn size(&self, chunk: &str) -> usize {
        estimate_tokens(chunk)
    }
}

/// Why a text could not be chunked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChunkingError {
    /// The base's settings do not make a splitter (overlap not below the size).
    #[error("the base's chunk settings are invalid: {0}")]
    Settings(String),
    /// Nothing but whitespace.
    #[error("the document has no text to chunk")]
    Empty,
}

/// The chunks of `text`, in order.
pub fn chunk(text: &str, tokens: usize, overlap: usize) -> Result<Vec<NewChunk>, ChunkingError> {
    let config = ChunkConfig::new(tokens)
        .with_sizer(EstimatedTokens)
        .with_overlap(overlap)
        .map_err(|e| ChunkingError::Settings(e.to_string()))?;
    let chunks: Vec<NewChunk> = TextSplitter::new(config)
        .chunks(text)
        .filter(|c| !c.trim().is_empty())
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
        }
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
