import { jest, describe, it, expect, beforeEach } from '@jest/globals'
import * as core from '../__fixtures__/core.js'
import { fakeGitHubApi } from '../__fixtures__/github.js'
import { inputsOf } from '../__fixtures__/inputs.js'

jest.unstable_mockModule('@actions/core', () => core)
const { tokenGate } = await import('../src/gate/gate.js')
const { GitHubError } = await import('../src/github/api.js')
const { SealedToken } = await import('../src/core/sealed-token.js')
const { publish } = await import('../src/core/report.js')
type GitHubApi = import('../src/github/api.js').GitHubApi
type Inputs = import('../src/inputs/types.js').Inputs
type TokenTarget = import('../src/gate/repos.js').TokenTarget

const TOKEN = 'unit-token-0123456789abcdef'
const NOW = new Date('2026-11-21T12:00:00Z')

const inputs = (overrides: Partial<Inputs> = {}): Inputs =>
  inputsOf({ followStacks: false, roleSessionName: 'session', ...overrides })

const fakeApi = (...args: Parameters<typeof fakeGitHubApi>) => fakeGitHubApi(...args).api

const app: TokenTarget[] = [
  {
    name: 'app',
    region: 'us-east-1',
    actions: [
      {
        stage: 'Source',
        action: 'Source',
        owner: 'octo-org',
        repo: 'app',
        pollForSourceChanges: true
      }
    ]
  }
]

function gateWith(api: GitHubApi, overrides: Partial<Inputs> = {}, targets = () => app) {
  return tokenGate(inputs(overrides), {
    github: api,
    token: new SealedToken(TOKEN),
    targets,
    now: () => NOW
  })
}

beforeEach(() => core.resetCore())

describe('tokenGate', () => {
  it('closes on a refused token, with the outputs, the log line, the failures and the table', async () => {
    const gate = gateWith(fakeApi({ expiresAt: '2026-11-24 12:00:00 UTC' }))
    const verdict = await gate.check()
    expect(verdict.open).toBe(false)
    expect(verdict.confirmed).toBe(false)
    expect(verdict.report.outputs).toEqual({
      'token-expires-at': '2026-11-24T12:00:00Z',
      'token-days-left': '3'
    })
    expect(verdict.report.failures).toEqual([
      expect.stringMatching(/^GitHub token: the token expires in 3 days/)
    ])
    expect(verdict.report.headline).toMatch(
      /expires 2026-11-24T12:00:00Z \(3 days left\), 1\/1 repositories reachable/
    )
    expect(core.info).toHaveBeenCalledWith(verdict.report.headline)
    expect(verdict.report.sections[0]?.rows).toEqual([
      ['(the token)', 'rotation-bot', expect.stringMatching(/^❌ the token expires in 3 days/)],
      ['octo-org/app', "pipeline 'app' in us-east-1 (Source/Source)", '✅ reachable']
    ])
    expect(verdict.report.holdouts).toEqual([])
  })

  it('lists problems with the token itself in its summary section', async () => {
    const verdict = await gateWith(fakeApi(new GitHubError('401', 401))).check()
    expect(verdict.open).toBe(false)
    expect(verdict.report.sections[0]?.rows).toEqual([
      ['(the token)', '–', expect.stringMatching(/^❌ GitHub rejected the token/)]
    ])
  })

  it('opens, confirmed, for a good token; empty expiry outputs and a notice when it never expires', async () => {
    const verdict = await gateWith(fakeApi()).check()
    expect(verdict).toMatchObject({ open: true, confirmed: true })
    expect(verdict.report.outputs).toEqual({ 'token-expires-at': '', 'token-days-left': '' })
    expect(verdict.report.failures).toEqual([])
    expect(verdict.report.notices).toEqual([expect.stringMatching(/never expires/)])
    // The notice is the report's: it is printed when the report is published.
    expect(core.notice).not.toHaveBeenCalled()
    await publish({ title: 'T', intro: [], regions: [], reports: [verdict.report] })
    expect(core.notice).toHaveBeenCalledWith(expect.stringMatching(/never expires/))
    expect(core.setOutput).toHaveBeenCalledWith('token-expires-at', '')
    expect(core.setOutput).toHaveBeenCalledWith('token-days-left', '')
  })

  it('opens with the expiry in the outputs for a token far from its expiry', async () => {
    const verdict = await gateWith(fakeApi({ expiresAt: '2027-01-20 12:00:00 UTC' })).check()
    expect(verdict).toMatchObject({ open: true, confirmed: true })
    expect(verdict.report.outputs).toEqual({
      'token-expires-at': '2027-01-20T12:00:00Z',
      'token-days-left': '60'
    })
  })

  it('has no result before it has checked, and reads the targets only when it checks', async () => {
    const targets = jest.fn(() => app)
    const gate = gateWith(fakeApi(), {}, targets)
    expect(gate.result()).toBeUndefined()
    expect(targets).not.toHaveBeenCalled()
    await gate.check()
    expect(targets).toHaveBeenCalledTimes(1)
    expect(gate.result()).toMatchObject({ login: 'rotation-bot' })
  })

  it('exposes the check, prefixes its warnings, and shows each unreachable repository once', async () => {
    const api = fakeApi(
      { expiresAt: '2026-12-01 12:00:00 UTC' },
      { 'octo-org/app': new GitHubError('404', 404) }
    )
    const gate = gateWith(api)
    const { report } = await gate.check()
    expect(gate.result()).toMatchObject({ login: 'rotation-bot', daysLeft: 10 })
    expect(report.warnings).toEqual([
      expect.stringMatching(/^GitHub token: the token expires in 10 days, on 2026-12-01T12:00:00Z/)
    ])
    expect(report.failures).toEqual([
      expect.stringMatching(/^GitHub token: pipeline 'app' .* which the token cannot see/)
    ])
    // The repository's failure is its own row, not repeated as a token row.
    expect(report.sections[0]?.rows).toEqual([
      [
        'octo-org/app',
        "pipeline 'app' in us-east-1 (Source/Source)",
        expect.stringMatching(
          /^❌ pipeline 'app' .* which the token cannot see \(GitHub answered 404\)/
        )
      ]
    ])
  })

  it('opens without confirming when it skipped, and logs why', async () => {
    const api = fakeApi()
    const verdict = await gateWith(api, { verifyToken: false }).check()
    expect(verdict).toMatchObject({ open: true, confirmed: false })
    expect(core.info).toHaveBeenCalledWith(
      'Token: not checked (verify-token is false: the token was not checked with GitHub)'
    )
    expect(verdict.report.outputs).toEqual({ 'token-expires-at': '', 'token-days-left': '' })
    expect(api.getUser).not.toHaveBeenCalled()
  })

  it('checks a Bitbucket credential with Bitbucket, never GitHub', async () => {
    const api = fakeApi()
    const getUser = jest.fn(async () => ({ name: 'Builder' }))
    const getRepository = jest.fn(async () => {})
    const gate = tokenGate(
      inputs({
        codebuild: {
          mode: 'import',
          serverType: 'BITBUCKET',
          authType: 'BASIC_AUTH',
          username: 'builder@example.com'
        }
      }),
      {
        github: api,
        token: new SealedToken(TOKEN),
        targets: () => [],
        bitbucket: () => ({ getUser, getRepository }),
        now: () => NOW
      }
    )
    const verdict = await gate.check()
    expect(verdict).toMatchObject({ open: true, confirmed: true })
    expect(verdict.report.headline).toBe(
      'Token: Bitbucket API token of builder@example.com, accepted by GET /user, no repositories to check'
    )
    expect(verdict.report.sections[0]?.title).toBe('Bitbucket credential check')
    expect(getUser).toHaveBeenCalledTimes(1)
    expect(api.getUser).not.toHaveBeenCalled()
    expect(gate.refusals('us-east-1')).toEqual([])
  })

  it('opens, confirmed, with the warnings of a token that is fine to rotate', async () => {
    const verdict = await gateWith(fakeApi({ scopes: ['repo'] }), {}, () => [
      {
        name: 'hook',
        region: 'eu-west-1',
        actions: [
          { stage: 'Source', action: 'S', owner: 'o', repo: 'r', pollForSourceChanges: false }
        ]
      }
    ]).check()
    expect(verdict).toMatchObject({ open: true, confirmed: true })
    // `repo` covers webhooks (GitHub's scope reference): nothing to warn about.
    expect(verdict.report.warnings).toEqual([])
  })

  it.each([
    [8, 4],
    [2, 2],
    [1, 1]
  ])(
    'asks GitHub about at most min(max-concurrency, 4) repositories at once (max-concurrency %i → %i)',
    async (maxConcurrency, expected) => {
      let running = 0
      let peak = 0
      const api = fakeApi()
      api.getRepo.mockImplementation(async (owner, repo) => {
        running++
        peak = Math.max(peak, running)
        await new Promise((resolve) => setTimeout(resolve, 5))
        running--
        return { fullName: `${owner}/${repo}`, private: false }
      })
      const targets = Array.from({ length: 10 }, (_, i) => ({
        name: `p${i}`,
        region: 'us-east-1',
        actions: [
          { stage: 'S', action: 'A', owner: 'o', repo: `r${i}`, pollForSourceChanges: true }
        ]
      }))
      await gateWith(api, { maxConcurrency }, () => targets).check()
      expect(peak).toBe(expected)
    }
  )

  it('asks about a considered pipeline’s repositories before check(), and not again in it', async () => {
    const api = fakeApi()
    const gate = gateWith(api)
    gate.consider(app[0] as TokenTarget)
    for (let i = 0; i < 10 && api.getRepo.mock.calls.length === 0; i++) {
      await new Promise(setImmediate)
    }
    expect(api.getRepo).toHaveBeenCalledWith('octo-org', 'app')
    const verdict = await gate.check()
    expect(api.getRepo).toHaveBeenCalledTimes(1)
    expect(verdict.report.sections[0]?.rows).toEqual([
      ['octo-org/app', "pipeline 'app' in us-east-1 (Source/Source)", '✅ reachable']
    ])
  })

  it('starts the check on the first consider() or on check(), asking GET /user once', async () => {
    const api = fakeApi()
    const gate = gateWith(api)
    gate.consider(app[0] as TokenTarget)
    expect(api.getUser).toHaveBeenCalledTimes(1)
    await gate.check()
    expect(api.getUser).toHaveBeenCalledTimes(1)
    expect(api.getRepo).toHaveBeenCalledTimes(1)
  })

  it('uses the real clock by default', async () => {
    const gate = tokenGate(inputs(), {
      github: fakeApi({ expiresAt: '2999-01-01 00:00:00 UTC' }),
      token: new SealedToken(TOKEN),
      targets: () => app
    })
    const daysFrom = (now: number) =>
      String(Math.floor((Date.parse('2999-01-01T00:00:00Z') - now) / 86_400_000))
    const before = daysFrom(Date.now())
    const verdict = await gate.check()
    const after = daysFrom(Date.now())
    expect([before, after]).toContain(verdict.report.outputs['token-days-left'])
  })
})
