import { useState } from 'preact/hooks';
import type { CatalogTag } from './api.js';
import { formatValue } from './format.js';
import type { LiveNamespace, SetResult } from './live.js';

/** A setpoint field for a tag this user may write, with its range, and the gateway's answer. */
export function WriteForm(props: { live: LiveNamespace; tag: CatalogTag }) {
  const { tag } = props;
  const [text, setText] = useState('');
  const [result, setResult] = useState<SetResult | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const numeric = tag.takes === 'number';
  const send = async () => {
    const value = numeric ? Number(text) : tag.takes === 'boolean' ? text === 'true' : tag.takes === 'scalar' ? scalar(text) : text;
    setBusy(true);
    setResult(await props.live.write(tag.topic, value));
    setBusy(false);
  };
  return (
    <form
      class="write"
      data-testid="write"
      // The gateway checks the range and says why it refuses: the browser's own check would say less.
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        void send();
      }}
    >
      <label>
        Setpoint{' '}
        {numeric ? (
          <input name="setpoint" type="number" step="any" min={tag.min} max={tag.max} value={text} onInput={(event) => setText(event.currentTarget.value)} />
        ) : (
          <input name="setpoint" type="text" value={text} onInput={(event) => setText(event.currentTarget.value)} />
        )}
      </label>
      <span class="muted">
        {tag.min === undefined ? '' : `min ${tag.min}`} {tag.max === undefined ? '' : `max ${tag.max}`}
      </span>
      <button type="submit" disabled={busy || text === ''}>
        Write
      </button>
      {result === undefined ? null : result.ok ? (
        <p class="ok" data-testid="write-result">written: {formatValue(result.value)}</p>
      ) : (
        <p class="error" data-testid="write-result">
          {result.error?.code}: {result.error?.message}
        </p>
      )}
    </form>
  );
}

/** Text for a tag whose device decides the type (an OPC UA node): a number or true/false as such, else the text. */
function scalar(text: string): number | boolean | string {
  if (text === 'true' || text === 'false') return text === 'true';
  const number = Number(text);
  return text.trim() !== '' && Number.isFinite(number) ? number : text;
}
