import { describe, expect, it } from "vitest";
import type { JudgedFaceDto } from "../bindings/JudgedFaceDto";
import { buildStrip, eyeLook, judgedMarks, stripMarks } from "./people";

/** A face of `person` centred at `cx` (image pixels), 100 px wide. */
const face = (person: number, cx: number, eyes = "open", sharpness = 1, eyeStates: [string, string] = [eyes, eyes]): JudgedFaceDto => ({
  person,
  bbox: [cx - 50, 40, 100, 100],
  eyes,
  eyeStates,
  openShare: [0.74, null],
  sharpness,
});

interface Frame {
  judgedFaces: JudgedFaceDto[];
  width: number;
}

/**
 * A group shot of four frames (photo indices 10..13, shooting order): person 0 stands on the
 * right, person 1 on the left, person 2 in the middle. Person 1 blinks in frame 2 and is not
 * found in frame 4; person 2 only shows up from frame 3.
 */
const frames: Record<number, Frame> = {
  10: { width: 1000, judgedFaces: [face(0, 800), face(1, 200)] },
  11: { width: 1000, judgedFaces: [face(0, 805, "open", 0.5), face(1, 210, "closed", 0.9)] },
  12: { width: 1000, judgedFaces: [face(0, 790), face(1, 190, "half_closed", 1, ["half_closed", "open"]), face(2, 500, "looking_down")] },
  13: { width: 1000, judgedFaces: [face(2, 510, "uncertain"), face(0, 800)] },
};
const photo = (i: number): Frame => frames[i];

describe("person-by-frame strip", () => {
  const strip = buildStrip([10, 11, 12, 13], photo, 12);

  it("has one row per person, left to right", () => {
    expect(strip, "a strip").not.toBeNull();
    expect(strip?.rows.map((r) => r.person), "persons by face position").toEqual([1, 2, 0]);
    expect(strip?.rows.map((r) => r.name), "counted left to right").toEqual(["Person 1", "Person 2", "Person 3"]);
  });

  it("has one cell per frame, in shooting order", () => {
    expect(strip?.frames, "columns").toEqual([10, 11, 12, 13]);
    for (const row of strip?.rows ?? []) expect(row.cells.map((c) => c.frame), `cells of person ${row.person}`).toEqual([10, 11, 12, 13]);
  });

  it("reads each cell's eyes and sharpness", () => {
    const left = strip?.rows[0];
    expect(left?.cells.map((c) => c.look.kind), "left person").toEqual(["open", "closed", "half", "missing"]);
    expect(left?.cells.map((c) => c.sharpness), "left person's sharpness").toEqual([1, 0.9, 1, null]);
    const right = strip?.rows[2];
    expect(right?.cells.map((c) => c.sharpness), "right person's soft frame").toEqual([1, 0.5, 1, 1]);
  });

  it("marks frames without the person as not found", () => {
    const middle = strip?.rows[1];
    expect(middle?.cells.map((c) => c.look.kind), "middle person").toEqual(["missing", "missing", "down", "unsure"]);
    expect(middle?.cells[0].face, "no face").toBeNull();
    expect(middle?.cells[0].label, "said in words").toBe("Person 2, frame 1: not found in this frame");
  });

  it("labels each cell in words, eyes one by one in the detail", () => {
    const blink = strip?.rows[0].cells[2];
    expect(blink?.label, "label").toBe("Person 1, frame 3: eyes half closed, face sharpness 100%");
    expect(blink?.detail, "per eye").toBe("left eye: half closed (74% of open); right eye: open");
  });

  it("takes each person's face from the preferred frame when they are in it", () => {
    expect(strip?.rows.map((r) => r.seen.frame), "frames the faces come from").toEqual([12, 12, 12]);
    const fromPick = buildStrip([10, 11, 12, 13], photo, 11);
    expect(fromPick?.rows.map((r) => r.seen.frame), "person 2 is not in frame 11").toEqual([11, 12, 11]);
  });

  it("is absent without faces or with one frame", () => {
    const none = (i: number): Frame => ({ width: 100, judgedFaces: i < 0 ? [face(0, 1)] : [] });
    expect(buildStrip([1, 2, 3], none), "no faces").toBeNull();
    expect(buildStrip([10], photo), "one frame").toBeNull();
  });

  it("orders by position relative to each frame's width", () => {
    // A frame of another size: the person at 300 of 400 px is right of the one at 500 of 1000.
    const mixed: Record<number, Frame> = {
      0: { width: 1000, judgedFaces: [face(0, 500)] },
      1: { width: 400, judgedFaces: [face(1, 300)] },
    };
    expect(buildStrip([0, 1], (i) => mixed[i])?.rows.map((r) => r.person)).toEqual([0, 1]);
  });

  it("clamps sharpness and keeps a verdict a newer core adds", () => {
    const odd: Record<number, Frame> = {
      0: { width: 100, judgedFaces: [face(0, 50, "squinting", 1.3)] },
      1: { width: 100, judgedFaces: [face(0, 50)] },
    };
    const cell = buildStrip([0, 1], (i) => odd[i])?.rows[0].cells[0];
    expect(cell?.sharpness, "clamped").toBe(1);
    expect(cell?.look, "unknown verdict").toEqual({ kind: "unsure", short: "?", words: "eyes: squinting" });
    expect(eyeLook("looking_down").words).toBe("looking down (not a blink)");
    expect(eyeLook("laughing").kind).toBe("laughing");
    expect(eyeLook("laughing").words).toBe("eyes shut while laughing (not a blink)");
    expect(eyeLook("kissing").kind).toBe("kissing");
    expect(eyeLook("kissing").words).toBe("eyes shut in a kiss or hug (not a blink)");
  });
});

describe("face boxes", () => {
  it("name each person of a frame as the strip does", () => {
    const strip = buildStrip([10, 11, 12, 13], photo);
    expect(strip && stripMarks(strip, 11).map((m) => [m.label, m.kind]), "frame 2").toEqual([
      ["Person 1: eyes closed", "closed"],
      ["Person 3: eyes open", "open"],
    ]);
    expect(strip && stripMarks(strip, 99), "a frame outside the group").toEqual([]);
  });

  it("say the judged eyes of a photo, or leave the raw faces", () => {
    expect(judgedMarks(frames[12].judgedFaces)?.map((m) => m.label), "judged").toEqual(["eyes open", "eyes half closed", "looking down (not a blink)"]);
    expect(judgedMarks([]), "nothing judged").toBeNull();
  });
});
