import { beforeEach, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { ACCOUNT, calls, control, writeCalls } from '../test-support/emulator.js'
import { useEmulator } from '../test-support/jest.js'
import { runScanned, type RunOptions, type RunResult } from '../test-support/run-action.js'

const TOKEN = `e2e-token-${randomBytes(12).toString('hex')}`
const OLD_TOKEN = `e2e-old-token-${randomBytes(8).toString('hex')}`
const CONNECTION = `arn:aws:codeconnections:us-east-1:${ACCOUNT}:connection/0a1b2c3d-e2e0-4000-8000-000000000000`
const emulator = useEmulator()

interface StoredCredential {
  arn: string
  serverType: string
  authType: string
  token?: string
  username?: string | null
  resource?: string | null
}

interface CredentialEntry {
  region: string
  serverType: string
  authType: string
  arn?: string
  status: string
  error?: string
}

const arnFor = (region: string, serverType: string) =>
  `arn:aws:codebuild:${region}:${ACCOUNT}:token/${serverType.toLowerCase()}`

async function stored(region: string): Promise<StoredCredential[]> {
  const body = await control<{ credentials: StoredCredential[] }>(
    emulator,
    `/_emulator/codebuild/credentials?region=${region}`
  )
  return body.credentials
}

async function seed(credential: {
  region: string
  serverType: string
  authType: string
  token?: string
  resource?: string
  username?: string
}): Promise<void> {
  await control(emulator, '/_emulator/codebuild/credentials', credential)
}

beforeEach(async () => {
  await control(emulator, '/_emulator/config', {
    faults: null,
    throttle: null
  })
  await control(emulator, '/_emulator/calls/reset', {})
})

const run = (inputs: Record<string, string>, options: Partial<RunOptions> = {}) =>
  runScanned(emulator, TOKEN, inputs, options)

const credentials = (result: RunResult) =>
  JSON.parse(result.outputs['codebuild-credentials'] ?? 'null') as CredentialEntry[]

describe('CodeBuild source credentials through the bundled action', () => {
  it('imports a personal access token in two regions, with no pipelines', async () => {
    // A stale token of the same kind is overwritten; another server type is left alone.
    await seed({
      region: 'eu-west-1',
      serverType: 'GITHUB',
      authType: 'PERSONAL_ACCESS_TOKEN',
      token: OLD_TOKEN
    })
    await seed({
      region: 'eu-west-1',
      serverType: 'BITBUCKET',
      authType: 'BASIC_AUTH',
      token: OLD_TOKEN,
      username: 'someone'
    })

    const result = await run({
      codebuild: 'import',
      regions: 'us-east-1, eu-west-1'
    })
    expect(result.code).toBe(0)

    expect(credentials(result)).toEqual([
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
    for (const region of ['us-east-1', 'eu-west-1']) {
      const github = (await stored(region)).find((c) => c.serverType === 'GITHUB')
      expect(github).toMatchObject({
        authType: 'PERSONAL_ACCESS_TOKEN',
        token: TOKEN
      })
    }
    expect((await stored('eu-west-1')).find((c) => c.serverType === 'BITBUCKET')).toMatchObject({
      authType: 'BASIC_AUTH',
      token: OLD_TOKEN,
      username: 'someone'
    })

    // Import, then verification, in each region; nothing else written.
    const writes = await writeCalls(emulator)
    expect(writes.map((c) => `${c.region} ${c.action}`).sort()).toEqual([
      'eu-west-1 ImportSourceCredentials',
      'us-east-1 ImportSourceCredentials'
    ])
    const lists = (await calls(emulator)).filter((c) => c.action === 'ListSourceCredentials')
    expect(lists).toHaveLength(4) // plan + verify, per region

    // A log group per region, and a summary table.
    expect(result.stdout).toContain('::group::Region us-east-1')
    expect(result.stdout).toContain('::group::Region eu-west-1')
    expect(result.stdout).toMatch(
      /imported codebuild GITHUB PERSONAL_ACCESS_TOKEN arn:aws:codebuild:eu-west-1:\d+:token\/github/
    )
    expect(result.summary).toContain('### CodeBuild source credentials')
    expect(result.summary).toContain(
      `| eu-west-1 | GITHUB | PERSONAL_ACCESS_TOKEN | ${arnFor('eu-west-1', 'GITHUB')} | ✅ imported |`
    )
    expect(result.summary).toContain('CodeBuild: 2 imported')
  })

  it('accepts `codebuild: true` as import, alongside the pipelines input', async () => {
    const result = await run({
      codebuild: 'true',
      regions: 'us-east-1',
      pipelines: 'none-such-*'
    })
    expect(result.code).toBe(0)
    expect(credentials(result)).toEqual([expect.objectContaining({ status: 'imported' })])
    expect((await stored('us-east-1'))[0]).toMatchObject({
      serverType: 'GITHUB',
      token: TOKEN
    })
  })

  it('imports a Bitbucket API token with basic auth and the account email', async () => {
    const result = await run({
      codebuild: 'import',
      regions: 'us-east-1',
      'codebuild-server-type': 'BITBUCKET',
      'codebuild-auth-type': 'BASIC_AUTH',
      'codebuild-username': 'build-bot@example.com'
    })
    expect(result.code).toBe(0)
    expect(credentials(result)).toEqual([
      {
        region: 'us-east-1',
        serverType: 'BITBUCKET',
        authType: 'BASIC_AUTH',
        arn: arnFor('us-east-1', 'BITBUCKET'),
        status: 'imported'
      }
    ])
    expect(await stored('us-east-1')).toEqual([
      expect.objectContaining({
        serverType: 'BITBUCKET',
        authType: 'BASIC_AUTH',
        token: TOKEN,
        username: 'build-bot@example.com'
      })
    ])
  })

  it('imports for GitHub Enterprise Server', async () => {
    const result = await run({
      codebuild: 'import',
      regions: 'us-east-1',
      'codebuild-server-type': 'GITHUB_ENTERPRISE'
    })
    expect(result.code).toBe(0)
    expect(await stored('us-east-1')).toEqual([
      expect.objectContaining({
        serverType: 'GITHUB_ENTERPRISE',
        token: TOKEN
      })
    ])
  })

  it('refuses basic auth without a username before calling AWS', async () => {
    const result = await run({
      codebuild: 'import',
      regions: 'us-east-1',
      'codebuild-server-type': 'BITBUCKET',
      'codebuild-auth-type': 'BASIC_AUTH'
    })
    expect(result.code).not.toBe(0)
    expect(result.stdout).toMatch(/::error::Input 'codebuild-username' is required/)
    expect(await calls(emulator)).toEqual([])
  })

  it('disconnect removes the GitHub credential only', async () => {
    await seed({
      region: 'us-east-1',
      serverType: 'GITHUB',
      authType: 'PERSONAL_ACCESS_TOKEN',
      token: OLD_TOKEN
    })
    await seed({
      region: 'us-east-1',
      serverType: 'BITBUCKET',
      authType: 'BASIC_AUTH',
      token: OLD_TOKEN,
      username: 'someone'
    })
    await seed({
      region: 'us-east-1',
      serverType: 'GITHUB_ENTERPRISE',
      authType: 'PERSONAL_ACCESS_TOKEN',
      token: OLD_TOKEN
    })

    const result = await run({
      codebuild: 'disconnect',
      regions: 'us-east-1, eu-west-1'
    })
    expect(result.code).toBe(0)
    expect(credentials(result)).toEqual([
      {
        region: 'us-east-1',
        serverType: 'GITHUB',
        authType: 'PERSONAL_ACCESS_TOKEN',
        arn: arnFor('us-east-1', 'GITHUB'),
        status: 'removed'
      },
      // Nothing to remove is not a failure.
      {
        region: 'eu-west-1',
        serverType: 'GITHUB',
        authType: 'PERSONAL_ACCESS_TOKEN',
        status: 'absent'
      }
    ])
    expect((await stored('us-east-1')).map((c) => c.serverType).sort()).toEqual([
      'BITBUCKET',
      'GITHUB_ENTERPRISE'
    ])
    expect((await writeCalls(emulator)).map((c) => `${c.region} ${c.action}`)).toEqual([
      'us-east-1 DeleteSourceCredentials'
    ])
    expect(result.summary).toContain('➖ absent')
  })

  it('refuses to replace an existing CodeConnections credential, and imports elsewhere', async () => {
    await seed({
      region: 'us-east-1',
      serverType: 'GITHUB',
      authType: 'CODECONNECTIONS',
      resource: CONNECTION,
      token: CONNECTION
    })

    const result = await run({
      codebuild: 'import',
      regions: 'us-east-1, eu-west-1'
    })
    expect(result.code).toBe(1)

    const [east, west] = credentials(result)
    expect(east).toMatchObject({
      region: 'us-east-1',
      serverType: 'GITHUB',
      authType: 'PERSONAL_ACCESS_TOKEN',
      arn: arnFor('us-east-1', 'GITHUB'),
      status: 'failed'
    })
    expect(east?.error).toContain(
      `this region already holds a GITHUB CODECONNECTIONS credential ${arnFor('us-east-1', 'GITHUB')} (${CONNECTION})`
    )
    expect(east?.error).toMatch(/nothing was written/)
    expect(east?.error).toMatch(/`codebuild: disconnect`/)
    expect(west).toMatchObject({ region: 'eu-west-1', status: 'imported' })

    // The connection is intact, and only eu-west-1 was written.
    expect(await stored('us-east-1')).toEqual([
      expect.objectContaining({
        authType: 'CODECONNECTIONS',
        resource: CONNECTION
      })
    ])
    expect((await writeCalls(emulator)).map((c) => `${c.region} ${c.action}`)).toEqual([
      'eu-west-1 ImportSourceCredentials'
    ])
    expect(result.stdout).toMatch(
      /::error::1 target\(s\) failed:%0A- us-east-1 codebuild: this region already holds a GITHUB CODECONNECTIONS credential/
    )
  })

  it('dry run plans in every region and writes nothing', async () => {
    await seed({
      region: 'eu-west-1',
      serverType: 'GITHUB',
      authType: 'PERSONAL_ACCESS_TOKEN',
      token: OLD_TOKEN
    })

    const result = await run({
      codebuild: 'import',
      regions: 'us-east-1, eu-west-1',
      'dry-run': 'true'
    })
    expect(result.code).toBe(0)
    expect(credentials(result)).toEqual([
      {
        region: 'us-east-1',
        serverType: 'GITHUB',
        authType: 'PERSONAL_ACCESS_TOKEN',
        status: 'planned'
      },
      {
        region: 'eu-west-1',
        serverType: 'GITHUB',
        authType: 'PERSONAL_ACCESS_TOKEN',
        arn: arnFor('eu-west-1', 'GITHUB'),
        status: 'planned'
      }
    ])
    expect(await writeCalls(emulator)).toEqual([])
    expect(await stored('us-east-1')).toEqual([])
    expect((await stored('eu-west-1'))[0]?.token).toBe(OLD_TOKEN)
    expect(result.summary).toContain('**Dry run**')
    expect(result.summary).toContain('CodeBuild: 2 planned')
  })

  it('dry run disconnect plans the removal and deletes nothing', async () => {
    await seed({
      region: 'us-east-1',
      serverType: 'GITHUB',
      authType: 'PERSONAL_ACCESS_TOKEN',
      token: OLD_TOKEN
    })
    const result = await run({
      codebuild: 'disconnect',
      regions: 'us-east-1',
      'dry-run': 'true'
    })
    expect(result.code).toBe(0)
    expect(credentials(result)).toEqual([
      expect.objectContaining({
        status: 'planned',
        arn: arnFor('us-east-1', 'GITHUB')
      })
    ])
    expect(await writeCalls(emulator)).toEqual([])
    expect(await stored('us-east-1')).toHaveLength(1)
  })

  it('names the missing permission when AWS denies the import', async () => {
    await control(emulator, '/_emulator/config', {
      faults: [
        {
          action: 'ImportSourceCredentials',
          kind: 'status',
          status: 400,
          errorType: 'AccessDeniedException',
          message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/rotator/run is not authorized to perform: codebuild:ImportSourceCredentials`
        }
      ]
    })
    const result = await run({ codebuild: 'import', regions: 'us-east-1' })
    expect(result.code).toBe(1)
    const [entry] = credentials(result)
    expect(entry?.status).toBe('failed')
    expect(entry?.error).toMatch(
      /^AccessDeniedException: .* — the role needs permission codebuild:ImportSourceCredentials/
    )
    expect(await stored('us-east-1')).toEqual([])
  })
})
