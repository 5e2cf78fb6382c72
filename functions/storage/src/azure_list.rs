//! Reading Azure's List Blobs answer (`EnumerationResults`): each blob's name, size and last
//! modification, and the marker of the next page.

use chrono::{DateTime, Utc};
use powernode_api::ports::storage::{ListedObject, StorageError};
use xmlparser::{ElementEnd, Token, Tokenizer};

/// One page as Azure listed it: blob names are full (prefix included).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct BlobPage {
    /// Name, size, last modification of each blob.
    pub blobs: Vec<ListedObject>,
    /// Where the next page starts; `None` on the last one.
    pub next_marker: Option<String>,
}

/// Parses a List Blobs answer.
pub fn parse(xml: &str) -> Result<BlobPage, StorageError> {
    let bad = |why: &str| StorageError::Unavailable(format!("List Blobs: {why}"));
    let mut page = BlobPage::default();
    let mut path: Vec<String> = Vec::new();
    let (mut name, mut size, mut modified) = (None, None, None);
    for token in Tokenizer::from(xml) {
        match token.map_err(|_| bad("an answer that is not XML"))? {
            Token::ElementStart { local, .. } => path.push(local.as_str().to_string()),
            Token::ElementEnd { end, .. } => {
                let closed = match end {
                    ElementEnd::Open => continue,
                    ElementEnd::Close(_, local) => Some(local.as_str().to_string()),
                    ElementEnd::Empty => None,
                };
                let popped = path.pop();
                if closed.is_some() && closed != popped {
                    return Err(bad("mismatched elements"));
                }
                if popped.as_deref() == Some("Blob") {
                    let (Some(key), Some(size), Some(last_modified)) =
                        (name.take(), size.take(), modified.take())
                    else {
                        return Err(bad("a blob without its name, size or date"));
                    };
                    page.blobs.push(ListedObject {
                        key,
                        size,
                        last_modified,
                    });
                }
            }
            Token::Text { text } => {
                let value = unescape(text.as_str());
                match path.last().map(String::as_str) {
                    Some("Name") if in_blob(&path) => name = Some(value),
                    Some("Content-Length") if in_blob(&path) => {
                        size = Some(
                            value
                                .trim()
                                .parse()
                                .map_err(|_| bad("a bad Content-Length"))?,
                        )
                    }
                    Some("Last-Modified") if in_blob(&path) => {
                        modified = Some(
                            DateTime::parse_from_rfc2822(value.trim())
                                .map_err(|_| bad("a bad Last-Modified"))?
                                .with_timezone(&Utc),
                        )
                    }
                    Some("NextMarker") if path.len() == 2 && !value.is_empty() => {
                        page.next_marker = Some(value)
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    Ok(page)
}

fn in_blob(path: &[String]) -> bool {
    path.iter().any(|p| p == "Blob")
}

/// The five predefined entities; names and markers hold nothing else.
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_blobs_and_the_next_marker() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?>
<EnumerationResults ServiceEndpoint="http://127.0.0.1:10000/devstoreaccount1/" ContainerName="c">
  <Prefix>p/</Prefix><MaxResults>2</MaxResults>
  <Blobs>
    <Blob><Name>p/a/v1</Name><Properties><Last-Modified>Wed, 25 Nov 2026 10:00:00 GMT</Last-Modified><Content-Length>14</Content-Length><Content-Type>image/png</Content-Type></Properties></Blob>
    <Blob><Name>p/b&amp;c</Name><Properties><Last-Modified>Thu, 26 Nov 2026 11:30:00 GMT</Last-Modified><Content-Length>0</Content-Length><Content-MD5 /></Properties></Blob>
  </Blobs>
  <NextMarker>2!72!MDAwMDA2IXAvYi9jIQ--</NextMarker>
</EnumerationResults>"#;
        let page = parse(xml).expect("parses");
        assert_eq!(page.blobs.len(), 2);
        assert_eq!(page.blobs[0].key, "p/a/v1");
        assert_eq!(page.blobs[0].size, 14);
        assert_eq!(
            page.blobs[0].last_modified.to_rfc3339(),
            "2026-11-25T10:00:00+00:00"
        );
        assert_eq!(page.blobs[1].key, "p/b&c");
        assert_eq!(
            page.next_marker.as_deref(),
            Some("2!72!MDAwMDA2IXAvYi9jIQ--")
        );
        let last = parse("<EnumerationResults><Blobs /><NextMarker /></EnumerationResults>")
            .expect("parses");
        assert_eq!(last, BlobPage::default());
        assert!(parse("<EnumerationResults><Blobs><Blob><Name>x</Name></Blob></Blobs></EnumerationResults>").is_err());
        assert!(parse("not xml <").is_err());
    }
}
