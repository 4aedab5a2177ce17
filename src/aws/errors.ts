/** What an AWS error means for the user: what failed, and what to do. */
import { messageOf } from '../core/errors.js'

interface AwsLikeError {
  name?: string
  message?: string
  $metadata?: { httpStatusCode?: number; attempts?: number }
  code?: string
}

function awsError(error: unknown): AwsLikeError {
  return typeof error === 'object' && error !== null ? (error as AwsLikeError) : {}
}

export function errorName(error: unknown): string {
  const e = awsError(error)
  return e.name ?? e.code ?? ''
}

const NOT_FOUND = new Set([
  'ResourceNotFoundException',
  'PipelineNotFoundException',
  'ParameterNotFound',
  'PipelineExecutionNotFoundException'
])

/** The "no such resource" errors of the APIs the action calls. */
export function isNotFound(error: unknown): boolean {
  return NOT_FOUND.has(errorName(error))
}

const ACCESS_DENIED = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnauthorizedOperation',
  'UnrecognizedClientException'
])

export function isAccessDenied(error: unknown): boolean {
  return ACCESS_DENIED.has(errorName(error))
}

// The codes the SDK retries as network errors (@smithy/core retry).
const NETWORK_ERRORS = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN'
])

/**
 * Explains an AWS error: what failed and what to do. `permission` is the IAM
 * action the call needs, named when AWS refuses it.
 */
export function describeAwsError(error: unknown, permission: string): string {
  const name = errorName(error)
  const detail = messageOf(error)
  if (ACCESS_DENIED.has(name)) {
    if (name === 'UnrecognizedClientException') {
      return `${name}: ${detail} — the AWS credentials are invalid or expired: check the role assumption step`
    }
    // AWS names the denied action ("not authorized to perform: iam:PassRole on ..."):
    // that is the one to grant, e.g. PassRole on the pipeline's service role.
    const denied = /perform: ([a-z0-9-]+:[A-Za-z0-9]+)/.exec(detail)?.[1] ?? permission
    return `${name}: ${detail} — the role needs permission ${denied} (see the README's IAM policy)`
  }
  if (name === 'ExpiredTokenException' || name === 'ExpiredToken') {
    return `${name}: ${detail} — the AWS session expired: re-run the job`
  }
  if (name === 'ThrottlingException' || name === 'TooManyRequestsException') {
    return `${name}: ${detail} — AWS kept throttling after retries: re-run, or lower max-concurrency`
  }
  const status = awsError(error).$metadata?.httpStatusCode
  const prefix = name && name !== 'Error' ? `${name}: ` : ''
  let suffix = status && status >= 500 ? ' — AWS had a server error after retries: re-run' : ''
  // The SDK retried these too; a write may have landed before the answer was lost.
  if (name === 'TimeoutError') suffix = ' — AWS did not answer in time, even after retries: re-run'
  if (NETWORK_ERRORS.has(awsError(error).code ?? '')) {
    suffix = ' — the connection to AWS failed, even after retries: re-run'
  }
  return `${prefix}${detail}${suffix}`
}
