/**
 * GitHub-Authentication-Token-Expiration, in every form GitHub and HTTP use
 * for a time: GitHub's `2026-12-01 10:00:00 UTC` and `… +0900`, ISO 8601
 * (`2026-12-01T10:00:00Z`, offsets, fractions, a date alone) and HTTP-date
 * (RFC 9110 §5.6.7: IMF-fixdate, and the obsolete RFC 850 and asctime forms).
 * A header in any other form is not guessed at: the caller refuses the token.
 */

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']

// 2026-12-01 10:00:00 UTC · 2026-12-01T10:00:00.5+09:00 · 2026-12-01 10:00 +0900 · 2026-12-01
const NUMERIC =
  /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*(UTC|GMT|Z|[+-]\d{2}(?::?\d{2})?)?)?$/i
// Thu, 03 Dec 2026 08:07:29 GMT (IMF-fixdate) · Thursday, 03-Dec-26 08:07:29 GMT (RFC 850)
const HTTP_DATE =
  /^(?:[a-z]+,\s*)?(\d{1,2})[ -]([a-z]{3})[ -](\d{2}|\d{4})\s+(\d{2}):(\d{2}):(\d{2})\s*(GMT|UTC|Z|[+-]\d{4})?$/i
// Thu Dec  3 08:07:29 2026 (asctime)
const ASCTIME = /^[a-z]{3}\s+([a-z]{3})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})\s+(\d{4})$/i

interface Parts {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
  zone: string
}

function offsetMinutes(zone: string): number | undefined {
  if (/^(UTC|GMT|Z)$/i.test(zone)) return 0
  const match = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)
  if (!match) return undefined
  const [, sign, hh = '0', mm = '0'] = match
  if (Number(hh) > 14 || Number(mm) > 59) return undefined
  return (sign === '-' ? -1 : 1) * (Number(hh) * 60 + Number(mm))
}

function toIso(parts: Parts): string | undefined {
  const { year, month, day, hour, minute, second, zone } = parts
  const fields = [year, month, day, hour, minute, second]
  if (fields.some((f) => !Number.isInteger(f))) return undefined
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return undefined
  }
  const offset = offsetMinutes(zone)
  if (offset === undefined) return undefined
  const local = Date.UTC(year, month - 1, day, hour, minute, Math.min(second, 59))
  // Date.UTC rolls 31 February over into March: refuse dates that do not exist.
  if (new Date(local).getUTCDate() !== day) return undefined
  return new Date(local - offset * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

const monthOf = (name: string) => MONTHS.indexOf(name.toLowerCase()) + 1

/** RFC 850's two-digit years: RFC 9110 reads one more than 50 years ahead as the past century. */
function fullYear(text: string): number {
  if (text.length === 4) return Number(text)
  const century = Math.floor(new Date().getUTCFullYear() / 100) * 100
  const year = century + Number(text)
  return year > new Date().getUTCFullYear() + 50 ? year - 100 : year
}

/** The expiry as ISO 8601 UTC (`2026-12-01T10:00:00Z`); undefined when it is in no known form. */
export function parseExpiration(value: string): string | undefined {
  const text = value.trim()
  // A group the pattern always captures is read with Number(), which is NaN
  // (and refused by toIso) should it ever be missing.
  const n = (m: RegExpExecArray, i: number) => Number(m[i])
  let m = NUMERIC.exec(text)
  if (m) {
    // Time and zone are optional: a date alone is midnight UTC, its earliest instant.
    const [h, mi, s] = [4, 5, 6].map((i) => Number(m?.[i] ?? 0)) as [number, number, number]
    const zone = m[7] ?? 'UTC'
    return toIso({
      year: n(m, 1),
      month: n(m, 2),
      day: n(m, 3),
      hour: h,
      minute: mi,
      second: s,
      zone
    })
  }
  m = HTTP_DATE.exec(text)
  if (m) {
    return toIso({
      year: fullYear(String(m[3])),
      month: monthOf(String(m[2])),
      day: n(m, 1),
      hour: n(m, 4),
      minute: n(m, 5),
      second: n(m, 6),
      zone: m[7] ?? 'GMT'
    })
  }
  m = ASCTIME.exec(text)
  if (m) {
    return toIso({
      year: n(m, 6),
      month: monthOf(String(m[1])),
      day: n(m, 2),
      hour: n(m, 3),
      minute: n(m, 4),
      second: n(m, 5),
      zone: 'GMT'
    })
  }
  return undefined
}

/** Whole days from now until the expiry (negative once expired). */
export function daysUntil(expiresAt: string, now: Date): number {
  return Math.floor((Date.parse(expiresAt) - now.getTime()) / 86_400_000)
}
