/**
 * Following stack-owned pipelines to their template's token source.
 * CloudFormation does not read a rotated secret again until a property
 * changes (aws/aws-cdk#14007), and a later stack update puts back whatever
 * the template resolves, so the source itself must hold the new token: a
 * Secrets Manager or Parameter Store reference is rotated with the pipeline;
 * a template parameter or a token in the template itself is reported with
 * what to do.
 */
import { describeAwsError, isAccessDenied } from '../../aws/errors.js'
import { messageOf } from '../../core/errors.js'
import type { Limit } from '../../core/limit.js'
import { registerValue } from '../../core/redact.js'
import type { ValueRef } from '../../core/refs.js'
import { splitArn } from '../../inputs/arn.js'
import type { OwnedPipeline } from '../codepipeline/store.js'
import type { ParameterStore } from '../ssm/store.js'
import type { SecretsStore } from '../secrets-manager/store.js'
import {
  LOGICAL_ID_TAG,
  STACK_ID_TAG,
  STACK_NAME_TAG,
  type StackInfo,
  type StacksApi,
  type Tags
} from './api.js'
import {
  findPipelineResource,
  parameterType,
  parseTemplate,
  tokenSources,
  type ActionSource
} from './template.js'
import type { StackFinding } from './types.js'

export interface FollowContext {
  api: StacksApi
  limit: Limit
  secrets: SecretsStore
  parameters: ParameterStore
}

/**
 * The command that gives the stack's token parameter the new value and keeps
 * every other parameter and the template as they are.
 */
export function updateStackCommand(
  region: string,
  stack: string,
  parameter: string,
  info: StackInfo | undefined
): string {
  const others = info
    ? info.parameters
        .filter((p) => p.key !== parameter)
        .map((p) => `ParameterKey=${p.key},UsePreviousValue=true`)
    : ['ParameterKey=…,UsePreviousValue=true (for every other parameter)']
  const capabilities =
    info && info.capabilities.length > 0 ? ` --capabilities ${info.capabilities.join(' ')}` : ''
  return [
    `aws cloudformation update-stack --region ${region} --stack-name ${stack} --use-previous-template`,
    `--parameters ParameterKey=${parameter},ParameterValue="$NEW_TOKEN"`,
    ...others
  ]
    .join(' ')
    .concat(capabilities)
}

function refIn(region: string, id: string, key: string | undefined, origin: string): ValueRef {
  const arn = id.startsWith('arn:') ? splitArn(id) : undefined
  return {
    entry: key === undefined ? id : `${id}#${key}`,
    id,
    key,
    region: arn?.region || region,
    account: arn?.account,
    origin
  }
}

/** What one GitHub action's token source means, and what is done about it. */
function follow(
  finding: StackFinding,
  found: ActionSource,
  template: Record<string, unknown>,
  info: StackInfo | undefined,
  ctx: FollowContext
): StackFinding {
  const { region, stack } = finding
  const origin = `stack ${stack}`
  const source = found.source
  const out: StackFinding = { ...finding, action: found.action, source }
  switch (source.kind) {
    case 'secret': {
      const what = `secret ${source.id}${source.key ? `#${source.key}` : ''}`
      if (source.pinned) {
        return {
          ...out,
          problem: `the template reads ${what} at ${source.pinned}, which stays the old token: make the reference follow AWSCURRENT (drop the version), then rotate again`
        }
      }
      return {
        ...out,
        followed: {
          what,
          row: ctx.secrets.contribute(refIn(region, source.id, source.key, origin))
        }
      }
    }
    case 'ssm': {
      const what = `parameter ${source.name}`
      if (source.pinned) {
        return {
          ...out,
          problem: `the template reads ${what} at ${source.pinned}, which stays the old token: drop the version from the reference, then rotate again`
        }
      }
      return {
        ...out,
        followed: {
          what,
          row: ctx.parameters.contribute(refIn(region, source.name, undefined, origin))
        }
      }
    }
    case 'parameter': {
      const type = parameterType(template, source.name) ?? ''
      const value = info?.parameters.find((p) => p.key === source.name)?.value
      // A parameter of type AWS::SSM::Parameter::Value<String> names a Parameter Store parameter.
      if (type.startsWith('AWS::SSM::Parameter::Value') && value) {
        const what = `parameter ${value} (through stack parameter ${source.name})`
        return {
          ...out,
          followed: {
            what,
            row: ctx.parameters.contribute(
              refIn(region, value, undefined, `${origin} parameter ${source.name}`)
            )
          }
        }
      }
      return {
        ...out,
        problem: `the template takes the token from its parameter ${source.name}, which still holds the old token (this action does not update stacks): give it the new token with \`${updateStackCommand(region, stack, source.name, info)}\`, or make the template read it with {{resolve:secretsmanager:…}}`
      }
    }
    case 'parts':
      return {
        ...out,
        problem: `the template builds the token from parts (${source.references} dynamic reference(s)${source.text ? ' and text around them' : ''}): the whole new token written into one part would break it, so it was not followed — give each part its share of the new token by hand, or make the OAuthToken exactly one {{resolve:secretsmanager:…}} reference`
      }
    case 'literal':
      return {
        ...out,
        problem: `the template itself holds the old token (a literal OAuthToken): the next stack update puts it back — replace it with a {{resolve:secretsmanager:…}} dynamic reference to a secret the secrets input names`
      }
    case 'unknown':
      return {
        ...out,
        problem: `the template builds the token with ${source.what}, which this action cannot follow: update its source by hand`
      }
  }
}

/**
 * The tags of the pipelines the run follows (pipeline ARN → tags, or why
 * they could not be read), read now rather than taken from the pipelines'
 * plan: one tag:GetResources listing for the region's stacks, else each
 * pipeline's ListTagsForResource.
 */
export async function ownerTags(
  owned: OwnedPipeline[],
  ctx: Pick<FollowContext, 'api' | 'limit'>
): Promise<Map<string, Tags | string>> {
  const arns = owned.flatMap((o) => (o.result.arn ? [o.result.arn] : []))
  const tags = new Map<string, Tags | string>()
  try {
    const stacks = [...new Set(owned.map((o) => o.stack))]
    const listed = await ctx.limit(() => ctx.api.stackPipelineTags(stacks))
    for (const arn of arns) tags.set(arn, listed.get(arn) ?? {})
    return tags
  } catch {
    // tag:GetResources is optional: each pipeline's own tags say the same.
  }
  await Promise.all(
    arns.map(async (arn) => {
      try {
        tags.set(arn, await ctx.limit(() => ctx.api.pipelineTags(arn)))
      } catch (error) {
        tags.set(arn, describeAwsError(error, 'codepipeline:ListTagsForResource'))
      }
    })
  )
  return tags
}

/**
 * Why the stack read now cannot be the one that created the pipeline;
 * undefined when its aws:cloudformation:stack-id tag names it. A stack
 * deleted and re-created under the same name has another id, and its
 * template belongs to other pipelines.
 */
function notItsStack(
  o: OwnedPipeline,
  stack: string,
  stackId: string | undefined,
  tags: Tags | string | undefined
): string | undefined {
  if (typeof tags === 'string' || tags === undefined) {
    return `the pipeline's tags could not be read (${tags ?? 'it has no ARN'}), so it cannot be told that stack ${stack} created it: its token source was not followed`
  }
  const tagged = tags[STACK_ID_TAG]
  if (!tagged || tags[STACK_NAME_TAG] !== stack) {
    return `the pipeline is no longer tagged as created by stack ${stack} (aws:cloudformation:stack-name, aws:cloudformation:stack-id), so its token source was not followed`
  }
  if (tagged !== stackId) {
    return `stack ${stack} is not the stack that created the pipeline (its aws:cloudformation:stack-id is ${tagged}, the stack of that name now is ${stackId ?? 'unknown'}: deleted and re-created?), so its template, which may hold another pipeline's secret, was not followed — update the pipeline's token source by hand`
  }
  return undefined
}

/** Follows one stack: its template, once, for every pipeline of it the run rotates. */
export async function followStack(
  region: string,
  stack: string,
  owned: OwnedPipeline[],
  tags: Map<string, Tags | string>,
  ctx: FollowContext
): Promise<StackFinding[]> {
  const base = (o: OwnedPipeline): StackFinding => ({
    region,
    pipeline: o.pipeline,
    stack,
    ...(o.logicalId ? { logicalId: o.logicalId } : {})
  })
  const all = (problem: string) => owned.map((o) => ({ ...base(o), problem }))

  // The stack's id first: the template is then read by that id, so it is
  // that stack's, even if the name is re-used meanwhile.
  let info: StackInfo
  try {
    info = await ctx.limit(() => ctx.api.describeStack(stack))
  } catch (error) {
    return all(
      `stack ${stack} could not be described (${describeAwsError(error, 'cloudformation:DescribeStacks')}), so it cannot be told that it created the pipeline: its token source was not followed; the pipeline itself was still rotated`
    )
  }
  const findings: StackFinding[] = []
  const ours: OwnedPipeline[] = []
  for (const o of owned) {
    const own = tags.get(o.result.arn ?? '')
    const problem = notItsStack(o, stack, info.stackId, own)
    if (problem) findings.push({ ...base(o), problem })
    // The logical id as tagged now, with the stack id just checked.
    else ours.push({ ...o, logicalId: (own as Tags)[LOGICAL_ID_TAG] ?? o.logicalId })
  }
  if (ours.length === 0) return findings

  let body: string
  try {
    body = await ctx.limit(() => ctx.api.getTemplate(info.stackId ?? stack))
  } catch (error) {
    const why = isAccessDenied(error)
      ? `the role may not read it — grant cloudformation:GetTemplate (${describeAwsError(error, 'cloudformation:GetTemplate')})`
      : describeAwsError(error, 'cloudformation:GetTemplate')
    return [
      ...findings,
      ...ours.map((o) => ({
        ...base(o),
        problem: `the template of stack ${stack} could not be read, so its token source was not followed: ${why}; the pipeline itself was still rotated`
      }))
    ]
  }
  let template: Record<string, unknown>
  try {
    template = await parseTemplate(body)
  } catch (error) {
    return [
      ...findings,
      ...ours.map((o) => ({
        ...base(o),
        problem: `the template of stack ${stack} could not be parsed (${messageOf(error).split('\n')[0]}), so its token source was not followed`
      }))
    ]
  }

  return [
    ...findings,
    ...ours.flatMap((o) => {
      const found = findPipelineResource(template, o.logicalId, o.pipeline, stack)
      if (typeof found === 'string') return [{ ...base(o), problem: found }]
      const sources = tokenSources(found.resource)
      // The template's own text of the token is the old token in clear: never print it.
      for (const s of sources) for (const literal of s.literals ?? []) registerValue(literal)
      if (sources.length === 0) {
        return [
          {
            ...base(o),
            logicalId: found.logicalId,
            problem: `the template's ${found.logicalId} has no GitHub (version 1) source action, unlike the pipeline: the next stack update would change the pipeline — check the stack`
          }
        ]
      }
      return sources.map((s) =>
        follow({ ...base(o), logicalId: found.logicalId }, s, template, info, ctx)
      )
    })
  ]
}
