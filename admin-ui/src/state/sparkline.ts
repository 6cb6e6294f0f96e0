/** @fileoverview Inline-SVG sparkline geometry (pure): a line and a filled area over a fixed box. */

/** `end`: the last defined point, marked with a dot (a single minute of data has no line to draw). */
export type SparkGeometry = {
  line: string;
  area: string;
  max: number;
  last: number | undefined;
  end: [number, number] | undefined;
};

/**
 * Points spread evenly over `width`; `undefined` values (no data that minute) break the line
 * instead of pretending to be zero. The y scale starts at 0 so a flat queue of 3 does not look
 * like a spike.
 */
export function sparkline(
  values: readonly (number | undefined)[],
  width: number,
  height: number,
  pad = 2,
): SparkGeometry {
  const defined = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
  const max = Math.max(0, ...defined);
  const last = [...values].reverse().find((v): v is number => v !== undefined);
  if (values.length === 0 || defined.length === 0)
    return { line: '', area: '', max, last, end: undefined };
  const step = values.length > 1 ? (width - pad * 2) / (values.length - 1) : 0;
  const y = (v: number) =>
    max === 0 ? height - pad : height - pad - (v / max) * (height - pad * 2);
  const round = (n: number) => Math.round(n * 10) / 10;
  const segments: [number, number][][] = [];
  let current: [number, number][] = [];
  values.forEach((v, i) => {
    if (v === undefined || !Number.isFinite(v)) {
      if (current.length) segments.push(current);
      current = [];
      return;
    }
    current.push([round(pad + i * step), round(y(v))]);
  });
  if (current.length) segments.push(current);
  const line = segments
    .map((seg) => seg.map(([px, py], i) => `${i === 0 ? 'M' : 'L'}${px} ${py}`).join(' '))
    .join(' ');
  const area = segments
    .filter((seg) => seg.length > 1)
    .map(
      (seg) =>
        `M${seg[0]![0]} ${height} ${seg.map(([px, py]) => `L${px} ${py}`).join(' ')} L${seg[seg.length - 1]![0]} ${height} Z`,
    )
    .join(' ');
  const lastSegment = segments[segments.length - 1];
  return { line, area, max, last, end: lastSegment?.[lastSegment.length - 1] };
}
