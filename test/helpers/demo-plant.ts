import { readFileSync } from 'node:fs';

/** The demo pump station's Modbus mapping (config/mappings/demo-plant.yaml), pointed at a simulator on `port`. */
export function demoPlantMapping(port: number): string {
  const text = readFileSync('config/mappings/demo-plant.yaml', 'utf8');
  const moved = text.replace(/(transport: \{[^}]*\bport: )\d+/, `$1${port}`);
  if (moved === text) throw new Error('config/mappings/demo-plant.yaml: no transport port to point at the simulator');
  return moved;
}
