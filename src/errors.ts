/** A bad input: the message names the input and says what is expected. */
export class InputError extends Error {
  constructor(
    readonly input: string,
    detail: string
  ) {
    super(`Input '${input}' ${detail}`)
    this.name = 'InputError'
  }
}

const secrets = new Set<string>()

/** Registers a value that must never be printed; `redact` replaces it everywhere. */
export function registerSecret(value: string): void {
  if (value.length >= 4) secrets.add(value)
}

/** Replaces every registered secret in a text with ***. The last line of defence. */
export function redact(text: string): string {
  let out = text
  for (const secret of secrets) out = out.split(secret).join('***')
  return out
}

/** A message for anything thrown, including non-Error values. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name
  if (typeof error === 'string') return error
  try {
    return JSON.stringify(error) ?? String(error)
  } catch {
    return String(error)
  }
}

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

const ACCESS_DENIED = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnauthorizedOperation',
  'UnrecognizedClientException'
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
      return redact(
        `${name}: ${detail} — the AWS credentials are invalid or expired: check the role assumption step`
      )
    }
    // AWS names the denied action ("not authorized to perform: iam:PassRole on ..."):
    // that is the one to grant, e.g. PassRole on the pipeline's service role.
    const denied = /perform: ([a-z0-9-]+:[A-Za-z0-9]+)/.exec(detail)?.[1] ?? permission
    return redact(
      `${name}: ${detail} — the role needs permission ${denied} (see the README's IAM policy)`
    )
  }
  if (name === 'ExpiredTokenException' || name === 'ExpiredToken') {
    return redact(`${name}: ${detail} — the AWS session expired: re-run the job`)
  }
  if (name === 'ThrottlingException' || name === 'TooManyRequestsException') {
    return redact(
      `${name}: ${detail} — AWS kept throttling after retries: re-run, or lower max-concurrency`
    )
  }
  const status = awsError(error).$metadata?.httpStatusCode
  const prefix = name && name !== 'Error' ? `${name}: ` : ''
  let suffix = status && status >= 500 ? ' — AWS had a server error after retries: re-run' : ''
  // The SDK retried these too; a write may have landed before the answer was lost.
  if (name === 'TimeoutError') suffix = ' — AWS did not answer in time, even after retries: re-run'
  if (NETWORK_ERRORS.has(awsError(error).code ?? '')) {
    suffix = ' — the connection to AWS failed, even after retries: re-run'
  }
  return redact(`${prefix}${detail}${suffix}`)
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
