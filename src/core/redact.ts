/**
 * Every value that must never be printed, with the forms it takes on the
 * wire — an echoing server may send back base64 of a Basic auth header, a
 * URL-encoded or JSON-escaped copy — registered with the runner (which masks
 * its log) and with `redact`, which the printing module applies to every
 * line, annotation, output and summary as the last line of defence.
 */
import { setSecret } from '@actions/core'

const registered = new Set<string>()
/**
 * Longest first, so a form that contains another is replaced whole; sorted
 * when next needed (a JSON value may register thousands of strings at once).
 */
let ordered: string[] | undefined = []

/**
 * Values shorter than this are not masked: masking `main` or `true` would
 * hide common words all over the log. The token itself is longer (inputs).
 */
export const MIN_SECRET_LENGTH = 8

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64')
const base64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url')

/** How a value may travel: escaped inside JSON or a URL. */
function encodedForms(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1)
  return [value, json, JSON.stringify(json).slice(1, -1), encodeURIComponent(value)]
}

/**
 * How a token may travel besides its encodings: base64 of itself and of the
 * Basic auth credentials built from it (`x-access-token:T` as git and
 * actions/checkout send it, `T:x-oauth-basic`, `USER:T` as Bitbucket's app
 * passwords are sent).
 */
export function tokenForms(token: string, usernames: string[] = []): string[] {
  const basic = [
    token,
    `x-access-token:${token}`,
    `${token}:x-oauth-basic`,
    ...usernames.filter(Boolean).map((user) => `${user}:${token}`)
  ]
  const encoded = basic.flatMap((text) => {
    const padded = base64(text)
    return [padded, padded.replace(/=+$/, ''), base64url(text)]
  })
  return [...encodedForms(token), ...encoded]
}

function add(form: string, minLength = MIN_SECRET_LENGTH): void {
  if (form.length < Math.max(1, minLength) || registered.has(form)) return
  registered.add(form)
  setSecret(form)
  ordered = undefined
}

/** A token: itself and every derived form, masked from now on. */
export function registerToken(token: string, usernames: string[] = []): void {
  // The token itself whatever its length: a short one is refused, but only
  // after this, and the refusal must not print it.
  add(token, 1)
  for (const form of tokenForms(token, usernames)) add(form)
}

/** Any other secret value read (another key of a JSON secret, a parameter's value). */
export function registerValue(value: string): void {
  for (const form of encodedForms(value)) add(form)
}

/**
 * Every string value of a JSON document, and the document itself. The walk
 * keeps its own stack: a value may nest thousands of levels deep.
 */
export function registerJsonValues(text: string): void {
  registerValue(text)
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return
  }
  const pending: unknown[] = [parsed]
  while (pending.length > 0) {
    const value = pending.pop()
    if (typeof value === 'string') registerValue(value)
    else if (typeof value === 'object' && value !== null) {
      for (const item of Object.values(value)) pending.push(item)
    }
  }
}

/** Replaces every registered value in a text with ***. */
export function redact(text: string): string {
  let out = text
  ordered ??= [...registered].sort((a, b) => b.length - a.length)
  for (const secret of ordered) if (out.includes(secret)) out = out.split(secret).join('***')
  return out
}
