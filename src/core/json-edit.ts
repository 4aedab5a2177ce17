/**
 * The new text of a stored value (a secret, a parameter): the token as the
 * whole value, or as one or more string keys of a JSON object, every other
 * byte kept — other keys, their order, formatting and numbers too large for
 * a double (a parse → stringify round trip would round those).
 */
import { applyEdits, modify, parseTree } from 'jsonc-parser'

/** A value the entry cannot be applied to; the message never contains a value. */
export class ValueShapeError extends Error {}

function jsonType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}

function parseJsonObject(text: string, key: string): Record<string, unknown> {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new ValueShapeError(
      `is not JSON, so key '${key}' cannot be set in it — nothing was written to it: drop '#${key}' to replace the whole value, or store a JSON object in it first`
    )
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ValueShapeError(
      `holds JSON that is ${jsonType(parsed)}, not an object, so key '${key}' cannot be set in it — nothing was written to it`
    )
  }
  return parsed as Record<string, unknown>
}

/** Sets one string key of a JSON object text (adding it when absent), every other byte kept. */
export function setJsonKey(
  text: string,
  key: string,
  value: string
): { text: string; added: boolean } {
  const parsed = parseJsonObject(text, key)
  // jsonc-parser edits the text in place: only the key's value changes (or a
  // member is appended), every other byte stays as it was.
  const own = (parseTree(text)?.children ?? []).filter((p) => p.children?.[0]?.value === key)
  if (own.length > 1) {
    throw new ValueShapeError(
      `has key '${key}' ${own.length} times, so which one its readers use is unclear — nothing was written to it: remove the duplicates first`
    )
  }
  const exists = own.length === 1
  if (exists && typeof parsed[key] !== 'string') {
    throw new ValueShapeError(
      `key '${key}' holds ${jsonType(parsed[key])}, not a string, so the token would change its type — nothing was written to it`
    )
  }
  // A multi-line object gets the new member on its own line, indented like the others.
  const indent = /\n([ \t]+)"/.exec(text)?.[1]
  const formattingOptions = indent
    ? {
        insertSpaces: !indent.startsWith('\t'),
        tabSize: indent.startsWith('\t') ? 1 : indent.length,
        eol: text.includes('\r\n') ? '\r\n' : '\n'
      }
    : undefined
  const out = applyEdits(text, modify(text, [key], value, { formattingOptions }))
  // The edit must change exactly that key.
  const after = JSON.parse(out) as Record<string, unknown>
  const expected = { ...parsed, [key]: value }
  if (JSON.stringify(after) !== JSON.stringify(expected)) {
    throw new ValueShapeError(
      `could not be edited safely (key '${key}') — nothing was written to it: please report this with the value's shape, not its contents`
    )
  }
  return { text: out, added: !exists }
}

/**
 * The value to write: the token as the whole value (refused when the value
 * is a JSON object, whose other keys it would lose), or set into `keys`.
 */
export function newValueText(
  current: string,
  keys: string[] | 'whole',
  token: string,
  name: string
): { text: string; added: string[] } {
  if (keys === 'whole') {
    let parsed: unknown
    try {
      parsed = JSON.parse(current)
    } catch {
      parsed = undefined
    }
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      const names = Object.keys(parsed)
      const shown = names.slice(0, 10).join(', ') + (names.length > 10 ? ', ...' : '')
      throw new ValueShapeError(
        `holds a JSON object (keys: ${shown || 'none'}) — nothing was written to it: name the key to set, e.g. ${name}#${names[0] ?? 'token'}; the token written over the whole value would lose the other keys`
      )
    }
    return { text: token, added: [] }
  }
  let text = current
  const added: string[] = []
  for (const key of keys) {
    const edit = setJsonKey(text, key, token)
    text = edit.text
    if (edit.added) added.push(key)
  }
  return { text, added }
}
