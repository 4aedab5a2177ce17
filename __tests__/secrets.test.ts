import { jest, describe, it, expect, beforeEach } from '@jest/globals'
import * as core from '../__fixtures__/core.js'
import type { PutResult, SecretInfo, SecretsApi, SecretValue } from '../src/secrets.js'

jest.unstable_mockModule('@actions/core', () => core)
const { secretsStore, setJsonKey, newSecretText, secretRegions, SecretValueError } =
  await import('../src/secrets.js')
const { parseInputs, readToken } = await import('../src/inputs.js')

const TOKEN = 'unit-token-secrets-0123456789'
const OLD = 'old-token-value-do-not-print'
const OTHER = 'other-secret-value-do-not-print'
const ACCOUNT = '123456789012'
const now = <T>(task: () => Promise<T>) => task()

function awsError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } })
}

interface Stored {
  name: string
  arn: string
  versions: { id: string; text: string | undefined }[]
  primaryRegion?: string
  deleted?: boolean
  rotationEnabled?: boolean
  owningService?: string
}

/** An in-memory Secrets Manager for one region, recording every call. */
class FakeSecrets implements SecretsApi {
  secrets: Stored[] = []
  calls: string[] = []
  puts: { id: string; text: string }[] = []
  failures: Partial<Record<'describe' | 'get' | 'put' | 'verify', Error>> = {}
  /** Runs before each GetSecretValue, with how many there were before. */
  onGet: ((count: number, secret: Stored) => void) | undefined
  /** Runs after each PutSecretValue lands. */
  afterPut: ((secret: Stored) => void) | undefined
  putVersionId: ((id: string) => string | undefined) | undefined
  readBack: ((text: string) => string) | undefined
  private gets = 0
  private next = 1
  constructor(readonly region: string) {}

  add(name: string, text: string | undefined, extra: Partial<Stored> = {}): this {
    const arn = `arn:aws:secretsmanager:${this.region}:${ACCOUNT}:secret:${name}-AbCdEf`
    this.secrets.push({ name, arn, versions: [{ id: this.version(), text }], ...extra })
    return this
  }
  version(): string {
    return `${String(this.next++).padStart(8, '0')}-v-${this.region}`
  }
  find(id: string): Stored {
    const secret = this.secrets.find((s) => s.name === id || s.arn === id)
    if (!secret)
      throw awsError(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret."
      )
    return secret
  }
  current(name: string): string | undefined {
    return this.find(name).versions.at(-1)?.text
  }
  write(name: string, text: string): void {
    this.find(name).versions.push({ id: this.version(), text })
  }
  async describeSecret(id: string): Promise<SecretInfo> {
    this.calls.push(`describe ${id}`)
    if (this.failures.describe) throw this.failures.describe
    const s = this.find(id)
    return {
      arn: s.arn,
      primaryRegion: s.primaryRegion,
      deleted: s.deleted ?? false,
      rotationEnabled: s.rotationEnabled ?? false,
      owningService: s.owningService
    }
  }
  async getSecretString(id: string): Promise<SecretValue> {
    this.calls.push(`get ${id}`)
    const s = this.find(id)
    this.onGet?.(this.gets++, s)
    if (this.failures.get) throw this.failures.get
    if (this.failures.verify && this.puts.length > 0) throw this.failures.verify
    const v = s.versions.at(-1)
    const text = v?.text !== undefined && this.readBack ? this.readBack(v.text) : v?.text
    return { arn: s.arn, versionId: v?.id, text }
  }
  async putSecretString(id: string, text: string): Promise<PutResult> {
    this.calls.push(`put ${id}`)
    if (this.failures.put) throw this.failures.put
    const s = this.find(id)
    const versionId = this.version()
    s.versions.push({ id: versionId, text })
    this.puts.push({ id, text })
    this.afterPut?.(s)
    return { arn: s.arn, versionId: this.putVersionId ? this.putVersionId(versionId) : versionId }
  }
}

let east: FakeSecrets
let west: FakeSecrets
const apiFor = (region: string) => (region === 'eu-west-1' ? west : east)

function setup(values: Record<string, string>) {
  core.setInputs({
    token: TOKEN,
    'dry-run': 'false',
    'verify-token': 'false',
    regions: 'us-east-1',
    ...values
  })
  return parseInputs(readToken())
}

async function rotate(values: Record<string, string>) {
  const inputs = setup(values)
  const store = secretsStore(inputs, apiFor, now)
  await store.plan()
  if (!inputs.dryRun) await store.apply(TOKEN)
  const everything = JSON.stringify({
    sections: store.sections(),
    lines: store.lines(),
    outputs: store.outputs(),
    failures: store.failures(),
    warnings: store.warnings(),
    headline: store.headline()
  })
  return { store, everything, report: store.outputs() }
}

function rows(store: { sections(): { rows: string[][] }[] }) {
  return store.sections()[0]?.rows ?? []
}

beforeEach(() => {
  core.resetCore()
  delete process.env['AWS_REGION']
  east = new FakeSecrets('us-east-1')
    .add('ci/plain', OLD)
    .add(
      'ci/json',
      `{\n  "user": "bot",\n  "token": "${OLD}",\n  "other": "${OTHER}",\n  "id": 12345678901234567890\n}`
    )
    .add('ci/text', 'not json at all')
  west = new FakeSecrets('eu-west-1').add('ci/plain', OLD)
})

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

  it.each([
    ['not json', /is not JSON, so key 'token' cannot be set/],
    ['', /is not JSON/],
    ['[1, 2]', /holds JSON that is an array, not an object/],
    ['"text"', /holds JSON that is a string, not an object/],
    ['null', /holds JSON that is null, not an object/],
    ['{"token": 5}', /key 'token' holds a number, not a string/],
    ['{"token": {"a": "b"}}', /key 'token' holds an object, not a string/],
    ['{"token": "a", "token": "b"}', /has key 'token' 2 times/]
  ])('refuses %j without echoing the value', (text, message) => {
    let error: unknown
    try {
      setJsonKey(text, 'token', TOKEN)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(SecretValueError)
    expect((error as Error).message).toMatch(message)
    expect((error as Error).message).toMatch(/nothing was written to it/)
    expect((error as Error).message).not.toContain(TOKEN)
  })
})

describe('newSecretText', () => {
  const value = (text: string | undefined): SecretValue => ({ arn: 'arn', versionId: 'v1', text })

  it('replaces a whole text value, and sets several keys in one edit', () => {
    expect(newSecretText(value('old'), 'id', 'whole', TOKEN)).toEqual({ text: TOKEN, added: [] })
    expect(newSecretText(value('"json string"'), 'id', 'whole', TOKEN).text).toBe(TOKEN)
    expect(newSecretText(value('{"a": "1"}'), 'id', ['a', 'b'], 'T')).toEqual({
      text: '{"a": "T","b": "T"}',
      added: ['b']
    })
  })

  it('refuses a binary secret', () => {
    expect(() => newSecretText(value(undefined), 'id', 'whole', TOKEN)).toThrow(
      /holds a binary value \(SecretBinary\), not text — nothing was written/
    )
  })

  it('refuses to write over a JSON object, naming its keys but no values', () => {
    let message = ''
    try {
      newSecretText(value(`{"user": "bot", "pat": "${OLD}"}`), 'ci/x', 'whole', TOKEN)
    } catch (e) {
      message = (e as Error).message
    }
    expect(message).toMatch(/holds a JSON object \(keys: user, pat\).*e\.g\. ci\/x#user/)
    expect(message).not.toContain(OLD)
    const many = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`k${i}`, 'v']))
    expect(() => newSecretText(value(JSON.stringify(many)), 'x', 'whole', TOKEN)).toThrow(
      /keys: k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, \.\.\./
    )
    expect(() => newSecretText(value('{}'), 'x', 'whole', TOKEN)).toThrow(/keys: none\).*x#token/)
  })
})

describe('secretRegions', () => {
  it('uses the ARN region for ARNs and every region for names', () => {
    const inputs = setup({
      secrets: `ci/plain\narn:aws:secretsmanager:ap-south-1:${ACCOUNT}:secret:x-AbCdEf`,
      regions: 'us-east-1,eu-west-1'
    })
    expect(secretRegions(inputs)).toEqual(['us-east-1', 'eu-west-1', 'ap-south-1'])
  })
})

describe('secretsStore', () => {
  it('writes a plain secret in every region, verifies it, and reports the ARNs', async () => {
    const { store, everything, report } = await rotate({
      secrets: 'ci/plain',
      regions: 'us-east-1,eu-west-1'
    })
    expect(east.current('ci/plain')).toBe(TOKEN)
    expect(west.current('ci/plain')).toBe(TOKEN)
    expect(east.calls).toEqual([
      'describe ci/plain',
      `get ${east.find('ci/plain').arn}`,
      `get ${east.find('ci/plain').arn}`,
      `put ${east.find('ci/plain').arn}`,
      `get ${east.find('ci/plain').arn}`
    ])
    expect(report).toEqual({
      'secrets-updated': [east.find('ci/plain').arn, west.find('ci/plain').arn]
    })
    expect(store.failures()).toEqual([])
    expect(store.headline()).toBe('Secrets: 2 updated')
    expect(rows(store)[0]).toEqual([
      'us-east-1',
      'ci/plain',
      '(whole value)',
      '00000001 → 00000004',
      '✅ updated: wrote a new version (AWSCURRENT)'
    ])
    expect(store.lines().map((l) => l.line)).toEqual([
      'updated  secret ci/plain 00000001 → 00000004 — wrote a new version (AWSCURRENT)',
      'updated  secret ci/plain 00000001 → 00000002 — wrote a new version (AWSCURRENT)'
    ])
    expect(everything).not.toContain(TOKEN)
    expect(everything).not.toContain(OLD)
  })

  it('sets one key of a JSON secret and keeps every other key byte for byte', async () => {
    const before = east.current('ci/json') ?? ''
    const { store, everything } = await rotate({ secrets: 'ci/json#token' })
    expect(east.current('ci/json')).toBe(before.replace(OLD, TOKEN))
    expect(east.current('ci/json')).toContain('12345678901234567890')
    expect(store.lines()[0]?.line).toMatch(
      /^updated {2}secret ci\/json#token .* setting 'token', other keys kept$/
    )
    expect(rows(store)[0]?.[2]).toBe('token')
    for (const value of [TOKEN, OLD, OTHER, 'bot']) expect(everything).not.toContain(value)
  })

  it('adds a missing key with a warning', async () => {
    const { store } = await rotate({ secrets: 'ci/json#pat' })
    expect(JSON.parse(east.current('ci/json') ?? '')).toMatchObject({ pat: TOKEN, token: OLD })
    expect(store.warnings()).toEqual([
      expect.stringMatching(/has no key 'pat': it will be added, the other keys kept/)
    ])
    expect(store.lines()[0]?.line).toMatch(/added 'pat'/)
  })

  it('fails a non-JSON secret given #key and writes nothing to it, but still writes the others', async () => {
    const { store, everything, report } = await rotate({ secrets: 'ci/text#token, ci/plain' })
    expect(east.current('ci/text')).toBe('not json at all')
    expect(east.puts.map((p) => p.id)).toEqual([east.find('ci/plain').arn])
    expect(store.failures()).toEqual([
      "us-east-1 secret ci/text#token: is not JSON, so key 'token' cannot be set in it — nothing was written to it: drop '#token' to replace the whole value, or store a JSON object in the secret first"
    ])
    expect(report['secrets-updated']).toEqual([east.find('ci/plain').arn])
    expect(store.headline()).toBe('Secrets: 1 updated, 1 failed')
    expect(everything).not.toContain('not json at all')
  })

  it('refuses to overwrite a JSON secret named without #key', async () => {
    const { store, everything } = await rotate({ secrets: 'ci/json' })
    expect(east.puts).toEqual([])
    expect(store.failures()[0]).toMatch(
      /^us-east-1 secret ci\/json: holds a JSON object \(keys: user, token, other, id\)/
    )
    expect(everything).not.toContain(OTHER)
  })

  it('fails a missing secret without creating it', async () => {
    const { store } = await rotate({ secrets: 'ci/missing', regions: 'us-east-1,eu-west-1' })
    expect(store.failures()).toEqual([
      'us-east-1 secret ci/missing: does not exist in us-east-1: check the name and the regions input (this action never creates secrets)',
      'eu-west-1 secret ci/missing: does not exist in eu-west-1: check the name and the regions input (this action never creates secrets)'
    ])
    expect(east.calls).toEqual(['describe ci/missing'])
  })

  it('plans in a dry run: reads only, and says what it would write', async () => {
    const { store, report } = await rotate({
      secrets: 'ci/plain, ci/json#token, ci/json#new',
      'dry-run': 'true'
    })
    expect(east.calls.filter((c) => c.startsWith('put'))).toEqual([])
    expect(east.current('ci/plain')).toBe(OLD)
    expect(store.lines().map((l) => l.line)).toEqual([
      "planned  secret ci/json#new 00000002 — would write a new version (AWSCURRENT) setting 'token', 'new', other keys kept; added 'new'",
      "planned  secret ci/json#token 00000002 — would write a new version (AWSCURRENT) setting 'token', 'new', other keys kept; added 'new'",
      'planned  secret ci/plain 00000001 — would write a new version (AWSCURRENT)'
    ])
    expect(report).toEqual({ 'secrets-updated': [] })
    expect(store.headline()).toBe('Secrets: 3 planned')
  })

  it('skips a secret that already holds the token', async () => {
    east.write('ci/plain', TOKEN)
    east.write('ci/json', `{"token": "${TOKEN}"}`)
    const { store } = await rotate({ secrets: 'ci/plain, ci/json#token' })
    expect(east.puts).toEqual([])
    expect(store.lines().map((l) => l.line)).toEqual([
      "skipped  secret ci/json#token 00000005 — key 'token' already holds this token",
      'skipped  secret ci/plain 00000004 — already holds this token'
    ])
  })

  it('writes two keys of one secret in a single version', async () => {
    const { store } = await rotate({
      secrets: `ci/json#token, arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:ci/json-AbCdEf#user`
    })
    expect(east.puts).toHaveLength(1)
    expect(JSON.parse(east.current('ci/json') ?? '')).toMatchObject({
      user: TOKEN,
      token: TOKEN,
      other: OTHER
    })
    expect(store.outputs()).toEqual({ 'secrets-updated': [east.find('ci/json').arn] })
  })

  it('refuses the whole-value entry of a JSON secret also named by key, and sets the key', async () => {
    east.write('ci/plain', '{"token": "x"}')
    const { store } = await rotate({
      secrets: `ci/plain#token, arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:ci/plain-AbCdEf`
    })
    expect(east.puts).toHaveLength(1)
    expect(east.current('ci/plain')).toBe(`{"token": "${TOKEN}"}`)
    expect(store.failures()).toEqual([
      expect.stringMatching(/^us-east-1 secret arn:.*: holds a JSON object \(keys: token\)/)
    ])
  })

  it('uses only the ARN region for an ARN', async () => {
    const arn = west.find('ci/plain').arn
    await rotate({ secrets: arn, regions: 'us-east-1,eu-west-1' })
    expect(east.calls).toEqual([])
    expect(west.current('ci/plain')).toBe(TOKEN)
  })

  it('skips a replica when its primary region is listed, and fails it otherwise', async () => {
    west.find('ci/plain').primaryRegion = 'us-east-1'
    const listed = await rotate({ secrets: 'ci/plain', regions: 'us-east-1,eu-west-1' })
    expect(west.puts).toEqual([])
    expect(listed.store.lines().find((l) => l.region === 'eu-west-1')?.line).toMatch(
      /skipped .*a replica of the secret in us-east-1: Secrets Manager copies the new value from there/
    )
    const alone = await rotate({ secrets: 'ci/plain', regions: 'eu-west-1' })
    expect(alone.store.failures()).toEqual([
      "eu-west-1 secret ci/plain: is a read-only replica of the secret in us-east-1: add us-east-1 to regions, or name the primary's ARN"
    ])
  })

  it.each([
    [{ deleted: true }, /is scheduled for deletion/],
    [{ owningService: 'rds' }, /is managed by rds, which alone changes its value/]
  ])('fails a secret it must not write: %j', async (extra, message) => {
    Object.assign(east.find('ci/plain'), extra)
    const { store } = await rotate({ secrets: 'ci/plain' })
    expect(store.failures()[0]).toMatch(message)
    expect(east.puts).toEqual([])
  })

  it('warns when the secret rotates itself', async () => {
    east.find('ci/plain').rotationEnabled = true
    const { store } = await rotate({ secrets: 'ci/plain' })
    expect(store.warnings()[0]).toMatch(/automatic rotation turned on/)
    expect(east.current('ci/plain')).toBe(TOKEN)
  })

  it('fails a binary secret', async () => {
    east.add('ci/binary', undefined)
    const { store } = await rotate({ secrets: 'ci/binary' })
    expect(store.failures()[0]).toMatch(/holds a binary value/)
  })

  it('explains a secret with no current value', async () => {
    east.failures.get = awsError(
      'ResourceNotFoundException',
      "can't find the specified secret value for staging label: AWSCURRENT"
    )
    const { store } = await rotate({ secrets: 'ci/plain' })
    expect(store.failures()[0]).toMatch(
      /has no current value \(.*AWSCURRENT\): give it a first value/
    )
  })

  const denials: ['describe' | 'get' | 'put', string][] = [
    ['describe', 'secretsmanager:DescribeSecret'],
    ['get', 'secretsmanager:GetSecretValue'],
    ['put', 'secretsmanager:PutSecretValue']
  ]
  it.each(denials)('names the permission when %s is denied', async (call, permission) => {
    east.failures[call] = awsError('AccessDeniedException', 'not authorized')
    const { store } = await rotate({ secrets: 'ci/plain' })
    expect(store.failures()).toEqual([
      `us-east-1 secret ci/plain: AccessDeniedException: not authorized — the role needs permission ${permission} (see the README's IAM policy)`
    ])
  })

  it('edits the latest value when the secret changed after the plan', async () => {
    east.onGet = (count, secret) => {
      if (count === 1)
        secret.versions.push({ id: 'concurrent', text: `{"token": "x", "added": "${OTHER}"}` })
    }
    const { store } = await rotate({ secrets: 'ci/json#token' })
    expect(JSON.parse(east.current('ci/json') ?? '')).toEqual({ token: TOKEN, added: OTHER })
    expect(store.lines()[0]?.line).toMatch(/the secret changed after it was planned/)
  })

  it('fails when the secret stopped being JSON after the plan', async () => {
    east.onGet = (count, secret) => {
      if (count === 1) secret.versions.push({ id: 'concurrent', text: 'plain now' })
    }
    const { store } = await rotate({ secrets: 'ci/json#token' })
    expect(store.failures()[0]).toMatch(/changed since it was planned and now is not JSON/)
    expect(east.puts).toEqual([])
  })

  it('skips when someone else wrote the same token after the plan', async () => {
    east.onGet = (count, secret) => {
      if (count === 1) secret.versions.push({ id: 'concurrent', text: TOKEN })
    }
    const { store } = await rotate({ secrets: 'ci/plain' })
    expect(store.lines()[0]?.line).toMatch(/skipped .*written by someone else meanwhile/)
    expect(east.puts).toEqual([])
  })

  it('fails when the re-read before writing fails', async () => {
    east.onGet = (count) => {
      if (count === 1) east.failures.get = awsError('InternalServiceError', 'boom')
    }
    const { store } = await rotate({ secrets: 'ci/plain' })
    expect(store.failures()[0]).toMatch(/InternalServiceError: boom/)
  })

  it('fails when another write lands right after ours', async () => {
    east.afterPut = (secret) => secret.versions.push({ id: 'someone-else', text: 'other' })
    const { store, report } = await rotate({ secrets: 'ci/plain' })
    expect(store.failures()[0]).toMatch(
      /written as version \d{8}-v-us-east-1, but AWSCURRENT is now version someone-else: another write landed/
    )
    expect(report['secrets-updated']).toEqual([])
  })

  it('fails when AWS returns no version id', async () => {
    east.putVersionId = () => undefined
    const { store } = await rotate({ secrets: 'ci/plain' })
    expect(store.failures()[0]).toMatch(/written as version unknown/)
  })

  it('fails when the value does not read back as written', async () => {
    east.readBack = (text) => (text === TOKEN ? 'different' : text)
    const { store, everything } = await rotate({ secrets: 'ci/plain' })
    expect(store.failures()[0]).toMatch(/does not read back as written/)
    expect(everything).not.toContain(TOKEN)
  })

  it('fails when the check read fails after the write', async () => {
    east.failures.verify = awsError('ThrottlingException', 'Rate exceeded')
    const { store } = await rotate({ secrets: 'ci/plain' })
    expect(store.failures()[0]).toMatch(
      /the new version \d{8}-v-us-east-1 was written, but could not be read back to verify it: ThrottlingException/
    )
  })

  it('fails, naming no version, when a write without a version id cannot be read back', async () => {
    east.putVersionId = () => undefined
    east.failures.verify = awsError('ThrottlingException', 'Rate exceeded')
    const { store } = await rotate({ secrets: 'ci/plain' })
    expect(store.failures()).toEqual([
      'us-east-1 secret ci/plain: the new version  was written, but could not be read back to verify it: ThrottlingException: Rate exceeded — AWS kept throttling after retries: re-run, or lower max-concurrency'
    ])
    expect(rows(store)[0]?.[3]).toBe('00000001')
  })

  it('shows no version for a secret whose versions AWS does not name, and refuses to call that verified', async () => {
    const unnamed: SecretsApi = {
      describeSecret: (id) => east.describeSecret(id),
      getSecretString: async (id) => ({
        ...(await east.getSecretString(id)),
        versionId: undefined
      }),
      putSecretString: (id, text) => east.putSecretString(id, text)
    }
    const store = secretsStore(
      setup({ secrets: 'ci/plain', 'dry-run': 'true' }),
      () => unnamed,
      now
    )
    await store.plan()
    expect(store.lines().map((l) => l.line)).toEqual([
      'planned  secret ci/plain — would write a new version (AWSCURRENT)'
    ])
    expect(rows(store)[0]?.[3]).toBe('–')
    const applied = secretsStore(setup({ secrets: 'ci/plain' }), () => unnamed, now)
    await applied.plan()
    await applied.apply(TOKEN)
    expect(east.current('ci/plain')).toBe(TOKEN)
    expect(applied.failures()).toEqual([
      expect.stringMatching(
        /^us-east-1 secret ci\/plain: the token was written as version 00000004-v-us-east-1, but AWSCURRENT is now version unknown:/
      )
    ])
    expect(applied.outputs()).toEqual({ 'secrets-updated': [] })
  })

  it('shows a planned write that was never applied (the token was refused) by its status alone', async () => {
    const store = secretsStore(setup({ secrets: 'ci/plain' }), apiFor, now)
    await store.plan()
    expect(east.puts).toEqual([])
    expect(store.lines().map((l) => l.line)).toEqual(['planned  secret ci/plain 00000001'])
    expect(rows(store)[0]?.[4]).toBe('📝 planned')
    expect(store.headline()).toBe('Secrets: 1 planned')
    expect(store.outputs()).toEqual({ 'secrets-updated': [] })
  })

  it('reports the regions input in order, then regions only an ARN names', async () => {
    const { store } = await rotate({ secrets: `ci/plain, ${west.find('ci/plain').arn}` })
    expect(store.lines().map((l) => l.region)).toEqual(['us-east-1', 'eu-west-1'])
    expect(rows(store).map((r) => r[0])).toEqual(['us-east-1', 'eu-west-1'])
    expect(west.current('ci/plain')).toBe(TOKEN)
  })

  it('reports no headline when no secrets are selected', () => {
    const store = secretsStore(setup({ pipelines: 'x' }), apiFor, now)
    expect(store.headline()).toBeUndefined()
  })
})
