/**
 * A small, deterministic ustar writer and reader: enough to build and re-open the app package without a
 * dependency. Entries are written in the given order with uid/gid 0, empty user and group names and one fixed
 * mtime, so the same tree gives the same bytes.
 */
import { gunzipSync, gzipSync } from "node:zlib";

export interface TarEntry {
  /** Path inside the archive, `/`-separated; directories end with `/`. */
  path: string;
  type: "file" | "dir";
  mode: number;
  data?: Buffer;
  mtime?: number;
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, "0")}\0`;
}

function header(e: TarEntry, mtime: number): Buffer {
  const h = Buffer.alloc(512);
  let name = e.path;
  let prefix = "";
  if (Buffer.byteLength(name) > 100) {
    // ustar: split at a '/' so that the prefix fits 155 bytes and the rest 100.
    let at = -1;
    for (let i = name.indexOf("/"); i >= 0; i = name.indexOf("/", i + 1)) {
      if (i <= 155 && Buffer.byteLength(name.slice(i + 1)) <= 100) {
        at = i;
        break;
      }
    }
    if (at < 0) throw new Error(`path too long for ustar: ${e.path}`);
    prefix = name.slice(0, at);
    name = name.slice(at + 1);
  }
  h.write(name, 0, 100, "utf8");
  h.write(octal(e.mode & 0o7777, 8), 100, 8, "ascii");
  h.write(octal(0, 8), 108, 8, "ascii");
  h.write(octal(0, 8), 116, 8, "ascii");
  h.write(octal(e.type === "file" ? (e.data?.length ?? 0) : 0, 12), 124, 12, "ascii");
  h.write(octal(mtime, 12), 136, 12, "ascii");
  h.write("        ", 148, 8, "ascii");
  h.write(e.type === "dir" ? "5" : "0", 156, 1, "ascii");
  h.write("ustar\0", 257, 6, "ascii");
  h.write("00", 263, 2, "ascii");
  h.write(prefix, 345, 155, "utf8");
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "ascii");
  return h;
}

/** A gzipped ustar archive of `entries`, every entry stamped with `mtime` (epoch seconds). */
export function tarGz(entries: TarEntry[], mtime: number): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(header(e, e.mtime ?? mtime));
    if (e.type === "file" && e.data) {
      parts.push(e.data);
      const pad = (512 - (e.data.length % 512)) % 512;
      if (pad) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts), { level: 9 });
}

function cstr(b: Buffer, off: number, len: number): string {
  const s = b.subarray(off, off + len);
  const z = s.indexOf(0);
  return s.subarray(0, z < 0 ? len : z).toString("utf8");
}

/** Reads a gzipped tar (ustar/GNU plain entries). Throws on a corrupt archive. */
export function readTarGz(buf: Buffer): TarEntry[] {
  const tar = gunzipSync(buf);
  const out: TarEntry[] = [];
  let off = 0;
  while (off + 512 <= tar.length) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
    const stored = parseInt(cstr(h, 148, 8).trim(), 8);
    if (stored !== sum) throw new Error(`corrupt tar header at byte ${off}`);
    const name = cstr(h, 0, 100);
    const prefix = cstr(h, 257, 6).startsWith("ustar") ? cstr(h, 345, 155) : "";
    const path = prefix ? `${prefix}/${name}` : name;
    const size = parseInt(cstr(h, 124, 12).trim() || "0", 8);
    const mode = parseInt(cstr(h, 100, 8).trim() || "0", 8);
    const mtime = parseInt(cstr(h, 136, 12).trim() || "0", 8);
    const flag = String.fromCharCode(h[156]);
    off += 512;
    const data = tar.subarray(off, off + size);
    off += Math.ceil(size / 512) * 512;
    if (flag === "5") out.push({ path, type: "dir", mode, mtime });
    else if (flag === "0" || flag === "\0") out.push({ path, type: "file", mode, data: Buffer.from(data), mtime });
    else throw new Error(`unsupported tar entry type '${flag}' for ${path}`);
  }
  return out;
}
