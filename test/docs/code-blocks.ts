/** The fenced code blocks of a markdown file: what test/docs/*.test.ts check. */
export interface CodeBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  code: string;
  fragment: boolean;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)/;

/** The fenced blocks of a markdown text; an indented fence (inside a list item) keeps its indentation out. */
export function codeBlocks(file: string, text: string): CodeBlock[] {
  const lines = text.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, lang] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      if (lines[j].trim().startsWith(fence[0].repeat(fence.length)) && lines[j].trim().replace(/[`~]/g, '') === '') break;
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j]);
    }
    const before = i > 0 ? lines[i - 1].trim() : '';
    blocks.push({ file, line: i + 1, lang: lang.toLowerCase(), code: body.join('\n') + '\n', fragment: before === '<!-- fragment -->' });
    i = j;
  }
  return blocks;
}
