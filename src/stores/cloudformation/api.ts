/** The CloudFormation calls of one region (read-only); the SDK package is loaded on first use. */
import { lazyClient, type AwsSettings } from '../../aws/client.js'

interface StackParameter {
  key: string
  value: string | undefined
}

export interface StackInfo {
  parameters: StackParameter[]
  capabilities: string[]
}

/** What following a stack needs from CloudFormation in one region. */
export interface StacksApi {
  /** The template as CloudFormation runs it (the Processed stage, after any transform). */
  getTemplate(stack: string): Promise<string>
  describeStack(stack: string): Promise<StackInfo>
}

export function createStacksApi(settings: AwsSettings, region: string): StacksApi {
  // Loaded on first use: only runs with stack-owned pipelines follow stacks.
  const connect = lazyClient(
    settings,
    region,
    () => import('@aws-sdk/client-cloudformation'),
    (sdk, config) => new sdk.CloudFormationClient(config)
  )
  return {
    async getTemplate(stack) {
      const { sdk, client } = await connect()
      const out = await client.send(
        new sdk.GetTemplateCommand({ StackName: stack, TemplateStage: 'Processed' })
      )
      return out.TemplateBody ?? ''
    },
    async describeStack(stack) {
      const { sdk, client } = await connect()
      const out = await client.send(new sdk.DescribeStacksCommand({ StackName: stack }))
      const found = out.Stacks?.[0]
      return {
        parameters: (found?.Parameters ?? []).flatMap((p) =>
          p.ParameterKey ? [{ key: p.ParameterKey, value: p.ParameterValue }] : []
        ),
        capabilities: found?.Capabilities ?? []
      }
    }
  }
}
