// Who ran on each CPU over time: one lane per CPU, a run of buckets of one
// thread as one rectangle, paler for less busy.

import { h, s } from './dom.js';
import { hint, type Widgets } from './widgets.js';

const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#3b9cd9', '#8cd17d', '#d37295'];

export function timeline(w: Widgets): HTMLElement {
  const tl = w.report.cpu.timeline;
  const { ns, share: fmtShare, time } = w.formats;
  const threads = new Map(tl.threads.map((t) => [t.tid, t]));
  const bucketsOf = new Map<number, number>();
  for (const c of tl.cpus) for (const b of c.buckets) if (b) bucketsOf.set(b.tid, (bucketsOf.get(b.tid) ?? 0) + 1);
  const ranked = Array.from(bucketsOf.keys()).sort((a, b) => bucketsOf.get(b)! - bucketsOf.get(a)! || a - b);
  // tid 0 is each CPU's idle task (swapper): grey, and no palette colour.
  const paletteTids = ranked.filter((tid) => tid !== 0);
  const colour = new Map(paletteTids.map((tid, i) => [tid, i < PALETTE.length ? PALETTE[i]! : 'hsl(' + ((tid * 47) % 360) + ',25%,62%)']));
  colour.set(0, '#afb8c1');
  function threadLabel(tid: number): string {
    const t = threads.get(tid);
    if (tid === 0 && !t) return 'idle task (tid 0)';
    return t ? t.name + ' (tid ' + tid + (t.pid != null && t.pid !== tid ? ', pid ' + t.pid : '') + ')' : 'tid ' + tid;
  }
  const buckets = tl.cpus.reduce((m, c) => Math.max(m, c.buckets.length), 0);
  const W = 1000, LABEL = 64, LANE = 22, GAP = 6, AXIS = 20;
  const plot = W - LABEL, bw = buckets ? plot / buckets : 0;
  const H = tl.cpus.length * (LANE + GAP) + AXIS;
  const svg = s('svg', { class: 'timeline', viewBox: '0 0 ' + W + ' ' + H, 'data-timeline': '', role: 'img', 'aria-label': 'Who ran on each CPU' });
  const tlStart = BigInt(tl.startNs);
  const offsetLabel = (bucket: number): string => time((tlStart + BigInt(Math.round(bucket * tl.bucketNs))).toString());
  tl.cpus.forEach((c, row) => {
    const y = row * (LANE + GAP);
    const g = s('g', { class: 'timeline-row', 'data-cpu': c.cpu }, [
      s('text', { x: 0, y: y + LANE / 2 + 4, text: 'CPU ' + c.cpu }),
      s('rect', { class: 'lane-bg', x: LABEL, y, width: plot, height: LANE }),
    ]);
    let i = 0;
    while (i < c.buckets.length) {
      const b = c.buckets[i];
      if (!b) {
        i++;
        continue;
      }
      let j = i, busy = 0;
      while (c.buckets[j]?.tid === b.tid) busy += c.buckets[j++]!.busyShare;
      const share = busy / (j - i);
      const title = threadLabel(b.tid) + ' on CPU ' + c.cpu + ', ' + offsetLabel(i) + ' to ' + offsetLabel(j) + ': busy ' + fmtShare(share);
      g.appendChild(s('rect', { class: 'run', x: LABEL + i * bw, y, width: Math.max(0.5, (j - i) * bw), height: LANE,
        fill: colour.get(b.tid), 'fill-opacity': (0.35 + 0.65 * share).toFixed(3),
        'data-tid': b.tid, 'data-from': i, 'data-to': j, 'data-busy-share': share }, [s('title', { text: title })]));
      i = j;
    }
    svg.appendChild(g);
  });
  const axisY = tl.cpus.length * (LANE + GAP);
  svg.appendChild(s('line', { class: 'axis', x1: LABEL, x2: W, y1: axisY, y2: axisY }));
  for (let k = 0; k <= 4; k++) {
    const bucket = buckets * k / 4;
    svg.appendChild(s('text', { x: LABEL + bucket * bw, y: axisY + 14, 'text-anchor': k === 0 ? 'start' : k === 4 ? 'end' : 'middle', text: offsetLabel(bucket) }));
  }
  const total = tl.cpus.reduce((sum, c) => sum + c.buckets.length, 0);
  const shown = ranked.slice(0, PALETTE.length + 1).filter((tid) => tid === 0 || paletteTids.indexOf(tid) < PALETTE.length);
  const legend = h('div', { class: 'legend', 'data-legend': '' }, shown.map((tid) =>
    h('span', { 'data-tid': tid, title: bucketsOf.get(tid) + ' of ' + total + ' CPU buckets' }, [
      h('span', { class: 'swatch', style: 'background:' + colour.get(tid) }), threadLabel(tid) + ' ' + fmtShare(bucketsOf.get(tid)! / total),
    ])));
  if (paletteTids.length > PALETTE.length) legend.appendChild(h('span', { class: 'tag', text: '+ ' + (paletteTids.length - PALETTE.length) + ' more threads in muted tones' }));
  return h('div', {}, [
    hint('Each bucket is ' + ns(tl.bucketNs) + ' and shows the thread that ran most in it; paler means the CPU was busy for less of the bucket, blank means idle. Hover for details.'),
    svg, legend,
  ]);
}
