// Public exports of the dedup area (re-exported by src/index.ts).
export {};
