//! Times the three thumbnails (150/300/600) of one image, in this process, one thread.
//! `scripts/bench-thumbnails` runs it beside ImageMagick and sharp; `--decode` picks the
//! decode strategy, to keep the measurements behind the choice in `decode.rs` repeatable:
//!   scaled          the runner's path: JPEG decoded at reduced DCT scale (jpeg-decoder)
//!   full-zune       full-size decode with `image` 0.25 (zune-jpeg), same resize and encode
//!   full-jpeg-dec   full-size decode with jpeg-decoder, same resize and encode
//! Prints one line: `method=... iterations=N wall_ms=... cpu_ms=... images_per_s=...`
//! per image: wall time is the median over iterations; CPU time is the mean, from
//! /proc/self/stat, which counts every thread (jpeg-decoder decodes each colour component
//! on a thread of its own) in clock ticks, too coarse for one iteration.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use image::metadata::Orientation;
use media_runner::decode::{self, Pixels};
use media_runner::thumbnail::{THUMBNAIL_BOXES, Thumbnail, thumbnails, thumbnails_from_pixels};
use media_runner::{ImageError, Limits};

struct Args {
    file: PathBuf,
    decode: String,
    iterations: usize,
    warmup: usize,
    out: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let (mut file, mut decode, mut iterations, mut warmup, mut out) =
        (None, "scaled".to_owned(), 20, 2, None);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--decode" => decode = value("--decode")?,
            "--iterations" => {
                iterations = value("--iterations")?
                    .parse()
                    .map_err(|e| format!("--iterations: {e}"))?
            }
            "--warmup" => {
                warmup = value("--warmup")?
                    .parse()
                    .map_err(|e| format!("--warmup: {e}"))?
            }
            "--out" => out = Some(PathBuf::from(value("--out")?)),
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            s => file = Some(PathBuf::from(s)),
        }
    }
    let file = file.ok_or("usage: bench-thumbnails [--decode scaled|full-zune|full-jpeg-dec] [--iterations N] [--warmup N] [--out DIR] FILE")?;
    Ok(Args {
        file,
        decode,
        iterations: iterations.max(1),
        warmup,
        out,
    })
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-thumbnails: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let bytes = std::fs::read(&args.file).map_err(|e| format!("{}: {e}", args.file.display()))?;
    let limits = Limits::default();
    let make = |bytes: &[u8]| -> Result<Vec<Thumbnail>, ImageError> {
        match args.decode.as_str() {
            "scaled" => thumbnails(bytes, &limits),
            "full-zune" => {
                let header = decode::read_header(bytes, &limits)?;
                let image = image::load_from_memory_with_format(bytes, image::ImageFormat::Jpeg)?;
                let pixels = Pixels {
                    width: image.width(),
                    height: image.height(),
                    channels: 3,
                    data: image.into_rgb8().into_raw(),
                };
                thumbnails_from_pixels(
                    pixels,
                    (header.width, header.height),
                    Orientation::NoTransforms,
                    &THUMBNAIL_BOXES,
                )
            }
            "full-jpeg-dec" => {
                let header = decode::read_header(bytes, &limits)?;
                let pixels = decode::decode(bytes, &header, header.width, header.height, &limits)?;
                thumbnails_from_pixels(
                    pixels,
                    (header.width, header.height),
                    Orientation::NoTransforms,
                    &THUMBNAIL_BOXES,
                )
            }
            other => Err(ImageError::Unsupported(format!("--decode {other}"))),
        }
    };
    let first = make(&bytes).map_err(|e| e.to_string())?;
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        for t in &first {
            let ext = if t.content_type == "image/png" {
                "png"
            } else {
                "jpg"
            };
            std::fs::write(
                dir.join(format!("{}-{}.{ext}", args.decode, t.box_size)),
                &t.bytes,
            )
            .map_err(|e| e.to_string())?;
        }
    }
    for _ in 0..args.warmup {
        make(&bytes).map_err(|e| e.to_string())?;
    }
    let mut walls = Vec::new();
    let cpu_start = cpu_ms()?;
    for _ in 0..args.iterations {
        let t0 = Instant::now();
        let out = make(&bytes).map_err(|e| e.to_string())?;
        walls.push(t0.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(out);
    }
    let cpu = (cpu_ms()? - cpu_start) / args.iterations as f64;
    let wall = median(&mut walls);
    let header = decode::read_header(&bytes, &limits).map_err(|e| e.to_string())?;
    let sizes: Vec<String> = first
        .iter()
        .map(|t| format!("{}x{}", t.width, t.height))
        .collect();
    println!(
        "method={} input={}x{} sizes={} iterations={} wall_ms={wall:.1} cpu_ms={cpu:.1} images_per_s={:.2}",
        args.decode,
        header.width,
        header.height,
        sizes.join(","),
        args.iterations,
        1e3 / wall
    );
    Ok(())
}

/// CPU time (user + system) of this process and its finished threads so far, in ms.
/// Fields 14 and 15 of /proc/self/stat, in clock ticks: 100 per second on Linux (USER_HZ).
fn cpu_ms() -> Result<f64, String> {
    let stat =
        std::fs::read_to_string("/proc/self/stat").map_err(|e| format!("/proc/self/stat: {e}"))?;
    // The command name (field 2) is in parentheses and may contain spaces: count after it.
    let after = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or("bad /proc/self/stat")?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or("bad /proc/self/stat")
    };
    // After ")" the fields start at 3 (state), so utime (14) and stime (15) are at 11 and 12.
    Ok((ticks(11)? + ticks(12)?) as f64 * 10.0)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
