/**
 * The calls following stacks needs in one region (read-only): CloudFormation,
 * and the tags CloudFormation gave the pipelines it created. The SDK packages
 * are loaded on first use.
 */
import { lazyClient, type AwsSettings } from '../../aws/client.js'
import { boundedPages, PAGINATION } from '../../aws/pages.js'

interface StackParameter {
  key: string
  value: string | undefined
}

export interface StackInfo {
  /** The stack's unique id (an ARN): a stack re-created under the same name has another. */
  stackId: string | undefined
  parameters: StackParameter[]
  capabilities: string[]
}

export type Tags = Record<string, string>

/** The tags CloudFormation sets on the resources it creates ("CloudFormation resource tagging"). */
export const STACK_NAME_TAG = 'aws:cloudformation:stack-name'
export const STACK_ID_TAG = 'aws:cloudformation:stack-id'
export const LOGICAL_ID_TAG = 'aws:cloudformation:logical-id'

/** GetResources takes at most 20 values for a tag filter. */
const VALUES_PER_FILTER = 20

/** What following a stack needs in one region. */
export interface StacksApi {
  /** The template as CloudFormation runs it (the Processed stage, after any transform). */
  getTemplate(stack: string): Promise<string>
  describeStack(stack: string): Promise<StackInfo>
  /** The tags of the pipelines these stacks created (pipeline ARN → tags), in one tag:GetResources listing. */
  stackPipelineTags(stacks: string[]): Promise<Map<string, Tags>>
  /** One pipeline's tags (codepipeline:ListTagsForResource), when tag:GetResources is refused. */
  pipelineTags(arn: string): Promise<Tags>
}

export function createStacksApi(settings: AwsSettings, region: string): StacksApi {
  // Loaded on first use: only runs with stack-owned pipelines follow stacks.
  const connect = lazyClient(
    settings,
    region,
    () => import('@aws-sdk/client-cloudformation'),
    (sdk, config) => new sdk.CloudFormationClient(config)
  )
  const tagging = lazyClient(
    settings,
    region,
    () => import('@aws-sdk/client-resource-groups-tagging-api'),
    (sdk, config) => new sdk.ResourceGroupsTaggingAPIClient(config)
  )
  const pipelines = lazyClient(
    settings,
    region,
    () => import('@aws-sdk/client-codepipeline'),
    (sdk, config) => new sdk.CodePipelineClient(config)
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
        stackId: found?.StackId,
        parameters: (found?.Parameters ?? []).flatMap((p) =>
          p.ParameterKey ? [{ key: p.ParameterKey, value: p.ParameterValue }] : []
        ),
        capabilities: found?.Capabilities ?? []
      }
    },
    async stackPipelineTags(stacks) {
      const { sdk, client } = await tagging()
      const found = new Map<string, Tags>()
      for (let i = 0; i < stacks.length; i += VALUES_PER_FILTER) {
        const pages = boundedPages(
          'tag:GetResources',
          sdk.paginateGetResources(
            { client, ...PAGINATION },
            {
              ResourceTypeFilters: ['codepipeline:pipeline'],
              TagFilters: [{ Key: STACK_NAME_TAG, Values: stacks.slice(i, i + VALUES_PER_FILTER) }]
            }
          ),
          (page) => page.PaginationToken
        )
        for await (const page of pages) {
          for (const mapping of page.ResourceTagMappingList ?? []) {
            if (!mapping.ResourceARN) continue
            const tags: Tags = {}
            for (const tag of mapping.Tags ?? []) if (tag.Key) tags[tag.Key] = tag.Value ?? ''
            found.set(mapping.ResourceARN, tags)
          }
        }
      }
      return found
    },
    async pipelineTags(arn) {
      const { sdk, client } = await pipelines()
      const tags: Tags = {}
      for await (const page of boundedPages(
        'codepipeline:ListTagsForResource',
        sdk.paginateListTagsForResource({ client, ...PAGINATION }, { resourceArn: arn }),
        (page) => page.nextToken
      )) {
        for (const tag of page.tags ?? []) if (tag.key) tags[tag.key] = tag.value ?? ''
      }
      return tags
    }
  }
}
