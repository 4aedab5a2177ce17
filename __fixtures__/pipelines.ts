import type { JsonObject } from '../src/pipeline-json.js'

/** A GitHub (version 1) source action as GetPipeline returns it (token masked). */
export function githubSource(name: string, repo: string, extra: JsonObject = {}): JsonObject {
  return {
    name,
    actionTypeId: { category: 'Source', owner: 'ThirdParty', provider: 'GitHub', version: '1' },
    runOrder: 1,
    configuration: {
      Owner: 'example-org',
      Repo: repo,
      Branch: 'main',
      OAuthToken: '****',
      PollForSourceChanges: 'false'
    },
    outputArtifacts: [{ name: `${name}Out` }],
    inputArtifacts: [],
    ...extra
  }
}

export function connectionSource(name: string): JsonObject {
  return {
    name,
    actionTypeId: {
      category: 'Source',
      owner: 'AWS',
      provider: 'CodeStarSourceConnection',
      version: '1'
    },
    configuration: {
      ConnectionArn: 'arn:aws:codeconnections:us-east-1:123456789012:connection/example',
      FullRepositoryId: 'example-org/app',
      BranchName: 'main'
    },
    outputArtifacts: [{ name: 'Src' }]
  }
}

export function buildAction(name = 'Build'): JsonObject {
  return {
    name,
    actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' },
    configuration: { ProjectName: 'example-build' },
    inputArtifacts: [{ name: 'SourceOut' }]
  }
}

export function pipeline(name: string, sources: JsonObject[], version = 3): JsonObject {
  return {
    name,
    roleArn: 'arn:aws:iam::123456789012:role/pipeline-role',
    artifactStore: { type: 'S3', location: 'example-artifacts' },
    stages: [
      { name: 'Source', actions: sources },
      { name: 'Build', actions: [buildAction()] }
    ],
    version
  }
}
