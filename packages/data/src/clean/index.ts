// Public exports of the clean area (re-exported by src/index.ts).
export {};
