import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { LiveNamespace } from './live.js';

/** The recent values of a numeric tag, drawn with uPlot and redrawn on each frame with new values. */
export function Trend(props: { live: LiveNamespace; topic: string; unit: string | undefined }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const target = box.current;
    if (target === null) return undefined;
    const data = (): uPlot.AlignedData => {
      const points = props.live.trend(props.topic);
      return [points.map((point) => point[0]), points.map((point) => point[1])];
    };
    const plot = new uPlot(
      {
        width: Math.max(280, target.clientWidth),
        height: 180,
        legend: { show: false },
        scales: { x: { time: true } },
        series: [{}, { label: props.unit ?? 'value', stroke: '#2b7bb9', width: 1.5 }],
        axes: [{}, { label: props.unit ?? '' }],
      },
      data(),
      target,
    );
    let shown = -1;
    const unsubscribe = props.live.subscribe(() => {
      const points = props.live.trend(props.topic);
      const lastAt = points[points.length - 1]?.[0] ?? -1;
      if (lastAt === shown) return;
      shown = lastAt;
      plot.setData(data());
    });
    return () => {
      unsubscribe();
      plot.destroy();
    };
  }, [props.live, props.topic, props.unit]);
  return <div class="trend" ref={box} data-testid="trend" />;
}
