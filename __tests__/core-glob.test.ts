import { describe, expect, it } from '@jest/globals'
import { globMatches } from '../src/core/glob.js'

/** The same pattern as a regular expression, for small cases only (it backtracks). */
const reference = (pattern: string, name: string): boolean =>
  new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.@_-]/g, '\\$&')))
      .join('')}$`,
    's'
  ).test(name)

describe('globMatches', () => {
  it('matches whole names: * any run (none included), ? exactly one character', () => {
    expect(globMatches('prod-*', 'prod-app')).toBe(true)
    expect(globMatches('prod-*', 'prod-')).toBe(true)
    expect(globMatches('prod-*', 'staging-prod-app')).toBe(false)
    expect(globMatches('*-app', 'prod-app')).toBe(true)
    expect(globMatches('*-app', 'prod-app-2')).toBe(false)
    expect(globMatches('app-?', 'app-1')).toBe(true)
    expect(globMatches('app-?', 'app-')).toBe(false)
    expect(globMatches('app-?', 'app-12')).toBe(false)
    expect(globMatches('*', '')).toBe(true)
    expect(globMatches('', '')).toBe(true)
    expect(globMatches('', 'a')).toBe(false)
    expect(globMatches('a', '')).toBe(false)
    expect(globMatches('**a**', 'bab')).toBe(true)
    // Names may begin with a dot: * matches it (as picomatch's dot: true did).
    expect(globMatches('*', '.hidden')).toBe(true)
    // Case-sensitive, as pipeline names are.
    expect(globMatches('Prod-*', 'prod-app')).toBe(false)
  })

  it('agrees with a regular expression on every small pattern and name', () => {
    const patterns = [
      '',
      '*',
      '?',
      'a',
      'a*',
      '*a',
      '*a*',
      'a?b',
      '*a?',
      '?*?',
      'a*b*a',
      '*ab*ba*',
      'a**b'
    ]
    const names: string[] = ['']
    for (let length = 1; length <= 5; length++) {
      for (let i = 0; i < 2 ** length; i++) {
        names.push(i.toString(2).padStart(length, '0').replace(/0/g, 'a').replace(/1/g, 'b'))
      }
    }
    for (const pattern of patterns) {
      for (const name of names) {
        expect([pattern, name, globMatches(pattern, name)]).toEqual([
          pattern,
          name,
          reference(pattern, name)
        ])
      }
    }
  })

  it('answers a pattern that makes backtracking engines run for minutes at once', () => {
    // picomatch (a regular expression) ran past 60 s on this; jest's timeout catches a hang.
    const name = 'a'.repeat(100)
    expect(globMatches('*a*a*a*a*a*a*a*a*b', name)).toBe(false)
    expect(globMatches('*a*a*a*a*a*a*a*a*b', `${name.slice(1)}b`)).toBe(true)
    const longest = `${'*a'.repeat(49)}*b`
    for (let i = 0; i < 100; i++) expect(globMatches(longest, name)).toBe(false)
  })
})
