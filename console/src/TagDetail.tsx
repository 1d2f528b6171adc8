import type { CatalogTag } from './api.js';
import { formatAge, formatTime, formatValue } from './format.js';
import type { LiveNamespace } from './live.js';
import { Trend } from './Trend.js';
import { useLive, useNow } from './use-live.js';
import { WriteForm } from './WriteForm.js';

/** One tag: its topic and mapping, its live value, a trend of its recent values, and a setpoint if allowed. */
export function TagDetail(props: { live: LiveNamespace; tag: CatalogTag }) {
  const { live, tag } = props;
  useLive(live);
  const now = useNow();
  const value = live.values.get(tag.topic);
  const rows: Array<[string, string | undefined]> = [
    ['Topic', tag.topic],
    ['Device', `${tag.device} (${tag.protocol})`],
    ['Address', tag.address],
    ['Data type', tag.dataType],
    ['Scaling', tag.scale === undefined && tag.offset === undefined ? undefined : `× ${tag.scale ?? 1} + ${tag.offset ?? 0}`],
    ['Deadband', tag.deadband],
    ['Unit', tag.unit ?? value?.unit],
    ['Range', tag.min === undefined && tag.max === undefined ? undefined : `${tag.min ?? '…'} to ${tag.max ?? '…'}`],
    ['Writable', tag.writable ? (tag.mayWrite ? 'yes' : 'yes, not by you') : 'no'],
  ];
  return (
    <aside class="detail" data-testid="detail">
      <h2>{tag.name}</h2>
      <p class="big">
        <span data-testid="detail-value">{formatValue(value?.value)}</span> <span class="unit">{value?.unit ?? tag.unit ?? ''}</span>{' '}
        <span class={`quality ${value?.quality ?? 'none'}`}>{value === undefined ? 'no value yet' : value.quality === 'good' ? 'good' : `${value.quality} ${value.status ?? ''}`}</span>
      </p>
      {value === undefined ? null : (
        <p class="muted">
          read at {formatTime(value.timestamp)}, changed {formatAge(now - value.changedAt)} ago
        </p>
      )}
      {value === undefined || typeof value.value === 'number' ? <Trend live={live} topic={tag.topic} unit={tag.unit ?? value?.unit} /> : null}
      {tag.mayWrite ? <WriteForm key={tag.topic} live={live} tag={tag} /> : null}
      <table class="mapping">
        <tbody>
          {rows
            .filter((row): row is [string, string] => row[1] !== undefined)
            .map(([label, text]) => (
              <tr key={label}>
                <th>{label}</th>
                <td>{text}</td>
              </tr>
            ))}
        </tbody>
      </table>
    </aside>
  );
}
