// The keyboard map, in one place. `actionFor` turns a key event into an action; the views
// only ever see actions. The map follows the issue: arrows or J/K move, Space loupe,
// C compare, P pick, X reject, U unflag, 0–5 stars, 6–9 colour labels, Ctrl+Z undo,
// G next group, ? key map.

import type { LabelDto } from "../bindings/LabelDto";

export type Direction = "left" | "right" | "up" | "down";

export type Action =
  | { type: "move"; dir: Direction }
  | { type: "next" }
  | { type: "prev" }
  | { type: "loupe" }
  | { type: "compare" }
  | { type: "flag"; flag: "pick" | "reject" | "none" }
  | { type: "stars"; stars: number }
  | { type: "label"; label: LabelDto }
  | { type: "undo" }
  | { type: "redo" }
  | { type: "nextGroup" }
  | { type: "prevGroup" }
  | { type: "help" }
  | { type: "escape" }
  | { type: "zoom" }
  | { type: "focusOverlay" }
  | { type: "reference" }
  | { type: "acceptGroup" }
  | { type: "acceptAll" };

export interface KeyLike {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  shiftKey?: boolean;
  altKey?: boolean;
}

/** 6–9 → colour labels, as in Lightroom (purple has no key; set it with the mouse). */
export const LABEL_KEYS: Record<string, LabelDto> = { "6": "red", "7": "yellow", "8": "green", "9": "blue" };

export function actionFor(e: KeyLike): Action | null {
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key;
  if (e.altKey) return null;
  if (mod) {
    const k = key.toLowerCase();
    if (k === "z") return e.shiftKey ? { type: "redo" } : { type: "undo" };
    if (k === "y") return { type: "redo" };
    return null;
  }
  switch (key) {
    case "ArrowLeft":
      return { type: "move", dir: "left" };
    case "ArrowRight":
      return { type: "move", dir: "right" };
    case "ArrowUp":
      return { type: "move", dir: "up" };
    case "ArrowDown":
      return { type: "move", dir: "down" };
    case " ":
    case "Spacebar":
    case "Enter":
      return { type: "loupe" };
    case "Escape":
      return { type: "escape" };
    case "?":
      return { type: "help" };
    case "G":
      return { type: "prevGroup" };
    case "A":
      return { type: "acceptAll" };
  }
  switch (key.toLowerCase()) {
    case "j":
      return { type: "next" };
    case "k":
      return { type: "prev" };
    case "c":
      return { type: "compare" };
    case "p":
      return { type: "flag", flag: "pick" };
    case "x":
      return { type: "flag", flag: "reject" };
    case "u":
      return { type: "flag", flag: "none" };
    case "g":
      return { type: "nextGroup" };
    case "z":
      return { type: "zoom" };
    case "f":
      return { type: "focusOverlay" };
    case "r":
      return { type: "reference" };
    case "a":
      return { type: "acceptGroup" };
  }
  if (/^[0-5]$/.test(key)) return { type: "stars", stars: Number(key) };
  if (key in LABEL_KEYS) return { type: "label", label: LABEL_KEYS[key] };
  return null;
}

/** The key map as the help overlay shows it: [keys, what they do]. */
export const KEY_HELP: [string, string][] = [
  ["← → ↑ ↓  or  J / K", "move (J next, K previous)"],
  ["Space", "loupe: one photo large (Space or Esc to go back)"],
  ["C", "compare the group: frozen reference + the others; below, who blinked where (click a frame to compare it)"],
  ["P", "pick"],
  ["X", "reject"],
  ["U", "unflag"],
  ["0 – 5", "stars"],
  ["6 7 8 9", "colour label: red, yellow, green, blue (again to clear)"],
  ["Ctrl+Z", "undo (Ctrl+Shift+Z or Ctrl+Y redo)"],
  ["G", "next group (Shift+G previous)"],
  ["?", "this key map"],
  ["Z", "loupe / compare: 100% at the focus point, again to fit"],
  ["F", "loupe: focus overlay (where the photo is sharp)"],
  ["R", "compare: make the current frame the reference"],
  ["A", "accept the suggested pick of this group (Shift+A: whole shoot)"],
  ["Esc", "back to the grid, close panels"],
];
