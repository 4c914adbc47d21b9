/** A duration as the doctor prints it: `23h 59m`, `5m 3s`, `7s` (the sign dropped: the sentence says which way). */
export function span(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  return h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${sec}s` : `${sec}s`;
}
