import { terminalJson, terminalText, visible } from '../../../../shared/text/unsafe-characters';

const hostile = 'evil\u001b[2J\u001b]0;title\u0007 \r \u009b1m \u202egnp.exe \u200b';
// biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for raw control characters.
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/u;

describe('terminal output makes control characters visible', () => {
  it('shows ESC, BEL, CR, U+009B, bidi overrides and zero-width characters as escapes', () => {
    expect(visible(hostile)).toBe(
      'evil\\x1b[2J\\x1b]0;title\\x07 \\x0d \\x9b1m \\u202egnp.exe \\u200b',
    );
    expect(terminalText(`a\n${hostile}\nb`)).not.toMatch(RAW);
    expect(terminalText('a\nb')).toBe('a\nb');
  });

  it('keeps --json valid JSON with \\uXXXX escapes and nothing raw', () => {
    const json = terminalJson({ attribute: hostile });
    expect(json).not.toMatch(RAW);
    expect(JSON.parse(json)).toEqual({ attribute: hostile });
  });
});
