/**
 * Times as cosign's `trusted-root create` and `signing-config create` read and write them: Go's
 * `time.Parse(time.RFC3339, …)` on the way in, protobuf JSON `google.protobuf.Timestamp` on the
 * way out (protojson: UTC, `Z`, 0, 3, 6 or 9 fractional digits). Nanoseconds are kept, as Go
 * keeps them.
 *
 * @module
 */

/** A point in time with nanosecond precision (google.protobuf.Timestamp). */
export interface ProtoTime {
  /** Seconds since the Unix epoch (negative before 1970). */
  seconds: number;
  /** 0 to 999 999 999. */
  nanos: number;
}

/** Go's zero `time.Time` (0001-01-01T00:00:00Z), which protojson writes as such. */
export const ZERO_TIME: ProtoTime = { seconds: -62135596800, nanos: 0 };

/** Go's `time.Unix(0, 0)`. */
export const EPOCH: ProtoTime = { seconds: 0, nanos: 0 };

function daysIn(month: number, year: number): number {
  if (month === 2) return (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function secondsOf(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  return date.getTime() / 1000;
}

/**
 * Parses an RFC 3339 time the way Go's `time.Parse(time.RFC3339, text)` does on its exact path:
 * `YYYY-MM-DDTHH:MM:SS`, optional `.` and fractional digits (the first nine count), then `Z` or
 * `±HH:MM`.
 *
 * @param text the time
 * @returns the time, or undefined when it is not RFC 3339
 */
export function parseRfc3339(text: string): ProtoTime | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$/
    .exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(mo, y) || h > 23 || mi > 59 || s > 59) {
    return undefined;
  }
  const nanos = m[7] ? Number(m[7].slice(0, 9).padEnd(9, "0")) : 0;
  let seconds = secondsOf(y, mo, d, h, mi, s);
  if (m[8] !== "Z") {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    seconds -= (m[9] === "-" ? -1 : 1) * (oh * 3600 + om * 60);
  }
  return { seconds, nanos };
}

/**
 * A time from milliseconds since the epoch (certificate validity, parsed trusted roots).
 *
 * @param ms milliseconds since the epoch
 * @returns the time
 */
export function timeFromMillis(ms: number): ProtoTime {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

/**
 * Compares two times.
 *
 * @returns negative, zero or positive as `a` is before, equal to or after `b`
 */
export function compareTimes(a: ProtoTime, b: ProtoTime): number {
  return a.seconds !== b.seconds ? a.seconds - b.seconds : a.nanos - b.nanos;
}

/**
 * Formats a time as protojson writes a `google.protobuf.Timestamp`: UTC, `Z`, and 0, 3, 6 or 9
 * fractional digits, the fewest that hold the nanoseconds.
 *
 * @param t the time
 * @returns e.g. "2025-01-01T00:00:00Z", "2022-04-13T20:06:15.123Z"
 */
export function formatProtoTime(t: ProtoTime): string {
  const d = new Date(t.seconds * 1000);
  const y = d.getUTCFullYear();
  const two = (n: number) => String(n).padStart(2, "0");
  let out = `${String(y).padStart(4, "0")}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}T` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  if (t.nanos !== 0) {
    const digits = String(t.nanos).padStart(9, "0");
    out += "." +
      (t.nanos % 1_000_000 === 0
        ? digits.slice(0, 3)
        : t.nanos % 1000 === 0
        ? digits.slice(0, 6)
        : digits);
  }
  return out + "Z";
}
