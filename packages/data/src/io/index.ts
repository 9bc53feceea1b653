// Public exports of the io area (re-exported by src/index.ts).
export {};
