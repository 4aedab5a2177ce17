import { lazyClient, type AwsSettings } from './aws.js'

export const STACK_TAG = 'aws:cloudformation:stack-name'

/**
 * Which pipelines of a region a CloudFormation stack owns: pipeline ARN →
 * stack name, from one paginated GetResources call per region (the Resource
 * Groups Tagging API) instead of one ListTagsForResource per pipeline, which
 * would spend CodePipeline's own API quota on a fleet. Needs tag:GetResources;
 * without it, the caller falls back to ListTagsForResource.
 */
export type StackOwners = () => Promise<Map<string, string>>

export function createStackOwners(settings: AwsSettings, region: string): StackOwners {
  // Loaded on first use: the first request of a run does not wait for it.
  const connect = lazyClient(
    settings,
    region,
    () => import(/* webpackMode: "eager" */ '@aws-sdk/client-resource-groups-tagging-api'),
    (sdk, config) => new sdk.ResourceGroupsTaggingAPIClient(config)
  )
  return async () => {
    const { sdk, client } = await connect()
    const owners = new Map<string, string>()
    const pages = sdk.paginateGetResources(
      { client },
      { ResourceTypeFilters: ['codepipeline'], TagFilters: [{ Key: STACK_TAG }] }
    )
    for await (const page of pages) {
      for (const mapping of page.ResourceTagMappingList ?? []) {
        const stack = mapping.Tags?.find((tag) => tag.Key === STACK_TAG)?.Value
        if (mapping.ResourceARN && stack) owners.set(mapping.ResourceARN, stack)
      }
    }
    return owners
  }
}
