import { RegisterBank } from './registers.ts';

/**
 * The demo plant: one pump station. The motor follows its speed setpoint, flow follows the speed,
 * pressure follows the flow with a slow wave and some noise.
 *
 * holding 0-1  discharge pressure, float32 bar      holding 5  speed setpoint, uint16 rpm (writable)
 * holding 2-3  flow, float32 m3/h                    holding 6  motor temperature, int16 × 0.1 °C
 * holding 4    motor speed, uint16 rpm               holding 10-13  pump name, string (8 bytes)
 * coil 0       run command (writable)                discrete 0  motor fault
 * input 0-1    suction pressure, float32 bar
 */
export class PumpStation {
  readonly bank = new RegisterBank();
  private timer: NodeJS.Timeout | undefined;
  private readonly started = Date.now();

  constructor(private readonly random: () => number = Math.random) {
    this.bank.holding[5] = 1450;
    this.bank.coils[0] = 1;
    this.bank.holding[6] = 412;
    this.bank.setString('holding', 10, 'PUMP-101', 8);
    this.step(0);
  }

  start(periodMs = 200): void {
    this.timer = setInterval(() => this.step(periodMs / 1000), periodMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Advances the plant by `dt` seconds. */
  step(dt: number): void {
    const bank = this.bank;
    const running = bank.coils[0] === 1;
    const target = running ? (bank.holding[5] ?? 0) : 0;
    const speed = bank.holding[4] ?? 0;
    const next = speed + Math.sign(target - speed) * Math.min(Math.abs(target - speed), 400 * dt);
    bank.holding[4] = Math.round(next);
    const t = (Date.now() - this.started) / 1000;
    const flow = (next / 1450) * 42 + (this.random() - 0.5) * 0.4;
    bank.setFloat32('holding', 2, Math.max(0, flow));
    bank.setFloat32('holding', 0, Math.max(0, 1.2 + flow * 0.072 + 0.15 * Math.sin(t / 10) + (this.random() - 0.5) * 0.02));
    bank.setFloat32('input', 0, 0.8 + 0.05 * Math.sin(t / 30));
    const temperature = bank.holding[6] ?? 400;
    bank.holding[6] = Math.round(temperature + ((running ? 450 : 250) - temperature) * 0.01 * dt * 5);
  }
}
