import { jest, describe, it, expect, beforeEach } from '@jest/globals'
import * as core from '../__fixtures__/core.js'

jest.unstable_mockModule('@actions/core', () => core)
const { readTokens } = await import('../src/inputs/tokens.js')
const { InputError } = await import('../src/core/errors.js')

// The redaction registry lives as long as the module: each test masks a
// token of its own, so what it sees registered is its own doing.
let serial = 0
const fresh = (label = 'tok') => `${label}-${++serial}-0123456789abcdefABCDEF`

const base64 = (text: string) => Buffer.from(text).toString('base64')

function masked(): string[] {
  return core.setSecret.mock.calls.map(([value]) => value)
}

/** Runs readTokens, expecting it to throw; returns the error. */
function refusal(): Error {
  try {
    readTokens()
  } catch (error) {
    return error as Error
  }
  throw new Error('readTokens did not throw')
}

beforeEach(() => {
  core.resetCore()
})

describe('readTokens', () => {
  it('masks the token before anything else and trims surrounding whitespace', () => {
    const token = fresh()
    core.setInputs({ token: `\n  ${token}\n` })
    const tokens = readTokens()
    expect(tokens.token.reveal()).toBe(token)
    expect(core.setSecret.mock.calls[0]).toEqual([token])
    expect(tokens.previous).toBeUndefined()
  })

  it('refuses an empty token, naming the input', () => {
    core.setInputs({ token: '   ' })
    expect(() => readTokens()).toThrow(/^Input 'token' is empty/)
    core.setInputs({})
    expect(() => readTokens()).toThrow(/^Input 'token' is empty/)
  })

  it('refuses whitespace inside the token without printing it, and masks each part', () => {
    core.setInputs({ token: 'first-part-1234 second-part-5678' })
    const error = refusal()
    expect(error).toBeInstanceOf(InputError)
    expect(error.message).toMatch(/^Input 'token' contains whitespace inside it/)
    expect(error.message).not.toContain('first-part-1234')
    expect(error.message).not.toContain('second-part-5678')
    expect(masked()).toContain('first-part-1234 second-part-5678')
    expect(masked()).toContain('first-part-1234')
    expect(masked()).toContain('second-part-5678')
  })

  it('refuses a line break inside the token, masking both lines', () => {
    const [a, b] = [fresh('line-a'), fresh('line-b')]
    core.setInputs({ token: `${a}\n${b}` })
    expect(refusal().message).toMatch(/^Input 'token' contains whitespace inside it/)
    expect(masked()).toEqual(expect.arrayContaining([`${a}\n${b}`, a, b]))
  })

  // Changed: the token is masked with every form it may travel in (base64 of
  // itself and of the Basic-auth credentials built from it, escaped copies),
  // not only as a whole; each form is still registered once.
  it('masks a well-formed token with its derived forms, each once, the token first', () => {
    const token = fresh()
    core.setInputs({ token })
    readTokens()
    const calls = masked()
    expect(calls[0]).toBe(token)
    expect(new Set(calls).size).toBe(calls.length)
    expect(calls).toEqual(
      expect.arrayContaining([
        token,
        base64(token),
        base64(`x-access-token:${token}`),
        base64(`${token}:x-oauth-basic`),
        encodeURIComponent(token)
      ])
    )
    // Read once more, nothing new is registered: the forms are known.
    core.resetCore()
    core.setInputs({ token })
    readTokens()
    expect(masked()).toEqual([])
  })

  it('masks the Basic-auth form with the CodeBuild user name', () => {
    const token = fresh()
    core.setInputs({ token, 'codebuild-username': 'bitbucket-builder' })
    readTokens()
    expect(masked()).toContain(base64(`bitbucket-builder:${token}`))
  })

  it('does not mask fragments of a split token too short to hide anything', () => {
    core.setInputs({ token: 'first-part-9876 ab' })
    expect(() => readTokens()).toThrow(/Input 'token' contains whitespace/)
    expect(masked()).toContain('first-part-9876 ab')
    expect(masked()).toContain('first-part-9876')
    expect(masked()).not.toContain('ab')
  })

  it('removes both variables from the environment once read', () => {
    const [token, previous] = [fresh('new'), fresh('old')]
    core.setInputs({ token, 'previous-token': previous })
    expect(process.env['INPUT_TOKEN']).toBe(token)
    expect(process.env['INPUT_PREVIOUS-TOKEN']).toBe(previous)
    const tokens = readTokens()
    expect(tokens.token.reveal()).toBe(token)
    expect(tokens.previous?.reveal()).toBe(previous)
    expect(process.env).not.toHaveProperty('INPUT_TOKEN')
    expect(process.env).not.toHaveProperty('INPUT_PREVIOUS-TOKEN')
    expect(masked()).toEqual(expect.arrayContaining([token, previous]))
  })

  it.each([
    ['a zero-width space', (t: string) => `${t.slice(0, 5)}\u200b${t.slice(5)}`, 'U+200B', 6],
    ['a control character', (t: string) => `${t.slice(0, 3)}\x01${t.slice(3)}`, 'U+0001', 4],
    ['a non-ASCII letter', (t: string) => `é${t}`, 'U+00E9', 1],
    ['a DEL', (t: string) => `${t.slice(0, 10)}\x7f${t.slice(10)}`, 'U+007F', 11],
    ['an emoji', (t: string) => `${t.slice(0, 2)}🔑${t.slice(2)}`, 'U+1F511', 3]
  ])(
    'refuses a token with %s, naming the code point, masked first and never printed',
    (_what, spoil, code, position) => {
      const token = spoil(fresh('odd'))
      core.setInputs({ token })
      const error = refusal()
      expect(error.message).toBe(
        `Input 'token' contains a character that cannot be in a token (${code} at position ${position}): copy the token again from GitHub and update the secret`
      )
      expect(masked()[0]).toBe(token)
      expect(process.env).not.toHaveProperty('INPUT_TOKEN')
    }
  )

  it('refuses a token too short to be one, without printing it', () => {
    core.setInputs({ token: 'Zq7x9Wk' })
    const error = refusal()
    expect(error.message).toBe(
      "Input 'token' is 7 characters long: a personal access token has at least 40 — is the secret the token itself?"
    )
    expect(masked()).toContain('Zq7x9Wk')
    // Eight characters are enough.
    core.setInputs({ token: 'Zq7x9Wk8' })
    expect(readTokens().token.reveal()).toBe('Zq7x9Wk8')
  })

  it('masks both tokens before judging either', () => {
    const previous = fresh('old')
    core.setInputs({ token: `short\u200b`, 'previous-token': previous })
    expect(refusal().message).toMatch(/^Input 'token' contains a character/)
    expect(masked()).toEqual(expect.arrayContaining(['short\u200b', previous]))
    expect(process.env).not.toHaveProperty('INPUT_PREVIOUS-TOKEN')
  })

  it.each([
    ['whitespace inside', 'old-part-one old-part-two', /contains whitespace inside it/],
    ['an invisible character', '\u200bold-token-value-xyz', /\(U\+200B at position 1\)/],
    ['too few characters', 'old1234', /is 7 characters long/]
  ])('refuses a previous-token with %s, naming that input', (_what, previous, message) => {
    const token = fresh()
    core.setInputs({ token, 'previous-token': previous })
    const error = refusal()
    expect(error.message).toMatch(/^Input 'previous-token' /)
    expect(error.message).toMatch(message)
    expect(error.message).not.toContain(previous)
    expect(masked()).toEqual(expect.arrayContaining([token, previous]))
  })

  it('refuses a previous-token equal to the token', () => {
    const token = fresh()
    core.setInputs({ token, 'previous-token': ` ${token} ` })
    const error = refusal()
    expect(error.message).toBe(
      "Input 'previous-token' is the same as token: pass the token being replaced as previous-token, and the new one as token"
    )
    expect(error.message).not.toContain(token)
  })

  it('takes previous-token as optional: empty or blank is none', () => {
    for (const previous of ['', '  \n ']) {
      core.setInputs({ token: fresh(), 'previous-token': previous })
      expect(readTokens().previous).toBeUndefined()
    }
  })

  it('never prints either value while reading them', () => {
    const [token, previous] = [fresh('new'), fresh('old')]
    core.setInputs({ token, 'previous-token': previous })
    const tokens = readTokens()
    for (const print of [core.info, core.warning, core.notice, core.error, core.debug]) {
      expect(print).not.toHaveBeenCalled()
    }
    // The Secret shows no value by accident either.
    expect(`${tokens.token}`).toBe('***')
    expect(JSON.stringify(tokens)).toBe('{"token":"***","previous":"***"}')
  })
})
