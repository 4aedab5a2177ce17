/**
 * The secret inputs — `token` and `previous-token` — read before anything
 * else: masked with every derived form, removed from the process environment
 * (so no child process, such as a credential_process the AWS SDK runs, ever
 * receives them), then validated without ever printing them.
 */
import { getInput } from '@actions/core'
import { InputError } from '../core/errors.js'
import { registerToken } from '../core/redact.js'
import { SealedToken } from '../core/sealed-token.js'

export interface Tokens {
  token: SealedToken
  previous: SealedToken | undefined
}

/** The variable the runner sets for an input (as @actions/core reads it). */
const variableOf = (name: string) => `INPUT_${name.replace(/ /g, '_').toUpperCase()}`

/** A real token has no fewer characters than this (classic PATs have 40). */
const MIN_LENGTH = 8

function take(name: string): string {
  const raw = getInput(name, { trimWhitespace: false })
  delete process.env[variableOf(name)]
  return raw
}

function mask(raw: string, usernames: string[]): void {
  const token = raw.trim()
  if (token === '') return
  registerToken(token, usernames)
  // A token pasted with a line break is refused below; hide its parts too.
  for (const part of token.split(/\s+/)) if (part.length >= 4) registerToken(part)
}

function validate(name: string, raw: string, required: boolean): SealedToken | undefined {
  const token = raw.trim()
  if (token === '') {
    if (!required) return undefined
    throw new InputError(
      name,
      'is empty: pass the new personal access token, e.g. `token: ${{ secrets.CODEPIPELINE_GITHUB_TOKEN }}` (an empty value usually means the secret does not exist in this repository or environment)'
    )
  }
  if (/\s/.test(token)) {
    throw new InputError(
      name,
      'contains whitespace inside it: expected a single token with no spaces or line breaks (was it pasted with a line break, or are two tokens in the secret?)'
    )
  }
  // GitHub tokens (ghp_…, github_pat_…, 40 hex digits) and Bitbucket app
  // passwords are visible ASCII; anything else is a paste accident (a
  // zero-width space, a control character) that would be stored as given.
  const odd = [...token].findIndex((char) => char < '!' || char > '~')
  if (odd >= 0) {
    const code = token.codePointAt(odd) ?? 0
    throw new InputError(
      name,
      `contains a character that cannot be in a token (U+${code.toString(16).toUpperCase().padStart(4, '0')} at position ${odd + 1}): copy the token again from GitHub and update the secret`
    )
  }
  if (token.length < MIN_LENGTH) {
    throw new InputError(
      name,
      `is ${token.length} characters long: a personal access token has at least 40 — is the secret the token itself?`
    )
  }
  return new SealedToken(token)
}

/** Reads, masks, unsets and validates `token` and `previous-token`. */
export function readTokens(): Tokens {
  const username = getInput('codebuild-username')
  const raw = { token: take('token'), previous: take('previous-token') }
  // Both are masked before either is judged: an error about one must not
  // come before the other is hidden.
  mask(raw.token, [username])
  mask(raw.previous, [username])
  const token = validate('token', raw.token, true) as SealedToken
  const previous = validate('previous-token', raw.previous, false)
  if (previous?.equals(token.reveal())) {
    throw new InputError(
      'previous-token',
      'is the same as token: pass the token being replaced as previous-token, and the new one as token'
    )
  }
  return { token, previous }
}
