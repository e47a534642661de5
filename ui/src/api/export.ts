import type { ExportPlanDto } from "../bindings/ExportPlanDto";
import type { ExportReportDto } from "../bindings/ExportReportDto";
import type { ExportRequestDto } from "../bindings/ExportRequestDto";
import { call } from "./core";

export const planExport = (request: ExportRequestDto) => call<ExportPlanDto>("plan_export", { request });
export const runExport = (request: ExportRequestDto) => call<ExportReportDto>("run_export", { request });
