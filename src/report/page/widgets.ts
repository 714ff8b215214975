// The page's building blocks: numbers with their exact value, cards, sortable
// tables, top-N bars and log-scale histograms.
//
// Every number shown carries its exact value for tests and readers:
// - data-metric="a.b.0.c" data-value=V: V is the report's value at that path;
// - [data-source=PATH] [data-index=I] [data-field=F] data-value=V: V is
//   report[PATH][I][F] (tables and bars); derived cells have no data-field.

import type { AnalysisReport, Histogram } from '../../analysis/model.js';
import { h, s, valueAt, type Attrs, type Child, type Path } from './dom.js';
import { dataValue, exactTitle, pageFormats, type Format, type Formats, type Value } from './formats.js';

export const TABLE_ROW_LIMIT = 1000;
export const TOP_N = 10;

/** A table column: a field of the row (a path), or a value derived from it (a cell without data-field). */
export type Column<Row> = { label: string; format: Format; title?: (row: Row) => string } & (
  | { field: Path<Row>; value?: undefined }
  | { field?: undefined; value: (row: Row) => Value }
);

export function section(id: string, title: string, children: Child[]): HTMLElement {
  return h('section', { class: 'block', id }, [h('h2', { text: title }), ...children]);
}

export function hint(text: string): HTMLElement {
  return h('p', { class: 'hint', text });
}

export function legendInline(names: string[]): HTMLElement {
  return h('span', { class: 'legend-inline' }, names.map((n, i) =>
    h('span', {}, [h('span', { class: 'swatch', style: 'background:var(' + (i ? '--bar2' : '--bar') + ')' }), n])));
}

function sortTable(t: HTMLTableElement, column: number, numeric: boolean): void {
  const headers = Array.from(t.tHead!.rows[0]!.cells);
  const th = headers[column]!;
  const current = th.getAttribute('aria-sort');
  // Numbers sort largest first on the first click, text alphabetically.
  const ascending = current ? current === 'descending' : !numeric;
  headers.forEach((c) => c.removeAttribute('aria-sort'));
  th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
  const body = t.tBodies[0]!;
  const cellValue = (row: HTMLTableRowElement): string => row.cells[column]!.getAttribute('data-value') ?? '';
  const rows = Array.from(body.rows).sort((a, b) => {
    const x = cellValue(a), y = cellValue(b);
    if (x === '' || y === '') return x === y ? 0 : x === '' ? 1 : -1; // unknown values last
    let order = numeric ? Number(x) - Number(y) : x.localeCompare(y);
    if (order === 0) order = Number(a.getAttribute('data-index')) - Number(b.getAttribute('data-index'));
    return ascending ? order : -order;
  });
  rows.forEach((r) => body.appendChild(r));
}

/** The widgets of one report: they read it, and show its times as offsets from its start. */
export class Widgets {
  readonly formats: Formats;

  constructor(readonly report: AnalysisReport) {
    this.formats = pageFormats(report.trace.firstNs);
  }

  num(v: Value, format: Format, attrs: Attrs = {}): HTMLElement {
    return h('span', { class: 'num', title: exactTitle(v, format), 'data-value': dataValue(v), text: this.formats[format](v), ...attrs });
  }

  /** The report's value at path, or at a path only known at run time with its value. */
  metric(path: Path<AnalysisReport>, format: Format, attrs?: Attrs): HTMLElement;
  metric(path: string, format: Format, attrs: Attrs | undefined, value: Value): HTMLElement;
  metric(path: string, format: Format, attrs: Attrs = {}, value: Value = valueAt(this.report, path) as Value): HTMLElement {
    return this.num(value, format, { 'data-metric': path, ...attrs });
  }

  card(label: string, path: Path<AnalysisReport>, format: Format, bad = false): HTMLElement {
    return this.cardOf(label, path, format, valueAt(this.report, path) as Value, bad);
  }

  cardOf(label: string, path: string, format: Format, value: Value, bad = false): HTMLElement {
    return h('div', { class: 'card' + (bad ? ' bad' : '') }, [h('div', { class: 'label', text: label }), this.metric(path, format, { class: 'value' }, value)]);
  }

  latencyCards(base: 'cpu.runQueueLatency'): HTMLElement {
    return h('div', { class: 'cards' }, [
      this.card('count', `${base}.count`, 'count'), this.card('min', `${base}.minNs`, 'ns'), this.card('p50', `${base}.p50Ns`, 'ns'),
      this.card('p95', `${base}.p95Ns`, 'ns'), this.card('p99', `${base}.p99Ns`, 'ns'), this.card('max', `${base}.maxNs`, 'ns'),
    ]);
  }

  /** A sortable table of the rows at source in the report (the first TABLE_ROW_LIMIT). */
  table<Row>(source: string, rows: Row[], columns: Array<Column<NoInfer<Row>>>, key: (row: NoInfer<Row>) => Value): HTMLElement {
    const shown = rows.slice(0, TABLE_ROW_LIMIT);
    const numeric = columns.map((c) => c.format !== 'text');
    const head = h('tr', {}, columns.map((c, i) =>
      h('th', { class: numeric[i] ? 'num' : 'text', scope: 'col', tabindex: 0, 'data-col': c.field ?? c.label, text: c.label, title: 'Sort by ' + c.label })));
    const body = h('tbody', {}, shown.map((row, index) =>
      h('tr', { 'data-index': index, 'data-key': key(row) }, columns.map((c, i) => {
        const v = c.value ? c.value(row) : (valueAt(row, c.field!) as Value);
        return h('td', {
          class: numeric[i] ? 'num' : 'text',
          'data-field': c.field ?? null,
          'data-col': c.field ?? c.label,
          'data-value': dataValue(v),
          title: c.title ? c.title(row) : exactTitle(v, c.format),
          text: this.formats[c.format](v),
        });
      }))));
    const t = h('table', { class: 'data', 'data-source': source }, [h('thead', {}, [head]), body]);
    head.querySelectorAll('th').forEach((th, i) => {
      th.addEventListener('click', () => sortTable(t, i, numeric[i]!));
      th.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          sortTable(t, i, numeric[i]!);
        }
      });
    });
    const parts: HTMLElement[] = [h('div', { class: 'table-wrap' }, [t])];
    if (rows.length > shown.length) parts.push(hint('Showing the first ' + shown.length + ' of ' + rows.length + ' rows, in the order of the report.'));
    return h('div', {}, parts);
  }

  /** The TOP_N rows with the largest sum of fields, as bars; several fields stack in one bar. */
  bars<Row>(source: string, rows: Row[], label: (row: NoInfer<Row>) => string, fields: Array<Path<NoInfer<Row>>>, format: Format, key: (row: NoInfer<Row>) => Value): HTMLElement {
    const field = (row: Row, f: string): number | undefined => valueAt(row, f) as number | undefined;
    const indexed = rows.map((row, index) => ({ row, index, total: fields.reduce((sum, f) => sum + (field(row, f) || 0), 0) }))
      .filter((r) => r.total > 0)
      .sort((a, b) => b.total - a.total)
      .slice(0, TOP_N);
    if (!indexed.length) return hint('Nothing to show.');
    const max = indexed[0]!.total;
    const grid = h('div', { class: 'bars', 'data-source': source });
    for (const r of indexed) {
      const text = label(r.row);
      const segments = fields.map((f, i) => {
        const v = field(r.row, f) || 0;
        return h('div', { class: 'bar-fill' + (i ? ' second' : ''), style: 'width:' + (100 * v / max) + '%', 'data-field': f,
          'data-value': dataValue(field(r.row, f)), title: f + ': ' + this.formats[format](v) + ' (' + exactTitle(v, format) + ')' });
      });
      const row = [h('div', { class: 'bar-label', title: text, text }), h('div', { class: 'bar-track' }, segments), this.num(r.total, format, { class: 'bar-value' })];
      grid.appendChild(h('div', { style: 'display:contents', 'data-index': r.index, 'data-key': key(r.row) }, row));
    }
    return grid;
  }

  /** A log-scale histogram, hist being the report's value at path. */
  histogram(path: string, hist: Histogram, title: string): HTMLElement {
    const { ns, count } = this.formats;
    const counts = hist.counts;
    const first = counts.findIndex((c) => c > 0);
    if (first < 0) return h('div', { class: 'hist-card' }, [h('h4', { text: title }), hint('No samples.')]);
    let last = counts.length - 1;
    while (counts[last] === 0) last--;
    const W = 320, H = 110, top = 6, bottom = 18;
    const bw = W / (last - first + 1);
    const max = Math.max(...counts.slice(first, last + 1));
    const svg = s('svg', { class: 'histogram', viewBox: '0 0 ' + W + ' ' + H, 'data-histogram': path, role: 'img', 'aria-label': title });
    svg.appendChild(s('line', { class: 'axis', x1: 0, x2: W, y1: H - bottom, y2: H - bottom }));
    for (let i = first; i <= last; i++) {
      const c = counts[i]!;
      const barH = c ? Math.max(1, (H - top - bottom) * c / max) : 0;
      const hi = hist.boundsNs[i + 1];
      const label = '[' + ns(hist.boundsNs[i]) + ', ' + (hi == null ? '\u221e' : ns(hi)) + '): ' + count(c);
      svg.appendChild(s('rect', { class: 'hist-bar', x: (i - first) * bw + 0.5, y: H - bottom - barH, width: Math.max(0.5, bw - 1), height: barH,
        'data-metric': path + '.counts.' + i, 'data-value': c, 'data-bucket': i }, [s('title', { text: label })]));
    }
    svg.appendChild(s('text', { x: W, y: top + 8, 'text-anchor': 'end', text: 'tallest ' + count(max) }));
    [first, Math.round((first + last) / 2), last].forEach((i, k) => {
      svg.appendChild(s('text', { x: k === 0 ? 0 : k === 1 ? W / 2 : W, y: H - 4, 'text-anchor': k === 0 ? 'start' : k === 1 ? 'middle' : 'end', text: ns(hist.boundsNs[i]) }));
    });
    return h('div', { class: 'hist-card' }, [h('h4', { text: title }), svg]);
  }
}
