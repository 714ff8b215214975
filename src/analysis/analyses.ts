// Every analysis of `analyze`, in the order of the report's sections. A new
// analysis is a new module here (its result type under its name in
// model.ts's AnalysisResults); analyze.ts runs whatever this lists.

import { cpuAnalysis } from './cpu.js';
import { ioAnalysis } from './io.js';
import { lostEventsAnalysis } from './lost-events.js';
import { networkAnalysis } from './network.js';
import { processesAnalysis } from './processes.js';
import type { AnyAnalysisModule } from './registry.js';
import { syscallsAnalysis } from './syscalls.js';

export const ANALYSES: readonly AnyAnalysisModule[] = [syscallsAnalysis, cpuAnalysis, ioAnalysis, networkAnalysis, processesAnalysis, lostEventsAnalysis];
