/**
 * A whole typed Inputs for unit tests that build one without parsing: the
 * action's defaults (one region, nothing selected, the token checked), with
 * what the test needs on top. Type imports only from src/.
 */
import type { Inputs } from '../src/inputs/types.js'

export function inputsOf(overrides: Partial<Inputs> = {}): Inputs {
  return {
    pipelines: [],
    regions: ['us-east-1'],
    dryRun: false,
    codebuild: {
      mode: 'off',
      serverType: 'GITHUB',
      authType: 'PERSONAL_ACCESS_TOKEN',
      username: undefined
    },
    secrets: [],
    parameters: [],
    followStacks: true,
    inProgress: { mode: 'wait', timeoutSeconds: 1800 },
    roleToAssume: undefined,
    roleSessionName: 'test',
    githubApiUrl: 'https://api.github.com',
    bitbucketApiUrl: 'https://api.bitbucket.org/2.0',
    verifyToken: true,
    minDaysLeft: 7,
    maxConcurrency: 8,
    awsTimeoutSeconds: 30,
    retirePrevious: false,
    ...overrides
  }
}
