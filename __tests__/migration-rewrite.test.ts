import { describe, it, expect } from '@jest/globals'
import {
  PipelineShapeError,
  findGitHubSourceActions,
  type JsonObject
} from '../src/stores/codepipeline/pipeline-json.js'
import {
  CONNECTION_ACTION_TYPE,
  rewritePipeline
} from '../src/stores/codepipeline/migration/rewrite.js'
import { verifyMigration } from '../src/stores/codepipeline/migration/verify.js'
import { connectionSource, githubSource, pipeline, s3Source } from '../test-support/pipelines.js'

const ARN =
  'arn:aws:codeconnections:us-east-1:123456789012:connection/0a1b2c3d-0000-4000-8000-000000000001'

/** A V2 pipeline with two GitHub sources, members no SDK knows at every level and a custom action's masked secret. */
function corpus(): JsonObject {
  const p = pipeline(
    'full',
    [
      githubSource('App', 'app', {
        poll: 'false',
        extra: {
          futureActionSetting: { deep: [null, 0, 'x'] },
          namespace: 'AppSource',
          region: 'us-east-1'
        }
      }),
      githubSource('Lib', 'lib', { poll: 'true', branch: 'release/1.x' }),
      s3Source('Assets')
    ],
    {
      version: 7,
      extra: {
        pipelineType: 'V2',
        executionMode: 'QUEUED',
        futurePipelineSetting: { mode: 'strict', limits: [1, 2, 3] }
      }
    }
  )
  const stages = p['stages'] as JsonObject[]
  ;(stages[0] as JsonObject)['futureStageSetting'] = 'keep-me'
  stages.push({
    name: 'Deploy',
    actions: [
      {
        name: 'Custom',
        actionTypeId: { category: 'Deploy', owner: 'Custom', provider: 'Mine', version: '1' },
        configuration: { ApiKey: '****', Target: '#{AppSource.CommitId}' },
        runOrder: 2
      }
    ]
  })
  return p
}

const stagesOf = (p: JsonObject) => p['stages'] as { actions: JsonObject[] }[]
const actionOf = (p: JsonObject, stage: number, action: number) =>
  stagesOf(p)[stage]?.actions[action] as JsonObject

describe('rewritePipeline', () => {
  it('replaces only actionTypeId and configuration of each GitHub v1 source, byte for byte elsewhere', () => {
    const original = corpus()
    const snapshot = structuredClone(original)
    const { pipeline: rewritten, actions } = rewritePipeline(original, ARN, [])
    expect(original).toEqual(snapshot) // the input is not mutated
    expect(findGitHubSourceActions(rewritten)).toEqual([])

    expect(actionOf(rewritten, 0, 0)['actionTypeId']).toEqual(CONNECTION_ACTION_TYPE)
    expect(actionOf(rewritten, 0, 0)['configuration']).toEqual({
      ConnectionArn: ARN,
      FullRepositoryId: 'example-org/app',
      BranchName: 'main',
      OutputArtifactFormat: 'CODE_ZIP',
      DetectChanges: 'false'
    })
    // Key order of the new configuration, and of the action around it, is fixed.
    expect(JSON.stringify(actionOf(rewritten, 0, 1)['configuration'])).toBe(
      `{"ConnectionArn":"${ARN}","FullRepositoryId":"example-org/lib","BranchName":"release/1.x","OutputArtifactFormat":"CODE_ZIP","DetectChanges":"true"}`
    )
    expect(Object.keys(actionOf(rewritten, 0, 0))).toEqual(Object.keys(actionOf(original, 0, 0)))

    // Put the two members back as they were: every other byte is the original's, key order included.
    const restored = structuredClone(rewritten)
    for (const [i] of actions.entries()) {
      const a = actionOf(restored, 0, i)
      a['actionTypeId'] = actionOf(original, 0, i)['actionTypeId'] as JsonObject
      a['configuration'] = actionOf(original, 0, i)['configuration'] as JsonObject
    }
    expect(JSON.stringify(restored)).toBe(JSON.stringify(original))

    expect(actions.map((a) => [a.stage, a.action, a.repository, a.branch, a.polled])).toEqual([
      ['Source', 'App', 'example-org/app', 'main', false],
      ['Source', 'Lib', 'example-org/lib', 'release/1.x', true]
    ])
  })

  it('sets DetectChanges "true" when version 1 polled (absent or true) or a webhook targets it', () => {
    const detect = (
      config: JsonObject,
      webhooks: { name: string; targetAction: string }[] = []
    ) => {
      const p = pipeline('p', [
        {
          name: 'G',
          actionTypeId: {
            category: 'Source',
            owner: 'ThirdParty',
            provider: 'GitHub',
            version: '1'
          },
          configuration: { Owner: 'o', Repo: 'r', Branch: 'b', OAuthToken: '****', ...config }
        }
      ])
      const { actions } = rewritePipeline(p, ARN, webhooks)
      return [actions[0]?.configuration['DetectChanges'], actions[0]?.webhooks]
    }
    expect(detect({})).toEqual(['true', []])
    expect(detect({ PollForSourceChanges: 'TRUE' })).toEqual(['true', []])
    expect(detect({ PollForSourceChanges: 'false' })).toEqual(['false', []])
    expect(
      detect({ PollForSourceChanges: 'False' }, [{ name: 'hook', targetAction: 'G' }])
    ).toEqual(['true', ['hook']])
    expect(
      detect({ PollForSourceChanges: 'false' }, [{ name: 'other', targetAction: 'X' }])
    ).toEqual(['false', []])
  })

  it('leaves a pipeline without GitHub v1 sources as it was', () => {
    const p = pipeline('p', [connectionSource('Conn'), s3Source('S3')])
    const { pipeline: out, actions } = rewritePipeline(p, ARN, [])
    expect(actions).toEqual([])
    expect(JSON.stringify(out)).toBe(JSON.stringify(p))
  })

  it.each([
    ['no Repo', { Owner: 'o', Branch: 'b' }, /has no Repo: its repository is not known/],
    ['an empty Branch', { Owner: 'o', Repo: 'r', Branch: ' ' }, /has no Branch/],
    ['a / in Owner', { Owner: 'o/x', Repo: 'r', Branch: 'b' }, /Owner or Repo with a '\/'/],
    [
      'a configuration key AWS added later',
      { Owner: 'o', Repo: 'r', Branch: 'b', FutureSetting: 'x' },
      /has configuration 'FutureSetting', which the CodeStarSourceConnection action has no place for/
    ]
  ])('refuses an action with %s, writing nothing', (_what, configuration, message) => {
    const p = pipeline('p', [
      githubSource('Ok', 'ok'),
      {
        name: 'G',
        actionTypeId: { category: 'Source', owner: 'ThirdParty', provider: 'GitHub', version: '1' },
        configuration
      }
    ])
    expect(() => rewritePipeline(p, ARN, [])).toThrow(PipelineShapeError)
    expect(() => rewritePipeline(p, ARN, [])).toThrow(message)
    expect(() => rewritePipeline(p, ARN, [])).toThrow(/^the GitHub source action 'Source\/G' /)
  })

  it('reads malformed structures without failing, and keeps a member named like a prototype key', () => {
    const github = { category: 'Source', owner: 'ThirdParty', provider: 'GitHub', version: '1' }
    const odd = {
      name: 'odd',
      stages: [
        null,
        { name: 'NoActions' },
        {
          name: 7,
          actions: [
            3,
            {
              name: null,
              actionTypeId: github,
              configuration: { Owner: 'o', Repo: 'r', Branch: 'b' },
              toString: 'kept',
              namespace: 'NS'
            }
          ]
        }
      ]
    } as unknown as JsonObject
    const { pipeline: out, actions } = rewritePipeline(odd, ARN, [])
    expect(actions.map((a) => [a.stage, a.action, a.repository])).toEqual([['', '', 'o/r']])
    const action = (out['stages'] as unknown as { actions: JsonObject[] }[])[2]!.actions[1]!
    expect(action['toString']).toBe('kept')
    expect(Object.keys(action)).toEqual([
      'name',
      'actionTypeId',
      'configuration',
      'toString',
      'namespace'
    ])
    expect(
      rewritePipeline({ name: 'x', stages: {} } as unknown as JsonObject, ARN, []).actions
    ).toEqual([])
  })

  it('refuses a configuration that is not an object, as the rotation does', () => {
    const p = pipeline('p', [{ ...githubSource('G', 'g'), configuration: ['x'] }])
    expect(() => rewritePipeline(p, ARN, [])).toThrow(/has a configuration that is an array/)
  })

  it('refuses when the pipeline reads a variable the connection action does not produce', () => {
    const p = corpus()
    // CommitId is produced by both: fine.
    expect(() => rewritePipeline(p, ARN, [])).not.toThrow()
    const deploy = actionOf(p, 2, 0)
    ;(deploy['configuration'] as JsonObject)['Target'] = 'see #{AppSource.CommitUrl}'
    expect(() => rewritePipeline(p, ARN, [])).toThrow(
      /has variables the CodeStarSourceConnection action does not produce \(CommitterDate, CommitUrl, RepositoryName\), and Deploy\/Custom reads #\{AppSource.CommitUrl\}: it was not moved/
    )
    // Another namespace's CommitUrl is not this action's.
    ;(deploy['configuration'] as JsonObject)['Target'] = '#{OtherSource.CommitUrl}'
    expect(() => rewritePipeline(p, ARN, [])).not.toThrow()
    // A stage condition reading it counts too.
    ;(stagesOf(p)[1] as unknown as JsonObject)['beforeEntry'] = {
      conditions: [{ rules: [{ configuration: { X: '#{AppSource.RepositoryName}' } }] }]
    }
    expect(() => rewritePipeline(p, ARN, [])).toThrow(
      /stage Build reads #\{AppSource.RepositoryName\}/
    )
  })
})

describe('verifyMigration', () => {
  const planned = () => rewritePipeline(corpus(), ARN, [])
  const readBack = (sent: JsonObject, change: (p: JsonObject) => void = () => undefined) => {
    const read = structuredClone(sent)
    read['version'] = (sent['version'] as number) + 1
    change(read)
    return read
  }

  it('passes when the version went up by one and nothing else changed, whatever the key order', () => {
    const { pipeline: sent, actions } = planned()
    const read = readBack(sent)
    const reordered = Object.fromEntries(Object.entries(read).reverse()) as JsonObject
    expect(verifyMigration(sent, reordered, actions)).toEqual({ versionAfter: 8, problems: [] })
  })

  it('names a version that moved by more than one, unless the SDK retried', () => {
    const { pipeline: sent, actions } = planned()
    const read = readBack(sent, (p) => (p['version'] = 9))
    expect(verifyMigration(sent, read, actions).problems).toEqual([
      'the version went from 7 to 9 instead of 8: another change to this pipeline landed at the same time'
    ])
    expect(verifyMigration(sent, read, actions, 2).problems).toEqual([])
    expect(
      verifyMigration(
        sent,
        readBack(sent, (p) => delete p['version']),
        actions
      ).problems
    ).toEqual(['the version could not be compared (before: 7, after: unknown)'])
  })

  it('tells a new action not as planned from another setting that changed', () => {
    const { pipeline: sent, actions } = planned()
    const read = readBack(sent, (p) => {
      ;(actionOf(p, 0, 0)['configuration'] as JsonObject)['DetectChanges'] = 'true'
      ;(actionOf(p, 1, 0)['configuration'] as JsonObject)['ProjectName'] = 'changed'
      ;(p['futurePipelineSetting'] as JsonObject)['mode'] = 'lax'
    })
    expect(verifyMigration(sent, read, actions).problems).toEqual([
      'the new source action is not as planned: Source/App: configuration.DetectChanges: "true" instead of "false"',
      'other settings changed: Build/Build: configuration.ProjectName: "changed" instead of "example-build"; futurePipelineSetting.mode: "lax" instead of "strict"'
    ])
  })

  it('names a stage-level difference by its stage', () => {
    const { pipeline: sent, actions } = planned()
    const read = readBack(sent, (p) => {
      ;(stagesOf(p)[0] as unknown as JsonObject)['futureStageSetting'] = 'changed'
      ;(stagesOf(p)[1] as unknown as JsonObject)['actions'] = []
    })
    expect(verifyMigration(sent, read, actions).problems).toEqual([
      'other settings changed: stage Source: futureStageSetting: "changed" instead of "keep-me"; stage Build: actions: [] instead of [{"name":"Build","actionTypeId":{"category":"Build","owner":"AWS","provider":"Co'
    ])
  })

  it('names places in an odd pipeline by their index', () => {
    const sent = {
      version: 1,
      stages: [{ actions: [{ a: 1 }] }, 'stage'],
      list: [1, 2]
    } as unknown as JsonObject
    const read = {
      version: 2,
      stages: [{ actions: ['x'] }, 'other'],
      list: [1]
    } as unknown as JsonObject
    expect(verifyMigration(sent, read, []).problems).toEqual([
      'other settings changed: 0/0: "x" instead of {"a":1}; stage 1: "other" instead of "stage"; list: [1] instead of [1,2]'
    ])
  })

  it('counts what it does not name', () => {
    const { pipeline: sent, actions } = planned()
    const read = readBack(sent, (p) => {
      for (let i = 0; i < 10; i++) p[`added${i}`] = i
    })
    const [problem] = verifyMigration(sent, read, actions).problems
    expect(problem).toMatch(/^other settings changed: added0: 0 instead of absent; .*; and 2 more$/)
  })
})
