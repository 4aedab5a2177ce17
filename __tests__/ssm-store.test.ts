import { jest, describe, it, expect, beforeEach } from '@jest/globals'
import * as core from '../__fixtures__/core.js'
import type { ValueRef } from '../src/core/refs.js'
import {
  ACCOUNT,
  FakeParameters,
  actionDefaults,
  awsError,
  limit
} from '../__fixtures__/value-stores.js'

jest.unstable_mockModule('@actions/core', () => core)
const { parameterStore } = await import('../src/stores/ssm/store.js')
const { keptSettings, matchesPattern } = await import('../src/stores/ssm/plan.js')
const { parameterSection, parameterLines } = await import('../src/stores/ssm/render.js')
const { parseInputs } = await import('../src/inputs/parse.js')
const { SealedToken } = await import('../src/core/sealed-token.js')

const TOKEN = 'unit-token-parameters-0123456789'
const OLD = 'old-parameter-token-do-not-print'
const OTHER = 'other-parameter-value-do-not-print'

let east: FakeParameters
let west: FakeParameters
const apiFor = (region: string) => (region === 'eu-west-1' ? west : east)

function setup(values: Record<string, string>) {
  core.setInputs({ ...actionDefaults(), 'verify-token': 'false', regions: 'us-east-1', ...values })
  return parseInputs(false)
}

function contributed(id: string, origin: string, overrides: Partial<ValueRef> = {}): ValueRef {
  return {
    entry: id,
    id,
    key: undefined,
    region: 'us-east-1',
    account: undefined,
    origin,
    ...overrides
  }
}

async function rotate(
  values: Record<string, string>,
  refs: ValueRef[] = [],
  { apply = true }: { apply?: boolean } = {}
) {
  const inputs = setup(values)
  const store = parameterStore(inputs, { apiFor, limit, token: new SealedToken(TOKEN) })
  const lookups = refs.map((ref) => store.contribute(ref))
  await store.plan()
  if (!inputs.dryRun && apply) await store.apply()
  const report = store.report()
  return { store, report, lookups, everything: JSON.stringify(report), outputs: report.outputs }
}

const rows = (report: { sections: { rows: string[][] }[] }) => report.sections[0]?.rows ?? []
const lines = (report: { lines: { line: string }[] }) => report.lines.map((l) => l.line)

beforeEach(() => {
  core.resetCore()
  delete process.env['AWS_REGION']
  delete process.env['AWS_DEFAULT_REGION']
  east = new FakeParameters('us-east-1')
    .add('/ci/token', OLD, {
      tier: 'Advanced',
      allowedPattern: '^[\\w-]+$',
      description: 'The CI token',
      policies: ['Expiration']
    })
    .add(
      '/ci/json',
      `{\n  "user": "bot",\n  "token": "${OLD}",\n  "other": "${OTHER}",\n  "id": 12345678901234567890\n}`,
      { version: 7 }
    )
    .add('/ci/text', 'not json at all')
  west = new FakeParameters('eu-west-1').add('/ci/token', OLD)
})

describe('parameterStore: plan', () => {
  it('reads each parameter with GetParameter, then DescribeParameters by its name, and writes nothing', async () => {
    const { report } = await rotate({ parameters: '/ci/token', 'dry-run': 'true' })
    expect(east.calls).toEqual(['get /ci/token', 'describe /ci/token'])
    expect(east.puts).toEqual([])
    expect(lines(report)).toEqual([
      'planned  parameter /ci/token v1 — would write version 2; keeps SecureString, KMS key alias/ci-tokens, Advanced tier, policies Expiration'
    ])
    expect(report.headline).toBe('Parameters: 1 planned')
    expect(report.outputs).toEqual({ 'parameters-updated': [] })
  })

  it('fails a missing parameter without creating it', async () => {
    const { report } = await rotate({ parameters: '/ci/missing', regions: 'us-east-1,eu-west-1' })
    expect(report.failures).toEqual([
      'us-east-1 parameter /ci/missing: does not exist in us-east-1: check the name and the regions input (this action never creates parameters)',
      'eu-west-1 parameter /ci/missing: does not exist in eu-west-1: check the name and the regions input (this action never creates parameters)'
    ])
    expect(east.calls).toEqual(['get /ci/missing'])
    expect(east.puts).toEqual([])
  })

  it('refuses a StringList, writing nothing', async () => {
    east.add('/ci/list', 'a,b', { type: 'StringList', keyId: undefined })
    const { report } = await rotate({ parameters: '/ci/list' })
    expect(report.failures).toEqual([
      'us-east-1 parameter /ci/list: is a StringList, which readers split at commas: a token does not belong in one — nothing was written to it; store the token in a SecureString parameter'
    ])
    expect(east.puts).toEqual([])
  })

  it('refuses a data type other than text, writing nothing', async () => {
    east.add('/ci/ami', 'ami-0123456789abcdef0', { type: 'String', dataType: 'aws:ec2:image' })
    const { report } = await rotate({ parameters: '/ci/ami' })
    expect(report.failures).toEqual([
      'us-east-1 parameter /ci/ami: has data type aws:ec2:image, which a token is not — nothing was written to it'
    ])
    expect(east.puts).toEqual([])
  })

  it('fails, writing nothing, when the AllowedPattern refuses the new value', async () => {
    east.find('/ci/token').allowedPattern = '^ghp_[A-Za-z0-9]{36}$'
    const { report } = await rotate({ parameters: '/ci/token' })
    expect(report.failures).toEqual([
      "us-east-1 parameter /ci/token: its AllowedPattern ^ghp_[A-Za-z0-9]{36}$ does not accept the new value — nothing was written to it: fix the pattern (or the entry's #key), then re-run"
    ])
    expect(east.puts).toEqual([])
    expect(east.find('/ci/token').value).toBe(OLD)
  })

  it('leaves a pattern RE2 cannot read to AWS', async () => {
    expect(await matchesPattern('(?<unclosed', 'x')).toBeUndefined()
    expect(await matchesPattern('(a)\\1', 'aa')).toBeUndefined()
    expect(await matchesPattern('^a+$', 'aaa')).toBe(true)
    expect(await matchesPattern('^a+$', 'ab')).toBe(false)
    east.find('/ci/token').allowedPattern = '(?<unclosed'
    const { report } = await rotate({ parameters: '/ci/token' })
    expect(report.failures).toEqual([])
    expect(east.puts[0]?.allowedPattern).toBe('(?<unclosed')
  })

  it('fails a parameter DescribeParameters does not list (shared from another account)', async () => {
    east.find('/ci/token').unlisted = true
    const { report } = await rotate({ parameters: '/ci/token' })
    expect(report.failures[0]).toMatch(
      /^us-east-1 parameter \/ci\/token: could be read, but DescribeParameters does not list it, so its type, KMS key and tier cannot be kept: nothing was written to it/
    )
    expect(east.puts).toEqual([])
  })

  it('refuses #key on a value that is not JSON, and the whole value of a JSON object', async () => {
    const { report } = await rotate({ parameters: '/ci/text#token, /ci/json' })
    expect(report.failures).toEqual([
      'us-east-1 parameter /ci/json: holds a JSON object (keys: user, token, other, id) — nothing was written to it: name the key to set, e.g. /ci/json#user; the token written over the whole value would lose the other keys',
      "us-east-1 parameter /ci/text#token: is not JSON, so key 'token' cannot be set in it — nothing was written to it: drop '#token' to replace the whole value, or store a JSON object in it first"
    ])
    expect(east.puts).toEqual([])
  })

  const denials: ['get' | 'describe' | 'put', string][] = [
    ['get', 'ssm:GetParameter'],
    ['describe', 'ssm:DescribeParameters'],
    ['put', 'ssm:PutParameter']
  ]
  it.each(denials)('names the permission when %s is denied', async (call, permission) => {
    east.failures[call] = awsError('AccessDeniedException', 'not authorized')
    const { report } = await rotate({ parameters: '/ci/token' })
    expect(report.failures).toEqual([
      `us-east-1 parameter /ci/token: AccessDeniedException: not authorized — the role needs permission ${permission} (see the README's IAM policy)`
    ])
  })

  it('fails a parameter GetParameter answers for another region, reading nothing more', async () => {
    east.find('/ci/token').arn = `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/ci/token`
    const { report } = await rotate({ parameters: '/ci/token' })
    expect(report.failures).toEqual([
      `us-east-1 parameter /ci/token: AWS answered for aws/eu-west-1 (arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/ci/token), not aws/us-east-1: check AWS_ENDPOINT_URL and the regions input: nothing was written`
    ])
    expect(east.calls).toEqual(['get /ci/token'])
    expect(east.puts).toEqual([])
  })

  it('fails a parameter named by ARN in one account when AWS answers for another', async () => {
    const named = `arn:aws:ssm:us-east-1:210987654321:parameter/ci/shared`
    // The endpoint resolves the ARN, but answers for the credentials' own account.
    east.add(named, OLD, { arn: east.arnOf('/ci/shared') })
    const { report } = await rotate({ parameters: named })
    expect(report.failures).toEqual([
      `us-east-1 parameter ${named}: the ARN names account 210987654321, but AWS answered for account ${ACCOUNT}: run this entry with a role in 210987654321 (role-to-assume): nothing was written`
    ])
    expect(east.puts).toEqual([])
  })

  it('warns about a String parameter, and updates it as it is', async () => {
    east.add('/ci/plain', OLD, { type: 'String', keyId: undefined })
    const { report } = await rotate({ parameters: '/ci/plain' })
    expect(report.warnings).toEqual([
      "Parameter '/ci/plain' in us-east-1 is a String, so it holds the token unencrypted (anyone with ssm:GetParameter reads it, and it shows in the console): it is updated as it is — recreate it as a SecureString to encrypt it with KMS."
    ])
    expect(east.puts[0]).toMatchObject({ name: '/ci/plain', type: 'String', value: TOKEN })
    expect(east.find('/ci/plain').type).toBe('String')
    expect(lines(report)[0]).toBe(
      'updated  parameter /ci/plain v1 → 2 — wrote version 2; kept String, Standard tier'
    )
  })
})

describe('parameterStore: write', () => {
  it('writes the value keeping type, KMS key, tier, pattern, data type and description, and leaves policies alone', async () => {
    const { report, outputs, everything } = await rotate({
      parameters: '/ci/token',
      regions: 'us-east-1,eu-west-1'
    })
    expect(east.calls).toEqual([
      'get /ci/token',
      'describe /ci/token',
      'get /ci/token',
      'put /ci/token',
      'get /ci/token',
      'describe /ci/token'
    ])
    expect(east.puts).toEqual([
      {
        name: '/ci/token',
        value: TOKEN,
        type: 'SecureString',
        keyId: 'alias/ci-tokens',
        tier: 'Advanced',
        allowedPattern: '^[\\w-]+$',
        dataType: 'text',
        description: 'The CI token'
      }
    ])
    expect(east.puts[0]).not.toHaveProperty('policies')
    expect(east.find('/ci/token')).toMatchObject({
      value: TOKEN,
      version: 2,
      keyId: 'alias/ci-tokens',
      tier: 'Advanced',
      policies: ['Expiration']
    })
    expect(west.find('/ci/token')).toMatchObject({ value: TOKEN, version: 2, tier: 'Standard' })
    expect(outputs).toEqual({
      'parameters-updated': [east.arnOf('/ci/token'), west.arnOf('/ci/token')]
    })
    expect(report.failures).toEqual([])
    expect(report.warnings).toEqual([])
    expect(report.headline).toBe('Parameters: 2 updated')
    expect(report.sections[0]?.title).toBe('SSM Parameter Store')
    expect(rows(report)).toEqual([
      [
        'us-east-1',
        '/ci/token',
        '(whole value)',
        'SecureString',
        '1 → 2',
        '✅ updated: wrote version 2; kept SecureString, KMS key alias/ci-tokens, Advanced tier, policies Expiration'
      ],
      [
        'eu-west-1',
        '/ci/token',
        '(whole value)',
        'SecureString',
        '1 → 2',
        '✅ updated: wrote version 2; kept SecureString, KMS key alias/ci-tokens, Standard tier'
      ]
    ])
    expect(everything).not.toContain(TOKEN)
    expect(everything).not.toContain(OLD)
  })

  it("keeps a SecureString on the account's default key", async () => {
    east.add('/ci/default-key', OLD, { keyId: 'alias/aws/ssm' })
    const { report } = await rotate({ parameters: '/ci/default-key' })
    expect(east.puts[0]).toMatchObject({ type: 'SecureString', keyId: 'alias/aws/ssm' })
    expect(report.failures).toEqual([])
  })

  it('describes what a write keeps', () => {
    const metadata = {
      type: 'SecureString',
      keyId: undefined,
      tier: undefined,
      allowedPattern: undefined,
      dataType: undefined,
      description: undefined,
      policies: [],
      version: 1
    }
    expect(keptSettings(metadata)).toBe('SecureString, KMS key default')
    expect(keptSettings({ ...metadata, type: 'String', keyId: 'ignored', tier: 'Advanced' })).toBe(
      'String, Advanced tier'
    )
    expect(
      keptSettings({
        ...metadata,
        keyId: 'alias/k',
        policies: ['Expiration', 'NoChangeNotification']
      })
    ).toBe('SecureString, KMS key alias/k, policies Expiration, NoChangeNotification')
  })

  it('edits the latest value when the parameter changed after the plan', async () => {
    east.onGet = (count, p) => {
      if (count === 1) {
        p.value = `{"token": "x", "added": "${OTHER}"}`
        p.version = 8
      }
    }
    const { report } = await rotate({ parameters: '/ci/json#token' })
    expect(JSON.parse(east.find('/ci/json').value)).toEqual({ token: TOKEN, added: OTHER })
    expect(report.failures).toEqual([])
    expect(lines(report)[0]).toMatch(/v7 → 9 — wrote version 9;/)
  })

  it('fails when the value changed after the plan into one the AllowedPattern refuses', async () => {
    east.add('/ci/patterned', `{"token":"${OLD}"}`, { allowedPattern: '^[^!]*$' })
    east.onGet = (count, p) => {
      if (count === 1) p.value = `{"token":"${OLD}","note":"!"}`
    }
    const { report } = await rotate({ parameters: '/ci/patterned#token' })
    expect(report.failures).toEqual([
      'us-east-1 parameter /ci/patterned#token: its AllowedPattern ^[^!]*$ does not accept the new value — nothing was written to it'
    ])
    expect(east.puts).toEqual([])
  })

  it('fails when another write lands right after ours', async () => {
    east.afterPut = (p) => {
      p.version = (p.version ?? 0) + 1
      p.value = 'someone else'
    }
    const { report, outputs } = await rotate({ parameters: '/ci/token' })
    expect(report.failures).toEqual([
      'us-east-1 parameter /ci/token: the token was written, but the parameter reads back as version 3 (expected 2) holding another value: another write landed at the same time — check its history, then re-run'
    ])
    expect(outputs['parameters-updated']).toEqual([])
  })

  it('fails when the value does not read back as written', async () => {
    east.readBack = (text) => (text === TOKEN ? 'different' : text)
    const { report, everything } = await rotate({ parameters: '/ci/token' })
    expect(report.failures[0]).toMatch(
      /reads back as version 2 \(expected 2\) holding another value/
    )
    expect(everything).not.toContain(TOKEN)
  })

  it('fails when PutParameter answers with another version than one more', async () => {
    east.putVersion = (v) => v + 1
    const { report } = await rotate({ parameters: '/ci/token' })
    expect(report.failures[0]).toMatch(
      /the token was written, but the parameter reads back as version 2 \(expected 2\) holding the new value/
    )
  })

  it('fails when PutParameter answers without a version', async () => {
    east.putVersion = () => undefined
    const { report } = await rotate({ parameters: '/ci/token' })
    expect(report.failures[0]).toMatch(/reads back as version 2 \(expected 2\)/)
    expect(rows(report)[0]?.[4]).toBe('1')
  })

  it('fails when the KMS key changed with the write', async () => {
    east.afterPut = (p) => {
      p.keyId = 'alias/someone-elses-key'
    }
    const { report } = await rotate({ parameters: '/ci/token' })
    expect(report.failures).toEqual([
      "us-east-1 parameter /ci/token: the token was written, but the parameter's settings changed (before: SecureString, KMS key alias/ci-tokens, Advanced tier, policies Expiration; after: SecureString, KMS key alias/someone-elses-key, Advanced tier, policies Expiration): check it, then re-run"
    ])
  })

  it.each([
    ['the tier', (p: { tier?: string }) => (p.tier = 'Standard')],
    ['the pattern', (p: { allowedPattern?: string }) => (p.allowedPattern = undefined)],
    ['the policies', (p: { policies: string[] }) => (p.policies = [])]
  ])('fails when %s changed with the write', async (_what, change) => {
    east.afterPut = change
    const { report } = await rotate({ parameters: '/ci/token' })
    expect(report.failures[0]).toMatch(
      /the token was written, but the parameter's settings changed/
    )
  })

  it('fails when the parameter is no longer listed after the write', async () => {
    east.afterPut = (p) => {
      p.unlisted = true
    }
    const { report } = await rotate({ parameters: '/ci/token' })
    expect(report.failures[0]).toMatch(/settings changed \(before: .*; after: not listed\)/)
  })

  it('fails when the read-back fails', async () => {
    east.failures.verify = awsError('ThrottlingException', 'Rate exceeded')
    const { report } = await rotate({ parameters: '/ci/token' })
    expect(report.failures).toEqual([
      'us-east-1 parameter /ci/token: version 2 was written, but could not be read back to verify it: ThrottlingException: Rate exceeded — AWS kept throttling after retries: re-run, or lower max-concurrency'
    ])
  })

  it('shows a planned write that was never applied by its status alone', async () => {
    const { report } = await rotate({ parameters: '/ci/token' }, [], { apply: false })
    expect(lines(report)).toEqual(['planned  parameter /ci/token v1'])
    expect(rows(report)[0]?.[5]).toBe('📝 planned')
  })

  it('reports nothing when no parameters are selected', async () => {
    const { report } = await rotate({ pipelines: 'app' })
    expect(report).toMatchObject({
      sections: [],
      headline: undefined,
      outputs: { 'parameters-updated': [] }
    })
    expect(east.calls).toEqual([])
  })
})

describe('parameterStore: answers without a version or an ARN', () => {
  it('plans and writes a parameter GetParameter gives no version as version 1', async () => {
    east.add('/ci/unversioned', OLD, { version: undefined, arn: undefined })
    const dry = await rotate({ parameters: '/ci/unversioned', 'dry-run': 'true' })
    expect(lines(dry.report)).toEqual([
      'planned  parameter /ci/unversioned — would write version 1; keeps SecureString, KMS key alias/ci-tokens, Standard tier'
    ])
    const { report, outputs } = await rotate({ parameters: '/ci/unversioned' })
    expect(report.failures).toEqual([])
    expect(rows(report)[0]?.[4]).toBe('– → 1')
    // Without an ARN in the answer, the output names the parameter.
    expect(outputs).toEqual({ 'parameters-updated': ['/ci/unversioned'] })
  })

  it('fails a write that reads back without a version', async () => {
    east.onGet = (count, p) => {
      if (count === 2) p.version = undefined
    }
    const { report } = await rotate({ parameters: '/ci/token' })
    expect(report.failures[0]).toMatch(
      /the token was written, but the parameter reads back as version unknown \(expected 2\) holding the new value/
    )
  })

  it('fails, naming no version, when a write without one cannot be read back', async () => {
    east.putVersion = () => undefined
    east.failures.verify = awsError('ThrottlingException', 'Rate exceeded')
    const { report } = await rotate({ parameters: '/ci/token' })
    expect(report.failures[0]).toBe(
      'us-east-1 parameter /ci/token: version  was written, but could not be read back to verify it: ThrottlingException: Rate exceeded — AWS kept throttling after retries: re-run, or lower max-concurrency'
    )
  })
})

describe('parameterStore: ARNs and contributed parameters', () => {
  it('reads a parameter named by ARN by its ARN, then works with the name AWS answers with', async () => {
    const arn = west.arnOf('/ci/token')
    const { report, outputs } = await rotate({ parameters: arn, regions: 'us-east-1,eu-west-1' })
    expect(east.calls).toEqual([])
    expect(west.calls).toEqual([
      `get ${arn}`,
      'describe /ci/token',
      'get /ci/token',
      'put /ci/token',
      'get /ci/token',
      'describe /ci/token'
    ])
    expect(west.find('/ci/token').value).toBe(TOKEN)
    expect(rows(report)[0]?.slice(0, 2)).toEqual(['eu-west-1', '/ci/token'])
    expect(lines(report)[0]).toMatch(new RegExp(`^updated {2}parameter ${arn} v1 → 2`))
    expect(outputs).toEqual({ 'parameters-updated': [arn] })
  })

  it('writes a parameter a stack reads, showing where it came from', async () => {
    const { report, lookups } = await rotate({ pipelines: 'app' }, [
      contributed('/ci/token', 'stack ci-stack')
    ])
    expect(east.find('/ci/token').value).toBe(TOKEN)
    expect(rows(report)[0]?.[1]).toBe('/ci/token (from stack ci-stack)')
    expect(lines(report)[0]).toMatch(
      /^updated {2}parameter \/ci\/token \(from stack ci-stack\) v1 → 2/
    )
    expect(lookups[0]?.()).toMatchObject({ status: 'updated', from: ['stack ci-stack'] })
  })

  it('merges a parameter named in the input and by ARN from a stack: one row, one write', async () => {
    const arn = east.arnOf('/ci/token')
    const { report, lookups } = await rotate({ parameters: '/ci/token' }, [
      contributed(arn, 'stack ci-stack'),
      contributed('/ci/token', 'stack other-stack parameter TokenName')
    ])
    expect(east.puts).toHaveLength(1)
    expect(rows(report)).toHaveLength(1)
    expect(rows(report)[0]?.[1]).toBe(
      '/ci/token (from stack ci-stack, stack other-stack parameter TokenName)'
    )
    expect(lookups[0]?.()).toBe(lookups[1]?.())
    expect(lookups[0]?.()?.status).toBe('updated')
  })

  it('plans a contributed parameter in a dry run, and fails a missing one', async () => {
    const { lookups, report } = await rotate({ pipelines: 'app', 'dry-run': 'true' }, [
      contributed('/ci/token', 'stack ci-stack'),
      contributed('/ci/gone', 'stack ci-stack')
    ])
    expect(east.puts).toEqual([])
    expect(lookups[0]?.()).toMatchObject({
      status: 'planned',
      note: expect.stringMatching(/^would write version 2;/)
    })
    expect(lookups[1]?.()).toMatchObject({ status: 'failed' })
    expect(report.failures).toEqual([
      expect.stringMatching(/^us-east-1 parameter \/ci\/gone: does not exist in us-east-1/)
    ])
  })
})

describe('parameterStore: values read are secrets', () => {
  it('registers the value of a parameter it then refuses', async () => {
    const secretList = `listed-value-${Date.now()}`
    east.add('/ci/secret-list', `${secretList},b`, { type: 'StringList', keyId: undefined })
    await rotate({ parameters: '/ci/secret-list' })
    expect(core.setSecret).toHaveBeenCalledWith(`${secretList},b`)
  })
})

describe('parameter report', () => {
  it('shows a row without type or version as dashes', () => {
    const failed = {
      region: 'us-east-1',
      entry: '/x',
      name: '/x',
      status: 'failed' as const,
      error: 'boom'
    }
    expect(parameterSection([failed]).rows).toEqual([
      ['us-east-1', '/x', '(whole value)', '–', '–', '❌ failed: boom']
    ])
    expect(parameterLines([failed])).toEqual([
      { region: 'us-east-1', line: 'failed   parameter /x — boom' }
    ])
  })
})
