import type { ProfileInfoDto } from "../bindings/ProfileInfoDto";
import type { ProfileShownDto } from "../bindings/ProfileShownDto";
import type { ShootViewDto } from "../bindings/ShootViewDto";
import { call } from "./core";

export const listProfiles = () => call<ProfileInfoDto[]>("list_profiles");
export const chooseProfile = (name: string) => call<ShootViewDto>("choose_profile", { name });
export const showProfile = (name: string) => call<ProfileShownDto>("show_profile", { name });
export const newProfile = (name: string, from: string) => call<ProfileShownDto>("new_profile", { name, from });
export const resetProfile = (name: string) => call<number>("reset_profile", { name });
export const deleteProfile = (name: string) => call<null>("delete_profile", { name });
export const exportProfile = (name: string, file: string) => call<null>("export_profile", { name, file });
export const importProfile = (file: string, replace: boolean) => call<ProfileShownDto>("import_profile", { file, replace });
