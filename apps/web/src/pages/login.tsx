import { useState, type FormEvent } from 'react';

/** Asks for the API key once per browser tab; the key is checked against the ledger before it is kept. */
export function LoginPage({ onSubmit, problem, checking }: { onSubmit: (key: string) => void; problem: string | null; checking: boolean }) {
  const [key, setKey] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = key.trim();
    if (trimmed !== '') onSubmit(trimmed);
  };
  return (
    <main className="login">
      <form onSubmit={submit} aria-label="Log in">
        <h1>compute-ledger</h1>
        <p>Finance and audit dashboard. Log in with your ledger API key; it is kept in this browser tab only until you close it or log out.</p>
        <label>
          <span>API key</span>
          <input type="password" name="apiKey" autoComplete="off" spellCheck={false} value={key} onChange={(event) => setKey(event.target.value)} autoFocus />
        </label>
        <button type="submit" disabled={checking || key.trim() === ''}>
          {checking ? 'Checking…' : 'Log in'}
        </button>
        {problem === null ? null : (
          <p className="status error" role="alert">
            {problem}
          </p>
        )}
      </form>
    </main>
  );
}
