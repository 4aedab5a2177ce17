/**
 * The run, wired: the secret inputs first (masked, removed from the
 * environment), then the other inputs, the AWS clients, the stores, the
 * token gate and the retire step, and the flow that drives them
 * (core/flow.ts). run() never throws: any failure fails the step.
 */
import { perRegion, type AwsSettings } from './aws/client.js'
import { resolveCredentials } from './aws/credentials.js'
import { messageOf } from './core/errors.js'
import { runFlow } from './core/flow.js'
import { createLimit } from './core/limit.js'
import * as log from './core/log.js'
import { StepFailure } from './core/report.js'
import { checkRunnerFiles } from './core/runner.js'
import { tokenGate } from './gate/gate.js'
import { createGitHubClient, type GitHubClient } from './github/api.js'
import { parseInputs } from './inputs/parse.js'
import { readTokens, type Tokens } from './inputs/tokens.js'
import type { Inputs } from './inputs/types.js'
import { retireStep } from './retire/retire.js'
import { createCodeBuildApi, type CodeBuildApi } from './stores/codebuild/api.js'
import { codebuildStore } from './stores/codebuild/store.js'
import { createStacksApi, type StacksApi } from './stores/cloudformation/api.js'
import { stackStore } from './stores/cloudformation/store.js'
import {
  createPipelineApi,
  createPipelineWebhookApi,
  type PipelineApi
} from './stores/codepipeline/api.js'
import {
  createConnectionsApi,
  createPolicySimulatorApi
} from './stores/codepipeline/migration/api.js'
import type { MigrationServices } from './stores/codepipeline/migration/checks.js'
import { pipelineRegions } from './stores/codepipeline/plan.js'
import { pipelineStore } from './stores/codepipeline/store.js'
import type { Clock } from './stores/codepipeline/types.js'
import { createSecretsApi, type SecretsApi } from './stores/secrets-manager/api.js'
import { secretsStore } from './stores/secrets-manager/store.js'
import { entryRegions } from './inputs/refs.js'
import { createParametersApi, type ParametersApi } from './stores/ssm/api.js'
import { parameterStore } from './stores/ssm/store.js'

/** The AWS collaborators, one per service and region; tests pass their own. */
export interface Services {
  pipelines: (region: string) => PipelineApi
  codebuild: (region: string) => CodeBuildApi
  secrets: (region: string) => SecretsApi
  parameters: (region: string) => ParametersApi
  stacks: (region: string) => StacksApi
  /** The calls of a migration (connection-arn); each client is built on first use. */
  migration?: MigrationServices
}

export function createServices(settings: AwsSettings): Services {
  return {
    pipelines: perRegion((region) => createPipelineApi(settings, region)),
    codebuild: perRegion((region) => createCodeBuildApi(settings, region)),
    secrets: perRegion((region) => createSecretsApi(settings, region)),
    parameters: perRegion((region) => createParametersApi(settings, region)),
    stacks: perRegion((region) => createStacksApi(settings, region)),
    migration: {
      connections: createConnectionsApi(settings),
      simulator: perRegion((region) => createPolicySimulatorApi(settings, region)),
      webhooks: perRegion((region) => createPipelineWebhookApi(settings, region))
    }
  }
}

/** What the tests pass in instead of AWS, GitHub and time. */
export interface RunOptions {
  services?: (settings: AwsSettings) => Services
  github?: (baseUrl: string) => GitHubClient
  clock?: Clock
}

/** Once, then every 25th time: enough to explain a slow run without flooding the log. */
function throttleLogger(): AwsSettings['onThrottle'] {
  const seen = new Map<string, number>()
  return (region, operation) => {
    const key = `${region} ${operation}`
    const count = (seen.get(key) ?? 0) + 1
    seen.set(key, count)
    if (count === 1 || count % 25 === 0) {
      log.info(
        `AWS is throttling ${operation} in ${region} (${count}x so far): slowing down and retrying`
      )
    }
  }
}

/** Every region the run touches, in the order the inputs name them. */
function allRegions(inputs: Inputs): string[] {
  return [
    ...new Set([
      ...inputs.regions,
      ...pipelineRegions(inputs),
      ...entryRegions([...inputs.secrets, ...inputs.parameters], inputs.regions)
    ])
  ]
}

async function rotate(inputs: Inputs, tokens: Tokens, options: RunOptions): Promise<void> {
  const regions = allRegions(inputs)
  const settings: AwsSettings = {
    credentials: await resolveCredentials({
      roleArn: inputs.roleToAssume,
      sessionName: inputs.roleSessionName,
      region: regions[0] ?? 'us-east-1',
      requestTimeoutMs: inputs.awsTimeoutSeconds * 1000
    }),
    maxConcurrency: inputs.maxConcurrency,
    requestTimeoutMs: inputs.awsTimeoutSeconds * 1000,
    onThrottle: throttleLogger()
  }
  const services = (options.services ?? createServices)(settings)
  const { clock } = options
  const github = (
    options.github ??
    ((baseUrl) =>
      createGitHubClient(baseUrl, {
        // The run's one clock: GitHub's rate-limit waits keep the time it keeps.
        ...(clock && { now: () => clock.now(), sleep: (ms) => clock.sleep(ms) }),
        onWait: (ms, reason) => log.info(`Waiting ${Math.ceil(ms / 1000)} s for GitHub: ${reason}`)
      }))
  )(inputs.githubApiUrl)
  const limit = createLimit(inputs.maxConcurrency)
  const { token } = tokens

  const pipelines = pipelineStore(inputs, {
    apiFor: services.pipelines,
    limit,
    token,
    // With nothing checked between reading and writing, each pipeline is
    // written as soon as it is read (a migration checks first).
    writeOnRead: !inputs.dryRun && !inputs.verifyToken && !inputs.connection,
    onPlanned: (target) => gate.consider(target),
    recheck: (target) => gate.recheck(target),
    ...(services.migration && { migration: services.migration }),
    ...(options.clock && { clock: options.clock })
  })
  // Secrets and parameters plan once the stores that find them are done.
  const parameters = parameterStore(inputs, {
    apiFor: services.parameters,
    limit,
    token,
    previous: tokens.previous,
    after: () => [stacks]
  })
  const secrets = secretsStore(inputs, {
    apiFor: services.secrets,
    limit,
    token,
    previous: tokens.previous,
    after: () => [stacks, codebuild]
  })
  const stacks = stackStore(inputs, {
    apiFor: services.stacks,
    limit,
    pipelines,
    secrets,
    parameters
  })
  const codebuild = codebuildStore(inputs, {
    apiFor: services.codebuild,
    limit,
    token,
    secrets,
    // The projects' repositories are checked with the pipelines' (issue 18).
    onPlanned: (target) => gate.consider(target),
    refusals: (region) => gate.refusals(region)
  })

  const gate = tokenGate(inputs, {
    github: github.as(token),
    token,
    targets: () => [...pipelines.targets(), ...codebuild.targets()]
  })
  log.info(
    `${inputs.dryRun ? 'Dry run — planning only, nothing will be written' : 'Rotating'} in ${regions.join(', ')}`
  )
  await runFlow({
    title: 'GitHub token rotation',
    dryRun: inputs.dryRun,
    regions,
    stores: [pipelines, codebuild, stacks, secrets, parameters],
    gate,
    retire: retireStep({
      client: github,
      token,
      previous: tokens.previous,
      githubApiUrl: inputs.githubApiUrl,
      checked: () => gate.result()
    })
  })
}

export async function run(options: RunOptions = {}): Promise<void> {
  try {
    const tokens = readTokens()
    checkRunnerFiles()
    const inputs = parseInputs(tokens.previous !== undefined)
    await rotate(inputs, tokens, options)
  } catch (error) {
    log.fail(error instanceof StepFailure ? error.lines : [messageOf(error)])
  }
}
