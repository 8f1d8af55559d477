/**
 * Counts in messages people read (errors, the command line's summaries): a count and its noun
 * agree in number, `1 batch`, `2 batches`. Digits are not grouped, for the scripts that read
 * them. The dashboard has its own copy of the rule (apps/web/src/format.ts): it may import no
 * runtime code of the ledger.
 */
export function countOf(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}
