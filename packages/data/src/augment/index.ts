// Public exports of the augment area (re-exported by src/index.ts).
export {};
