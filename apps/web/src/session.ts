/**
 * The API key of the person at the screen. It lives in sessionStorage only: gone when the tab
 * closes, never in a URL (where it would end up in history, logs and Referer headers), never in
 * localStorage (shared by every tab and kept on disk indefinitely).
 */

const storageKey = 'compute-ledger.apiKey';

export function storedKey(): string | null {
  try {
    return sessionStorage.getItem(storageKey);
  } catch {
    // Storage can be switched off; the person then logs in again on every load.
    return null;
  }
}

export function storeKey(key: string): void {
  try {
    sessionStorage.setItem(storageKey, key);
  } catch {
    // See storedKey: without storage the key lives only as long as the page.
  }
}

export function forgetKey(): void {
  try {
    sessionStorage.removeItem(storageKey);
  } catch {
    // Nothing was stored.
  }
}
