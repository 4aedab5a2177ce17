import { describe, expect, it, jest } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import * as core from '../__fixtures__/core.js'

jest.unstable_mockModule('@actions/core', () => core)
const { clip } = await import('../src/core/clip.js')
const { registerToken } = await import('../src/core/redact.js')
const { secretSection } = await import('../src/stores/secrets-manager/render.js')
const { pipelineSection } = await import('../src/stores/codepipeline/render.js')
const { verifyMigration } = await import('../src/stores/codepipeline/migration/verify.js')

// 40 characters, as a classic token, made up per run (random throughout, so every
// 8-character piece of it is its own); no credential-like literal in the repository.
const TOKEN = `ghp_${randomBytes(30).toString('base64url')}`.slice(0, 40)
registerToken(TOKEN)
const BASE64 = Buffer.from(TOKEN).toString('base64')

/** Every piece of `secret` at least 8 characters long that `text` holds. */
const fragmentsIn = (text: string, secret: string): string[] => {
  const found: string[] = []
  for (let start = 0; start + 8 <= secret.length; start++) {
    const piece = secret.slice(start, start + 8)
    if (text.includes(piece)) found.push(piece)
  }
  return found
}

describe('clip', () => {
  it.each([8, 80, 300])(
    'redacts before it cuts at %i: a token straddling the cut leaves no piece of itself',
    (max) => {
      for (const secret of [TOKEN, BASE64]) {
        for (let start = Math.max(0, max - secret.length); start < max; start++) {
          const text = `${'x'.repeat(start)}${secret} and more`
          const clipped = clip(text, max)
          expect([start, fragmentsIn(clipped, TOKEN), fragmentsIn(clipped, BASE64)]).toEqual([
            start,
            [],
            []
          ])
          expect(clipped.length).toBeLessThanOrEqual(max)
        }
      }
      // The old order, cut then redact, leaves up to 39 of the 40 characters.
      const straddling = `${'x'.repeat(Math.max(0, max - 39))}${TOKEN}`
      expect(straddling.slice(0, max)).toContain(TOKEN.slice(0, 8))
    }
  )

  it('keeps short text whole, cuts long text, and neutralises what is left', () => {
    expect(clip('Bad credentials', 300)).toBe('Bad credentials')
    expect(clip('abcdefghij', 4)).toBe('abcd')
    expect(clip(`oops\n::error::pwned ${TOKEN}`, 300)).toBe('oops\\n::error::pwned ***')
    expect(clip('::warning::x', 300)).toBe('» ::warning::x')
    expect(clip('abc', 0)).toBe('')
  })

  it('never keeps half a surrogate pair', () => {
    expect(clip('ab😀cd', 3)).toBe('ab')
    expect(clip('ab😀cd', 4)).toBe('ab😀')
  })
})

describe('short ids from AWS are clipped after redaction', () => {
  it('a Secrets Manager version id that is the token shows as ***, not its first 8 characters', () => {
    const section = secretSection([
      {
        region: 'us-east-1',
        secretId: 'ci/token',
        status: 'updated',
        versionBefore: TOKEN,
        versionAfter: `${TOKEN}-2`
      } as Parameters<typeof secretSection>[0][number]
    ])
    const text = JSON.stringify(section.rows)
    expect(fragmentsIn(text, TOKEN)).toEqual([])
    expect(section.rows[0]?.[3]).toBe('*** → ***-2')
  })

  it('a pipeline execution id that holds the token shows no piece of it', () => {
    const section = pipelineSection([
      {
        region: 'us-east-1',
        pipeline: 'app',
        status: 'updated',
        githubActions: ['Source/App'],
        repositories: [],
        runs: { outcome: 'busy', executions: [TOKEN, `run-${TOKEN}`] }
      } as Parameters<typeof pipelineSection>[0][number]
    ])
    const text = JSON.stringify(section.rows)
    expect(fragmentsIn(text, TOKEN)).toEqual([])
    expect(section.rows[0]?.[4]).toBe('***, run-*** in flight')
  })

  it('a migrated pipeline that reads back with the token in a setting names the setting, not the token', () => {
    const sent = {
      name: 'app',
      version: 1,
      stages: [{ name: 'Build', actions: [{ name: 'Build', configuration: { X: 'a' } }] }]
    }
    const read = {
      ...sent,
      version: 2,
      stages: [
        {
          name: 'Build',
          actions: [{ name: 'Build', configuration: { X: `${'y'.repeat(60)}${TOKEN}` } }]
        }
      ]
    }
    const check = verifyMigration(sent, read, [])
    const text = JSON.stringify(check)
    expect(text).toContain('Build/Build')
    expect(fragmentsIn(text, TOKEN)).toEqual([])
  })
})
