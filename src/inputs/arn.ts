/**
 * Regions, partitions and the ARNs the inputs may name. An ARN's partition
 * must be its region's: `arn:aws-cn:codepipeline:us-east-1:…` names no
 * pipeline anywhere, and must never be read as the standard-partition one.
 */
import { InputError } from '../core/errors.js'

export const REGION = /^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/
const ACCOUNT = /^\d{12}$/

/** The partition a region belongs to (AWS General Reference, "ARN format"). */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn'
  if (region.startsWith('us-gov-')) return 'aws-us-gov'
  const iso = /^[a-z]{2}-iso([a-z]?)-/.exec(region)
  if (iso) return iso[1] ? `aws-iso-${iso[1]}` : 'aws-iso'
  return 'aws'
}

export interface Arn {
  partition: string
  service: string
  region: string
  account: string
  resource: string
}

/** Splits an ARN into its fields; undefined when it has fewer than six. */
export function splitArn(text: string): Arn | undefined {
  const parts = text.split(':')
  if (parts.length < 6 || parts[0] !== 'arn') return undefined
  const [, partition = '', service = '', region = '', account = ''] = parts
  return { partition, service, region, account, resource: parts.slice(5).join(':') }
}

/**
 * Parses an ARN of `service` for input `input`, checking the region, the
 * account and that the partition is the region's. `example` shows the form.
 */
export function parseRegionalArn(
  input: string,
  entry: string,
  text: string,
  service: string,
  what: string,
  example: string
): Arn {
  const arn = splitArn(text)
  if (!arn || arn.service !== service || !REGION.test(arn.region) || !ACCOUNT.test(arn.account)) {
    throw new InputError(input, `entry '${entry}' is not a ${what} ARN: expected ${example}`)
  }
  const partition = partitionOf(arn.region)
  if (arn.partition !== partition) {
    const named = arn.partition === '' ? 'no partition' : `partition '${arn.partition}'`
    throw new InputError(
      input,
      `entry '${entry}' names ${named}, but region ${arn.region} is in partition '${partition}': write arn:${partition}:${service}:${arn.region}:…`
    )
  }
  return arn
}

/**
 * Why an ARN in an AWS answer is not where the request was meant to go
 * (another partition, region or account — a misdirected endpoint, a wrong
 * credential); undefined when it is.
 */
export function misplacedArn(
  arn: string,
  service: string,
  region: string,
  account: string | undefined
): string | undefined {
  const parsed = splitArn(arn)
  const partition = partitionOf(region)
  if (!parsed || parsed.service !== service)
    return `AWS answered with '${arn}', not a ${service} ARN`
  if (parsed.partition !== partition || parsed.region !== region) {
    return `AWS answered for ${parsed.partition}/${parsed.region} (${arn}), not ${partition}/${region}: check AWS_ENDPOINT_URL and the regions input`
  }
  if (account !== undefined && parsed.account !== account) {
    return `the ARN names account ${account}, but AWS answered for account ${parsed.account}: run this entry with a role in ${account} (role-to-assume)`
  }
  return undefined
}
