// Filters and sorting of the grid: which photos show, in which order, grouped by burst (or,
// to review in shooting order across groups, all in one run by capture time).

import type { DecisionDto } from "../bindings/DecisionDto";
import type { LabelDto } from "../bindings/LabelDto";
import type { PhotoDto } from "../bindings/PhotoDto";
import { faultBadge } from "./suggestions";

export type FlagFilter = "all" | "picks" | "rejects" | "unrated";
/** Within each group by capture time or by score; or `shooting`: no groups, all by capture time. */
export type SortKey = "time" | "score" | "shooting";

/** The id of the one run the grid shows in shooting order (no real group has it). */
export const SHOOTING_ORDER_GROUP = -2;

export interface Filter {
  flag: FlagFilter;
  /** Only photos with at least this many stars (0 = no condition). */
  minStars: number;
  /** Only this colour label. */
  label: LabelDto | null;
  /** Only photos where someone's eyes are closed. */
  eyesClosed: boolean;
  /** Only photos whose thumbnail wears a fault badge (see `faultBadge`): what to throw away. */
  faults: boolean;
}

export const NO_FILTER: Filter = { flag: "all", minStars: 0, label: null, eyesClosed: false, faults: false };

export function isFiltered(f: Filter): boolean {
  return f.flag !== "all" || f.minStars > 0 || f.label !== null || f.eyesClosed || f.faults;
}

/** What the filter reads of a photo besides its decision. */
export type Flaggable = Pick<PhotoDto, "eyesClosed" | "fault" | "rejectCandidate">;

export function matches(photo: Flaggable, d: DecisionDto, f: Filter): boolean {
  switch (f.flag) {
    case "picks":
      if (d.flag !== "pick") return false;
      break;
    case "rejects":
      if (d.flag !== "reject") return false;
      break;
    case "unrated":
      if (d.flag !== "none" || d.stars > 0) return false;
      break;
    case "all":
      break;
  }
  if (d.stars < f.minStars) return false;
  if (f.label !== null && d.label !== f.label) return false;
  if (f.eyesClosed && !photo.eyesClosed) return false;
  if (f.faults && faultBadge(photo) === null) return false;
  return true;
}

/** A group as the grid lays it out: its id and the indices of its visible photos, in order. */
export interface VisibleGroup {
  id: number;
  members: number[];
  /** Index of the suggested pick (may be filtered out). */
  best: number | null;
}

export interface GroupInput {
  id: number;
  /** Photo indices in shooting order. */
  members: number[];
  best: number | null;
  /** The set the group is (`GroupDto.set`: `bracket`, …), null for a burst. */
  set?: string | null;
}

/**
 * The groups to show: members that pass the filter, sorted within the group by capture time
 * (then name) or by score (best first); empty groups dropped. Groups keep shooting order. In
 * `shooting` order the photos that pass come as one run by capture time, across groups.
 */
export function visibleGroups(
  groups: GroupInput[],
  photos: (Flaggable & Pick<PhotoDto, "timeMs" | "relPath" | "score">)[],
  decisionOf: (index: number) => DecisionDto,
  filter: Filter,
  sort: SortKey,
): VisibleGroup[] {
  if (sort === "shooting") {
    const members = groups.flatMap((g) => g.members.filter((i) => matches(photos[i], decisionOf(i), filter)));
    members.sort((a, b) => compare(photos[a], photos[b], a, b, "time"));
    return members.length ? [{ id: SHOOTING_ORDER_GROUP, members, best: null }] : [];
  }
  const out: VisibleGroup[] = [];
  for (const g of groups) {
    const members = g.members.filter((i) => matches(photos[i], decisionOf(i), filter));
    if (members.length === 0) continue;
    members.sort((a, b) => compare(photos[a], photos[b], a, b, sort));
    out.push({ id: g.id, members, best: g.best });
  }
  return out;
}

function compare(
  a: Pick<PhotoDto, "timeMs" | "relPath" | "score">,
  b: Pick<PhotoDto, "timeMs" | "relPath" | "score">,
  ia: number,
  ib: number,
  sort: SortKey,
): number {
  if (sort === "score" && a.score !== b.score) return b.score - a.score;
  const ta = a.timeMs ?? Number.POSITIVE_INFINITY;
  const tb = b.timeMs ?? Number.POSITIVE_INFINITY;
  if (ta !== tb) return ta - tb;
  if (a.relPath !== b.relPath) return a.relPath < b.relPath ? -1 : 1;
  return ia - ib;
}
