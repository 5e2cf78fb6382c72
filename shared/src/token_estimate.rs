//! A tokenizer-free estimate of a text's token count, for sizing knowledge chunks and a chat
//! call's memory. A real tokenizer's tables (cl100k alone is 1.7 MB) do not fit the edge
//! bundles, and each embedding model counts differently anyway; the ledger keeps the
//! provider's own count.
//!
//! The rule follows how subword tokenizers split: a run of letters or digits costs one token
//! per six characters (rounded up: "the" 1, "information" 2), every other visible character
//! (punctuation, symbols) one, and each ideograph, kana or hangul character one, as those
//! scripts tokenise about a character at a time. English prose comes out at about 1.2 tokens
//! per word, close to what BPE and SentencePiece vocabularies give.

/// Characters per token in a run of letters or digits.
const CHARS_PER_TOKEN: usize = 6;

/// Whether `c` belongs to a script tokenised about one character per token.
fn is_ideographic(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x9FFF      // CJK radicals, kana, CJK ideographs
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0x20000..=0x3FFFF) // CJK extensions
}

/// The estimated token count of `text`.
pub fn estimate_tokens(text: &str) -> usize {
    let mut tokens = 0usize;
    let mut run = 0usize;
    for c in text.chars() {
        if c.is_alphanumeric() && !is_ideographic(c) {
            run += 1;
            continue;
        }
        tokens += run.div_ceil(CHARS_PER_TOKEN);
        run = 0;
        if !c.is_whitespace() {
            tokens += 1;
        }
    }
    tokens + run.div_ceil(CHARS_PER_TOKEN)
}

#[cfg(test)]
mod tests {
    use super::estimate_tokens;

    #[test]
    fn words_punctuation_and_ideographs_are_counted() {
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(estimate_tokens("   \n"), 0);
        assert_eq!(estimate_tokens("the"), 1);
        assert_eq!(estimate_tokens("information"), 2);
        assert_eq!(estimate_tokens("Hello, world!"), 4);
        assert_eq!(estimate_tokens("知识库"), 3);
        let prose = "Postgres keeps the chunks and their embeddings in one table, so a hybrid \
                     search is a single statement.";
        let words = prose.split_whitespace().count();
        let tokens = estimate_tokens(prose);
        assert!(
            tokens >= words && tokens <= words * 3 / 2,
            "{tokens} for {words} words"
        );
    }
}
