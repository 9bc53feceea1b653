// Public exports of the labeling area (re-exported by src/index.ts).
export {};
