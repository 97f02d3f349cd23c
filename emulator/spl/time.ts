// Splunk time specifiers for earliest/latest (job parameters and search-time modifiers).
// Supported: epoch seconds (fractional allowed), `now`, relative `[+-]N<unit>` with an optional
// snap `@<unit>` (snapping is done in UTC; Splunk snaps in the user's time zone), a bare snap `@d`,
// and ISO 8601 date-times. Returns epoch seconds, or undefined for an empty spec.

const UNIT_SECONDS: Record<string, number> = {
  s: 1, sec: 1, secs: 1, second: 1, seconds: 1,
  m: 60, min: 60, mins: 60, minute: 60, minutes: 60,
  h: 3600, hr: 3600, hrs: 3600, hour: 3600, hours: 3600,
  d: 86400, day: 86400, days: 86400,
  w: 604800, week: 604800, weeks: 604800,
  mon: 2592000, month: 2592000, months: 2592000,
  y: 31536000, yr: 31536000, yrs: 31536000, year: 31536000, years: 31536000,
};

export class TimeSpecError extends Error {}

function snap(t: number, unit: string): number {
  const d = new Date(t * 1000);
  switch (unit) {
    case "s": case "sec": case "second": return Math.floor(t);
    case "m": case "min": case "minute": return Math.floor(t / 60) * 60;
    case "h": case "hr": case "hour": return Math.floor(t / 3600) * 3600;
    case "d": case "day": return Math.floor(t / 86400) * 86400;
    case "w": case "week": {
      const day = Math.floor(t / 86400) * 86400;
      return day - d.getUTCDay() * 86400;
    }
    case "mon": case "month": return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / 1000;
    case "y": case "yr": case "year": return Date.UTC(d.getUTCFullYear(), 0, 1) / 1000;
    default: throw new TimeSpecError(`Invalid snap unit '${unit}'`);
  }
}

/** Parses a time specifier relative to `nowSeconds`. */
export function parseTimeSpec(spec: string | undefined, nowSeconds: number): number | undefined {
  if (spec === undefined) return undefined;
  const s = spec.trim();
  if (s === "") return undefined;
  if (s === "now") return nowSeconds;
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  const rel = /^([+-]\d+)?([a-z]+)?(?:@([a-z]+))?$/i.exec(s);
  if (rel && (rel[1] !== undefined || rel[3] !== undefined) && !(rel[1] === undefined && rel[2] !== undefined)) {
    let t = nowSeconds;
    if (rel[1] !== undefined) {
      const unit = (rel[2] ?? "s").toLowerCase();
      const mult = UNIT_SECONDS[unit];
      if (mult === undefined) throw new TimeSpecError(`Invalid time unit '${unit}' in '${spec}'`);
      t += Number(rel[1]) * mult;
    }
    if (rel[3] !== undefined) t = snap(t, rel[3].toLowerCase());
    return t;
  }
  const ms = Date.parse(s);
  if (!Number.isNaN(ms) && /^\d{4}-\d{2}-\d{2}/.test(s)) return ms / 1000;
  throw new TimeSpecError(`Invalid value "${spec}" for time term`);
}

/** Splunk's JSON rendering of `_time`: ISO 8601 with milliseconds and an explicit UTC offset. */
export function formatIsoTime(epochSeconds: number): string {
  return new Date(Math.round(epochSeconds * 1000)).toISOString().replace("Z", "+00:00");
}
