// What the console pane shows of the raw console text, and searching it. Guests write terminal
// escape sequences (colours, cursor moves) and carriage returns to their serial port; the pane shows
// the text without them, the download keeps the bytes as written.

// CSI (ESC [ ... final), OSC (ESC ] ... BEL or ESC \, never past a line), other two-byte escapes, the C0 controls
// other than tab and newline (carriage returns, bells, backspaces), and DEL.
// eslint-disable-next-line no-control-regex
const ESCAPES = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b\n]*(?:\u0007|\u001b\\)?|\u001b[@-Z\\-_]|\u009b[0-?]*[ -/]*[@-~]|[\u0000-\u0008\u000b-\u001f\u007f]/g;

/** The console text fit to display: escape sequences and control characters removed. */
export function displayText(raw: string): string {
  return raw.replace(ESCAPES, "");
}

/** Splits into lines; a final newline does not start an extra, empty line. */
export function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

export interface Match {
  line: number;
  start: number;
  end: number;
}

/** The most matches counted and highlighted; a search matching more says so. */
export const MAX_MATCHES = 5000;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Case-insensitive matches of `query` in each line, in order. */
export function findMatches(lines: string[], query: string, limit = MAX_MATCHES): { matches: Match[]; capped: boolean } {
  const matches: Match[] = [];
  if (!query) return { matches, capped: false };
  const re = new RegExp(escapeRegExp(query), "gi");
  for (let line = 0; line < lines.length; line++) {
    const text = lines[line]!;
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      if (matches.length >= limit) return { matches, capped: true };
      matches.push({ line, start: m.index, end: m.index + m[0].length });
      if (m[0].length === 0) re.lastIndex++;
    }
  }
  return { matches, capped: false };
}

/** The index of the next (or previous) match, wrapping around; -1 when there are none. */
export function stepMatch(current: number, count: number, direction: 1 | -1): number {
  if (count === 0) return -1;
  if (current < 0) return direction === 1 ? 0 : count - 1;
  return (current + direction + count) % count;
}
