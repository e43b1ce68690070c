/** Levenshtein distance, two rows at a time: model names are short. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The served model nearest to what the client asked for (LemonData API docs, Error Codes: `did_you_mean`). */
export function closestModel(asked: string, served: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const m of served) {
    const d = distance(asked.toLowerCase(), m.toLowerCase());
    if (d < bestD) [best, bestD] = [m, d];
  }
  return best;
}
