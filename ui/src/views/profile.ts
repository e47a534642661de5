// The profile page (a drawer): the shoot's culling profile — its weights, its grouping, what
// it learned from the photographer's picks in plain words — with New from this profile,
// Reset learning, Export…, Import… and Delete (own profiles).

import { pickOpenFile, pickSaveFile } from "../api/app";
import { toAppError } from "../api/core";
import { deleteProfile, exportProfile, importProfile, newProfile, resetProfile, showProfile } from "../api/profiles";
import type { ProfileShownDto } from "../bindings/ProfileShownDto";
import { h } from "../lib/dom";
import { groupingWords, judgementWords, weightWords } from "../lib/profiles";
import { drawer } from "./panels";

export interface ProfileHost {
  /** The profile the open shoot is culled with. */
  current: () => string;
  /** Something changed: `choose` = cull the shoot with this profile (new, imported). */
  changed: (choose: string | null) => Promise<void>;
  toast: (m: string, error?: boolean) => void;
  close: () => void;
}

export function profileDrawer(host: ProfileHost): HTMLElement {
  const body = h("div", { class: "body profile-page" });
  const foot = h("div", { class: "foot" });
  const el = drawer("Profile", "profile-panel", host.close, body, foot);
  const fail = (e: unknown) => host.toast(toAppError(e).message, true);

  const render = (p: ProfileShownDto) => {
    const name = h("input", { type: "text", placeholder: "Name of your new profile (letters, digits, - and _)", "data-testid": "profile-new-name" });
    const create = h("button", { class: "primary", "data-testid": "profile-new-create" }, "Create");
    const newRow = h("div", { class: "row", hidden: true }, name, create);
    create.addEventListener("click", async () => {
      const n = name.value.trim();
      if (!n) return host.toast("Give the new profile a name.", true);
      try {
        await newProfile(n, p.name);
        host.toast(`Made ${n} from ${p.name}; this shoot now uses it`);
        await host.changed(n);
        await load();
      } catch (e) {
        fail(e);
      }
    });
    name.addEventListener("keydown", (e) => {
      if ((e as KeyboardEvent).key === "Enter") create.click();
    });
    body.replaceChildren(
      h(
        "div",
        {},
      h("h3", { class: "profile-name", "data-testid": "profile-name" }, p.name, h("span", { class: "hint" }, p.preset ? "  preset" : "  your profile")),
      p.description ? h("p", {}, p.description) : null,
      h("h4", {}, "Weights"),
      h(
        "table",
        { class: "weights", "data-testid": "profile-weights" },
        p.weights.map((w) =>
          h(
            "tr",
            {},
            h("td", {}, judgementWords(w.judgement)),
            h("td", { class: "bar" }, h("span", { style: `width:${Math.min(100, (w.weight / 4) * 100)}%` })),
            h("td", { class: "num" }, `×${w.weight}`),
            h("td", { class: "hint" }, weightWords(w.weight)),
          ),
        ),
      ),
      h("div", { class: "row" }, h("label", {}, "Grouping"), h("span", { "data-testid": "profile-grouping" }, groupingWords(p.strictness))),
      h("h4", {}, "What it learned from your picks"),
      p.learnedGroups > 0
        ? h(
            "div",
            { "data-testid": "profile-learned" },
            h("p", { class: "hint" }, `From ${p.learnedGroups} decided group${p.learnedGroups === 1 ? "" : "s"}, kept on this machine only:`),
            h("ul", { class: "learned" }, p.learned.map((l) => h("li", {}, l))),
          )
        : h(
            "p",
            { class: "hint", "data-testid": "profile-learned-none" },
            "Nothing yet. Pick the frame you want in a group (P), even when it is not the suggestion: the profile learns what you prefer and moves the suggestions.",
          ),
      newRow,
      ),
    );
    const button = (label: string, testid: string, onclick: () => void, extra: Record<string, string | boolean> = {}) => h("button", { "data-testid": testid, onclick, ...extra }, label);
    const buttons = [
      button("New from this profile…", "profile-new", () => {
        newRow.hidden = false;
        name.focus();
      }),
      button("Reset learning", "profile-reset", async () => {
        if (!confirm(`Forget everything ${p.name} learned from your picks?\n\nIts weights and grouping stay; your decisions stay.`)) return;
        try {
          const n = await resetProfile(p.name);
          host.toast(`${p.name} forgot ${n} decided group${n === 1 ? "" : "s"}`);
          await host.changed(null);
          await load();
        } catch (e) {
          fail(e);
        }
      }, { disabled: p.learnedGroups === 0 }),
      button("Export…", "profile-export", async () => {
        try {
          const file = await pickSaveFile("Export the profile", `${p.name}.toml`, "toml");
          if (!file) return;
          await exportProfile(p.name, file);
          host.toast(`Exported ${p.name} (with what it learned) to ${file}`);
        } catch (e) {
          fail(e);
        }
      }),
      button("Import…", "profile-import", async () => {
        try {
          const file = await pickOpenFile("Import a profile", "toml");
          if (!file) return;
          let imported: ProfileShownDto;
          try {
            imported = await importProfile(file, false);
          } catch (e) {
            const err = toAppError(e);
            if (!/exists already/.test(err.message)) throw err;
            const existing = /profile "([^"]+)"/.exec(err.message)?.[1] ?? "of that name";
            if (!confirm(`A profile ${existing} exists already. Replace it, and what it learned, with the imported one?`)) return;
            imported = await importProfile(file, true);
          }
          host.toast(`Imported ${imported.name}; this shoot now uses it`);
          await host.changed(imported.name);
          await load();
        } catch (e) {
          fail(e);
        }
      }),
      h("span", { class: "spacer" }),
      p.preset
        ? null
        : button("Delete", "profile-delete", async () => {
            if (!confirm(`Delete your profile ${p.name} and what it learned?\n\nShoots that used it go back to the event profile.`)) return;
            try {
              await deleteProfile(p.name);
              host.toast(`Deleted ${p.name}`);
              await host.changed(null);
              await load();
            } catch (e) {
              fail(e);
            }
          }, { class: "danger" }),
    ];
    foot.replaceChildren(...buttons.filter((b): b is HTMLElement => b !== null));
  };

  const load = async () => {
    try {
      render(await showProfile(host.current()));
    } catch (e) {
      body.replaceChildren(h("p", { class: "error-box" }, toAppError(e).message));
    }
  };
  body.append(h("p", { class: "hint" }, "Loading…"));
  void load();
  return el;
}
