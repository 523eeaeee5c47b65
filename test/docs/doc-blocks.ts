// Finds the shell and TypeScript examples in a Markdown file and how each is marked for the docs
// test: `<!-- docs-test: run -->` or `<!-- docs-test: skip: <reason> -->` on the last non-blank line
// before the opening fence. Running them is readme-examples.test.ts's job.
import { readFile } from 'node:fs/promises';

export type DocBlock = {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: 'sh' | 'ts';
  code: string;
  /** `unmarked` is an example the docs test has not been told about: the test fails on it. */
  mode: 'run' | 'skip' | 'unmarked';
  reason?: string;
};

const LANGS: Record<string, DocBlock['lang']> = {
  sh: 'sh',
  bash: 'sh',
  shell: 'sh',
  ts: 'ts',
  typescript: 'ts',
};
const MARKER = /^<!-- docs-test: (run|skip)(?:: (.+?))? -->$/;

export async function docBlocks(path: string, file: string): Promise<DocBlock[]> {
  const lines = (await readFile(path, 'utf8')).split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i] ?? '');
    if (open === null) continue;
    const end = lines.findIndex((text, j) => j > i && text.trim() === '```');
    if (end < 0) throw new Error(`${file}:${i + 1}: a code fence that never closes`);
    const lang = LANGS[open[1] ?? ''];
    if (lang !== undefined) {
      let k = i - 1;
      while (k >= 0 && (lines[k] ?? '').trim() === '') k--;
      const marker = MARKER.exec((lines[k] ?? '').trim());
      blocks.push({
        file,
        line: i + 1,
        lang,
        code: lines.slice(i + 1, end).join('\n'),
        mode: marker === null ? 'unmarked' : (marker[1] as 'run' | 'skip'),
        reason: marker?.[2],
      });
    }
    i = end;
  }
  return blocks;
}
