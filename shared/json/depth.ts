/**
 * Whether JSON text nests objects and arrays deeper than `maxDepth`. A linear scan with no recursion,
 * run before `JSON.parse`: Node's parser and `JSON.stringify` recurse, so a small body nested a few
 * thousand levels deep would overflow the stack further down the path. Brackets inside strings do not
 * count. Malformed text is left to `JSON.parse` to refuse.
 */
export function nestsDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c)
        i += 1; // backslash: skip the escaped character
      else if (code === 0x22) inString = false;
      continue;
    }
    if (code === 0x22) inString = true;
    else if (code === 0x7b || code === 0x5b) {
      depth += 1;
      if (depth > maxDepth) return true;
    } else if (code === 0x7d || code === 0x5d) depth -= 1;
  }
  return false;
}
