import { jest, describe, it, expect, beforeEach } from '@jest/globals'
import * as core from '../__fixtures__/core.js'

jest.unstable_mockModule('@actions/core', () => core)
const { MIN_SECRET_LENGTH, redact, registerJsonValues, registerToken, registerValue, tokenForms } =
  await import('../src/core/redact.js')

// A token with every character that changes in an encoding: " and \ in JSON,
// / + = in a URL, and base64 with padding, + and / (- and _ in base64url).
const TOKEN = 'ghp_Tok"en\\w/o+d=1??>x'

/** Every form of TOKEN, spelled out (see the commands in the test names). */
const FORMS = {
  json: 'ghp_Tok\\"en\\\\w/o+d=1??>x',
  doubleJson: 'ghp_Tok\\\\\\"en\\\\\\\\w/o+d=1??>x',
  url: 'ghp_Tok%22en%5Cw%2Fo%2Bd%3D1%3F%3F%3Ex',
  base64: 'Z2hwX1RvayJlblx3L28rZD0xPz8+eA==',
  base64Unpadded: 'Z2hwX1RvayJlblx3L28rZD0xPz8+eA',
  base64url: 'Z2hwX1RvayJlblx3L28rZD0xPz8-eA',
  // x-access-token:TOKEN, as git and actions/checkout send it
  accessToken: 'eC1hY2Nlc3MtdG9rZW46Z2hwX1RvayJlblx3L28rZD0xPz8+eA==',
  accessTokenUnpadded: 'eC1hY2Nlc3MtdG9rZW46Z2hwX1RvayJlblx3L28rZD0xPz8+eA',
  accessTokenUrl: 'eC1hY2Nlc3MtdG9rZW46Z2hwX1RvayJlblx3L28rZD0xPz8-eA',
  // TOKEN:x-oauth-basic
  oauthBasic: 'Z2hwX1RvayJlblx3L28rZD0xPz8+eDp4LW9hdXRoLWJhc2lj',
  oauthBasicUrl: 'Z2hwX1RvayJlblx3L28rZD0xPz8-eDp4LW9hdXRoLWJhc2lj',
  // octocat:TOKEN
  user: 'b2N0b2NhdDpnaHBfVG9rImVuXHcvbytkPTE/Pz54',
  userUrl: 'b2N0b2NhdDpnaHBfVG9rImVuXHcvbytkPTE_Pz54'
}

const masked = () => core.setSecret.mock.calls.map(([value]) => value)

beforeEach(() => core.resetCore())

describe('registerToken', () => {
  it('masks the token and every form it may travel in, and redacts each', () => {
    registerToken(TOKEN, ['octocat'])
    for (const [name, form] of Object.entries({ token: TOKEN, ...FORMS })) {
      expect([name, masked().includes(form)]).toEqual([name, true])
      expect([name, redact(`before ${form} after`)]).toEqual([name, 'before *** after'])
    }
  })

  it('agrees with Buffer and encodeURIComponent on the forms it lists', () => {
    const b64 = (text: string) => Buffer.from(text).toString('base64')
    const forms = tokenForms(TOKEN, ['octocat'])
    expect(forms).toEqual(expect.arrayContaining(Object.values(FORMS)))
    expect(forms).toContain(b64(`x-access-token:${TOKEN}`))
    expect(forms).toContain(encodeURIComponent(TOKEN))
    expect(JSON.parse(`"${FORMS.json}"`)).toBe(TOKEN)
    expect(JSON.parse(`"${FORMS.doubleJson}"`)).toBe(FORMS.json)
  })

  it('lists the Basic-auth forms without a user name when given none', () => {
    const forms = tokenForms(TOKEN)
    expect(forms).toContain(FORMS.accessToken)
    expect(forms).toContain(FORMS.oauthBasic)
    expect(forms).not.toContain(FORMS.user)
    expect(forms).toEqual(tokenForms(TOKEN, []))
  })

  it('redacts the token where a server echoes it: headers, JSON, URLs', () => {
    registerToken(TOKEN, ['octocat'])
    expect(redact(`Authorization: Basic ${FORMS.accessToken}`)).toBe('Authorization: Basic ***')
    expect(redact(`Authorization: token ${TOKEN}`)).toBe('Authorization: token ***')
    expect(redact(JSON.stringify({ headers: { authorization: `token ${TOKEN}` } }))).toBe(
      '{"headers":{"authorization":"token ***"}}'
    )
    expect(redact(JSON.stringify(JSON.stringify({ token: TOKEN })))).toBe(
      '"{\\"token\\":\\"***\\"}"'
    )
    expect(redact(`https://example.com/?t=${encodeURIComponent(TOKEN)}&x=1`)).toBe(
      'https://example.com/?t=***&x=1'
    )
  })

  it('masks the token itself however short, but not short derived forms', () => {
    registerToken('ab')
    expect(masked()).toContain('ab')
    expect(redact('x ab y')).toBe('x *** y')
    // base64('ab') is 'YWI=': shorter than MIN_SECRET_LENGTH, so not masked.
    expect(masked()).not.toContain('YWI=')
    expect(masked()).not.toContain('YWI')
    // The Basic-auth forms are long enough.
    expect(masked()).toContain(Buffer.from('x-access-token:ab').toString('base64'))
  })

  it('ignores an empty user name', () => {
    registerToken('ghp_no-user-0123456789', [''])
    expect(masked()).not.toContain(Buffer.from(':ghp_no-user-0123456789').toString('base64'))
    expect(masked()).toContain(
      Buffer.from('x-access-token:ghp_no-user-0123456789').toString('base64')
    )
  })

  it('masks each form once, however often it is registered', () => {
    registerToken('ghp_twice-0123456789')
    const first = masked().length
    registerToken('ghp_twice-0123456789')
    expect(masked()).toHaveLength(first)
    expect(new Set(masked()).size).toBe(first)
  })
})

describe('registerValue', () => {
  it(`does not mask values shorter than MIN_SECRET_LENGTH (${MIN_SECRET_LENGTH})`, () => {
    const short = 'q'.repeat(MIN_SECRET_LENGTH - 1)
    const long = 'z'.repeat(MIN_SECRET_LENGTH)
    registerValue(short)
    registerValue(long)
    expect(masked()).not.toContain(short)
    expect(masked()).toContain(long)
    expect(redact(`${short} ${long}`)).toBe(`${short} ***`)
  })

  it('masks the JSON-escaped and URL-encoded forms of a value', () => {
    registerValue('pa"ss/wo\\rd-value')
    expect(masked()).toEqual(
      expect.arrayContaining([
        'pa"ss/wo\\rd-value',
        'pa\\"ss/wo\\\\rd-value',
        'pa\\\\\\"ss/wo\\\\\\\\rd-value',
        'pa%22ss%2Fwo%5Crd-value'
      ])
    )
    expect(redact(JSON.stringify({ v: 'pa"ss/wo\\rd-value' }))).toBe('{"v":"***"}')
  })
})

describe('registerJsonValues', () => {
  it('registers the document and every string in it, at any depth', () => {
    const doc = JSON.stringify({
      token: 'json-value-token-1',
      nested: { list: ['json-value-in-list', { deep: 'json-value-deep-3' }] },
      number: 12345678901234,
      flag: true,
      none: null,
      short: 'ok'
    })
    registerJsonValues(doc)
    expect(masked()).toEqual(
      expect.arrayContaining([doc, 'json-value-token-1', 'json-value-in-list', 'json-value-deep-3'])
    )
    expect(masked()).not.toContain('ok')
    expect(masked()).not.toContain('12345678901234')
    expect(redact('a json-value-deep-3 b json-value-in-list')).toBe('a *** b ***')
    expect(redact(doc)).toBe('***')
  })

  it('registers the strings of a document nested 40,000 levels deep', () => {
    const depth = 40_000
    const doc = `${'{"a":['.repeat(depth)}"deep-json-value-40000"${']}'.repeat(depth)}`
    registerJsonValues(doc)
    expect(masked()).toContain('deep-json-value-40000')
  })

  it('registers a text that is not JSON as a whole', () => {
    registerJsonValues('not json at all {')
    expect(masked()).toEqual(['not json at all {', 'not%20json%20at%20all%20%7B'])
  })
})

describe('redact', () => {
  it('replaces the longest registered value first, so one that contains another goes whole', () => {
    registerValue('nested-secret')
    registerValue('nested-secret-and-more')
    expect(redact('[nested-secret-and-more] [nested-secret]')).toBe('[***] [***]')
  })

  it('replaces every occurrence, and leaves text without secrets unchanged', () => {
    registerValue('repeated-secret')
    expect(redact('repeated-secret repeated-secretrepeated-secret')).toBe('*** ******')
    expect(redact('nothing to hide here')).toBe('nothing to hide here')
  })
})
