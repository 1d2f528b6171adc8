import { useEffect, useState } from 'preact/hooks';
import { fetchReadCounts, type CatalogDevice } from './api.js';
import { formatAge, formatTime } from './format.js';
import type { LiveNamespace } from './live.js';
import { useLive, useNow } from './use-live.js';

const RATE_INTERVAL_MS = 5000;

/** Reads per second of each device, from two scrapes of /metrics RATE_INTERVAL_MS apart. */
function useReadRates(enabled: boolean): Map<string, number> {
  const [rates, setRates] = useState<Map<string, number>>(new Map());
  useEffect(() => {
    if (!enabled) return undefined;
    let last: { at: number; counts: Map<string, number> } | undefined;
    const scrape = async () => {
      const counts = await fetchReadCounts().catch(() => new Map<string, number>());
      const at = Date.now();
      if (last !== undefined) {
        const seconds = (at - last.at) / 1000;
        const previous = last.counts;
        setRates(new Map([...counts].map(([device, count]) => [device, (count - (previous.get(device) ?? count)) / seconds])));
      }
      last = { at, counts };
    };
    void scrape();
    const timer = setInterval(() => void scrape(), RATE_INTERVAL_MS);
    return () => clearInterval(timer);
  }, [enabled]);
  return rates;
}

/** Every mapped device: its connector, state, last error with its time, and reads per second. */
export function DevicesView(props: { live: LiveNamespace; devices: readonly CatalogDevice[]; metrics: boolean }) {
  const { live } = props;
  useLive(live);
  const now = useNow();
  const rates = useReadRates(props.metrics);
  return (
    <section class="devices">
      <table data-testid="devices">
        <thead>
          <tr>
            <th>Device</th>
            <th>Protocol</th>
            <th>Endpoint</th>
            <th>State</th>
            <th>Since</th>
            <th>Last error</th>
            <th>Reads/s</th>
          </tr>
        </thead>
        <tbody>
          {props.devices.map((device) => {
            const status = live.devices.get(device.name);
            const rate = rates.get(device.name);
            return (
              <tr key={device.name} data-device={device.name} data-state={status?.state ?? 'unknown'}>
                <td>{device.name}</td>
                <td>{device.protocol}</td>
                <td class="muted">{device.endpoint}</td>
                <td>
                  <span class={`state ${status?.state ?? 'unknown'}`}>{status?.state ?? 'unknown'}</span>
                </td>
                <td>{status === undefined ? '' : `${formatAge(now - status.timestamp)} ago`}</td>
                <td class="error-cell">{status?.error === undefined ? '' : `${status.error.code}: ${status.error.message} (${formatTime(status.timestamp)})`}</td>
                <td>{rate === undefined ? (props.metrics ? '…' : 'no /metrics') : rate.toFixed(1)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
