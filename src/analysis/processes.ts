// Processes: the tree of forks, execs and exits, from the model's process
// table (statedump, sched_process_fork/exec/exit, task_newtask).

import type { Process } from '../model/entities.js';
import type { EventClassInfo } from '../model/event-class-info.js';
import type { ProcessesResult, ProcessNode } from './model.js';
import type { AnalysisHandler, AnalysisModule, Ending, EventFunction } from './registry.js';

export const processesAnalysis: AnalysisModule<'processes'> = {
  name: 'processes',
  deps: [],
  create: () => new ProcessAnalysis(),
};

class ProcessAnalysis implements AnalysisHandler<'processes', never> {
  private forks = 0;
  private execs = 0;
  private exits = 0;

  bind(info: EventClassInfo): EventFunction | null {
    switch (info.name) {
      case 'sched_process_fork':
        return () => this.forks++;
      case 'sched_process_exec':
        return () => this.execs++;
      case 'sched_process_exit':
        return () => this.exits++;
      default:
        return null;
    }
  }

  finalize(end: Ending): ProcessesResult {
    const processes = end.model.processes;
    const nodes = new Map<number, ProcessNode>();
    for (const process of processes.values()) {
      if (process.pid <= 0) continue;
      nodes.set(process.pid, toNode(process, end));
    }
    const roots: ProcessNode[] = [];
    for (const node of nodes.values()) {
      const parent = node.parentPid === null ? undefined : nodes.get(node.parentPid);
      if (parent && !isAncestor(node, parent, nodes)) parent.children.push(node);
      else roots.push(node);
    }
    const byPid = (a: ProcessNode, b: ProcessNode) => a.pid - b.pid;
    for (const node of nodes.values()) node.children.sort(byPid);
    return { forks: this.forks, execs: this.execs, exits: this.exits, roots: roots.sort(byPid) };
  }
}

function toNode(process: Process, end: Ending): ProcessNode {
  return {
    pid: process.pid,
    parentPid: process.parentPid,
    names: process.names.length > 0 ? [...process.names] : [end.processRef(process.pid).name],
    execs: process.execs.map((e) => ({ timeNs: end.clock.absolute(e.timeNs)!, filename: e.filename })),
    forkedNs: end.clock.absolute(process.forkedNs),
    exitedNs: end.clock.absolute(process.exitedNs),
    threads: Math.max(1, process.tids.size),
    children: [],
  };
}

/** True when `candidate` is `node` or below it: a reused pid must not make a cycle. */
function isAncestor(node: ProcessNode, candidate: ProcessNode, nodes: Map<number, ProcessNode>): boolean {
  const seen = new Set<number>();
  for (let current: ProcessNode | undefined = candidate; current; current = current.parentPid === null ? undefined : nodes.get(current.parentPid)) {
    if (current === node) return true;
    if (seen.has(current.pid)) return true;
    seen.add(current.pid);
  }
  return false;
}
