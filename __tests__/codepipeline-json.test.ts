import { describe, it, expect } from '@jest/globals'
import {
  PipelineShapeError,
  executionMode,
  findGitHubSourceActions,
  isGitHubV1Source,
  isObject,
  pipelineType,
  sourceActions,
  versionOf,
  withGitHubToken,
  type JsonObject
} from '../src/stores/codepipeline/pipeline-json.js'
import {
  buildAction,
  connectionSource,
  githubSource,
  pipeline,
  s3Source
} from '../test-support/pipelines.js'

const GITHUB_TYPE = { category: 'Source', owner: 'ThirdParty', provider: 'GitHub', version: '1' }

/** A GitHub source action of another version (AWS has none yet; it must be left alone). */
const githubV2 = (name: string) =>
  githubSource(name, 'next', {
    extra: { actionTypeId: { ...GITHUB_TYPE, version: '2' } }
  })

/** One stage holding `actions`. */
const oneStage = (...actions: JsonObject[]): JsonObject => ({
  name: 'p',
  stages: [{ name: 'S', actions }]
})

describe('isObject', () => {
  it('is true for plain objects only', () => {
    expect(isObject({})).toBe(true)
    expect([null, [], 'x', 1, true, undefined].map((v) => isObject(v))).toEqual(
      Array(6).fill(false)
    )
  })
})

describe('isGitHubV1Source', () => {
  it('matches only Source / ThirdParty / GitHub, version 1', () => {
    expect(isGitHubV1Source(githubSource('A', 'app'))).toBe(true)
    expect(isGitHubV1Source(connectionSource('B'))).toBe(false)
    expect(isGitHubV1Source(buildAction())).toBe(false)
    expect(isGitHubV1Source({ name: 'x' })).toBe(false)
    expect(isGitHubV1Source({ name: 'x', actionTypeId: 'GitHub' })).toBe(false)
    expect(isGitHubV1Source({ actionTypeId: { ...GITHUB_TYPE, category: 'Build' } })).toBe(false)
    expect(isGitHubV1Source({ actionTypeId: { ...GITHUB_TYPE, owner: 'AWS' } })).toBe(false)
  })

  // Only version 1 of the ThirdParty/GitHub source counts.
  it('leaves other versions of the GitHub action alone', () => {
    expect(isGitHubV1Source(githubV2('A'))).toBe(false)
    expect(isGitHubV1Source({ actionTypeId: { ...GITHUB_TYPE, version: 1 } })).toBe(false)
    const { version: _version, ...noVersion } = GITHUB_TYPE
    expect(isGitHubV1Source({ actionTypeId: noVersion })).toBe(false)
  })
})

describe('findGitHubSourceActions', () => {
  it('finds every GitHub v1 source action in any stage', () => {
    const p = pipeline(
      'p',
      [
        githubSource('App', 'app'),
        connectionSource('Conn'),
        githubSource('Lib', 'lib', {
          extra: { configuration: { Owner: 'o', Repo: 'lib', Branch: 'dev', OAuthToken: '****' } }
        }),
        githubV2('Next')
      ],
      3
    )
    ;(p['stages'] as Array<{ actions: unknown[] }>)[1]?.actions.push(githubSource('Late', 'late'))
    expect(findGitHubSourceActions(p)).toEqual([
      {
        stage: 'Source',
        action: 'App',
        owner: 'example-org',
        repo: 'app',
        branch: 'main',
        pollForSourceChanges: false
      },
      {
        stage: 'Source',
        action: 'Lib',
        owner: 'o',
        repo: 'lib',
        branch: 'dev',
        pollForSourceChanges: true
      },
      {
        stage: 'Build',
        action: 'Late',
        owner: 'example-org',
        repo: 'late',
        branch: 'main',
        pollForSourceChanges: false
      }
    ])
  })

  it('reads PollForSourceChanges case-insensitively; only "false" means webhooks', () => {
    const poll = (value: string) =>
      findGitHubSourceActions(
        oneStage({
          name: 'G',
          actionTypeId: GITHUB_TYPE,
          configuration: { PollForSourceChanges: value }
        })
      )[0]?.pollForSourceChanges
    expect([poll('FALSE'), poll('False'), poll('true'), poll('')]).toEqual([
      false,
      false,
      true,
      true
    ])
  })

  it('tolerates malformed structures', () => {
    expect(findGitHubSourceActions({ stages: 'nope' })).toEqual([])
    expect(findGitHubSourceActions({})).toEqual([])
    expect(findGitHubSourceActions({ stages: [{ name: 'S', actions: [null, 3] }] })).toEqual([])
    expect(findGitHubSourceActions({ stages: [null, { name: 'S' }] })).toEqual([])
    expect(findGitHubSourceActions(oneStage({ name: 'G', actionTypeId: GITHUB_TYPE }))).toEqual([
      { stage: 'S', action: 'G', owner: '', repo: '', branch: '', pollForSourceChanges: true }
    ])
    // Names and settings that are not strings read as empty.
    expect(
      findGitHubSourceActions({
        stages: [
          {
            name: 7,
            actions: [{ name: null, actionTypeId: GITHUB_TYPE, configuration: { Owner: 1 } }]
          }
        ]
      })
    ).toEqual([
      { stage: '', action: '', owner: '', repo: '', branch: '', pollForSourceChanges: true }
    ])
  })

  // Such an action is never read (or written) as if it had no configuration.
  it.each([
    ['a string', 'OAuthToken=x', /has a configuration that is a string, not an object/],
    ['null', null, /has a configuration that is a null, not an object/],
    ['an array', [{ OAuthToken: 'x' }], /has a configuration that is an array, not an object/],
    ['a number', 5, /has a configuration that is a number, not an object/]
  ])('refuses a GitHub action whose configuration is %s', (_what, configuration, message) => {
    const p = oneStage(githubSource('Ok', 'ok'), {
      name: 'G',
      actionTypeId: GITHUB_TYPE,
      configuration
    })
    expect(() => findGitHubSourceActions(p)).toThrow(PipelineShapeError)
    expect(() => findGitHubSourceActions(p)).toThrow(message)
    expect(() => findGitHubSourceActions(p)).toThrow(
      /^the GitHub source action 'S\/G' has .*: it was not rewritten — fix the pipeline definition$/
    )
  })

  it('does not look at the configuration of actions that are not GitHub v1 sources', () => {
    const p = oneStage(
      { ...buildAction(), configuration: 'not an object' },
      { ...githubV2('Next'), configuration: null }
    )
    expect(findGitHubSourceActions(p)).toEqual([])
    expect(withGitHubToken(p, 'tok-1234')).toEqual(p)
  })
})

describe('withGitHubToken', () => {
  it('sets OAuthToken on GitHub sources only and copies everything else as it was', () => {
    const custom = {
      name: 'Deploy',
      actionTypeId: { category: 'Deploy', owner: 'Custom', provider: 'Mine', version: '1' },
      configuration: { ApiKey: '****', Target: 'prod' },
      futureActionField: { nested: [1, 2, { deep: true }] }
    }
    const original: JsonObject = {
      ...pipeline('p', [githubSource('A', 'a'), githubSource('B', 'b'), githubV2('C')], 3),
      futurePipelineField: 'kept'
    }
    ;(original['stages'] as unknown[]).push({
      name: 'Deploy',
      actions: [custom],
      futureStageField: 7
    })
    const snapshot = structuredClone(original)

    const patched = withGitHubToken(original, 'new-token-value')
    expect(original).toEqual(snapshot) // the input is not mutated

    expect(findGitHubSourceActions(patched)).toHaveLength(2)
    const strip = (p: unknown) =>
      JSON.parse(
        JSON.stringify(p).replace(/"OAuthToken":"new-token-value"/g, '"OAuthToken":"****"')
      )
    expect(strip(patched)).toEqual(snapshot)
    expect(JSON.stringify(patched).match(/new-token-value/g)).toHaveLength(2)
    expect(JSON.stringify(patched)).toContain('"ApiKey":"****"')
    // The version 2 action keeps its masked value; byte order is kept too.
    expect(JSON.stringify(strip(patched))).toBe(JSON.stringify(snapshot))
  })

  it('adds a configuration when a GitHub source has none', () => {
    const bare = oneStage({ name: 'G', actionTypeId: GITHUB_TYPE })
    expect(JSON.stringify(withGitHubToken(bare, 'tok-1234'))).toContain(
      '"configuration":{"OAuthToken":"tok-1234"}'
    )
  })

  it('refuses a GitHub action whose configuration is not an object, writing nothing', () => {
    const p = oneStage({ name: 'G', actionTypeId: GITHUB_TYPE, configuration: ['x'] })
    expect(() => withGitHubToken(p, 'tok-1234')).toThrow(PipelineShapeError)
    expect(() => withGitHubToken(p, 'tok-1234')).toThrow(
      'a GitHub source action has a configuration that is not an object'
    )
  })
})

describe('versionOf', () => {
  it('reads a numeric version only', () => {
    expect(versionOf(pipeline('p', [], 5))).toBe(5)
    expect(versionOf({ version: '5' })).toBeUndefined()
    expect(versionOf(pipeline('p', []))).toBeUndefined()
  })
})

describe('pipelineType and executionMode', () => {
  it("read the declaration's values, with CodePipeline's defaults", () => {
    const p = (extra: JsonObject) => pipeline('p', [], { extra })
    expect(pipelineType(p({ pipelineType: 'V2' }))).toBe('V2')
    expect(pipelineType(p({}))).toBe('V1')
    expect(pipelineType(p({ pipelineType: 2 }))).toBe('V1')
    expect(executionMode(p({ executionMode: 'QUEUED' }))).toBe('QUEUED')
    expect(executionMode(p({ executionMode: 'PARALLEL' }))).toBe('PARALLEL')
    expect(executionMode(p({}))).toBe('SUPERSEDED')
    expect(executionMode(p({ executionMode: '' }))).toBe('SUPERSEDED')
  })
})

describe('sourceActions', () => {
  it('names every source action with its provider, in every stage', () => {
    const p = pipeline(
      'p',
      [githubSource('App', 'app'), connectionSource('Conn'), s3Source('S3')],
      3
    )
    ;(p['stages'] as Array<{ actions: unknown[] }>)[1]?.actions.push(
      githubV2('Late'),
      { name: 'Odd', actionTypeId: null },
      'not an action'
    )
    expect(sourceActions(p)).toEqual([
      { name: 'App', provider: 'GitHub' },
      { name: 'Conn', provider: 'CodeStarSourceConnection' },
      { name: 'S3', provider: 'S3' },
      { name: 'Late', provider: 'GitHub' }
    ])
    expect(sourceActions({ stages: {} })).toEqual([])
  })
})
