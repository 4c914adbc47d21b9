import type { DoctorReport } from './diagnose.js';

/** One line a check (`PASS  title — evidence`), its fix under it, and a closing verdict. */
export function formatReport(report: DoctorReport): string {
  const lines: string[] = [];
  for (const c of report.checks) {
    lines.push(`${c.status.toUpperCase().padEnd(4)}  ${c.title} — ${c.evidence}`);
    if (c.fix && c.status !== 'pass') lines.push(`      fix: ${c.fix}`);
  }
  const failed = report.checks.filter((c) => c.status === 'fail');
  lines.push(
    '',
    failed.length === 0
      ? 'no problem found'
      : `${failed.length} problem(s): ${failed.map((c) => c.id).join(', ')} (the first one is usually the cause)`,
  );
  return lines.join('\n');
}
