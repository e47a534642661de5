import type { ImportProgressDto } from "../bindings/ImportProgressDto";
import type { ImportReportDto } from "../bindings/ImportReportDto";
import type { ImportRequestDto } from "../bindings/ImportRequestDto";
import { call, channel } from "./core";

/** The name `pattern` gives a sample RAW file; rejects with the reason when it is refused. */
export const renameExample = (pattern: string) => call<string>("rename_example", { pattern });
/** Copies the new photos of a card into dated folders, verified; progress streams to `onProgress`. */
export const importPhotos = (request: ImportRequestDto, onProgress: (p: ImportProgressDto) => void) =>
  call<ImportReportDto>("import_photos", { request, onProgress: channel(onProgress) });
