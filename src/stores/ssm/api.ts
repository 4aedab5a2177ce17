/** The Parameter Store calls of one region; the SDK package is loaded on first use. */
import { lazyClient, type AwsSettings } from '../../aws/client.js'
import { boundedPages, PAGINATION } from '../../aws/pages.js'

/** A parameter's current value, as GetParameter (with decryption) returns it. */
export interface ParameterValue {
  /** The parameter's name (also when it was asked for by ARN). */
  name: string
  arn: string | undefined
  type: string
  value: string
  version: number | undefined
}

/** What DescribeParameters says of a parameter: everything a write must keep. */
export interface ParameterMetadata {
  type: string
  keyId: string | undefined
  tier: string | undefined
  allowedPattern: string | undefined
  dataType: string | undefined
  description: string | undefined
  policies: string[]
  version: number | undefined
}

/** A PutParameter: the new value with the settings the parameter had (AWS keeps its policies). */
export interface PutRequest extends Omit<ParameterMetadata, 'policies' | 'version'> {
  name: string
  value: string
}

/** One version of a parameter, as GetParameterHistory (with decryption) returns it. */
export interface ParameterVersion {
  version: number | undefined
  labels: string[]
  value: string
}

/** What the rotation needs from Parameter Store in one region. */
export interface ParametersApi {
  getParameter(nameOrArn: string): Promise<ParameterValue>
  /** DescribeParameters filtered to the name, every page until it is listed. */
  describeParameter(name: string): Promise<ParameterMetadata | undefined>
  /** Every version AWS keeps (GetParameterHistory, every page). */
  parameterHistory(name: string): Promise<ParameterVersion[]>
  /** PutParameter with Overwrite; returns the new version. */
  putParameter(request: PutRequest): Promise<number | undefined>
}

export function createParametersApi(settings: AwsSettings, region: string): ParametersApi {
  // Loaded on first use: most runs name no parameter.
  const connect = lazyClient(
    settings,
    region,
    () => import('@aws-sdk/client-ssm'),
    (sdk, config) => new sdk.SSMClient(config)
  )
  return {
    async getParameter(nameOrArn) {
      const { sdk, client } = await connect()
      const out = await client.send(
        new sdk.GetParameterCommand({ Name: nameOrArn, WithDecryption: true })
      )
      const p = out.Parameter
      return {
        name: p?.Name ?? nameOrArn,
        arn: p?.ARN,
        type: p?.Type ?? '',
        value: p?.Value ?? '',
        version: p?.Version
      }
    },

    async describeParameter(name) {
      const { sdk, client } = await connect()
      // "The number of items returned, however, can be between zero and the
      // value of MaxResults" (DescribeParameters): a page may be empty and
      // still say there is more, so the pages are followed until it is listed.
      const pages = boundedPages(
        'ssm:DescribeParameters',
        sdk.paginateDescribeParameters(
          { client, pageSize: 50, ...PAGINATION },
          { ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: [name] }] }
        ),
        (page) => page.NextToken
      )
      for await (const page of pages) {
        const p = page.Parameters?.find((m) => m.Name === name)
        if (!p) continue
        return {
          type: p.Type ?? '',
          keyId: p.KeyId,
          tier: p.Tier,
          allowedPattern: p.AllowedPattern,
          dataType: p.DataType,
          description: p.Description,
          policies: (p.Policies ?? []).map(
            (policy) => policy.PolicyType ?? policy.PolicyText ?? ''
          ),
          version: p.Version
        }
      }
      return undefined
    },

    async parameterHistory(name) {
      const { sdk, client } = await connect()
      const versions: ParameterVersion[] = []
      for await (const page of boundedPages(
        'ssm:GetParameterHistory',
        sdk.paginateGetParameterHistory(
          { client, pageSize: 50, ...PAGINATION },
          { Name: name, WithDecryption: true }
        ),
        (page) => page.NextToken
      )) {
        for (const p of page.Parameters ?? []) {
          versions.push({ version: p.Version, labels: p.Labels ?? [], value: p.Value ?? '' })
        }
      }
      return versions
    },

    async putParameter(request) {
      // Everything but the value is sent as it is, so nothing else changes:
      // "If you don't specify a key ID, the system uses the default key
      // associated with your AWS account" (PutParameter), which would change
      // who can read a SecureString; a tier left out follows the account's
      // default tier. Policies are left out: "All existing policies are
      // preserved until you send new policies or an empty policy."
      const { sdk, client } = await connect()
      const out = await client.send(
        new sdk.PutParameterCommand({
          Name: request.name,
          Value: request.value,
          Overwrite: true,
          Type: request.type as 'String' | 'SecureString',
          ...(request.type === 'SecureString' && request.keyId ? { KeyId: request.keyId } : {}),
          ...(request.tier ? { Tier: request.tier as 'Standard' | 'Advanced' } : {}),
          ...(request.allowedPattern ? { AllowedPattern: request.allowedPattern } : {}),
          ...(request.dataType ? { DataType: request.dataType } : {}),
          ...(request.description ? { Description: request.description } : {})
        })
      )
      return out.Version
    }
  }
}
