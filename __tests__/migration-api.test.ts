/**
 * The migration's adapters against answers the emulator does not give: what
 * they send, and how they read sparse or odd answers (the local AWS server
 * of the unit tests replies what each test queues).
 */
import { describe, expect, it } from '@jest/globals'
import { useAwsServer } from '../__fixtures__/aws-server.js'
import type { AwsSettings } from '../src/aws/client.js'
import { parseConnectionArn } from '../src/inputs/connection.js'
import { createPipelineWebhookApi } from '../src/stores/codepipeline/api.js'
import {
  createConnectionsApi,
  createPolicySimulatorApi
} from '../src/stores/codepipeline/migration/api.js'

const { replies, seen } = useAwsServer()
const settings: AwsSettings = {
  credentials: async () => ({ accessKeyId: 'unit', secretAccessKey: 'unit' }),
  maxConcurrency: 2
}
const CONNECTION = parseConnectionArn(
  'arn:aws:codeconnections:eu-west-1:123456789012:connection/0a1b2c3d-0000-4000-8000-000000000001'
)!
const ROLE = 'arn:aws:iam::123456789012:role/pipeline-role'
const result = (action: string, decision: string, extra = '') =>
  `<member><EvalActionName>${action}</EvalActionName><EvalResourceName>${CONNECTION.arn}</EvalResourceName><EvalDecision>${decision}</EvalDecision>${extra}</member>`
const simulation = (members: string, more = '') => ({
  xml: true,
  body: `<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><SimulatePrincipalPolicyResult>${more}<EvaluationResults>${members}</EvaluationResults></SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></SimulatePrincipalPolicyResponse>`
})

describe('createConnectionsApi', () => {
  it('sends GetConnection for the ARN and reads a sparse answer as unknown', async () => {
    replies.push(() => ({ body: {} }))
    expect(await createConnectionsApi(settings).getConnection(CONNECTION)).toEqual({
      status: '',
      providerType: '',
      ownerAccountId: undefined,
      hostArn: undefined
    })
    // The JS SDK's target has no com.amazonaws.… prefix (botocore's has).
    expect(seen[0]?.target).toBe('CodeStar_connections_20191201.GetConnection')
    expect(JSON.parse(seen[0]?.body ?? '{}')).toEqual({ ConnectionArn: CONNECTION.arn })
    expect(String(seen[0]?.headers['authorization'])).toMatch(
      /Credential=unit\/\d{8}\/eu-west-1\/codestar-connections\/aws4_request/
    )
  })
})

describe('createPolicySimulatorApi', () => {
  it('asks for one action on one resource and reads the boundary and organizations details', async () => {
    replies.push(() =>
      simulation(
        result(
          'codeconnections:UseConnection',
          'implicitDeny',
          '<MatchedStatements><member><SourcePolicyType>none</SourcePolicyType></member><member><SourcePolicyId>a</SourcePolicyId></member><member><SourcePolicyId>a</SourcePolicyId></member></MatchedStatements>' +
            '<PermissionsBoundaryDecisionDetail><AllowedByPermissionsBoundary>false</AllowedByPermissionsBoundary></PermissionsBoundaryDecisionDetail>' +
            '<OrganizationsDecisionDetail><AllowedByOrganizations>true</AllowedByOrganizations></OrganizationsDecisionDetail>'
        )
      )
    )
    const api = createPolicySimulatorApi(settings, 'eu-west-1')
    expect(await api.simulate(ROLE, 'codeconnections:UseConnection', CONNECTION.arn)).toEqual({
      decision: 'implicitDeny',
      matched: ['a'],
      allowedByBoundary: false,
      allowedByOrganizations: true
    })
    const form = Object.fromEntries(new URLSearchParams(seen[0]?.body ?? ''))
    expect(form).toMatchObject({
      Action: 'SimulatePrincipalPolicy',
      PolicySourceArn: ROLE,
      'ActionNames.member.1': 'codeconnections:UseConnection',
      'ResourceArns.member.1': CONNECTION.arn
    })
  })

  it('follows the Marker to the result for the action, and refuses an answer without one', async () => {
    replies.push(() =>
      simulation(
        result('codeconnections:GetConnection', 'allowed'),
        '<IsTruncated>true</IsTruncated><Marker>m1</Marker>'
      )
    )
    replies.push(() =>
      simulation(
        `<member><EvalDecision>allowed</EvalDecision></member>${result('CodeConnections:UseConnection', 'allowed')}`
      )
    )
    const api = createPolicySimulatorApi(settings, 'eu-west-1')
    expect(
      (await api.simulate(ROLE, 'codeconnections:UseConnection', CONNECTION.arn)).decision
    ).toBe('allowed')
    expect(new URLSearchParams(seen[1]?.body ?? '').get('Marker')).toBe('m1')

    replies.push(() => simulation(''))
    await expect(
      api.simulate(ROLE, 'codeconnections:UseConnection', CONNECTION.arn)
    ).rejects.toThrow(
      `iam:SimulatePrincipalPolicy answered no result for codeconnections:UseConnection on ${CONNECTION.arn}: re-run`
    )
  })
})

describe('createPipelineWebhookApi', () => {
  it('lists every page and skips webhooks without a complete definition', async () => {
    replies.push(() => ({
      body: {
        webhooks: [
          {
            definition: { name: 'a', targetPipeline: 'p', targetAction: 'A' },
            url: 'u',
            arn: 'arn-a'
          },
          { definition: { name: 'broken' }, url: 'u' },
          { url: 'u' }
        ],
        NextToken: 't1'
      }
    }))
    replies.push(() => ({
      body: {
        webhooks: [{ definition: { name: 'b', targetPipeline: 'p', targetAction: 'B' }, url: 'u' }]
      }
    }))
    const api = createPipelineWebhookApi(settings, 'us-east-1')
    expect(await api.listWebhooks()).toEqual([
      { name: 'a', targetPipeline: 'p', targetAction: 'A', arn: 'arn-a' },
      { name: 'b', targetPipeline: 'p', targetAction: 'B', arn: undefined }
    ])
    expect(seen.map((s) => s.target)).toEqual([
      'CodePipeline_20150709.ListWebhooks',
      'CodePipeline_20150709.ListWebhooks'
    ])
    expect(JSON.parse(seen[0]?.body ?? '{}')).toEqual({ MaxResults: 100 })
    expect(JSON.parse(seen[1]?.body ?? '{}')).toEqual({ MaxResults: 100, NextToken: 't1' })
  })

  it('stops a listing whose page token comes back', async () => {
    for (let i = 0; i < 2; i++) replies.push(() => ({ body: { webhooks: [], NextToken: 'same' } }))
    await expect(createPipelineWebhookApi(settings, 'us-east-1').listWebhooks()).rejects.toThrow(
      /codepipeline:ListWebhooks sent the same page token twice/
    )
  })
})
