//! The file's facts and processing results (metadata), and its EXIF table.

use serde_json::Value;
use sycamore::prelude::*;

use super::Loaded;
use crate::format;

/// Rows of a metadata object: its keys in order, each value as a cell; `skip` leaves keys out.
pub fn rows(metadata: &Value, skip: &[&str]) -> Vec<(String, String)> {
    match metadata {
        Value::Object(map) => map
            .iter()
            .filter(|(k, _)| !skip.contains(&k.as_str()))
            .map(|(k, v)| (format::key_label(k), format::json_cell(v)))
            .collect(),
        _ => Vec::new(),
    }
}

/// Facts about the file and its metadata (except EXIF, which has its own table).
#[component(inline_props)]
pub fn Facts(loaded: Loaded) -> View {
    let facts = create_selector(move || {
        loaded.read(Vec::new(), |f| {
            let mut r = vec![
                ("Type".to_string(), f.content_type.clone()),
                ("Size".to_string(), format::bytes(f.file_size)),
                ("Category".to_string(), f.category.clone()),
                ("Visibility".to_string(), f.visibility.clone()),
                ("Version".to_string(), f.version.to_string()),
                ("Processing".to_string(), f.processing_status.clone()),
                ("Uploaded".to_string(), format::datetime(&f.created_at)),
                ("SHA-256".to_string(), f.checksum_sha256.clone()),
            ];
            r.extend(rows(&f.metadata, &["exif"]));
            r
        })
    });
    view! {
        section(class="card", aria-labelledby="facts-title") {
            h2(id="facts-title") { "Details" }
            Table(rows=facts, caption="File details and metadata")
        }
    }
}

/// The EXIF table, when the image had EXIF.
#[component(inline_props)]
pub fn Exif(loaded: Loaded) -> View {
    let exif = create_selector(move || {
        loaded.read(Vec::new(), |f| {
            f.metadata
                .get("exif")
                .map(|e| rows(e, &[]))
                .unwrap_or_default()
        })
    });
    view! {
        section(class="card", aria-labelledby="exif-title") {
            h2(id="exif-title") { "EXIF" }
            (if exif.with(Vec::is_empty) {
                view! { p(class="muted") { "No EXIF data (not an image with EXIF, or not processed yet)." } }
            } else {
                view! { Table(rows=exif, caption="EXIF tags") }
            })
        }
    }
}

#[component(inline_props)]
fn Table(rows: ReadSignal<Vec<(String, String)>>, caption: &'static str) -> View {
    view! {
        table(class="kv") {
            caption(class="visually-hidden") { (caption) }
            tbody {
                Indexed(
                    list=rows,
                    view=|(k, v)| view! { tr { th(scope="row") { (k) } td { (v) } } },
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_rows_keep_order_skip_exif_and_render_values() {
        let m = serde_json::json!({"width": 4000, "height": 3000, "exif": {"make": "Canon"}, "note": "x"});
        assert_eq!(
            rows(&m, &["exif"]),
            vec![
                ("Height".to_string(), "3000".to_string()),
                ("Note".to_string(), "x".to_string()),
                ("Width".to_string(), "4000".to_string()),
            ]
        );
        assert_eq!(
            rows(&m["exif"], &[]),
            vec![("Make".to_string(), "Canon".to_string())]
        );
        assert!(rows(&Value::Null, &[]).is_empty());
    }
}
