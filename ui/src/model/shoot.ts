// The open shoot as the window holds it, with no DOM and no back end: its photos and groups
// (with the photo → group and id → index maps), the thumbnails that arrived, the details
// fetched, the decisions, the filter and sort, the cursor, the selection and compare's reference
// frame. The
// controller changes it from the back end's answers and the keyboard; the view reads it.

import type { DecisionDto } from "../bindings/DecisionDto";
import type { ListedPhotoDto } from "../bindings/ListedPhotoDto";
import type { PhotoDetailDto } from "../bindings/PhotoDetailDto";
import type { PhotoDto } from "../bindings/PhotoDto";
import type { ProfileInfoDto } from "../bindings/ProfileInfoDto";
import type { ShootViewDto } from "../bindings/ShootViewDto";
import { DecisionStore } from "../lib/decisions";
import { NO_FILTER, SHOOTING_ORDER_GROUP, visibleGroups, type Filter, type GroupInput, type SortKey, type VisibleGroup } from "../lib/filters";
import { framesText, setLabel, setMeaning } from "../lib/sets";
import { Selection } from "../lib/selection";
import { mergeSuggestions, type Merged } from "../lib/suggestions";
import { counted } from "../lib/words";

/** A photo known only by its name, before the analysis (the grid's placeholders). */
export const blankPhoto = (id: number, relPath: string): PhotoDto => ({
  id,
  relPath,
  kind: "",
  timeMs: null,
  width: 0,
  height: 0,
  group: 0,
  best: false,
  rank: 0,
  score: 0,
  rejectCandidate: false,
  reasons: [],
  fault: null,
  eyesClosed: false,
  judgedFaces: [],
  error: null,
  decision: { photo: id, flag: "none", stars: 0, label: null },
});

/** A group header's words (see `GridHost.groupTitle`). */
export interface GroupTitle {
  title: string;
  sub: string;
  bestName: string | null;
  set: string | null;
  setMeaning: string;
}

/** What compare shows, as photo indices: the frozen reference and the others, the active one first. */
export interface CompareFrames {
  reference: number;
  others: number[];
  active: number;
}

/** The group id of the one placeholder group shown while a shoot is analyzed. */
export const ANALYZING_GROUP = -1;

export class ShootModel {
  shoot: number | null = null;
  root = "";
  /** Photos in session order; everything else names a photo by its index here. */
  photos: PhotoDto[] = [];
  /** Groups in shooting order (id 0: could not be analyzed; -1: the analysis is running). */
  groups: GroupInput[] = [];
  /** photo index → its group. */
  private groupOfPhoto = new Map<number, GroupInput>();
  /** photo id → its index. */
  private indexOf = new Map<number, number>();
  /** photo id → how many times its thumbnail arrived (the version in its address). */
  readonly thumbs = new Map<number, number>();
  readonly details = new Map<number, PhotoDetailDto>();
  readonly store = new DecisionStore();
  analyzed = false;
  filter: Filter = { ...NO_FILTER };
  sort: SortKey = "time";
  strictness = 50;
  /** The culling profile of the open shoot, and every profile for the picker. */
  profile = "event";
  profiles: ProfileInfoDto[] = [];
  cursorId: number | null = null;
  /** The user moved the cursor (a new view then keeps it where it is). */
  userMoved = false;
  /** The photos a decision applies to when more than one is selected (the cursor is in it). */
  readonly selection = new Selection();
  /** After a decision on one photo, the cursor moves to the next one (a setting). */
  autoAdvance = true;
  /** Compare: the reference frame, and how many panes. */
  refIndex: number | null = null;
  compareCount = 2;

  // ---- loading ----

  /** Another opening starts: nothing analyzed, no thumbnail or detail known yet. */
  opening(): void {
    this.analyzed = false;
    this.details.clear();
    this.thumbs.clear();
  }

  /** The folder was listed: every photo by name, in one "Analyzing…" group, no decisions. */
  listed(shoot: number, root: string, listed: ListedPhotoDto[]): void {
    this.shoot = shoot;
    this.root = root;
    this.photos = listed.map((p) => blankPhoto(p.id, p.relPath));
    this.indexOf = new Map(this.photos.map((p, i) => [p.id, i]));
    for (const p of listed) if (p.thumbnail) this.thumbs.set(p.id, 1);
    this.setGroups([{ id: ANALYZING_GROUP, members: this.photos.map((_, i) => i), best: null }]);
    this.store.reset();
    this.cursorId = this.photos[0]?.id ?? null;
    this.selection.only(this.cursorId);
    this.userMoved = false;
  }

  /**
   * The open shoot was listed again (photos landed in it during an import): the photos known
   * keep what the window knows of them (analysis, group, decision, thumbnail), the new ones
   * join one "Analyzing…" group; the cursor and the selection stay. False when `shoot` is
   * another shoot: then it must be listed whole.
   */
  relisted(shoot: number, listed: ListedPhotoDto[]): boolean {
    if (shoot !== this.shoot) return false;
    const known = new Map(this.photos.map((p, i) => [p.id, i]));
    const photos = listed.map((p) => {
      const i = known.get(p.id);
      return i === undefined ? blankPhoto(p.id, p.relPath) : this.photos[i];
    });
    const indexOf = new Map(photos.map((p, i) => [p.id, i]));
    const moved = (old: number): number | undefined => indexOf.get(this.photos[old].id);
    const groups: GroupInput[] = [];
    for (const g of this.groups) {
      const members = g.members.map(moved).filter((i): i is number => i !== undefined);
      if (members.length === 0) continue;
      const best = g.best === null ? null : (moved(g.best) ?? null);
      groups.push({ ...g, members, best });
    }
    const fresh = listed.flatMap((p, i) => (known.has(p.id) ? [] : [i]));
    const analyzing = groups.find((g) => g.id === ANALYZING_GROUP);
    if (analyzing) analyzing.members.push(...fresh);
    else if (fresh.length) groups.push({ id: ANALYZING_GROUP, members: fresh, best: null });
    for (const p of listed) if (p.thumbnail && !this.thumbs.has(p.id)) this.thumbs.set(p.id, 1);
    this.photos = photos;
    this.indexOf = indexOf;
    this.setGroups(groups);
    return true;
  }

  /**
   * A refreshed view of the open shoot: as [`applyView`], but the decisions the window shows
   * for photos it had analyzed stay (each was saved before it showed, so where the view's
   * differs the view was read before it).
   */
  applyRefreshed(view: ShootViewDto): void {
    const mine = new Map<number, DecisionDto>();
    this.photos.forEach((p, i) => {
      if (this.groupAt(i)?.id !== ANALYZING_GROUP) mine.set(p.id, this.store.get(p.id));
    });
    this.applyView(view);
    this.store.reset(view.photos.map((p) => mine.get(p.id) ?? p.decision));
  }

  /** The grouped shoot: photos, groups, decisions, profile and grouping strictness. */
  applyView(view: ShootViewDto): void {
    this.shoot = view.shoot;
    this.root = view.root;
    this.profile = view.profile;
    this.strictness = view.strictness;
    this.photos = view.photos;
    this.indexOf = new Map(this.photos.map((p, i) => [p.id, i]));
    this.setGroups(view.groups.map((g) => ({ id: g.id, members: g.members, best: g.best, set: g.set })));
    this.store.reset(view.photos.map((p) => p.decision));
  }

  /**
   * A re-ranking of the same shoot: only the suggestions move (see lib/suggestions). Null when
   * `view` is another shoot or another grouping: then it must be applied whole.
   */
  mergeSuggestions(view: ShootViewDto): Merged | null {
    const merged = mergeSuggestions(this.photos, this.groups, view);
    if (merged !== null) this.setGroups(this.groups);
    return merged;
  }

  /** The shoot is gone (forgotten, or the catalog changed). */
  clear(): void {
    this.photos = [];
    this.indexOf = new Map();
    this.setGroups([]);
    this.shoot = null;
    this.root = "";
    this.analyzed = false;
    this.details.clear();
    this.thumbs.clear();
    this.store.reset();
    this.cursorId = null;
    this.selection.only(null);
    this.userMoved = false;
    this.refIndex = null;
  }

  /** A thumbnail arrived (again): its version goes up. Returns the photo's index. */
  thumbArrived(id: number): number | undefined {
    this.thumbs.set(id, (this.thumbs.get(id) ?? 0) + 1);
    return this.indexOf.get(id);
  }

  setGroups(groups: GroupInput[]): void {
    this.groups = groups;
    this.groupOfPhoto = new Map();
    for (const g of groups) for (const m of g.members) this.groupOfPhoto.set(m, g);
  }

  // ---- reading ----

  /** The index of photo `id`. */
  index(id: number): number | undefined {
    return this.indexOf.get(id);
  }

  /** The group of photo index `i`. */
  groupAt(i: number): GroupInput | undefined {
    return this.groupOfPhoto.get(i);
  }

  /** The members of photo `i`'s group (itself alone when it has none). */
  groupOf(i: number): number[] {
    return this.groupOfPhoto.get(i)?.members ?? [i];
  }

  group(id: number): GroupInput | undefined {
    return this.groups.find((g) => g.id === id);
  }

  /** The groups the analysis made (not the placeholder or the unreadable ones). */
  realGroups(): GroupInput[] {
    return this.groups.filter((g) => g.id > 0);
  }

  decisionAt(i: number) {
    return this.store.get(this.photos[i].id);
  }

  /** `wait`: not ready yet, `none`: cannot be shown. */
  thumbState(i: number): "ready" | "wait" | "none" {
    const p = this.photos[i];
    if (this.thumbs.has(p.id)) return "ready";
    if (this.analyzed && p.error) return "none";
    return this.analyzed ? "none" : "wait";
  }

  /** The groups as the grid shows them: filtered, sorted. */
  visible(): VisibleGroup[] {
    return visibleGroups(this.groups, this.photos, (i) => this.decisionAt(i), this.filter, this.sort);
  }

  /** The ids of every group's suggested pick. */
  suggestedPicks(): number[] {
    return this.realGroups()
      .filter((g) => g.best !== null)
      .map((g) => this.photos[g.best as number].id);
  }

  /** The photos picked. */
  picked(): PhotoDto[] {
    return this.photos.filter((p) => this.store.get(p.id).flag === "pick");
  }

  counts(): { groups: number; picks: number; rejects: number } {
    let picks = 0;
    let rejects = 0;
    for (const p of this.photos) {
      const d = this.store.get(p.id);
      if (d.flag === "pick") picks++;
      else if (d.flag === "reject") rejects++;
    }
    return { groups: this.realGroups().length, picks, rejects };
  }

  /** A group header's words: "Group 3", "5 frames", the suggested frame, the set. */
  groupTitle(id: number, members: number[], best: number | null): GroupTitle {
    const group = this.group(id);
    const total = group?.members.length ?? members.length;
    const none = { set: null, setMeaning: "" };
    if (id === ANALYZING_GROUP) return { title: "Analyzing…", sub: `${counted(total, "photo")}; groups appear when the analysis is done`, bestName: null, ...none };
    if (id === SHOOTING_ORDER_GROUP) return { title: "Shooting order", sub: `${counted(members.length, "photo")} by capture time, across ${counted(this.realGroups().length, "group")}`, bestName: null, ...none };
    if (id === 0) return { title: "Could not be analyzed", sub: `${counted(total, "photo")}; hover for why`, bestName: null, ...none };
    const bestName = best !== null && total > 1 ? this.photos[best].relPath.split("/").pop() ?? null : null;
    return { title: `Group ${id}`, sub: framesText(total, members.length), bestName, set: setLabel(group?.set), setMeaning: setMeaning(group?.set) };
  }

  /** Where photo `i` stands in its group, for the loupe: "frame 2 of 5 in group 3 · rank 1 · score 80". */
  groupInfo(i: number): string {
    const p = this.photos[i];
    if (p.group <= 0) return this.analyzed ? "not analyzed" : "analyzing…";
    const members = this.groupOf(i);
    const set = setLabel(this.groupOfPhoto.get(i)?.set);
    return `frame ${members.indexOf(i) + 1} of ${members.length} in group ${p.group}${set ? ` (${set})` : ""} · rank ${p.rank} · score ${p.score.toFixed(0)}`;
  }

  // ---- the cursor ----

  cursorIndex(): number | null {
    return this.cursorId === null ? null : this.indexOf.get(this.cursorId) ?? null;
  }

  /** The user puts the cursor on photo `i`; returns where it was. The selection is not touched. */
  moveCursor(i: number): number | null {
    this.userMoved = true;
    const before = this.cursorIndex();
    this.cursorId = this.photos[i]?.id ?? null;
    return before;
  }

  /**
   * The user selects photo `i` (and puts the cursor there): `only` it, a `range` from the
   * anchor in `order` (photo indices as shown), or `toggle` it. Returns the photo indices whose
   * look changed (selected or not, cursor or not).
   */
  select(i: number, how: "only" | "range" | "toggle", order: readonly number[]): number[] {
    const id = this.photos[i]?.id;
    if (id === undefined) return [];
    const before = this.selectedIndices(order);
    const cursor = this.moveCursor(i);
    if (how === "range") this.selection.range(this.idsOf(order), id);
    else if (how === "only") this.selection.only(id);
    else if (!this.selection.toggle(id)) {
      // Toggled off: the cursor goes to the first photo still selected, so that a decision
      // applies to the selection the user sees.
      const rest = this.selectedIndices(order);
      if (rest.length) this.cursorId = this.photos[rest[0]].id;
      else this.selection.only(id);
    }
    return [...new Set([...before, ...(cursor === null ? [] : [cursor]), ...this.selectedIndices(order), i])];
  }

  /** Every photo of `order` (Ctrl+A), or of `members`; returns the photo indices that changed. */
  selectAll(order: readonly number[], members: readonly number[] = order): number[] {
    const before = this.selectedIndices(order);
    const shown = new Set(order);
    const ids = members.filter((i) => shown.has(i)).map((i) => this.photos[i].id);
    this.selection.set(ids, this.cursorId);
    if (this.cursorId !== null && !this.selection.has(this.cursorId) && ids.length) this.cursorId = ids[0];
    return [...new Set([...before, ...this.selectedIndices(order)])];
  }

  /** Whether photo `i` shows as selected: one of several selected photos. */
  isSelected(i: number): boolean {
    return this.selection.many && this.selection.has(this.photos[i].id);
  }

  /** The photo indices of `order` that are selected. */
  selectedIndices(order: readonly number[]): number[] {
    return order.filter((i) => this.selection.has(this.photos[i].id));
  }

  /** The photo ids a decision applies to: the selection (in `order`), else the cursor's photo. */
  targets(order: readonly number[]): number[] {
    return this.selection.targets(this.idsOf(order), this.cursorId);
  }

  /** After the grid changed (filter, regrouping): photos no longer shown leave the selection. */
  keepSelectionIn(order: readonly number[]): void {
    this.selection.keepOnly(new Set(this.idsOf(order)));
    if (this.cursorId !== null && !this.selection.has(this.cursorId)) this.selection.only(this.cursorId);
  }

  private idsOf(order: readonly number[]): number[] {
    return order.map((i) => this.photos[i].id);
  }

  /**
   * After a new view: the cursor goes to `first` (the first photo shown) unless the user moved
   * it to a photo that is still there. True when it went there.
   */
  placeCursor(first: number | undefined): boolean {
    if (this.cursorId !== null && this.indexOf.has(this.cursorId) && this.userMoved) return false;
    this.cursorId = first === undefined ? null : this.photos[first].id;
    this.selection.only(this.cursorId);
    return true;
  }

  // ---- compare ----

  /**
   * The frames compare shows for the cursor: the reference stays while the cursor is in its
   * group (else the cursor becomes the reference); the active frame is the cursor, or the first
   * other frame when the cursor is the reference (the cursor then moves there). Null without a
   * cursor; `others` is empty for a one-frame group.
   */
  compareFrames(): CompareFrames | null {
    const i = this.cursorIndex();
    if (i === null) return null;
    if (this.refIndex === null || !this.groupOf(i).includes(this.refIndex)) this.refIndex = i;
    const reference = this.refIndex;
    const members = this.groupOf(reference).filter((m) => m !== reference);
    if (members.length === 0) return { reference, others: [], active: reference };
    const active = members.includes(i) ? i : members[0];
    if (active !== i) this.cursorId = this.photos[active].id;
    const start = members.indexOf(active);
    return { reference, others: [...members.slice(start), ...members.slice(0, start)], active };
  }

  /** Compare: the next (or previous) frame other than the reference. False when there is none. */
  stepCompare(step: 1 | -1): boolean {
    const cur = this.cursorIndex();
    const ref = this.refIndex;
    if (cur === null || ref === null) return false;
    const others = this.groupOf(ref).filter((m) => m !== ref);
    if (others.length === 0) return false;
    const k = others.indexOf(cur);
    this.cursorId = this.photos[others[(k + step + others.length) % others.length]].id;
    return true;
  }
}
