/**
 * Hostile (or broken) servers and inputs, through the bundled action: AWS and
 * GitHub echoing the presented token in derived forms, messages, logins and
 * names with newlines and `::` (workflow commands), odd expiry headers, path
 * tricks in Owner/Repo, a child process reading the environment. Every run is
 * scanned for the token in every derived form (raw, base64, Basic auth,
 * URL- and JSON-escaped) everywhere but `::add-mask::`.
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { OLD_TOKEN, oauthTokens } from '../test-support/corpus.js'
import {
  awsJson,
  configure,
  createPipeline,
  createServiceRole,
  listExtraPipelines,
  resetCalls,
  storedPipeline,
  writeCalls
} from '../test-support/emulator.js'
import {
  expirationHeader,
  startFakeGitHub,
  type FakeGitHub,
  type TokenBehaviour
} from '../test-support/fake-github.js'
import { useEmulator } from '../test-support/jest.js'
import { githubSource, pipeline } from '../test-support/pipelines.js'
import { derivedForms, runScanned, type RunResult } from '../test-support/run-action.js'

const TOKEN = `e2e-token-${randomBytes(12).toString('hex')}`
const REGION = 'us-east-1'
const INJECTED = 'oops\n::warning::injected\n::stop-commands::abc\n::error::pwned'
const emulator = useEmulator()
let github: FakeGitHub | undefined
afterEach(async () => {
  await github?.close()
  github = undefined
})

const days = (n: number) => new Date(Date.now() + n * 86_400_000)
const good: TokenBehaviour = {
  scopes: 'repo, admin:repo_hook',
  expiresAt: expirationHeader(days(90)),
  repos: '*'
}

async function seed(...names: string[]) {
  const roleArn = await createServiceRole(emulator)
  for (const name of names) {
    await createPipeline(
      emulator,
      REGION,
      pipeline(name, [githubSource('Source', name, { token: OLD_TOKEN })], { roleArn })
    )
  }
  await resetCalls(emulator)
  return roleArn
}

async function withGitHub(behaviour: TokenBehaviour, inputs: Record<string, string>) {
  github = await startFakeGitHub({ tokens: { [TOKEN]: behaviour } })
  return runScanned(
    emulator,
    TOKEN,
    { 'verify-token': 'true', regions: REGION, ...inputs },
    { githubApiUrl: github.url }
  )
}

/** No line the runner reads can be a command the action did not write itself. */
function expectNoInjectedCommand(result: RunResult) {
  const lines = result.stdout.split(/\r?\n/)
  expect(lines.filter((l) => /^\s*::(warning|error)::(injected|pwned)/.test(l))).toEqual([])
  expect(lines.filter((l) => /^\s*::stop-commands::/.test(l))).toEqual([])
  expect(lines.filter((l) => /^\s*##\[/.test(l))).toEqual([])
}

describe('servers that echo the token', () => {
  it('AWS: an error message echoing the request in every form prints none of them', async () => {
    await seed('app')
    await awsJson(emulator, REGION, 'secretsmanager.CreateSecret', {
      Name: 'ci/token',
      SecretString: OLD_TOKEN
    })
    await configure(emulator, {
      faults: ['UpdatePipeline', 'PutSecretValue', 'ImportSourceCredentials'].map((action) => ({
        action,
        kind: 'status' as const,
        status: 400,
        errorType: 'ValidationException',
        message: INJECTED,
        echo: ['raw', 'json', 'url', 'base64', 'basic']
      }))
    })
    const result = await runScanned(emulator, TOKEN, {
      pipelines: 'app',
      secrets: 'ci/token',
      codebuild: 'import',
      regions: REGION
    })
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/ValidationException: oops\\n::warning::injected/)
    expectNoInjectedCommand(result)
    // The summary has three failed rows and no broken table.
    expect(result.summary.match(/❌ failed/g)).toHaveLength(3)
    for (const form of derivedForms(TOKEN)) expect(result.summary).not.toContain(form)
  })

  it('GitHub: a refusal echoing the Authorization header in every form prints none of them', async () => {
    await seed('app')
    const result = await withGitHub(
      {
        ...good,
        userStatus: 403,
        message: INJECTED,
        echo: ['raw', 'base64', 'basic', 'url', 'json']
      },
      { pipelines: 'app' }
    )
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/GitHub answered GET \/user with 403: oops\\n::warning::injected/)
    expectNoInjectedCommand(result)
    expect(await writeCalls(emulator)).toEqual([])
  })
})

describe('text with newlines and workflow commands', () => {
  it('a GitHub login is printed on one line and cannot start a command', async () => {
    await seed('app')
    const result = await withGitHub({ ...good, login: `bot${INJECTED}` }, { pipelines: 'app' })
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(
      /Token: classic token \(scopes: repo, admin:repo_hook\) of botoops\\n::warning::injected/
    )
    expectNoInjectedCommand(result)
  })

  it('pipeline names from ListPipelines are neutralised in the log and escaped in the summary', async () => {
    await seed('app')
    await listExtraPipelines(emulator, REGION, [`ghost|cell${INJECTED}`])
    const result = await runScanned(emulator, TOKEN, { pipelines: '*', regions: REGION })
    expect(result.code).toBe(0)
    expectNoInjectedCommand(result)
    expect(result.stdout).toMatch(/skipped {2}pipeline ghost\|celloops\\n::warning::injected/)
    // One row per pipeline in the pipelines' table (the readiness section after it has its
    // own rows): the | and the line breaks stay inside the cell.
    const pipelinesTable = result.summary.split('Moving off GitHub version 1')[0] ?? ''
    const rows = pipelinesTable.split('\n').filter((l) => l.startsWith('| us-east-1 |'))
    expect(rows).toHaveLength(2)
    expect(rows.find((r) => r.includes('ghost'))).toContain(
      'ghost\\|celloops\\n::warning::injected'
    )
    expect(oauthTokens((await storedPipeline(emulator, REGION, 'app')).pipeline)).toEqual([TOKEN])
  })
})

describe('token expiry headers in every form GitHub and HTTP use', () => {
  const http = (d: Date) => d.toUTCString()
  const iso = (d: Date) => d.toISOString()
  const dateOnly = (d: Date) => d.toISOString().slice(0, 10)
  const github9 = (d: Date) => expirationHeader(d, 9)
  it.each([
    ['an HTTP-date 2 days ahead', http(days(2)), false],
    ['an HTTP-date 60 days ahead', http(days(60)), true],
    ['a date alone, 2 days ahead', dateOnly(days(2)), false],
    ['ISO 8601, 60 days ahead', iso(days(60)), true],
    ["GitHub's form with +0900, 60 days ahead", github9(days(60)), true],
    ["GitHub's form with +0900, 3 days ahead", github9(days(3)), false]
  ])('%s: written only when it lasts min-days-left (7)', async (_name, header, accepted) => {
    await seed('app')
    const result = await withGitHub({ ...good, expiresAt: header }, { pipelines: 'app' })
    expect(result.code).toBe(accepted ? 0 : 1)
    expect(oauthTokens((await storedPipeline(emulator, REGION, 'app')).pipeline)).toEqual([
      accepted ? TOKEN : OLD_TOKEN
    ])
    if (!accepted) expect(result.stdout).toMatch(/fewer than min-days-left \(7\)/)
  })

  it('a header in no known form refuses the token (fail closed), quoting it', async () => {
    await seed('app')
    const result = await withGitHub(
      { ...good, expiresAt: 'next Tuesday, probably' },
      { pipelines: 'app' }
    )
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(
      /GitHub-Authentication-Token-Expiration: 'next Tuesday, probably'/
    )
    expect(await writeCalls(emulator)).toEqual([])
  })

  it('… and only warns with min-days-left 0', async () => {
    await seed('app')
    const result = await withGitHub(
      { ...good, expiresAt: 'next Tuesday, probably' },
      { pipelines: 'app', 'min-days-left': '0' }
    )
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(
      /::warning::GitHub token: GitHub sent a token expiry this action cannot read/
    )
  })
})

describe('Owner and Repo go into the URL', () => {
  it('an Owner of .. fails the check for that pipeline, asks GitHub nothing about it, writes nothing', async () => {
    const roleArn = await createServiceRole(emulator)
    await createPipeline(
      emulator,
      REGION,
      pipeline('tricky', [githubSource('Source', 'user', { token: OLD_TOKEN, owner: '..' })], {
        roleArn
      })
    )
    await resetCalls(emulator)
    const result = await withGitHub(good, { pipelines: 'tricky' })
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/builds '\.\.\/user', which is not a GitHub repository name/)
    expect(github?.requests.map((r) => r.path)).toEqual(['/user'])
    expect(await writeCalls(emulator)).toEqual([])
  })
})

describe('GitHub source actions the action must not rewrite', () => {
  it('leaves a ThirdParty/GitHub action of another version alone, and fails one whose configuration is no object', async () => {
    const roleArn = await createServiceRole(emulator)
    const v2 = githubSource('Source', 'app', { token: OLD_TOKEN })
    v2['actionTypeId'] = {
      category: 'Source',
      owner: 'ThirdParty',
      provider: 'GitHub',
      version: '2'
    }
    await createPipeline(emulator, REGION, pipeline('other-version', [v2], { roleArn }))
    const odd = githubSource('Source', 'app', { token: OLD_TOKEN })
    odd['configuration'] = [odd['configuration']] as never
    await createPipeline(emulator, REGION, pipeline('odd-config', [odd], { roleArn }))
    await resetCalls(emulator)
    const before = await storedPipeline(emulator, REGION, 'odd-config')
    const result = await runScanned(emulator, TOKEN, {
      pipelines: 'other-version, odd-config',
      regions: REGION
    })
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/pipeline other-version .*holds no GitHub OAuth token/)
    expect(result.stdout).toMatch(
      /odd-config: the GitHub source action 'Source\/Source' has a configuration that is an array, not an object/
    )
    expect(await writeCalls(emulator)).toEqual([])
    expect(await storedPipeline(emulator, REGION, 'odd-config')).toEqual(before)
  })
})

describe('child processes', () => {
  it('a credential_process the AWS SDK runs gets neither token in its environment', async () => {
    await seed('app')
    const dir = mkdtempSync(path.join(tmpdir(), 'rotate-e2e-process-'))
    try {
      const dump = path.join(dir, 'env.txt')
      const script = path.join(dir, 'credentials.sh')
      writeFileSync(
        script,
        `#!/bin/sh\nenv > "${dump}"\necho '{"Version": 1, "AccessKeyId": "testing", "SecretAccessKey": "testing"}'\n`
      )
      chmodSync(script, 0o700)
      writeFileSync(path.join(dir, 'config'), `[default]\ncredential_process = ${script}\n`)
      const previous = `e2e-previous-${randomBytes(8).toString('hex')}`
      github = await startFakeGitHub({ tokens: { [TOKEN]: good, [previous]: good } })
      const result = await runScanned(
        emulator,
        TOKEN,
        { pipelines: 'app', regions: REGION, 'verify-token': 'true', 'previous-token': previous },
        {
          githubApiUrl: github.url,
          secrets: [previous],
          env: {
            AWS_ACCESS_KEY_ID: undefined,
            AWS_SECRET_ACCESS_KEY: undefined,
            AWS_CONFIG_FILE: path.join(dir, 'config'),
            AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'none'),
            AWS_PROFILE: 'default'
          } as unknown as Record<string, string>
        }
      )
      expect(result.code).toBe(0)
      const environment = readFileSync(dump, 'utf8')
      expect(environment).toContain('INPUT_PIPELINES=app')
      expect(environment).not.toMatch(/^INPUT_TOKEN=/m)
      expect(environment).not.toMatch(/^INPUT_PREVIOUS-TOKEN=/m)
      for (const form of [...derivedForms(TOKEN), ...derivedForms(previous)]) {
        expect(environment).not.toContain(form)
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
