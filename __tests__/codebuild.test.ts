import { jest, describe, it, expect, beforeEach } from '@jest/globals'
import * as core from '../__fixtures__/core.js'
import { inputsOf } from '../__fixtures__/inputs.js'
import type { ValueRef } from '../src/core/refs.js'
import type { GitHubClient } from '../src/github/api.js'
import type { CodeBuildSettings, Inputs } from '../src/inputs/types.js'
import type { Services } from '../src/stores/registry.js'
import type { SecretsStore } from '../src/stores/secrets-manager/store.js'
import {
  ACCOUNT,
  FakeCodeBuild,
  FakeSecrets,
  awsError,
  credentialArn,
  limit
} from '../__fixtures__/value-stores.js'

jest.unstable_mockModule('@actions/core', () => core)
const { codebuildLines, codebuildSection } = await import('../src/stores/codebuild/render.js')
const { codebuildStore } = await import('../src/stores/codebuild/store.js')
const { secretsStore } = await import('../src/stores/secrets-manager/store.js')
const { SealedToken } = await import('../src/core/sealed-token.js')
const { run } = await import('../src/main.js')

beforeEach(() => {
  core.resetCore()
  // report.ts writes the summary only on a runner; the mocked core.summary keeps it in memory.
  process.env['GITHUB_STEP_SUMMARY'] = '/dev/null'
  delete process.env['GITHUB_OUTPUT']
})

const TOKEN = 'unit-token-0123456789abcdef'
const OLD = 'old-codebuild-token-do-not-print'
const arnFor = credentialArn
const secretArn = (region: string, name = 'codebuild/github') =>
  `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:${name}-AbCdEf`

function makeInputs(codebuild: Partial<CodeBuildSettings>, extra: Partial<Inputs> = {}): Inputs {
  return inputsOf({
    regions: ['us-east-1', 'eu-west-1'],
    codebuild: {
      mode: 'import',
      serverType: 'GITHUB',
      authType: 'PERSONAL_ACCESS_TOKEN',
      username: undefined,
      ...codebuild
    },
    verifyToken: false,
    maxConcurrency: 4,
    ...extra
  })
}

function regions(...names: string[]) {
  return Object.fromEntries(names.map((name) => [name, new FakeCodeBuild(name)]))
}

interface Setup {
  /** Secrets Manager per region, for credentials kept in a secret. */
  secrets?: Record<string, FakeSecrets>
  /** false: plan and report only (as when the token was refused). */
  apply?: boolean
}

/** The CodeBuild store with a real Secrets Manager store behind it, run as the flow runs them. */
async function runStore(
  inputs: Inputs,
  fakes: Record<string, FakeCodeBuild>,
  { secrets: secretFakes = {}, apply = !inputs.dryRun }: Setup = {}
) {
  const token = new SealedToken(TOKEN)
  const apiFor = (region: string) => {
    const fake = fakes[region]
    if (!fake) throw new Error(`no fake for ${region}`)
    return fake
  }
  const secretsFor = (region: string) => {
    const fake = secretFakes[region]
    if (!fake) throw new Error(`no Secrets Manager fake for ${region}`)
    return fake
  }
  const real = secretsStore(inputs, { apiFor: secretsFor, limit, token })
  const contributed: ValueRef[] = []
  const secrets: SecretsStore = {
    plan: () => real.plan(),
    apply: () => real.apply(),
    report: () => real.report(),
    contribute: (ref) => {
      contributed.push(ref)
      return real.contribute(ref)
    }
  }
  const store = codebuildStore(inputs, { apiFor, limit, token, secrets })
  await store.plan()
  await secrets.plan()
  if (apply) await Promise.all([store.apply(), secrets.apply()])
  const report = store.report()
  const outputs = report.outputs['codebuild-credentials'] as Record<string, unknown>[]
  return { store, report, outputs, contributed, secretsReport: secrets.report() }
}

describe('codebuild import', () => {
  it('imports the token with shouldOverwrite in every region and verifies it', async () => {
    const fakes = regions('us-east-1', 'eu-west-1')
    const { report, outputs } = await runStore(makeInputs({}), fakes)

    for (const region of ['us-east-1', 'eu-west-1']) {
      const fake = fakes[region]!
      expect(fake.imports).toEqual([
        {
          serverType: 'GITHUB',
          authType: 'PERSONAL_ACCESS_TOKEN',
          token: TOKEN,
          shouldOverwrite: true
        }
      ])
      expect(fake.lists).toBe(2) // plan + verification
    }
    expect(outputs).toEqual([
      {
        region: 'us-east-1',
        serverType: 'GITHUB',
        authType: 'PERSONAL_ACCESS_TOKEN',
        arn: arnFor('us-east-1', 'GITHUB'),
        status: 'imported'
      },
      {
        region: 'eu-west-1',
        serverType: 'GITHUB',
        authType: 'PERSONAL_ACCESS_TOKEN',
        arn: arnFor('eu-west-1', 'GITHUB'),
        status: 'imported'
      }
    ])
    expect(report.failures).toEqual([])
    expect(report.warnings).toEqual([])
    expect(report.headline).toBe('CodeBuild: 2 imported')
    expect(JSON.stringify(report)).not.toContain(TOKEN)
  })

  it('sends the username with Bitbucket basic auth', async () => {
    const fakes = regions('us-east-1')
    const inputs = makeInputs(
      { serverType: 'BITBUCKET', authType: 'BASIC_AUTH', username: 'builder' },
      { regions: ['us-east-1'] }
    )
    const { outputs } = await runStore(inputs, fakes)
    expect(fakes['us-east-1']!.imports).toEqual([
      {
        serverType: 'BITBUCKET',
        authType: 'BASIC_AUTH',
        token: TOKEN,
        username: 'builder',
        shouldOverwrite: true
      }
    ])
    expect(outputs[0]).toMatchObject({ status: 'imported', authType: 'BASIC_AUTH' })
  })

  it('never sends a username with a personal access token', async () => {
    const fakes = regions('us-east-1')
    const inputs = makeInputs({ username: 'ignored' }, { regions: ['us-east-1'] })
    await runStore(inputs, fakes)
    expect(fakes['us-east-1']!.imports[0]).not.toHaveProperty('username')
  })

  it('overwrites an existing token of the same auth type and leaves other server types alone', async () => {
    const fakes = regions('us-east-1')
    fakes['us-east-1']!.seed('GITHUB', 'PERSONAL_ACCESS_TOKEN')
    fakes['us-east-1']!.seed('BITBUCKET', 'OAUTH')
    const { report, outputs } = await runStore(makeInputs({}, { regions: ['us-east-1'] }), fakes)
    expect(outputs[0]).toMatchObject({ status: 'imported' })
    expect(fakes['us-east-1']!.credentials).toContainEqual({
      arn: arnFor('us-east-1', 'BITBUCKET'),
      serverType: 'BITBUCKET',
      authType: 'OAUTH'
    })
    expect(report.warnings).toEqual([])
  })

  it.each([
    ['CODECONNECTIONS', /drop `codebuild` from this step/],
    ['OAUTH', /authorised in the CodeBuild console/]
  ])(
    'refuses to replace a %s credential of the same server type, writing nothing',
    async (authType, how) => {
      const fakes = regions('us-east-1', 'eu-west-1')
      fakes['us-east-1']!.seed(
        'GITHUB',
        authType,
        'arn:aws:codeconnections:us-east-1:123456789012:connection/abc'
      )
      const { report, outputs } = await runStore(makeInputs({}), fakes)

      expect(fakes['us-east-1']!.imports).toEqual([])
      expect(fakes['us-east-1']!.credentials[0]?.authType).toBe(authType)
      expect(outputs[0]).toMatchObject({
        region: 'us-east-1',
        status: 'failed',
        arn: arnFor('us-east-1', 'GITHUB')
      })
      const error = String(outputs[0]?.['error'])
      expect(error).toContain(`this region already holds a GITHUB ${authType} credential`)
      expect(error).toContain('connection/abc')
      expect(error).toMatch(/nothing was written/)
      expect(error).toMatch(how)
      expect(error).toMatch(/`codebuild: disconnect`.*then with `codebuild: import`/)
      // The other region is not held back.
      expect(outputs[1]).toMatchObject({ region: 'eu-west-1', status: 'imported' })
      expect(report.failures).toEqual([`us-east-1 codebuild: ${error}`])
    }
  )

  it('replaces a token credential of the other token auth type, with a warning', async () => {
    const fakes = regions('us-east-1')
    fakes['us-east-1']!.seed('BITBUCKET', 'PERSONAL_ACCESS_TOKEN')
    const inputs = makeInputs(
      { serverType: 'BITBUCKET', authType: 'BASIC_AUTH', username: 'builder' },
      { regions: ['us-east-1'] }
    )
    const { report, outputs } = await runStore(inputs, fakes)
    expect(outputs[0]).toMatchObject({ status: 'imported', authType: 'BASIC_AUTH' })
    expect(report.warnings).toEqual([
      `us-east-1: the BITBUCKET PERSONAL_ACCESS_TOKEN credential ${arnFor('us-east-1', 'BITBUCKET')} is replaced by a BASIC_AUTH credential (CodeBuild keeps one per server type)`
    ])
  })

  it('names the missing permission when AWS denies the import', async () => {
    const fakes = regions('us-east-1')
    fakes['us-east-1']!.fail.import = awsError(
      'AccessDeniedException',
      'User: arn:aws:sts::123456789012:assumed-role/r/s is not authorized to perform: codebuild:ImportSourceCredentials'
    )
    const { report, outputs } = await runStore(makeInputs({}, { regions: ['us-east-1'] }), fakes)
    expect(outputs[0]).toMatchObject({ status: 'failed' })
    expect(outputs[0]?.['error']).toMatch(
      /^AccessDeniedException: .* — the role needs permission codebuild:ImportSourceCredentials/
    )
    expect(report.failures[0]).toMatch(/^us-east-1 codebuild: AccessDeniedException/)
  })

  it('names ListSourceCredentials when the plan cannot read the region, writing nothing', async () => {
    const fakes = regions('us-east-1')
    fakes['us-east-1']!.fail.list = awsError('AccessDeniedException', 'denied')
    const { outputs } = await runStore(makeInputs({}, { regions: ['us-east-1'] }), fakes)
    expect(fakes['us-east-1']!.imports).toEqual([])
    expect(outputs[0]?.['status']).toBe('failed')
    expect(outputs[0]?.['error']).toMatch(/needs permission codebuild:ListSourceCredentials/)
  })

  it('fails when the imported credential is not listed afterwards', async () => {
    const fakes = regions('us-east-1')
    fakes['us-east-1']!.dropImports = true
    const { outputs } = await runStore(makeInputs({}, { regions: ['us-east-1'] }), fakes)
    expect(outputs[0]).toMatchObject({ status: 'failed', arn: arnFor('us-east-1', 'GITHUB') })
    expect(outputs[0]?.['error']).toMatch(
      /ImportSourceCredentials answered with arn:.*, but ListSourceCredentials shows no GITHUB PERSONAL_ACCESS_TOKEN credential with that ARN \(GITHUB credentials found: none\)/
    )
  })

  it('fails when the listed credential has another ARN than the import returned', async () => {
    const fakes = regions('us-east-1')
    fakes['us-east-1']!.answerArn = 'arn:aws:codebuild:us-east-1:123456789012:token/other'
    const { outputs } = await runStore(makeInputs({}, { regions: ['us-east-1'] }), fakes)
    expect(outputs[0]?.['status']).toBe('failed')
    expect(outputs[0]?.['error']).toMatch(
      /GITHUB credentials found: PERSONAL_ACCESS_TOKEN credential arn:aws:codebuild:us-east-1:123456789012:token\/github/
    )
  })

  it('fails when the import answers without an ARN', async () => {
    const fakes = regions('us-east-1')
    fakes['us-east-1']!.answerArn = ''
    const { outputs } = await runStore(makeInputs({}, { regions: ['us-east-1'] }), fakes)
    expect(outputs[0]?.['status']).toBe('failed')
    expect(outputs[0]?.['error']).toMatch(/answered without an ARN/)
  })

  it('fails when the verification cannot list the credentials', async () => {
    const fakes = regions('us-east-1')
    fakes['us-east-1']!.failVerify = awsError('AccessDeniedException', 'denied')
    const { outputs } = await runStore(makeInputs({}, { regions: ['us-east-1'] }), fakes)
    expect(outputs[0]?.['error']).toMatch(
      /^imported, but not verified: .*codebuild:ListSourceCredentials/
    )
  })

  it('plans without writing in a dry run', async () => {
    const fakes = regions('us-east-1', 'eu-west-1')
    fakes['eu-west-1']!.seed('GITHUB', 'PERSONAL_ACCESS_TOKEN')
    const { report, outputs } = await runStore(makeInputs({}, { dryRun: true }), fakes)
    expect(fakes['us-east-1']!.imports).toEqual([])
    expect(fakes['eu-west-1']!.imports).toEqual([])
    expect(outputs.map((o) => o['status'])).toEqual(['planned', 'planned'])
    expect(outputs[1]?.['arn']).toBe(arnFor('eu-west-1', 'GITHUB'))
    expect(report.headline).toBe('CodeBuild: 2 planned')
    expect(report.lines.map((l) => l.line)).toEqual([
      'planned  codebuild GITHUB PERSONAL_ACCESS_TOKEN — no GITHUB credential yet: creates one',
      `planned  codebuild GITHUB PERSONAL_ACCESS_TOKEN ${arnFor('eu-west-1', 'GITHUB')} — replaces the token of the existing credential`
    ])
  })

  it('reports a conflict in a dry run too', async () => {
    const fakes = regions('us-east-1')
    fakes['us-east-1']!.seed('GITHUB', 'CODECONNECTIONS')
    const { report } = await runStore(
      makeInputs({}, { dryRun: true, regions: ['us-east-1'] }),
      fakes
    )
    expect(report.failures[0]).toMatch(/already holds a GITHUB CODECONNECTIONS credential/)
  })

  it('warns in the future tense in a dry run', async () => {
    const fakes = regions('us-east-1')
    fakes['us-east-1']!.seed('BITBUCKET', 'BASIC_AUTH')
    const inputs = makeInputs(
      { serverType: 'BITBUCKET', authType: 'PERSONAL_ACCESS_TOKEN' },
      { dryRun: true, regions: ['us-east-1'] }
    )
    const { report } = await runStore(inputs, fakes)
    expect(report.warnings[0]).toMatch(/would be replaced by a PERSONAL_ACCESS_TOKEN credential/)
  })
})

describe('codebuild: a credential kept in Secrets Manager', () => {
  const CODEBUILD_SECRET = JSON.stringify({
    ServerType: 'GITHUB',
    AuthType: 'PERSONAL_ACCESS_TOKEN',
    Token: OLD
  })

  function kept(region = 'us-east-1', secretRegion = region) {
    const fakes = regions(region)
    fakes[region]!.seed('GITHUB', 'SECRETS_MANAGER', secretArn(secretRegion))
    const secrets = new FakeSecrets(secretRegion).add('codebuild/github', CODEBUILD_SECRET)
    return { fakes, fake: fakes[region]!, secrets, arn: secretArn(secretRegion) }
  }

  // Changed: the old store refused a SECRETS_MANAGER credential ("rotate the
  // secret instead"); its secret's Token key is now rotated through the
  // Secrets Manager store, and the credential itself is left alone.
  it('rotates the Token key of its secret through the Secrets Manager store, importing nothing', async () => {
    const { fakes, fake, secrets, arn } = kept()
    const { report, outputs, contributed, secretsReport } = await runStore(
      makeInputs({}, { regions: ['us-east-1'] }),
      fakes,
      { secrets: { 'us-east-1': secrets } }
    )
    expect(contributed).toEqual([
      {
        entry: `${arn}#Token`,
        id: arn,
        key: 'Token',
        region: 'us-east-1',
        account: ACCOUNT,
        origin: 'CodeBuild credential in us-east-1'
      }
    ])
    expect(fake.imports).toEqual([])
    expect(fake.deletes).toEqual([])
    expect(fake.lists).toBe(1)
    expect(JSON.parse(secrets.current('codebuild/github') ?? '')).toEqual({
      ServerType: 'GITHUB',
      AuthType: 'PERSONAL_ACCESS_TOKEN',
      Token: TOKEN
    })
    expect(outputs).toEqual([
      {
        region: 'us-east-1',
        serverType: 'GITHUB',
        authType: 'SECRETS_MANAGER',
        arn: arnFor('us-east-1', 'GITHUB'),
        status: 'updated',
        secretArn: arn
      }
    ])
    expect(report.lines.map((l) => l.line)).toEqual([
      `updated  codebuild GITHUB SECRETS_MANAGER ${arnFor('us-east-1', 'GITHUB')} — via secret ${arn}: Token rotated (wrote a new version (AWSCURRENT) setting 'Token', other keys kept)`
    ])
    expect(report.headline).toBe('CodeBuild: 1 updated')
    expect(secretsReport.sections[0]?.rows[0]?.[1]).toBe(
      `${arn} (from CodeBuild credential in us-east-1)`
    )
    expect(secretsReport.outputs['secrets-updated']).toEqual([arn])
    expect(JSON.stringify([report, secretsReport])).not.toContain(OLD)
  })

  it('follows a secret in another region than the credential', async () => {
    const { fakes, secrets, arn } = kept('us-east-1', 'eu-west-1')
    const { outputs, contributed } = await runStore(
      makeInputs({}, { regions: ['us-east-1'] }),
      fakes,
      { secrets: { 'eu-west-1': secrets } }
    )
    expect(contributed[0]).toMatchObject({ id: arn, region: 'eu-west-1' })
    expect(outputs[0]).toMatchObject({ region: 'us-east-1', status: 'updated', secretArn: arn })
  })

  it('shows skipped when the secret already holds the token', async () => {
    const { fakes, secrets, arn } = kept()
    secrets.write('codebuild/github', JSON.stringify({ Token: TOKEN }))
    const { report, outputs } = await runStore(makeInputs({}, { regions: ['us-east-1'] }), fakes, {
      secrets: { 'us-east-1': secrets }
    })
    expect(secrets.puts).toEqual([])
    expect(outputs[0]).toMatchObject({ status: 'skipped' })
    expect(report.lines[0]?.line).toMatch(
      new RegExp(`^skipped .* — via secret ${arn}: key 'Token' already holds this token$`)
    )
  })

  it('shows the secret’s failure, counted once: by the Secrets Manager store', async () => {
    const { fakes, secrets, arn } = kept()
    secrets.failures.put = awsError('AccessDeniedException', 'not authorized')
    const { report, outputs, secretsReport } = await runStore(
      makeInputs({}, { regions: ['us-east-1'] }),
      fakes,
      { secrets: { 'us-east-1': secrets } }
    )
    expect(outputs[0]).toMatchObject({
      status: 'failed',
      secretArn: arn,
      error: `via secret ${arn}: AccessDeniedException: not authorized — the role needs permission secretsmanager:PutSecretValue (see the README's IAM policy)`
    })
    expect(report.failures).toEqual([])
    expect(secretsReport.failures).toEqual([
      `us-east-1 secret ${arn}#Token: AccessDeniedException: not authorized — the role needs permission secretsmanager:PutSecretValue (see the README's IAM policy)`
    ])
    expect(report.headline).toBe('CodeBuild: 1 failed')
  })

  it('shows planned, with what would be written, in a dry run', async () => {
    const { fakes, fake, secrets, arn } = kept()
    const { outputs, report } = await runStore(
      makeInputs({}, { regions: ['us-east-1'], dryRun: true }),
      fakes,
      { secrets: { 'us-east-1': secrets } }
    )
    expect(secrets.puts).toEqual([])
    expect(fake.imports).toEqual([])
    expect(outputs[0]).toMatchObject({ status: 'planned', secretArn: arn })
    expect(report.lines[0]?.line).toMatch(
      `via secret ${arn}: would write a new version (AWSCURRENT) setting 'Token', other keys kept`
    )
  })

  it('shows planned when nothing was applied (the token was refused)', async () => {
    const { fakes, secrets, arn } = kept()
    const { outputs, report } = await runStore(makeInputs({}, { regions: ['us-east-1'] }), fakes, {
      secrets: { 'us-east-1': secrets },
      apply: false
    })
    expect(secrets.puts).toEqual([])
    expect(outputs[0]).toMatchObject({ status: 'planned' })
    expect(report.lines[0]?.line).toMatch(`via secret ${arn}: its Token key would be rotated`)
  })

  it('shows the credential’s own plan before the Secrets Manager store planned', async () => {
    const { fakes, arn } = kept()
    const token = new SealedToken(TOKEN)
    const secrets = secretsStore(makeInputs({}, { regions: ['us-east-1'] }), {
      apiFor: () => {
        throw new Error('not planned in this test')
      },
      limit,
      token
    })
    const store = codebuildStore(makeInputs({}, { regions: ['us-east-1'] }), {
      apiFor: (region) => fakes[region]!,
      limit,
      token,
      secrets
    })
    await store.plan()
    expect(store.report().lines[0]?.line).toBe(
      `planned  codebuild GITHUB SECRETS_MANAGER ${arnFor('us-east-1', 'GITHUB')} — via secret ${arn}: its Token key is rotated; the credential itself is not touched`
    )
  })

  const bare: ['updated' | 'skipped' | 'failed', string][] = [
    ['updated', 'Token rotated (new version)'],
    ['skipped', 'already holds this token'],
    ['failed', 'failed']
  ]
  it.each(bare)('says %s plainly when the secret row has no detail', async (status, detail) => {
    const { fakes, arn } = kept()
    const inputs = makeInputs({}, { regions: ['us-east-1'] })
    const secrets: SecretsStore = {
      plan: async () => undefined,
      apply: async () => undefined,
      report: () => {
        throw new Error('not used')
      },
      contribute: (ref) => () => ({
        region: ref.region,
        entry: ref.entry,
        secretId: ref.id,
        status
      })
    }
    const store = codebuildStore(inputs, {
      apiFor: (region) => fakes[region]!,
      limit,
      token: new SealedToken(TOKEN),
      secrets
    })
    await store.plan()
    const report = store.report()
    const [entry] = report.outputs['codebuild-credentials'] as Record<string, unknown>[]
    expect(entry).toMatchObject({ status })
    expect(report.lines[0]?.line).toBe(
      `${status.padEnd(8)} codebuild GITHUB SECRETS_MANAGER ${arnFor('us-east-1', 'GITHUB')} — via secret ${arn}: ${detail}`
    )
  })

  it('writes one secret shared by the credentials of two regions once', async () => {
    const fakes = regions('us-east-1', 'eu-west-1')
    const arn = secretArn('us-east-1')
    fakes['us-east-1']!.seed('GITHUB', 'SECRETS_MANAGER', arn)
    fakes['eu-west-1']!.seed('GITHUB', 'SECRETS_MANAGER', arn)
    const secrets = new FakeSecrets('us-east-1').add('codebuild/github', CODEBUILD_SECRET)
    const { outputs, secretsReport } = await runStore(makeInputs({}), fakes, {
      secrets: { 'us-east-1': secrets }
    })
    expect(secrets.puts).toHaveLength(1)
    expect(outputs.map((o) => [o['region'], o['status']])).toEqual([
      ['us-east-1', 'updated'],
      ['eu-west-1', 'updated']
    ])
    expect(secretsReport.sections[0]?.rows).toHaveLength(1)
    expect(secretsReport.sections[0]?.rows[0]?.[1]).toBe(
      `${arn} (from CodeBuild credential in us-east-1, CodeBuild credential in eu-west-1)`
    )
  })

  it.each([
    ['no resource', undefined],
    [
      'a resource that is not a secret',
      'arn:aws:codeconnections:us-east-1:123456789012:connection/abc'
    ]
  ])('fails a SECRETS_MANAGER credential with %s, writing nothing', async (_what, resource) => {
    const fakes = regions('us-east-1')
    fakes['us-east-1']!.seed('GITHUB', 'SECRETS_MANAGER', resource)
    const { report, outputs, contributed } = await runStore(
      makeInputs({}, { regions: ['us-east-1'] }),
      fakes
    )
    expect(contributed).toEqual([])
    expect(fakes['us-east-1']!.imports).toEqual([])
    expect(outputs[0]).toMatchObject({ status: 'failed', authType: 'SECRETS_MANAGER' })
    expect(outputs[0]?.['secretArn']).toBeUndefined()
    const error = `the GITHUB SECRETS_MANAGER credential ${arnFor('us-east-1', 'GITHUB')}${resource ? ` (${resource})` : ''} names no Secrets Manager secret ARN: check CodeBuild › Settings › Source credentials in this region`
    expect(outputs[0]?.['error']).toBe(error)
    expect(report.failures).toEqual([`us-east-1 codebuild: ${error}`])
  })
})

describe('codebuild disconnect', () => {
  it('deletes the credential of the server type only, then verifies it is gone', async () => {
    const fakes = regions('us-east-1')
    const fake = fakes['us-east-1']!
    fake.seed('GITHUB', 'PERSONAL_ACCESS_TOKEN')
    fake.seed('BITBUCKET', 'BASIC_AUTH')
    fake.seed('GITHUB_ENTERPRISE', 'PERSONAL_ACCESS_TOKEN')
    const { report, outputs } = await runStore(
      makeInputs({ mode: 'disconnect' }, { regions: ['us-east-1'] }),
      fakes
    )
    expect(fake.deletes).toEqual([arnFor('us-east-1', 'GITHUB')])
    expect(fake.imports).toEqual([])
    expect(fake.credentials.map((c) => c.serverType)).toEqual(['BITBUCKET', 'GITHUB_ENTERPRISE'])
    expect(outputs).toEqual([
      {
        region: 'us-east-1',
        serverType: 'GITHUB',
        authType: 'PERSONAL_ACCESS_TOKEN',
        arn: arnFor('us-east-1', 'GITHUB'),
        status: 'removed'
      }
    ])
    expect(report.headline).toBe('CodeBuild: 1 removed')
  })

  it('reports absent, not a failure, when there is nothing to delete', async () => {
    const fakes = regions('us-east-1')
    fakes['us-east-1']!.seed('BITBUCKET', 'BASIC_AUTH')
    const { report, outputs } = await runStore(
      makeInputs({ mode: 'disconnect' }, { regions: ['us-east-1'] }),
      fakes
    )
    expect(fakes['us-east-1']!.deletes).toEqual([])
    expect(outputs[0]).toMatchObject({ status: 'absent' })
    expect(outputs[0]?.['error']).toBeUndefined()
    expect(report.failures).toEqual([])
    expect(report.lines[0]?.line).toBe(
      'absent   codebuild GITHUB PERSONAL_ACCESS_TOKEN — no GITHUB source credential in us-east-1'
    )
  })

  it('removes a credential of any auth type for the server type, a secret-backed one too', async () => {
    for (const authType of ['CODECONNECTIONS', 'SECRETS_MANAGER']) {
      const fakes = regions('us-east-1')
      fakes['us-east-1']!.seed('GITHUB', authType, secretArn('us-east-1'))
      const { outputs, contributed } = await runStore(
        makeInputs({ mode: 'disconnect' }, { regions: ['us-east-1'] }),
        fakes
      )
      expect(outputs[0]).toMatchObject({ status: 'removed', authType })
      expect(contributed).toEqual([])
    }
  })

  it('plans the removal without deleting in a dry run', async () => {
    const fakes = regions('us-east-1')
    fakes['us-east-1']!.seed('GITHUB', 'PERSONAL_ACCESS_TOKEN')
    const { outputs } = await runStore(
      makeInputs({ mode: 'disconnect' }, { dryRun: true, regions: ['us-east-1'] }),
      fakes
    )
    expect(fakes['us-east-1']!.deletes).toEqual([])
    expect(outputs[0]).toMatchObject({ status: 'planned', arn: arnFor('us-east-1', 'GITHUB') })
  })

  it('names the missing permission when AWS denies the delete', async () => {
    const fakes = regions('us-east-1')
    fakes['us-east-1']!.seed('GITHUB', 'PERSONAL_ACCESS_TOKEN')
    fakes['us-east-1']!.fail.delete = awsError('AccessDeniedException', 'denied')
    const { outputs } = await runStore(
      makeInputs({ mode: 'disconnect' }, { regions: ['us-east-1'] }),
      fakes
    )
    expect(outputs[0]?.['error']).toMatch(
      /the role needs permission codebuild:DeleteSourceCredentials/
    )
  })

  it('reports absent when the credential disappeared between plan and delete', async () => {
    const fakes = regions('us-east-1')
    const fake = fakes['us-east-1']!
    fake.seed('GITHUB', 'PERSONAL_ACCESS_TOKEN')
    const token = new SealedToken(TOKEN)
    const inputs = makeInputs({ mode: 'disconnect' }, { regions: ['us-east-1'] })
    const store = codebuildStore(inputs, {
      apiFor: () => fake,
      limit,
      token,
      secrets: secretsStore(inputs, { apiFor: () => new FakeSecrets('us-east-1'), limit, token })
    })
    await store.plan()
    fake.credentials = []
    await store.apply()
    expect(store.report().outputs['codebuild-credentials']).toEqual([
      expect.objectContaining({ status: 'absent' })
    ])
    expect(store.report().lines[0]?.line).toMatch(/already deleted by the time it was removed$/)
    expect(store.report().failures).toEqual([])
  })

  it('fails when the credential is still listed after the delete', async () => {
    const fakes = regions('us-east-1')
    fakes['us-east-1']!.seed('GITHUB', 'PERSONAL_ACCESS_TOKEN')
    fakes['us-east-1']!.keepDeleted = true
    const { outputs } = await runStore(
      makeInputs({ mode: 'disconnect' }, { regions: ['us-east-1'] }),
      fakes
    )
    expect(outputs[0]?.['error']).toMatch(/ListSourceCredentials still shows/)
  })

  it('fails when the deletion cannot be verified', async () => {
    const fakes = regions('us-east-1')
    fakes['us-east-1']!.seed('GITHUB', 'PERSONAL_ACCESS_TOKEN')
    fakes['us-east-1']!.failVerify = awsError('ThrottlingException', 'slow down')
    const { outputs } = await runStore(
      makeInputs({ mode: 'disconnect' }, { regions: ['us-east-1'] }),
      fakes
    )
    expect(outputs[0]?.['error']).toMatch(/^deleted, but not verified: ThrottlingException/)
  })
})

describe('codebuild store when off', () => {
  it('does nothing and sets no output', async () => {
    const fakes = regions('us-east-1', 'eu-west-1')
    const { report } = await runStore(makeInputs({ mode: 'off' }), fakes)
    expect(fakes['us-east-1']!.lists).toBe(0)
    expect(fakes['eu-west-1']!.lists).toBe(0)
    expect(report.outputs).toEqual({})
    expect(report.headline).toBeUndefined()
    expect(report.sections).toEqual([])
  })
})

describe('codebuild report', () => {
  it('builds a summary table with the status and its reason', () => {
    const section = codebuildSection([
      {
        region: 'us-east-1',
        serverType: 'GITHUB',
        authType: 'PERSONAL_ACCESS_TOKEN',
        arn: 'arn:x',
        status: 'imported'
      },
      {
        region: 'eu-west-1',
        serverType: 'GITHUB',
        authType: 'PERSONAL_ACCESS_TOKEN',
        status: 'failed',
        error: 'boom'
      }
    ])
    expect(section.title).toBe('CodeBuild source credentials')
    expect(section.headers).toEqual(['Region', 'Server type', 'Auth type', 'Credential', 'Status'])
    expect(section.rows).toEqual([
      ['us-east-1', 'GITHUB', 'PERSONAL_ACCESS_TOKEN', 'arn:x', '✅ imported'],
      ['eu-west-1', 'GITHUB', 'PERSONAL_ACCESS_TOKEN', '–', '❌ failed: boom']
    ])
    expect(
      codebuildLines([
        {
          region: 'eu-west-1',
          serverType: 'GITHUB',
          authType: 'BASIC_AUTH',
          status: 'failed',
          error: 'boom'
        }
      ])
    ).toEqual([{ region: 'eu-west-1', line: 'failed   codebuild GITHUB BASIC_AUTH — boom' }])
  })
})

describe('run with codebuild', () => {
  const notUsed = () => {
    throw new Error('not used in this test')
  }
  /** GitHub is never asked: verify-token is false and no previous-token is given. */
  const github = (): GitHubClient => ({
    as: () => new Proxy({}, { get: notUsed }) as ReturnType<GitHubClient['as']>,
    anonymous: notUsed
  })
  const services = (fakes: Record<string, FakeCodeBuild>) => (): Services => ({
    pipelines: notUsed,
    secrets: notUsed,
    parameters: notUsed,
    stacks: notUsed,
    codebuild: (region: string) => fakes[region]!
  })

  it('wires the store into the action: a run with only `codebuild: import` is valid', async () => {
    core.setInputs({
      token: TOKEN,
      codebuild: 'true',
      regions: 'us-east-1, eu-west-1',
      'dry-run': 'false',
      'verify-token': 'false',
      'follow-stacks': 'true',
      'codebuild-server-type': 'GITHUB',
      'codebuild-auth-type': 'PERSONAL_ACCESS_TOKEN',
      'max-concurrency': '8',
      'min-days-left': '7'
    })
    const fakes = regions('us-east-1', 'eu-west-1')
    await run({ services: services(fakes), github })

    expect(core.setFailed).not.toHaveBeenCalled()
    expect(fakes['us-east-1']!.imports).toHaveLength(1)
    expect(fakes['eu-west-1']!.imports).toHaveLength(1)
    const output = core.setOutput.mock.calls.find(([name]) => name === 'codebuild-credentials')
    expect(JSON.parse(String(output?.[1])).map((e: { status: string }) => e.status)).toEqual([
      'imported',
      'imported'
    ])
    expect(core.group).toHaveBeenCalledWith('Region us-east-1', expect.any(Function))
    expect(core.summary.text()).toContain('### CodeBuild source credentials')
    expect(core.summary.text()).toContain('CodeBuild: 2 imported')
  })

  it('fails the step listing each failed region', async () => {
    core.setInputs({
      token: TOKEN,
      codebuild: 'import',
      regions: 'us-east-1',
      'dry-run': 'false',
      'verify-token': 'false',
      'follow-stacks': 'false'
    })
    const fakes = regions('us-east-1')
    fakes['us-east-1']!.seed('GITHUB', 'OAUTH')
    await run({ services: services(fakes), github })
    expect(core.setFailed).toHaveBeenCalledWith(
      expect.stringMatching(
        /1 target\(s\) failed:\n- us-east-1 codebuild: this region already holds a GITHUB OAUTH credential/
      )
    )
    expect(fakes['us-east-1']!.imports).toEqual([])
  })
})
