import { jest, describe, it, expect, beforeEach } from '@jest/globals'
import * as core from '../__fixtures__/core.js'
import { fakeGitHubApi } from '../__fixtures__/github.js'

jest.unstable_mockModule('@actions/core', () => core)
const { startCheck } = await import('../src/gate/check.js')
const { describeCheck, tokenSection } = await import('../src/gate/render.js')
const { repositoriesOf, invalidName } = await import('../src/gate/repos.js')
const { GitHubError } = await import('../src/github/api.js')
const { SealedToken } = await import('../src/core/sealed-token.js')
const { createLimit } = await import('../src/core/limit.js')
const { redact } = await import('../src/core/redact.js')
const log = await import('../src/core/log.js')
type GitHubApi = import('../src/github/api.js').GitHubApi
type GitHubUser = import('../src/github/api.js').GitHubUser
type TokenTarget = import('../src/gate/repos.js').TokenTarget
type Action = TokenTarget['actions'][number]

const TOKEN = 'unit-token-0123456789abcdef'
const NOW = new Date('2026-11-21T12:00:00Z')
const serial = <T>(task: () => Promise<T>) => task()
const token = new SealedToken(TOKEN)

function inputs(overrides: Record<string, unknown> = {}) {
  return {
    verifyToken: true,
    minDaysLeft: 7,
    githubApiUrl: 'https://api.github.com',
    codebuild: {
      mode: 'off' as const,
      serverType: 'GITHUB' as const,
      authType: 'PERSONAL_ACCESS_TOKEN' as const,
      username: undefined
    },
    ...overrides
  }
}

function action(owner: string, repo: string, poll = true, name = 'Source'): Action {
  return { stage: 'Source', action: name, owner, repo, pollForSourceChanges: poll }
}

function target(name: string, actions: Action[], region = 'us-east-1'): TokenTarget {
  return { name, region, actions }
}

const fakeApi = fakeGitHubApi

const check = (
  api: GitHubApi,
  targets: TokenTarget[] = app,
  overrides: Record<string, unknown> = {},
  limit = serial
) => startCheck(inputs(overrides), api, token, limit).finish(targets, NOW)

const app = [target('app', [action('octo-org', 'app')])]

beforeEach(() => core.resetCore())

describe('startCheck: expiry', () => {
  const expiring = (at: string) => fakeApi({ expiresAt: at }).api

  it('refuses a token that expires in fewer than min-days-left days and reports the expiry', async () => {
    const result = await check(expiring('2026-11-24 12:00:00 UTC'))
    expect(result.expiresAt).toBe('2026-11-24T12:00:00Z')
    expect(result.daysLeft).toBe(3)
    expect(result.failures).toEqual([
      expect.stringMatching(
        /expires in 3 days, on 2026-11-24T12:00:00Z: fewer than min-days-left \(7\)/
      )
    ])
  })

  it('refuses a token that has already expired', async () => {
    const result = await check(expiring('2026-11-20 12:00:00 UTC'))
    expect(result.daysLeft).toBe(-1)
    expect(result.failures).toEqual([expect.stringMatching(/expires in -1 days/)])
  })

  it('accepts exactly min-days-left days, with a warning under twice that', async () => {
    const result = await check(expiring('2026-11-28 12:00:00 UTC'))
    expect(result.daysLeft).toBe(7)
    expect(result.failures).toEqual([])
    expect(result.warnings).toEqual([
      expect.stringMatching(
        /^the token expires in 7 days, on 2026-11-28T12:00:00Z: fewer than twice min-days-left \(14\)\. Plan its replacement now: once under 7 days this action refuses it$/
      )
    ])
  })

  it('says nothing at twice min-days-left or more', async () => {
    const result = await check(expiring('2026-12-05 12:00:00 UTC'))
    expect(result.daysLeft).toBe(14)
    expect(result).toMatchObject({ failures: [], warnings: [], notices: [] })
  })

  it('converts an offset expiry to UTC before counting', async () => {
    // 2026-11-28 20:00 +0900 is 11:00 UTC: 6 days and 23 hours away.
    const result = await check(expiring('2026-11-28 20:00:00 +0900'))
    expect(result.expiresAt).toBe('2026-11-28T11:00:00Z')
    expect(result.daysLeft).toBe(6)
    expect(result.failures).toHaveLength(1)
  })

  it('reads an expiry sent as an HTTP-date', async () => {
    const result = await check(expiring('Sat, 05 Dec 2026 12:00:00 GMT'))
    expect(result).toMatchObject({ expiresAt: '2026-12-05T12:00:00Z', daysLeft: 14, failures: [] })
  })

  it('min-days-left 0 turns the check off but still reports the expiry', async () => {
    const result = await check(expiring('2026-11-22 12:00:00 UTC'), app, { minDaysLeft: 0 })
    expect(result).toMatchObject({ daysLeft: 1, failures: [], warnings: [] })
    const expired = await check(expiring('2026-11-01 12:00:00 UTC'), app, { minDaysLeft: 0 })
    expect(expired).toMatchObject({ daysLeft: -20, failures: [], warnings: [] })
  })

  it('recommends an expiry for a token without one', async () => {
    const result = await check(fakeApi({ expiresAt: null }).api)
    expect(result).toMatchObject({ expiresAt: null, daysLeft: null, failures: [] })
    expect(result.notices).toEqual([expect.stringMatching(/never expires.*RFC 6819 §5\.1\.5\.3/)])
  })

  // Changed: an unreadable expiry was a warning; with min-days-left > 0 it now refuses (fail closed).
  it('refuses the token when the expiry cannot be read and min-days-left is set, quoting the header', async () => {
    const result = await check(expiring('soon-ish'))
    expect(result).toMatchObject({ expiresAt: null, daysLeft: null, warnings: [] })
    expect(result.failures).toEqual([
      "GitHub sent a token expiry this action cannot read (GitHub-Authentication-Token-Expiration: 'soon-ish'), so it cannot tell whether the token lasts min-days-left (7) more days: refused. Set min-days-left: 0 to rotate it without the expiry check"
    ])
  })

  it('only warns about an unreadable expiry with min-days-left 0', async () => {
    const result = await check(expiring('soon-ish'), app, { minDaysLeft: 0 })
    expect(result).toMatchObject({ expiresAt: null, daysLeft: null, failures: [] })
    expect(result.warnings).toEqual([
      "GitHub sent a token expiry this action cannot read (GitHub-Authentication-Token-Expiration: 'soon-ish'): the expiry was not checked (min-days-left is 0)"
    ])
  })

  it('quotes at most 80 characters of an unreadable header', async () => {
    const long = `x${'y'.repeat(200)}`
    const result = await check(expiring(long))
    expect(result.failures[0]).toContain(`'${long.slice(0, 80)}'`)
    expect(result.failures[0]).not.toContain(long.slice(0, 81))
  })
})

describe('startCheck: the token and its scopes', () => {
  it('refuses a token GitHub rejects with 401, without asking for repositories', async () => {
    const { api } = fakeApi(
      new GitHubError('GitHub answered GET /user with 401: Bad credentials', 401)
    )
    const result = await check(api)
    expect(result.failures).toEqual([
      'GitHub rejected the token: revoked, expired or mistyped (GET https://api.github.com/user answered 401): create a new token and update the secret'
    ])
    expect(api.getRepo).not.toHaveBeenCalled()
    expect(describeCheck(result)).toBe('Token: not verified by GitHub')
  })

  it('explains a 403 on /user (not a personal access token)', async () => {
    const { api } = fakeApi(
      new GitHubError(
        'GitHub answered GET /user with 403: Resource not accessible by integration',
        403
      )
    )
    const result = await check(api)
    expect(result.failures).toEqual([
      'the token could not be checked with GitHub: GitHub answered GET /user with 403: Resource not accessible by integration — is it a GitHub App or GITHUB_TOKEN? The pipelines need a personal access token'
    ])
  })

  it.each([
    [
      'a rate limit it could not wait out',
      new GitHubError(
        'GitHub API rate limit is spent until 2026-11-21T13:00:00Z',
        403,
        undefined,
        true
      ),
      'the token could not be checked with GitHub: GitHub API rate limit is spent until 2026-11-21T13:00:00Z'
    ],
    [
      'a server error',
      new GitHubError('GitHub answered GET /user with 503: Service Unavailable', 503),
      'the token could not be checked with GitHub: GitHub answered GET /user with 503: Service Unavailable'
    ],
    [
      'an error that is not from GitHub',
      new TypeError('fetch failed'),
      'the token could not be checked with GitHub: fetch failed'
    ],
    [
      'a value that is not an Error',
      'socket closed',
      'the token could not be checked with GitHub: socket closed'
    ]
  ])(
    'fails, without blaming the token, when GET /user fails with %s',
    async (_, error, failure) => {
      const { api } = fakeApi()
      api.getUser.mockRejectedValue(error)
      const result = await check(api)
      expect(result.failures).toEqual([failure])
      expect(result.login).toBeUndefined()
      expect(api.getRepo).not.toHaveBeenCalled()
    }
  )

  // Changed: the check keeps what GitHub said; core/log.ts redacts it when it is printed.
  it('leaves a registered secret in an unexpected GET /user error to the printing, which redacts it', async () => {
    const { registerValue } = await import('../src/core/redact.js')
    registerValue('leaked-secret-value')
    const { api } = fakeApi(new Error('proxy refused leaked-secret-value'))
    const result = await check(api)
    expect(result.failures).toEqual([
      'the token could not be checked with GitHub: proxy refused leaked-secret-value'
    ])
    log.fail(result.failures)
    expect(core.setFailed).toHaveBeenCalledWith(
      'the token could not be checked with GitHub: proxy refused ***'
    )
  })

  it('refuses a classic token without repo, naming the scopes it has', async () => {
    const result = await check(fakeApi({ scopes: ['read:user', 'public_repo'] }).api)
    expect(result.kind).toBe('classic')
    expect(result.failures).toEqual([
      expect.stringMatching(/lacks the `repo` scope \(it has: read:user, public_repo\)/)
    ])
  })

  it('says "none" for a classic token with no scopes', async () => {
    const result = await check(fakeApi({ scopes: [] }).api)
    expect(result.failures).toEqual([expect.stringMatching(/\(it has: none\)/)])
  })

  it('only warns about a missing repo scope when no GitHub source or CodeBuild receives the token', async () => {
    const result = await check(fakeApi({ scopes: ['gist'] }).api, [])
    expect(result.failures).toEqual([])
    expect(result.warnings).toEqual([expect.stringMatching(/lacks the `repo` scope/)])
  })

  it('refuses a missing repo scope when CodeBuild imports the token, even without pipelines', async () => {
    const result = await check(fakeApi({ scopes: ['gist'] }).api, [], {
      codebuild: {
        mode: 'import',
        serverType: 'GITHUB',
        authType: 'PERSONAL_ACCESS_TOKEN',
        username: undefined
      }
    })
    expect(result.failures).toEqual([expect.stringMatching(/lacks the `repo` scope/)])
    expect(result.warnings).toEqual([])
  })

  it('takes `repo` as covering webhooks, as GitHub defines it: no warning', async () => {
    const webhook = [target('hook', [action('o', 'r', false, 'Checkout')], 'eu-west-1')]
    for (const scopes of [['repo'], ['repo', 'admin:repo_hook']]) {
      const result = await check(fakeApi({ scopes }).api, webhook)
      expect(result.warnings).toEqual([])
      expect(result.failures).toEqual([])
    }
  })

  it('warns about webhooks only when no scope could manage them', async () => {
    const polling = [target('poll', [action('o', 'r', true)])]
    const webhooks = [
      target('a', [action('o', 'r', false), action('o', 's', false, 'Other')]),
      target('b', [action('o', 'r', true)])
    ]
    const scopes = ['public_repo']
    expect((await check(fakeApi({ scopes }).api, polling)).warnings).toEqual([])
    const result = await check(fakeApi({ scopes }).api, webhooks)
    expect(result.warnings).toEqual([
      expect.stringContaining(
        "none of the scopes that manage repository webhooks (repo, admin:repo_hook, write:repo_hook), but 2 GitHub sources rely on webhooks: pipeline 'a' in us-east-1 (Source/Source), pipeline 'a' in us-east-1 (Source/Other) —"
      )
    ])
    for (const hooks of ['admin:repo_hook', 'write:repo_hook']) {
      const withHooks = await check(fakeApi({ scopes: [hooks] }).api, webhooks)
      expect(withHooks.warnings).toEqual([])
    }
  })

  it('probes the hooks of a fine-grained token, once per webhook repository, and names those refused', async () => {
    const denied = new GitHubError(
      'GitHub answered GET /repos/o/r/hooks with 403: Resource not accessible by personal access token',
      403,
      undefined,
      false,
      'repository_hooks=read'
    )
    const { api } = fakeApi({ scopes: null }, {}, { 'o/r': denied, 'o/s': denied })
    const targets = [
      target('a', [action('o', 'r', false), action('o', 's', false, 'Other')]),
      target('b', [action('o', 'r', false)]),
      target('c', [action('o', 'polled', true)])
    ]
    const result = await check(api, targets)
    expect(api.getHooks.mock.calls.map((c) => c.join('/')).sort()).toEqual(['o/r', 'o/s'])
    expect(result.failures).toEqual([])
    expect(result.warnings).toEqual([
      expect.stringContaining(
        'the fine-grained token cannot manage the webhooks of o/r, o/s, which sources built on webhooks use (GitHub: X-Accepted-GitHub-Permissions: repository_hooks=read)'
      )
    ])
    expect(result.warnings[0]).toContain('"Webhooks: Read and write"')
    // A classic token is never probed; a fine-grained one with access gets no warning.
    const classic = fakeApi({ scopes: ['repo'] }, {}, { 'o/r': denied })
    expect((await check(classic.api, targets)).warnings).toEqual([])
    expect(classic.api.getHooks).not.toHaveBeenCalled()
    expect((await check(fakeApi({ scopes: null }).api, targets)).warnings).toEqual([])
  })

  it('names the organization and its policy when a 403 says the token is forbidden', async () => {
    const classic = new GitHubError(
      'GitHub answered GET /repos/acme/app with 403: `acme` forbids access via a personal access token (classic). Please use a GitHub App, OAuth App, or a personal access token with fine-grained permissions.',
      403
    )
    const lifetime = new GitHubError(
      "GitHub answered GET /repos/other/lib with 403: The 'other' organization forbids access via a fine-grained personal access tokens if the token's lifetime is greater than 90 days. Please adjust your token's lifetime at the following URL: https://github.com/settings/personal-access-tokens/1",
      403
    )
    const result = await check(fakeApi({}, { 'acme/app': classic, 'other/lib': lifetime }).api, [
      target('p', [action('acme', 'app'), action('other', 'lib', true, 'Lib')])
    ])
    expect(result.failures).toEqual([
      expect.stringContaining(
        'but organization acme refuses this token by policy (GitHub answered 403): it forbids classic personal access tokens'
      ),
      expect.stringContaining(
        "but organization other refuses this token by policy (GitHub answered 403): its maximum lifetime for fine-grained personal access tokens is 90 days, and this token's is longer"
      )
    ])
  })

  it('refuses CodeBuild imports only in the regions whose projects build an unreachable repository', async () => {
    const project = (name: string, region: string, repo: string): TokenTarget => ({
      kind: 'codebuild',
      name,
      region,
      actions: [{ stage: '', action: 'primary', owner: 'o', repo, pollForSourceChanges: true }]
    })
    const result = await check(fakeApi({}, { 'o/secret': new GitHubError('404', 404) }).api, [
      project('build', 'eu-west-1', 'secret'),
      project('ok', 'us-east-1', 'open'),
      target('p', [action('o', 'open')])
    ])
    expect(result.failures).toEqual([])
    expect(Object.keys(result.codebuildRefusals)).toEqual(['eu-west-1'])
    expect(result.codebuildRefusals['eu-west-1']).toEqual([
      expect.stringContaining(
        "CodeBuild project 'build' in eu-west-1 (primary source) builds o/secret"
      )
    ])
    expect(result.warnings).toEqual([
      expect.stringContaining('the CodeBuild credential is not imported there')
    ])
    // Shared with a pipeline: the pipelines' rule, the token refused everywhere.
    const shared = await check(fakeApi({}, { 'o/secret': new GitHubError('404', 404) }).api, [
      project('build', 'eu-west-1', 'secret'),
      target('p', [action('o', 'secret')])
    ])
    expect(shared.failures).toHaveLength(1)
    expect(shared.codebuildRefusals).toEqual({})
  })

  it('describes a classic token with no scopes and no repositories to check', async () => {
    const result = await check(fakeApi({ scopes: [] }).api, [])
    expect(describeCheck(result)).toBe(
      'Token: classic token (scopes: none) of rotation-bot, no expiry, no repositories to check'
    )
  })

  it('describes the expiry and the reachable repositories', async () => {
    const result = await check(
      fakeApi({ expiresAt: '2026-12-21 12:00:00 UTC' }, { 'o/b': new GitHubError('404', 404) }).api,
      [target('p', [action('o', 'a'), action('o', 'b', true, 'B')])]
    )
    expect(describeCheck(result)).toBe(
      'Token: classic token (scopes: repo, admin:repo_hook) of rotation-bot, expires 2026-12-21T12:00:00Z (30 days left), 1/2 repositories reachable'
    )
  })

  it('describes an expiry whose days left are unknown as 0 days left', () => {
    expect(
      describeCheck({
        login: 'x',
        kind: 'fine-grained',
        scopes: null,
        expiresAt: '2026-12-01T00:00:00Z',
        daysLeft: null,
        enterpriseVersion: null,
        repositories: [],
        warnings: [],
        notices: [],
        failures: [],
        codebuildRefusals: {}
      })
    ).toBe(
      'Token: fine-grained token of x, expires 2026-12-01T00:00:00Z (0 days left), no repositories to check'
    )
  })

  it('treats a token without X-OAuth-Scopes as fine-grained and relies on the repository checks', async () => {
    const webhook = [target('hook', [action('o', 'r', false)])]
    const { api, asked } = fakeApi({ scopes: null })
    const result = await check(api, webhook)
    expect(result).toMatchObject({ kind: 'fine-grained', failures: [], warnings: [] })
    expect(asked).toEqual(['o/r'])
    expect(describeCheck(result)).toMatch(
      /^Token: fine-grained token of rotation-bot, no expiry, 1\/1 repositories reachable$/
    )
  })

  it('records the login, the scopes and the Enterprise Server version', async () => {
    const result = await check(fakeApi({ login: 'octocat', enterpriseVersion: '3.18.2' }).api)
    expect(result).toMatchObject({
      login: 'octocat',
      kind: 'classic',
      scopes: ['repo', 'admin:repo_hook'],
      enterpriseVersion: '3.18.2'
    })
  })

  it('masks the Basic-auth form of the token with the login', async () => {
    // A login no other test uses: each form is masked once per test file.
    const basic = Buffer.from(`basic-auth-user:${TOKEN}`).toString('base64')
    await check(fakeApi({ login: 'basic-auth-user' }).api)
    expect(core.setSecret).toHaveBeenCalledWith(basic)
    expect(redact(`Authorization: Basic ${basic}`)).toBe('Authorization: Basic ***')
  })

  it('registers no login form when GitHub names no login', async () => {
    // A token no other test registered, so any registration would show.
    const fresh = new SealedToken('fresh-token-without-login-0123')
    await startCheck(inputs(), fakeApi({ login: '' }).api, fresh, serial).finish(app, NOW)
    expect(core.setSecret).not.toHaveBeenCalled()
    await startCheck(inputs(), fakeApi({ login: 'someone' }).api, fresh, serial).finish(app, NOW)
    expect(core.setSecret).toHaveBeenCalledWith(
      Buffer.from('someone:fresh-token-without-login-0123').toString('base64')
    )
  })
})

describe('startCheck: repositories', () => {
  it('asks once per repository, whatever the case or the number of pipelines using it', async () => {
    const targets = [
      target('a', [action('Octo-Org', 'App'), action('octo-org', 'lib', true, 'Lib')]),
      target('b', [action('octo-org', 'app')]),
      target('a', [action('octo-org', 'APP')], 'eu-west-1')
    ]
    const { api, asked } = fakeApi()
    const result = await check(api, targets)
    expect(asked.sort()).toEqual(['Octo-Org/App', 'octo-org/lib'])
    expect(result.repositories.find((r) => r.repository === 'Octo-Org/App')?.usedBy).toEqual([
      "pipeline 'a' in eu-west-1 (Source/Source)",
      "pipeline 'a' in us-east-1 (Source/Source)",
      "pipeline 'b' in us-east-1 (Source/Source)"
    ])
  })

  it('bounds the concurrency with the limit it is given', async () => {
    const targets = Array.from({ length: 12 }, (_, i) => target(`p${i}`, [action('o', `r${i}`)]))
    let running = 0
    let peak = 0
    const api: GitHubApi = {
      getUser: async () => ({ login: 'x', scopes: null, expiresAt: null, enterpriseVersion: null }),
      getHooks: async () => {},
      getRepo: async (owner, repo) => {
        running++
        peak = Math.max(peak, running)
        await new Promise((resolve) => setTimeout(resolve, 5))
        running--
        return { fullName: `${owner}/${repo}`, private: false }
      },
      revoke: async () => 0
    }
    await check(api, targets, {}, createLimit(3))
    expect(peak).toBe(3)
  })

  it('names the pipeline and the repository the token cannot see (404)', async () => {
    const { api } = fakeApi({}, { 'octo-org/secret': new GitHubError('404', 404) })
    const targets = [
      target('app', [action('octo-org', 'app'), action('octo-org', 'secret', true, 'Secret')])
    ]
    const result = await check(api, targets)
    expect(result.failures).toEqual([
      "pipeline 'app' in us-east-1 (Source/Secret) builds octo-org/secret, which the token cannot see (GitHub answered 404): give the token access to octo-org/secret (a fine-grained token: add it under Repository access; a classic token: its user needs access), or fix Owner/Repo in the pipeline"
    ])
    expect(result.repositories.map((r) => r.status)).toEqual(['ok', 'failed'])
  })

  it('explains SAML SSO with the URL GitHub gives', async () => {
    const sso = 'required; url=https://github.com/orgs/octo-org/sso?authorization_request=abc123'
    const { api } = fakeApi({}, { 'octo-org/app': new GitHubError('403', 403, sso) })
    const result = await check(api)
    expect(result.failures).toEqual([
      "pipeline 'app' in us-east-1 (Source/Source) builds octo-org/app, but the token is not authorized for the SAML single sign-on of organization octo-org: authorize it at https://github.com/orgs/octo-org/sso?authorization_request=abc123, then re-run"
    ])
  })

  it('drops a trailing separator from the SSO URL', async () => {
    const sso = 'required; url=https://github.com/orgs/o/sso?x=1;'
    const result = await check(fakeApi({}, { 'o/r': new GitHubError('403', 403, sso) }).api, [
      target('p', [action('o', 'r')])
    ])
    expect(result.failures[0]).toContain('authorize it at https://github.com/orgs/o/sso?x=1, then')
  })

  it('points to the SSO settings when GitHub names no authorization URL', async () => {
    const error = new GitHubError('403', 403, 'partial-results; organizations=21955855')
    const result = await check(fakeApi({}, { 'octo-org/app': error }).api)
    expect(result.failures).toEqual([
      "pipeline 'app' in us-east-1 (Source/Source) builds octo-org/app, but the token is not authorized for the SAML single sign-on of organization octo-org: authorize it under Settings → Developer settings → Personal access tokens → Configure SSO, then re-run"
    ])
  })

  it('fails a repository it could not check for another reason, naming the reason', async () => {
    const result = await check(fakeApi({}, { 'o/r': new TypeError('fetch failed') }).api, [
      target('p', [action('o', 'r')])
    ])
    expect(result.failures).toEqual([
      "pipeline 'p' in us-east-1 (Source/Source) builds o/r, which could not be checked: fetch failed"
    ])
    expect(result.repositories[0]?.status).toBe('failed')
  })

  it('names at most ten pipelines per repository, then counts the rest', async () => {
    const many = Array.from({ length: 12 }, (_, i) =>
      target(`p${String(i).padStart(2, '0')}`, [action('o', 'r')])
    )
    const result = await check(fakeApi({}, { 'o/r': new GitHubError('404', 404) }).api, many)
    const first10 = many
      .slice(0, 10)
      .map((t) => `pipeline '${t.name}' in us-east-1 (Source/Source)`)
    expect(result.failures).toEqual([
      expect.stringMatching(/^pipeline 'p00' .* builds o\/r, which the token cannot see/)
    ])
    expect(result.failures[0]).toContain(`${first10.join(', ')} and 2 more builds o/r,`)
    expect(result.failures[0]).not.toContain("'p10'")
  })

  it('passes on other refusals with what GitHub said', async () => {
    const error = new GitHubError(
      'GitHub answered GET /repos/o/r with 403: Forbidden by policy',
      403
    )
    const result = await check(fakeApi({}, { 'o/r': error }).api, [target('p', [action('o', 'r')])])
    expect(result.failures).toEqual([
      expect.stringMatching(/builds o\/r, which the token cannot read: .*Forbidden by policy/)
    ])
  })

  it('reports a token revoked during the repository checks once', async () => {
    const revoked = new GitHubError('401', 401)
    const targets = [target('a', [action('o', 'a')]), target('b', [action('o', 'b')])]
    const result = await check(fakeApi({}, { 'o/a': revoked, 'o/b': revoked }).api, targets)
    expect(result.failures).toEqual([
      'GitHub rejected the token: revoked, expired or mistyped (during the repository checks): create a new token and update the secret'
    ])
    expect(result.repositories.map((r) => r.error)).toEqual([
      'GitHub rejected the token while reading o/a',
      'GitHub rejected the token while reading o/b'
    ])
  })

  it('refuses an action without Owner or Repo', async () => {
    const { api, asked } = fakeApi()
    const result = await check(api, [target('p', [action('o', ''), action('', 'r', true, 'B')])])
    expect(asked).toEqual([])
    expect(result.failures).toEqual([
      "pipeline 'p' in us-east-1 (Source/B) has no Owner or Repo in its configuration: fix the pipeline",
      "pipeline 'p' in us-east-1 (Source/Source) has no Owner or Repo in its configuration: fix the pipeline"
    ])
  })

  it.each([
    ['..', 'app'],
    ['.', 'app'],
    ['octo-org', '..'],
    ['octo-org', '.'],
    ['octo-org', '...'],
    ['octo/org', 'app'],
    ['octo.org', 'app'],
    ['octo-org', 'app/../../user'],
    ['-octo', 'app'],
    ['octo-', 'app'],
    ['octo org', 'app'],
    ['octo-org', 'app?x=1'],
    ['octo-org', 'app#x'],
    ['o'.repeat(101), 'app'],
    ['octo-org', 'r'.repeat(101)]
  ])('fails %j/%j as not a GitHub repository name, without any request', async (owner, repo) => {
    const { api, asked } = fakeApi()
    const result = await check(api, [
      target('p', [action(owner, repo), action('good', 'repo', true, 'Good')])
    ])
    expect(asked).toEqual(['good/repo'])
    expect(result.failures).toEqual([
      `pipeline 'p' in us-east-1 (Source/Source) builds '${owner}/${repo}', which is not a GitHub repository name (Owner: letters, digits and -; Repo: letters, digits, '.', '-' and '_'): fix Owner/Repo in the pipeline`
    ])
    expect(result.repositories.find((r) => r.owner === owner)?.status).toBe('failed')
  })

  it.each([
    ['octo-org', 'app'],
    ['a', 'b'],
    ['Octo_Org_emu', 'my.repo-name_2'],
    ['octo-org', '.github'],
    ['octo-org', 'a..b'],
    ['o'.repeat(100), 'r'.repeat(100)]
  ])('asks about the valid name %j/%j', async (owner, repo) => {
    const { api, asked } = fakeApi()
    const result = await check(api, [target('p', [action(owner, repo)])])
    expect(asked).toEqual([`${owner}/${repo}`])
    expect(result.failures).toEqual([])
  })

  it('lists every problem at once', async () => {
    const { api } = fakeApi(
      { scopes: ['gist'], expiresAt: '2026-11-22 12:00:00 UTC' },
      { 'o/a': new GitHubError('404', 404) }
    )
    const result = await check(api, [target('a', [action('o', 'a')])])
    expect(result.failures).toEqual([
      expect.stringMatching(/lacks the `repo` scope/),
      expect.stringMatching(/expires in 1 day, on/),
      expect.stringMatching(/which the token cannot see/)
    ])
  })
})

describe('startCheck: skipped', () => {
  it('skips when verify-token is false', async () => {
    const { api } = fakeApi()
    const result = await check(api, app, { verifyToken: false })
    expect(result.skipped).toBe('verify-token is false: the token was not checked with GitHub')
    expect(api.getUser).not.toHaveBeenCalled()
    expect(api.getRepo).not.toHaveBeenCalled()
  })
})

describe('startCheck', () => {
  /** Lets pending promise callbacks run. */
  const ticks = async (n = 10) => {
    for (let i = 0; i < n; i++) await new Promise(setImmediate)
  }
  /** A promise the test settles by hand. */
  function deferred<T>() {
    let resolve: (value: T) => void = () => {}
    let reject: (error: unknown) => void = () => {}
    const promise = new Promise<T>((yes, no) => {
      resolve = yes
      reject = no
    })
    return { promise, resolve, reject }
  }
  const me: GitHubUser = {
    login: 'rotation-bot',
    scopes: ['repo', 'admin:repo_hook'],
    expiresAt: null,
    enterpriseVersion: null
  }

  it('asks GET /user at once, before any pipeline is planned or the check finishes', async () => {
    const { api } = fakeApi()
    const started = startCheck(inputs(), api, token, serial)
    expect(api.getUser).toHaveBeenCalledTimes(1)
    expect(api.getRepo).not.toHaveBeenCalled()
    const result = await started.finish(app, NOW)
    // Finishing does not ask again.
    expect(api.getUser).toHaveBeenCalledTimes(1)
    expect(result).toMatchObject({ login: 'rotation-bot', failures: [] })
  })

  it('asks about a considered repository before finish, once GET /user accepted the token', async () => {
    const user = deferred<GitHubUser>()
    const { api, asked } = fakeApi()
    api.getUser.mockImplementation(() => user.promise)
    const started = startCheck(inputs(), api, token, serial)
    started.consider(target('app', [action('octo-org', 'app')]))
    await ticks()
    // Not before GitHub accepted the token.
    expect(asked).toEqual([])
    user.resolve(me)
    await ticks()
    expect(asked).toEqual(['octo-org/app'])
    const result = await started.finish(app, NOW)
    expect(asked).toEqual(['octo-org/app'])
    expect(result.repositories).toEqual([
      expect.objectContaining({ repository: 'octo-org/app', status: 'ok' })
    ])
  })

  it('asks about a repository once, however often and in whatever case it is considered', async () => {
    const { api, asked } = fakeApi()
    const started = startCheck(inputs(), api, token, serial)
    started.consider(target('a', [action('Octo-Org', 'App')]))
    started.consider(target('b', [action('octo-org', 'app'), action('OCTO-ORG', 'APP', true, 'B')]))
    await ticks()
    expect(asked).toEqual(['Octo-Org/App'])
    const targets = [
      target('a', [action('Octo-Org', 'App')]),
      target('b', [action('octo-org', 'app'), action('OCTO-ORG', 'APP', true, 'B')])
    ]
    const result = await started.finish(targets, NOW)
    expect(asked).toEqual(['Octo-Org/App'])
    expect(result.repositories).toHaveLength(1)
    expect(result.repositories[0]?.usedBy).toEqual([
      "pipeline 'a' in us-east-1 (Source/Source)",
      "pipeline 'b' in us-east-1 (Source/B)",
      "pipeline 'b' in us-east-1 (Source/Source)"
    ])
  })

  it('asks nothing about repositories when GET /user refused the token', async () => {
    const { api, asked } = fakeApi(new GitHubError('401', 401))
    const started = startCheck(inputs(), api, token, serial)
    started.consider(target('app', [action('octo-org', 'app')]))
    await ticks()
    const result = await started.finish(app, NOW)
    expect(asked).toEqual([])
    expect(result.failures).toEqual([expect.stringMatching(/^GitHub rejected the token/)])
    expect(result.repositories).toEqual([])
  })

  it('never asks about a name that is not a GitHub repository name', async () => {
    const { api, asked } = fakeApi()
    const started = startCheck(inputs(), api, token, serial)
    const odd = target('p', [action('..', 'app'), action('good', 'repo', true, 'Good')])
    started.consider(odd)
    await ticks()
    expect(asked).toEqual(['good/repo'])
    const result = await started.finish([odd], NOW)
    expect(asked).toEqual(['good/repo'])
    expect(result.failures).toEqual([
      expect.stringMatching(/which is not a GitHub repository name/)
    ])
  })

  it('asks nothing, not even GET /user, when the check is skipped', async () => {
    const { api } = fakeApi()
    const started = startCheck(inputs({ verifyToken: false }), api, token, serial)
    started.consider(target('app', [action('octo-org', 'app')]))
    await ticks()
    expect(api.getUser).not.toHaveBeenCalled()
    expect(api.getRepo).not.toHaveBeenCalled()
    expect((await started.finish(app, NOW)).skipped).toMatch(/^verify-token is false/)
  })

  it('reports on the final targets: one considered but gone is not reported, one never considered is asked at finish', async () => {
    const { api, asked } = fakeApi({}, { 'octo-org/late': new GitHubError('404', 404) })
    const started = startCheck(inputs(), api, token, serial)
    started.consider(target('gone', [action('octo-org', 'gone')]))
    await ticks()
    expect(asked).toEqual(['octo-org/gone'])
    const result = await started.finish(
      [target('late', [action('octo-org', 'late')], 'eu-west-1')],
      NOW
    )
    expect(asked).toEqual(['octo-org/gone', 'octo-org/late'])
    expect(result.repositories.map((r) => `${r.repository} ${r.status}`)).toEqual([
      'octo-org/late failed'
    ])
    expect(result.failures).toEqual([
      expect.stringMatching(/^pipeline 'late' in eu-west-1 .* which the token cannot see/)
    ])
  })

  it('reports an answer that came in before finish, and keeps early lookups within the limit', async () => {
    let running = 0
    let peak = 0
    const { api } = fakeApi({}, { 'o/r3': new GitHubError('404', 404) })
    const getRepo = api.getRepo.getMockImplementation()
    api.getRepo.mockImplementation(async (owner, repo) => {
      running++
      peak = Math.max(peak, running)
      await new Promise((resolve) => setTimeout(resolve, 5))
      running--
      return (getRepo as NonNullable<typeof getRepo>)(owner, repo)
    })
    const started = startCheck(inputs(), api, token, createLimit(2))
    const targets = Array.from({ length: 6 }, (_, i) => target(`p${i}`, [action('o', `r${i}`)]))
    for (const t of targets) started.consider(t)
    const answered = () => api.getRepo.mock.calls.length === 6 && running === 0
    for (let i = 0; i < 400 && !answered(); i++) await new Promise((r) => setTimeout(r, 5))
    // Every lookup answered before finish was called.
    expect(api.getRepo).toHaveBeenCalledTimes(6)
    expect(running).toBe(0)
    const result = await started.finish(targets, NOW)
    expect(api.getRepo).toHaveBeenCalledTimes(6)
    expect(peak).toBe(2)
    expect(result.failures).toEqual([
      expect.stringMatching(/builds o\/r3, which the token cannot see/)
    ])
  })
})

describe('repositoriesOf', () => {
  it('sorts and deduplicates', () => {
    expect(
      repositoriesOf([target('x', [action('b', 'r'), action('a', 'r'), action('B', 'R')])]).map(
        (r) => r.repository
      )
    ).toEqual(['a/r', 'b/r'])
  })

  it('lists a pipeline once per action, however often the same action is given', () => {
    const [repo] = repositoriesOf([
      target('x', [action('o', 'r')]),
      target('x', [action('o', 'r')])
    ])
    expect(repo?.usedBy).toEqual(["pipeline 'x' in us-east-1 (Source/Source)"])
  })

  it('checks names only, not what GitHub holds', () => {
    const [repo] = repositoriesOf([target('x', [action('o', 'r')])])
    expect(repo && invalidName(repo)).toBeUndefined()
  })
})

describe('tokenSection', () => {
  it('lists problems with the token first, then one row per repository', async () => {
    const result = await check(
      fakeApi({ scopes: ['gist'] }, { 'o/b': new GitHubError('404', 404) }).api,
      [target('p', [action('o', 'a'), action('o', 'b', true, 'B')])]
    )
    const section = tokenSection(result)
    expect(section.title).toBe('GitHub token check')
    expect(section.headers).toEqual(['Repository', 'Used by', 'Status'])
    expect(section.rows).toEqual([
      ['(the token)', 'rotation-bot', expect.stringMatching(/^❌ the classic token lacks/)],
      ['o/a', "pipeline 'p' in us-east-1 (Source/Source)", '✅ reachable'],
      [
        'o/b',
        "pipeline 'p' in us-east-1 (Source/B)",
        expect.stringMatching(/^❌ pipeline 'p' .* which the token cannot see/)
      ]
    ])
  })

  it('names at most five pipelines in a row', async () => {
    const many = Array.from({ length: 7 }, (_, i) => target(`p${i}`, [action('o', 'r')]))
    const section = tokenSection(await check(fakeApi().api, many))
    expect(section.rows[0]?.[1]).toMatch(
      /^pipeline 'p0' .*'p4' in us-east-1 \(Source\/Source\) and 2 more$/
    )
  })

  it('shows a failed repository without a message as failed', () => {
    const section = tokenSection({
      login: 'x',
      kind: 'fine-grained',
      scopes: null,
      expiresAt: null,
      daysLeft: null,
      enterpriseVersion: null,
      repositories: [
        {
          repository: 'o/r',
          owner: 'o',
          repo: 'r',
          usedBy: ['p'],
          pipelines: true,
          codebuildRegions: [],
          webhooks: false,
          status: 'failed'
        }
      ],
      warnings: [],
      notices: [],
      failures: [],
      codebuildRefusals: {}
    })
    expect(section.rows).toEqual([['o/r', 'p', '❌ failed']])
  })

  it('shows a dash for the login when GitHub refused the token', async () => {
    const section = tokenSection(await check(fakeApi(new GitHubError('401', 401)).api))
    expect(section.rows).toEqual([
      ['(the token)', '–', expect.stringMatching(/^❌ GitHub rejected the token/)]
    ])
  })
})

describe('startCheck: recheck, one pipeline on its own (written as soon as it passes)', () => {
  it('refuses, for any pipeline, a classic token without repo, asking GitHub about no repository', async () => {
    const { api, asked } = fakeApi({ scopes: ['read:user'] })
    const started = startCheck(inputs(), api, token, serial)
    expect(await started.recheck(target('app', [action('o', 'r')]), NOW)).toEqual([
      expect.stringMatching(/^the classic token lacks the `repo` scope \(it has: read:user\)/)
    ])
    expect(asked).toEqual([])
  })

  it('refuses a token that expires within min-days-left, and passes one that lasts', async () => {
    const soon = startCheck(
      inputs(),
      fakeApi({ expiresAt: '2026-11-24 12:00:00 UTC' }).api,
      token,
      serial
    )
    expect(await soon.recheck(target('app', [action('o', 'r')]), NOW)).toEqual([
      expect.stringMatching(/expires in 3 days, on 2026-11-24T12:00:00Z: fewer than min-days-left/)
    ])
    const lasting = startCheck(
      inputs(),
      fakeApi({ expiresAt: '2027-11-24 12:00:00 UTC' }).api,
      token,
      serial
    )
    expect(await lasting.recheck(target('app', [action('o', 'r')]), NOW)).toEqual([])
  })

  it('refuses one pipeline for its own repository only, asking about each repository once', async () => {
    const { api, asked } = fakeApi({}, { 'o/hidden': new GitHubError('404', 404) })
    const started = startCheck(inputs(), api, token, serial)
    started.consider(target('lib', [action('o', 'hidden')]))
    const [app, lib] = await Promise.all([
      started.recheck(target('app', [action('o', 'visible')]), NOW),
      started.recheck(target('lib', [action('o', 'hidden')]), NOW)
    ])
    expect(app).toEqual([])
    expect(lib).toEqual([expect.stringMatching(/builds o\/hidden, which the token cannot see/)])
    const whole = await started.finish(
      [target('app', [action('o', 'visible')]), target('lib', [action('o', 'hidden')])],
      NOW
    )
    expect(whole.failures).toEqual(lib)
    expect(asked.sort()).toEqual(['o/hidden', 'o/visible'])
  })

  it('masks the login:token form as soon as GitHub names the login, before any pipeline passes', async () => {
    // A login no other test uses: each form is masked once per test file.
    const started = startCheck(inputs(), fakeApi({ login: 'early-bot' }).api, token, serial)
    expect(await started.recheck(target('app', [action('o', 'r')]), NOW)).toEqual([])
    expect(core.setSecret).toHaveBeenCalledWith(
      Buffer.from(`early-bot:${TOKEN}`).toString('base64')
    )
  })
})

describe('startCheck: recheck (a pipeline re-pointed while writing)', () => {
  it('asks GitHub about the repositories a re-planned pipeline builds: [] when the token reaches them', async () => {
    const { api, asked } = fakeApi({}, { 'o/hidden': new GitHubError('404', 404) })
    const started = startCheck(inputs(), api, token, serial)
    expect(await started.recheck(target('app', [action('o', 'visible')]), NOW)).toEqual([])
    const failures = await started.recheck(target('app', [action('o', 'hidden')]), NOW)
    expect(failures).toHaveLength(1)
    expect(failures[0]).toMatch(/builds o\/hidden, which the token cannot see/)
    expect(asked).toEqual(expect.arrayContaining(['o/visible', 'o/hidden']))
  })

  it('passes when the check is skipped, and fails when GitHub refused the token', async () => {
    const skipped = startCheck(inputs({ verifyToken: false }), fakeApi().api, token, serial)
    expect(await skipped.recheck(target('app', [action('o', 'r')]), NOW)).toEqual([])
    const refused = startCheck(
      inputs(),
      fakeApi(new GitHubError('Bad credentials', 401)).api,
      token,
      serial
    )
    expect(await refused.recheck(target('app', [action('o', 'r')]), NOW)).toEqual([
      expect.stringMatching(/^GitHub rejected the token: revoked, expired or mistyped/)
    ])
  })
})
