import * as core from '@actions/core'
import pLimit from 'p-limit'
import type { AwsSettings } from './aws.js'
import { createCodeBuildApi, codebuildStore, type CodeBuildApi } from './codebuild.js'
import { createPipelineApi, type PipelineApi } from './codepipeline.js'
import { resolveCredentials } from './credentials.js'
import { messageOf, redact, registerSecret } from './errors.js'
import { tokenStore, type GitHubApi } from './github.js'
import { parseInputs, readToken, type Inputs } from './inputs.js'
import { pipelineRegions, pipelineStore } from './pipelines.js'
import { createStackOwners } from './tagging.js'
import { printRegionLogs, renderMarkdown, setJsonOutput, writeSummary } from './report.js'
import { createSecretsApi, secretRegions, secretsStore, type SecretsApi } from './secrets.js'
import type { Store } from './store.js'

/** The AWS collaborators, one client per service and region; tests pass their own. */
export interface Services {
  pipelines: (region: string) => PipelineApi
  codebuild: (region: string) => CodeBuildApi
  secrets: (region: string) => SecretsApi
}

function perRegion<T>(create: (region: string) => T): (region: string) => T {
  const cache = new Map<string, T>()
  return (region) => {
    let api = cache.get(region)
    if (api === undefined) cache.set(region, (api = create(region)))
    return api
  }
}

export function createServices(settings: AwsSettings): Services {
  return {
    pipelines: perRegion((region) => ({
      ...createPipelineApi(settings, region),
      stackOwners: createStackOwners(settings, region)
    })),
    codebuild: perRegion((region) => createCodeBuildApi(settings, region)),
    secrets: perRegion((region) => createSecretsApi(settings, region))
  }
}

function throttleLogger(): AwsSettings['onThrottle'] {
  const seen = new Map<string, number>()
  return (region, operation) => {
    const key = `${region} ${operation}`
    const count = (seen.get(key) ?? 0) + 1
    seen.set(key, count)
    // Once, then every 25th time: enough to explain a slow run without flooding the log.
    if (count === 1 || count % 25 === 0) {
      core.info(
        `AWS is throttling ${operation} in ${region} (${count}x so far): slowing down and retrying`
      )
    }
  }
}

export interface RunOptions {
  /** Builds the AWS clients once credentials are known; tests inject fakes. */
  services?: (settings: AwsSettings) => Services
  /** Builds the GitHub client for the token check; tests inject a fake. */
  github?: (token: string, baseUrl: string) => GitHubApi
}

/** plan → check → apply → verify → report. Never throws: failures fail the step. */
export async function run(options: RunOptions = {}): Promise<void> {
  try {
    const token = readToken()
    registerSecret(token)
    const inputs = parseInputs(token)
    await rotate(inputs, options)
  } catch (error) {
    core.setFailed(redact(messageOf(error)))
  }
}

async function rotate(inputs: Inputs, options: RunOptions): Promise<void> {
  const settings: AwsSettings = {
    credentials: await resolveCredentials(inputs),
    maxConcurrency: inputs.maxConcurrency,
    onThrottle: throttleLogger()
  }
  const services = (options.services ?? createServices)(settings)
  const limit = pLimit(inputs.maxConcurrency)
  const regions = [
    ...new Set([...inputs.regions, ...pipelineRegions(inputs), ...secretRegions(inputs)])
  ]
  core.info(
    `${inputs.dryRun ? 'Dry run — planning only, nothing will be written' : 'Rotating'} in ${regions.join(', ')}`
  )

  // With nothing checked between reading and writing (verify-token: false),
  // each pipeline is written as soon as it is read: GetPipeline and
  // UpdatePipeline then run side by side under their own AWS quotas.
  const pipelines = pipelineStore(inputs, services.pipelines, limit, {
    writeOnRead: !inputs.dryRun && !inputs.verifyToken
  })
  const stores: Store[] = [pipelines]
  if (inputs.codebuild.mode !== 'off') {
    stores.push(codebuildStore(inputs, services.codebuild, limit))
  }
  if (inputs.secrets.length > 0) stores.push(secretsStore(inputs, services.secrets, limit))

  // Plan: read-only calls decide what will be written.
  await Promise.all(stores.map((store) => store.plan()))

  // Check: GitHub must accept the token for every repository before anything
  // is written. A refusal reports the plan and fails the step here.
  const token = tokenStore(inputs, () => pipelines.targets(), { github: options.github })
  await token.plan()
  stores.unshift(token)
  if (token.failures().length > 0) {
    // Report the plan (log, summary, outputs: every target still 'planned'),
    // then fail with every problem.
    await report(inputs, stores, regions, 'Nothing was written: GitHub refused the token.').catch(
      () => undefined
    )
    const problems = stores.flatMap((s) => s.failures()).map((f) => `- ${f}`)
    throw new Error(`The GitHub token was refused, so nothing was written:\n${problems.join('\n')}`)
  }

  // Apply and verify: only now is anything written (but see writeOnRead above).
  if (!inputs.dryRun) await Promise.all(stores.map((store) => store.apply(inputs.token)))

  await report(inputs, stores, regions)
}

async function report(
  inputs: Inputs,
  stores: Store[],
  regions: string[],
  stopped?: string
): Promise<void> {
  await printRegionLogs(
    stores.flatMap((s) => s.lines()),
    regions
  )
  const warnings = stores.flatMap((s) => s.warnings())
  for (const warning of warnings) core.warning(redact(warning))
  for (const store of stores) {
    for (const [name, value] of Object.entries(store.outputs())) setJsonOutput(name, value)
  }

  const headlines = stores.map((s) => s.headline()).filter((h): h is string => Boolean(h))
  const intro = [
    stopped ? `**${stopped}**` : '',
    inputs.dryRun ? '**Dry run** — nothing was written; this is the plan.' : '',
    headlines.join(' · ')
  ].filter(Boolean)
  await writeSummary(
    renderMarkdown(
      'GitHub token rotation',
      intro,
      stores.flatMap((s) => s.sections()),
      warnings
    )
  )

  const failures = stores.flatMap((s) => s.failures())
  if (failures.length > 0) {
    throw new Error(
      `${failures.length} target(s) failed:\n${failures.map((f) => `- ${f}`).join('\n')}`
    )
  }
  core.info(`Done. ${headlines.join(' · ')}`)
}
