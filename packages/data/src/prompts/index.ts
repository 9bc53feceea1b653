// Public exports of the prompts area (re-exported by src/index.ts).
export {};
