// Placeholder until the HTML report renderer lands (written in parallel); the coordinator replaces this file.

import type { AnalysisReport } from '../analysis/model.js';
import { UserError } from '../util/errors.js';

export async function writeHtmlReport(_report: AnalysisReport, _file: string): Promise<void> {
  throw new UserError('--html: not built yet');
}
