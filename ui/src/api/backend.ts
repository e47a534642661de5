// What the window asks of the engine behind the open shoot, as one interface with two
// implementations: the app's core through Tauri (`tauriBackend`) and the synthetic shoot
// (api/synthetic.ts, a generated shoot in memory). `backendFor` is the one place that chooses
// between them, once, when the window starts.

import type { ChangeDto } from "../bindings/ChangeDto";
import type { DecisionDto } from "../bindings/DecisionDto";
import type { NetworkRequestDto } from "../bindings/NetworkRequestDto";
import type { PhotoDetailDto } from "../bindings/PhotoDetailDto";
import type { ProfileInfoDto } from "../bindings/ProfileInfoDto";
import type { ShootViewDto } from "../bindings/ShootViewDto";
import { networkLog } from "./contribute";
import { inTauri } from "./core";
import { decide, redo, undo } from "./decide";
import { chooseProfile, listProfiles } from "./profiles";
import { currentView, photoDetail, previewUrl, regroup, thumbUrl } from "./shoot";
import { SyntheticBackend, syntheticCount } from "./synthetic";

export interface Backend {
  /**
   * False without the analysis engine (the synthetic shoot): then there are no profiles, no
   * regrouping, no re-ranking and no report, and the window does not offer them.
   */
  readonly engine: boolean;
  /** A shoot that is there from the start, without opening a folder (the synthetic one). */
  preloaded(): ShootViewDto | null;
  /** Records a change of `photos`; resolves to their decisions as the catalog now has them. */
  decide(photos: number[], change: ChangeDto): Promise<DecisionDto[]>;
  /** Undo / redo: the decisions restored. */
  undo(): Promise<DecisionDto[]>;
  redo(): Promise<DecisionDto[]>;
  /** A thumbnail's address (`version` changes when it is made again), null when there is none. */
  thumbUrl(shoot: number, photo: number, version: number): string | null;
  /** A preview's address, "" when there is none. */
  previewUrl(photo: number): string;
  /** A photo's signals for the loupe and compare, null when there are none. */
  photoDetail(photo: number): Promise<PhotoDetailDto | null>;
  regroup(strictness: number): Promise<ShootViewDto>;
  /** The open shoot as culled now (after a decision the suggestions may have moved). */
  currentView(): Promise<ShootViewDto>;
  chooseProfile(name: string): Promise<ShootViewDto>;
  listProfiles(): Promise<ProfileInfoDto[]>;
  /** Every request made to a collector (the Network page), oldest first. */
  networkLog(): Promise<NetworkRequestDto[]>;
}

/** The app's core, through Tauri commands and `bp://` addresses. */
export const tauriBackend: Backend = {
  engine: true,
  preloaded: () => null,
  decide,
  undo,
  redo,
  thumbUrl,
  previewUrl,
  photoDetail,
  regroup,
  currentView,
  chooseProfile,
  listProfiles,
  networkLog,
};

/**
 * The synthetic shoot when the address asks for one (`#synthetic=10000`) or when there is no
 * Tauri window to talk to (a plain browser: 2000 photos); the app's core otherwise.
 */
export function backendFor(hash: string): Backend {
  const n = syntheticCount(hash);
  return n !== null || !inTauri() ? new SyntheticBackend(n ?? 2000) : tauriBackend;
}
