//! Prints the imports of a Wasm component, one interface name a line (`spin:postgres/postgres@4.0.0`),
//! or with `--exports` its exports (`fermyon:spin/inbound-redis`, `handle-cron-event`).
//!
//! Used by `scripts/lib/spin.sh` to check a build against what `spin.toml` grants and against
//! the triggers that call it; a tiny parser here avoids installing `wasm-tools` (minutes of
//! compilation) just to list names.
//!
//! Usage: `cargo run -p powernode-spin-api --example component_imports -- [--exports] FILE.wasm`

use std::process::ExitCode;

use wasmparser::{Parser, Payload};

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let exports = args.first().is_some_and(|a| a == "--exports");
    if exports {
        args.remove(0);
    }
    let Some(path) = args.pop() else {
        eprintln!("usage: component_imports [--exports] FILE.wasm");
        return ExitCode::from(2);
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(2);
        }
    };
    match names(&bytes, exports) {
        Ok(names) => {
            for name in names {
                println!("{name}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{path}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The top-level component's import names (nested modules' imports are satisfied inside it),
/// or its export names.
fn names(bytes: &[u8], exports: bool) -> Result<Vec<String>, wasmparser::BinaryReaderError> {
    let mut names = Vec::new();
    let mut depth = 0usize;
    let mut is_component = false;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload? {
            Payload::Version { encoding, .. } => {
                if depth == 0 {
                    is_component = matches!(encoding, wasmparser::Encoding::Component);
                }
                depth += 1;
            }
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(reader) if depth == 1 && !exports => {
                for import in reader {
                    names.push(import?.name.0.to_string());
                }
            }
            Payload::ComponentExportSection(reader) if depth == 1 && exports => {
                for export in reader {
                    names.push(export?.name.0.to_string());
                }
            }
            _ => {}
        }
    }
    if !is_component {
        eprintln!("warning: not a component (a core module); no component imports");
    }
    Ok(names)
}
