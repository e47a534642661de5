// The person-by-frame strip under the compare panes: who blinked where. Rows are people (left
// to right), columns the group's frames in shooting order; the pick's column and the frame in
// focus are marked, and clicking a cell brings that frame into the comparison. Cells are not
// focusable: the keyboard keeps driving the compare view (← → step the frames, and the strip
// follows).

import type { EyeKind, Strip, StripRow } from "../lib/people";
import { h } from "../lib/dom";

export interface StripMarks {
  /** Photo index of the suggested pick. */
  pick: number | null;
  /** Photo index of the frame in focus (the active pane). */
  active: number | null;
  /** Photo index of the frozen reference. */
  reference: number | null;
}

export interface StripHost {
  /** Thumbnail URL of a frame, for each person's face (null: none). */
  thumbSrc(index: number): string | null;
  /** Displayed size of a frame. */
  size(index: number): [number, number];
  onFocusFrame(index: number): void;
}

const SVG = "http://www.w3.org/2000/svg";

function svg(tag: string, attrs: Record<string, string | number>): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** A small eye drawn for each state, so the state reads without colour. */
function eyeIcon(kind: EyeKind): SVGElement {
  const icon = svg("svg", { viewBox: "0 0 16 10", width: 16, height: 10, class: "eye-icon", "aria-hidden": "true" });
  const almond = "M1 5 Q8 -1.5 15 5 Q8 11.5 1 5 Z";
  const line = { fill: "none", stroke: "currentColor", "stroke-width": 1.4, "stroke-linecap": "round" };
  switch (kind) {
    case "open":
      icon.append(svg("path", { d: almond, ...line }), svg("circle", { cx: 8, cy: 5, r: 2.3, fill: "currentColor" }));
      break;
    case "half":
      // The upper lid down to the middle of the iris.
      icon.append(svg("path", { d: "M1 5 Q8 11.5 15 5", ...line }), svg("path", { d: "M1 5 L15 5", ...line, "stroke-width": 2 }), svg("path", { d: "M5.7 5 A2.3 2.3 0 0 0 10.3 5 Z", fill: "currentColor" }));
      break;
    case "closed":
      icon.append(svg("path", { d: "M1.5 3.5 Q8 9.5 14.5 3.5", ...line, "stroke-width": 1.8 }), svg("path", { d: "M4 6.6 L3 8.6 M8 7.7 L8 9.7 M12 6.6 L13 8.6", ...line, "stroke-width": 1.1 }));
      break;
    case "down":
      // Open, the iris low under lowered lids.
      icon.append(svg("path", { d: "M1 5 Q8 1.5 15 5 Q8 11.5 1 5 Z", ...line }), svg("circle", { cx: 8, cy: 7, r: 1.9, fill: "currentColor" }));
      break;
    case "laughing":
      // Eyes squeezed shut in a laugh: lids curved up.
      icon.append(svg("path", { d: "M1.5 7 Q8 0.5 14.5 7", ...line, "stroke-width": 1.8 }));
      break;
    case "kissing":
      // Eyes gently shut: lids curved down, no lashes.
      icon.append(svg("path", { d: "M1.5 4 Q8 10 14.5 4", ...line, "stroke-width": 1.8 }));
      break;
    case "unsure":
      icon.append(svg("path", { d: almond, ...line, "stroke-dasharray": "2 2" }));
      break;
    case "missing":
      break;
  }
  return icon;
}

/** The person's face cut from a frame's thumbnail (a square a little larger than the face). */
function faceCrop(row: StripRow, host: StripHost): HTMLElement {
  const el = h("span", { class: "face", "aria-hidden": "true" });
  const src = host.thumbSrc(row.seen.frame);
  const [w, hgt] = host.size(row.seen.frame);
  if (!src || !w || !hgt) return el;
  const [x, y, fw, fh] = row.seen.face.bbox;
  const side = Math.max(fw, fh) * 1.25;
  const k = 30 / side;
  Object.assign(el.style, {
    backgroundImage: `url("${src}")`,
    backgroundSize: `${w * k}px ${hgt * k}px`,
    backgroundPosition: `${-(x + fw / 2 - side / 2) * k}px ${-(y + fh / 2 - side / 2) * k}px`,
  });
  return el;
}

/** Face sharpness against the person's sharpest frame: below 85% the core calls a face softer. */
function softness(pct: number): string {
  return pct < 50 ? "blurred" : pct < 85 ? "soft" : "";
}

export function peopleStrip(strip: Strip, marks: StripMarks, host: StripHost): HTMLElement {
  const colClass = (frame: number) => [frame === marks.pick ? "pick" : "", frame === marks.active ? "active" : ""].join(" ");
  const head = h(
    "tr",
    {},
    h("th", { class: "corner", scope: "col" }, "Eyes · face sharpness"),
    strip.frames.map((frame, j) => {
      const tags = [frame === marks.pick ? "BEST" : "", frame === marks.reference ? "REF" : ""].filter(Boolean);
      const words = [`Frame ${j + 1}`, frame === marks.pick ? "suggested pick" : "", frame === marks.reference ? "reference" : "", frame === marks.active ? "in focus" : ""].filter(Boolean).join(", ");
      return h(
        "th",
        { scope: "col", class: `frame ${colClass(frame)}`, "data-frame": frame, "aria-label": words, title: `${words} (click to compare)`, onclick: () => host.onFocusFrame(frame) },
        h("span", { class: "n" }, String(j + 1)),
        tags.map((t) => h("span", { class: `mark ${t.toLowerCase()}` }, t)),
      );
    }),
  );
  const rows = strip.rows.map((row) =>
    h(
      "tr",
      { "data-person": row.person },
      h("th", { scope: "row", class: "who" }, faceCrop(row, host), row.name),
      row.cells.map((c) => {
        const pct = c.sharpness === null ? null : Math.round(c.sharpness * 100);
        const cell = h(
          "td",
          {
            class: `${c.look.kind} ${colClass(c.frame)}`,
            "data-frame": c.frame,
            "data-eyes": c.look.kind,
            "aria-label": c.label,
            "aria-current": c.frame === marks.active ? "true" : null,
            title: c.detail ? `${c.label}\n${c.detail}` : c.label,
            onclick: () => host.onFocusFrame(c.frame),
          },
          h("span", { class: "state" }, eyeIcon(c.look.kind), h("span", { class: "word" }, c.look.short)),
          pct === null ? null : h("span", { class: `sharp ${softness(pct)}` }, h("span", { class: "meter" }, h("i", { style: `width:${pct}%` })), h("span", { class: "pct" }, `${pct}%`)),
        );
        return cell;
      }),
    ),
  );
  return h(
    "section",
    { class: "people", "data-testid": "people-strip", "aria-label": "Each person's eyes and face sharpness in each frame of the group" },
    h("table", {}, h("thead", {}, head), h("tbody", {}, rows)),
  );
}
