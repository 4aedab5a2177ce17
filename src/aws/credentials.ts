/**
 * The AWS credentials every client uses. Without `role-to-assume`: the SDK's
 * default chain (environment, e.g. from aws-actions/configure-aws-credentials,
 * profile, container or instance role). With it: GitHub OIDC → STS
 * AssumeRoleWithWebIdentity, done once before anything is read so a refusal
 * stops the run at once, and shared by every client (renewed with a fresh ID
 * token only when the session is about to expire).
 */
import { getIDToken } from '@actions/core'
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types'
import { messageOf } from '../core/errors.js'
import * as log from '../core/log.js'
import { registerValue } from '../core/redact.js'
import { clientConfig } from './client.js'
import { errorName } from './errors.js'

/** The audience AWS STS expects in a GitHub OIDC ID token. */
const AUDIENCE = 'sts.amazonaws.com'
const OIDC_ISSUER_HOST = 'token.actions.githubusercontent.com'
/** Credentials are renewed when they expire within this long. */
const REFRESH_BEFORE_MS = 5 * 60_000

export interface RoleSettings {
  roleArn: string | undefined
  sessionName: string
  /** STS is regional; any region of the partition works. */
  region: string
  /** `aws-timeout`: how long one STS attempt may take in all (30 s when left out). */
  requestTimeoutMs?: number
}

interface Claims {
  sub?: string
  aud?: string
}

/** The claims of a JWT, read without verifying it (only to explain a refusal). */
export function tokenClaims(jwt: string): Claims {
  try {
    const payload = jwt.split('.')[1] ?? ''
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown
    if (typeof claims !== 'object' || claims === null) return {}
    const { sub, aud } = claims as Record<string, unknown>
    return {
      ...(typeof sub === 'string' && { sub }),
      ...(typeof aud === 'string' ? { aud } : Array.isArray(aud) ? { aud: aud.join(', ') } : {})
    }
  } catch {
    return {}
  }
}

/** The subject GitHub puts in this job's ID token by default, as far as the environment tells. */
function expectedSubject(): string {
  const repo = process.env['GITHUB_REPOSITORY'] || 'ORG/REPO'
  return `repo:${repo}:environment:NAME (in a job with an environment), or repo:${repo}:ref:refs/heads/BRANCH`
}

function idTokenPermissionError(variable: string): Error {
  return new Error(
    `role-to-assume needs a GitHub OIDC ID token, but this job cannot request one (${variable} is not set): give the job \`permissions: id-token: write\` (keep \`contents: read\`; a reusable workflow's caller must grant it too). Pull requests from forks never get an ID token.`
  )
}

/** Why STS refused, and what to change: usually the role's trust policy. */
export function explainStsError(error: unknown, roleArn: string, idToken: string): string {
  const name = errorName(error)
  const detail = messageOf(error)
  const [, partition = 'aws', , , account = 'ACCOUNT'] = roleArn.split(':')
  const provider = `arn:${partition}:iam::${account}:oidc-provider/${OIDC_ISSUER_HOST}`
  const claims = tokenClaims(idToken)
  const sub = claims.sub ? `'${claims.sub}'` : expectedSubject()
  const trust = `the trust policy of ${roleArn} must allow sts:AssumeRoleWithWebIdentity for the federated principal ${provider} with the conditions ${OIDC_ISSUER_HOST}:aud = ${AUDIENCE} and ${OIDC_ISSUER_HOST}:sub matching this job's subject ${sub} (see the README, "AWS credentials (OIDC)")`
  let hint: string
  switch (name) {
    case 'AccessDenied':
    case 'AccessDeniedException':
    case 'IDPRejectedClaimException':
    case 'IDPRejectedClaim':
      hint = `the role does not trust this job: ${trust}`
      break
    case 'InvalidIdentityTokenException':
    case 'InvalidIdentityToken':
      hint = `STS did not accept GitHub's ID token: account ${account} needs an IAM OIDC identity provider for https://${OIDC_ISSUER_HOST} whose audiences (client IDs) include ${AUDIENCE}; and ${trust}`
      break
    case 'ExpiredTokenException':
    case 'ExpiredToken':
      hint = 'the GitHub ID token expired before STS checked it: re-run the job'
      break
    case 'IDPCommunicationErrorException':
    case 'IDPCommunicationError':
      hint = "STS could not reach GitHub's OIDC issuer to check the token: re-run the job"
      break
    case 'RegionDisabledException':
      hint =
        'STS is not activated in this region for the account: list an enabled region first in `regions`'
      break
    default:
      hint = `check role-to-assume; ${trust}`
  }
  const prefix = name && name !== 'Error' ? `${name}: ` : ''
  return `Could not assume role ${roleArn} with GitHub OIDC: ${prefix}${detail} — ${hint}`.replaceAll(
    idToken,
    '***'
  )
}

function expiresSoon(credentials: AwsCredentialIdentity, now: number): boolean {
  return (
    credentials.expiration !== undefined &&
    credentials.expiration.getTime() - now < REFRESH_BEFORE_MS
  )
}

export async function resolveCredentials(
  settings: RoleSettings
): Promise<AwsCredentialIdentityProvider | undefined> {
  const { roleArn, sessionName, region } = settings
  if (!roleArn) {
    log.info('AWS credentials: the default credential chain (no role-to-assume)')
    return undefined
  }
  for (const variable of ['ACTIONS_ID_TOKEN_REQUEST_URL', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN']) {
    if (!process.env[variable]) throw idTokenPermissionError(variable)
  }

  const assume = async (): Promise<AwsCredentialIdentity> => {
    let idToken: string
    try {
      idToken = await getIDToken(AUDIENCE)
    } catch (error) {
      throw new Error(
        `Could not get a GitHub OIDC ID token (audience ${AUDIENCE}): ${messageOf(error)} — the job needs \`permissions: id-token: write\``
      )
    }
    // @actions/core masks it already; this also covers our own redaction.
    registerValue(idToken)
    let credentials: AwsCredentialIdentity
    try {
      // Loaded only when a role is assumed.
      const { fromWebToken } = await import(
        /* webpackMode: "eager" */ '@aws-sdk/credential-providers'
      )
      credentials = await fromWebToken({
        roleArn,
        webIdentityToken: idToken,
        roleSessionName: sessionName,
        clientConfig: {
          region,
          maxAttempts: 3,
          requestHandler: clientConfig(
            {
              credentials: undefined,
              maxConcurrency: 1,
              requestTimeoutMs: settings.requestTimeoutMs
            },
            region
          ).requestHandler
        }
      })()
    } catch (error) {
      throw new Error(explainStsError(error, roleArn, idToken))
    }
    for (const secret of [credentials.secretAccessKey, credentials.sessionToken]) {
      if (secret) registerValue(secret)
    }
    return credentials
  }

  let current = await assume()
  log.info(
    `AWS credentials: assumed ${roleArn} through GitHub OIDC as session ${sessionName} (STS in ${region})`
  )
  let renewing: Promise<AwsCredentialIdentity> | undefined
  return async () => {
    if (!expiresSoon(current, Date.now())) return current
    renewing ??= assume()
      .then((credentials) => (current = credentials))
      .finally(() => (renewing = undefined))
    return renewing
  }
}
