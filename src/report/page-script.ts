// The HTML report's renderer: plain browser JavaScript inlined into the page.
// It reads the report from the page's JSON block and builds the DOM with
// textContent only (names and paths come from the traced system).
//
// Every number it shows carries its exact value for tests and readers:
// - data-metric="a.b.0.c" data-value=V: V is the report's value at that path;
// - [data-source=PATH] [data-index=I] [data-field=F] data-value=V: V is
//   report[PATH][I][F] (tables and bars); derived cells have no data-field.
// Kept free of backquotes and dollar-brace: it lives in a String.raw template.

import { formatters } from './units.js';

const SCRIPT = String.raw`
(function () {
  'use strict';
  var report = JSON.parse(document.getElementById('report-data').textContent);
  var TABLE_ROW_LIMIT = 1000;
  var TOP_N = 10;

  // ---- values and formats ----
  function valueAt(object, path) {
    return path.split('.').reduce(function (v, k) { return v == null ? undefined : v[k]; }, object);
  }
  function dataValue(v) { return v == null ? '' : String(v); }
  // The terminal's formats (src/report/units.ts), their source inlined here.
  var units = (/*FORMATTERS*/)();
  var sig = units.sig, fmtNs = units.duration, fmtBytes = units.bytes, fmtCount = units.count, fmtShare = units.share;
  function fmtText(s) { return s == null || s === '' ? '\u2014' : String(s); }
  var startNs = report.trace.firstNs != null ? BigInt(report.trace.firstNs) : null;
  // Absolute timestamps (decimal strings of ns) shown as offsets from the trace's start.
  function fmtTime(abs) {
    if (abs == null) return '\u2014';
    if (startNs == null) return abs + ' ns';
    var offset = Number(BigInt(abs) - startNs);
    return (offset < 0 ? '-' : '+') + (Math.abs(offset) / 1e9).toFixed(6) + ' s';
  }
  function fmtWallClock(abs) {
    if (abs == null) return '\u2014';
    var ms = Number(BigInt(abs) / 1000000n);
    // Below 2001 the clock is not wall-clock time (a trace without a realtime offset).
    return ms > 978307200000 ? new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC') : abs + ' ns';
  }
  function fmtId(n) { return n == null ? '\u2014' : String(n); }
  var FORMATS = { ns: fmtNs, bytes: fmtBytes, count: fmtCount, share: fmtShare, text: fmtText, time: fmtTime, id: fmtId };
  var UNITS = { ns: ' ns', bytes: ' bytes', count: '', share: '', text: '', time: ' ns', id: '' };
  function exactTitle(v, format) { return v == null ? 'none' : String(v) + UNITS[format]; }

  // ---- DOM helpers ----
  function h(tag, attrs, children) { return build(document.createElement(tag), attrs, children); }
  function s(tag, attrs, children) { return build(document.createElementNS('http://www.w3.org/2000/svg', tag), attrs, children); }
  function build(e, attrs, children) {
    for (var k in attrs || {}) {
      var v = attrs[k];
      if (v == null || v === false) continue;
      if (k === 'text') e.textContent = String(v);
      else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, String(v));
    }
    (children || []).forEach(function (c) {
      if (c == null) return;
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return e;
  }
  function num(v, format, attrs) {
    var a = Object.assign({ class: 'num', title: exactTitle(v, format), 'data-value': dataValue(v), text: FORMATS[format](v) }, attrs || {});
    return h('span', a);
  }
  function metric(path, format, attrs) {
    return num(valueAt(report, path), format, Object.assign({ 'data-metric': path }, attrs || {}));
  }
  function card(label, path, format, bad) {
    return h('div', { class: 'card' + (bad ? ' bad' : '') }, [h('div', { class: 'label', text: label }), metric(path, format, { class: 'value' })]);
  }
  function section(id, title, children) {
    return h('section', { class: 'block', id: id }, [h('h2', { text: title })].concat(children));
  }
  function hint(text) { return h('p', { class: 'hint', text: text }); }

  // ---- sortable tables ----
  // columns: { label, field (path in the row) | value(row) for derived cells, format, title(row) }
  function table(source, rows, columns, key) {
    var shown = rows.slice(0, TABLE_ROW_LIMIT);
    var numeric = columns.map(function (c) { return c.format !== 'text'; });
    var head = h('tr', {}, columns.map(function (c, i) {
      return h('th', { class: numeric[i] ? 'num' : 'text', scope: 'col', tabindex: 0, 'data-col': c.field || c.label, text: c.label, title: 'Sort by ' + c.label });
    }));
    var body = h('tbody', {}, shown.map(function (row, index) {
      return h('tr', { 'data-index': index, 'data-key': key(row) }, columns.map(function (c, i) {
        var v = c.field ? valueAt(row, c.field) : c.value(row);
        return h('td', {
          class: numeric[i] ? 'num' : 'text',
          'data-field': c.field || null,
          'data-col': c.field || c.label,
          'data-value': dataValue(v),
          title: c.title ? c.title(row) : exactTitle(v, c.format),
          text: FORMATS[c.format](v),
        });
      }));
    }));
    var t = h('table', { class: 'data', 'data-source': source }, [h('thead', {}, [head]), body]);
    head.querySelectorAll('th').forEach(function (th, i) {
      th.addEventListener('click', function () { sortTable(t, i, numeric[i]); });
      th.addEventListener('keydown', function (event) {
        if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); sortTable(t, i, numeric[i]); }
      });
    });
    var parts = [h('div', { class: 'table-wrap' }, [t])];
    if (rows.length > shown.length) parts.push(hint('Showing the first ' + shown.length + ' of ' + rows.length + ' rows, in the order of the report.'));
    return h('div', {}, parts);
  }
  function sortTable(t, column, numeric) {
    var th = t.tHead.rows[0].cells[column];
    var current = th.getAttribute('aria-sort');
    // Numbers sort largest first on the first click, text alphabetically.
    var ascending = current ? current === 'descending' : !numeric;
    Array.prototype.forEach.call(t.tHead.rows[0].cells, function (c) { c.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
    var body = t.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    function cellValue(row) { return row.cells[column].getAttribute('data-value'); }
    rows.sort(function (a, b) {
      var x = cellValue(a), y = cellValue(b);
      if (x === '' || y === '') return x === y ? 0 : x === '' ? 1 : -1; // unknown values last
      var order = numeric ? Number(x) - Number(y) : x.localeCompare(y);
      if (order === 0) order = Number(a.getAttribute('data-index')) - Number(b.getAttribute('data-index'));
      return ascending ? order : -order;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }

  // ---- top-N bars; several fields stack in one bar ----
  function bars(source, rows, label, fields, format, key) {
    var total = function (row) { return fields.reduce(function (sum, f) { return sum + (valueAt(row, f) || 0); }, 0); };
    var indexed = rows.map(function (row, index) { return { row: row, index: index, total: total(row) }; })
      .filter(function (r) { return r.total > 0; })
      .sort(function (a, b) { return b.total - a.total; })
      .slice(0, TOP_N);
    if (!indexed.length) return hint('Nothing to show.');
    var max = indexed[0].total;
    var grid = h('div', { class: 'bars', 'data-source': source });
    indexed.forEach(function (r) {
      var text = label(r.row);
      var segments = fields.map(function (f, i) {
        var v = valueAt(r.row, f) || 0;
        return h('div', { class: 'bar-fill' + (i ? ' second' : ''), style: 'width:' + (100 * v / max) + '%', 'data-field': f, 'data-value': dataValue(valueAt(r.row, f)), title: f + ': ' + FORMATS[format](v) + ' (' + exactTitle(v, format) + ')' });
      });
      var row = [h('div', { class: 'bar-label', title: text, text: text }), h('div', { class: 'bar-track' }, segments), num(r.total, format, { class: 'bar-value' })];
      grid.appendChild(h('div', { style: 'display:contents', 'data-index': r.index, 'data-key': key(r.row) }, row));
    });
    return grid;
  }
  function legendInline(names) {
    return h('span', { class: 'legend-inline' }, names.map(function (n, i) {
      return h('span', {}, [h('span', { class: 'swatch', style: 'background:var(' + (i ? '--bar2' : '--bar') + ')' }), n]);
    }));
  }

  // ---- histograms (log-scale buckets) ----
  function histogram(path, title) {
    var hist = valueAt(report, path);
    var counts = hist.counts;
    var first = counts.findIndex(function (c) { return c > 0; });
    if (first < 0) return h('div', { class: 'hist-card' }, [h('h4', { text: title }), hint('No samples.')]);
    var last = counts.length - 1;
    while (counts[last] === 0) last--;
    var W = 320, H = 110, top = 6, bottom = 18;
    var n = last - first + 1, bw = W / n;
    var max = Math.max.apply(null, counts.slice(first, last + 1));
    var svg = s('svg', { class: 'histogram', viewBox: '0 0 ' + W + ' ' + H, 'data-histogram': path, role: 'img', 'aria-label': title });
    svg.appendChild(s('line', { class: 'axis', x1: 0, x2: W, y1: H - bottom, y2: H - bottom }));
    for (var i = first; i <= last; i++) {
      var c = counts[i], barH = c ? Math.max(1, (H - top - bottom) * c / max) : 0;
      var lo = hist.boundsNs[i], hi = hist.boundsNs[i + 1];
      var label = '[' + fmtNs(lo) + ', ' + (hi == null ? '\u221e' : fmtNs(hi)) + '): ' + fmtCount(c);
      svg.appendChild(s('rect', { class: 'hist-bar', x: (i - first) * bw + 0.5, y: H - bottom - barH, width: Math.max(0.5, bw - 1), height: barH,
        'data-metric': path + '.counts.' + i, 'data-value': c, 'data-bucket': i }, [s('title', { text: label })]));
    }
    var ticks = [first, Math.round((first + last) / 2), last];
    svg.appendChild(s('text', { x: W, y: top + 8, 'text-anchor': 'end', text: 'tallest ' + fmtCount(max) }));
    ticks.forEach(function (i, k) {
      svg.appendChild(s('text', { x: k === 0 ? 0 : k === 1 ? W / 2 : W, y: H - 4, 'text-anchor': k === 0 ? 'start' : k === 1 ? 'middle' : 'end', text: fmtNs(hist.boundsNs[i]) }));
    });
    return h('div', { class: 'hist-card' }, [h('h4', { text: title }), svg]);
  }
  function latencyCards(base) {
    return h('div', { class: 'cards' }, [
      card('count', base + '.count', 'count'), card('min', base + '.minNs', 'ns'), card('p50', base + '.p50Ns', 'ns'),
      card('p95', base + '.p95Ns', 'ns'), card('p99', base + '.p99Ns', 'ns'), card('max', base + '.maxNs', 'ns'),
    ]);
  }

  // ---- per-CPU timeline ----
  var PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#3b9cd9', '#8cd17d', '#d37295'];
  function timeline() {
    var tl = report.cpu.timeline;
    var threads = new Map(tl.threads.map(function (t) { return [t.tid, t]; }));
    var bucketsOf = new Map();
    tl.cpus.forEach(function (c) { c.buckets.forEach(function (b) { if (b) bucketsOf.set(b.tid, (bucketsOf.get(b.tid) || 0) + 1); }); });
    var ranked = Array.from(bucketsOf.keys()).sort(function (a, b) { return bucketsOf.get(b) - bucketsOf.get(a) || a - b; });
    // tid 0 is each CPU's idle task (swapper): grey, and no palette colour.
    var paletteTids = ranked.filter(function (tid) { return tid !== 0; });
    var colour = new Map(paletteTids.map(function (tid, i) {
      return [tid, i < PALETTE.length ? PALETTE[i] : 'hsl(' + ((tid * 47) % 360) + ',25%,62%)'];
    }));
    colour.set(0, '#afb8c1');
    function threadLabel(tid) {
      var t = threads.get(tid);
      if (tid === 0 && !t) return 'idle task (tid 0)';
      return t ? t.name + ' (tid ' + tid + (t.pid != null && t.pid !== tid ? ', pid ' + t.pid : '') + ')' : 'tid ' + tid;
    }
    var buckets = tl.cpus.reduce(function (m, c) { return Math.max(m, c.buckets.length); }, 0);
    var W = 1000, LABEL = 64, LANE = 22, GAP = 6, AXIS = 20;
    var plot = W - LABEL, bw = buckets ? plot / buckets : 0;
    var H = tl.cpus.length * (LANE + GAP) + AXIS;
    var svg = s('svg', { class: 'timeline', viewBox: '0 0 ' + W + ' ' + H, 'data-timeline': '', role: 'img', 'aria-label': 'Who ran on each CPU' });
    var tlStart = BigInt(tl.startNs);
    function offsetLabel(bucket) {
      var abs = tlStart + BigInt(Math.round(bucket * tl.bucketNs));
      return fmtTime(abs.toString());
    }
    tl.cpus.forEach(function (c, row) {
      var y = row * (LANE + GAP);
      var g = s('g', { class: 'timeline-row', 'data-cpu': c.cpu }, [
        s('text', { x: 0, y: y + LANE / 2 + 4, text: 'CPU ' + c.cpu }),
        s('rect', { class: 'lane-bg', x: LABEL, y: y, width: plot, height: LANE }),
      ]);
      var i = 0;
      while (i < c.buckets.length) {
        var b = c.buckets[i];
        if (!b) { i++; continue; }
        var j = i, busy = 0;
        while (j < c.buckets.length && c.buckets[j] && c.buckets[j].tid === b.tid) { busy += c.buckets[j].busyShare; j++; }
        var share = busy / (j - i);
        var title = threadLabel(b.tid) + ' on CPU ' + c.cpu + ', ' + offsetLabel(i) + ' to ' + offsetLabel(j) + ': busy ' + fmtShare(share);
        g.appendChild(s('rect', { class: 'run', x: LABEL + i * bw, y: y, width: Math.max(0.5, (j - i) * bw), height: LANE,
          fill: colour.get(b.tid), 'fill-opacity': (0.35 + 0.65 * share).toFixed(3),
          'data-tid': b.tid, 'data-from': i, 'data-to': j, 'data-busy-share': share }, [s('title', { text: title })]));
        i = j;
      }
      svg.appendChild(g);
    });
    var axisY = tl.cpus.length * (LANE + GAP);
    svg.appendChild(s('line', { class: 'axis', x1: LABEL, x2: W, y1: axisY, y2: axisY }));
    for (var k = 0; k <= 4; k++) {
      var bucket = buckets * k / 4;
      svg.appendChild(s('text', { x: LABEL + bucket * bw, y: axisY + 14, 'text-anchor': k === 0 ? 'start' : k === 4 ? 'end' : 'middle', text: offsetLabel(bucket) }));
    }
    var total = tl.cpus.reduce(function (sum, c) { return sum + c.buckets.length; }, 0);
    var legend = h('div', { class: 'legend', 'data-legend': '' }, ranked.slice(0, PALETTE.length + 1).filter(function (tid) { return tid === 0 || paletteTids.indexOf(tid) < PALETTE.length; }).map(function (tid) {
      return h('span', { 'data-tid': tid, title: bucketsOf.get(tid) + ' of ' + total + ' CPU buckets' }, [
        h('span', { class: 'swatch', style: 'background:' + colour.get(tid) }), threadLabel(tid) + ' ' + fmtShare(bucketsOf.get(tid) / total),
      ]);
    }));
    if (paletteTids.length > PALETTE.length) legend.appendChild(h('span', { class: 'tag', text: '+ ' + (paletteTids.length - PALETTE.length) + ' more threads in muted tones' }));
    return h('div', {}, [
      hint('Each bucket is ' + fmtNs(tl.bucketNs) + ' and shows the thread that ran most in it; paler means the CPU was busy for less of the bucket, blank means idle. Hover for details.'),
      svg, legend,
    ]);
  }

  // ---- process tree ----
  function processTree() {
    function node(p, path, depth) {
      var facts = [
        h('span', { class: 'pid' }, [metric(path + '.pid', 'id', { class: 'num' })]),
        h('span', { class: 'pname', text: p.names.join(' \u2192 ') || '?' }),
        p.forkedNs != null ? h('span', { class: 'tag' }, ['forked ', metric(path + '.forkedNs', 'time')]) : null,
        p.exitedNs != null ? h('span', { class: 'tag' }, ['exited ', metric(path + '.exitedNs', 'time')]) : null,
        p.threads > 1 ? h('span', { class: 'tag' }, [metric(path + '.threads', 'count'), ' threads']) : null,
      ].concat(p.execs.map(function (e, i) {
        return h('span', { class: 'tag exec' }, ['exec ' + e.filename + ' at ', metric(path + '.execs.' + i + '.timeNs', 'time')]);
      }));
      if (!p.children.length) return h('li', { class: 'leaf', 'data-pid': p.pid }, [h('span', { class: 'node' }, facts)]);
      var childCount = p.children.length === 1 ? '1 child' : p.children.length + ' children';
      var details = h('details', depth < 3 ? { open: '' } : {}, [
        h('summary', {}, [h('span', { class: 'node' }, facts.concat([h('span', { class: 'tag', text: childCount })]))]),
        h('ul', {}, p.children.map(function (c, i) { return node(c, path + '.children.' + i, depth + 1); })),
      ]);
      return h('li', { 'data-pid': p.pid }, [details]);
    }
    var tree = h('ul', { class: 'tree', 'data-process-tree': '' }, report.processes.roots.map(function (p, i) { return node(p, 'processes.roots.' + i, 0); }));
    function setAll(open) { tree.querySelectorAll('details').forEach(function (d) { d.open = open; }); }
    return h('div', {}, [
      h('div', { class: 'toolbar' }, [h('button', { type: 'button', text: 'Expand all', onclick: function () { setAll(true); } }),
        h('button', { type: 'button', text: 'Collapse all', onclick: function () { setAll(false); } })]),
      report.processes.roots.length ? tree : hint('No processes in the trace.'),
    ]);
  }

  // ---- the page ----
  var t = report.trace;
  var errorsOf = function (row) { return Object.keys(row.errors).reduce(function (sum, k) { return sum + row.errors[k]; }, 0); };
  var errnoList = function (row) {
    var keys = Object.keys(row.errors).sort(function (a, b) { return row.errors[b] - row.errors[a]; });
    return keys.length ? keys.map(function (k) { return k + ' ' + row.errors[k]; }).join(', ') : 'no errors';
  };
  var processLabel = function (r) { return r.name + ' (' + r.pid + ')'; };
  var threadLabel = function (r) { return r.name + ' (' + r.tid + ')'; };
  var pidColumns = [{ label: 'pid', field: 'pid', format: 'id' }, { label: 'process', field: 'name', format: 'text' }];
  var tidColumns = [{ label: 'tid', field: 'tid', format: 'id' }, { label: 'pid', field: 'pid', format: 'id' }, { label: 'thread', field: 'name', format: 'text' }];

  document.title = 'Trace analysis: ' + (t.application || t.path);
  var header = h('header', { class: 'page' }, [
    h('h1', { text: 'Trace analysis' + (t.application ? ': ' + t.application : '') }),
    h('div', { class: 'facts' }, [
      h('span', {}, ['trace ', h('b', { 'data-metric': 'trace.path', 'data-value': t.path, text: t.path })]),
      t.hostname ? h('span', {}, ['host ', h('b', { 'data-metric': 'trace.hostname', 'data-value': t.hostname, text: t.hostname })]) : null,
      t.tracer ? h('span', {}, ['tracer ', h('b', { 'data-metric': 'trace.tracer', 'data-value': t.tracer, text: t.tracer })]) : null,
      h('span', {}, ['started ', h('b', { 'data-metric': 'trace.firstNs', 'data-value': dataValue(t.firstNs), title: exactTitle(t.firstNs, 'time'), text: fmtWallClock(t.firstNs) })]),
      h('span', {}, ['CPUs ', h('b', { 'data-metric': 'trace.cpus', 'data-value': t.cpus.join(','), text: t.cpus.join(', ') || '\u2014' })]),
      h('span', { text: report.tool.name + ' ' + report.tool.version }),
    ]),
  ]);
  var lostAlert = report.lost.total > 0 ? h('div', { class: 'alert', role: 'alert', 'data-lost-alert': '' }, [
    h('strong', {}, [metric('lost.total', 'count'), ' events were lost']),
    ' \u2014 the kernel dropped them because the buffers were full; these results are uncertain:',
    h('ul', {}, report.lost.uncertain.map(function (u) { return h('li', { text: u }); })),
  ]) : null;

  var damageAlert = t.damage ? h('div', { class: 'alert', role: 'alert', 'data-damage-alert': '' }, [
    h('strong', { text: 'Damaged trace' }), ' \u2014 reading stopped early; the results cover only what was read: ',
    h('span', { 'data-metric': 'trace.damage', 'data-value': t.damage, text: t.damage }),
  ]) : null;

  var overview = section('overview', 'Overview', [
    h('div', { class: 'cards' }, [
      card('Duration', 'trace.durationNs', 'ns'), card('Events', 'trace.events', 'count'),
      card('Lost events', 'lost.total', 'count', report.lost.total > 0), card('Syscalls', 'syscalls.total', 'count'),
      card('Run-queue p99', 'cpu.runQueueLatency.p99Ns', 'ns'), card('fds resolved', 'io.resolvedShare', 'share'),
      card('Accepted', 'network.accepted', 'count'), card('Connected', 'network.connected', 'count'),
      card('Forks', 'processes.forks', 'count'), card('Execs', 'processes.execs', 'count'),
    ]),
    report.notes.length ? h('div', {}, [h('h3', { text: 'Notes' }), h('ul', { class: 'plain', 'data-notes': '' }, report.notes.map(function (n) { return h('li', { text: n }); }))]) : null,
  ]);

  var cpu = report.cpu;
  var cpuSection = section('cpu', 'CPU', [
    h('h3', { text: 'Who ran on each CPU' }), timeline(),
    h('div', { class: 'grid2' }, [
      h('div', {}, [h('h3', { text: 'CPU time per process (top ' + TOP_N + ')' }), bars('cpu.byProcess', cpu.byProcess, processLabel, ['cpuNs'], 'ns', function (r) { return r.pid; })]),
      h('div', {}, [h('h3', { text: 'Per CPU' }), table('cpu.byCpu', cpu.byCpu, [
        { label: 'CPU', field: 'cpu', format: 'id' }, { label: 'busy', field: 'busyNs', format: 'ns' },
        { label: 'idle', field: 'idleNs', format: 'ns' }, { label: 'traced', field: 'tracedNs', format: 'ns' },
        { label: 'busy share', value: function (r) { return r.tracedNs ? r.busyNs / r.tracedNs : null; }, format: 'share' },
        { label: 'switches', field: 'switches', format: 'count' },
      ], function (r) { return r.cpu; })]),
    ]),
    h('h3', { text: 'CPU time per thread' }),
    table('cpu.byThread', cpu.byThread, tidColumns.concat([
      { label: 'CPU time', field: 'cpuNs', format: 'ns' }, { label: 'share', field: 'share', format: 'share' }, { label: 'switches', field: 'switches', format: 'count' },
    ]), function (r) { return r.tid; }),
    h('h3', { text: 'Run-queue latency (wakeup to running)' }), latencyCards('cpu.runQueueLatency'),
    h('div', { class: 'hist-single' }, [histogram('cpu.runQueueLatency.histogram', 'Run-queue latency, ' + fmtCount(cpu.runQueueLatency.count) + ' wakeups')]),
  ]);

  var sc = report.syscalls;
  var syscallHistograms = sc.bySyscall.slice(0, 12).map(function (st, i) {
    return histogram('syscalls.bySyscall.' + i + '.histogram', st.name + ': ' + fmtCount(st.latency.count) + ' timed calls, p50 ' + fmtNs(st.latency.p50Ns) + ', p99 ' + fmtNs(st.latency.p99Ns));
  });
  var syscallSection = section('syscalls', 'Syscalls', [
    h('div', { class: 'cards' }, [card('Syscalls', 'syscalls.total', 'count'), card('Entries without exit', 'syscalls.unmatchedEntries', 'count'), card('Exits without entry', 'syscalls.unmatchedExits', 'count')]),
    h('h3', { text: 'Time in syscalls (top ' + TOP_N + ')' }),
    bars('syscalls.bySyscall', sc.bySyscall, function (r) { return r.name; }, ['latency.totalNs'], 'ns', function (r) { return r.name; }),
    h('h3', { text: 'Per syscall' }),
    hint('Click a header to sort. Share of wall time sums over threads, so it can exceed 100 %.'),
    table('syscalls.bySyscall', sc.bySyscall, [
      { label: 'syscall', field: 'name', format: 'text' }, { label: 'calls', field: 'count', format: 'count' },
      { label: 'timed', field: 'latency.count', format: 'count', title: function (r) { return r.latency.count + ' calls with both entry and exit in the trace'; } },
      { label: 'errors', value: errorsOf, format: 'count', title: errnoList },
      { label: 'min', field: 'latency.minNs', format: 'ns' }, { label: 'mean', field: 'latency.meanNs', format: 'ns' },
      { label: 'p50', field: 'latency.p50Ns', format: 'ns' }, { label: 'p95', field: 'latency.p95Ns', format: 'ns' },
      { label: 'p99', field: 'latency.p99Ns', format: 'ns' }, { label: 'max', field: 'latency.maxNs', format: 'ns' },
      { label: 'total', field: 'latency.totalNs', format: 'ns' }, { label: 'share of wall time', field: 'shareOfWallTime', format: 'share' },
    ], function (r) { return r.name; }),
    h('h3', { text: 'Latency histograms' + (sc.bySyscall.length > 12 ? ' (the 12 syscalls with most time)' : '') }),
    h('div', { class: 'hist-grid' }, syscallHistograms),
    h('div', { class: 'grid2' }, [
      h('div', {}, [h('h3', { text: 'Per process' }), table('syscalls.byProcess', sc.byProcess, pidColumns.concat([
        { label: 'count', field: 'count', format: 'count' }, { label: 'errors', field: 'errors', format: 'count' },
        { label: 'total', field: 'totalNs', format: 'ns' }, { label: 'share', field: 'shareOfWallTime', format: 'share' },
        { label: 'top syscalls', value: function (r) { return r.top.map(function (x) { return x.name; }).join(', '); }, format: 'text',
          title: function (r) { return r.top.map(function (x) { return x.name + ': ' + x.count + ' calls, ' + x.totalNs + ' ns'; }).join('\n'); } },
      ]), function (r) { return r.pid; })]),
      h('div', {}, [h('h3', { text: 'Per thread' }), table('syscalls.byThread', sc.byThread, tidColumns.concat([
        { label: 'count', field: 'count', format: 'count' }, { label: 'errors', field: 'errors', format: 'count' },
        { label: 'total', field: 'totalNs', format: 'ns' }, { label: 'share', field: 'shareOfWallTime', format: 'share' },
      ]), function (r) { return r.tid; })]),
    ]),
  ]);

  var io = report.io;
  var fileLabel = function (r) { return (r.path || '(unresolved fd)') + ' [' + r.kind + ']'; };
  var ioSection = section('io', 'I/O', [
    h('div', { class: 'cards' }, [card('fd operations', 'io.fdOperations', 'count'), card('with a known path', 'io.fdOperationsResolved', 'count'), card('share resolved', 'io.resolvedShare', 'share')]),
    h('div', { class: 'grid2' }, [
      h('div', {}, [h('h3', {}, ['Bytes per file (top ' + TOP_N + ')', legendInline(['read', 'written'])]),
        bars('io.byFile', io.byFile, fileLabel, ['readBytes', 'writeBytes'], 'bytes', function (r) { return r.path || ''; })]),
      h('div', {}, [h('h3', {}, ['Bytes per process (top ' + TOP_N + ')', legendInline(['read', 'written'])]),
        bars('io.byProcess', io.byProcess, processLabel, ['readBytes', 'writeBytes'], 'bytes', function (r) { return r.pid; })]),
    ]),
    h('h3', { text: 'Per file' }),
    table('io.byFile', io.byFile, [
      { label: 'path', field: 'path', format: 'text' }, { label: 'kind', field: 'kind', format: 'text' },
      { label: 'read', field: 'readBytes', format: 'bytes' }, { label: 'reads', field: 'reads', format: 'count' },
      { label: 'written', field: 'writeBytes', format: 'bytes' }, { label: 'writes', field: 'writes', format: 'count' },
      { label: 'processes', value: function (r) { return r.processes.join(' '); }, format: 'text' },
    ], function (r) { return r.path || ''; }),
    h('h3', { text: 'Per process' }),
    table('io.byProcess', io.byProcess, pidColumns.concat([
      { label: 'read', field: 'readBytes', format: 'bytes' }, { label: 'reads', field: 'reads', format: 'count' },
      { label: 'written', field: 'writeBytes', format: 'bytes' }, { label: 'writes', field: 'writes', format: 'count' },
    ]), function (r) { return r.pid; }),
  ]);

  var net = report.network;
  var netSection = section('network', 'Network', [
    h('div', { class: 'cards' }, [card('Accepted', 'network.accepted', 'count'), card('Connected', 'network.connected', 'count')]),
    h('h3', {}, ['Bytes per process (top ' + TOP_N + ')', legendInline(['sent', 'received'])]),
    bars('network.byProcess', net.byProcess, processLabel, ['sentBytes', 'receivedBytes'], 'bytes', function (r) { return r.pid; }),
    h('h3', { text: 'Connections' }),
    table('network.connections', net.connections, [
      { label: 'pid', field: 'pid', format: 'id' }, { label: 'process', field: 'process', format: 'text' }, { label: 'fd', field: 'fd', format: 'id' },
      { label: 'direction', field: 'direction', format: 'text' }, { label: 'family', field: 'family', format: 'text' },
      { label: 'local', field: 'local', format: 'text' }, { label: 'peer', field: 'peer', format: 'text' },
      { label: 'sent', field: 'sentBytes', format: 'bytes' }, { label: 'received', field: 'receivedBytes', format: 'bytes' },
      { label: 'opened', field: 'openedNs', format: 'time' }, { label: 'closed', field: 'closedNs', format: 'time' },
    ], function (r) { return r.pid + ':' + r.fd; }),
    h('h3', { text: 'Per process' }),
    table('network.byProcess', net.byProcess, pidColumns.concat([
      { label: 'sent', field: 'sentBytes', format: 'bytes' }, { label: 'received', field: 'receivedBytes', format: 'bytes' },
      { label: 'connections', field: 'connections', format: 'count' },
    ]), function (r) { return r.pid; }),
  ]);

  var processSection = section('processes', 'Processes', [
    h('div', { class: 'cards' }, [card('Forks', 'processes.forks', 'count'), card('Execs', 'processes.execs', 'count'), card('Exits', 'processes.exits', 'count')]),
    hint('Times are offsets from the start of the trace.'),
    processTree(),
  ]);

  var lost = report.lost;
  var lostSection = section('lost', 'Lost events', [
    h('div', { class: 'cards' }, [card('Lost events', 'lost.total', 'count', lost.total > 0)].concat(Object.keys(lost.byCpu).map(function (c) {
      return card('lost on CPU ' + c, 'lost.byCpu.' + c, 'count', lost.byCpu[c] > 0);
    }))),
    lost.uncertain.length ? h('div', {}, [h('h3', { text: 'Uncertain results' }), h('ul', { class: 'plain', 'data-uncertain': '' }, lost.uncertain.map(function (u) { return h('li', { text: u }); }))]) : null,
    lost.ranges.length ? h('div', {}, [h('h3', { text: 'Where' }), table('lost.ranges', lost.ranges, [
      { label: 'CPU', field: 'cpu', format: 'id' }, { label: 'lost', field: 'count', format: 'count' },
      { label: 'from', field: 'beginNs', format: 'time' }, { label: 'to', field: 'endNs', format: 'time' },
    ], function (r) { return dataValue(r.cpu) + '@' + dataValue(r.beginNs); })]) : hint(lost.total ? 'The trace does not say where.' : 'Nothing was lost.'),
  ]);

  var nav = h('nav', { class: 'sections' }, [['overview', 'Overview'], ['cpu', 'CPU'], ['syscalls', 'Syscalls'], ['io', 'I/O'], ['network', 'Network'], ['processes', 'Processes'], ['lost', 'Lost events']]
    .map(function (p) { return h('a', { href: '#' + p[0], text: p[1] }); }));
  var root = document.getElementById('report');
  [header, damageAlert, lostAlert, nav, h('main', {}, [overview, cpuSection, syscallSection, ioSection, netSection, processSection, lostSection]),
    h('footer', { text: 'Written by ' + report.tool.name + ' ' + report.tool.version + ', analysis format ' + report.formatVersion + '. This file works offline; the report JSON is embedded in it.' })]
    .forEach(function (part) { if (part) root.appendChild(part); });
  document.body.setAttribute('data-rendered', 'true');
})();
`;

/** The script with the shared formatters' source in place (a function replacement: the source may hold `$`). */
export const PAGE_SCRIPT = SCRIPT.replace('/*FORMATTERS*/', () => formatters.toString());
