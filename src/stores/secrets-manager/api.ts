/** The Secrets Manager calls of one region; the SDK package is loaded on first use. */
import { lazyClient, type AwsSettings } from '../../aws/client.js'
import { boundedPages, PAGINATION } from '../../aws/pages.js'

export interface SecretInfo {
  arn: string
  /** Set when the secret is replicated: the region of the primary (replicas are read-only). */
  primaryRegion: string | undefined
  deleted: boolean
  rotationEnabled: boolean
  /** Set for secrets another AWS service manages (e.g. rds). */
  owningService: string | undefined
}

/** The AWSCURRENT version of a secret. */
export interface SecretValue {
  arn: string
  versionId: string | undefined
  /** undefined when the secret holds SecretBinary. */
  text: string | undefined
}

export interface PutResult {
  arn: string
  versionId: string | undefined
}

/** One version of a secret and the staging labels that reach it. */
export interface SecretVersion {
  versionId: string
  stages: string[]
}

/** What the rotation needs from Secrets Manager in one region. */
export interface SecretsApi {
  describeSecret(secretId: string): Promise<SecretInfo>
  getSecretString(secretId: string): Promise<SecretValue>
  putSecretString(secretId: string, text: string): Promise<PutResult>
  /** The versions that have a staging label (ListSecretVersionIds, every page). */
  listVersions(secretId: string): Promise<SecretVersion[]>
  /** One version of a secret, by its id. */
  getVersionString(secretId: string, versionId: string): Promise<SecretValue>
}

export function createSecretsApi(settings: AwsSettings, region: string): SecretsApi {
  // Loaded on first use: most runs name no secret.
  const connect = lazyClient(
    settings,
    region,
    () => import('@aws-sdk/client-secrets-manager'),
    (sdk, config) => new sdk.SecretsManagerClient(config)
  )
  return {
    async describeSecret(secretId) {
      const { sdk, client } = await connect()
      const out = await client.send(new sdk.DescribeSecretCommand({ SecretId: secretId }))
      return {
        arn: out.ARN ?? secretId,
        primaryRegion: out.PrimaryRegion,
        deleted: out.DeletedDate !== undefined,
        rotationEnabled: out.RotationEnabled === true,
        owningService: out.OwningService
      }
    },
    async getSecretString(secretId) {
      const { sdk, client } = await connect()
      const out = await client.send(new sdk.GetSecretValueCommand({ SecretId: secretId }))
      return { arn: out.ARN ?? secretId, versionId: out.VersionId, text: out.SecretString }
    },
    async putSecretString(secretId, text) {
      // No VersionStages: the new version becomes AWSCURRENT, the old one
      // AWSPREVIOUS. No ClientRequestToken either: the SDK generates one per
      // command and reuses it when it retries, so a retried attempt that had
      // already landed does not create a second version.
      const { sdk, client } = await connect()
      const out = await client.send(
        new sdk.PutSecretValueCommand({ SecretId: secretId, SecretString: text })
      )
      return { arn: out.ARN ?? secretId, versionId: out.VersionId }
    },
    async listVersions(secretId) {
      const { sdk, client } = await connect()
      const versions: SecretVersion[] = []
      for await (const page of boundedPages(
        'secretsmanager:ListSecretVersionIds',
        sdk.paginateListSecretVersionIds({ client, ...PAGINATION }, { SecretId: secretId }),
        (page) => page.NextToken
      )) {
        for (const v of page.Versions ?? []) {
          if (v.VersionId) versions.push({ versionId: v.VersionId, stages: v.VersionStages ?? [] })
        }
      }
      return versions
    },
    async getVersionString(secretId, versionId) {
      const { sdk, client } = await connect()
      const out = await client.send(
        new sdk.GetSecretValueCommand({ SecretId: secretId, VersionId: versionId })
      )
      return { arn: out.ARN ?? secretId, versionId: out.VersionId, text: out.SecretString }
    }
  }
}
