import { useEffect, useRef } from 'preact/hooks';
import type uPlot from 'uplot';
import type { LiveNamespace } from './live.js';

/** The recent values of a numeric tag, drawn with uPlot (loaded with the first trend shown) and redrawn on each frame with new values. */
export function Trend(props: { live: LiveNamespace; topic: string; unit: string | undefined }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const target = box.current;
    if (target === null) return undefined;
    const { live, topic, unit } = props;
    const data = (): uPlot.AlignedData => {
      const points = live.trend(topic);
      return [points.map((point) => point[0]), points.map((point) => point[1])];
    };
    let plot: uPlot | undefined;
    let unsubscribe: (() => void) | undefined;
    let closed = false;
    void import('uplot').then(({ default: UPlot }) => {
      if (closed) return;
      const drawn = new UPlot(
        {
          width: Math.max(280, target.clientWidth),
          height: 180,
          legend: { show: false },
          scales: { x: { time: true } },
          series: [{}, { label: unit ?? 'value', stroke: '#2b7bb9', width: 1.5 }],
          axes: [{}, { label: unit ?? '' }],
        },
        data(),
        target,
      );
      plot = drawn;
      let shown = -1;
      unsubscribe = live.subscribe(() => {
        const points = live.trend(topic);
        const lastAt = points[points.length - 1]?.[0] ?? -1;
        if (lastAt === shown) return;
        shown = lastAt;
        drawn.setData(data());
      });
    });
    return () => {
      closed = true;
      unsubscribe?.();
      plot?.destroy();
    };
  }, [props.live, props.topic, props.unit]);
  return <div class="trend" ref={box} data-testid="trend" />;
}
