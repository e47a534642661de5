// Counts in words: a number and the noun for that many.

/** `n` and `one` or `many` (the plural, `one` + "s" unless given): "1 photo", "3 photos". */
export function counted(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
