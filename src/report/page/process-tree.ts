// The process tree: each process with its names, fork, exit and execs, its
// children folded below it (open to depth 3).

import type { ProcessNode } from '../../analysis/model.js';
import { h } from './dom.js';
import { hint, type Widgets } from './widgets.js';

export function processTree(w: Widgets): HTMLElement {
  function node(p: ProcessNode, path: string, depth: number): HTMLElement {
    const facts = [
      h('span', { class: 'pid' }, [w.metric(path + '.pid', 'id', { class: 'num' }, p.pid)]),
      h('span', { class: 'pname', text: p.names.join(' \u2192 ') || '?' }),
      p.forkedNs != null ? h('span', { class: 'tag' }, ['forked ', w.metric(path + '.forkedNs', 'time', {}, p.forkedNs)]) : null,
      p.exitedNs != null ? h('span', { class: 'tag' }, ['exited ', w.metric(path + '.exitedNs', 'time', {}, p.exitedNs)]) : null,
      p.threads > 1 ? h('span', { class: 'tag' }, [w.metric(path + '.threads', 'count', {}, p.threads), ' threads']) : null,
      ...p.execs.map((e, i) => h('span', { class: 'tag exec' }, ['exec ' + e.filename + ' at ', w.metric(path + '.execs.' + i + '.timeNs', 'time', {}, e.timeNs)])),
    ];
    if (!p.children.length) return h('li', { class: 'leaf', 'data-pid': p.pid }, [h('span', { class: 'node' }, facts)]);
    const childCount = p.children.length === 1 ? '1 child' : p.children.length + ' children';
    const details = h('details', depth < 3 ? { open: '' } : {}, [
      h('summary', {}, [h('span', { class: 'node' }, [...facts, h('span', { class: 'tag', text: childCount })])]),
      h('ul', {}, p.children.map((c, i) => node(c, path + '.children.' + i, depth + 1))),
    ]);
    return h('li', { 'data-pid': p.pid }, [details]);
  }
  const roots = w.report.processes.roots;
  const tree = h('ul', { class: 'tree', 'data-process-tree': '' }, roots.map((p, i) => node(p, 'processes.roots.' + i, 0)));
  const setAll = (open: boolean): void => tree.querySelectorAll('details').forEach((d) => (d.open = open));
  return h('div', {}, [
    h('div', { class: 'toolbar' }, [
      h('button', { type: 'button', text: 'Expand all', onclick: () => setAll(true) }),
      h('button', { type: 'button', text: 'Collapse all', onclick: () => setAll(false) }),
    ]),
    roots.length ? tree : hint('No processes in the trace.'),
  ]);
}
