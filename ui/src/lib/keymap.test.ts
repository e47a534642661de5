import { describe, expect, it } from "vitest";
import { actionFor, KEY_HELP, type Action, type KeyLike } from "./keymap";

describe("keyboard map (as the issue lists it)", () => {
  const cases: [string, KeyLike, Action | null][] = [
    ["arrow left", { key: "ArrowLeft" }, { type: "move", dir: "left" }],
    ["arrow right", { key: "ArrowRight" }, { type: "move", dir: "right" }],
    ["arrow up", { key: "ArrowUp" }, { type: "move", dir: "up" }],
    ["arrow down", { key: "ArrowDown" }, { type: "move", dir: "down" }],
    ["J next", { key: "j" }, { type: "next" }],
    ["K previous", { key: "k" }, { type: "prev" }],
    ["J with caps lock", { key: "J" }, { type: "next" }],
    ["Space loupe", { key: " " }, { type: "loupe" }],
    ["C compare", { key: "c" }, { type: "compare" }],
    ["P pick", { key: "p" }, { type: "flag", flag: "pick" }],
    ["X reject", { key: "x" }, { type: "flag", flag: "reject" }],
    ["U unflag", { key: "u" }, { type: "flag", flag: "none" }],
    ["0 stars", { key: "0" }, { type: "stars", stars: 0 }],
    ["3 stars", { key: "3" }, { type: "stars", stars: 3 }],
    ["5 stars", { key: "5" }, { type: "stars", stars: 5 }],
    ["6 red", { key: "6" }, { type: "label", label: "red" }],
    ["7 yellow", { key: "7" }, { type: "label", label: "yellow" }],
    ["8 green", { key: "8" }, { type: "label", label: "green" }],
    ["9 blue", { key: "9" }, { type: "label", label: "blue" }],
    ["Ctrl+Z undo", { key: "z", ctrlKey: true }, { type: "undo" }],
    ["Cmd+Z undo", { key: "z", metaKey: true }, { type: "undo" }],
    ["Ctrl+Shift+Z redo", { key: "Z", ctrlKey: true, shiftKey: true }, { type: "redo" }],
    ["Ctrl+Y redo", { key: "y", ctrlKey: true }, { type: "redo" }],
    ["G next group", { key: "g" }, { type: "nextGroup" }],
    ["Shift+G previous group", { key: "G", shiftKey: true }, { type: "prevGroup" }],
    ["? key map", { key: "?", shiftKey: true }, { type: "help" }],
    ["Esc back", { key: "Escape" }, { type: "escape" }],
    ["Ctrl+P is not pick", { key: "p", ctrlKey: true }, null],
    ["Alt+P is not pick", { key: "p", altKey: true }, null],
    ["unmapped key", { key: "q" }, null],
    // Caps Lock changes the letter's case, not the intent: only Shift does.
    ["A with caps lock accepts the group", { key: "A" }, { type: "acceptGroup" }],
    ["Shift+A accepts the whole shoot", { key: "A", shiftKey: true }, { type: "acceptAll" }],
    ["Shift+A under caps lock", { key: "a", shiftKey: true }, { type: "acceptAll" }],
    ["G with caps lock is the next group", { key: "G" }, { type: "nextGroup" }],
    ["Ctrl+Z with caps lock is undo", { key: "Z", ctrlKey: true }, { type: "undo" }],
    // Selecting many photos.
    ["Shift+arrow extends the selection", { key: "ArrowLeft", shiftKey: true }, { type: "move", dir: "left", extend: true }],
    ["Shift+down extends the selection", { key: "ArrowDown", shiftKey: true }, { type: "move", dir: "down", extend: true }],
    ["Ctrl+A selects every shown photo", { key: "a", ctrlKey: true }, { type: "selectAll" }],
    ["Cmd+A with caps lock too", { key: "A", metaKey: true }, { type: "selectAll" }],
    ["S selects the group", { key: "s" }, { type: "selectGroup" }],
  ];
  for (const [name, key, want] of cases) {
    it(name, () => expect(actionFor(key), name).toEqual(want));
  }
});

describe("the help overlay", () => {
  it("lists every row once, from the key map itself", () => {
    const keys = KEY_HELP.map(([k]) => k);
    expect(keys).toEqual([
      "← → ↑ ↓  or  J / K",
      "Shift+← → ↑ ↓  or  Shift+click",
      "S",
      "Space",
      "C",
      "P",
      "X",
      "U",
      "0 – 5",
      "6 7 8 9",
      "Ctrl+Z",
      "Ctrl+A",
      "G",
      "?",
      "Z",
      "F",
      "R",
      "A",
      "Esc",
    ]);
  });
});
