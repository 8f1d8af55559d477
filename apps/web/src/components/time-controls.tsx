import { useEffect, useState, type FormEvent } from 'react';
import { formatInstant, inputValueToInstant, instantToInputValue } from '../format.js';
import { navigate, withParams, type Route } from '../routing.js';

/** Shown in an empty time control: the form it takes, and what blank means. */
const instantPlaceholder = 'YYYY-MM-DD HH:MM (blank: now)';

/**
 * The two instants every page is read at. "As of" cuts effective time (what had happened by
 * then); "as known at" cuts knowledge (only what the ledger had recorded by then), so a past
 * instant shows the books exactly as they were known that day. Blank means now.
 */
export function TimeControls({ route }: { route: Route }) {
  const asOf = route.params.get('asOf');
  const knownAt = route.params.get('knownAt');
  const [asOfText, setAsOfText] = useState(instantToInputValue(asOf));
  const [knownAtText, setKnownAtText] = useState(instantToInputValue(knownAt));
  const [problem, setProblem] = useState<string | null>(null);

  // Following a link or the browser's back button changes the instants under the form.
  useEffect(() => setAsOfText(instantToInputValue(asOf)), [asOf]);
  useEffect(() => setKnownAtText(instantToInputValue(knownAt)), [knownAt]);

  const apply = (event: FormEvent) => {
    event.preventDefault();
    const nextAsOf = asOfText === '' ? undefined : inputValueToInstant(asOfText);
    const nextKnownAt = knownAtText === '' ? undefined : inputValueToInstant(knownAtText);
    if (nextAsOf === null || nextKnownAt === null) {
      setProblem('Give a UTC date, and a time if you like (2026-11-02 or 2026-11-02 12:00), or leave the field blank for now.');
      return;
    }
    setProblem(null);
    navigate(withParams(route, { asOf: nextAsOf, knownAt: nextKnownAt }));
  };

  const reset = () => {
    setProblem(null);
    setAsOfText('');
    setKnownAtText('');
    navigate(withParams(route, { asOf: undefined, knownAt: undefined }));
  };

  return (
    <form className="time-controls" onSubmit={apply} aria-label="Time controls">
      <label>
        <span>As of (UTC)</span>
        <input type="text" name="asOf" placeholder={instantPlaceholder} spellCheck={false} autoComplete="off" value={asOfText} onChange={(event) => setAsOfText(event.target.value)} />
      </label>
      <label>
        <span>As known at (UTC)</span>
        <input type="text" name="knownAt" placeholder={instantPlaceholder} spellCheck={false} autoComplete="off" value={knownAtText} onChange={(event) => setKnownAtText(event.target.value)} />
      </label>
      <button type="submit" name="apply">
        Apply
      </button>
      <button type="button" name="now" onClick={reset} className="secondary">
        Now
      </button>
      {problem === null ? null : (
        <span className="status error" role="alert">
          {problem}
        </span>
      )}
    </form>
  );
}

/** The instants an answer was computed for, as the API repeated them. */
export function AnswerTime({ asOf, month, knownAt }: { asOf?: string; month?: string; knownAt: string }) {
  return (
    <p className="answer-time" data-as-of={asOf} data-known-at={knownAt}>
      {asOf === undefined ? null : <>As of {formatInstant(asOf)} · </>}
      {month === undefined ? null : <>Month {month} · </>}
      as known at {formatInstant(knownAt)}
    </p>
  );
}
