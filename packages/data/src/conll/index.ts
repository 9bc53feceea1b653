// Public exports of the conll area (re-exported by src/index.ts).
export {};
