// The person-by-frame strip of the compare view: one row per person of a group (the core's
// person numbers: the same place and size across frames, no identity), ordered left to right,
// one cell per frame in shooting order, each with that person's eyes and face sharpness, so a
// photographer sees who blinked where.

import type { JudgedFaceDto } from "../bindings/JudgedFaceDto";
import type { PhotoDto } from "../bindings/PhotoDto";

/** How a cell's eyes are drawn: `missing` when the person was not found in that frame. */
export type EyeKind = "open" | "half" | "closed" | "down" | "laughing" | "kissing" | "unsure" | "missing";

export interface EyeLook {
  kind: EyeKind;
  /** Short word shown in the cell. */
  short: string;
  /** Words for labels and tooltips. */
  words: string;
}

const EYES = new Map<string, EyeLook>([
  ["open", { kind: "open", short: "open", words: "eyes open" }],
  ["half_closed", { kind: "half", short: "half", words: "eyes half closed" }],
  ["closed", { kind: "closed", short: "closed", words: "eyes closed" }],
  ["looking_down", { kind: "down", short: "down", words: "looking down (not a blink)" }],
  ["laughing", { kind: "laughing", short: "laugh", words: "eyes shut while laughing (not a blink)" }],
  ["kissing", { kind: "kissing", short: "kiss", words: "eyes shut in a kiss or hug (not a blink)" }],
  ["uncertain", { kind: "unsure", short: "?", words: "eyes: can't tell" }],
]);

export const NOT_FOUND: EyeLook = { kind: "missing", short: "not found", words: "not found in this frame" };

/** The look of a core verdict word; a word a newer core adds reads as "can't tell" with it. */
export function eyeLook(verdict: string): EyeLook {
  return EYES.get(verdict) ?? { kind: "unsure", short: "?", words: `eyes: ${verdict.replace(/_/g, " ")}` };
}

/** One eye in words, the subject's side: "left eye: half closed (74% of open)". */
function eyeWords(side: "left" | "right", verdict: string, share: number | null): string {
  const w = eyeLook(verdict).words.replace(/^eyes:? /, "");
  const pct = share === null ? "" : ` (${Math.round(share * 100)}% of open)`;
  return `${side} eye: ${w}${pct}`;
}

export interface StripCell {
  /** Photo index of the frame. */
  frame: number;
  /** The person's face in that frame, null when not found there. */
  face: JudgedFaceDto | null;
  look: EyeLook;
  /** Face sharpness 0..=1 against the person's sharpest frame; null when not found. */
  sharpness: number | null;
  /** Everything in words, for the accessible label and the tooltip. */
  label: string;
  /** The eyes one by one, for the tooltip ("" when not found). */
  detail: string;
}

export interface StripRow {
  /** The core's person number. */
  person: number;
  /** "Person 1", counted left to right. */
  name: string;
  cells: StripCell[];
  /** A frame the person is seen in (the preferred frame when they are in it) and the face there. */
  seen: { frame: number; face: JudgedFaceDto };
}

export interface Strip {
  /** Photo indices of the frames, in shooting order (the columns). */
  frames: number[];
  /** People, left to right (the rows). */
  rows: StripRow[];
}

type FacesOf = Pick<PhotoDto, "judgedFaces" | "width">;

/**
 * The strip of a group: `members` are its photo indices in shooting order, `prefer` the frame
 * whose faces stand for each person (the pick). Null when no frame has a judged face or the
 * group has a single frame.
 */
export function buildStrip(members: number[], photo: (index: number) => FacesOf, prefer: number | null = null): Strip | null {
  if (members.length < 2) return null;
  // Horizontal position of each person: the mean of their face centres, as a share of the width.
  const where = new Map<number, { sum: number; n: number }>();
  for (const m of members) {
    const p = photo(m);
    for (const f of p.judgedFaces) {
      const cx = (f.bbox[0] + f.bbox[2] / 2) / (p.width > 0 ? p.width : 1);
      const at = where.get(f.person) ?? { sum: 0, n: 0 };
      at.sum += cx;
      at.n += 1;
      where.set(f.person, at);
    }
  }
  if (where.size === 0) return null;
  const people = [...where.entries()]
    .map(([person, at]) => ({ person, x: at.sum / at.n }))
    .sort((a, b) => a.x - b.x || a.person - b.person)
    .map((p) => p.person);
  const rows = people.map((person, k): StripRow => {
    const name = `Person ${k + 1}`;
    const cells = members.map((frame, j): StripCell => {
      const face = photo(frame).judgedFaces.find((f) => f.person === person) ?? null;
      const where = `${name}, frame ${j + 1}`;
      if (!face) return { frame, face, look: NOT_FOUND, sharpness: null, label: `${where}: ${NOT_FOUND.words}`, detail: "" };
      const look = eyeLook(face.eyes);
      const sharpness = Math.min(1, Math.max(0, face.sharpness));
      const label = `${where}: ${look.words}, face sharpness ${Math.round(sharpness * 100)}%`;
      const detail = `${eyeWords("left", face.eyeStates[0], face.openShare[0])}; ${eyeWords("right", face.eyeStates[1], face.openShare[1])}`;
      return { frame, face, look, sharpness, label, detail };
    });
    const found = cells.filter((c): c is StripCell & { face: JudgedFaceDto } => c.face !== null);
    const preferred = found.find((c) => c.frame === prefer) ?? found[0];
    return { person, name, cells, seen: { frame: preferred.frame, face: preferred.face } };
  });
  return { frames: [...members], rows };
}

/** A face box for a viewer: where (displayed image pixels), what it says, how it looks. */
export interface FaceMark {
  bbox: [number, number, number, number];
  label: string;
  kind: EyeKind;
}

/** The boxes of frame `frame` of a strip: each person found there, named as in the strip. */
export function stripMarks(strip: Strip, frame: number): FaceMark[] {
  const out: FaceMark[] = [];
  for (const row of strip.rows) {
    const c = row.cells.find((x) => x.frame === frame);
    if (c?.face) out.push({ bbox: c.face.bbox, label: `${row.name}: ${c.look.words}`, kind: c.look.kind });
  }
  return out;
}

/** The boxes of a photo's judged faces (eyes judged against the group), null when it has none. */
export function judgedMarks(faces: JudgedFaceDto[]): FaceMark[] | null {
  if (faces.length === 0) return null;
  return faces.map((f) => {
    const look = eyeLook(f.eyes);
    return { bbox: f.bbox, label: look.words, kind: look.kind };
  });
}
