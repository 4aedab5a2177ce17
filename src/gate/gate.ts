/**
 * The token check as the run's gate: between plan and apply it asks GitHub
 * about the token and either opens the run or stops it before anything is
 * written.
 */
import type { Gate, Verdict } from '../core/flow.js'
import { createLimit } from '../core/limit.js'
import * as log from '../core/log.js'
import { emptyReport } from '../core/report.js'
import type { SealedToken } from '../core/sealed-token.js'
import type { Inputs } from '../inputs/types.js'
import type { GitHubApi } from '../github/api.js'
import { createBitbucketClient, type BitbucketApi } from '../github/bitbucket.js'
import { startBitbucketCheck } from './bitbucket.js'
import { startCheck, type CheckInProgress, type TokenCheck } from './check.js'
import { describeCheck, tokenSection } from './render.js'
import type { TokenTarget } from './repos.js'

/** GitHub asks integrations not to fire many requests at once (secondary rate limits). */
const GITHUB_CONCURRENCY = 4

export interface TokenGateOptions {
  github: GitHubApi
  token: SealedToken
  /** The planned pipelines and CodeBuild projects: the repositories the token must reach. */
  targets: () => TokenTarget[]
  /** Bitbucket's API, for a BITBUCKET credential (default: bitbucket-api-url). */
  bitbucket?: () => BitbucketApi
  now?: () => Date
}

export interface TokenGate extends Gate {
  /** A planned pipeline, whose repositories GitHub is asked about right away. */
  consider(target: TokenTarget): void
  /** A pipeline re-planned while writing: the failures for its repositories (see CheckInProgress). */
  recheck(target: TokenTarget): Promise<string[]>
  /**
   * What would refuse the token for one target on its own ([] when nothing
   * does), for a pipeline written as soon as its own checks pass; undefined
   * when the check can only answer for the whole run (Bitbucket) or is off.
   */
  readonly clearance: ((target: TokenTarget) => Promise<string[]>) | undefined
  /** The check's result, once made (the retire step reads it). */
  result(): TokenCheck | undefined
  /** Why the token must not be imported into CodeBuild in a region (empty: it may). */
  refusals(region: string): string[]
}

export function tokenGate(inputs: Inputs, options: TokenGateOptions): TokenGate {
  let result: TokenCheck | undefined
  let started: CheckInProgress | undefined
  const limit = () => createLimit(Math.max(1, Math.min(inputs.maxConcurrency, GITHUB_CONCURRENCY)))
  const bitbucket = inputs.codebuild.serverType === 'BITBUCKET' && inputs.verifyToken
  const now = options.now ?? (() => new Date())
  const recheck = (target: TokenTarget) => start().recheck(target, now())
  const start = () =>
    (started ??= bitbucket
      ? startBitbucketCheck(
          inputs,
          (
            options.bitbucket ??
            (() =>
              createBitbucketClient(
                inputs.bitbucketApiUrl,
                inputs.codebuild.authType === 'BASIC_AUTH'
                  ? {
                      kind: 'api-token',
                      email: inputs.codebuild.username ?? '',
                      token: options.token
                    }
                  : { kind: 'access-token', token: options.token }
              ))
          )(),
          limit()
        )
      : startCheck(inputs, options.github, options.token, limit()))
  return {
    result: () => result,
    // GitHub is asked while AWS is read — from the first pipeline planned, so
    // that loading Octokit does not hold back the first AWS request — and the
    // answers are in when the plan is.
    consider: (target) => start().consider(target),
    refusals: (region) => result?.codebuildRefusals[region] ?? [],
    recheck,
    // The same question; the Bitbucket check answers only for the whole run.
    clearance: bitbucket || !inputs.verifyToken ? undefined : recheck,
    async check(): Promise<Verdict> {
      const check = await start().finish(options.targets(), now())
      result = check
      const who = check.service === 'Bitbucket' ? 'Bitbucket credential' : 'GitHub token'
      log.info(describeCheck(check))
      return {
        open: check.failures.length === 0,
        confirmed: check.skipped === undefined && check.failures.length === 0,
        report: emptyReport({
          sections: [tokenSection(check)],
          outputs: {
            'token-expires-at': check.expiresAt ?? '',
            'token-days-left': check.daysLeft === null ? '' : String(check.daysLeft)
          },
          failures: check.failures.map((f) => `${who}: ${f}`),
          warnings: check.warnings.map((w) => `${who}: ${w}`),
          notices: check.notices,
          headline: describeCheck(check)
        })
      }
    }
  }
}
