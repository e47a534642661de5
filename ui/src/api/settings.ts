import type { SettingsDto } from "../bindings/SettingsDto";
import type { SettingsUpdate } from "../bindings/SettingsUpdate";
import { call } from "./core";

export const getSettings = () => call<SettingsDto>("get_settings");
export const saveSettings = (update: SettingsUpdate) => call<SettingsDto>("save_settings", { update });
export const forgetShoot = (shoot: number) => call<boolean>("forget_shoot", { shoot });
