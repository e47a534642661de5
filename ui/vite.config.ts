import { defineConfig } from "vite";

// The Tauri window loads ui/dist (tauri.conf.json `frontendDist`).
export default defineConfig({
  clearScreen: false,
  build: { outDir: "dist", emptyOutDir: true, target: "safari15", sourcemap: false },
  test: { include: ["src/**/*.test.ts"], environment: "node" },
});
