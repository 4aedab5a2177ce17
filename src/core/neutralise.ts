/**
 * Text from outside — GitHub logins and messages, AWS names and errors, the
 * inputs — must not steer the runner. The runner reads every log line that
 * starts with `::` (or the older `##[`) as a workflow command, so a newline
 * inside a value could start `::stop-commands::` or a fake `::error::`.
 * `neutralise` is the one function every printed text goes through (see
 * log.ts); `cell` adds what a Markdown table cell needs.
 */

// C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g
const COMMAND_START = /^(\s*)(::|##\[)/

function escapeControl(char: string): string {
  if (char === '\n') return '\\n'
  if (char === '\r') return '\\r'
  if (char === '\t') return '\\t'
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`
}

/**
 * One safe line: control characters (newlines included) shown as escapes,
 * and a line that would begin a workflow command begins with `»` instead.
 */
export function neutralise(text: string): string {
  return text.replace(CONTROL, escapeControl).replace(COMMAND_START, '$1» $2')
}

/**
 * A Markdown table cell: one line, `|` escaped so it cannot end the cell,
 * and no HTML, links or images from a server's text.
 */
export function cell(text: string): string {
  return neutralise(text)
    .replace(/\\(?!n|r|t|u[0-9a-f]{4})/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([[\]!])/g, '\\$1')
}
