/**
 * Pipeline declarations for tests, the demo and the benchmark: one builder per
 * kind of action (GitHub version 1 source, CodeConnections source, S3 source,
 * CodeBuild build) and one for a whole pipeline. Plain JSON, as CreatePipeline
 * takes it and GetPipeline returns it; a GitHub source holds `token`, or the
 * masked `****` GetPipeline shows when no token is given.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
export type JsonObject = { [key: string]: Json }

/** The account moto (and the launcher) use unless told otherwise. */
export const ACCOUNT = '123456789012'
/** How GetPipeline shows a secret action property. */
const MASKED = '****'

export interface GitHubSourceOptions {
  /** The OAuthToken. Default: `****`, the form GetPipeline returns (CreatePipeline refuses it). */
  token?: string
  /** PollForSourceChanges. Default `'false'` (webhooks). */
  poll?: 'true' | 'false'
  /** Default `example-org`. */
  owner?: string
  /** Default `main`. */
  branch?: string
  /** Members added to (or replacing those of) the action, e.g. `namespace`. */
  extra?: JsonObject
}

/** A GitHub (version 1) source action; its output artifact is `${name}Out`. */
export function githubSource(
  name: string,
  repo: string,
  {
    token = MASKED,
    poll = 'false',
    owner = 'example-org',
    branch = 'main',
    extra = {}
  }: GitHubSourceOptions = {}
): JsonObject {
  return {
    name,
    actionTypeId: { category: 'Source', owner: 'ThirdParty', provider: 'GitHub', version: '1' },
    runOrder: 1,
    configuration: {
      Owner: owner,
      Repo: repo,
      Branch: branch,
      OAuthToken: token,
      PollForSourceChanges: poll
    },
    outputArtifacts: [{ name: `${name}Out` }],
    inputArtifacts: [],
    ...extra
  }
}

export interface ConnectionSourceOptions {
  /** Default: a connection named `example` in us-east-1 of ACCOUNT. */
  connectionArn?: string
  /** FullRepositoryId. Default `example-org/app`. */
  repository?: string
  branch?: string
  /** The output artifact. Default `SourceOut`. */
  output?: string
  extra?: JsonObject
}

/** A CodeConnections (CodeStarSourceConnection) source: no token to rotate. */
export function connectionSource(
  name: string,
  {
    connectionArn = `arn:aws:codeconnections:us-east-1:${ACCOUNT}:connection/example`,
    repository = 'example-org/app',
    branch = 'main',
    output = 'SourceOut',
    extra = {}
  }: ConnectionSourceOptions = {}
): JsonObject {
  return {
    name,
    actionTypeId: {
      category: 'Source',
      owner: 'AWS',
      provider: 'CodeStarSourceConnection',
      version: '1'
    },
    configuration: {
      ConnectionArn: connectionArn,
      FullRepositoryId: repository,
      BranchName: branch
    },
    outputArtifacts: [{ name: output }],
    ...extra
  }
}

export interface S3SourceOptions {
  bucket?: string
  key?: string
  poll?: 'true' | 'false'
  extra?: JsonObject
}

/** An S3 source action; its output artifact is `${name}Out`. */
export function s3Source(
  name: string,
  {
    bucket = 'example-assets',
    key = 'assets.zip',
    poll = 'false',
    extra = {}
  }: S3SourceOptions = {}
): JsonObject {
  return {
    name,
    actionTypeId: { category: 'Source', owner: 'AWS', provider: 'S3', version: '1' },
    runOrder: 1,
    configuration: { S3Bucket: bucket, S3ObjectKey: key, PollForSourceChanges: poll },
    outputArtifacts: [{ name: `${name}Out` }],
    ...extra
  }
}

export interface BuildActionOptions {
  /** The input artifact. Default `SourceOut`. */
  input?: string
  /** ProjectName. Default `example-build`. */
  project?: string
  /** The EnvironmentVariables configuration string, when given. */
  environmentVariables?: string
  runOrder?: number
  /** An output artifact, when given. */
  output?: string
  extra?: JsonObject
}

/** A CodeBuild build action. Without options: the smallest form (no runOrder, no output). */
export function buildAction(
  name = 'Build',
  {
    input = 'SourceOut',
    project = 'example-build',
    environmentVariables,
    runOrder,
    output,
    extra = {}
  }: BuildActionOptions = {}
): JsonObject {
  const configuration: JsonObject = { ProjectName: project }
  if (environmentVariables !== undefined)
    configuration['EnvironmentVariables'] = environmentVariables
  return {
    name,
    actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' },
    ...(runOrder === undefined ? {} : { runOrder }),
    configuration,
    inputArtifacts: [{ name: input }],
    ...(output === undefined ? {} : { outputArtifacts: [{ name: output }] }),
    ...extra
  }
}

export interface PipelineOptions {
  /** Default: the role createServiceRole() makes, `pipeline-role` in ACCOUNT. */
  roleArn?: string
  /** The artifact bucket (a single-region artifactStore). Default `example-artifacts`. */
  artifactBucket?: string
  /**
   * The Build stage's actions. Default: one buildAction() reading the first
   * source's output artifact. `false`: no Build stage (AWS wants two stages).
   */
  build?: JsonObject[] | false
  /** The declaration's `version` (GetPipeline returns one; CreatePipeline needs none). */
  version?: number
  /** Members added to (or replacing those of) the declaration: pipelineType, variables, ... */
  extra?: JsonObject
}

/** The name of an action's first output artifact. */
function firstOutput(action: JsonObject | undefined): string | undefined {
  const outputs = action?.['outputArtifacts']
  if (!Array.isArray(outputs)) return undefined
  const first = outputs[0]
  if (first === null || typeof first !== 'object' || Array.isArray(first)) return undefined
  return typeof first['name'] === 'string' ? first['name'] : undefined
}

/**
 * A pipeline with a Source stage holding `sources` and a Build stage. A
 * number as the third argument is the version (the unit fixtures' form).
 */
export function pipeline(
  name: string,
  sources: JsonObject[],
  options: PipelineOptions | number = {}
): JsonObject {
  const {
    roleArn = `arn:aws:iam::${ACCOUNT}:role/pipeline-role`,
    artifactBucket = 'example-artifacts',
    build = [buildAction('Build', { input: firstOutput(sources[0]) ?? 'SourceOut' })],
    version,
    extra = {}
  } = typeof options === 'number' ? { version: options } : options
  return {
    name,
    roleArn,
    artifactStore: { type: 'S3', location: artifactBucket },
    stages: [
      { name: 'Source', actions: sources },
      ...(build === false ? [] : [{ name: 'Build', actions: build }])
    ],
    ...(version === undefined ? {} : { version }),
    ...extra
  }
}

/**
 * Sets `token` as the OAuthToken of every GitHub (version 1) source of
 * `declaration`, in place (no copy: the benchmark's floor calls it per
 * pipeline), and returns it.
 */
export function setGitHubToken<T extends JsonObject>(declaration: T, token: string): T {
  const stages = declaration['stages']
  if (!Array.isArray(stages)) return declaration
  for (const stage of stages) {
    if (stage === null || typeof stage !== 'object' || Array.isArray(stage)) continue
    const actions = stage['actions']
    if (!Array.isArray(actions)) continue
    for (const action of actions) {
      if (action === null || typeof action !== 'object' || Array.isArray(action)) continue
      const type = action['actionTypeId']
      const configuration = action['configuration']
      if (
        type !== null &&
        typeof type === 'object' &&
        !Array.isArray(type) &&
        type['owner'] === 'ThirdParty' &&
        type['provider'] === 'GitHub' &&
        configuration !== null &&
        typeof configuration === 'object' &&
        !Array.isArray(configuration)
      ) {
        configuration['OAuthToken'] = token
      }
    }
  }
  return declaration
}

// ------------------------------------------------------------------ issue 19: webhooks, connections

/** The SecretToken of test webhooks (GitHub signs its payloads with it): obviously fake. */
export const WEBHOOK_SECRET = 'e2e-webhook-secret-not-a-secret'

/**
 * The webhook the console makes for a GitHub (version 1) source that does not
 * poll: GitHub's HMAC, a push to the action's branch. The form PutWebhook takes.
 */
export function githubWebhook(name: string, pipeline: string, action: string) {
  return {
    name,
    targetPipeline: pipeline,
    targetAction: action,
    filters: [{ jsonPath: '$.ref', matchEquals: 'refs/heads/{Branch}' }],
    authentication: 'GITHUB_HMAC' as const,
    authenticationConfiguration: { SecretToken: WEBHOOK_SECRET }
  }
}

/**
 * An IAM policy document that lets a pipeline's role use a connection: the
 * action's prefix is the ARN's (codeconnections or codestar-connections).
 */
export function useConnectionPolicy(connectionArn: string): JsonObject {
  const prefix = connectionArn.split(':')[2] ?? 'codeconnections'
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: `${prefix}:UseConnection`, Resource: connectionArn }]
  }
}

/**
 * A CloudFormation template resource for pipeline `name` with one GitHub
 * (version 1) source action from example-org/`repo`, its OAuthToken as given
 * (a dynamic reference, a { Ref } to a parameter, …).
 */
export function pipelineResource(name: string, oauthToken: unknown, repo = name): JsonObject {
  return {
    Type: 'AWS::CodePipeline::Pipeline',
    Properties: {
      Name: name,
      Stages: [
        {
          Name: 'Source',
          Actions: [
            {
              Name: 'Source',
              ActionTypeId: {
                Category: 'Source',
                Owner: 'ThirdParty',
                Provider: 'GitHub',
                Version: '1'
              },
              Configuration: {
                Owner: 'example-org',
                Repo: repo,
                Branch: 'main',
                OAuthToken: oauthToken
              }
            }
          ]
        }
      ]
    }
  } as JsonObject
}
