/**
 * Text a server sent (or an error built from it), shortened for a log line,
 * an annotation or a table cell. In this order, always: every secret the run
 * registered is replaced first, in every derived form (redact.ts); then the
 * text is cut; then made safe for the runner (neutralise.ts). Cutting first
 * would leave a token that straddles the cut as a fragment no redaction
 * recognises — 39 of its 40 characters.
 */
import { neutralise } from './neutralise.js'
import { redact } from './redact.js'

/** At most `max` characters of `text` (before neutralising), redacted first. */
export function clip(text: string, max: number): string {
  const redacted = redact(text)
  let cut = redacted.slice(0, Math.max(0, max))
  // Never half a surrogate pair.
  if (cut.length < redacted.length && /[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1)
  return neutralise(cut)
}
