/**
 * The run, wired: the secret inputs first (masked, removed from the
 * environment), then the other inputs, the AWS clients and the stores (all
 * from the registry, stores/registry.ts), the token gate and the retire
 * step, and the flow that drives them (core/flow.ts). run() never throws:
 * any failure fails the step.
 */
import type { AwsSettings } from './aws/client.js'
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
import type { Clock } from './stores/codepipeline/types.js'
import { stores as registry, type Services } from './stores/registry.js'

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

async function rotate(inputs: Inputs, tokens: Tokens, options: RunOptions): Promise<void> {
  const regions = registry.regions(inputs)
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
  const services = (options.services ?? registry.services)(settings)
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
  const { token } = tokens
  const { stores, flow } = registry.create(inputs, {
    services,
    limit: createLimit(inputs.maxConcurrency),
    token,
    previous: tokens.previous,
    clock
  })
  const gate = tokenGate(inputs, {
    github: github.as(token),
    token,
    targets: () => [...stores.pipelines.targets(), ...stores.codebuild.targets()]
  })
  stores.pipelines.onPlanned((target) => gate.consider(target))
  stores.pipelines.recheckWith((target) => gate.recheck(target))
  // Each pipeline is written as soon as the token check passes for it (issue 17).
  if (gate.clearance) stores.pipelines.clearWith(gate.clearance)
  // The projects' repositories are checked with the pipelines' (issue 18).
  stores.codebuild.onPlanned((target) => gate.consider(target))
  stores.codebuild.refuseWith((region) => gate.refusals(region))
  log.info(
    `${inputs.dryRun ? 'Dry run — planning only, nothing will be written' : 'Rotating'} in ${regions.join(', ')}`
  )
  await runFlow({
    title: 'GitHub token rotation',
    dryRun: inputs.dryRun,
    regions,
    stores: flow,
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
