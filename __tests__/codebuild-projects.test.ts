import { jest, describe, it, expect, beforeEach } from '@jest/globals'
import * as core from '../__fixtures__/core.js'
import { inputsOf } from '../__fixtures__/inputs.js'
import { FakeCodeBuild, FakeSecrets, limit } from '../__fixtures__/value-stores.js'

jest.unstable_mockModule('@actions/core', () => core)
const { codebuildStore } = await import('../src/stores/codebuild/store.js')
const { secretsStore } = await import('../src/stores/secrets-manager/store.js')
const { SealedToken } = await import('../src/core/sealed-token.js')
type ProjectTarget = import('../src/stores/codebuild/projects.js').ProjectTarget

const TOKEN = 'unit-token-0123456789abcdef'

beforeEach(() => core.resetCore())

describe('the CodeBuild store and its projects', () => {
  function setup(refused: Record<string, string[]>, dryRun = false) {
    const inputs = inputsOf({
      regions: ['us-east-1', 'eu-west-1'],
      dryRun,
      codebuild: {
        mode: 'import',
        serverType: 'GITHUB',
        authType: 'PERSONAL_ACCESS_TOKEN',
        username: undefined
      }
    })
    const fakes = {
      'us-east-1': new FakeCodeBuild('us-east-1'),
      'eu-west-1': new FakeCodeBuild('eu-west-1')
    }
    fakes['eu-west-1'].projects = [
      {
        name: 'ops',
        webhook: true,
        sources: [{ id: 'primary', type: 'GITHUB', location: 'https://github.com/o/ops.git' }]
      }
    ]
    fakes['us-east-1'].failProjects = Object.assign(new Error('denied'), {
      name: 'AccessDeniedException'
    })
    const secrets = secretsStore(inputs, {
      apiFor: (region) => new FakeSecrets(region),
      limit,
      token: new SealedToken(TOKEN)
    })
    const planned: ProjectTarget[] = []
    const store = codebuildStore(inputs, {
      apiFor: (region) => fakes[region as keyof typeof fakes],
      limit,
      token: new SealedToken(TOKEN),
      secrets
    })
    store.onPlanned((target) => planned.push(target))
    store.refuseWith((region) => refused[region] ?? [])
    return { store, fakes, planned }
  }

  it('hands the projects to the token check, and does not import where it was refused', async () => {
    const { store, fakes, planned } = setup({ 'eu-west-1': ['o/ops cannot be read'] })
    await store.plan()
    expect(planned.map((t) => `${t.region} ${t.name}`)).toEqual(['eu-west-1 ops'])
    expect(store.targets()).toEqual(planned)
    await store.apply()
    expect(fakes['us-east-1'].imports).toHaveLength(1)
    expect(fakes['eu-west-1'].imports).toHaveLength(0)
    const report = store.report()
    expect(report.failures).toEqual([
      expect.stringContaining(
        'eu-west-1 codebuild: not imported: the token cannot reach what this region'
      )
    ])
    expect(report.warnings).toEqual([
      expect.stringContaining('us-east-1: the build projects could not be listed')
    ])
    const projects = report.sections.find((s) => s.title === 'CodeBuild projects')
    expect(projects?.rows).toEqual([
      ['eu-west-1', 'ops', 'primary', 'https://github.com/o/ops.git', 'this credential']
    ])
  })

  it('shows the refusal in a dry run’s plan too', async () => {
    const { store } = setup({ 'eu-west-1': ['o/ops cannot be read'] }, true)
    await store.plan()
    expect(store.report().failures).toHaveLength(1)
  })
})
