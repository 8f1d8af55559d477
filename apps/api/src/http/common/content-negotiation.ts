/**
 * Proactive content negotiation (RFC 9110, section 12.5.1) for the few endpoints that answer in
 * more than one media type. Only what those need: media ranges with q-values, the most specific
 * range deciding for each offered type.
 */

/** Media ranges of one Accept header that are read; a longer header is cut there. */
export const acceptRangesMax = 64;

interface MediaRange {
  type: string;
  subtype: string;
  q: number;
}

/**
 * The offered media type the client prefers (`offered` as `type/subtype`, in the server's order
 * of preference, which breaks ties), or null when the header rules every offered type out. No
 * header, or an empty one, accepts anything: the first offered type.
 */
export function preferredMediaType<T extends string>(accept: string | undefined, offered: readonly T[]): T | null {
  if (accept === undefined || accept.trim() === '') return offered[0] ?? null;
  const ranges = parseAccept(accept);
  let best: T | null = null;
  let bestQ = 0;
  for (const candidate of offered) {
    const q = qualityOf(candidate, ranges);
    if (q > bestQ) {
      best = candidate;
      bestQ = q;
    }
  }
  return best;
}

function parseAccept(accept: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of accept.split(',').slice(0, acceptRangesMax)) {
    const [mediaRange = '', ...parameters] = part.split(';').map((piece) => piece.trim().toLowerCase());
    const match = /^([a-z0-9!#$&^_.+-]+|\*)\/([a-z0-9!#$&^_.+-]+|\*)$/.exec(mediaRange);
    if (match === null) continue;
    const qParameter = parameters.find((parameter) => parameter.startsWith('q='));
    const q = qParameter === undefined ? 1 : Number(qParameter.slice(2));
    if (!Number.isFinite(q) || q < 0 || q > 1) continue;
    ranges.push({ type: match[1]!, subtype: match[2]!, q });
  }
  return ranges;
}

/** The q of the most specific range that matches: `type/subtype`, then `type/*`, then `*\/*`. */
function qualityOf(mediaType: string, ranges: readonly MediaRange[]): number {
  const [type, subtype] = mediaType.toLowerCase().split('/') as [string, string];
  let specificity = -1;
  let q = 0;
  for (const range of ranges) {
    const rangeSpecificity = range.type === type && range.subtype === subtype ? 2 : range.type === type && range.subtype === '*' ? 1 : range.type === '*' && range.subtype === '*' ? 0 : -1;
    if (rangeSpecificity > specificity) {
      specificity = rangeSpecificity;
      q = range.q;
    }
  }
  return q;
}

/**
 * Whether an If-None-Match header names the entity tag (weak comparison, RFC 9110 section
 * 13.1.2): a client that holds these bytes already gets 304 and no body.
 */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === opaque(etag));
}
