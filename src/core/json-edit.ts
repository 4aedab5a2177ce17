/**
 * The new text of a stored value (a secret, a parameter): the token as the
 * whole value, or as one or more string keys of a JSON object, every other
 * byte kept — other keys, their order, formatting and numbers too large for
 * a double (a parse → stringify round trip would round those).
 *
 * A value may nest as deep as its store allows (an 8 KB parameter holds
 * 4,000 levels, a 64 KB secret 32,000), so nothing here recurses into it:
 * only the top level is read, token by token, with jsonc-parser's scanner.
 */
import { applyEdits, createScanner, modify, type SyntaxKind } from 'jsonc-parser'

/** A value the entry cannot be applied to; the message never contains a value. */
export class ValueShapeError extends Error {}

/**
 * The scanner's tokens this module reads: jsonc-parser's `SyntaxKind` is a
 * `const enum`, which isolated modules cannot read, so its values are
 * repeated here (jsonc-parser 3, main.d.ts).
 */
const Token = {
  OpenBrace: 1,
  CloseBrace: 2,
  OpenBracket: 3,
  CloseBracket: 4,
  Comma: 5,
  Colon: 6,
  Null: 7,
  String: 10,
  Number: 11,
  EOF: 17
} as const satisfies Record<string, SyntaxKind>

type JsonKind = 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null'

/** One member of a top-level object: its key, and where its value's text lies. */
interface Member {
  key: string
  kind: JsonKind
  start: number
  end: number
  /** A string member's value. */
  value?: string
}

interface TopLevel {
  kind: JsonKind
  members: Member[]
  /** How many items a top-level array holds. */
  items: number
}

const DESCRIBED: Record<JsonKind, string> = {
  object: 'an object',
  array: 'an array',
  string: 'a string',
  number: 'a number',
  boolean: 'a boolean',
  null: 'null'
}

function scalarKind(token: SyntaxKind): JsonKind {
  if (token === Token.String) return 'string'
  if (token === Token.Number) return 'number'
  if (token === Token.Null) return 'null'
  return 'boolean'
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text) // V8 parses iteratively, at any depth
    return true
  } catch {
    return false
  }
}

/**
 * The top level of a JSON text, read token by token (no recursion however
 * deep it nests); undefined when the text is not JSON.
 */
function topLevel(text: string): TopLevel | undefined {
  if (!isJson(text)) return undefined
  const scanner = createScanner(text, true)
  const top: TopLevel = { kind: 'null', members: [], items: 0 }
  let depth = 0
  let expectingKey = false
  let key: string | undefined
  let open: Member | undefined
  for (let token = scanner.scan(); token !== Token.EOF; token = scanner.scan()) {
    const start = scanner.getTokenOffset()
    const end = start + scanner.getTokenLength()
    if (token === Token.OpenBrace || token === Token.OpenBracket) {
      const kind = token === Token.OpenBrace ? 'object' : 'array'
      depth += 1
      if (depth === 1) {
        top.kind = kind
        expectingKey = kind === 'object'
      } else if (depth === 2) {
        top.items += 1
        if (key !== undefined) open = { key, kind, start, end }
        key = undefined
      }
    } else if (token === Token.CloseBrace || token === Token.CloseBracket) {
      depth -= 1
      if (depth === 1 && open) {
        top.members.push({ ...open, end })
        open = undefined
      }
    } else if (depth === 0) {
      top.kind = scalarKind(token)
    } else if (depth === 1 && token === Token.Comma) {
      expectingKey = top.kind === 'object'
    } else if (depth === 1 && token !== Token.Colon) {
      if (expectingKey) {
        key = scanner.getTokenValue()
        expectingKey = false
        continue
      }
      top.items += 1
      if (key === undefined) continue
      const kind = scalarKind(token)
      top.members.push({
        key,
        kind,
        start,
        end,
        ...(kind === 'string' ? { value: scanner.getTokenValue() } : {})
      })
      key = undefined
    }
  }
  return top
}

function objectOf(text: string, key: string): TopLevel {
  const top = topLevel(text)
  if (top === undefined) {
    throw new ValueShapeError(
      `is not JSON, so key '${key}' cannot be set in it — nothing was written to it: drop '#${key}' to replace the whole value, or store a JSON object in it first`
    )
  }
  if (top.kind !== 'object') {
    throw new ValueShapeError(
      `holds JSON that is ${DESCRIBED[top.kind]}, not an object, so key '${key}' cannot be set in it — nothing was written to it`
    )
  }
  return top
}

/**
 * The text as the library sees it: as long as the original and only as deep
 * as its top level. Each nested object or array becomes a string of the same
 * length, so the library's edit (which parses every value, recursively) has
 * no depth to recurse into, and its offsets are those of the original text.
 */
function shallowCopy(text: string, members: Member[]): string {
  let out = ''
  let at = 0
  for (const m of members) {
    if (m.kind !== 'object' && m.kind !== 'array') continue
    out += `${text.slice(at, m.start)}"${' '.repeat(m.end - m.start - 2)}"`
    at = m.end
  }
  return out + text.slice(at)
}

const raw = (text: string, m: Member) => text.slice(m.start, m.end)

/** Whether `after` is `before` with only `key` set to `value` (added last if new), byte for byte. */
function onlyKeyChanged(
  before: Member[],
  beforeText: string,
  afterText: string,
  key: string,
  value: string
): boolean {
  const after = topLevel(afterText)
  if (after?.kind !== 'object') return false
  const expected = before.some((m) => m.key === key) ? before : [...before, undefined]
  if (after.members.length !== expected.length) return false
  return expected.every((m, i) => {
    const got = after.members[i] as Member
    if (m === undefined || m.key === key) {
      return got.key === key && got.kind === 'string' && got.value === value
    }
    return got.key === m.key && raw(afterText, got) === raw(beforeText, m)
  })
}

/** Sets one string key of a JSON object text (adding it when absent), every other byte kept. */
export function setJsonKey(
  text: string,
  key: string,
  value: string
): { text: string; added: boolean } {
  const { members } = objectOf(text, key)
  const own = members.filter((m) => m.key === key)
  if (own.length > 1) {
    throw new ValueShapeError(
      `has key '${key}' ${own.length} times, so which one its readers use is unclear — nothing was written to it: remove the duplicates first`
    )
  }
  const [member] = own
  if (member === undefined) {
    // Readers look keys up exactly: a second key that differs only in case
    // would leave the one they read holding the old token.
    const lower = key.toLowerCase()
    const similar = members.find((m) => m.key.toLowerCase() === lower)
    if (similar) {
      throw new ValueShapeError(
        `has key '${similar.key}', which differs from '${key}' only in case — nothing was written to it: name the key exactly as it is stored (#${similar.key}), since its readers look it up exactly`
      )
    }
  } else if (member.kind !== 'string') {
    throw new ValueShapeError(
      `key '${key}' holds ${DESCRIBED[member.kind]}, not a string, so the token would change its type — nothing was written to it`
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
  // jsonc-parser edits the text in place: only the key's value changes (or a
  // member is appended), every other byte stays as it was.
  const edits = modify(shallowCopy(text, members), [key], value, { formattingOptions })
  const out = applyEdits(text, edits)
  // The edit must change exactly that key.
  if (!onlyKeyChanged(members, text, out, key, value)) {
    throw new ValueShapeError(
      `could not be edited safely (key '${key}') — nothing was written to it: please report this with the value's shape, not its contents`
    )
  }
  return { text: out, added: member === undefined }
}

/** Why the token cannot replace a whole value that is JSON; undefined when it can. */
function wholeJsonRefusal(top: TopLevel | undefined, name: string): string | undefined {
  if (top?.kind === 'object') {
    const names = top.members.map((m) => m.key)
    const shown = names.slice(0, 10).join(', ') + (names.length > 10 ? ', ...' : '')
    return `holds a JSON object (keys: ${shown || 'none'}) — nothing was written to it: name the key to set, e.g. ${name}#${names[0] ?? 'token'}; the token written over the whole value would lose the other keys`
  }
  if (top?.kind === 'array' || top?.kind === 'string') {
    const what = top.kind === 'array' ? `an array of ${top.items} item(s)` : 'a string in quotes'
    return `holds JSON (${what}) — nothing was written to it: its readers parse it as JSON, and the bare token written over the whole value would not parse as the same thing; keep the token in a JSON object and name its key (e.g. ${name}#token), or in a value of its own`
  }
  return undefined
}

/**
 * The value to write: the token as the whole value (refused when the value
 * is a JSON object, array or string, which its readers parse), or set into
 * `keys`.
 */
export function newValueText(
  current: string,
  keys: string[] | 'whole',
  token: string,
  name: string
): { text: string; added: string[] } {
  if (keys === 'whole') {
    if (current === token) return { text: token, added: [] }
    const refused = wholeJsonRefusal(topLevel(current), name)
    if (refused) throw new ValueShapeError(refused)
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

/**
 * Where a stored text holds `secret` (as is, or escaped inside JSON): each
 * key of a JSON object that holds it, or its whole value; empty when it
 * holds it nowhere. Names keys, never values.
 */
export function heldIn(text: string, secret: string): string[] {
  const forms = [secret, JSON.stringify(secret).slice(1, -1)]
  const holds = (part: string) => forms.some((form) => part.includes(form))
  if (!holds(text)) return []
  const top = topLevel(text)
  if (top?.kind !== 'object') return ['its value']
  const keys = top.members.filter((m) => holds(raw(text, m))).map((m) => `key '${m.key}'`)
  return keys.length > 0 ? keys : ['its value']
}
