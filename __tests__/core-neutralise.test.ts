import { describe, it, expect } from '@jest/globals'
import { cell, neutralise } from '../src/core/neutralise.js'

/** Every character the runner or a terminal could read as a line break or a control. */
const CONTROLS = [
  ...Array.from({ length: 0x20 }, (_, i) => i),
  ...Array.from({ length: 0x9f - 0x7f + 1 }, (_, i) => 0x7f + i),
  0x2028,
  0x2029
].map((code) => String.fromCharCode(code))

/** A line the runner would read as a workflow command. */
const COMMAND = /^\s*(::|##\[)/

describe('neutralise', () => {
  it('shows line breaks and tabs as their escapes', () => {
    expect(neutralise('a\nb')).toBe('a\\nb')
    expect(neutralise('a\r\nb')).toBe('a\\r\\nb')
    expect(neutralise('a\tb')).toBe('a\\tb')
  })

  it('shows every other C0 and C1 control, DEL and U+2028/2029 as a \\u escape', () => {
    expect(neutralise('\u0000')).toBe('\\u0000')
    expect(neutralise('\u001b[31mred')).toBe('\\u001b[31mred')
    expect(neutralise('\u007f')).toBe('\\u007f')
    expect(neutralise('\u0085')).toBe('\\u0085')
    expect(neutralise('\u009f')).toBe('\\u009f')
    expect(neutralise('a\u2028b\u2029c')).toBe('a\\u2028b\\u2029c')
    for (const char of CONTROLS) {
      const out = neutralise(`x${char}y`)
      expect(out).toMatch(/^x\\(n|r|t|u[0-9a-f]{4})y$/)
      expect([...out].some((c) => CONTROLS.includes(c))).toBe(false)
    }
  })

  it('keeps printable text, including non-ASCII, as it is', () => {
    const text = 'pipeline café in eu-west-1 — 3 updated ✅ 日本 :: a ##[b]'
    expect(neutralise(text)).toBe(text)
  })

  it.each([
    ['::warning::pwned', '» ::warning::pwned'],
    ['::stop-commands::x', '» ::stop-commands::x'],
    ['  ::error::x', '  » ::error::x'],
    ['\u00a0\u3000::add-mask::x', '\u00a0\u3000» ::add-mask::x'],
    ['##[error]x', '» ##[error]x'],
    [' ##[group]x', ' » ##[group]x']
  ])('cannot start a workflow command with %j', (text, expected) => {
    const out = neutralise(text)
    expect(out).toBe(expected)
    expect(out).not.toMatch(COMMAND)
  })

  it('turns a value with a line break and a command into one harmless line', () => {
    const hostile = 'repo\n::warning::fake\r\n##[error]fake\u2028::stop-commands::x'
    const out = neutralise(hostile)
    expect(out.split(/\r\n|\r|\n|\u2028|\u2029/)).toEqual([out])
    expect(out).not.toMatch(COMMAND)
    expect(out).toBe('repo\\n::warning::fake\\r\\n##[error]fake\\u2028::stop-commands::x')
  })

  it('leaves a tab before :: escaped rather than blank, so no command starts', () => {
    expect(neutralise('\t::error::x')).toBe('\\t::error::x')
  })

  it('leaves :: and ##[ alone when they do not start the line', () => {
    expect(neutralise('see a::b and c##[d')).toBe('see a::b and c##[d')
  })
})

describe('cell', () => {
  it('escapes the pipe, so a value cannot end its cell', () => {
    expect(cell('a|b')).toBe('a\\|b')
  })

  it('turns HTML into text', () => {
    expect(cell('<img src=x onerror=alert(1)>')).toBe('&lt;img src=x onerror=alert(1)&gt;')
  })

  it('escapes link and image syntax', () => {
    expect(cell('![x](https://evil.example/)')).toBe('\\!\\[x\\](https://evil.example/)')
    expect(cell('[click](https://evil.example/)')).toBe('\\[click\\](https://evil.example/)')
  })

  it('doubles a backslash, so it cannot escape the escapes', () => {
    expect(cell('a\\b')).toBe('a\\\\b')
    // a\|b: the backslash is doubled, then the pipe escaped: \\\| reads as \ and |.
    expect(cell('a\\|b')).toBe('a\\\\\\|b')
    expect(cell('\\[x\\]')).toBe('\\\\\\[x\\\\\\]')
  })

  it('keeps a cell on one line, with the line breaks shown as escapes', () => {
    expect(cell('line 1\r\nline 2\u2028line 3')).toBe('line 1\\r\\nline 2\\u2028line 3')
  })

  it('cannot start a workflow command either', () => {
    expect(cell('::error::x')).toBe('» ::error::x')
  })

  it('leaves ordinary text alone', () => {
    expect(cell('✅ updated: pipeline app (stack app-stack), v3 → v4')).toBe(
      '✅ updated: pipeline app (stack app-stack), v3 → v4'
    )
  })
})
