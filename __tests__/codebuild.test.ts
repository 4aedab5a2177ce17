import { jest, describe, it, expect, beforeEach } from '@jest/globals'
import * as core from '../__fixtures__/core.js'
import type { CodeBuildApi, ImportRequest, SourceCredential } from '../src/codebuild.js'
import type { GitHubApi } from '../src/github.js'
import type { CodeBuildSettings, Inputs } from '../src/inputs.js'
import type { Services } from '../src/main.js'

jest.unstable_mockModule('@actions/core', () => core)
const { codebuildLines, codebuildSection, codebuildStore } = await import('../src/codebuild.js')
const { run } = await import('../src/main.js')

beforeEach(() => {
  core.resetCore()
  // report.ts writes the summary only on a runner; the mocked core.summary keeps it in memory.
  process.env['GITHUB_STEP_SUMMARY'] = '/dev/null'
})

const TOKEN = 'unit-token-0123456789abcdef'
const ACCOUNT = '123456789012'

const arnFor = (region: string, serverType: string) =>
  `arn:aws:codebuild:${region}:${ACCOUNT}:token/${serverType.toLowerCase()}`

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), {
    name,
    $metadata: { httpStatusCode: 400 }
  })
}

/** An in-memory CodeBuild region that behaves like the API; failures are injected per call. */
class FakeCodeBuild implements CodeBuildApi {
  credentials: SourceCredential[] = []
  imports: ImportRequest[] = []
  deletes: string[] = []
  fail: Partial<Record<'import' | 'list' | 'delete', Error>> = {}
  /** Fails only the list calls after the first (the verification). */
  failVerify: Error | undefined
  /** Import answers but stores nothing (verification must catch it). */
  dropImports = false
  /** Import answers with this ARN instead of the stored one. */
  answerArn: string | undefined
  /** Delete answers but keeps the credential. */
  keepDeleted = false
  lists = 0

  constructor(readonly region: string) {}

  async importCredentials(request: ImportRequest) {
    if (this.fail.import) throw this.fail.import
    this.imports.push(request)
    const arn = arnFor(this.region, request.serverType)
    if (!this.dropImports) {
      this.credentials = this.credentials.filter((c) => c.serverType !== request.serverType)
      this.credentials.push({
        arn,
        serverType: request.serverType,
        authType: request.authType
      })
    }
    return this.answerArn ?? arn
  }

  async listCredentials() {
    this.lists++
    if (this.fail.list) throw this.fail.list
    if (this.lists > 1 && this.failVerify) throw this.failVerify
    return this.credentials.map((c) => ({ ...c }))
  }

  async deleteCredentials(arn: string) {
    if (this.fail.delete) throw this.fail.delete
    this.deletes.push(arn)
    const before = this.credentials.length
    if (!this.keepDeleted) this.credentials = this.credentials.filter((c) => c.arn !== arn)
    if (before === this.credentials.length && !this.keepDeleted) {
      throw awsError('ResourceNotFoundException', `Could not find source credentials ${arn}`)
    }
    return arn
  }

  seed(serverType: string, authType: string, resource?: string) {
    this.credentials.push({
      arn: arnFor(this.region, serverType),
      serverType,
      authType,
      ...(resource ? { resource } : {})
    })
  }
}

function makeInputs(codebuild: Partial<CodeBuildSettings>, extra: Partial<Inputs> = {}): Inputs {
  return {
    token: TOKEN,
    pipelines: [],
    regions: ['us-east-1', 'eu-west-1'],
    dryRun: false,
    codebuild: {
      mode: 'import',
      serverType: 'GITHUB',
      authType: 'PERSONAL_ACCESS_TOKEN',
      username: undefined,
      ...codebuild
    },
    secrets: [],
    roleToAssume: undefined,
    roleSessionName: 'test',
    githubApiUrl: 'https://api.github.com',
    verifyToken: false,
    minDaysLeft: 7,
    maxConcurrency: 4,
    ...extra
  }
}

const limit = <T>(task: () => Promise<T>) => task()

async function runStore(inputs: Inputs, fakes: Record<string, FakeCodeBuild>) {
  const apiFor = (region: string) => {
    const fake = fakes[region]
    if (!fake) throw new Error(`no fake for ${region}`)
    return fake
  }
  const store = codebuildStore(inputs, apiFor, limit)
  await store.plan()
  if (!inputs.dryRun) await store.apply(inputs.token)
  const outputs = store.outputs()['codebuild-credentials'] as Record<string, unknown>[]
  return { store, outputs }
}

function regions(...names: string[]) {
  return Object.fromEntries(names.map((name) => [name, new FakeCodeBuild(name)]))
}

describe('codebuild import', () => {
  it('imports the token with shouldOverwrite in every region and verifies it', async () => {
    const fakes = regions('us-east-1', 'eu-west-1')
    const { store, outputs } = await runStore(makeInputs({}), fakes)

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
    expect(store.failures()).toEqual([])
    expect(store.warnings()).toEqual([])
    expect(store.headline()).toBe('CodeBuild: 2 imported')
    expect(JSON.stringify(outputs)).not.toContain(TOKEN)
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
    expect(outputs[0]).toMatchObject({
      status: 'imported',
      authType: 'BASIC_AUTH'
    })
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
    const { store, outputs } = await runStore(makeInputs({}, { regions: ['us-east-1'] }), fakes)
    expect(outputs[0]).toMatchObject({ status: 'imported' })
    expect(fakes['us-east-1']!.credentials).toContainEqual({
      arn: arnFor('us-east-1', 'BITBUCKET'),
      serverType: 'BITBUCKET',
      authType: 'OAUTH'
    })
    expect(store.warnings()).toEqual([])
  })

  it.each([
    ['CODECONNECTIONS', /drop `codebuild` from this step/],
    ['SECRETS_MANAGER', /rotate the secret instead/],
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
      const { store, outputs } = await runStore(makeInputs({}), fakes)

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
      expect(outputs[1]).toMatchObject({
        region: 'eu-west-1',
        status: 'imported'
      })
      expect(store.failures()).toEqual([`us-east-1 codebuild: ${error}`])
    }
  )

  it('replaces a token credential of the other token auth type, with a warning', async () => {
    const fakes = regions('us-east-1')
    fakes['us-east-1']!.seed('BITBUCKET', 'PERSONAL_ACCESS_TOKEN')
    const inputs = makeInputs(
      { serverType: 'BITBUCKET', authType: 'BASIC_AUTH', username: 'builder' },
      { regions: ['us-east-1'] }
    )
    const { store, outputs } = await runStore(inputs, fakes)
    expect(outputs[0]).toMatchObject({
      status: 'imported',
      authType: 'BASIC_AUTH'
    })
    expect(store.warnings()).toEqual([
      expect.stringMatching(
        /^us-east-1: the BITBUCKET PERSONAL_ACCESS_TOKEN credential .* is replaced by a BASIC_AUTH credential/
      )
    ])
  })

  it('names the missing permission when AWS denies the import', async () => {
    const fakes = regions('us-east-1')
    fakes['us-east-1']!.fail.import = awsError(
      'AccessDeniedException',
      'User: arn:aws:sts::123456789012:assumed-role/r/s is not authorized to perform: codebuild:ImportSourceCredentials'
    )
    const { store, outputs } = await runStore(makeInputs({}, { regions: ['us-east-1'] }), fakes)
    expect(outputs[0]).toMatchObject({ status: 'failed' })
    expect(outputs[0]?.['error']).toMatch(
      /^AccessDeniedException: .* — the role needs permission codebuild:ImportSourceCredentials/
    )
    expect(store.failures()[0]).toMatch(/^us-east-1 codebuild: AccessDeniedException/)
  })

  it('names ListSourceCredentials when the plan cannot read the region, writing nothing', async () => {
    const fakes = regions('us-east-1')
    fakes['us-east-1']!.fail.list = awsError('AccessDeniedException', 'denied')
    const { outputs } = await runStore(makeInputs({}, { regions: ['us-east-1'] }), fakes)
    expect(fakes['us-east-1']!.imports).toEqual([])
    expect(outputs[0]?.['error']).toMatch(/needs permission codebuild:ListSourceCredentials/)
  })

  it('fails when the imported credential is not listed afterwards', async () => {
    const fakes = regions('us-east-1')
    fakes['us-east-1']!.dropImports = true
    const { outputs } = await runStore(makeInputs({}, { regions: ['us-east-1'] }), fakes)
    expect(outputs[0]).toMatchObject({
      status: 'failed',
      arn: arnFor('us-east-1', 'GITHUB')
    })
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
    const { store, outputs } = await runStore(makeInputs({}, { dryRun: true }), fakes)
    expect(fakes['us-east-1']!.imports).toEqual([])
    expect(fakes['eu-west-1']!.imports).toEqual([])
    expect(outputs.map((o) => o['status'])).toEqual(['planned', 'planned'])
    expect(outputs[1]?.['arn']).toBe(arnFor('eu-west-1', 'GITHUB'))
    expect(store.headline()).toBe('CodeBuild: 2 planned')
    expect(store.lines().map((l) => l.line)).toEqual([
      'planned  codebuild GITHUB PERSONAL_ACCESS_TOKEN — no GITHUB credential yet: creates one',
      `planned  codebuild GITHUB PERSONAL_ACCESS_TOKEN ${arnFor('eu-west-1', 'GITHUB')} — replaces the token of the existing credential`
    ])
  })

  it('reports a conflict in a dry run too', async () => {
    const fakes = regions('us-east-1')
    fakes['us-east-1']!.seed('GITHUB', 'CODECONNECTIONS')
    const { store } = await runStore(
      makeInputs({}, { dryRun: true, regions: ['us-east-1'] }),
      fakes
    )
    expect(store.failures()[0]).toMatch(/already holds a GITHUB CODECONNECTIONS credential/)
  })

  it('warns in the future tense in a dry run', async () => {
    const fakes = regions('us-east-1')
    fakes['us-east-1']!.seed('BITBUCKET', 'BASIC_AUTH')
    const inputs = makeInputs(
      { serverType: 'BITBUCKET', authType: 'PERSONAL_ACCESS_TOKEN' },
      { dryRun: true, regions: ['us-east-1'] }
    )
    const { store } = await runStore(inputs, fakes)
    expect(store.warnings()[0]).toMatch(/would be replaced by a PERSONAL_ACCESS_TOKEN credential/)
  })
})

describe('codebuild disconnect', () => {
  it('deletes the credential of the server type only, then verifies it is gone', async () => {
    const fakes = regions('us-east-1')
    const fake = fakes['us-east-1']!
    fake.seed('GITHUB', 'PERSONAL_ACCESS_TOKEN')
    fake.seed('BITBUCKET', 'BASIC_AUTH')
    fake.seed('GITHUB_ENTERPRISE', 'PERSONAL_ACCESS_TOKEN')
    const { store, outputs } = await runStore(
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
    expect(store.headline()).toBe('CodeBuild: 1 removed')
  })

  it('reports absent, not a failure, when there is nothing to delete', async () => {
    const fakes = regions('us-east-1')
    fakes['us-east-1']!.seed('BITBUCKET', 'BASIC_AUTH')
    const { store, outputs } = await runStore(
      makeInputs({ mode: 'disconnect' }, { regions: ['us-east-1'] }),
      fakes
    )
    expect(fakes['us-east-1']!.deletes).toEqual([])
    expect(outputs[0]).toMatchObject({ status: 'absent' })
    expect(outputs[0]?.['error']).toBeUndefined()
    expect(store.failures()).toEqual([])
    expect(store.lines()[0]?.line).toBe(
      'absent   codebuild GITHUB PERSONAL_ACCESS_TOKEN — no GITHUB source credential in us-east-1'
    )
  })

  it('removes a credential of any auth type for the server type', async () => {
    const fakes = regions('us-east-1')
    fakes['us-east-1']!.seed('GITHUB', 'CODECONNECTIONS')
    const { outputs } = await runStore(
      makeInputs({ mode: 'disconnect' }, { regions: ['us-east-1'] }),
      fakes
    )
    expect(outputs[0]).toMatchObject({
      status: 'removed',
      authType: 'CODECONNECTIONS'
    })
  })

  it('plans the removal without deleting in a dry run', async () => {
    const fakes = regions('us-east-1')
    fakes['us-east-1']!.seed('GITHUB', 'PERSONAL_ACCESS_TOKEN')
    const { outputs } = await runStore(
      makeInputs({ mode: 'disconnect' }, { dryRun: true, regions: ['us-east-1'] }),
      fakes
    )
    expect(fakes['us-east-1']!.deletes).toEqual([])
    expect(outputs[0]).toMatchObject({
      status: 'planned',
      arn: arnFor('us-east-1', 'GITHUB')
    })
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
    const store = codebuildStore(
      makeInputs({ mode: 'disconnect' }, { regions: ['us-east-1'] }),
      () => fake,
      limit
    )
    await store.plan()
    fake.credentials = []
    await store.apply(TOKEN)
    expect(store.outputs()['codebuild-credentials']).toEqual([
      expect.objectContaining({ status: 'absent' })
    ])
    expect(store.failures()).toEqual([])
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
    const fake = new FakeCodeBuild('us-east-1')
    const store = codebuildStore(makeInputs({ mode: 'off' }), () => fake, limit)
    await store.plan()
    await store.apply(TOKEN)
    expect(fake.lists).toBe(0)
    expect(store.outputs()).toEqual({})
    expect(store.headline()).toBeUndefined()
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
    ).toEqual([
      {
        region: 'eu-west-1',
        line: 'failed   codebuild GITHUB BASIC_AUTH — boom'
      }
    ])
  })
})

describe('run with codebuild', () => {
  it('wires the store into the action: a run with only `codebuild: import` is valid', async () => {
    core.setInputs({
      token: TOKEN,
      codebuild: 'true',
      regions: 'us-east-1, eu-west-1',
      'dry-run': 'false',
      'verify-token': 'false',
      'codebuild-server-type': 'GITHUB',
      'codebuild-auth-type': 'PERSONAL_ACCESS_TOKEN',
      'max-concurrency': '8',
      'min-days-left': '7'
    })
    const fakes = regions('us-east-1', 'eu-west-1')
    const notUsed = () => {
      throw new Error('not used in this test')
    }
    const services = (): Services =>
      ({
        pipelines: notUsed,
        secrets: notUsed,
        codebuild: (region: string) => fakes[region]!
      }) as unknown as Services
    const github = () => new Proxy({}, { get: notUsed }) as GitHubApi
    await run({ services, github })

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
      'verify-token': 'false'
    })
    const fakes = regions('us-east-1')
    fakes['us-east-1']!.seed('GITHUB', 'OAUTH')
    const services = () =>
      ({ codebuild: (region: string) => fakes[region]! }) as unknown as Services
    await run({ services, github: () => ({}) as GitHubApi })
    expect(core.setFailed).toHaveBeenCalledWith(
      expect.stringMatching(
        /1 target\(s\) failed:\n- us-east-1 codebuild: this region already holds a GITHUB OAUTH credential/
      )
    )
    expect(fakes['us-east-1']!.imports).toEqual([])
  })
})
