import { describe, it, expect } from '@jest/globals'
import { heldIn, newValueText, setJsonKey, ValueShapeError } from '../src/core/json-edit.js'

const TOKEN = 'unit-token-json-edit-0123456789'
const OLD = 'old-token-value-do-not-print'

function shapeError(edit: () => unknown): Error {
  try {
    edit()
  } catch (error) {
    expect(error).toBeInstanceOf(ValueShapeError)
    return error as Error
  }
  throw new Error('no ValueShapeError')
}

describe('setJsonKey', () => {
  it('replaces one string key and keeps every other byte, including numbers a double would round', () => {
    const text = '{ "a" : 1.50, "token":"x", "big": 12345678901234567890, "s": "}{\\"" }'
    const out = setJsonKey(text, 'token', 'new"value')
    expect(out).toEqual({
      text: '{ "a" : 1.50, "token":"new\\"value", "big": 12345678901234567890, "s": "}{\\"" }',
      added: false
    })
  })

  it('adds a missing key, on its own line with the same indentation in a multi-line object', () => {
    const out = setJsonKey('{\n  "a": [1, {"b": "]"}],\n  "c": null\n}', 'token', 'v')
    expect(out).toEqual({
      text: '{\n  "a": [1, {"b": "]"}],\n  "c": null,\n  "token": "v"\n}',
      added: true
    })
    expect(setJsonKey('{"only": "x"}', 'token', 'v').text).toBe('{"only": "x","token": "v"}')
    // An empty object: whatever spacing, the result holds exactly the new key.
    expect(JSON.parse(setJsonKey(' { } ', 'token', 'v').text)).toEqual({ token: 'v' })
  })

  it('indents an added key with tabs and CRLF line endings like the rest of the object', () => {
    expect(setJsonKey('{\r\n\t"a": "1"\r\n}', 'token', 'v')).toEqual({
      text: '{\r\n\t"a": "1",\r\n\t"token": "v"\r\n}',
      added: true
    })
    expect(setJsonKey('{\n    "a": "1"\n}', 'token', 'v').text).toBe(
      '{\n    "a": "1",\n    "token": "v"\n}'
    )
  })

  it('finds keys written with escapes', () => {
    expect(setJsonKey('{"to\\u006ben": "x", "k\\"": "y"}', 'token', 'v').text).toBe(
      '{"to\\u006ben": "v", "k\\"": "y"}'
    )
  })

  it('sets a key whose name holds a # (entries split at the first #)', () => {
    expect(setJsonKey('{"a#b": "x", "a": "y"}', 'a#b', 'v').text).toBe('{"a#b": "v", "a": "y"}')
  })

  // Changed: the messages say "it" (the same editor serves secrets and parameters).
  it.each([
    [
      'not json',
      "is not JSON, so key 'token' cannot be set in it — nothing was written to it: drop '#token' to replace the whole value, or store a JSON object in it first"
    ],
    ['', /is not JSON/],
    ['[1, 2]', /holds JSON that is an array, not an object/],
    ['"text"', /holds JSON that is a string, not an object/],
    ['null', /holds JSON that is null, not an object/],
    ['{"token": 5}', /key 'token' holds a number, not a string/],
    ['{"token": {"a": "b"}}', /key 'token' holds an object, not a string/],
    ['{"token": null}', /key 'token' holds null, not a string/],
    ['{"token": "a", "token": "b"}', /has key 'token' 2 times/]
  ])('refuses %j without echoing the value', (text, message) => {
    const error = shapeError(() => setJsonKey(text, 'token', TOKEN))
    if (typeof message === 'string') expect(error.message).toBe(message)
    else expect(error.message).toMatch(message)
    expect(error.message).toMatch(/nothing was written to it/)
    expect(error.message).not.toContain(TOKEN)
    expect(error.message).not.toMatch(/the secret/)
  })
})

describe('newValueText', () => {
  it('replaces a whole text value, and sets several keys in one edit', () => {
    expect(newValueText('old', 'whole', TOKEN, 'id')).toEqual({ text: TOKEN, added: [] })
    // A JSON number or literal is a plain value: its readers take the token as it is.
    expect(newValueText('12345', 'whole', TOKEN, 'id').text).toBe(TOKEN)
    expect(newValueText('true', 'whole', TOKEN, 'id').text).toBe(TOKEN)
    expect(newValueText('{"a": "1"}', ['a', 'b'], 'T', 'id')).toEqual({
      text: '{"a": "T","b": "T"}',
      added: ['b']
    })
  })

  it('leaves a value that already holds the token as it is', () => {
    const text = `{"a": "${TOKEN}", "n": 1.50}`
    expect(newValueText(text, ['a'], TOKEN, 'id')).toEqual({ text, added: [] })
    expect(newValueText(TOKEN, 'whole', TOKEN, 'id').text).toBe(TOKEN)
  })

  it('refuses to write over a JSON object, naming its keys but no values', () => {
    const error = shapeError(() =>
      newValueText(`{"user": "bot", "pat": "${OLD}"}`, 'whole', TOKEN, 'ci/x')
    )
    expect(error.message).toBe(
      'holds a JSON object (keys: user, pat) — nothing was written to it: name the key to set, e.g. ci/x#user; the token written over the whole value would lose the other keys'
    )
    expect(error.message).not.toContain(OLD)
    const many = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`k${i}`, 'v']))
    expect(() => newValueText(JSON.stringify(many), 'whole', TOKEN, 'x')).toThrow(
      /keys: k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, \.\.\.\)/
    )
    expect(() => newValueText('{}', 'whole', TOKEN, 'x')).toThrow(/keys: none\).*x#token/)
  })

  it('refuses the keys of a value that is not a JSON object', () => {
    expect(() => newValueText('plain', ['token'], TOKEN, 'x')).toThrow(ValueShapeError)
  })
})

describe('values nested deeper than any recursion goes', () => {
  const depth = 40_000
  const deep = `{"token":"${OLD}","x":${'['.repeat(depth)}${']'.repeat(depth)},"y":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`

  it('sets and adds a top-level key, every nested byte kept', () => {
    expect(setJsonKey(deep, 'token', TOKEN)).toEqual({
      text: deep.replace(OLD, TOKEN),
      added: false
    })
    const added = setJsonKey(deep, 'pat', TOKEN)
    expect(added).toEqual({ text: `${deep.slice(0, -1)},"pat": "${TOKEN}"}`, added: true })
  })

  it('refuses a whole-value write over a deep array, naming no value', () => {
    const error = shapeError(() =>
      newValueText(`${'['.repeat(depth)}${']'.repeat(depth)}`, 'whole', TOKEN, 'x')
    )
    expect(error.message).toMatch(/^holds JSON \(an array of 1 item\(s\)\)/)
  })
})

describe('the guard against writing over JSON, and key names', () => {
  it.each([
    [`["${OLD}", "other"]`, 'holds JSON (an array of 2 item(s)) — nothing was written to it'],
    [`"${OLD}"`, 'holds JSON (a string in quotes) — nothing was written to it'],
    ['[]', 'holds JSON (an array of 0 item(s))']
  ])('refuses a plain entry over %s', (text, message) => {
    const error = shapeError(() => newValueText(text, 'whole', TOKEN, 'ci/x'))
    expect(error.message).toContain(message)
    expect(error.message).toContain('name its key (e.g. ci/x#token)')
    expect(error.message).not.toContain(OLD)
  })

  it('refuses a key that differs only in case, naming both, but sets an exact one', () => {
    const error = shapeError(() => setJsonKey('{"Token": "a", "x": "b"}', 'token', TOKEN))
    expect(error.message).toBe(
      "has key 'Token', which differs from 'token' only in case — nothing was written to it: name the key exactly as it is stored (#Token), since its readers look it up exactly"
    )
    expect(setJsonKey('{"Token": "a", "token": "b"}', 'token', 'v').text).toBe(
      '{"Token": "a", "token": "v"}'
    )
  })
})

describe('heldIn', () => {
  it('names the keys that hold a value, as is or escaped, and never the value', () => {
    const odd = 'tok"en'
    expect(heldIn(`{"a": "x", "b": "${OLD}", "c": {"d": "${OLD}"}}`, OLD)).toEqual([
      "key 'b'",
      "key 'c'"
    ])
    expect(heldIn(JSON.stringify({ e: odd }), odd)).toEqual(["key 'e'"])
    expect(heldIn(OLD, OLD)).toEqual(['its value'])
    expect(heldIn(`[1, "${OLD}"]`, OLD)).toEqual(['its value'])
    expect(heldIn('{"a": "new"}', OLD)).toEqual([])
  })
})
