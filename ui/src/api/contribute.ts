import type { AddReportDto } from "../bindings/AddReportDto";
import type { ConsentDto } from "../bindings/ConsentDto";
import type { ContributionDto } from "../bindings/ContributionDto";
import type { ContributionStatusDto } from "../bindings/ContributionStatusDto";
import type { NetworkRequestDto } from "../bindings/NetworkRequestDto";
import type { PreviewReportDto } from "../bindings/PreviewReportDto";
import type { SendReportDto } from "../bindings/SendReportDto";
import { call } from "./core";

export const contributionTerms = () => call<string>("contribution_terms");
export const contributionStatus = () => call<ContributionStatusDto>("contribution_status");
export const contributionConsent = (consent: ConsentDto) => call<number>("contribution_consent", { consent });
export const contributionAdd = (paths: string[]) => call<AddReportDto>("contribution_add", { paths });
export const contributionClear = () => call<void>("contribution_clear");
export const contributionPreview = () => call<PreviewReportDto>("contribution_preview");
export const contributionSend = () => call<SendReportDto>("contribution_send");
export const contributionDelete = (bundle: string) => call<ContributionDto>("contribution_delete", { bundle });
export const contributionWithdraw = () => call<string[]>("contribution_withdraw");
export const networkLog = () => call<NetworkRequestDto[]>("network_log");
