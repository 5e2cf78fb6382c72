//! Embeds SQL at compile time:
//! - `src/sql/*.sql`: named queries (`-- name: UserInsert`) become `pub const USER_INSERT: &str`,
//!   so a misspelt query name is a compile error, not a runtime lookup failure.
//! - `../../migrations/NNNN_name.sql`: the ordered migration list run by `migrate`.

use std::{env, fmt::Write as _, fs, path::Path};

fn main() {
    let manifest = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let sql_dir = Path::new(&manifest).join("src/sql");
    let migrations_dir = Path::new(&manifest).join("../../migrations");
    println!("cargo:rerun-if-changed={}", sql_dir.display());
    println!("cargo:rerun-if-changed={}", migrations_dir.display());

    let mut queries = String::new();
    let mut all = String::from(
        "/// Every named query as `(name, sql)`, for tools that check them all and for logs.\n\
         pub const ALL: &[(&str, &str)] = &[\n",
    );
    for path in sorted_sql_files(&sql_dir) {
        println!("cargo:rerun-if-changed={}", path.display());
        let text = fs::read_to_string(&path).expect("readable SQL file");
        for (name, sql) in named_queries(&text, &path) {
            let constant = screaming_snake(&name);
            let _ = writeln!(queries, "/// `{name}` from `{}`.", file_name(&path));
            let _ = writeln!(queries, "pub const {constant}: &str = {sql:?};");
            let _ = writeln!(all, "    ({name:?}, {constant}),");
        }
    }
    all.push_str("];\n");
    queries.push_str(&all);
    fs::write(Path::new(&out).join("queries.rs"), queries).expect("writable OUT_DIR");

    let mut migrations = String::from("&[\n");
    for path in sorted_sql_files(&migrations_dir) {
        println!("cargo:rerun-if-changed={}", path.display());
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("utf-8 file name");
        let (version, name) = stem
            .split_once('_')
            .unwrap_or_else(|| panic!("migration {stem} must be named NNNN_name.sql"));
        assert!(
            version.chars().all(|c| c.is_ascii_digit()),
            "migration {stem}: version must be digits"
        );
        let _ = writeln!(
            migrations,
            "    Migration {{ version: {version:?}, name: {name:?}, sql: include_str!({:?}) }},",
            path.canonicalize()
                .expect("migration path")
                .display()
                .to_string()
        );
    }
    migrations.push(']');
    fs::write(Path::new(&out).join("migrations.rs"), migrations).expect("writable OUT_DIR");
}

fn sorted_sql_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    files
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Splits a file into `(name, sql)` at each `-- name: X` header line.
fn named_queries(text: &str, path: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.trim().strip_prefix("-- name:") {
            out.push((name.trim().to_string(), String::new()));
        } else if let Some((_, sql)) = out.last_mut() {
            if !line.trim_start().starts_with("--") {
                sql.push_str(line);
                sql.push('\n');
            }
        } else if !line.trim().is_empty() && !line.trim_start().starts_with("--") {
            panic!("{}: SQL before the first `-- name:` header", path.display());
        }
    }
    for (name, sql) in &mut out {
        *sql = sql.trim().trim_end_matches(';').to_string();
        assert!(!sql.is_empty(), "{}: query {name} is empty", path.display());
    }
    out
}

fn screaming_snake(camel: &str) -> String {
    let mut s = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            s.push('_');
        }
        s.push(c.to_ascii_uppercase());
    }
    s
}
