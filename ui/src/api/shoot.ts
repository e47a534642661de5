import type { PhotoDetailDto } from "../bindings/PhotoDetailDto";
import type { ProgressEvent } from "../bindings/ProgressEvent";
import type { ShootViewDto } from "../bindings/ShootViewDto";
import { bpUrl, call, channel } from "./core";

/** Starts opening `path`; events stream to `onEvent`. Resolves to the job id. */
export const openShoot = (path: string, onEvent: (e: ProgressEvent) => void) =>
  call<number>("open_shoot", { path, onEvent: channel(onEvent) });
export const cancelJob = (job: number) => call<boolean>("cancel_job", { job });
export const regroup = (strictness: number) => call<ShootViewDto>("regroup", { strictness });
/** The open shoot as culled now (after a decision the suggestions may have moved). */
export const currentView = () => call<ShootViewDto>("current_view");
export const photoDetail = (photo: number) => call<PhotoDetailDto>("photo_detail", { photo });

export const thumbUrl = (shoot: number, photo: number, version = 0) =>
  bpUrl(`thumb/${shoot}/${photo}${version ? `?v=${version}` : ""}`);
export const previewUrl = (photo: number) => bpUrl(`preview/${photo}`);
