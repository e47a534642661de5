import type { TrustReportDto } from "../bindings/TrustReportDto";
import { call } from "./core";

export const trustReport = () => call<TrustReportDto>("trust_report");
export const saveReportHtml = (file: string) => call<string>("save_report_html", { file });
