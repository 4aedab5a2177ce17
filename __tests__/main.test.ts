import { jest, describe, it, expect, beforeEach } from '@jest/globals'
import * as core from '../__fixtures__/core.js'
import { githubSource, pipeline } from '../__fixtures__/pipelines.js'
import type { PipelineApi } from '../src/codepipeline.js'
import type { GitHubApi } from '../src/github.js'
import type { Services } from '../src/main.js'
import type { JsonObject } from '../src/pipeline-json.js'

jest.unstable_mockModule('@actions/core', () => core)
const { run, createServices } = await import('../src/main.js')

const TOKEN = 'unit-token-0123456789abcdef'
const ARN = 'arn:aws:codepipeline:us-east-1:123456789012:app'

function fakePipelines(
  overrides: Partial<PipelineApi> = {}
): PipelineApi & { writes: JsonObject[] } {
  const writes: JsonObject[] = []
  return {
    writes,
    listPipelineNames: async () => ['app'],
    getPipeline: async () => ({
      pipeline: pipeline('app', [githubSource('App', 'app')]),
      arn: ARN
    }),
    updatePipeline: async (p) => {
      writes.push(p)
      return { version: Number(p['version']) + 1, attempts: 1 }
    },
    listTags: async () => ({}),
    ...overrides
  }
}

const github: GitHubApi = {
  getUser: async () => ({ login: 'me', scopes: ['repo', 'admin:repo_hook'], expiresAt: null }),
  getRepo: async (owner, repo) => ({ fullName: `${owner}/${repo}`, private: true })
}

function services(pipelines: PipelineApi): (settings: unknown) => Services {
  return () => ({
    pipelines: () => pipelines,
    codebuild: () => {
      throw new Error('CodeBuild is not used here')
    },
    secrets: () => {
      throw new Error('Secrets Manager is not used here')
    }
  })
}

const outputs = () => Object.fromEntries(core.setOutput.mock.calls.map(([k, v]) => [k, v]))

/** Inputs as the runner sets them: action.yml's defaults, then the step's `with:`. */
function setInputs(values: Record<string, string>) {
  core.setInputs({ 'dry-run': 'false', 'verify-token': 'true', 'min-days-left': '7', ...values })
}

beforeEach(() => {
  core.resetCore()
  setInputs({ token: TOKEN, pipelines: 'app', regions: 'us-east-1' })
  process.env['GITHUB_STEP_SUMMARY'] = '/dev/null'
})

describe('run', () => {
  it('plans, checks, applies and reports', async () => {
    const api = fakePipelines()
    await run({ services: services(api), github: () => github })
    expect(core.setFailed).not.toHaveBeenCalled()
    expect(api.writes).toHaveLength(1)
    expect(JSON.parse(String(outputs()['updated']))).toEqual([ARN])
    expect(core.summary.text()).toContain('| us-east-1 | app | Source/App | 3 → 4 | ✅ updated |')
    expect(core.group).toHaveBeenCalledWith('Region us-east-1', expect.any(Function))
    expect(core.info).toHaveBeenCalledWith(expect.stringMatching(/^Done\. /))
  })

  it('writes nothing when GitHub refuses the token, and says so', async () => {
    const api = fakePipelines()
    const refusing: GitHubApi = {
      ...github,
      getUser: async () => ({ login: 'me', scopes: ['read:org'], expiresAt: null })
    }
    await run({ services: services(api), github: () => refusing })
    expect(api.writes).toHaveLength(0)
    expect(core.setFailed).toHaveBeenCalledWith(
      expect.stringMatching(/^The GitHub token was refused, so nothing was written:/)
    )
    expect(core.summary.text()).toContain('**Nothing was written: GitHub refused the token.**')
  })

  it('fails the step listing every failed target, after the others were written', async () => {
    const api = fakePipelines({
      listPipelineNames: async () => ['app', 'other'],
      getPipeline: async (name) => {
        if (name === 'gone')
          throw Object.assign(new Error('x'), { name: 'PipelineNotFoundException' })
        return {
          pipeline: pipeline(name, [githubSource('App', 'app')]),
          arn: `${ARN.slice(0, -3)}${name}`
        }
      }
    })
    setInputs({
      token: TOKEN,
      pipelines: 'app, gone',
      regions: 'us-east-1',
      'verify-token': 'false'
    })
    await run({ services: services(api) })
    expect(api.writes).toHaveLength(1)
    expect(core.setFailed).toHaveBeenCalledWith(
      "1 target(s) failed:\n- us-east-1 pipeline gone: pipeline 'gone' does not exist in us-east-1: check the name and the regions input"
    )
  })

  it('reports a thrown non-Error value instead of swallowing it', async () => {
    const api = fakePipelines({
      getPipeline: async () => {
        throw 'a bare string'
      }
    })
    setInputs({ token: TOKEN, pipelines: 'app', regions: 'us-east-1', 'verify-token': 'false' })
    await run({ services: services(api) })
    expect(core.setFailed).toHaveBeenCalledWith(expect.stringContaining('a bare string'))
  })

  it('never lets the token through a failure message', async () => {
    const api = fakePipelines({
      updatePipeline: async () => {
        throw Object.assign(new Error(`InvalidStructureException: bad value ${TOKEN}`), {
          name: 'InvalidStructureException'
        })
      }
    })
    setInputs({ token: TOKEN, pipelines: 'app', regions: 'us-east-1', 'verify-token': 'false' })
    await run({ services: services(api) })
    const message = String(core.setFailed.mock.calls[0]?.[0])
    expect(message).toContain('bad value ***')
    expect(message).not.toContain(TOKEN)
    expect(JSON.stringify(core.setOutput.mock.calls)).not.toContain(TOKEN)
    expect(core.summary.text()).not.toContain(TOKEN)
  })

  it('fails with the input named, before building any AWS client', async () => {
    const factory = jest.fn(services(fakePipelines()))
    setInputs({ token: TOKEN, pipelines: 'app', regions: 'nowhere' })
    await run({ services: factory })
    expect(factory).not.toHaveBeenCalled()
    expect(core.setFailed).toHaveBeenCalledWith(expect.stringMatching(/^Input 'regions'/))
  })

  it('logs throttling once, then every 25th time', async () => {
    let onThrottle: ((region: string, operation: string) => void) | undefined
    const api = fakePipelines({
      updatePipeline: async (p) => {
        for (let i = 0; i < 50; i++) onThrottle?.('us-east-1', 'UpdatePipelineCommand')
        return { version: Number(p['version']) + 1, attempts: 51 }
      }
    })
    setInputs({ token: TOKEN, pipelines: 'app', regions: 'us-east-1', 'verify-token': 'false' })
    await run({
      services: (settings) => {
        onThrottle = (settings as { onThrottle?: typeof onThrottle }).onThrottle
        return services(api)(settings)
      }
    })
    const throttleLines = core.info.mock.calls
      .map(([line]) => line)
      .filter((line) => line.startsWith('AWS is throttling'))
    expect(throttleLines).toEqual([
      'AWS is throttling UpdatePipelineCommand in us-east-1 (1x so far): slowing down and retrying',
      'AWS is throttling UpdatePipelineCommand in us-east-1 (25x so far): slowing down and retrying',
      'AWS is throttling UpdatePipelineCommand in us-east-1 (50x so far): slowing down and retrying'
    ])
  })
})

describe('createServices', () => {
  it('makes one client per service and region, reused', () => {
    const made = createServices({ credentials: undefined, maxConcurrency: 2 })
    expect(made.pipelines('us-east-1')).toBe(made.pipelines('us-east-1'))
    expect(made.pipelines('us-east-1')).not.toBe(made.pipelines('eu-west-1'))
    expect(made.codebuild('us-east-1')).toBe(made.codebuild('us-east-1'))
    expect(made.secrets('us-east-1')).toBe(made.secrets('us-east-1'))
  })
})
