import { jest, describe, it, expect, afterEach } from '@jest/globals'
import { daysUntil, parseExpiration } from '../src/gate/expiry.js'

const NOW = new Date('2026-11-21T12:00:00Z')

describe('parseExpiration: GitHub and ISO 8601', () => {
  it.each([
    // GitHub's own forms
    ['2026-12-01 10:00:00 UTC', '2026-12-01T10:00:00Z'],
    ['2026-12-01 10:00:00 +0900', '2026-12-01T01:00:00Z'],
    ['2026-12-01 10:00:00 -0500', '2026-12-01T15:00:00Z'],
    ['2026-12-01 10:00:00 +05:30', '2026-12-01T04:30:00Z'],
    ['2026-12-01 02:00:00 +0900', '2026-11-30T17:00:00Z'],
    ['2026-12-01 10:00:00 GMT', '2026-12-01T10:00:00Z'],
    ['  2026-12-01 10:00:00 utc  ', '2026-12-01T10:00:00Z'],
    ['2026-12-01 10:00 UTC', '2026-12-01T10:00:00Z'],
    ['2026-12-01 10:00:00', '2026-12-01T10:00:00Z'],
    // ISO 8601
    ['2026-12-01T10:00:00Z', '2026-12-01T10:00:00Z'],
    ['2026-12-01t10:00:00z', '2026-12-01T10:00:00Z'],
    ['2026-12-01T10:00:00+09:00', '2026-12-01T01:00:00Z'],
    ['2026-12-01T10:00:00-03:30', '2026-12-01T13:30:00Z'],
    ['2026-12-01T10:00:00+14:00', '2026-11-30T20:00:00Z'],
    ['2026-12-01T10:00:00+09', '2026-12-01T01:00:00Z'],
    ['2026-12-01T10:00:00.123Z', '2026-12-01T10:00:00Z'],
    ['2026-12-01T10:00:00,5+01:00', '2026-12-01T09:00:00Z'],
    ['2026-12-01T10:00Z', '2026-12-01T10:00:00Z'],
    ['2026-12-01T10:00+02:00', '2026-12-01T08:00:00Z'],
    // a date alone is midnight UTC
    ['2026-12-01', '2026-12-01T00:00:00Z'],
    // a leap second is read as the second before it
    ['2026-12-31 23:59:60 UTC', '2026-12-31T23:59:59Z'],
    ['2028-02-29 12:00:00 UTC', '2028-02-29T12:00:00Z']
  ])('reads %j as %s', (value, expected) => {
    expect(parseExpiration(value)).toBe(expected)
  })
})

describe('parseExpiration: HTTP-date', () => {
  afterEach(() => {
    jest.useRealTimers()
  })

  it.each([
    // IMF-fixdate (RFC 9110 §5.6.7's example and GitHub-style times)
    ['Sun, 06 Nov 1994 08:49:37 GMT', '1994-11-06T08:49:37Z'],
    ['Tue, 01 Dec 2026 10:00:00 GMT', '2026-12-01T10:00:00Z'],
    ['Tue, 1 Dec 2026 10:00:00 UTC', '2026-12-01T10:00:00Z'],
    ['Tue, 01 Dec 2026 10:00:00 +0900', '2026-12-01T01:00:00Z'],
    ['01 Dec 2026 10:00:00', '2026-12-01T10:00:00Z'],
    // asctime
    ['Sun Nov  6 08:49:37 1994', '1994-11-06T08:49:37Z'],
    ['Tue Dec 1 10:00:00 2026', '2026-12-01T10:00:00Z']
  ])('reads %j as %s', (value, expected) => {
    expect(parseExpiration(value)).toBe(expected)
  })

  it.each([
    // RFC 850, two-digit years: no more than 50 years ahead of now (2026), else the past century
    ['Sunday, 06-Nov-94 08:49:37 GMT', '1994-11-06T08:49:37Z'],
    ['Tuesday, 01-Dec-26 10:00:00 GMT', '2026-12-01T10:00:00Z'],
    ['Sunday, 01-Dec-76 10:00:00 GMT', '2076-12-01T10:00:00Z'],
    ['Wednesday, 01-Dec-77 10:00:00 GMT', '1977-12-01T10:00:00Z']
  ])('reads the RFC 850 date %j as %s', (value, expected) => {
    jest.useFakeTimers({ now: NOW })
    expect(parseExpiration(value)).toBe(expected)
  })

  it('reads two-digit years relative to the current year', () => {
    jest.useFakeTimers({ now: new Date('2090-01-01T00:00:00Z') })
    expect(parseExpiration('Sunday, 01-Dec-26 10:00:00 GMT')).toBe('2026-12-01T10:00:00Z')
    expect(parseExpiration('Sunday, 01-Dec-99 10:00:00 GMT')).toBe('2099-12-01T10:00:00Z')
  })
})

describe('parseExpiration: refused', () => {
  it.each([
    [''],
    ['   '],
    ['never'],
    ['soon-ish'],
    ['1764583200'],
    ['2026-13-01 10:00:00 UTC'],
    ['2026-00-01 10:00:00 UTC'],
    ['2026-02-31 10:00:00 UTC'],
    ['2027-02-29 10:00:00 UTC'],
    ['2026-04-31'],
    ['2026-12-00'],
    ['2026-12-01 25:00:00 UTC'],
    ['2026-12-01 10:60:00 UTC'],
    ['2026-12-01 10:00:61 UTC'],
    ['2026-12-01 10:00:00 +2500'],
    ['2026-12-01T10:00:00+15:00'],
    ['2026-12-01T10:00:00+09:60'],
    ['2026-12-01 10:00:00 PST'],
    ['2026-12-01T10:00:00Z trailing'],
    ['2026-12-1 10:00:00 UTC'],
    ['Tue, 31 Feb 2026 10:00:00 GMT'],
    ['Tue, 01 Foo 2026 10:00:00 GMT'],
    ['Tue, 01 Dec 2026 10:00:00 PST'],
    ['Tue, 01 Dec 2026 10:00:00 +1500'],
    ['Tue Feb 30 10:00:00 2026'],
    ['Tue Dec  1 10:00:00 26'],
    ['2026-12-01 10:00:00 UTC\n::warning::x']
  ])('refuses %j', (value) => {
    expect(parseExpiration(value)).toBeUndefined()
  })
})

describe('daysUntil', () => {
  it('counts whole days, rounding down', () => {
    expect(daysUntil('2026-11-28T12:00:00Z', NOW)).toBe(7)
    expect(daysUntil('2026-11-28T11:59:59Z', NOW)).toBe(6)
    expect(daysUntil('2026-11-21T13:00:00Z', NOW)).toBe(0)
    expect(daysUntil('2026-11-21T12:00:00Z', NOW)).toBe(0)
    expect(daysUntil('2026-11-21T11:59:59Z', NOW)).toBe(-1)
    expect(daysUntil('2026-11-20T12:00:00Z', NOW)).toBe(-1)
  })
})
