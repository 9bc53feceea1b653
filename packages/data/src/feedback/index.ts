// Public exports of the feedback area (re-exported by src/index.ts).
export {};
