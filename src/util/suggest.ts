/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const previous = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) previous[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      previous[j] = Math.min(above + 1, previous[j - 1]! + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return previous[b.length]!;
}

/** The candidates closest to `wanted`: substring matches first, then small edit distances. */
export function closeMatches(wanted: string, candidates: Iterable<string>, limit = 5): string[] {
  const lower = wanted.toLowerCase();
  const scored: Array<{ name: string; score: number }> = [];
  for (const name of candidates) {
    const candidate = name.toLowerCase();
    const distance = editDistance(lower, candidate);
    const contains = candidate.includes(lower);
    const threshold = Math.max(2, Math.floor(lower.length / 3));
    if (contains || distance <= threshold) scored.push({ name, score: contains ? distance / 10 : distance });
  }
  scored.sort((x, y) => x.score - y.score || x.name.localeCompare(y.name));
  return scored.slice(0, limit).map((s) => s.name);
}
