// Sets: groups whose frames belong together and differ on purpose (an exposure bracket, and
// soon panoramas and focus stacks), named in words for the grid, the loupe and compare.

/** The words for each set kind the core names (`GroupDto.set`). */
const SET_WORDS = new Map<string, string>([
  ["bracket", "exposure bracket"],
  ["panorama", "panorama"],
  ["focus_stack", "focus stack"],
]);

/** What each set is for, said where the set is named (tooltips). */
const SET_MEANING = new Map<string, string>([
  ["bracket", "One moment at several exposures, to merge or to choose from: the exposure differences are on purpose, not faults."],
  ["panorama", "Overlapping frames to stitch into one picture."],
  ["focus_stack", "One scene focused at several distances, to merge into one sharp picture."],
]);

/** What a set is for, in a sentence (empty for a burst or a kind this UI does not know). */
export function setMeaning(kind: string | null | undefined): string {
  return (kind && SET_MEANING.get(kind)) || "";
}

/**
 * The set in words, or null for a burst or a single. A kind this UI does not know yet (a newer
 * core) is shown as its own words ("time_lapse" → "time lapse") rather than hidden.
 */
export function setLabel(kind: string | null | undefined): string | null {
  if (!kind) return null;
  const known = SET_WORDS.get(kind);
  if (known) return known;
  const words = kind.replace(/[_-]+/g, " ").trim().toLowerCase();
  return words || null;
}

/** "5 frames", "3 of 5 frames" (some filtered out), "1 frame". */
export function framesText(total: number, shown = total): string {
  const plural = total === 1 ? "frame" : "frames";
  return shown === total ? `${total} ${plural}` : `${shown} of ${total} ${plural}`;
}
