// Synthetic data mode (`index.html#synthetic=10000`): a generated shoot with no back end, to
// measure the grid at 10 000 photos. Bursts of 3–12 frames, decisions kept in memory. As a
// `Backend` it answers what the grid, the loupe and culling need; it has no analysis engine
// (no thumbnails, previews, details, profiles or regrouping).

import type { ChangeDto } from "../bindings/ChangeDto";
import type { DecisionDto } from "../bindings/DecisionDto";
import type { GroupDto } from "../bindings/GroupDto";
import type { NetworkRequestDto } from "../bindings/NetworkRequestDto";
import type { PhotoDetailDto } from "../bindings/PhotoDetailDto";
import type { PhotoDto } from "../bindings/PhotoDto";
import type { ProfileInfoDto } from "../bindings/ProfileInfoDto";
import type { ShootViewDto } from "../bindings/ShootViewDto";
import { applyChange, blank } from "../lib/decisions";
import type { Backend } from "./backend";
import { AppError } from "./core";

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
        reasons: best ? [`sharpest of ${size}`] : score < 50 ? ["out of focus (2 stops less detail than the best)"] : ["slightly softer than the best"],
        fault: !best && score < 50 ? "out of focus" : null,
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

/** The synthetic shoot of `n` photos, its decisions in memory with an undo log. */
export class SyntheticBackend implements Backend {
  readonly engine = false;
  private current = new Map<number, DecisionDto>();
  private log: DecisionDto[][] = [];
  private redoLog: DecisionDto[][] = [];

  constructor(private n: number) {}

  preloaded(): ShootViewDto {
    return syntheticShoot(this.n);
  }

  decide(photos: number[], change: ChangeDto): Promise<DecisionDto[]> {
    const next = photos.map((p) => applyChange(this.current.get(p) ?? blank(p), change));
    this.log.push(next.map((d) => this.current.get(d.photo) ?? blank(d.photo)));
    this.redoLog = [];
    for (const d of next) this.current.set(d.photo, d);
    return Promise.resolve(next);
  }

  undo(): Promise<DecisionDto[]> {
    return Promise.resolve(this.replay(this.log, this.redoLog));
  }

  redo(): Promise<DecisionDto[]> {
    return Promise.resolve(this.replay(this.redoLog, this.log));
  }

  /** Puts back the last entry of `from`, recording what it replaces in `to`. */
  private replay(from: DecisionDto[][], to: DecisionDto[][]): DecisionDto[] {
    const restore = from.pop();
    if (!restore) return [];
    to.push(restore.map((d) => this.current.get(d.photo) as DecisionDto));
    for (const d of restore) this.current.set(d.photo, d);
    return restore;
  }

  thumbUrl(): string | null {
    return null;
  }

  previewUrl(): string {
    return "";
  }

  photoDetail(): Promise<PhotoDetailDto | null> {
    return Promise.resolve(null);
  }

  regroup(): Promise<ShootViewDto> {
    return this.noEngine();
  }

  currentView(): Promise<ShootViewDto> {
    return this.noEngine();
  }

  chooseProfile(): Promise<ShootViewDto> {
    return this.noEngine();
  }

  listProfiles(): Promise<ProfileInfoDto[]> {
    return this.noEngine();
  }

  /** The synthetic shoot lives in the page: nothing was ever requested. */
  networkLog(): Promise<NetworkRequestDto[]> {
    return Promise.resolve([]);
  }

  private noEngine<T>(): Promise<T> {
    return Promise.reject(new AppError("internal", "The synthetic shoot has no analysis engine"));
  }
}
