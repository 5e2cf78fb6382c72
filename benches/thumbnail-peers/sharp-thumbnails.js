// sharp's side of scripts/bench-thumbnails: the same work as `bench-thumbnails` (three
// thumbnails, 150/300/600 px boxes, EXIF orientation applied, never enlarged, JPEG q82) on
// one thread, timed in-process. sharp's own recommended use: one pipeline per output, each
// decoding with shrink-on-load for its size.
// Usage: node sharp-thumbnails.js FILE ITERATIONS WARMUP
// Prints: method=sharp ... wall_ms=... cpu_ms=... images_per_s=... per image: the wall time's
// median over iterations and the CPU time's mean (process-wide, libvips threads included).
'use strict';
const fs = require('fs');
const sharp = require('sharp');

const [file, iterations = '20', warmup = '2'] = process.argv.slice(2);
sharp.concurrency(1); // libvips worker threads: one, like the other peers
sharp.cache(false); // no result cache: every iteration decodes the file again

const input = fs.readFileSync(file);
const boxes = [600, 300, 150];

async function thumbnails() {
  return Promise.all(boxes.map((box) =>
    sharp(input)
      .rotate() // EXIF orientation
      .resize(box, box, { fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: 82 })
      .toBuffer({ resolveWithObject: true })));
}

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

(async () => {
  const first = await thumbnails();
  for (let i = 0; i < Number(warmup); i++) await thumbnails();
  const walls = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < Number(iterations); i++) {
    const t0 = process.hrtime.bigint();
    await thumbnails();
    walls.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const c = process.cpuUsage(cpu0);
  const wall = median(walls), cpu = (c.user + c.system) / 1e3 / Number(iterations);
  const sizes = first.map((r) => `${r.info.width}x${r.info.height}`).reverse().join(',');
  console.log(`method=sharp-${sharp.versions.sharp}-libvips-${sharp.versions.vips} sizes=${sizes} iterations=${iterations} wall_ms=${wall.toFixed(1)} cpu_ms=${cpu.toFixed(1)} images_per_s=${(1000 / wall).toFixed(2)}`);
})().catch((e) => { console.error(e); process.exit(1); });
