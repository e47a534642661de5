// Live re-ranking after a decision: the profile learned from it, so the view comes again and
// only the suggestions move (best, rank, score, reasons, the fault badge); the grouping and the decisions stay
// as the window has them, so keyboard culling is never interrupted by a stale answer.

import type { GroupDto } from "../bindings/GroupDto";
import type { PhotoDto } from "../bindings/PhotoDto";
import type { GroupInput } from "./filters";

/** What a re-ranking changed: photos whose suggestion changed, groups whose pick moved. */
export interface Merged {
  changed: number[];
  moved: number[];
}

/** True when `next` groups the photos exactly as `groups` do (only the picks may differ). */
export function sameGrouping(groups: GroupInput[], next: GroupDto[]): boolean {
  if (groups.length !== next.length) return false;
  return groups.every((g, k) => g.id === next[k].id && g.members.length === next[k].members.length && g.members.every((m, j) => m === next[k].members[j]));
}

function sameSuggestion(a: PhotoDto, b: PhotoDto): boolean {
  return (
    a.best === b.best &&
    a.rank === b.rank &&
    a.score === b.score &&
    a.rejectCandidate === b.rejectCandidate &&
    a.fault === b.fault &&
    a.reasons.length === b.reasons.length &&
    a.reasons.every((r, k) => r === b.reasons[k])
  );
}

/**
 * Copies the suggestions of `next` (the same photos, in the same order) into `photos` and the
 * groups' picks into `groups`, keeping everything else. Returns what changed, or null when
 * `next` is another shoot or another grouping (then the whole view must be applied).
 */
export function mergeSuggestions(photos: PhotoDto[], groups: GroupInput[], next: { photos: PhotoDto[]; groups: GroupDto[] }): Merged | null {
  if (next.photos.length !== photos.length || next.photos.some((p, k) => p.id !== photos[k].id)) return null;
  if (!sameGrouping(groups, next.groups)) return null;
  const changed: number[] = [];
  next.photos.forEach((n, k) => {
    const p = photos[k];
    if (sameSuggestion(p, n)) return;
    changed.push(k);
    photos[k] = { ...p, best: n.best, rank: n.rank, score: n.score, rejectCandidate: n.rejectCandidate, reasons: n.reasons, fault: n.fault };
  });
  const moved: number[] = [];
  next.groups.forEach((n, k) => {
    if (groups[k].best !== n.best) {
      moved.push(n.id);
      groups[k].best = n.best;
    }
  });
  return { changed, moved };
}

/**
 * The words on a thumbnail's badge: the frame's heaviest fault ("motion blur", "eyes closed"),
 * else "suggested reject" for a reject candidate without one, else "eyes closed" when someone
 * blinked; null for a sound frame.
 */
export function faultBadge(p: Pick<PhotoDto, "fault" | "rejectCandidate" | "eyesClosed">): string | null {
  if (p.fault) return p.fault;
  if (p.rejectCandidate) return "suggested reject";
  return p.eyesClosed ? "eyes closed" : null;
}
