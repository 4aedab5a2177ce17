/**
 * The token check through the bundled action: a local server that answers
 * like GitHub's REST API decides whether the token is good, the AWS emulator
 * holds the pipelines. A refused token must leave every pipeline untouched
 * (0 AWS write calls) — but for a repository it cannot reach, only the
 * pipelines that build it are left, each other pipeline being written as
 * soon as its own checks pass; an accepted one is rotated and its expiry
 * reported.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createServer, type Server } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import {
  control,
  createPipeline,
  createServiceRole,
  storedPipeline,
  writeCalls
} from '../test-support/emulator.js'
import { OLD_TOKEN, classicV1 } from '../test-support/corpus.js'
import {
  startFakeGitHub,
  type FakeGitHub,
  type TokenBehaviour
} from '../test-support/fake-github.js'
import { useEmulator } from '../test-support/jest.js'
import { findLeaks, runAction, type RunResult } from '../test-support/run-action.js'

const TOKEN = `e2e-token-${randomBytes(12).toString('hex')}`
const DAY = 86_400_000
const emulator = useEmulator()
let github: FakeGitHub | undefined

/** us-east-1: web and api build example-org/app (webhooks), docs builds example-org/lib. */
const PIPELINES = ['api', 'docs', 'web']
const REPOS = { 'example-org/app': 'private-ok', 'example-org/lib': 'ok' } as const

beforeEach(async () => {
  const roleArn = await createServiceRole(emulator)
  await createPipeline(emulator, 'us-east-1', classicV1(roleArn, 'web', 'app'))
  await createPipeline(emulator, 'us-east-1', classicV1(roleArn, 'api', 'app'))
  await createPipeline(emulator, 'us-east-1', classicV1(roleArn, 'docs', 'lib'))
  await control(emulator, '/_emulator/calls/reset', {})
})
afterEach(async () => {
  await github?.close()
  github = undefined
})

/** GitHub's format: `2026-12-01 10:00:00 UTC`, or with an offset such as `+0900`. */
function expiration(at: Date, offsetHours = 0): string {
  const local = new Date(at.getTime() + offsetHours * 3_600_000).toISOString()
  const zone =
    offsetHours === 0
      ? 'UTC'
      : `${offsetHours > 0 ? '+' : '-'}${String(Math.abs(offsetHours)).padStart(2, '0')}00`
  return `${local.slice(0, 10)} ${local.slice(11, 19)} ${zone}`
}

/** A token `days` days (and an hour, so the count is stable) from now. */
const inDays = (days: number) => new Date(Date.now() + days * DAY + 3_600_000)

async function run(behaviour: TokenBehaviour, inputs: Record<string, string> = {}) {
  github = await startFakeGitHub({ tokens: { [TOKEN]: behaviour } })
  const result = await runAction({
    inputs: { token: TOKEN, pipelines: '*', regions: 'us-east-1', ...inputs },
    githubApiUrl: github.url,
    env: { AWS_ENDPOINT_URL: emulator.url }
  })
  // Every run, whatever its outcome: the token shows only in the add-mask command.
  expect(findLeaks(result, [TOKEN])).toEqual([])
  expect(result.stdout).toContain(`::add-mask::${TOKEN}`)
  return result
}

const failure = (result: RunResult) =>
  result.stdout
    .split('\n')
    .filter((line) => line.startsWith('::error::'))
    .join('\n')
    .replace(/%0A/g, '\n')

async function storedTokens(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {}
  for (const name of PIPELINES) {
    const { pipeline } = await storedPipeline(emulator, 'us-east-1', name)
    out[name] = [...JSON.stringify(pipeline).matchAll(/"OAuthToken":\s*"([^"]*)"/g)].map(
      (m) => m[1] ?? ''
    )
  }
  return out
}

async function expectNothingWritten(result: RunResult) {
  expect(result.code).toBe(1)
  expect(await writeCalls(emulator)).toEqual([])
  expect(await storedTokens()).toEqual({ api: [OLD_TOKEN], docs: [OLD_TOKEN], web: [OLD_TOKEN] })
  expect(failure(result)).toMatch(
    /^::error::The GitHub token was refused, so nothing was written:\n- GitHub token: /
  )
  // The plan was still reported: every pipeline still planned, the summary says nothing was written.
  const report = JSON.parse(result.outputs['report'] ?? '[]') as { status: string; note?: string }[]
  expect(report).toHaveLength(3)
  for (const entry of report) expect(entry.status).toBe('planned')
  expect(result.summary).toContain('**Nothing was written: GitHub refused the token.**')
}

/**
 * A token that cannot reach every repository: each pipeline whose own
 * repositories it reaches was written as soon as its check passed; the
 * others, and anything else, were not.
 */
async function expectOnlyReachableWritten(result: RunResult, written: string[]) {
  expect(result.code).toBe(1)
  const stored = await storedTokens()
  for (const name of PIPELINES) {
    expect([name, stored[name]]).toEqual([name, [written.includes(name) ? TOKEN : OLD_TOKEN]])
  }
  expect((await writeCalls(emulator)).map((c) => c.action)).toEqual(
    written.map(() => 'UpdatePipeline')
  )
  const only = `only what the token check had passed on its own was written (${written.length} pipeline${written.length === 1 ? '' : 's'} whose own repositories the token reaches), nothing else`
  expect(failure(result)).toMatch(
    new RegExp(
      `^::error::The GitHub token was refused, so ${only.replace(/[()]/g, '\\$&')}:\n- GitHub token: `
    )
  )
  const report = JSON.parse(result.outputs['report'] ?? '[]') as {
    pipeline: string
    status: string
  }[]
  expect(Object.fromEntries(report.map((e) => [e.pipeline, e.status]))).toEqual(
    Object.fromEntries(
      PIPELINES.map((name) => [name, written.includes(name) ? 'updated' : 'planned'])
    )
  )
  expect(result.summary).toContain(`**GitHub refused the token: ${only}.**`)
  expect(result.outputs['complete']).toBe('false')
}

async function expectRotated(result: RunResult) {
  expect(result.code).toBe(0)
  expect(await storedTokens()).toEqual({ api: [TOKEN], docs: [TOKEN], web: [TOKEN] })
  expect((await writeCalls(emulator)).map((c) => c.action)).toEqual([
    'UpdatePipeline',
    'UpdatePipeline',
    'UpdatePipeline'
  ])
}

/** Each repository asked for once, with the token, after GET /user (a fine-grained token's hooks probe aside). */
function expectCheckedOnce() {
  const paths = github?.requests.map((r) => r.path).filter((p) => !p.endsWith('/hooks')) ?? []
  expect(paths[0]).toBe('/user')
  expect(paths.slice(1).sort()).toEqual(['/repos/example-org/app', '/repos/example-org/lib'])
  expect(github?.requests.every((r) => r.authorization)).toBe(true)
}

describe('each pipeline is written as soon as its own checks pass', () => {
  it('writes the pipelines of a repository GitHub has answered for while it holds back the answer for another', async () => {
    let release: () => void = () => undefined
    const until = new Promise<void>((resolve) => (release = resolve))
    github = await startFakeGitHub({
      tokens: { [TOKEN]: { scopes: 'repo, admin:repo_hook', expiresAt: null, repos: REPOS } },
      holds: [{ path: '/repos/example-org/lib', until }]
    })
    const running = runAction({
      inputs: { token: TOKEN, pipelines: '*', regions: 'us-east-1' },
      githubApiUrl: github.url,
      env: { AWS_ENDPOINT_URL: emulator.url }
    })
    // api and web (example-org/app) are written while GitHub still holds its answer for
    // example-org/lib, which docs builds. A run that waited for the whole check would
    // write nothing until the answer is let go: the wait ends, failing, after 30 s.
    let early: Record<string, string[]> = {}
    for (let i = 0; i < 300; i++) {
      early = await storedTokens()
      if (early['api']?.[0] === TOKEN && early['web']?.[0] === TOKEN) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    release()
    const result = await running
    expect(early).toEqual({ api: [TOKEN], docs: [OLD_TOKEN], web: [TOKEN] })
    expect(findLeaks(result, [TOKEN])).toEqual([])
    await expectRotated(result)
  }, 90_000)
})

describe('refused tokens write nothing they were refused for', () => {
  it('a revoked token', async () => {
    const result = await run({ revoked: true })
    await expectNothingWritten(result)
    expect(failure(result)).toContain(
      'GitHub token: GitHub rejected the token: revoked, expired or mistyped'
    )
    expect(github?.requests.map((r) => r.path)).toEqual(['/user'])
    expect(result.outputs['token-expires-at']).toBe('')
    expect(result.outputs['token-days-left']).toBe('')
  })

  it('a classic token without the repo scope', async () => {
    const result = await run({
      scopes: 'read:user, public_repo',
      expiresAt: expiration(inDays(90)),
      repos: REPOS
    })
    await expectNothingWritten(result)
    expect(failure(result)).toContain(
      'the classic token lacks the `repo` scope (it has: read:user, public_repo)'
    )
  })

  it('a token that expires in 3 days', async () => {
    const at = inDays(3)
    const result = await run({
      scopes: 'repo, admin:repo_hook',
      expiresAt: expiration(at),
      repos: REPOS
    })
    await expectNothingWritten(result)
    const iso = at.toISOString().replace(/\.\d{3}Z$/, 'Z')
    expect(failure(result)).toContain(
      `the token expires in 3 days, on ${iso}: fewer than min-days-left (7)`
    )
    // The expiry is reported even though the token was refused.
    expect(result.outputs['token-expires-at']).toBe(iso)
    expect(result.outputs['token-days-left']).toBe('3')
  })

  // Each pipeline is written as soon as its own checks pass (issue 17): the
  // token, and every repository that pipeline builds. One it cannot reach
  // stays unwritten, and so does everything else.
  it('a token that cannot see one repository writes only the pipelines whose repositories it sees', async () => {
    const result = await run({
      scopes: null,
      expiresAt: expiration(inDays(90)),
      repos: { 'example-org/app': 'ok', 'example-org/lib': 'missing' }
    })
    await expectOnlyReachableWritten(result, ['api', 'web'])
    expect(failure(result)).toContain(
      "pipeline 'docs' in us-east-1 (Source/Source) builds example-org/lib, which the token cannot see (GitHub answered 404)"
    )
    expect(failure(result)).not.toContain('example-org/app')
    expectCheckedOnce()
  })

  it('a token not authorized for the organization SAML SSO', async () => {
    const result = await run({
      scopes: 'repo, admin:repo_hook',
      expiresAt: expiration(inDays(90)),
      repos: { 'example-org/app': 'sso', 'example-org/lib': 'ok' }
    })
    await expectOnlyReachableWritten(result, ['docs'])
    const message = failure(result)
    expect(message).toMatch(
      /pipeline 'api' in us-east-1 \(Source\/Source\), pipeline 'web' in us-east-1 \(Source\/Source\) builds example-org\/app, but the token is not authorized for the SAML single sign-on of organization example-org: authorize it at https:\/\/github\.com\/orgs\/example-org\/sso\?authorization_request=[\w-]+, then re-run/
    )
    expectCheckedOnce()
  })

  it('a scheduled dry run fails under min-days-left and reports the days left', async () => {
    const at = inDays(5)
    const result = await run(
      { scopes: null, expiresAt: expiration(at, 9), repos: REPOS },
      { 'dry-run': 'true' }
    )
    expect(result.code).toBe(1)
    expect(await writeCalls(emulator)).toEqual([])
    expect(result.outputs['token-days-left']).toBe('5')
    expect(result.outputs['token-expires-at']).toBe(at.toISOString().replace(/\.\d{3}Z$/, 'Z'))
    expect(failure(result)).toContain('the token expires in 5 days')
    expect(result.summary).toContain('**Dry run**')
  })
})

describe('accepted tokens are rotated', () => {
  it('a fine-grained token with access to every repository', async () => {
    const at = inDays(60)
    // An offset expiry (+0900) is converted to UTC.
    const result = await run({ scopes: null, expiresAt: expiration(at, 9), repos: REPOS })
    await expectRotated(result)
    expect(result.outputs['token-expires-at']).toBe(at.toISOString().replace(/\.\d{3}Z$/, 'Z'))
    expect(result.outputs['token-days-left']).toBe('60')
    expect(result.stdout).toContain('Token: fine-grained token of rotation-bot')
    expect(result.stdout).toContain('2/2 repositories reachable')
    expect(result.stdout).not.toContain('::warning::')
    expect(result.summary).toContain('### GitHub token check')
    expect(result.summary).toMatch(/\| example-org\/app \| .* \| ✅ reachable \|/)
    expectCheckedOnce()
  })

  it('a token without an expiry, with a notice recommending one', async () => {
    const result = await run({ scopes: 'repo, admin:repo_hook', repos: REPOS })
    await expectRotated(result)
    expect(result.outputs['token-expires-at']).toBe('')
    expect(result.outputs['token-days-left']).toBe('')
    expect(result.stdout).toMatch(/::notice::The token never expires\..*RFC 6819 §5\.1\.5\.3/)
  })

  it('a classic token with repo but without admin:repo_hook: rotated, no webhook warning (repo covers webhooks)', async () => {
    const result = await run({ scopes: 'repo', expiresAt: expiration(inDays(30)), repos: REPOS })
    await expectRotated(result)
    expect(result.stdout).not.toMatch(/::warning::/)
  })

  it('a classic token with no scope that manages webhooks: refused for lacking repo, and warned about webhooks', async () => {
    const result = await run({
      scopes: 'public_repo',
      expiresAt: expiration(inDays(30)),
      repos: REPOS
    })
    expect(result.stdout).toMatch(
      /GitHub token: the classic token has none of the scopes that manage repository webhooks \(repo, admin:repo_hook, write:repo_hook\), but 3 GitHub sources rely on webhooks/
    )
  })

  it('a token expiring within twice min-days-left: rotated, with a warning', async () => {
    const result = await run({ scopes: null, expiresAt: expiration(inDays(10)), repos: REPOS })
    await expectRotated(result)
    expect(result.outputs['token-days-left']).toBe('10')
    expect(result.stdout).toMatch(/::warning::GitHub token: the token expires in 10 days/)
  })

  it('waits out a spent rate limit, then checks and rotates', async () => {
    const result = await run({ scopes: null, rateLimitRemaining: 0, repos: REPOS })
    await expectRotated(result)
    expect(result.stdout).toMatch(/Waiting \d+ s for GitHub/)
    expect(github?.requests.map((r) => r.status)[0]).toBe(403)
  })

  it('behind an HTTP proxy, asks GitHub through it, over HTTPS', async () => {
    // Self-hosted runners often reach GitHub only through a proxy (HTTPS_PROXY).
    // @actions/http-client bypasses the proxy for loopback addresses, so the
    // API URL names a host only the proxy knows; it tunnels (CONNECT) to the
    // fake GitHub, which serves HTTPS with a certificate made for this test
    // and trusted through NODE_EXTRA_CA_CERTS (the API URL must be https).
    const certs = mkdtempSync(path.join(tmpdir(), 'rotate-e2e-tls-'))
    const host = 'github.proxied.test'
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-keyout',
        path.join(certs, 'key.pem'),
        '-out',
        path.join(certs, 'cert.pem'),
        '-subj',
        `/CN=${host}`,
        '-addext',
        `subjectAltName=DNS:${host}`
      ],
      { stdio: 'ignore' }
    )
    github = await startFakeGitHub(
      { tokens: { [TOKEN]: { scopes: null, expiresAt: expiration(inDays(60)), repos: REPOS } } },
      {
        tls: {
          key: readFileSync(path.join(certs, 'key.pem'), 'utf8'),
          cert: readFileSync(path.join(certs, 'cert.pem'), 'utf8')
        }
      }
    )
    const upstream = new URL(github.url)
    const tunnels: string[] = []
    const proxy: Server = createServer((_req, res) => res.writeHead(405).end())
    proxy.on('connect', (req, client, head) => {
      tunnels.push(String(req.url))
      const socket = connect(Number(upstream.port), upstream.hostname, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        socket.write(head)
        socket.pipe(client).pipe(socket)
      })
      socket.on('error', () => client.destroy())
      client.on('error', () => socket.destroy())
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    try {
      const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
      const result = await runAction({
        inputs: { token: TOKEN, pipelines: '*', regions: 'us-east-1' },
        githubApiUrl: `https://${host}:${upstream.port}`,
        env: {
          AWS_ENDPOINT_URL: emulator.url,
          HTTP_PROXY: proxyUrl,
          HTTPS_PROXY: proxyUrl,
          NODE_EXTRA_CA_CERTS: path.join(certs, 'cert.pem')
        }
      })
      expect(findLeaks(result, [TOKEN])).toEqual([])
      await expectRotated(result)
      expectCheckedOnce()
      expect(tunnels.length).toBeGreaterThan(0)
      expect(new Set(tunnels)).toEqual(new Set([`${host}:${upstream.port}`]))
    } finally {
      rmSync(certs, { recursive: true, force: true })
      proxy.closeAllConnections()
      await new Promise((resolve) => proxy.close(resolve))
    }
  })

  it('verify-token: false asks GitHub nothing', async () => {
    const result = await run({ revoked: true }, { 'verify-token': 'false' })
    await expectRotated(result)
    expect(github?.requests).toEqual([])
    expect(result.stdout).toContain('not checked (verify-token is false')
  })
})
