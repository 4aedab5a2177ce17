import { jest, describe, it, expect } from '@jest/globals'
import * as core from '../__fixtures__/core.js'
import { inputsOf } from '../__fixtures__/inputs.js'
import type { Store } from '../src/core/flow.js'
import type { Inputs } from '../src/inputs/types.js'
import type { StoreContext } from '../src/stores/descriptor.js'
import { ACCOUNT, FakeCodeBuild, FakeSecrets, limit } from '../__fixtures__/value-stores.js'

jest.unstable_mockModule('@actions/core', () => core)
const { stores: registry, wireStores } = await import('../src/stores/registry.js')
const { describeStore } = await import('../src/stores/descriptor.js')
const { emptyReport } = await import('../src/core/report.js')
const { SealedToken } = await import('../src/core/sealed-token.js')

const TOKEN = 'unit-token-0123456789abcdef'
const token = new SealedToken(TOKEN)

describe('the registry', () => {
  it('plans each store after the stores it reads and the stores that contribute to it', () => {
    expect(Object.fromEntries(registry.planOrder())).toEqual({
      pipelines: [],
      codebuild: [],
      stacks: ['pipelines'],
      secrets: ['codebuild', 'stacks'],
      parameters: ['stacks']
    })
  })

  it('hands the flow every store in summary order, each after the ones planOrder names', () => {
    const none = () => {
      throw new Error('no AWS call expected')
    }
    const { stores, flow } = registry.create(inputsOf(), {
      services: { pipelines: none, codebuild: none, stacks: none, secrets: none, parameters: none },
      limit,
      token,
      previous: undefined,
      clock: undefined
    })
    const [pipelines, codebuild, stacks, secrets, parameters] = flow
    expect(flow).toHaveLength(5)
    expect(pipelines?.after).toEqual([])
    expect(stacks?.after).toEqual([pipelines])
    expect(secrets?.after).toEqual([codebuild, stacks])
    expect(parameters?.after).toEqual([stacks])
    expect(Object.keys(stores).sort()).toEqual(
      ['codebuild', 'parameters', 'pipelines', 'secrets', 'stacks'].sort()
    )
  })

  it('touches the regions the inputs name, then those the stores add (ARNs), once each', () => {
    const inputs = inputsOf({
      regions: ['us-east-1'],
      pipelines: [
        {
          kind: 'arn',
          entry: 'a',
          name: 'a',
          region: 'eu-west-1',
          account: ACCOUNT,
          arn: `arn:aws:codepipeline:eu-west-1:${ACCOUNT}:a`
        }
      ],
      parameters: [
        { entry: 'p', id: 'p', key: undefined, region: 'ap-south-1', account: ACCOUNT },
        { entry: 'q', id: 'q', key: undefined, region: 'eu-west-1', account: ACCOUNT }
      ]
    })
    expect(registry.regions(inputs)).toEqual(['us-east-1', 'eu-west-1', 'ap-south-1'])
  })

  it('throws when CodeBuild contributes its credential’s secret after Secrets Manager planned', async () => {
    const arn = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:codebuild/github-AbCdEf`
    const codebuild = new FakeCodeBuild('us-east-1')
    codebuild.credentials.push({
      arn: `arn:aws:codebuild:us-east-1:${ACCOUNT}:token/github`,
      serverType: 'GITHUB',
      authType: 'SECRETS_MANAGER',
      resource: arn
    })
    const secrets = new FakeSecrets('us-east-1').add('codebuild/github', '{"Token":"old"}')
    const none = () => {
      throw new Error('not this one')
    }
    const { stores } = registry.create(
      inputsOf({
        codebuild: {
          mode: 'import',
          serverType: 'GITHUB',
          authType: 'PERSONAL_ACCESS_TOKEN',
          username: undefined
        }
      }),
      {
        services: {
          pipelines: none,
          codebuild: () => codebuild,
          stacks: none,
          secrets: () => secrets,
          parameters: none
        },
        limit,
        token,
        previous: undefined,
        clock: undefined
      }
    )
    // Out of order, as no flow would run them: the receiver has planned.
    await stores.secrets.plan()
    await expect(stores.codebuild.plan()).rejects.toThrow(
      `Secret ${arn}#Token (from CodeBuild credential in us-east-1) was contributed after the secrets store planned, so it would never be written`
    )
  })
})

/** A store that records what it was given and when it planned. */
function recording(name: string, log: string[]): Store & { name: string } {
  return {
    name,
    plan: async () => {
      log.push(`plan ${name}`)
    },
    apply: async () => undefined,
    report: () => emptyReport({ headline: name })
  }
}

describe('wireStores', () => {
  const settings = { credentials: undefined, maxConcurrency: 2 }

  it('gives each store only the inputs and the stores it declared, and derives the order', async () => {
    const log: string[] = []
    const seen: Record<string, unknown> = {}
    const receiver = describeStore({
      api: (_settings, region) => ({ receiver: region }),
      inputs: ['secrets'],
      regions: () => ['eu-west-1'],
      create: (inputs, context) => {
        seen['receiver'] = { inputs, stores: context.stores, api: context.apiFor('r') }
        return recording('receiver', log)
      }
    })
    const contributor = describeStore({
      api: () => 'contributor api',
      inputs: ['regions', 'dryRun'],
      regions: (inputs) => inputs.regions,
      contributes: ['receiver'],
      create: (inputs, context: StoreContext<string, { receiver: Store }>) => {
        seen['contributor'] = { inputs, stores: context.stores }
        return recording('contributor', log)
      }
    })
    const wired = wireStores({ receiver, contributor })
    const services = wired.services(settings)
    expect(services.receiver('us-east-1')).toBe(services.receiver('us-east-1'))
    expect(services.receiver('us-east-1')).toEqual({ receiver: 'us-east-1' })
    const inputs: Inputs = inputsOf({ regions: ['us-east-1'], dryRun: true })
    expect(wired.regions(inputs)).toEqual(['us-east-1', 'eu-west-1'])

    const { stores, flow } = wired.create(inputs, {
      services: { receiver: () => ({ receiver: 'r' }), contributor: () => 'c' },
      limit,
      token,
      previous: undefined,
      clock: undefined
    })
    expect(seen['receiver']).toEqual({
      inputs: { secrets: [] },
      stores: {},
      api: { receiver: 'r' }
    })
    expect(seen['contributor']).toEqual({
      inputs: { regions: ['us-east-1'], dryRun: true },
      stores: { receiver: stores.receiver }
    })
    expect(flow[0]?.after).toEqual([flow[1]])
    expect(flow[1]?.after).toEqual([])
    await flow[0]?.plan()
    await flow[0]?.apply()
    expect(flow[0]?.report().headline).toBe('receiver')
    expect(log).toEqual(['plan receiver'])
  })

  it('refuses a store that names one the registry does not hold', () => {
    const lonely = describeStore({
      api: () => undefined,
      inputs: [],
      regions: () => [],
      reads: ['missing'],
      create: (_inputs, _context: StoreContext<undefined, { missing: Store }>) =>
        recording('lonely', [])
    })
    const wired = wireStores({ lonely })
    expect(() => wired.planOrder()).toThrow(
      "Store 'lonely' reads 'missing', which is not in the registry"
    )
  })

  it('refuses stores that use each other in a circle', () => {
    const a = describeStore({
      api: () => undefined,
      inputs: [],
      regions: () => [],
      reads: ['b'],
      create: (_inputs, _context: StoreContext<undefined, { b: Store }>) => recording('a', [])
    })
    const b = describeStore({
      api: () => undefined,
      inputs: [],
      regions: () => [],
      contributes: ['a'],
      create: (_inputs, _context: StoreContext<undefined, { a: Store }>) => recording('b', [])
    })
    const wired = wireStores({ a, b })
    expect(() =>
      wired.create(inputsOf(), {
        services: { a: () => undefined, b: () => undefined },
        limit,
        token,
        previous: undefined,
        clock: undefined
      })
    ).toThrow("Stores use each other in a circle, through 'a'")
  })
})
