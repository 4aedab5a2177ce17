/**
 * The e2e tests' pipelines: a corpus with everything a rotation must not lose
 * (variables, execution mode, conditions, cross-region actions, a custom
 * action's secret, members no SDK knows), built from ./pipelines.ts, and the
 * helpers that compare pipelines before and after a rotation.
 */
import {
  ACCOUNT,
  awsJson,
  createPipeline,
  createServiceRole,
  type EmulatorLike
} from './emulator.js'
import {
  buildAction,
  connectionSource,
  githubSource,
  pipeline,
  s3Source,
  type JsonObject
} from './pipelines.js'

/** Secrets as stored before a rotation; GetPipeline masks them as ****. */
export const OLD_TOKEN = 'e2e-old-token-not-a-secret'
export const CUSTOM_SECRET = 'e2e-custom-action-secret'

const github = (
  name: string,
  repo: string,
  poll: 'true' | 'false' = 'false',
  extra: JsonObject = {}
) => githubSource(name, repo, { token: OLD_TOKEN, poll, extra })

const build = (name: string, input: string, extra: JsonObject = {}) =>
  buildAction(name, {
    input,
    runOrder: 1,
    environmentVariables: '[{"name":"STAGE","value":"#{variables.DeployEnv}"}]',
    output: `${name}Out`,
    extra
  })

/**
 * A V2 pipeline with everything a rotation must not lose: variables,
 * execution mode, stage conditions with retry, cross-region actions with
 * roleArn/region/namespace, two GitHub sources beside an S3 source, a custom
 * action with its own secret, and members no SDK knows at every level.
 */
function fullV2(roleArn: string) {
  return {
    name: 'full-v2',
    roleArn,
    pipelineType: 'V2',
    executionMode: 'QUEUED',
    variables: [{ name: 'DeployEnv', defaultValue: 'prod', description: 'where to deploy' }],
    artifactStores: {
      'us-east-1': { type: 'S3', location: 'example-artifacts-use1' },
      'eu-west-1': {
        type: 'S3',
        location: 'example-artifacts-euw1',
        encryptionKey: { id: `arn:aws:kms:eu-west-1:${ACCOUNT}:alias/artifacts`, type: 'KMS' }
      }
    },
    futurePipelineSetting: { mode: 'strict', limits: [1, 2, 3], enabled: true },
    stages: [
      {
        name: 'Source',
        futureStageSetting: 'keep-me',
        actions: [
          github('App', 'app', 'false', {
            futureActionSetting: { depth: { deeper: [null, 0, 'x'] } }
          }),
          github('Lib', 'lib', 'true', { namespace: 'LibSource' }),
          s3Source('Assets', { bucket: 'example-assets', key: 'assets.zip' })
        ]
      },
      {
        name: 'Build',
        onFailure: { result: 'RETRY', retryConfiguration: { retryMode: 'FAILED_ACTIONS' } },
        beforeEntry: {
          conditions: [
            {
              result: 'FAIL',
              rules: [
                {
                  name: 'NoAlarms',
                  ruleTypeId: {
                    category: 'Rule',
                    owner: 'AWS',
                    provider: 'CloudWatchAlarm',
                    version: '1'
                  },
                  configuration: { AlarmName: 'deploy-alarm', WaitTime: '1' },
                  region: 'us-east-1'
                }
              ]
            }
          ]
        },
        actions: [build('Build', 'AppOut', { namespace: 'BuildVariables' })]
      },
      {
        name: 'Deploy',
        onSuccess: {
          conditions: [
            {
              result: 'ROLLBACK',
              rules: [
                {
                  name: 'Check',
                  ruleTypeId: {
                    category: 'Rule',
                    owner: 'AWS',
                    provider: 'CloudWatchAlarm',
                    version: '1'
                  },
                  configuration: { AlarmName: 'post' }
                }
              ]
            }
          ]
        },
        actions: [
          {
            name: 'DeployEU',
            actionTypeId: {
              category: 'Deploy',
              owner: 'AWS',
              provider: 'CloudFormation',
              version: '1'
            },
            runOrder: 1,
            region: 'eu-west-1',
            roleArn: `arn:aws:iam::${ACCOUNT}:role/cross-region-deployer`,
            namespace: 'DeployVariables',
            configuration: {
              ActionMode: 'CREATE_UPDATE',
              StackName: 'example-stack',
              TemplatePath: 'BuildOut::template.yml',
              RoleArn: `arn:aws:iam::${ACCOUNT}:role/cfn-exec`
            },
            inputArtifacts: [{ name: 'BuildOut' }],
            futureActionSetting: 42
          },
          {
            name: 'Notify',
            actionTypeId: {
              category: 'Deploy',
              owner: 'Custom',
              provider: 'AcmeDeploy',
              version: '1'
            },
            runOrder: 2,
            configuration: { ApiKey: CUSTOM_SECRET, Target: 'production' },
            inputArtifacts: [{ name: 'BuildOut' }]
          }
        ]
      }
    ]
  }
}

export function classicV1(roleArn: string, name = 'classic-v1', repo = 'classic') {
  return pipeline(name, [github('Source', repo)], {
    roleArn,
    build: [build('Build', 'SourceOut')]
  })
}

function connectionsOnly(roleArn: string) {
  return pipeline('connections-only', [connectionSource('Source', { output: 'SourceOut' })], {
    roleArn,
    build: [build('Build', 'SourceOut')],
    extra: {
      pipelineType: 'V2',
      triggers: [
        {
          providerType: 'CodeStarSourceConnection',
          gitConfiguration: {
            sourceActionName: 'Source',
            push: [{ branches: { includes: ['main'] } }]
          }
        }
      ]
    }
  })
}

/** The custom action type whose ApiKey property is secret (so AWS masks it). */
async function createCustomActionType(emulator: EmulatorLike, region: string) {
  await awsJson(emulator, region, 'CodePipeline_20150709.CreateCustomActionType', {
    category: 'Deploy',
    provider: 'AcmeDeploy',
    version: '1',
    settings: { entityUrlTemplate: 'https://deploy.example.com/' },
    configurationProperties: [
      {
        name: 'ApiKey',
        required: true,
        key: false,
        secret: true,
        queryable: false,
        type: 'String'
      },
      { name: 'Target', required: true, key: true, secret: false, queryable: false, type: 'String' }
    ],
    inputArtifactDetails: { minimumCount: 0, maximumCount: 1 },
    outputArtifactDetails: { minimumCount: 0, maximumCount: 1 }
  })
}

/** us-east-1: full-v2, classic-v1, connections-only; eu-west-1: eu-app. */
export async function seedCorpus(emulator: EmulatorLike) {
  const roleArn = await createServiceRole(emulator)
  await createCustomActionType(emulator, 'us-east-1')
  await createPipeline(emulator, 'us-east-1', fullV2(roleArn))
  await createPipeline(emulator, 'us-east-1', classicV1(roleArn))
  await createPipeline(emulator, 'us-east-1', connectionsOnly(roleArn))
  await createPipeline(emulator, 'eu-west-1', classicV1(roleArn, 'eu-app', 'eu-app'))
  return roleArn
}

type Pipeline = Record<string, unknown>

/** Replaces every GitHub OAuthToken with a marker and drops the version: what a rotation may change. */
export function withoutTokenAndVersion(pipeline: Pipeline): unknown {
  const copy = JSON.parse(JSON.stringify(pipeline)) as Pipeline
  delete copy['version']
  for (const stage of copy['stages'] as {
    actions: { configuration?: Record<string, string> }[]
  }[]) {
    for (const action of stage.actions) {
      if (action.configuration && 'OAuthToken' in action.configuration) {
        action.configuration['OAuthToken'] = 'X'
      }
    }
  }
  return copy
}

/** Every OAuthToken value in a stored (unmasked) pipeline, in order. */
export function oauthTokens(pipeline: Pipeline): string[] {
  return [...JSON.stringify(pipeline).matchAll(/"OAuthToken":\s*"([^"]*)"/g)].map((m) => m[1] ?? '')
}
