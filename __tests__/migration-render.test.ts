import { describe, it, expect } from '@jest/globals'
import { load } from 'js-yaml'
import { renderSummary } from '../src/core/report.js'
import {
  describeMigratedAction,
  readinessHeadline,
  readinessSection,
  type Readiness
} from '../src/stores/codepipeline/migration/render.js'
import { rewritePipeline } from '../src/stores/codepipeline/migration/rewrite.js'
import {
  describeTemplateChange,
  templateChange,
  templateChangeLines
} from '../src/stores/codepipeline/migration/template.js'
import { githubSource, pipeline } from '../test-support/pipelines.js'

const ARN =
  'arn:aws:codeconnections:us-east-1:123456789012:connection/0a1b2c3d-0000-4000-8000-000000000001'

const rewrite = () =>
  rewritePipeline(
    pipeline('app', [githubSource('App', 'app'), githubSource('Lib', 'lib', { poll: 'true' })]),
    ARN,
    [{ name: 'app-hook', targetAction: 'App' }]
  )

describe('describeMigratedAction', () => {
  it('shows the exact new action, why DetectChanges is what it is, and the webhook', () => {
    const [app, lib] = rewrite().actions
    expect(describeMigratedAction(app!)).toBe(
      `Source/App → CodeStarSourceConnection {ConnectionArn: "${ARN}", FullRepositoryId: "example-org/app", BranchName: "main", OutputArtifactFormat: "CODE_ZIP", DetectChanges: "true"} (DetectChanges true: webhook app-hook started it); webhook app-hook deregistered from GitHub and deleted`
    )
    expect(describeMigratedAction(lib!)).toMatch(
      /DetectChanges: "true"\} \(DetectChanges true: version 1 polled\)$/
    )
    const quiet = rewritePipeline(pipeline('q', [githubSource('Q', 'q')]), ARN, []).actions[0]!
    expect(describeMigratedAction(quiet)).toMatch(
      /DetectChanges: "false"\} \(DetectChanges false: version 1 neither polled nor had a webhook\)$/
    )
  })
})

describe('the template change of a stack-owned pipeline', () => {
  const change = () => {
    const { actions } = rewrite()
    return templateChange('app-stack', 'Pipeline', 'app', actions, [
      { name: 'app-hook', targetPipeline: 'app', targetAction: 'App', arn: undefined }
    ])
  }

  it("names the action's new ActionTypeId and Configuration, and the webhook to remove", () => {
    expect(change()).toEqual({
      stack: 'app-stack',
      logicalId: 'Pipeline',
      pipeline: 'app',
      actions: [
        {
          stage: 'Source',
          action: 'App',
          ActionTypeId: {
            Category: 'Source',
            Owner: 'AWS',
            Provider: 'CodeStarSourceConnection',
            Version: '1'
          },
          Configuration: {
            ConnectionArn: ARN,
            FullRepositoryId: 'example-org/app',
            BranchName: 'main',
            OutputArtifactFormat: 'CODE_ZIP',
            DetectChanges: 'true'
          }
        },
        expect.objectContaining({ action: 'Lib' })
      ],
      removeWebhooks: [{ name: 'app-hook', targetAction: 'App' }]
    })
  })

  it('renders YAML that reads back as the change, and one line for the report', () => {
    const lines = templateChangeLines(change())
    expect(lines[0]).toBe('# stack app-stack, resource Pipeline: pipeline app')
    expect(lines.at(-1)).toBe(
      '# remove the AWS::CodePipeline::Webhook resource of webhook app-hook (TargetPipeline app, TargetAction App)'
    )
    const firstAction = lines.slice(
      2,
      lines.indexOf(lines.find((l, i) => i > 2 && l.startsWith('#'))!)
    )
    expect(load(firstAction.join('\n'))).toEqual({
      Name: 'App',
      ActionTypeId: change().actions[0]!.ActionTypeId,
      Configuration: change().actions[0]!.Configuration
    })
    expect(lines.every((l) => !l.includes('\n'))).toBe(true)

    const line = describeTemplateChange(change())
    expect(line).toMatch(
      /^not migrated in place — stack app-stack, resource Pipeline would put GitHub version 1 back on its next update; change the template: in Stages Source → Actions App set ActionTypeId \{Category: Source, Owner: AWS, Provider: CodeStarSourceConnection, Version: "1"\} and Configuration \{ConnectionArn: /
    )
    expect(line).toContain('DetectChanges: "true"} (OAuthToken and PollForSourceChanges go)')
    expect(line).toMatch(/; remove the AWS::CodePipeline::Webhook app-hook \(TargetAction App\)$/)
    const noId = templateChange('s', undefined, 'app', [], [])
    expect(describeTemplateChange(noId)).toMatch(/^not migrated in place — stack s would put/)
  })
})

describe('the "Moving off GitHub version 1" section', () => {
  const facts: Readiness[] = [
    { region: 'us-east-1', pipeline: 'a', actions: ['Source/App'] },
    { region: 'us-east-1', pipeline: 'b', actions: ['Source/B'], migrated: true },
    {
      region: 'us-east-1',
      pipeline: 'c',
      actions: ['Source/C', 'Source/D'],
      blocker: { kind: 'stack', stack: 'c-stack' }
    },
    { region: 'af-south-1', pipeline: 'd', actions: ['Source/App'], blocker: { kind: 'region' } },
    {
      region: 'eu-west-1',
      pipeline: 'e',
      actions: [],
      blocker: { kind: 'other', reason: 'connection X is PENDING' }
    }
  ]

  it('counts the pipelines that still hold a token and says for each whether it could move', () => {
    expect(readinessHeadline(facts)).toBe(
      '4 pipeline(s) still hold a GitHub token, 1 could move to a connection, 1 moved in this run'
    )
    expect(readinessSection(facts)).toEqual({
      title:
        'Moving off GitHub version 1 — 4 pipeline(s) still hold a GitHub token, 1 could move to a connection, 1 moved in this run',
      headers: ['Region', 'Pipeline', 'GitHub (version 1) actions', 'Could it move?'],
      rows: [
        [
          'us-east-1',
          'a',
          'Source/App',
          'yes: set connection-arn to move it to a CodeConnections connection'
        ],
        ['us-east-1', 'b', 'Source/B', 'moved to the connection in this run: no token any more'],
        [
          'us-east-1',
          'c',
          'Source/C, Source/D',
          'not in place: stack c-stack owns it — change its template (a run with connection-arn shows the change)'
        ],
        ['af-south-1', 'd', 'Source/App', 'no: af-south-1 has no CodeConnections'],
        ['eu-west-1', 'e', '–', 'not yet: connection X is PENDING']
      ]
    })
  })

  it('shows a row even when no pipeline holds a token, so the summary always has the section', () => {
    expect(readinessHeadline([])).toBe('0 pipeline(s) still hold a GitHub token')
    const section = readinessSection([])
    expect(section.rows).toEqual([['–', '–', '–', 'no selected pipeline holds a GitHub token']])
    expect(renderSummary('t', [], [section], [])).toContain(
      '### Moving off GitHub version 1 — 0 pipeline(s) still hold a GitHub token'
    )
  })
})
