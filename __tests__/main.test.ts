import { jest, describe, it, expect, beforeEach } from '@jest/globals'
import * as core from '../__fixtures__/core.js'
import {
  FakeClock,
  FakeRegion,
  githubSource,
  pipeline,
  run as execution
} from '../__fixtures__/pipelines.js'
import type { SealedToken } from '../src/core/sealed-token.js'
import { startFakeGitHub } from '../test-support/fake-github.js'
import type { GitHubApi, GitHubClient, GitHubUser } from '../src/github/api.js'
import type { Services } from '../src/stores/registry.js'
import type { JsonObject } from '../src/stores/codepipeline/pipeline-json.js'
import {
  ACCOUNT,
  FakeCodeBuild,
  FakeParameters,
  FakeSecrets,
  FakeStacks,
  actionDefaults
} from '../__fixtures__/value-stores.js'

jest.unstable_mockModule('@actions/core', () => core)
const { run } = await import('../src/main.js')
const { stores: registry } = await import('../src/stores/registry.js')
const { GitHubError } = await import('../src/github/api.js')

const TOKEN = 'unit-token-0123456789abcdef'
const PREVIOUS = 'unit-previous-token-0123456789'
const OLD = 'old-value-in-a-store-do-not-print'
const ARN = `arn:aws:codepipeline:us-east-1:${ACCOUNT}:app`

/** Every write and revocation of a run, in the order they happened. */
let events: string[]

/** Records each write of a fake in `events`. */
function recordWrites<T extends object>(fake: T, methods: (keyof T)[], label: string): T {
  for (const method of methods) {
    const original = fake[method] as (...args: unknown[]) => Promise<unknown>
    ;(fake as Record<keyof T, unknown>)[method] = async (...args: unknown[]) => {
      const result = await original.apply(fake, args)
      events.push(`${label} ${String(method)}`)
      return result
    }
  }
  return fake
}

class World {
  pipelines = new FakeRegion('us-east-1').add(pipeline('app', [githubSource('App', 'app')]))
  codebuild = new FakeCodeBuild('us-east-1')
  secrets = new FakeSecrets('us-east-1').add('ci/github', JSON.stringify({ token: OLD }))
  parameters = new FakeParameters('us-east-1').add('/ci/github-token', OLD)
  stacks = new FakeStacks()
  /** Which services were asked for which region, in order. */
  asked: string[] = []

  constructor() {
    recordWrites(this.pipelines, ['updatePipeline'], 'pipeline')
    recordWrites(this.codebuild, ['importCredentials'], 'codebuild')
    recordWrites(this.secrets, ['putSecretString'], 'secret')
    recordWrites(this.parameters, ['putParameter'], 'parameter')
  }

  services(): Services {
    const pick =
      <T>(name: string, fake: T) =>
      (region: string): T => {
        this.asked.push(`${name} ${region}`)
        if (region !== 'us-east-1') throw new Error(`no ${name} in ${region}`)
        return fake
      }
    return {
      pipelines: pick('pipelines', this.pipelines),
      codebuild: pick('codebuild', this.codebuild),
      secrets: pick('secrets', this.secrets),
      parameters: pick('parameters', this.parameters),
      stacks: pick('stacks', this.stacks)
    }
  }
}

/** GitHub.com: each token an account, revoked tokens answer 401. */
class FakeGitHub implements GitHubClient {
  accounts = new Map<string, string>([
    [TOKEN, 'rotator'],
    [PREVIOUS, 'rotator']
  ])
  scopes: string[] | null = ['repo', 'admin:repo_hook']
  revoked = new Set<string>()
  /** Repositories the token cannot see (GET /repos answers 404). */
  hidden = new Set<string>()
  revocations: string[][] = []
  baseUrls: string[] = []

  as(token: SealedToken): GitHubApi {
    const user = async (): Promise<GitHubUser> => {
      const login = this.accounts.get(token.reveal())
      if (!login || this.revoked.has(token.reveal())) {
        throw new GitHubError('GitHub answered GET /user with 401: Bad credentials', 401)
      }
      return { login, scopes: this.scopes, expiresAt: null, enterpriseVersion: null }
    }
    return {
      getUser: user,
      getRepo: async (owner, repo) => {
        if (this.hidden.has(repo)) throw new GitHubError('GitHub answered 404: Not Found', 404)
        return { fullName: `${owner}/${repo}`, private: true }
      },
      getHooks: async () => {},
      revoke: async () => {
        throw new Error('GitHub.com takes revocations unauthenticated only')
      }
    }
  }

  anonymous() {
    return {
      revoke: async (credentials: SealedToken[]) => {
        events.push('github revoke')
        this.revocations.push(credentials.map((c) => c.reveal()))
        for (const c of credentials) this.revoked.add(c.reveal())
        return 202
      }
    }
  }

  factory() {
    return (baseUrl: string): GitHubClient => {
      this.baseUrls.push(baseUrl)
      return this
    }
  }
}

const outputs = () =>
  Object.fromEntries(core.setOutput.mock.calls.map(([k, v]) => [k, v])) as Record<string, string>
const failure = () => String(core.setFailed.mock.calls[0]?.[0] ?? '')

/** Inputs as the runner sets them: action.yml's defaults, then the step's `with:`. */
function setInputs(values: Record<string, string>) {
  core.setInputs({ ...actionDefaults(), ...values })
}

let world: World
let github: FakeGitHub

beforeEach(() => {
  core.resetCore()
  events = []
  world = new World()
  github = new FakeGitHub()
  setInputs({ token: TOKEN, pipelines: 'app', regions: 'us-east-1' })
  process.env['GITHUB_STEP_SUMMARY'] = '/dev/null'
  for (const name of ['GITHUB_OUTPUT', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'GITHUB_API_URL']) {
    delete process.env[name]
  }
})

describe('run', () => {
  // Changed: the CodePipeline table has a "Runs in flight" column.
  it('plans, checks, applies and reports', async () => {
    await run({ services: () => world.services(), github: github.factory() })
    expect(core.setFailed).not.toHaveBeenCalled()
    expect(world.pipelines.writes).toHaveLength(1)
    expect(JSON.parse(outputs()['updated'] ?? '')).toEqual([ARN])
    expect(outputs()['complete']).toBe('true')
    expect(core.summary.text()).toContain(
      '| us-east-1 | app | Source/App | 3 → 4 | none in flight | ✅ updated |'
    )
    expect(core.group).toHaveBeenCalledWith('Region us-east-1', expect.any(Function))
    expect(core.info).toHaveBeenCalledWith('Rotating in us-east-1')
    expect(core.info).toHaveBeenCalledWith(expect.stringMatching(/^Done\. /))
    expect(github.baseUrls).toEqual(['https://api.github.com'])
  })

  it('with connection-arn, migrates through the migration services, writing nothing on read', async () => {
    const connection = `arn:aws:codeconnections:us-east-1:${ACCOUNT}:connection/unit-connection`
    setInputs({
      token: TOKEN,
      pipelines: 'app',
      regions: 'us-east-1',
      'verify-token': 'false',
      'connection-arn': connection
    })
    const asked: string[] = []
    const migration = {
      connections: {
        getConnection: async () => {
          asked.push('GetConnection')
          return {
            status: 'AVAILABLE',
            providerType: 'GitHub',
            ownerAccountId: ACCOUNT,
            hostArn: undefined
          }
        }
      },
      simulator: () => ({
        simulate: async () => ({
          decision: 'allowed',
          matched: [],
          allowedByBoundary: undefined,
          allowedByOrganizations: undefined
        })
      }),
      webhooks: () => ({
        listWebhooks: async () => [],
        deregisterWebhook: async () => undefined,
        registerWebhook: async () => undefined,
        deleteWebhook: async () => undefined
      })
    }
    await run({ services: () => ({ ...world.services(), migration }), github: github.factory() })
    expect(core.setFailed).not.toHaveBeenCalled()
    expect(asked).toEqual(['GetConnection'])
    expect(JSON.stringify(world.pipelines.writes)).toContain(connection)
    expect(JSON.parse(outputs()['migrated'] ?? '')).toEqual([ARN])
    expect(core.summary.text()).toContain('✅ migrated')
  })

  it('with connection-arn and no migration services, fails naming them and writes nothing', async () => {
    setInputs({
      token: TOKEN,
      pipelines: 'app',
      regions: 'us-east-1',
      'verify-token': 'false',
      'connection-arn': `arn:aws:codeconnections:us-east-1:${ACCOUNT}:connection/unit-connection`
    })
    await run({ services: () => world.services(), github: github.factory() })
    expect(world.pipelines.writes).toHaveLength(0)
    expect(failure()).toContain('connection-arn is set, but no migration services')
  })

  it('writes nothing when GitHub refuses the token, and says so', async () => {
    github.scopes = ['read:org']
    await run({ services: () => world.services(), github: github.factory() })
    expect(world.pipelines.writes).toHaveLength(0)
    expect(failure()).toMatch(
      /^The GitHub token was refused, so nothing was written:\n- GitHub token: the classic token lacks the `repo` scope/
    )
    expect(core.summary.text()).toContain('**Nothing was written: GitHub refused the token.**')
  })

  it('writes each pipeline whose own repositories the token reaches, and nothing else, when it cannot reach one', async () => {
    world.pipelines.add(pipeline('lib', [githubSource('Lib', 'hidden-lib')]))
    github.hidden.add('hidden-lib')
    setInputs({
      token: TOKEN,
      pipelines: 'app, lib',
      regions: 'us-east-1',
      secrets: 'ci/github#token'
    })
    await run({ services: () => world.services(), github: github.factory() })
    expect(world.pipelines.writes.map((w) => w['name'])).toEqual(['app'])
    expect(events.filter((e) => e.startsWith('secret '))).toEqual([])
    expect(failure()).toMatch(
      /^The GitHub token was refused, so only what the token check had passed on its own was written \(1 pipeline whose own repositories the token reaches\), nothing else:\n- GitHub token: pipeline 'lib' in us-east-1 \(Source\/Lib\) builds .*hidden-lib, which the token cannot see/
    )
    expect(outputs()['complete']).toBe('false')
    expect(JSON.parse(outputs()['updated'] ?? '')).toEqual([ARN])
  })

  it('fails the step listing every failed target, after the others were written', async () => {
    world.pipelines.add(pipeline('other', [githubSource('App', 'app')]))
    setInputs({
      token: TOKEN,
      pipelines: 'app, gone',
      regions: 'us-east-1',
      'verify-token': 'false'
    })
    await run({ services: () => world.services() })
    expect(world.pipelines.writes).toHaveLength(1)
    expect(core.setFailed).toHaveBeenCalledWith(
      "1 target(s) failed:\n- us-east-1 pipeline gone: pipeline 'gone' does not exist in us-east-1: check the name and the regions input"
    )
    expect(outputs()['complete']).toBe('false')
  })

  it('reports a thrown non-Error value instead of swallowing it', async () => {
    world.pipelines.getPipeline = async () => {
      throw 'a bare string'
    }
    setInputs({ token: TOKEN, pipelines: 'app', regions: 'us-east-1', 'verify-token': 'false' })
    await run({ services: () => world.services(), github: github.factory() })
    expect(failure()).toContain('a bare string')
  })

  it('never lets the token through a failure message', async () => {
    world.pipelines.failures.update = Object.assign(
      new Error(`InvalidStructureException: bad value ${TOKEN}`),
      { name: 'InvalidStructureException' }
    )
    setInputs({ token: TOKEN, pipelines: 'app', regions: 'us-east-1', 'verify-token': 'false' })
    await run({ services: () => world.services(), github: github.factory() })
    const message = failure()
    expect(message).toContain('bad value ***')
    expect(message).not.toContain(TOKEN)
    expect(JSON.stringify(core.setOutput.mock.calls)).not.toContain(TOKEN)
    expect(core.summary.text()).not.toContain(TOKEN)
    expect(JSON.stringify(core.info.mock.calls)).not.toContain(TOKEN)
  })

  it('fails with the input named, before building any AWS client', async () => {
    const factory = jest.fn(() => world.services())
    const githubFactory = jest.fn(github.factory())
    setInputs({ token: TOKEN, pipelines: 'app', regions: 'nowhere' })
    await run({ services: factory, github: githubFactory })
    expect(factory).not.toHaveBeenCalled()
    expect(githubFactory).not.toHaveBeenCalled()
    expect(failure()).toMatch(/^Input 'regions'/)
  })

  it('logs throttling once, then every 25th time', async () => {
    let onThrottle: ((region: string, operation: string) => void) | undefined
    const update = world.pipelines.updatePipeline.bind(world.pipelines)
    world.pipelines.updatePipeline = async (p: JsonObject) => {
      for (let i = 0; i < 50; i++) onThrottle?.('us-east-1', 'UpdatePipeline')
      return update(p)
    }
    setInputs({ token: TOKEN, pipelines: 'app', regions: 'us-east-1', 'verify-token': 'false' })
    await run({
      services: (settings) => {
        onThrottle = settings.onThrottle
        return world.services()
      },
      github: github.factory()
    })
    const throttleLines = core.info.mock.calls
      .map(([line]) => line)
      .filter((line) => line.startsWith('AWS is throttling'))
    expect(throttleLines).toEqual([
      'AWS is throttling UpdatePipeline in us-east-1 (1x so far): slowing down and retrying',
      'AWS is throttling UpdatePipeline in us-east-1 (25x so far): slowing down and retrying',
      'AWS is throttling UpdatePipeline in us-east-1 (50x so far): slowing down and retrying'
    ])
  })

  it('passes the inputs’ settings to the AWS clients', async () => {
    let seen: unknown
    setInputs({ token: TOKEN, pipelines: 'app', regions: 'us-east-1', 'max-concurrency': '3' })
    await run({
      services: (settings) => {
        seen = settings
        return world.services()
      },
      github: github.factory()
    })
    expect(seen).toMatchObject({ credentials: undefined, maxConcurrency: 3 })
    expect(core.info).toHaveBeenCalledWith(
      'AWS credentials: the default credential chain (no role-to-assume)'
    )
  })
})

describe('run: the secret inputs', () => {
  it('removes the tokens from the environment before any service is created', async () => {
    const seen: (string | undefined)[] = []
    setInputs({
      token: TOKEN,
      'previous-token': PREVIOUS,
      pipelines: 'app',
      regions: 'us-east-1'
    })
    await run({
      services: () => {
        seen.push(process.env['INPUT_TOKEN'], process.env['INPUT_PREVIOUS-TOKEN'])
        return world.services()
      },
      github: (url) => {
        seen.push(process.env['INPUT_TOKEN'], process.env['INPUT_PREVIOUS-TOKEN'])
        return github.factory()(url)
      }
    })
    expect(seen).toEqual([undefined, undefined, undefined, undefined])
    expect(core.setFailed).not.toHaveBeenCalled()
  })

  it.each([
    [{ token: '' }, /^Input 'token' is empty/],
    [{ token: `${TOKEN}\u200b` }, /^Input 'token' contains a character that cannot be in a token/],
    [{ 'previous-token': TOKEN }, /^Input 'previous-token' is the same as token/],
    [{ secrets: 'not a secret name' }, /^Input 'secrets'/],
    [{ parameters: '/aws/reserved' }, /^Input 'parameters'/],
    [{ 'github-api-url': 'http://ghe.example.com' }, /^Input 'github-api-url' must be an https/],
    [
      { regions: 'us-east-1, cn-north-1' },
      /^Input 'regions' the regions and ARNs span the partitions aws and aws-cn/
    ]
  ])('an input error (%j) writes nothing and calls no service', async (values, message) => {
    const factory = jest.fn(() => world.services())
    const githubFactory = jest.fn(github.factory())
    setInputs({ token: TOKEN, pipelines: 'app', regions: 'us-east-1', ...values })
    await run({ services: factory, github: githubFactory })
    expect(failure()).toMatch(message)
    expect(failure()).not.toContain(TOKEN)
    expect(factory).not.toHaveBeenCalled()
    expect(githubFactory).not.toHaveBeenCalled()
    expect(events).toEqual([])
    expect(core.setOutput).not.toHaveBeenCalled()
  })

  it('fails the step the same way when called without options', async () => {
    setInputs({ token: ' ', pipelines: 'app', regions: 'us-east-1' })
    await run()
    expect(failure()).toMatch(/^Input 'token' is empty/)
  })

  it('reads nothing when the runner’s files cannot be written', async () => {
    const factory = jest.fn(() => world.services())
    process.env['GITHUB_OUTPUT'] = '/nonexistent-dir/output'
    await run({ services: factory, github: github.factory() })
    expect(failure()).toMatch(/^GITHUB_OUTPUT is set to '\/nonexistent-dir\/output'/)
    expect(factory).not.toHaveBeenCalled()
    // The tokens were still masked and taken out of the environment first.
    expect(process.env).not.toHaveProperty('INPUT_TOKEN')
  })
})

describe('run: every store', () => {
  function everything(extra: Record<string, string> = {}) {
    world.pipelines.tags.set('app', {
      'aws:cloudformation:stack-name': 'ci-stack',
      'aws:cloudformation:logical-id': 'Pipeline'
    })
    world.stacks.add('ci-stack', {
      Resources: {
        Pipeline: {
          Type: 'AWS::CodePipeline::Pipeline',
          Properties: {
            Name: 'app',
            Stages: [
              {
                Name: 'Source',
                Actions: [
                  {
                    Name: 'App',
                    ActionTypeId: {
                      Category: 'Source',
                      Owner: 'ThirdParty',
                      Provider: 'GitHub',
                      Version: '1'
                    },
                    Configuration: {
                      OAuthToken: '{{resolve:secretsmanager:ci/github:SecretString:token}}'
                    }
                  }
                ]
              }
            ]
          }
        }
      }
    })
    // As CloudFormation tags the pipelines it creates: the stack follower checks its id.
    world.stacks.tag(ARN, 'ci-stack')
    setInputs({
      token: TOKEN,
      pipelines: 'app',
      regions: 'us-east-1',
      codebuild: 'import',
      secrets: 'ci/github#token',
      parameters: '/ci/github-token',
      ...extra
    })
  }

  it('rotates pipelines, CodeBuild, secrets (a stack’s included, once) and parameters', async () => {
    everything()
    await run({ services: () => world.services(), github: github.factory() })
    expect(core.setFailed).not.toHaveBeenCalled()
    expect(events.sort()).toEqual([
      'codebuild importCredentials',
      'parameter putParameter',
      'pipeline updatePipeline',
      'secret putSecretString'
    ])
    expect(JSON.parse(world.secrets.current('ci/github') ?? '')).toEqual({ token: TOKEN })
    expect(world.parameters.find('/ci/github-token').value).toBe(TOKEN)
    const out = outputs()
    expect(JSON.parse(out['updated'] ?? '')).toEqual([ARN])
    expect(JSON.parse(out['secrets-updated'] ?? '')).toEqual([world.secrets.arnOf('ci/github')])
    expect(JSON.parse(out['parameters-updated'] ?? '')).toEqual([
      world.parameters.arnOf('/ci/github-token')
    ])
    expect(
      JSON.parse(out['codebuild-credentials'] ?? '').map((c: { status: string }) => c.status)
    ).toEqual(['imported'])
    expect(out['complete']).toBe('true')
    expect(out['previous-token-revoked']).toBe('false')
    const summary = core.summary.text()
    expect(summary).toContain('| us-east-1 | ci/github (from stack ci-stack) | token |')
    expect(summary).toContain('### CloudFormation stacks')
    expect(summary).toContain('✅ updated: secret ci/github#token')
    expect(summary).not.toContain(OLD)
    expect(summary).not.toContain(TOKEN)
  })

  it('rotates the secret of a CodeBuild credential kept in Secrets Manager, however slow CodeBuild answers', async () => {
    const secretArn = world.secrets
      .add('codebuild/github', JSON.stringify({ Token: OLD }))
      .arnOf('codebuild/github')
    world.codebuild.seed('GITHUB', 'SECRETS_MANAGER', secretArn)
    const list = world.codebuild.listCredentials.bind(world.codebuild)
    world.codebuild.listCredentials = async () => {
      await new Promise((resolve) => setTimeout(resolve, 50))
      return list()
    }
    setInputs({ token: TOKEN, regions: 'us-east-1', codebuild: 'import', 'verify-token': 'false' })
    await run({ services: () => world.services(), github: github.factory() })
    expect(core.setFailed).not.toHaveBeenCalled()
    expect(JSON.parse(world.secrets.current('codebuild/github') ?? '')).toEqual({ Token: TOKEN })
    expect(events).toEqual(['secret putSecretString'])
    expect(JSON.parse(outputs()['codebuild-credentials'] ?? '')).toEqual([
      expect.objectContaining({ status: 'updated', authType: 'SECRETS_MANAGER', secretArn })
    ])
    expect(JSON.parse(outputs()['secrets-updated'] ?? '')).toEqual([secretArn])
  })

  it('writes nothing in a dry run, and says what it would write', async () => {
    everything({ 'dry-run': 'true' })
    await run({ services: () => world.services(), github: github.factory() })
    expect(core.setFailed).not.toHaveBeenCalled()
    expect(events).toEqual([])
    expect(world.secrets.current('ci/github')).toBe(JSON.stringify({ token: OLD }))
    expect(outputs()['complete']).toBe('false')
    expect(core.info).toHaveBeenCalledWith(
      'Dry run — planning only, nothing will be written in us-east-1'
    )
    expect(core.summary.text()).toContain('**Dry run** — nothing was written; this is the plan.')
  })

  it('gives the pipelines the clock it is given', async () => {
    const clock = new FakeClock()
    const now = jest.spyOn(clock, 'now')
    world.pipelines.runs.set('app', [execution('run-1', 'InProgress', clock.ago(60))])
    setInputs({ token: TOKEN, pipelines: 'app', regions: 'us-east-1', 'dry-run': 'true' })
    await run({ services: () => world.services(), github: github.factory(), clock })
    expect(core.setFailed).not.toHaveBeenCalled()
    expect(now).toHaveBeenCalled()
    expect(world.pipelines.writes).toEqual([])
  })
})

describe('run: retiring the previous token', () => {
  it('revokes it once, after the last write, when everything holds the new token', async () => {
    setInputs({
      token: TOKEN,
      'previous-token': PREVIOUS,
      pipelines: 'app',
      regions: 'us-east-1',
      secrets: 'ci/github#token',
      parameters: '/ci/github-token'
    })
    await run({ services: () => world.services(), github: github.factory() })
    expect(core.setFailed).not.toHaveBeenCalled()
    expect(github.revocations).toEqual([[PREVIOUS]])
    expect(events.at(-1)).toBe('github revoke')
    expect(events.filter((e) => e === 'github revoke')).toHaveLength(1)
    expect(events).toHaveLength(4)
    expect(outputs()['previous-token-revoked']).toBe('true')
    expect(core.summary.text()).toContain('Previous token: revoked')
    expect(JSON.stringify(core.setOutput.mock.calls)).not.toContain(PREVIOUS)
    expect(core.summary.text()).not.toContain(PREVIOUS)
  })

  it('keeps it when a target failed', async () => {
    setInputs({
      token: TOKEN,
      'previous-token': PREVIOUS,
      pipelines: 'app',
      regions: 'us-east-1',
      parameters: '/ci/missing'
    })
    await run({ services: () => world.services(), github: github.factory() })
    expect(github.revocations).toEqual([])
    expect(events).toEqual(['pipeline updatePipeline'])
    expect(outputs()['previous-token-revoked']).toBe('false')
    expect(core.warning).toHaveBeenCalledWith(
      expect.stringMatching(
        /^previous-token was not revoked, because not everything holds the new token: 1 target failed/
      )
    )
    expect(failure()).toMatch(/^1 target\(s\) failed:\n- us-east-1 parameter \/ci\/missing: /)
  })

  it('keeps it when GitHub did not confirm the new token (verify-token false)', async () => {
    setInputs({
      token: TOKEN,
      'previous-token': PREVIOUS,
      pipelines: 'app',
      regions: 'us-east-1',
      'verify-token': 'false'
    })
    await run({ services: () => world.services(), github: github.factory() })
    expect(github.revocations).toEqual([])
    expect(world.pipelines.writes).toHaveLength(1)
    expect(outputs()['previous-token-revoked']).toBe('false')
  })

  it('keeps it in a dry run', async () => {
    setInputs({
      token: TOKEN,
      'previous-token': PREVIOUS,
      pipelines: 'app',
      regions: 'us-east-1',
      'dry-run': 'true'
    })
    await run({ services: () => world.services(), github: github.factory() })
    expect(github.revocations).toEqual([])
    expect(events).toEqual([])
  })

  it('keeps it while a stack’s template was not followed', async () => {
    world.pipelines.tags.set('app', { 'aws:cloudformation:stack-name': 'ci-stack' })
    setInputs({
      token: TOKEN,
      'previous-token': PREVIOUS,
      pipelines: 'app',
      regions: 'us-east-1',
      'follow-stacks': 'false'
    })
    await run({ services: () => world.services(), github: github.factory() })
    expect(world.pipelines.writes).toHaveLength(1)
    expect(github.revocations).toEqual([])
    expect(outputs()['complete']).toBe('false')
  })

  it('given alone, checks the token and revokes the old one without touching AWS', async () => {
    setInputs({ token: TOKEN, 'previous-token': PREVIOUS })
    // The default AWS services: built, never called.
    await run({ github: github.factory() })
    expect(core.setFailed).not.toHaveBeenCalled()
    expect(github.revocations).toEqual([[PREVIOUS]])
    expect(outputs()['previous-token-revoked']).toBe('true')
  })
})

describe('run: the GitHub API', () => {
  it('talks to github-api-url by default, waiting out its rate limit, and revokes there', async () => {
    const server = await startFakeGitHub({
      tokens: {
        [TOKEN]: {
          login: 'rotator',
          scopes: 'repo, admin:repo_hook',
          repos: '*',
          rateLimitRemaining: 0
        },
        [PREVIOUS]: { login: 'rotator', scopes: 'repo' }
      }
    })
    try {
      setInputs({
        token: TOKEN,
        'previous-token': PREVIOUS,
        pipelines: 'app',
        regions: 'us-east-1',
        'github-api-url': server.url
      })
      // The run's clock starts at the real time (the fake GitHub's reset times are real).
      const clock = new FakeClock(Date.now())
      await run({ services: () => world.services(), clock })
      expect(core.setFailed).not.toHaveBeenCalled()
      expect(core.info).toHaveBeenCalledWith(expect.stringMatching(/^Waiting \d+ s for GitHub: /))
      // It waited on the run's clock, not in real time.
      expect(clock.sleeps.some((ms) => ms >= 1000)).toBe(true)
      expect(world.pipelines.writes).toHaveLength(1)
      expect(server.isRevoked(PREVIOUS)).toBe(true)
      expect(server.isRevoked(TOKEN)).toBe(false)
      expect(outputs()['previous-token-revoked']).toBe('true')
      expect(server.requests.filter((r) => r.path === '/credentials/revoke')).toEqual([
        expect.objectContaining({ method: 'POST', authorization: false, credentials: 1 })
      ])
    } finally {
      await server.close()
    }
  })
})

describe('the registry’s services', () => {
  it('makes one client per service and region, reused', () => {
    const made = registry.services({ credentials: undefined, maxConcurrency: 2 })
    for (const service of ['pipelines', 'codebuild', 'secrets', 'parameters', 'stacks'] as const) {
      expect(made[service]('us-east-1')).toBe(made[service]('us-east-1'))
      expect(made[service]('us-east-1')).not.toBe(made[service]('eu-west-1'))
    }
    const migration = made.migration!
    for (const service of ['simulator', 'webhooks'] as const) {
      expect(migration[service]('us-east-1')).toBe(migration[service]('us-east-1'))
      expect(migration[service]('us-east-1')).not.toBe(migration[service]('eu-west-1'))
    }
    expect(typeof migration.connections.getConnection).toBe('function')
  })
})
