/** Counts and lists in messages. */

/** At most `max` items, then "and N more". */
export function listAtMost(items: string[], max = 10): string {
  const shown = items.slice(0, max).join(', ')
  return items.length > max ? `${shown} and ${items.length - max} more` : shown
}

/** "1 day", "3 days". */
export const counted = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`
