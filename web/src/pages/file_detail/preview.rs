//! The preview: the largest thumbnail for images, the player with its poster for video, the
//! player for audio. Players stream from a signed link (a `<video>` cannot send a token).

use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;

use super::Loaded;
use crate::api;
use crate::components::auth_image::AuthImage;

/// What the preview shows; it is rebuilt only when this changes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Image { thumb: Option<String> },
    Video { poster: Option<String> },
    Audio,
    None { processing: bool },
}

fn kind_of(file: &shared::api::files::File) -> Kind {
    let processing = matches!(file.processing_status.as_str(), "pending" | "processing");
    let top = file.content_type.split('/').next().unwrap_or_default();
    match top {
        "video" => Kind::Video {
            poster: file.poster.clone(),
        },
        "audio" => Kind::Audio,
        _ => match file.thumbnails.get("600").cloned().flatten() {
            Some(t) => Kind::Image { thumb: Some(t) },
            None if top == "image" => Kind::Image { thumb: None },
            None => Kind::None { processing },
        },
    }
}

/// The preview of the loaded file.
#[component(inline_props)]
pub fn Preview(loaded: Loaded) -> View {
    let id = loaded.id;
    let kind = create_selector(move || loaded.read(Kind::None { processing: false }, kind_of));
    view! {
        (match kind.get_clone() {
            Kind::Image { thumb: Some(_) } => {
                let alt = format!("Preview of {}", loaded.read(String::new(), |f| f.filename.clone()));
                view! {
                    div(class="preview") {
                        AuthImage(file_id=id, size="600", alt=alt, fallback="Loading…".to_string())
                    }
                }
            }
            Kind::Image { thumb: None } | Kind::None { processing: true } => view! {
                p(class="thumb-placeholder") { "The preview appears once processing completes." }
            },
            Kind::None { processing: false } => view! { p(class="muted") { "No preview for this type." } },
            Kind::Video { poster } => view! { Player(loaded=loaded, video=true, poster=poster.is_some()) },
            Kind::Audio => view! { Player(loaded=loaded, video=false, poster=false) },
        })
    }
}

#[component(inline_props)]
fn Player(loaded: Loaded, video: bool, poster: bool) -> View {
    let id = loaded.id;
    let src = create_signal(None::<String>);
    let name = loaded.read(String::new(), |f| f.filename.clone());
    spawn_local_scoped(async move {
        if let Ok(s) = api::files::signed_url(id, 3_600).await {
            src.set(Some(s.url));
        }
    });
    let poster_view = if poster {
        let alt = format!("Poster frame of {name}");
        view! {
            div(class="poster") {
                AuthImage(file_id=id, size="poster", alt=alt, fallback="Loading poster…".to_string())
            }
        }
    } else {
        view! {}
    };
    let label = format!("Play {name}");
    view! {
        (poster_view)
        (match src.get_clone() {
            None => view! { p { "Loading player…" } },
            Some(url) if video => {
                let label = label.clone();
                view! { video(controls=true, preload="metadata", src=url, aria-label=label) {} }
            }
            Some(url) => {
                let label = label.clone();
                view! { audio(controls=true, preload="metadata", src=url, aria-label=label) {} }
            }
        })
    }
}
