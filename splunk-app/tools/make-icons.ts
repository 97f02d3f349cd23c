/**
 * Draws the app's icons (static/appIcon*.png, appLogo*.png): a navy rounded square with three ascending
 * risk bars. Deterministic; run `node --import tsx splunk-app/tools/make-icons.ts` after changing the drawing.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { deflateSync } from "node:zlib";

type RGBA = [number, number, number, number];

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** An RGBA PNG of `w`×`h` from a pixel function. */
export function png(w: number, h: number, px: (x: number, y: number) => RGBA): Buffer {
  const raw = Buffer.alloc((w * 4 + 1) * h);
  for (let y = 0; y < h; y++) {
    raw[y * (w * 4 + 1)] = 0;
    for (let x = 0; x < w; x++) raw.set(px(x, y), y * (w * 4 + 1) + 1 + x * 4);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

function icon(size: number, bg: RGBA): Buffer {
  const s = size / 36;
  const r = 6 * s;
  const bars: { x0: number; x1: number; top: number; c: RGBA }[] = [
    { x0: 7, x1: 13, top: 20, c: [76, 175, 80, 255] },
    { x0: 15, x1: 21, top: 13, c: [255, 152, 0, 255] },
    { x0: 23, x1: 29, top: 6, c: [229, 57, 53, 255] },
  ];
  return png(size, size, (x, y) => {
    const cx = Math.min(Math.max(x + 0.5, r), size - r);
    const cy = Math.min(Math.max(y + 0.5, r), size - r);
    if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 > r * r) return [0, 0, 0, 0];
    const ux = (x + 0.5) / s;
    const uy = (y + 0.5) / s;
    for (const b of bars) if (ux >= b.x0 && ux < b.x1 && uy >= b.top && uy < 30) return b.c;
    return bg;
  });
}

const dir = join(import.meta.dirname, "..", "app", "static");
const navy: RGBA = [26, 43, 69, 255];
const slate: RGBA = [60, 72, 88, 255];
writeFileSync(join(dir, "appIcon.png"), icon(36, navy));
writeFileSync(join(dir, "appIcon_2x.png"), icon(72, navy));
writeFileSync(join(dir, "appIconAlt.png"), icon(36, slate));
writeFileSync(join(dir, "appIconAlt_2x.png"), icon(72, slate));
writeFileSync(join(dir, "appLogo.png"), icon(80, navy));
writeFileSync(join(dir, "appLogo_2x.png"), icon(160, navy));
