import { SCENARIOS } from './catalog.js';

/** Markdown-safe table cell: pipes escaped, one line. */
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s+/g, ' ');

/**
 * The README's catalog table, generated from the catalog (`scenario list --markdown`); a test checks the README
 * holds exactly this between its markers, so the two cannot drift.
 */
export function scenarioTable(): string {
  return [
    '| id | stack | symptom | fix |',
    '| --- | --- | --- | --- |',
    ...SCENARIOS.map((s) => `| \`${s.id}\` | ${s.stack} | ${cell(s.symptom)} | ${cell(s.fix)} |`),
  ].join('\n');
}

export const TABLE_START =
  '<!-- scenario-table:start (generated: npx mlflow-authlab scenario list --markdown) -->';
export const TABLE_END = '<!-- scenario-table:end -->';
