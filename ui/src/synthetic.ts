// Synthetic data mode (`index.html#synthetic=10000`): a generated shoot with no back end, to
// measure the grid at 10 000 photos. Bursts of 3–12 frames, decisions kept in memory.

import type { DecisionDto } from "./bindings/DecisionDto";
import type { ShootViewDto } from "./bindings/ShootViewDto";
import type { PhotoDto } from "./bindings/PhotoDto";
import type { GroupDto } from "./bindings/GroupDto";

export function syntheticCount(hash: string): number | null {
  const m = /synthetic=(\d+)/.exec(hash);
  return m ? Math.min(200_000, Number(m[1])) : null;
}

export function syntheticShoot(n: number): ShootViewDto {
  const photos: PhotoDto[] = [];
  const groups: GroupDto[] = [];
  let t = Date.UTC(2024, 5, 1, 9, 0, 0);
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  while (photos.length < n) {
    const size = Math.min(n - photos.length, 3 + Math.floor(rnd() * 10));
    const members: number[] = [];
    const scores = Array.from({ length: size }, () => 40 + rnd() * 60);
    const bestScore = Math.max(...scores);
    for (let i = 0; i < size; i++) {
      const index = photos.length;
      members.push(index);
      const score = scores[i];
      const best = score === bestScore;
      photos.push({
        id: index + 1,
        relPath: `day1/IMG_${String(index + 1).padStart(5, "0")}.JPG`,
        kind: "jpeg",
        timeMs: t,
        width: 6000,
        height: 4000,
        group: groups.length + 1,
        best,
        rank: 1 + scores.filter((s) => s > score).length,
        score,
        rejectCandidate: score < 50,
        reasons: best ? [`sharpest of ${size}`] : ["slightly softer than the best"],
        eyesClosed: rnd() < 0.03,
        judgedFaces: [],
        error: null,
        decision: { photo: index + 1, flag: "none", stars: 0, label: null },
      });
      t += 120;
    }
    groups.push({ id: groups.length + 1, members, best: members[scores.indexOf(bestScore)], set: null });
    t += 20_000 + Math.floor(rnd() * 60_000);
  }
  return {
    shoot: 0,
    root: `synthetic shoot (${n} photos)`,
    photos,
    groups,
    status: { analyzedNow: 0, fromCache: n, failed: 0, pending: 0, cancelled: false, seconds: 0 },
    skipped: 0,
    problems: [],
    profile: "event",
    strictness: 50,
  };
}

/** In-memory decisions with an undo log, standing in for the catalog. */
export class SyntheticCatalog {
  private log: DecisionDto[][] = [];
  private redoLog: DecisionDto[][] = [];
  constructor(private current: Map<number, DecisionDto>) {}

  decide(next: DecisionDto[]): DecisionDto[] {
    this.log.push(next.map((d) => this.current.get(d.photo) ?? { photo: d.photo, flag: "none", stars: 0, label: null }));
    this.redoLog = [];
    for (const d of next) this.current.set(d.photo, d);
    return next;
  }

  undo(): DecisionDto[] {
    const before = this.log.pop();
    if (!before) return [];
    this.redoLog.push(before.map((d) => this.current.get(d.photo) as DecisionDto));
    for (const d of before) this.current.set(d.photo, d);
    return before;
  }

  redo(): DecisionDto[] {
    const after = this.redoLog.pop();
    if (!after) return [];
    this.log.push(after.map((d) => this.current.get(d.photo) as DecisionDto));
    for (const d of after) this.current.set(d.photo, d);
    return after;
  }
}
