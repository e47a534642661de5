import type { ChangeDto } from "../bindings/ChangeDto";
import type { DecisionDto } from "../bindings/DecisionDto";
import { call } from "./core";

export const decide = (photos: number[], change: ChangeDto) => call<DecisionDto[]>("decide", { photos, change });
export const undo = () => call<DecisionDto[]>("undo");
export const redo = () => call<DecisionDto[]>("redo");
