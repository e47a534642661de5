import type { ShootInfoDto } from "../bindings/ShootInfoDto";
import type { StartupDto } from "../bindings/StartupDto";
import { call } from "./core";

export const startup = () => call<StartupDto>("startup");
export const recentShoots = () => call<ShootInfoDto[]>("recent_shoots");
export const pickFolder = () => call<string | null>("pick_folder");
export const pickOpenFile = (title: string, extension: string) => call<string | null>("pick_open_file", { title, extension });
export const pickSaveFile = (title: string, fileName: string, extension: string) =>
  call<string | null>("pick_save_file", { title, fileName, extension });
