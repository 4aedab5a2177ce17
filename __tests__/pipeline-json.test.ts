import { describe, it, expect } from '@jest/globals'
import {
  findGitHubSourceActions,
  isGitHubV1Source,
  versionOf,
  withGitHubToken,
  type JsonObject
} from '../src/pipeline-json.js'
import { buildAction, connectionSource, githubSource, pipeline } from '../__fixtures__/pipelines.js'

describe('isGitHubV1Source', () => {
  it('matches only Source / ThirdParty / GitHub', () => {
    expect(isGitHubV1Source(githubSource('A', 'app'))).toBe(true)
    expect(isGitHubV1Source(connectionSource('B'))).toBe(false)
    expect(isGitHubV1Source(buildAction())).toBe(false)
    expect(isGitHubV1Source({ name: 'x' })).toBe(false)
    expect(
      isGitHubV1Source({
        actionTypeId: { category: 'Build', owner: 'ThirdParty', provider: 'GitHub', version: '1' }
      })
    ).toBe(false)
  })
})

describe('findGitHubSourceActions', () => {
  it('finds every GitHub v1 source action in any stage', () => {
    const p = pipeline('p', [
      githubSource('App', 'app'),
      connectionSource('Conn'),
      githubSource('Lib', 'lib', {
        configuration: { Owner: 'o', Repo: 'lib', Branch: 'dev', OAuthToken: '****' }
      })
    ])
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

  it('tolerates malformed structures', () => {
    expect(findGitHubSourceActions({ stages: 'nope' })).toEqual([])
    expect(findGitHubSourceActions({ stages: [{ name: 'S', actions: [null, 3] }] })).toEqual([])
    expect(
      findGitHubSourceActions({
        stages: [
          {
            name: 'S',
            actions: [{ name: 'G', actionTypeId: githubSource('G', 'r')['actionTypeId'] ?? null }]
          }
        ]
      })
    ).toEqual([
      { stage: 'S', action: 'G', owner: '', repo: '', branch: '', pollForSourceChanges: true }
    ])
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
      ...pipeline('p', [githubSource('A', 'a'), githubSource('B', 'b')]),
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

    const tokens = findGitHubSourceActions(patched).length
    expect(tokens).toBe(2)
    const strip = (p: unknown) =>
      JSON.parse(JSON.stringify(p).replace(/"OAuthToken":"[^"]*"/g, '"OAuthToken":"X"'))
    expect(strip(patched)).toEqual(strip(snapshot))
    expect(JSON.stringify(patched).match(/new-token-value/g)).toHaveLength(2)
    expect(JSON.stringify(patched)).toContain('"ApiKey":"****"')
  })

  it('adds a configuration when a GitHub source has none', () => {
    const bare = {
      name: 'p',
      stages: [
        {
          name: 'S',
          actions: [{ name: 'G', actionTypeId: githubSource('G', 'r')['actionTypeId'] ?? null }]
        }
      ]
    }
    expect(JSON.stringify(withGitHubToken(bare, 'tok-1234'))).toContain(
      '"configuration":{"OAuthToken":"tok-1234"}'
    )
  })
})

describe('versionOf', () => {
  it('reads a numeric version only', () => {
    expect(versionOf(pipeline('p', [], 5))).toBe(5)
    expect(versionOf({ version: '5' })).toBeUndefined()
  })
})
