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
import type { StackInfo, StacksApi } from './api.js'
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

/** Follows one stack: its template, once, for every pipeline of it the run rotates. */
export async function followStack(
  region: string,
  stack: string,
  owned: OwnedPipeline[],
  ctx: FollowContext
): Promise<StackFinding[]> {
  const base = (o: OwnedPipeline): StackFinding => ({
    region,
    pipeline: o.pipeline,
    stack,
    ...(o.logicalId ? { logicalId: o.logicalId } : {})
  })
  let body: string
  try {
    body = await ctx.limit(() => ctx.api.getTemplate(stack))
  } catch (error) {
    const why = isAccessDenied(error)
      ? `the role may not read it — grant cloudformation:GetTemplate (${describeAwsError(error, 'cloudformation:GetTemplate')})`
      : describeAwsError(error, 'cloudformation:GetTemplate')
    return owned.map((o) => ({
      ...base(o),
      problem: `the template of stack ${stack} could not be read, so its token source was not followed: ${why}; the pipeline itself was still rotated`
    }))
  }
  let template: Record<string, unknown>
  try {
    template = await parseTemplate(body)
  } catch (error) {
    return owned.map((o) => ({
      ...base(o),
      problem: `the template of stack ${stack} could not be parsed (${messageOf(error).split('\n')[0]}), so its token source was not followed`
    }))
  }
  // DescribeStacks gives the parameters an update must keep; without it the
  // command says what to fill in.
  const info = await ctx.limit(() => ctx.api.describeStack(stack)).catch(() => undefined)

  return owned.flatMap((o) => {
    const found = findPipelineResource(template, o.logicalId, o.pipeline)
    if (!found) {
      return [
        {
          ...base(o),
          problem: `the template of stack ${stack} has no AWS::CodePipeline::Pipeline resource for it${o.logicalId ? ` (logical ID ${o.logicalId})` : ''}, so its token source was not followed`
        }
      ]
    }
    const sources = tokenSources(found.resource)
    // The template's literal is the old token in clear: never print it.
    for (const s of sources) if (s.literal) registerValue(s.literal)
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
}
