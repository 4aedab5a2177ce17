/**
 * The README's Inputs and Outputs tables, generated from action.yml (as
 * actions/checkout generates its usage), so the two cannot disagree:
 * `npm run docs` rewrites them between the <!-- inputs --> / <!-- outputs -->
 * markers; __tests__/docs.test.ts fails when the README is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { format, resolveConfig } from 'prettier'
import { parse } from 'yaml'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')

interface Metadata {
  inputs: Record<string, { description: string; required?: boolean; default?: string }>
  outputs: Record<string, { description: string }>
}

const cell = (text: string) => text.replace(/\s+/g, ' ').trim().replace(/\|/g, '\\|')

function defaultCell(input: Metadata['inputs'][string]): string {
  if (input.required) return '(required)'
  const value = input.default ?? ''
  return value === '' ? '' : `\`${value}\``
}

export function tables(actionYml: string): { inputs: string; outputs: string } {
  const metadata = parse(actionYml) as Metadata
  const inputs = [
    '| Input | Default | Description |',
    '| --- | --- | --- |',
    ...Object.entries(metadata.inputs).map(
      ([name, input]) => `| \`${name}\` | ${defaultCell(input)} | ${cell(input.description)} |`
    )
  ]
  const outputs = [
    '| Output | Description |',
    '| --- | --- |',
    ...Object.entries(metadata.outputs).map(
      ([name, output]) => `| \`${name}\` | ${cell(output.description)} |`
    )
  ]
  return { inputs: inputs.join('\n'), outputs: outputs.join('\n') }
}

function replaceBetween(text: string, marker: string, content: string): string {
  const start = `<!-- ${marker}:start (generated from action.yml by npm run docs) -->`
  const end = `<!-- ${marker}:end -->`
  const from = text.indexOf(start)
  const to = text.indexOf(end)
  if (from < 0 || to < from) throw new Error(`README.md lacks the ${start} … ${end} markers`)
  return `${text.slice(0, from + start.length)}\n\n${content}\n\n${text.slice(to)}`
}

/** The README with both tables as action.yml says, formatted as prettier keeps it. */
export async function generatedReadme(readme: string, actionYml: string): Promise<string> {
  const { inputs, outputs } = tables(actionYml)
  const text = replaceBetween(replaceBetween(readme, 'inputs', inputs), 'outputs', outputs)
  const config = await resolveConfig(path.join(root, 'README.md'))
  return format(text, { ...config, parser: 'markdown' })
}
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const readmePath = path.join(root, 'README.md')
  const readme = readFileSync(readmePath, 'utf8')
  const next = await generatedReadme(readme, readFileSync(path.join(root, 'action.yml'), 'utf8'))
  if (next !== readme) writeFileSync(readmePath, next)
  console.log(next === readme ? 'README.md is up to date' : 'README.md tables regenerated')
}
