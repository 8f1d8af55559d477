/**
 * The 53-bit key under which an event id is indexed (cyrb53, a public-domain string hash).
 * 53 bits fit a JavaScript number and an SQLite INTEGER without BigInt; the index is not
 * unique, and every lookup compares the full event id, so a collision costs one extra row read
 * and never a wrong answer. Not a cryptographic hash: a crafted collision only slows a lookup.
 */
export function eventIdKey(eventId: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let index = 0; index < eventId.length; index += 1) {
    const code = eventId.charCodeAt(index);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
