/**
 * A line chart as SVG drawn on the server: no chart library and no script, so the charts show
 * without JavaScript and under a strict Content-Security-Policy. Gaps (null) break the line.
 */
export const CHART_WIDTH = 300;
export const CHART_HEIGHT = 100;

export interface LineChart {
  /** An SVG path: M/L commands inside the 0..WIDTH × 0..HEIGHT box. */
  path: string;
  /** The value at the top of the box (a round number at or above the maximum). */
  top: number;
  latest: number | null;
}

/** 1, 2 or 5 times a power of ten: axis tops people read at a glance. */
export function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

export function lineChart(values: ReadonlyArray<number | null>, minimumTop = 1): LineChart {
  const top = niceCeiling(Math.max(minimumTop, ...values.filter((v): v is number => v !== null && Number.isFinite(v))));
  const step = values.length > 1 ? CHART_WIDTH / (values.length - 1) : 0;
  let path = '';
  let drawing = false;
  values.forEach((value, i) => {
    if (value === null || !Number.isFinite(value)) {
      drawing = false;
      return;
    }
    const x = (i * step).toFixed(1);
    const y = (CHART_HEIGHT - (Math.min(value, top) / top) * CHART_HEIGHT).toFixed(1);
    path += `${drawing ? 'L' : 'M'}${x} ${y} `;
    drawing = true;
  });
  const latest = [...values].reverse().find((v) => v !== null) ?? null;
  return { path: path.trim(), top, latest };
}
