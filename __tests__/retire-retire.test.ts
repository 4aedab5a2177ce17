import { jest, describe, it, expect, beforeEach } from '@jest/globals'
import * as core from '../__fixtures__/core.js'

jest.unstable_mockModule('@actions/core', () => core)
const { retireStep } = await import('../src/retire/retire.js')
const { GitHubError } = await import('../src/github/api.js')
const { SealedToken } = await import('../src/core/sealed-token.js')
const { emptyReport } = await import('../src/core/report.js')
type GitHubClient = import('../src/github/api.js').GitHubClient
type GitHubUser = import('../src/github/api.js').GitHubUser
type Outcome = import('../src/core/flow.js').Outcome
type RetireOptions = import('../src/retire/retire.js').RetireOptions
type SecretValue = InstanceType<typeof SealedToken>

const NEW = 'ghp_new-token-0123456789abcdef'
const OLD = 'ghp_old-token-fedcba9876543210'

const user = (overrides: Partial<GitHubUser> = {}): GitHubUser => ({
  login: 'rotation-bot',
  scopes: ['repo'],
  expiresAt: null,
  enterpriseVersion: null,
  ...overrides
})
const unauthorized = () =>
  new GitHubError('GitHub answered GET /user with 401: Bad credentials', 401)

const who = (token: SecretValue) =>
  token.reveal() === NEW ? 'new' : token.reveal() === OLD ? 'old' : 'unknown'

/**
 * A GitHubClient that records every call. GET /user with the old token
 * answers from `previous`, one entry per call (the last one repeats).
 */
function fakeClient(
  previous: unknown[] = [user(), unauthorized()],
  revoke: number | unknown = 202
) {
  const calls: string[] = []
  let userCalls = 0
  const revoker = (as: string) =>
    jest.fn(async (credentials: SecretValue[]) => {
      calls.push(`revoke ${as} [${credentials.map(who).join(', ')}]`)
      if (typeof revoke !== 'number') throw revoke
      return revoke
    })
  const client: GitHubClient = {
    as: (token) => ({
      getUser: async () => {
        calls.push(`GET /user ${who(token)}`)
        if (who(token) !== 'old') throw new Error('only the old token is asked about')
        const answer = previous[Math.min(userCalls++, previous.length - 1)]
        // Anything but a user is thrown.
        if (typeof answer !== 'object' || answer === null || !('login' in answer)) throw answer
        return answer as GitHubUser
      },
      getHooks: async () => {},
      getRepo: async () => {
        throw new Error('not used')
      },
      revoke: revoker(`as ${who(token)}`)
    }),
    anonymous: () => ({ revoke: revoker('anonymous') })
  }
  return { client, calls }
}

const done: Outcome = { dryRun: false, confirmed: true, failures: [], holdouts: [] }

function step(client: GitHubClient, overrides: Partial<RetireOptions> = {}) {
  const sleeps: number[] = []
  const retire = retireStep({
    client,
    token: new SealedToken(NEW),
    previous: new SealedToken(OLD),
    githubApiUrl: 'https://api.github.com',
    checked: () => ({ login: 'rotation-bot', enterpriseVersion: null }),
    sleep: async (ms) => {
      sleeps.push(ms)
    },
    ...overrides
  })
  return { retire, sleeps }
}

const rows = (report: { sections: { rows: string[][] }[] }) => report.sections[0]?.rows

beforeEach(() => core.resetCore())

describe('retireStep: nothing to retire', () => {
  it('without previous-token: only the output false, and no call', async () => {
    const { client, calls } = fakeClient()
    const { retire } = step(client, { previous: undefined })
    const report = await retire.run(done)
    expect(report).toEqual(emptyReport({ outputs: { 'previous-token-revoked': 'false' } }))
    expect(calls).toEqual([])
    expect(core.info).not.toHaveBeenCalled()
  })
})

describe('retireStep: dry run', () => {
  it('never revokes, and says it would', async () => {
    const { client, calls } = fakeClient()
    const report = await step(client).retire.run({ ...done, dryRun: true })
    expect(calls).toEqual([])
    expect(report).toEqual(
      emptyReport({
        sections: [
          {
            title: 'Previous token',
            headers: ['Status'],
            rows: [
              ['📝 planned: dry run: it would be revoked now (everything holds the new token)']
            ]
          }
        ],
        outputs: { 'previous-token-revoked': 'false' },
        headline: 'Previous token: planned'
      })
    )
    expect(core.info).toHaveBeenCalledWith(
      'Previous token: dry run: it would be revoked now (everything holds the new token)'
    )
  })

  it('never revokes, and says why it would not', async () => {
    const { client, calls } = fakeClient()
    const report = await step(client).retire.run({
      ...done,
      dryRun: true,
      failures: ['pipeline a: denied']
    })
    expect(calls).toEqual([])
    expect(rows(report)).toEqual([
      ['📝 planned: dry run: it would not be revoked: 1 target failed']
    ])
    expect(report.warnings).toEqual([])
    expect(report.outputs).toEqual({ 'previous-token-revoked': 'false' })
  })
})

describe('retireStep: not everything holds the new token', () => {
  it.each([
    [
      'GitHub did not confirm the new token',
      { confirmed: false },
      'GitHub did not confirm the new token (verify-token is false, or the check was skipped)'
    ],
    ['a target failed', { failures: ['a', 'b'] }, '2 targets failed'],
    [
      'a place still holds the old token',
      { holdouts: ['pipeline app was skipped: a run was in flight', 'secret ci/token'] },
      'pipeline app was skipped: a run was in flight; secret ci/token'
    ]
  ])('keeps it when %s, with a warning that says why', async (_, outcome, why) => {
    const { client, calls } = fakeClient()
    const report = await step(client).retire.run({ ...done, ...outcome })
    expect(calls).toEqual([])
    expect(report.warnings).toEqual([
      `previous-token was not revoked, because not everything holds the new token: ${why}. Fix that and re-run with the same inputs; the old token is revoked once everything holds the new one.`
    ])
    expect(rows(report)).toEqual([[`➖ kept: not revoked: ${why}`]])
    expect(report.outputs).toEqual({ 'previous-token-revoked': 'false' })
    expect(report.failures).toEqual([])
  })
})

describe('retireStep: revoking', () => {
  it('revokes unauthenticated on GitHub.com, confirms it, and sets the output true', async () => {
    const { client, calls } = fakeClient()
    const { retire, sleeps } = step(client)
    const report = await retire.run(done)
    expect(calls).toEqual(['GET /user old', 'revoke anonymous [old]', 'GET /user old'])
    expect(sleeps).toEqual([])
    expect(report.outputs).toEqual({ 'previous-token-revoked': 'true' })
    expect(rows(report)).toEqual([
      ['✅ revoked: GET /user with it now answers 401 (account rotation-bot)']
    ])
    expect(report).toMatchObject({
      headline: 'Previous token: revoked',
      warnings: [],
      notices: [],
      failures: []
    })
    expect(core.info).toHaveBeenCalledWith(
      'Previous token: revoked; GET /user with it now answers 401 (account rotation-bot)'
    )
  })

  it('uses the real timer by default', async () => {
    const { client, calls } = fakeClient()
    const report = await step(client, { sleep: undefined }).retire.run(done)
    expect(calls).toContain('revoke anonymous [old]')
    expect(report.outputs).toEqual({ 'previous-token-revoked': 'true' })
  })

  it.each(['3.18.0', '3.18', '3.20.1', '4.0.0'])(
    'revokes with the new token on GitHub Enterprise Server %s',
    async (version) => {
      const { client, calls } = fakeClient()
      const report = await step(client, {
        githubApiUrl: 'https://ghe.example.com/api/v3',
        checked: () => ({ login: 'rotation-bot', enterpriseVersion: version })
      }).retire.run(done)
      expect(calls).toEqual(['GET /user old', 'revoke as new [old]', 'GET /user old'])
      expect(report.outputs).toEqual({ 'previous-token-revoked': 'true' })
    }
  )

  it("takes the server's version from GET /user with the old token when the check has none", async () => {
    const { client, calls } = fakeClient([user({ enterpriseVersion: '3.19.0' }), unauthorized()])
    await step(client).retire.run(done)
    expect(calls).toContain('revoke as new [old]')
  })

  it('revokes with the new token at an /api/v3 URL, even without a version header', async () => {
    const { client, calls } = fakeClient()
    await step(client, { githubApiUrl: 'https://ghe.example.com/api/v3' }).retire.run(done)
    expect(calls).toEqual(['GET /user old', 'revoke as new [old]', 'GET /user old'])
  })

  it.each(['3.17.5', '3.9.1', '3', '2.22'])(
    'warns, without a call, on GitHub Enterprise Server %s (no revocation API)',
    async (version) => {
      const { client, calls } = fakeClient()
      const report = await step(client, {
        githubApiUrl: 'https://ghe.example.com/api/v3',
        checked: () => ({ login: 'rotation-bot', enterpriseVersion: version })
      }).retire.run(done)
      expect(calls).toEqual(['GET /user old'])
      const why = `GitHub Enterprise Server ${version} has no credential revocation API (it arrived in 3.18): revoke the old token in its settings`
      expect(report.warnings).toEqual([`previous-token was not revoked: ${why}`])
      expect(rows(report)).toEqual([[`⚠️ warned: ${why}`]])
      expect(report.outputs).toEqual({ 'previous-token-revoked': 'false' })
      expect(report.failures).toEqual([])
    }
  )

  it('warns, without failing the step, when the server has no revocation endpoint (404)', async () => {
    const { client } = fakeClient(undefined, new GitHubError('404', 404))
    const report = await step(client).retire.run(done)
    expect(report.warnings).toEqual([
      "previous-token was not revoked: https://api.github.com has no POST /credentials/revoke (GitHub Enterprise Server before 3.18?): revoke the old token in GitHub's settings"
    ])
    expect(report).toMatchObject({
      failures: [],
      outputs: { 'previous-token-revoked': 'false' },
      headline: 'Previous token: warned'
    })
  })

  it.each([
    [
      new GitHubError('GitHub answered POST /credentials/revoke with 422: Validation Failed', 422),
      'GitHub answered POST /credentials/revoke with 422: Validation Failed'
    ],
    [new Error('socket hang up'), 'socket hang up'],
    ['plain refusal', 'plain refusal']
  ])('warns, without failing the step, when GitHub refuses: %s', async (error, message) => {
    const { client, calls } = fakeClient(undefined, error)
    const report = await step(client).retire.run(done)
    expect(calls).toEqual(['GET /user old', 'revoke anonymous [old]'])
    expect(report.warnings).toEqual([
      `previous-token was not revoked: GitHub refused to revoke it (${message}): revoke it in GitHub's settings`
    ])
    expect(report).toMatchObject({ failures: [], outputs: { 'previous-token-revoked': 'false' } })
  })

  it('keeps a previous token that is already invalid, with a notice', async () => {
    const { client, calls } = fakeClient([unauthorized()])
    const report = await step(client).retire.run(done)
    expect(calls).toEqual(['GET /user old'])
    expect(report.notices).toEqual([
      'previous-token was already invalid (revoked or expired): nothing was revoked.'
    ])
    expect(report.warnings).toEqual([])
    expect(rows(report)).toEqual([
      ['➖ kept: it was already invalid (GET /user with it answered 401): nothing to revoke']
    ])
    expect(report.outputs).toEqual({ 'previous-token-revoked': 'false' })
  })

  it.each([
    [
      new GitHubError('GitHub answered GET /user with 503: Unavailable', 503),
      'GitHub answered GET /user with 503: Unavailable'
    ],
    ['timeout', 'timeout']
  ])('warns when the previous token cannot be checked: %s', async (error, message) => {
    const { client, calls } = fakeClient([error])
    const report = await step(client).retire.run(done)
    expect(calls).toEqual(['GET /user old'])
    expect(report.warnings).toEqual([
      `previous-token was not revoked: it could not be checked with GitHub (${message}); revoke it in GitHub's settings`
    ])
    expect(rows(report)).toEqual([[`⚠️ warned: not revoked: it could not be checked (${message})`]])
  })

  it("does not revoke another account's token", async () => {
    const { client, calls } = fakeClient([user({ login: 'someone-else' })])
    const report = await step(client).retire.run(done)
    expect(calls).toEqual(['GET /user old'])
    const why =
      "previous-token belongs to someone-else, but the new token to rotation-bot: revoking it would end another account's access, so it was not revoked — check previous-token"
    expect(report.warnings).toEqual([why])
    expect(report.outputs).toEqual({ 'previous-token-revoked': 'false' })
  })

  it('compares the accounts without regard to case', async () => {
    const { client, calls } = fakeClient([user({ login: 'Rotation-Bot' }), unauthorized()])
    const report = await step(client).retire.run(done)
    expect(calls).toContain('revoke anonymous [old]')
    expect(report.outputs).toEqual({ 'previous-token-revoked': 'true' })
  })

  it('revokes when the check named no account', async () => {
    const { client, calls } = fakeClient()
    await step(client, { checked: () => undefined }).retire.run(done)
    expect(calls).toContain('revoke anonymous [old]')
  })

  it('looks again, waiting longer each time, until GET /user with the old token answers 401', async () => {
    const { client, calls } = fakeClient([user(), user(), user(), unauthorized()])
    const { retire, sleeps } = step(client)
    const report = await retire.run(done)
    expect(sleeps).toEqual([1_000, 2_000])
    expect(calls.filter((c) => c === 'GET /user old')).toHaveLength(4)
    expect(report.outputs).toEqual({ 'previous-token-revoked': 'true' })
  })

  it('looks again after a passing error', async () => {
    const { client } = fakeClient([user(), new Error('ECONNRESET'), unauthorized()])
    const { retire, sleeps } = step(client)
    const report = await retire.run(done)
    expect(sleeps).toEqual([1_000])
    expect(report.outputs).toEqual({ 'previous-token-revoked': 'true' })
  })

  it('warns and sets the output false when the old token never stops working', async () => {
    const { client, calls } = fakeClient([user()])
    const { retire, sleeps } = step(client)
    const report = await retire.run(done)
    expect(sleeps).toEqual([1_000, 2_000, 4_000, 8_000])
    expect(calls.filter((c) => c === 'GET /user old')).toHaveLength(6)
    const why =
      "GitHub accepted the revocation, but the token still authenticated 15 s later: check it in GitHub's settings"
    expect(report.warnings).toEqual([`previous-token: ${why}`])
    expect(rows(report)).toEqual([[`⚠️ warned: ${why}`]])
    expect(report.outputs).toEqual({ 'previous-token-revoked': 'false' })
    expect(report.failures).toEqual([])
  })
})
