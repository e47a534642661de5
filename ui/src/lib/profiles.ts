// Profiles in words, for the picker and the profile page: what a weight means, what a
// grouping is, how the picker sorts them.

import type { ProfileInfoDto } from "../bindings/ProfileInfoDto";

const JUDGEMENTS: Record<string, string> = {
  detail: "Focus and motion blur",
  exposure: "Exposure against the group",
  clipping: "Clipped highlights and shadows",
  noise: "Noise against the group",
  eyes: "Closed and half-closed eyes",
  faces: "Face sharpness",
};

/** The judgement a weight applies to, in words. */
export function judgementWords(judgement: string): string {
  return Object.prototype.hasOwnProperty.call(JUDGEMENTS, judgement) ? JUDGEMENTS[judgement] : judgement;
}

/** How much a weight makes a judgement count, against the engine's own balance (1). */
export function weightWords(weight: number): string {
  if (weight === 0) return "ignored";
  if (Math.abs(weight - 1) < 0.05) return "as usual";
  return weight > 1 ? "counts more" : "counts less";
}

/** A grouping strictness (0 loose ..= 100 strict) in words. */
export function groupingWords(strictness: number): string {
  const word = strictness >= 70 ? "strict" : strictness <= 30 ? "loose" : "normal";
  return `${word} (${strictness})`;
}

/** The picker's entries: presets first, then the photographer's own (as listed). */
export function pickerGroups(list: ProfileInfoDto[]): { label: string; profiles: ProfileInfoDto[] }[] {
  const presets = list.filter((p) => p.preset);
  const own = list.filter((p) => !p.preset);
  return [
    { label: "Presets", profiles: presets },
    { label: "Yours", profiles: own },
  ].filter((g) => g.profiles.length > 0);
}
