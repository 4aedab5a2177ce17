/**
 * Retiring the token being replaced (previous-token), through the bundled
 * action: revoked with GitHub's "Revoke a list of credentials" only once
 * everything holds the new token, after the last write; unauthenticated on
 * GitHub.com, authenticated on GitHub Enterprise Server; confirmed dead.
 * Both tokens are scanned for in every run, in every derived form.
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { OLD_TOKEN, oauthTokens } from '../test-support/corpus.js'
import {
  addExecution,
  calls,
  createPipeline,
  createServiceRole,
  resetCalls,
  storedPipeline
} from '../test-support/emulator.js'
import {
  expirationHeader,
  startFakeGitHub,
  type FakeGitHub,
  type FakeGitHubOptions,
  type TokenBehaviour
} from '../test-support/fake-github.js'
import { useEmulator } from '../test-support/jest.js'
import { githubSource, pipeline } from '../test-support/pipelines.js'
import { runScanned, type RunResult } from '../test-support/run-action.js'

const TOKEN = `e2e-token-${randomBytes(12).toString('hex')}`
const PREVIOUS = `e2e-previous-${randomBytes(12).toString('hex')}`
const REGION = 'us-east-1'
const emulator = useEmulator()
let github: FakeGitHub | undefined

const good: TokenBehaviour = {
  scopes: 'repo, admin:repo_hook',
  expiresAt: expirationHeader(new Date(Date.now() + 90 * 86_400_000)),
  repos: '*'
}

async function startGitHub(
  tokens: Record<string, TokenBehaviour> = { [TOKEN]: good, [PREVIOUS]: good },
  options: FakeGitHubOptions = {}
) {
  github = await startFakeGitHub({ tokens }, options)
  return github
}
afterEach(async () => {
  await github?.close()
  github = undefined
})

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
    { 'verify-token': 'true', 'previous-token': PREVIOUS, regions: REGION, ...inputs },
    { githubApiUrl: api.url, secrets: [PREVIOUS] }
  )

const revokes = (api: FakeGitHub) =>
  api.requests.filter((r) => r.path.endsWith('/credentials/revoke'))
const summaryOf = (result: RunResult) => result.summary

describe('the previous token is revoked', () => {
  it('once, unauthenticated (GitHub.com), after the last write, and confirmed dead', async () => {
    await seed('app', 'api')
    const api = await startGitHub()
    const result = await run(api, { pipelines: '*' })
    expect(result.code).toBe(0)
    expect(result.outputs['previous-token-revoked']).toBe('true')
    expect(result.outputs['complete']).toBe('true')
    expect(api.isRevoked(PREVIOUS)).toBe(true)
    expect(api.isRevoked(TOKEN)).toBe(false)

    const posted = revokes(api)
    expect(posted).toEqual([
      {
        method: 'POST',
        path: '/credentials/revoke',
        authorization: false,
        credentials: 1,
        status: 202
      }
    ])
    // After the last write.
    const lastWrite = Math.max(
      ...(await calls(emulator))
        .filter((c) => c.action === 'UpdatePipeline')
        .map((c) => c.time * 1000)
    )
    expect(posted[0]?.time).toBeGreaterThan(lastWrite)
    // Then GET /user with it answered 401.
    const after = api.requests.filter((r) => r.time >= (posted[0]?.time ?? 0) && r.path === '/user')
    expect(after.map((r) => r.status)).toContain(401)
    expect(result.stdout).toMatch(/Previous token: revoked; GET \/user with it now answers 401/)
    expect(summaryOf(result)).toMatch(/### Previous token/)
    expect(oauthTokens((await storedPipeline(emulator, REGION, 'app')).pipeline)).toEqual([TOKEN])
  })

  it('on GitHub Enterprise Server 3.18, authenticated with the new token', async () => {
    await seed('app')
    const api = await startGitHub(undefined, { enterprise: { version: '3.18.0' } })
    const result = await run(api, { pipelines: 'app' })
    expect(result.code).toBe(0)
    expect(result.outputs['previous-token-revoked']).toBe('true')
    expect(revokes(api)).toEqual([
      {
        method: 'POST',
        path: '/api/v3/credentials/revoke',
        authorization: true,
        credentials: 1,
        status: 202
      }
    ])
  })

  it('in a last job that rotates nothing (previous-token alone), after other jobs rotated', async () => {
    const api = await startGitHub()
    const result = await runScanned(
      emulator,
      TOKEN,
      { 'verify-token': 'true', 'previous-token': PREVIOUS, regions: '' },
      { githubApiUrl: api.url, secrets: [PREVIOUS], env: { AWS_REGION: '' } }
    )
    expect(result.code).toBe(0)
    expect(result.outputs['previous-token-revoked']).toBe('true')
    expect(revokes(api)).toHaveLength(1)
    expect(await calls(emulator)).toEqual([])
  })
})

describe('the previous token is kept', () => {
  it('when a target failed', async () => {
    await seed('app')
    const api = await startGitHub()
    const result = await run(api, { pipelines: 'app, missing-pipeline' })
    expect(result.code).toBe(1)
    expect(result.outputs['previous-token-revoked']).toBe('false')
    expect(result.outputs['complete']).toBe('false')
    expect(revokes(api)).toEqual([])
    expect(api.isRevoked(PREVIOUS)).toBe(false)
    expect(result.stdout).toMatch(
      /::warning::previous-token was not revoked, because not everything holds the new token: 1 target failed/
    )
  })

  it('in a dry run, which says it would revoke it', async () => {
    await seed('app')
    const api = await startGitHub()
    const result = await run(api, { pipelines: 'app', 'dry-run': 'true' })
    expect(result.code).toBe(0)
    expect(result.outputs['previous-token-revoked']).toBe('false')
    expect(revokes(api)).toEqual([])
    expect(result.stdout).toMatch(/Previous token: dry run: it would be revoked now/)
  })

  it('when GitHub refuses the new token (nothing is written either)', async () => {
    await seed('app')
    const api = await startGitHub({ [TOKEN]: { ...good, revoked: true }, [PREVIOUS]: good })
    const result = await run(api, { pipelines: 'app' })
    expect(result.code).toBe(1)
    expect(revokes(api)).toEqual([])
    expect((await calls(emulator)).filter((c) => c.write)).toEqual([])
  })

  it('when a busy pipeline was skipped and still holds the old token', async () => {
    await seed('app', 'busy')
    await addExecution(emulator, { region: REGION, name: 'busy', durationSeconds: 60 })
    const api = await startGitHub()
    const result = await run(api, { pipelines: '*', 'in-progress': 'skip' })
    expect(result.code).toBe(0)
    expect(result.outputs['previous-token-revoked']).toBe('false')
    expect(revokes(api)).toEqual([])
    expect(result.stdout).toMatch(
      /previous-token was not revoked.*pipeline busy in us-east-1 was skipped while a run was in flight/
    )
  })

  it('when it belongs to another account than the new token', async () => {
    await seed('app')
    const api = await startGitHub({ [TOKEN]: good, [PREVIOUS]: { ...good, login: 'someone-else' } })
    const result = await run(api, { pipelines: 'app' })
    expect(result.code).toBe(0)
    expect(result.outputs['previous-token-revoked']).toBe('false')
    expect(revokes(api)).toEqual([])
    expect(result.stdout).toMatch(
      /::warning::previous-token belongs to someone-else, but the new token to rotation-bot/
    )
  })

  it('with a warning, not a failure, when the server has no revocation endpoint (GHES before 3.18)', async () => {
    await seed('app')
    const api = await startGitHub(undefined, { enterprise: { version: '3.17.2' } })
    const result = await run(api, { pipelines: 'app' })
    expect(result.code).toBe(0)
    expect(result.outputs['previous-token-revoked']).toBe('false')
    expect(result.stdout).toMatch(
      /::warning::previous-token was not revoked: GitHub Enterprise Server 3\.17\.2 has no credential revocation API/
    )
    expect(api.isRevoked(PREVIOUS)).toBe(false)
  })

  it('with a notice when it was already invalid', async () => {
    await seed('app')
    const api = await startGitHub({ [TOKEN]: good, [PREVIOUS]: { ...good, revoked: true } })
    const result = await run(api, { pipelines: 'app' })
    expect(result.code).toBe(0)
    expect(result.outputs['previous-token-revoked']).toBe('false')
    expect(revokes(api)).toEqual([])
    expect(result.stdout).toMatch(/::notice::previous-token was already invalid/)
  })
})
