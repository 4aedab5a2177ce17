import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { generatedReadme, tables } from '../scripts/docs.js'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const read = (file: string) => readFileSync(path.join(root, file), 'utf8')

describe("README's Inputs and Outputs tables", () => {
  it('are what action.yml says (run `npm run docs` after changing action.yml)', async () => {
    const readme = read('README.md')
    expect(readme).toBe(await generatedReadme(readme, read('action.yml')))
  })

  it('list every input and output of action.yml, with its default', () => {
    const { inputs, outputs } = tables(read('action.yml'))
    expect(inputs).toContain('| `token` | (required) |')
    expect(inputs).toContain('| `in-progress` | `wait` |')
    expect(inputs).toContain('| `github-api-url` | `${{ github.api_url }}` |')
    expect(outputs).toContain('| `previous-token-revoked` |')
  })

  it('change when action.yml changes, and need the markers', async () => {
    const yml = read('action.yml').replace(
      'Plan only (read-only calls), write nothing',
      'Plan only, changed'
    )
    const readme = read('README.md')
    expect(await generatedReadme(readme, yml)).not.toBe(readme)
    await expect(generatedReadme('# No markers\n', yml)).rejects.toThrow(
      /lacks the <!-- inputs:start/
    )
  })
})

describe('.env.example, for npm run local-action', () => {
  it('sets every input of action.yml, named as the runner names it', () => {
    const inputs = Object.keys(
      (parse(read('action.yml')) as { inputs: Record<string, unknown> }).inputs
    )
    const set = [...read('.env.example').matchAll(/^INPUT_([A-Z-]+)=/gm)].map((m) => m[1])
    expect(set.sort()).toEqual(inputs.map((name) => name.toUpperCase()).sort())
  })
})
