// The keyboard map, in one place. `actionFor` turns a key event into an action; the views
// only ever see actions. The map follows the issue: arrows or J/K move, Space loupe,
// C compare, P pick, X reject, U unflag, 0–5 stars, 6–9 colour labels, Ctrl+Z undo,
// G next group, ? key map; Shift+arrows extend the selection, Ctrl+A selects every shown photo,
// S the cursor's group.

import type { LabelDto } from "../bindings/LabelDto";

export type Direction = "left" | "right" | "up" | "down";

export type Action =
  | { type: "move"; dir: Direction; extend?: boolean }
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
  | { type: "acceptAll" }
  | { type: "selectAll" }
  | { type: "selectGroup" };

export interface KeyLike {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  shiftKey?: boolean;
  altKey?: boolean;
}

/** 6–9 → colour labels, as in Lightroom (purple has no key; set it with the mouse). */
export const LABEL_KEYS: Record<string, LabelDto> = { "6": "red", "7": "yellow", "8": "green", "9": "blue" };

/**
 * One binding. `keys` are `KeyboardEvent.key` values; a letter is written in lower case and
 * matches either case (Caps Lock changes the letter's case, not the intent). `shift` says
 * whether Shift must be down (`true`), up (`false`) or either (absent): modifiers decide,
 * never the letter's case. `help` is the binding's row in the key map overlay.
 */
interface Binding {
  keys: string[];
  shift?: boolean;
  action: Action;
  help?: [string, string];
}

const digit = (n: number): Binding => ({ keys: [String(n)], action: { type: "stars", stars: n } });

/** Every key without Ctrl/Cmd, in the order the help overlay lists them. */
const BINDINGS: Binding[] = [
  { keys: ["ArrowLeft"], shift: false, action: { type: "move", dir: "left" }, help: ["← → ↑ ↓  or  J / K", "move (J next, K previous)"] },
  { keys: ["ArrowRight"], shift: false, action: { type: "move", dir: "right" } },
  { keys: ["ArrowUp"], shift: false, action: { type: "move", dir: "up" } },
  { keys: ["ArrowDown"], shift: false, action: { type: "move", dir: "down" } },
  {
    keys: ["ArrowLeft"],
    shift: true,
    action: { type: "move", dir: "left", extend: true },
    help: ["Shift+← → ↑ ↓  or  Shift+click", "select a range (Ctrl+click adds or removes one photo)"],
  },
  { keys: ["ArrowRight"], shift: true, action: { type: "move", dir: "right", extend: true } },
  { keys: ["ArrowUp"], shift: true, action: { type: "move", dir: "up", extend: true } },
  { keys: ["ArrowDown"], shift: true, action: { type: "move", dir: "down", extend: true } },
  { keys: ["s"], action: { type: "selectGroup" }, help: ["S", "select this group"] },
  { keys: ["j"], action: { type: "next" } },
  { keys: ["k"], action: { type: "prev" } },
  { keys: [" ", "Spacebar", "Enter"], action: { type: "loupe" }, help: ["Space", "loupe: one photo large (Space or Esc to go back)"] },
  {
    keys: ["c"],
    action: { type: "compare" },
    help: ["C", "compare the group: frozen reference + the others; below, who blinked where (click a frame to compare it)"],
  },
  { keys: ["p"], action: { type: "flag", flag: "pick" }, help: ["P", "pick (every selected photo when several are)"] },
  { keys: ["x"], action: { type: "flag", flag: "reject" }, help: ["X", "reject"] },
  { keys: ["u"], action: { type: "flag", flag: "none" }, help: ["U", "unflag"] },
  { ...digit(0), help: ["0 – 5", "stars"] },
  ...[1, 2, 3, 4, 5].map(digit),
  ...Object.entries(LABEL_KEYS).map(
    ([key, label], i): Binding => ({
      keys: [key],
      action: { type: "label", label },
      help: i === 0 ? ["6 7 8 9", "colour label: red, yellow, green, blue (again to clear)"] : undefined,
    }),
  ),
  { keys: ["g"], shift: false, action: { type: "nextGroup" }, help: ["G", "next group (Shift+G previous)"] },
  { keys: ["g"], shift: true, action: { type: "prevGroup" } },
  { keys: ["?"], action: { type: "help" }, help: ["?", "this key map"] },
  { keys: ["z"], action: { type: "zoom" }, help: ["Z", "loupe / compare: 100% at the focus point, again to fit"] },
  { keys: ["f"], action: { type: "focusOverlay" }, help: ["F", "loupe: focus overlay (where the photo is sharp)"] },
  { keys: ["r"], action: { type: "reference" }, help: ["R", "compare: make the current frame the reference"] },
  { keys: ["a"], shift: false, action: { type: "acceptGroup" }, help: ["A", "accept the suggested pick of this group (Shift+A: whole shoot)"] },
  { keys: ["a"], shift: true, action: { type: "acceptAll" } },
  { keys: ["Escape"], action: { type: "escape" }, help: ["Esc", "back to the grid, close panels"] },
];

/** With Ctrl (or Cmd on a Mac). */
const MOD_BINDINGS: Binding[] = [
  { keys: ["z"], shift: false, action: { type: "undo" }, help: ["Ctrl+Z", "undo (Ctrl+Shift+Z or Ctrl+Y redo)"] },
  { keys: ["z"], shift: true, action: { type: "redo" } },
  { keys: ["y"], action: { type: "redo" } },
  { keys: ["a"], shift: false, action: { type: "selectAll" }, help: ["Ctrl+A", "select every photo shown"] },
];

const isLetter = (key: string): boolean => /^[a-z]$/i.test(key);

function find(bindings: Binding[], e: KeyLike): Action | null {
  const key = isLetter(e.key) ? e.key.toLowerCase() : e.key;
  const shift = Boolean(e.shiftKey);
  const hit = bindings.find((b) => b.keys.includes(key) && (b.shift === undefined || b.shift === shift));
  return hit ? hit.action : null;
}

export function actionFor(e: KeyLike): Action | null {
  if (e.altKey) return null;
  return e.ctrlKey || e.metaKey ? find(MOD_BINDINGS, e) : find(BINDINGS, e);
}

/** The key map as the help overlay shows it: [keys, what they do], made from the bindings
 *  so the two cannot drift (Ctrl+Z comes after the colour labels, as it always has). */
export const KEY_HELP: [string, string][] = (() => {
  const rows = BINDINGS.flatMap((b) => (b.help ? [b.help] : []));
  const afterLabels = rows.findIndex(([k]) => k.startsWith("6 ")) + 1;
  const modRows = MOD_BINDINGS.flatMap((b) => (b.help ? [b.help] : []));
  return [...rows.slice(0, afterLabels), ...modRows, ...rows.slice(afterLabels)];
})();
