import { jest, describe, it, expect, beforeEach } from '@jest/globals'
import * as core from '../__fixtures__/core.js'
import type { ValueRef } from '../src/core/refs.js'
import type { SecretsApi } from '../src/stores/secrets-manager/api.js'
import {
  ACCOUNT,
  FakeSecrets,
  actionDefaults,
  awsError,
  limit
} from '../__fixtures__/value-stores.js'

jest.unstable_mockModule('@actions/core', () => core)
const { secretsStore } = await import('../src/stores/secrets-manager/store.js')
const { entryRegions, entryRefs } = await import('../src/inputs/refs.js')
const { textOf } = await import('../src/stores/secrets-manager/plan.js')
const { ValueShapeError } = await import('../src/core/json-edit.js')
const { parseInputs } = await import('../src/inputs/parse.js')
const { SealedToken } = await import('../src/core/sealed-token.js')

const TOKEN = 'unit-token-secrets-0123456789'
const OLD = 'old-token-value-do-not-print'
const OTHER = 'other-secret-value-do-not-print'

let east: FakeSecrets
let west: FakeSecrets
const apiFor = (region: string) => (region === 'eu-west-1' ? west : east)

function setup(values: Record<string, string>) {
  core.setInputs({ ...actionDefaults(), 'verify-token': 'false', regions: 'us-east-1', ...values })
  return parseInputs(false)
}

function storeFor(values: Record<string, string>, api: (region: string) => SecretsApi = apiFor) {
  const inputs = setup(values)
  return {
    inputs,
    store: secretsStore(inputs, { apiFor: api, limit, token: new SealedToken(TOKEN) })
  }
}

/** A secret another store found (a stack's template, CodeBuild's credential). */
function contributed(id: string, origin: string, overrides: Partial<ValueRef> = {}): ValueRef {
  const key = overrides.key
  return {
    entry: key === undefined ? id : `${id}#${key}`,
    id,
    key: undefined,
    region: 'us-east-1',
    account: undefined,
    origin,
    ...overrides
  }
}

async function rotate(values: Record<string, string>, refs: ValueRef[] = []) {
  const { inputs, store } = storeFor(values)
  const lookups = refs.map((ref) => store.contribute(ref))
  await store.plan()
  if (!inputs.dryRun) await store.apply()
  const report = store.report()
  return { store, report, lookups, everything: JSON.stringify(report), outputs: report.outputs }
}

const rows = (report: { sections: { rows: string[][] }[] }) => report.sections[0]?.rows ?? []
const lines = (report: { lines: { line: string }[] }) => report.lines.map((l) => l.line)

beforeEach(() => {
  core.resetCore()
  delete process.env['AWS_REGION']
  delete process.env['AWS_DEFAULT_REGION']
  east = new FakeSecrets('us-east-1')
    .add('ci/plain', OLD)
    .add(
      'ci/json',
      `{\n  "user": "bot",\n  "token": "${OLD}",\n  "other": "${OTHER}",\n  "id": 12345678901234567890\n}`
    )
    .add('ci/text', 'not json at all')
  west = new FakeSecrets('eu-west-1').add('ci/plain', OLD)
})

describe('textOf', () => {
  it('refuses a binary secret', () => {
    const error = (() => {
      try {
        textOf({ arn: 'arn', versionId: 'v1', text: undefined })
      } catch (e) {
        return e as Error
      }
    })()
    expect(error).toBeInstanceOf(ValueShapeError)
    expect(error?.message).toBe(
      'holds a binary value (SecretBinary), not text — nothing was written to it: this action writes text (SecretString) secrets only'
    )
  })
})

describe('entryRegions and entryRefs', () => {
  it('uses the ARN region for ARNs and every region for names', () => {
    const inputs = setup({
      secrets: `ci/plain\narn:aws:secretsmanager:ap-south-1:${ACCOUNT}:secret:x-AbCdEf#k`,
      regions: 'us-east-1,eu-west-1'
    })
    expect(entryRegions(inputs.secrets, inputs.regions)).toEqual([
      'us-east-1',
      'eu-west-1',
      'ap-south-1'
    ])
    expect(entryRefs(inputs.secrets, inputs.regions)).toEqual([
      {
        entry: 'ci/plain',
        id: 'ci/plain',
        key: undefined,
        region: 'us-east-1',
        account: undefined,
        origin: undefined
      },
      {
        entry: 'ci/plain',
        id: 'ci/plain',
        key: undefined,
        region: 'eu-west-1',
        account: undefined,
        origin: undefined
      },
      {
        entry: `arn:aws:secretsmanager:ap-south-1:${ACCOUNT}:secret:x-AbCdEf#k`,
        id: `arn:aws:secretsmanager:ap-south-1:${ACCOUNT}:secret:x-AbCdEf`,
        key: 'k',
        region: 'ap-south-1',
        account: ACCOUNT,
        origin: undefined
      }
    ])
  })
})

describe('secretsStore', () => {
  it('writes a plain secret in every region, verifies it, and reports the ARNs', async () => {
    const { report, everything, outputs } = await rotate({
      secrets: 'ci/plain',
      regions: 'us-east-1,eu-west-1'
    })
    expect(east.current('ci/plain')).toBe(TOKEN)
    expect(west.current('ci/plain')).toBe(TOKEN)
    const arn = east.find('ci/plain').arn
    expect(east.calls).toEqual([
      'describe ci/plain',
      `get ${arn}`,
      `get ${arn}`,
      `put ${arn}`,
      `get ${arn}`
    ])
    expect(outputs).toEqual({
      'secrets-updated': [east.find('ci/plain').arn, west.find('ci/plain').arn]
    })
    expect(report.failures).toEqual([])
    expect(report.headline).toBe('Secrets: 2 updated')
    expect(report.sections[0]?.title).toBe('Secrets Manager')
    expect(report.sections[0]?.headers).toEqual(['Region', 'Secret', 'Key', 'Version', 'Status'])
    expect(rows(report)[0]).toEqual([
      'us-east-1',
      'ci/plain',
      '(whole value)',
      '00000001 → 00000004',
      '✅ updated: wrote a new version (AWSCURRENT)'
    ])
    expect(lines(report)).toEqual([
      'updated  secret ci/plain 00000001 → 00000004 — wrote a new version (AWSCURRENT)',
      'updated  secret ci/plain 00000001 → 00000002 — wrote a new version (AWSCURRENT)'
    ])
    expect(report.lines.map((l) => l.region)).toEqual(['us-east-1', 'eu-west-1'])
    expect(everything).not.toContain(TOKEN)
    expect(everything).not.toContain(OLD)
  })

  it('adds a missing key with a warning', async () => {
    const { report } = await rotate({ secrets: 'ci/json#pat' })
    expect(JSON.parse(east.current('ci/json') ?? '')).toMatchObject({ pat: TOKEN, token: OLD })
    expect(report.warnings).toEqual([
      `Secret '${east.find('ci/json').arn}' in us-east-1 has no key 'pat': it will be added, the other keys kept. If the secret's readers use another key name, fix the secrets input.`
    ])
    expect(lines(report)[0]).toMatch(/added 'pat'/)
  })

  // Changed: the message says "in it" instead of "in the secret" (core/json-edit.ts).
  it('fails a non-JSON secret given #key and writes nothing to it, but still writes the others', async () => {
    const { report, everything, outputs } = await rotate({ secrets: 'ci/text#token, ci/plain' })
    expect(east.current('ci/text')).toBe('not json at all')
    expect(east.puts.map((p) => p.id)).toEqual([east.find('ci/plain').arn])
    expect(report.failures).toEqual([
      "us-east-1 secret ci/text#token: is not JSON, so key 'token' cannot be set in it — nothing was written to it: drop '#token' to replace the whole value, or store a JSON object in it first"
    ])
    expect(outputs['secrets-updated']).toEqual([east.find('ci/plain').arn])
    expect(report.headline).toBe('Secrets: 1 updated, 1 failed')
    expect(everything).not.toContain('not json at all')
  })

  it('refuses to overwrite a JSON secret named without #key', async () => {
    const { report, everything } = await rotate({ secrets: 'ci/json' })
    expect(east.puts).toEqual([])
    expect(report.failures[0]).toMatch(
      /^us-east-1 secret ci\/json: holds a JSON object \(keys: user, token, other, id\) — nothing was written to it: name the key to set, e\.g\. ci\/json#user/
    )
    expect(everything).not.toContain(OTHER)
  })

  it('fails a missing secret without creating it', async () => {
    const { report } = await rotate({ secrets: 'ci/missing', regions: 'us-east-1,eu-west-1' })
    expect(report.failures).toEqual([
      'us-east-1 secret ci/missing: does not exist in us-east-1: check the name and the regions input (this action never creates secrets)',
      'eu-west-1 secret ci/missing: does not exist in eu-west-1: check the name and the regions input (this action never creates secrets)'
    ])
    expect(east.calls).toEqual(['describe ci/missing'])
  })

  it('plans in a dry run: reads only, and says what it would write', async () => {
    const { report, outputs } = await rotate({
      secrets: 'ci/plain, ci/json#token, ci/json#new',
      'dry-run': 'true'
    })
    expect(east.calls.filter((c) => c.startsWith('put'))).toEqual([])
    expect(east.current('ci/plain')).toBe(OLD)
    expect(lines(report)).toEqual([
      "planned  secret ci/json#new 00000002 — would write a new version (AWSCURRENT) setting 'token', 'new', other keys kept; added 'new'",
      "planned  secret ci/json#token 00000002 — would write a new version (AWSCURRENT) setting 'token', 'new', other keys kept; added 'new'",
      'planned  secret ci/plain 00000001 — would write a new version (AWSCURRENT)'
    ])
    expect(outputs).toEqual({ 'secrets-updated': [] })
    expect(report.headline).toBe('Secrets: 3 planned')
  })

  it('refuses the whole-value entry of a JSON secret also named by key, and sets the key', async () => {
    east.write('ci/plain', '{"token": "x"}')
    const { report } = await rotate({
      secrets: `ci/plain#token, arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:ci/plain-AbCdEf`
    })
    expect(east.puts).toHaveLength(1)
    expect(east.current('ci/plain')).toBe(`{"token": "${TOKEN}"}`)
    expect(report.failures).toEqual([
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
    expect(listed.report.lines.find((l) => l.region === 'eu-west-1')?.line).toMatch(
      /skipped .*a replica of the secret in us-east-1: Secrets Manager copies the new value from there/
    )
    const alone = await rotate({ secrets: 'ci/plain', regions: 'eu-west-1' })
    expect(alone.report.failures).toEqual([
      "eu-west-1 secret ci/plain: is a read-only replica of the secret in us-east-1: add us-east-1 to regions, or name the primary's ARN"
    ])
    // Named by ARN, the replica is never skipped for its primary: the ARN names that copy.
    const byArn = await rotate({
      secrets: west.find('ci/plain').arn,
      regions: 'us-east-1,eu-west-1'
    })
    expect(byArn.report.failures[0]).toMatch(/is a read-only replica of the secret in us-east-1/)
    expect(west.puts).toEqual([])
  })

  it.each([
    [{ deleted: true }, /is scheduled for deletion: restore it \(RestoreSecret\)/],
    [{ owningService: 'rds' }, /is managed by rds, which alone changes its value/]
  ])('fails a secret it must not write: %j', async (extra, message) => {
    Object.assign(east.find('ci/plain'), extra)
    const { report } = await rotate({ secrets: 'ci/plain' })
    expect(report.failures[0]).toMatch(message)
    expect(east.puts).toEqual([])
  })

  it('warns when the secret rotates itself, once however many keys are named', async () => {
    east.find('ci/json').rotationEnabled = true
    const { report } = await rotate({ secrets: 'ci/json#token, ci/json#user' })
    expect(report.warnings).toEqual([
      `Secret '${east.find('ci/json').arn}' has automatic rotation turned on: its rotation function will replace the token at the next rotation unless it writes the same value.`
    ])
    expect(JSON.parse(east.current('ci/json') ?? '')).toMatchObject({ token: TOKEN, user: TOKEN })
  })

  it('fails a binary secret', async () => {
    east.add('ci/binary', undefined)
    const { report } = await rotate({ secrets: 'ci/binary' })
    expect(report.failures[0]).toMatch(/^us-east-1 secret ci\/binary: holds a binary value/)
    expect(east.puts).toEqual([])
  })

  it('explains a secret with no current value', async () => {
    east.failures.get = awsError(
      'ResourceNotFoundException',
      "can't find the specified secret value for staging label: AWSCURRENT"
    )
    const { report } = await rotate({ secrets: 'ci/plain' })
    expect(report.failures[0]).toMatch(
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
    const { report } = await rotate({ secrets: 'ci/plain' })
    expect(report.failures).toEqual([
      `us-east-1 secret ci/plain: AccessDeniedException: not authorized — the role needs permission ${permission} (see the README's IAM policy)`
    ])
  })

  it('edits the latest value when the secret changed after the plan', async () => {
    east.onGet = (count, secret) => {
      if (count === 1)
        secret.versions.push({ id: 'concurrent', text: `{"token": "x", "added": "${OTHER}"}` })
    }
    const { report } = await rotate({ secrets: 'ci/json#token' })
    expect(JSON.parse(east.current('ci/json') ?? '')).toEqual({ token: TOKEN, added: OTHER })
    expect(lines(report)[0]).toMatch(
      /\(the secret changed after it was planned; the latest value was edited\)$/
    )
  })

  it('fails when another write lands right after ours', async () => {
    east.afterPut = (secret) => secret.versions.push({ id: 'someone-else', text: 'other' })
    const { report, outputs } = await rotate({ secrets: 'ci/plain' })
    expect(report.failures[0]).toMatch(
      /written as version \d{8}-v-us-east-1, but AWSCURRENT is now version someone-else: another write landed/
    )
    expect(outputs['secrets-updated']).toEqual([])
  })

  it('fails when AWS returns no version id', async () => {
    east.putVersionId = () => undefined
    const { report } = await rotate({ secrets: 'ci/plain' })
    expect(report.failures[0]).toMatch(/written as version unknown/)
  })

  it('fails when the value does not read back as written', async () => {
    east.readBack = (text) => (text === TOKEN ? 'different' : text)
    const { report, everything } = await rotate({ secrets: 'ci/plain' })
    expect(report.failures[0]).toMatch(/does not read back as written/)
    expect(everything).not.toContain(TOKEN)
  })

  it('fails when the check read fails after the write', async () => {
    east.failures.verify = awsError('ThrottlingException', 'Rate exceeded')
    const { report } = await rotate({ secrets: 'ci/plain' })
    expect(report.failures[0]).toMatch(
      /the new version \d{8}-v-us-east-1 was written, but could not be read back to verify it: ThrottlingException/
    )
  })

  it('fails, naming no version, when a write without a version id cannot be read back', async () => {
    east.putVersionId = () => undefined
    east.failures.verify = awsError('ThrottlingException', 'Rate exceeded')
    const { report } = await rotate({ secrets: 'ci/plain' })
    expect(report.failures).toEqual([
      'us-east-1 secret ci/plain: the new version  was written, but could not be read back to verify it: ThrottlingException: Rate exceeded — AWS kept throttling after retries: re-run, or lower max-concurrency'
    ])
    expect(rows(report)[0]?.[3]).toBe('00000001')
  })

  it('shows no version for a secret whose versions AWS does not name, and refuses to call that verified', async () => {
    const unnamed: SecretsApi = {
      describeSecret: (id) => east.describeSecret(id),
      getSecretString: async (id) => ({
        ...(await east.getSecretString(id)),
        versionId: undefined
      }),
      putSecretString: (id, text) => east.putSecretString(id, text),
      listVersions: (id) => east.listVersions(id),
      getVersionString: (id, version) => east.getVersionString(id, version)
    }
    const dry = storeFor({ secrets: 'ci/plain', 'dry-run': 'true' }, () => unnamed).store
    await dry.plan()
    expect(lines(dry.report())).toEqual([
      'planned  secret ci/plain — would write a new version (AWSCURRENT)'
    ])
    expect(rows(dry.report())[0]?.[3]).toBe('–')
    const applied = storeFor({ secrets: 'ci/plain' }, () => unnamed).store
    await applied.plan()
    await applied.apply()
    expect(east.current('ci/plain')).toBe(TOKEN)
    expect(applied.report().failures).toEqual([
      expect.stringMatching(
        /^us-east-1 secret ci\/plain: the token was written as version 00000004-v-us-east-1, but AWSCURRENT is now version unknown:/
      )
    ])
    expect(applied.report().outputs).toEqual({ 'secrets-updated': [] })
  })

  it('shows a planned write that was never applied (the token was refused) by its status alone', async () => {
    const { store } = storeFor({ secrets: 'ci/plain' })
    await store.plan()
    expect(east.puts).toEqual([])
    const report = store.report()
    expect(lines(report)).toEqual(['planned  secret ci/plain 00000001'])
    expect(rows(report)[0]?.[4]).toBe('📝 planned')
    expect(report.headline).toBe('Secrets: 1 planned')
    expect(report.outputs).toEqual({ 'secrets-updated': [] })
  })

  it('reports the regions input in order, then regions only an ARN names', async () => {
    const { report } = await rotate({ secrets: `${west.find('ci/plain').arn}, ci/plain` })
    expect(report.lines.map((l) => l.region)).toEqual(['us-east-1', 'eu-west-1'])
    expect(rows(report).map((r) => r[0])).toEqual(['us-east-1', 'eu-west-1'])
    expect(west.current('ci/plain')).toBe(TOKEN)
  })

  it('reports no headline when no secrets are selected', async () => {
    const { store } = storeFor({ pipelines: 'x' })
    await store.plan()
    await store.apply()
    expect(store.report()).toMatchObject({
      headline: undefined,
      sections: [],
      failures: [],
      outputs: { 'secrets-updated': [] }
    })
    expect(east.calls).toEqual([])
  })
})

describe('secretsStore: misplaced answers', () => {
  it.each([
    [
      'another region',
      `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:ci/moved-AbCdEf`,
      `AWS answered for aws/eu-west-1 (arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:ci/moved-AbCdEf), not aws/us-east-1: check AWS_ENDPOINT_URL and the regions input: nothing was written`
    ],
    [
      'another partition',
      `arn:aws-cn:secretsmanager:us-east-1:${ACCOUNT}:secret:ci/moved-AbCdEf`,
      'AWS answered for aws-cn/us-east-1'
    ],
    [
      'another service',
      `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/ci/moved`,
      `AWS answered with 'arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/ci/moved', not a secretsmanager ARN`
    ]
  ])(
    'fails a secret DescribeSecret places in %s, reading nothing more',
    async (_what, arn, message) => {
      east.add('ci/moved', OLD, { arn })
      const { report } = await rotate({ secrets: 'ci/moved' })
      expect(report.failures).toEqual([expect.stringContaining(message)])
      expect(report.failures[0]).toMatch(/^us-east-1 secret ci\/moved: /)
      expect(east.calls).toEqual(['describe ci/moved'])
      expect(east.puts).toEqual([])
      expect(rows(report)[0]?.[1]).toBe('ci/moved')
    }
  )

  it('fails a secret named by ARN in one account when AWS answers for another', async () => {
    const named = `arn:aws:secretsmanager:us-east-1:210987654321:secret:ci/plain-AbCdEf`
    // The endpoint resolves the ARN, but answers with the credentials' own account.
    east.add(named, OLD, { arn: east.arnOf('ci/plain') })
    const { report } = await rotate({ secrets: named })
    expect(report.failures).toEqual([
      `us-east-1 secret ${named}: the ARN names account 210987654321, but AWS answered for account ${ACCOUNT}: run this entry with a role in 210987654321 (role-to-assume): nothing was written`
    ])
    expect(east.puts).toEqual([])
  })
})

describe('secretsStore: contributed secrets', () => {
  it('writes a secret another store found, showing where it came from', async () => {
    const { report, lookups, outputs } = await rotate({ pipelines: 'app' }, [
      contributed('ci/plain', 'stack ci-stack')
    ])
    expect(east.current('ci/plain')).toBe(TOKEN)
    expect(rows(report)[0]?.[1]).toBe('ci/plain (from stack ci-stack)')
    expect(lines(report)[0]).toMatch(/^updated {2}secret ci\/plain \(from stack ci-stack\) /)
    expect(lookups[0]?.()).toMatchObject({ status: 'updated', from: ['stack ci-stack'] })
    expect(outputs['secrets-updated']).toEqual([east.find('ci/plain').arn])
    expect(report.headline).toBe('Secrets: 1 updated')
  })

  it('writes a contributed secret in the region the ref names', async () => {
    const { lookups } = await rotate({ pipelines: 'app' }, [
      contributed(west.find('ci/plain').arn, 'stack eu', { region: 'eu-west-1', key: undefined })
    ])
    expect(west.current('ci/plain')).toBe(TOKEN)
    expect(east.calls).toEqual([])
    expect(lookups[0]?.()?.status).toBe('updated')
  })

  it('merges the same secret named by name in the input and by ARN from a stack: one row, one write', async () => {
    const arn = east.find('ci/json').arn
    const { report, lookups } = await rotate({ secrets: 'ci/json#token' }, [
      contributed(arn, 'stack ci-stack', { key: 'token' }),
      contributed(arn, 'CodeBuild credential in us-east-1', { key: 'token' })
    ])
    expect(east.puts).toHaveLength(1)
    expect(JSON.parse(east.current('ci/json') ?? '')).toMatchObject({ token: TOKEN, other: OTHER })
    expect(rows(report)).toHaveLength(1)
    expect(rows(report)[0]?.[1]).toBe(
      'ci/json (from stack ci-stack, CodeBuild credential in us-east-1)'
    )
    expect(lookups[0]?.()).toBe(lookups[1]?.())
    expect(lookups[0]?.()).toMatchObject({ status: 'updated', entry: 'ci/json#token' })
    expect(report.headline).toBe('Secrets: 1 updated')
  })

  it('keeps a contributed key of a secret the input names by another key: one write for both', async () => {
    const arn = east.find('ci/json').arn
    const { report } = await rotate({ secrets: 'ci/json#token' }, [
      contributed(arn, 'CodeBuild credential in us-east-1', { key: 'user' })
    ])
    expect(east.puts).toHaveLength(1)
    expect(JSON.parse(east.current('ci/json') ?? '')).toMatchObject({ token: TOKEN, user: TOKEN })
    expect(rows(report).map((r) => r[2])).toEqual(['user', 'token'])
  })

  // Readers look keys up exactly: a second key differing only in case would leave theirs old.
  it('refuses a contributed key that differs only in case from the secret’s own key', async () => {
    const arn = east.find('ci/json').arn
    const { report } = await rotate({ pipelines: 'app' }, [
      contributed(arn, 'CodeBuild credential in us-east-1', { key: 'Token' })
    ])
    expect(east.puts).toEqual([])
    expect(report.failures).toEqual([
      `us-east-1 secret ${arn}#Token: has key 'token', which differs from 'Token' only in case — nothing was written to it: name the key exactly as it is stored (#token), since its readers look it up exactly`
    ])
  })

  it('fails a contributed secret that does not exist, through its lookup too', async () => {
    const { report, lookups } = await rotate({ pipelines: 'app' }, [
      contributed('ci/gone', 'stack ci-stack')
    ])
    expect(report.failures).toEqual([
      'us-east-1 secret ci/gone: does not exist in us-east-1: check the name and the regions input (this action never creates secrets)'
    ])
    expect(lookups[0]?.()).toMatchObject({ status: 'failed' })
  })

  it('plans a contributed secret in a dry run, its lookup saying what would be written', async () => {
    const { lookups } = await rotate({ pipelines: 'app', 'dry-run': 'true' }, [
      contributed('ci/plain', 'stack ci-stack')
    ])
    expect(east.puts).toEqual([])
    expect(lookups[0]?.()).toMatchObject({
      status: 'planned',
      note: 'would write a new version (AWSCURRENT)'
    })
  })
})
