//! The entry point `wasm-bindgen` calls when the page loads (scripts/lib/web.sh builds it).

fn main() {
    // Natively this binary only exists so `cargo test --workspace` type-checks the app.
    #[cfg(target_arch = "wasm32")]
    powernode_web::start();
}
