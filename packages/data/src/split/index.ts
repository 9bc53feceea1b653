// Public exports of the split area (re-exported by src/index.ts).
export {};
