import { createTpeSampler, createRandomSampler, type FrozenTrial, type StudyView, type Distribution } from './src/index.js';
const dists: Record<string, Distribution> = { kind: { type: 'categorical', choices: ['a', 'b', 'c'] }, n: { type: 'int', low: 1, high: 20, log: false, step: 1 }, x: { type: 'float', low: -5, high: 5, log: false }, lr: { type: 'float', low: 1e-4, high: 1, log: true } };
const rng = createRandomSampler({ seed: 0 });
const trials: FrozenTrial[] = [];
const view: StudyView = { name: 'o', directions: ['minimize'], trials };
for (let i = 0; i < 1000; i++) { const t: FrozenTrial = { number: i, state: 'complete', params: {}, distributions: dists, intermediateValues: {}, userAttrs: {}, systemAttrs: {}, values: [0] }; for (const [n, d] of Object.entries(dists)) t.params[n] = rng.sampleIndependent(view, t, n, d); t.values = [Math.random()]; trials.push(t); }
const s = createTpeSampler({ seed: 0 });
for (const [n, d] of Object.entries(dists)) {
  const t0 = performance.now();
  for (let k = 0; k < 20; k++) s.sampleIndependent(view, trials[0]!, n, d);
  console.log(n, ((performance.now() - t0) / 20).toFixed(2), 'ms');
}
