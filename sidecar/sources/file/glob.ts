/**
 * `source.file.paths` entries as files: a literal path names one file; a pattern with `*`, `?` or `[...]` in
 * any segment (and `**` for any number of directories) names the files that match now. Node 20 has no
 * `fs.glob`, and this is all the file source needs.
 *
 * Contract:
 * - `*` and `?` never match `/`, and never match a leading `.` (hidden files, as in a shell). `**` as a whole
 *   segment matches zero or more directories.
 * - Matches of one pattern come oldest first (modification time, then path), so rotated archives are read
 *   before the live file they came from. Across patterns the configured order holds; a file two patterns
 *   match comes once, at its first.
 * - Only regular files match. A literal path that does not exist is reported (`missing`); a pattern that
 *   matches nothing is not an error (a log directory may have no archive yet).
 */
import { readdir, stat } from "node:fs/promises";
import { isAbsolute, join, sep } from "node:path";

export interface Expanded {
  files: string[];
  /** Literal paths that do not exist or are not regular files, with the reason. */
  missing: { path: string; reason: string }[];
}

const MAGIC = /[*?[]/;

export function isPattern(path: string): boolean {
  return MAGIC.test(path);
}

export async function expandPaths(patterns: readonly string[]): Promise<Expanded> {
  const seen = new Set<string>();
  const out: Expanded = { files: [], missing: [] };
  for (const p of patterns) {
    if (!isPattern(p)) {
      try {
        const s = await stat(p);
        if (!s.isFile()) out.missing.push({ path: p, reason: s.isDirectory() ? "is a directory, not a file (use a pattern such as dir/*.log)" : "is not a regular file" });
        else if (!seen.has(p)) {
          seen.add(p);
          out.files.push(p);
        }
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        out.missing.push({ path: p, reason: code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (e as Error).message });
      }
      continue;
    }
    const matches: { path: string; mtime: number }[] = [];
    const segments = p.split(sep);
    const root = isAbsolute(p) ? sep : ".";
    await walk(root, segments[0] === "" ? segments.slice(1) : segments, matches, root === ".");
    matches.sort((a, b) => a.mtime - b.mtime || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    for (const m of matches) {
      if (seen.has(m.path)) continue;
      seen.add(m.path);
      out.files.push(m.path);
    }
  }
  return out;
}

async function walk(dir: string, segments: string[], out: { path: string; mtime: number }[], relative: boolean): Promise<void> {
  const [seg, ...rest] = segments;
  if (seg === undefined) return;
  const here = (name: string) => (relative && dir === "." ? name : join(dir, name));
  if (seg === "**") {
    await walk(dir, rest, out, relative);
    for (const d of await entries(dir)) if (d.dir && !d.name.startsWith(".")) await walk(here(d.name), segments, out, relative);
    return;
  }
  if (!isPattern(seg)) {
    const next = here(seg);
    if (rest.length === 0) await addFile(next, out);
    else await walk(next, rest, out, relative);
    return;
  }
  const re = segmentRegExp(seg);
  for (const d of await entries(dir)) {
    if (!re.test(d.name)) continue;
    if (rest.length === 0) {
      if (!d.dir) await addFile(here(d.name), out);
    } else if (d.dir) {
      await walk(here(d.name), rest, out, relative);
    }
  }
}

async function entries(dir: string): Promise<{ name: string; dir: boolean }[]> {
  try {
    const list = await readdir(dir, { withFileTypes: true });
    return list.map((d) => ({ name: d.name, dir: d.isDirectory() }));
  } catch {
    return [];
  }
}

async function addFile(path: string, out: { path: string; mtime: number }[]): Promise<void> {
  try {
    const s = await stat(path);
    if (s.isFile()) out.push({ path, mtime: s.mtimeMs });
  } catch {
    // Gone between listing and stat: rotated away; it is not a match now.
  }
}

/** One path segment's pattern as a regular expression; `*` and `?` do not match a leading dot. */
export function segmentRegExp(seg: string): RegExp {
  let re = "";
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = seg.indexOf("]", i + 2);
      if (end < 0) re += "\\[";
      else {
        let cls = seg.slice(i + 1, end).replace(/\\/g, "\\\\");
        if (cls.startsWith("!")) cls = `^${cls.slice(1)}`;
        re += `[${cls}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(seg.startsWith(".") ? `^${re}$` : `^(?!\\.)${re}$`);
}
