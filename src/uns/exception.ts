import { sameValue, type SampleValue } from '../../connectors/sdk.ts';
import type { DeviceConfig } from '../../schemas/mapping.ts';

type Deadband = DeviceConfig['tags'][number]['deadband'];

/** Whether `next` differs from `previous` by more than the deadband (any change without one). */
export function beyondDeadband(previous: SampleValue, next: SampleValue, deadband: Deadband): boolean {
  if (typeof previous === 'number' && typeof next === 'number' && deadband !== undefined) {
    const delta = Math.abs(next - previous);
    if ('absolute' in deadband) return delta > deadband.absolute;
    return delta > (Math.abs(previous) * deadband.percent) / 100;
  }
  return !sameValue(previous, next);
}
