/**
 * The `connection-arn` input: the CodeConnections connection every selected
 * pipeline's GitHub (version 1) source moves to. Its partition must be its
 * region's, as for every ARN the inputs name; the service is the new name
 * (codeconnections) or the old one (codestar-connections), which also
 * decides the IAM action the pipeline's role needs ("When specifying a
 * resource in the IAM policy, the service prefix needs to match that of the
 * resource").
 */
import { InputError } from '../core/errors.js'
import { REGION, partitionOf, splitArn } from './arn.js'

type ConnectionService = 'codeconnections' | 'codestar-connections'

export interface ConnectionArn {
  arn: string
  service: ConnectionService
  partition: string
  region: string
  account: string
  /** The connection ID (the part after `connection/`). */
  id: string
}

const INPUT = 'connection-arn'
const EXAMPLE =
  'arn:aws:codeconnections:REGION:ACCOUNT:connection/ID (or the older arn:aws:codestar-connections:…), e.g. arn:aws:codeconnections:us-east-1:123456789012:connection/0a1b2c3d-4e5f-6789-abcd-ef0123456789'
// A connection ID is a UUID today; any run of letters, digits and '-' is taken.
const CONNECTION_ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,127}$/

/** Parses `connection-arn`; undefined when it is empty. Throws an InputError naming the input. */
export function parseConnectionArn(text: string): ConnectionArn | undefined {
  const value = text.trim()
  if (value === '') return undefined
  const arn = splitArn(value)
  if (!arn || (arn.service !== 'codeconnections' && arn.service !== 'codestar-connections')) {
    throw new InputError(INPUT, `'${value}' is not a connection ARN: expected ${EXAMPLE}`)
  }
  if (!REGION.test(arn.region) || !/^\d{12}$/.test(arn.account)) {
    throw new InputError(
      INPUT,
      `'${value}' does not name a region and a 12-digit account: expected ${EXAMPLE}`
    )
  }
  if (arn.resource.startsWith('host/')) {
    throw new InputError(
      INPUT,
      `'${value}' is a host (a GitHub Enterprise Server installation), not a connection: give the ARN of the connection that uses the host (…:connection/ID)`
    )
  }
  const id = arn.resource.startsWith('connection/') ? arn.resource.slice(11) : ''
  if (!CONNECTION_ID.test(id)) {
    throw new InputError(INPUT, `'${value}' is not a connection ARN: expected ${EXAMPLE}`)
  }
  const partition = partitionOf(arn.region)
  if (arn.partition !== partition) {
    const named = arn.partition === '' ? 'no partition' : `partition '${arn.partition}'`
    throw new InputError(
      INPUT,
      `'${value}' names ${named}, but region ${arn.region} is in partition '${partition}': write arn:${partition}:${arn.service}:${arn.region}:…`
    )
  }
  return {
    arn: value,
    service: arn.service,
    partition,
    region: arn.region,
    account: arn.account,
    id
  }
}
