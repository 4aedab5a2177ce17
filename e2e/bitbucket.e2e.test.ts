/**
 * Issue 18 through the bundled action: Bitbucket API tokens and access
 * tokens checked with a fake Bitbucket before CodeBuild gets them; CodeBuild
 * projects' repositories checked with the token; `repo` taken as covering
 * webhooks; a fine-grained token's webhook access probed.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import {
  ACCOUNT,
  awsJson,
  calls,
  control,
  createPipeline,
  createServiceRole,
  writeCalls
} from '../test-support/emulator.js'
import { classicV1 } from '../test-support/corpus.js'
import {
  BROWNOUT_MESSAGE,
  startFakeBitbucket,
  type FakeBitbucket,
  type FakeBitbucketScenario
} from '../test-support/fake-bitbucket.js'
import {
  startFakeGitHub,
  type FakeGitHub,
  type TokenBehaviour
} from '../test-support/fake-github.js'
import { useEmulator } from '../test-support/jest.js'
import { runScanned, type RunResult } from '../test-support/run-action.js'

const TOKEN = `e2e-bb-token-${randomBytes(12).toString('hex')}`
const EMAIL = 'builder@example.com'
const emulator = useEmulator()
let bitbucket: FakeBitbucket | undefined
let github: FakeGitHub | undefined

beforeEach(async () => {
  await control(emulator, '/_emulator/reset', {})
})
afterEach(async () => {
  await bitbucket?.close()
  await github?.close()
  bitbucket = undefined
  github = undefined
})

interface Source {
  type: string
  location: string
  sourceIdentifier?: string
  auth?: { type: string; resource?: string }
}

async function project(
  region: string,
  name: string,
  source: Source,
  options: { secondary?: Source[]; webhook?: boolean } = {}
) {
  await awsJson(emulator, region, 'CodeBuild_20161006.CreateProject', {
    name,
    source,
    ...(options.secondary ? { secondarySources: options.secondary } : {}),
    artifacts: { type: 'NO_ARTIFACTS' },
    environment: {
      type: 'LINUX_CONTAINER',
      image: 'aws/codebuild/standard:7.0',
      computeType: 'BUILD_GENERAL1_SMALL'
    },
    serviceRole: `arn:aws:iam::${ACCOUNT}:role/codebuild`
  })
  if (options.webhook) {
    await awsJson(emulator, region, 'CodeBuild_20161006.CreateWebhook', { projectName: name })
  }
}

async function stored(region: string) {
  const body = await control<{
    credentials: { serverType: string; authType: string; token?: string; username?: string }[]
  }>(emulator, `/_emulator/codebuild/credentials?region=${region}`)
  return body.credentials
}

async function runBitbucket(scenario: FakeBitbucketScenario, inputs: Record<string, string>) {
  bitbucket = await startFakeBitbucket(scenario)
  await control(emulator, '/_emulator/calls/reset', {})
  return runScanned(
    emulator,
    TOKEN,
    {
      codebuild: 'import',
      'codebuild-server-type': 'BITBUCKET',
      regions: 'us-east-1',
      'verify-token': 'true',
      'bitbucket-api-url': bitbucket.url,
      ...inputs
    },
    { usernames: [EMAIL, 'builder'] }
  )
}

const apiToken = { 'codebuild-auth-type': 'BASIC_AUTH', 'codebuild-username': EMAIL }
const imports = async () =>
  (await writeCalls(emulator)).filter((c) => c.action === 'ImportSourceCredentials')

/** Neither the token nor the Basic header's base64 anywhere the runner keeps. */
function noBasicHeader(result: RunResult, apiToken = true) {
  const basic = Buffer.from(`${EMAIL}:${TOKEN}`).toString('base64')
  const stdout = result.stdout
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n')
  if (apiToken) expect(result.stdout).toContain(`::add-mask::${basic}`)
  for (const text of [stdout, result.summary, ...Object.values(result.outputs)]) {
    expect(text).not.toContain(basic)
    expect(text).not.toContain(TOKEN)
  }
}

describe('Bitbucket credentials, checked before CodeBuild gets them', () => {
  it('verifies an API token (GET /user, then the projects’ repositories), then imports it', async () => {
    await project('us-east-1', 'web', {
      type: 'BITBUCKET',
      location: 'https://bitbucket.org/acme/web.git'
    })
    const result = await runBitbucket(
      { apiTokens: { [TOKEN]: { email: EMAIL, repos: { 'acme/web': 'ok' } } } },
      apiToken
    )
    expect(result.code).toBe(0)
    expect(bitbucket?.requests.map((r) => `${r.method} ${r.path} ${r.auth} ${r.status}`)).toEqual([
      'GET /2.0/user basic 200',
      'GET /2.0/repositories/acme/web basic 200'
    ])
    expect(await stored('us-east-1')).toEqual([
      expect.objectContaining({
        serverType: 'BITBUCKET',
        authType: 'BASIC_AUTH',
        token: TOKEN,
        username: EMAIL
      })
    ])
    expect(result.summary).toContain('### Bitbucket credential check')
    expect(result.summary).toContain(`Bitbucket API token of ${EMAIL}`)
    expect(result.summary).toContain('### CodeBuild projects')
    expect(result.summary).toMatch(
      /\| us-east-1 \| web \| primary \| https:\/\/bitbucket\.org\/acme\/web\.git \| this credential \|/
    )
    noBasicHeader(result)
  })

  it('refuses an API token Bitbucket rejects: 0 ImportSourceCredentials calls', async () => {
    const result = await runBitbucket(
      { apiTokens: { 'some-other-token-value': { email: EMAIL } } },
      apiToken
    )
    expect(result.code).toBe(1)
    expect(await imports()).toEqual([])
    expect(result.stdout).toContain('Bitbucket rejected the credential')
    expect(result.stdout).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/2\.0\/user answered 401/)
    expect(await stored('us-east-1')).toEqual([])
    noBasicHeader(result)
  })

  it('explains a 401 with the app-password brownout message', async () => {
    const result = await runBitbucket({ appPasswords: { [TOKEN]: { username: EMAIL } } }, apiToken)
    expect(result.code).toBe(1)
    expect(await imports()).toEqual([])
    expect(result.stdout).toContain(BROWNOUT_MESSAGE.slice(0, 40))
    expect(result.stdout).toContain('app passwords stopped working on 2026-07-28')
    noBasicHeader(result)
  })

  it('refuses a user name that is not an email before any AWS call', async () => {
    bitbucket = await startFakeBitbucket({})
    await control(emulator, '/_emulator/calls/reset', {})
    const result = await runScanned(
      emulator,
      TOKEN,
      {
        codebuild: 'import',
        'codebuild-server-type': 'BITBUCKET',
        'codebuild-auth-type': 'BASIC_AUTH',
        'codebuild-username': 'builder',
        regions: 'us-east-1',
        'verify-token': 'true',
        'bitbucket-api-url': bitbucket.url
      },
      { usernames: ['builder'] }
    )
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(
      /::error::Input 'codebuild-username' 'builder' is not an email address/
    )
    expect(result.stdout).toContain('stopped working on 2026-07-28')
    expect(result.stdout).toContain('API token')
    expect(result.stdout).toContain('email address of your Atlassian account')
    expect(await calls(emulator)).toEqual([])
    expect(bitbucket.requests).toEqual([])
  })

  it('imports an access token once every repository it must reach answered 200', async () => {
    await project(
      'us-east-1',
      'api',
      { type: 'BITBUCKET', location: 'https://bitbucket.org/acme/api' },
      {
        secondary: [
          {
            type: 'BITBUCKET',
            location: 'https://bitbucket.org/acme/lib.git',
            sourceIdentifier: 'lib'
          }
        ]
      }
    )
    // Its own secret: reported, not checked.
    await project('us-east-1', 'own', {
      type: 'BITBUCKET',
      location: 'https://bitbucket.org/elsewhere/own.git',
      auth: {
        type: 'SECRETS_MANAGER',
        resource: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:bb-AbCdEf`
      }
    })
    const result = await runBitbucket(
      { accessTokens: { [TOKEN]: { repos: { 'acme/api': 'ok', 'acme/lib': 'ok' } } } },
      { 'codebuild-auth-type': 'PERSONAL_ACCESS_TOKEN' }
    )
    expect(result.code).toBe(0)
    expect(
      bitbucket?.requests.map((r) => `${r.method} ${r.path} ${r.auth} ${r.status}`).sort()
    ).toEqual([
      'GET /2.0/repositories/acme/api bearer 200',
      'GET /2.0/repositories/acme/lib bearer 200'
    ])
    expect(await stored('us-east-1')).toEqual([
      expect.objectContaining({
        serverType: 'BITBUCKET',
        authType: 'PERSONAL_ACCESS_TOKEN',
        token: TOKEN
      })
    ])
    expect(result.summary).toMatch(
      /\| us-east-1 \| own \| primary \| .* \| own credential — uses its own SECRETS_MANAGER credential/
    )
    noBasicHeader(result, false)
  })

  it('does not import an access token into a region whose projects build a repository it cannot reach', async () => {
    await project('us-east-1', 'api', {
      type: 'BITBUCKET',
      location: 'https://bitbucket.org/acme/api.git'
    })
    await project('eu-west-1', 'ops', {
      type: 'BITBUCKET',
      location: 'https://bitbucket.org/acme/ops.git'
    })
    const result = await runBitbucket(
      { accessTokens: { [TOKEN]: { repos: { 'acme/api': 'ok', 'acme/ops': 'forbidden' } } } },
      { 'codebuild-auth-type': 'PERSONAL_ACCESS_TOKEN', regions: 'us-east-1, eu-west-1' }
    )
    expect(result.code).toBe(1)
    expect((await imports()).map((c) => c.region)).toEqual(['us-east-1'])
    expect(await stored('eu-west-1')).toEqual([])
    expect(result.stdout).toContain(
      "CodeBuild project 'ops' in eu-west-1 (primary source) builds acme/ops"
    )
    expect(result.stdout).toContain('answered 403')
  })
})

describe('GitHub tokens against CodeBuild projects and webhooks', () => {
  async function runGitHub(behaviour: TokenBehaviour, inputs: Record<string, string>) {
    github = await startFakeGitHub({ tokens: { [TOKEN]: behaviour } })
    await control(emulator, '/_emulator/calls/reset', {})
    return runScanned(
      emulator,
      TOKEN,
      { 'verify-token': 'true', ...inputs },
      { githubApiUrl: github.url }
    )
  }

  it('does not import into a region whose GitHub projects build a repository the token cannot reach', async () => {
    await project('us-east-1', 'web', {
      type: 'GITHUB',
      location: 'https://github.com/example-org/web.git'
    })
    await project('eu-west-1', 'secret', {
      type: 'GITHUB',
      location: 'https://github.com/example-org/secret'
    })
    const result = await runGitHub(
      { scopes: 'repo', repos: { 'example-org/web': 'ok' } },
      { codebuild: 'import', regions: 'us-east-1, eu-west-1' }
    )
    expect(result.code).toBe(1)
    expect((await imports()).map((c) => c.region)).toEqual(['us-east-1'])
    expect(await stored('eu-west-1')).toEqual([])
    expect(result.stdout).toContain(
      "CodeBuild project 'secret' in eu-west-1 (primary source) builds example-org/secret, which the token cannot see (GitHub answered 404)"
    )
    expect(result.summary).toMatch(/\| eu-west-1 \| GITHUB \| PERSONAL_ACCESS_TOKEN \| .* \| ❌/)
    expect(result.summary).toMatch(
      /\| us-east-1 \| GITHUB \| PERSONAL_ACCESS_TOKEN \| .* \| ✅ imported/
    )
  })

  it('gives no scope warning to a classic token with `repo` on webhook pipelines', async () => {
    const roleArn = await createServiceRole(emulator)
    await createPipeline(emulator, 'us-east-1', classicV1(roleArn, 'web', 'app'))
    const result = await runGitHub(
      { scopes: 'repo', repos: { 'example-org/app': 'ok' } },
      { pipelines: 'web', regions: 'us-east-1' }
    )
    expect(result.code).toBe(0)
    expect(result.stdout).not.toMatch(/repo_hook/)
    expect(result.stdout).not.toMatch(/::warning::/)
  })

  it('warns, naming the repositories, when a fine-grained token cannot manage their webhooks', async () => {
    const roleArn = await createServiceRole(emulator)
    await createPipeline(emulator, 'us-east-1', classicV1(roleArn, 'web', 'app'))
    await createPipeline(emulator, 'us-east-1', classicV1(roleArn, 'docs', 'lib'))
    const result = await runGitHub(
      {
        scopes: null,
        hooks: 'denied',
        repos: { 'example-org/app': 'ok', 'example-org/lib': 'ok' }
      },
      { pipelines: 'web, docs', regions: 'us-east-1' }
    )
    expect(result.code).toBe(0)
    const warning = result.stdout.split('\n').find((l) => l.includes('cannot manage the webhooks'))
    expect(warning).toMatch(/^::warning::/)
    expect(warning).toContain('example-org/app, example-org/lib')
    expect(warning).toContain('X-Accepted-GitHub-Permissions: repository_hooks=read')
    expect(warning).toContain('Webhooks: Read and write')
    expect(
      github?.requests
        .filter((r) => r.path.endsWith('/hooks'))
        .map((r) => r.path)
        .sort()
    ).toEqual(['/repos/example-org/app/hooks', '/repos/example-org/lib/hooks'])
  })
})
