/**
 * The HTTP policy and hostile answers, through the bundled action: GitHub
 * answering a request that carries a token with a redirect to another
 * server (issue 17, item 7); an error or header that echoes a token
 * straddling the point where the text is cut (item 8); AWS trickling an
 * answer a byte at a time (item 12); a pipelines: pattern that makes a
 * backtracking matcher run for minutes (item 13); a list that repeats its
 * page token (item 11).
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { OLD_TOKEN, oauthTokens } from '../test-support/corpus.js'
import {
  calls,
  configure,
  createPipeline,
  createServiceRole,
  resetCalls,
  storedPipeline,
  writeCalls
} from '../test-support/emulator.js'
import {
  expirationHeader,
  startFakeGitHub,
  type FakeGitHub,
  type FakeGitHubScenario,
  type TokenBehaviour
} from '../test-support/fake-github.js'
import { useEmulator } from '../test-support/jest.js'
import { githubSource, pipeline } from '../test-support/pipelines.js'
import { runScanned, type RunResult } from '../test-support/run-action.js'

/** 40 characters, as a classic token, random throughout: any 8 of them in a row are its own. */
const token40 = (prefix: string) => `${prefix}${randomBytes(30).toString('base64url')}`.slice(0, 40)
const TOKEN = token40('ghp_')
const PREVIOUS = token40('ghp_')
const REGION = 'us-east-1'
const emulator = useEmulator()
const servers: FakeGitHub[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

const good: TokenBehaviour = {
  scopes: 'repo, admin:repo_hook',
  expiresAt: expirationHeader(new Date(Date.now() + 90 * 86_400_000)),
  repos: '*'
}

async function github(scenario: FakeGitHubScenario) {
  const server = await startFakeGitHub(scenario)
  servers.push(server)
  return server
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
}

const run = (api: FakeGitHub, inputs: Record<string, string>) =>
  runScanned(
    emulator,
    TOKEN,
    { 'verify-token': 'true', regions: REGION, ...inputs },
    { githubApiUrl: api.url, secrets: [PREVIOUS] }
  )

/** Every run of 8 or more characters of `secret` found where the run shows text. */
function fragments(result: RunResult, secret: string): string[] {
  const places = {
    stdout: result.stdout
      .split('\n')
      .filter((line) => !line.startsWith('::add-mask::'))
      .join('\n'),
    stderr: result.stderr,
    outputs: JSON.stringify(result.outputs),
    summary: result.summary
  }
  const found: string[] = []
  for (const [where, text] of Object.entries(places)) {
    for (let start = 0; start + 8 <= secret.length; start++) {
      if (text.includes(secret.slice(start, start + 8))) found.push(`${where} at ${start}`)
    }
  }
  return found
}

describe('a request that carries a token follows no redirect to another origin', () => {
  it.each([307, 308] as const)(
    'POST /credentials/revoke answered %i to another server: nothing reaches it, nothing is revoked',
    async (status) => {
      await seed('app')
      const elsewhere = await github({ tokens: { [TOKEN]: good, [PREVIOUS]: good } })
      const api = await github({
        tokens: { [TOKEN]: good, [PREVIOUS]: good },
        redirects: [
          { path: '/credentials/revoke', status, location: `${elsewhere.url}/credentials/revoke` }
        ]
      })
      const result = await run(api, { pipelines: 'app', 'previous-token': PREVIOUS })
      // The rotation itself succeeded; the old token was not revoked.
      expect(result.code).toBe(0)
      expect(oauthTokens((await storedPipeline(emulator, REGION, 'app')).pipeline)).toEqual([TOKEN])
      expect(api.requests.filter((r) => r.path === '/credentials/revoke')).toEqual([
        { method: 'POST', path: '/credentials/revoke', authorization: false, status }
      ])
      // The body (the token being revoked) never reached the other server.
      expect(elsewhere.requests).toEqual([])
      expect(api.isRevoked(PREVIOUS) || elsewhere.isRevoked(PREVIOUS)).toBe(false)
      expect(result.outputs['previous-token-revoked']).toBe('false')
      expect(result.stdout).toMatch(
        new RegExp(
          `::warning::previous-token was not revoked: GitHub refused to revoke it \\(GitHub answered POST /credentials/revoke with a redirect \\(${status}, Location http://127\\.0\\.0\\.1:\\d+/credentials/revoke\\), which was not followed`
        )
      )
    }
  )

  it('GET /user answered 308 to another server: the Authorization header goes nowhere, nothing is written', async () => {
    await seed('app')
    const elsewhere = await github({ tokens: { [TOKEN]: good } })
    const api = await github({
      tokens: { [TOKEN]: good },
      redirects: [{ path: '/user', status: 308, location: `${elsewhere.url}/user` }]
    })
    const result = await run(api, { pipelines: 'app' })
    expect(result.code).toBe(1)
    expect(elsewhere.requests).toEqual([])
    expect(result.stdout).toMatch(
      /GitHub answered GET \/user with a redirect \(308, Location http:\/\/127\.0\.0\.1:\d+\/user\), which was not followed/
    )
    expect(await writeCalls(emulator)).toEqual([])
  })
})

describe('redact, then cut: a token straddling a cut leaves no piece of itself', () => {
  // The fake appends the token after the message and a space: it starts at
  // character 261 and the first 39 of its 40 characters fall before the cut at 300.
  const straddling300 = 'x'.repeat(260)

  it('in the error of a refused token check (the ::error and the summary)', async () => {
    await seed('app')
    const api = await github({
      tokens: { [TOKEN]: { ...good, userStatus: 403, message: straddling300, echo: ['raw'] } }
    })
    const result = await run(api, { pipelines: 'app' })
    expect(fragments(result, TOKEN)).toEqual([])
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/GitHub answered GET \/user with 403: x{260} \*\*\*/)
    expect(await writeCalls(emulator)).toEqual([])
  })

  it('in the warning when the previous token cannot be checked before revoking it', async () => {
    await seed('app')
    const api = await github({
      tokens: {
        [TOKEN]: good,
        [PREVIOUS]: { ...good, userStatus: 403, message: straddling300, echo: ['raw'] }
      }
    })
    const result = await run(api, { pipelines: 'app', 'previous-token': PREVIOUS })
    expect(fragments(result, PREVIOUS)).toEqual([])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(
      /::warning::previous-token was not revoked: it could not be checked with GitHub \(GitHub answered GET \/user with 403: x{260} \*\*\*/
    )
    expect(fragments(result, PREVIOUS)).toEqual([])
    expect(fragments(result, TOKEN)).toEqual([])
  })

  it('in an expiry header that cannot be read (cut at 80)', async () => {
    await seed('app')
    const api = await github({
      tokens: { [TOKEN]: { ...good, expiresAt: `${'y'.repeat(41)}${TOKEN}` } }
    })
    const result = await run(api, { pipelines: 'app' })
    expect(fragments(result, TOKEN)).toEqual([])
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(
      /GitHub-Authentication-Token-Expiration: 'y{41}\*\*\*'\), so it cannot tell/
    )
    expect(fragments(result, TOKEN)).toEqual([])
  })
})

describe('an AWS answer that trickles', () => {
  it('GetPipeline sending a byte every 300 ms: each attempt ends at aws-timeout, the call fails naming itself, nothing is written', async () => {
    await seed('app')
    await configure(emulator, {
      faults: [{ action: 'GetPipeline', kind: 'trickle', intervalMs: 300 }]
    })
    const result = await runScanned(
      emulator,
      TOKEN,
      { pipelines: 'app', regions: REGION, 'aws-timeout': '1' },
      // Before: still open when killed (code null). Jest's own timeout is 120 s.
      { timeoutMs: 110_000 }
    )
    expect(result.code).toBe(1)
    const report = JSON.parse(result.outputs['report'] ?? '[]') as {
      status: string
      error?: string
    }[]
    expect(report).toEqual([
      expect.objectContaining({
        status: 'failed',
        error: expect.stringMatching(
          /^TimeoutError: GetPipeline got no complete answer within 1 s \(aws-timeout\): the attempt was abandoned — AWS did not answer in time, even after retries: re-run/
        )
      })
    ])
    // Retried like any timeout, each attempt trickled; no write was made.
    const reads = await calls(emulator, { action: 'GetPipeline' })
    expect(reads.length).toBeGreaterThan(1)
    expect(reads.every((c) => c.fault === 'trickle')).toBe(true)
    expect(await writeCalls(emulator)).toEqual([])
    expect(oauthTokens((await storedPipeline(emulator, REGION, 'app')).pipeline)).toEqual([
      OLD_TOKEN
    ])
  })
})

describe('a list that repeats its page token', () => {
  it('ListPipelines: the listing stops on the second sight of the token, naming the call; nothing is written', async () => {
    await seed('app')
    await configure(emulator, { faults: [{ action: 'ListPipelines', kind: 'repeat-token' }] })
    // Before: it followed the token until killed (code null).
    const result = await runScanned(
      emulator,
      TOKEN,
      { pipelines: '*', regions: REGION },
      { timeoutMs: 60_000 }
    )
    expect(result.code).toBe(1)
    expect((await calls(emulator, { action: 'ListPipelines' })).length).toBe(2)
    expect(result.stdout).toContain('codepipeline:ListPipelines sent the same page token twice')
    expect(await writeCalls(emulator)).toEqual([])
    expect(oauthTokens((await storedPipeline(emulator, REGION, 'app')).pipeline)).toEqual([
      OLD_TOKEN
    ])
  })

  it("tag:GetResources: the stack-owner lookup stops there and each pipeline's own tags are read instead", async () => {
    await seed('app')
    await configure(emulator, { faults: [{ action: 'GetResources', kind: 'repeat-token' }] })
    const result = await runScanned(
      emulator,
      TOKEN,
      { pipelines: 'app', regions: REGION },
      { timeoutMs: 60_000 }
    )
    expect(result.code).toBe(0)
    expect((await calls(emulator, { action: 'GetResources' })).length).toBe(2)
    expect((await calls(emulator, { action: 'ListTagsForResource' })).length).toBe(1)
    expect(oauthTokens((await storedPipeline(emulator, REGION, 'app')).pipeline)).toEqual([TOKEN])
  })
})

describe('pipelines: patterns', () => {
  it('a pattern that makes a backtracking matcher run for minutes is answered at once', async () => {
    const name = 'a'.repeat(100)
    await seed(name)
    const api = await github({ tokens: { [TOKEN]: good } })
    const result = await runScanned(
      emulator,
      TOKEN,
      { pipelines: '*a*a*a*a*a*a*a*a*b, *a*a*a*a*a*a*a*a*a', regions: REGION },
      { githubApiUrl: api.url, timeoutMs: 60_000 }
    )
    // Killed after 60 s (code null) before; now the second pattern matches.
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(
      /pipelines: '\*a\*a\*a\*a\*a\*a\*a\*a\*b' matched no pipeline in us-east-1/
    )
    expect(oauthTokens((await storedPipeline(emulator, REGION, name)).pipeline)).toEqual([TOKEN])
  })
})
