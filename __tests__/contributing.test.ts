/**
 * CONTRIBUTING.md's table of store folders against src/stores/ (a store that
 * gains, loses or renames a file must say so there, so a newcomer reads what
 * is really in each folder), and every relative link of the documentation.
 */
import { describe, expect, it } from '@jest/globals'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const storesDir = path.join(root, 'src/stores')

/** `store → files` as a table with rows `| \`store\` | \`a.ts\`, \`b/\` |` lists them. */
function tableOf(markdown: string): Map<string, string[]> {
  const rows = new Map<string, string[]>()
  for (const match of markdown.matchAll(/^\|\s*`([a-z-]+)`\s*\|(.*)\|\s*$/gm)) {
    rows.set(match[1]!, [...match[2]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!).sort())
  }
  return rows
}

function folders(): Map<string, string[]> {
  const found = new Map<string, string[]>()
  for (const store of readdirSync(storesDir, { withFileTypes: true })) {
    if (!store.isDirectory()) continue
    const entries = readdirSync(path.join(storesDir, store.name), { withFileTypes: true })
    found.set(
      store.name,
      entries
        .filter((entry) => entry.isDirectory() || entry.name.endsWith('.ts'))
        .map((entry) => (entry.isDirectory() ? `${entry.name}/` : entry.name))
        .sort()
    )
  }
  return found
}

describe("CONTRIBUTING.md's store folders", () => {
  it('lists every store folder of src/stores/ with exactly its files', () => {
    const table = tableOf(readFileSync(path.join(root, 'CONTRIBUTING.md'), 'utf8'))
    expect(Object.fromEntries(table)).toEqual(Object.fromEntries(folders()))
  })

  it('reads a table row by row, so a wrong row shows', () => {
    expect(
      Object.fromEntries(tableOf('| `ssm` | `api.ts`, `plan.ts` |\n| `x` | `a/`, `b.ts` |\n'))
    ).toEqual({ ssm: ['api.ts', 'plan.ts'], x: ['a/', 'b.ts'] })
  })
})

describe('documentation links', () => {
  const pages = [
    'README.md',
    'CONTRIBUTING.md',
    'bench/README.md',
    'examples/README.md',
    ...readdirSync(path.join(root, 'docs'))
      .filter((file) => file.endsWith('.md'))
      .map((file) => `docs/${file}`)
  ]

  /** Relative links of a page (to a file of the repository) that lead nowhere. */
  const broken = (page: string, markdown: string) =>
    [...markdown.matchAll(/\]\(([^)\s]+)\)/g)]
      .map((m) => m[1]!)
      .filter((target) => !/^(https?:|mailto:|#)/.test(target))
      .filter((target) => !existsSync(path.join(root, path.dirname(page), target.split('#')[0]!)))

  it.each(pages)('%s links only to files that exist', (page) => {
    expect(broken(page, readFileSync(path.join(root, page), 'utf8'))).toEqual([])
  })

  it('notices a link to a missing page', () => {
    expect(broken('docs/x.md', '[a](ssm.md) [b](nowhere.md#x) [c](https://e.com)')).toEqual([
      'nowhere.md#x'
    ])
  })
})
