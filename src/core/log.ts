/**
 * The only module that prints. Every line, annotation, group name, output
 * and the job summary goes through here: redacted (redact.ts), then made
 * safe for the runner (neutralise.ts). ESLint forbids @actions/core's
 * printing functions anywhere else.
 */
import * as core from '@actions/core'
import { neutralise } from './neutralise.js'
import { redact } from './redact.js'

const safe = (text: string): string => neutralise(redact(text))

/** A multi-line message for an annotation: each line made safe on its own. */
const safeLines = (lines: string[]): string => lines.map(safe).join('\n')

export function info(line: string): void {
  core.info(safe(line))
}

export function warning(text: string): void {
  core.warning(safe(text))
}

export function notice(text: string): void {
  core.notice(safe(text))
}

/** Fails the step; `lines` become one annotation, one line each. */
export function fail(lines: string[]): void {
  core.setFailed(safeLines(lines))
}

export async function group(name: string, lines: string[]): Promise<void> {
  await core.group(safe(name), async () => {
    for (const line of lines) info(line)
  })
}

/** A JSON output. GITHUB_OUTPUT's random delimiter keeps any value on its own. */
export function output(name: string, value: unknown): void {
  core.setOutput(name, redact(typeof value === 'string' ? value : JSON.stringify(value)))
}

/** Appends Markdown to the job summary; the caller made its parts safe (report.ts). */
export async function summary(markdown: string): Promise<void> {
  if (!process.env['GITHUB_STEP_SUMMARY']) return
  await core.summary.addRaw(redact(markdown), true).write()
}
