import { createCmaEsSampler } from './src/samplers/cmaes.js';
import { runLoop, bestValue } from './src/samplers/testing.js';
const sphere = (c: any) => { let s = 0; for (let i = 0; i < 5; i++) { const x = c.suggestFloat(`x${i}`, -5, 5); s += (x - 1) ** 2; } return s; };
for (const seed of [0, 1, 2]) {
  const t0 = performance.now();
  const trials = runLoop({ sampler: createCmaEsSampler({ seed }), nTrials: 400, objective: sphere });
  console.log(seed, bestValue(trials), performance.now() - t0, JSON.stringify(trials.at(-1)!.systemAttrs).slice(0, 100));
  const ipop = runLoop({ sampler: createCmaEsSampler({ seed, restartStrategy: 'ipop' }), nTrials: 1500, objective: (c: any) => { let s = 10 * 4; for (let i = 0; i < 4; i++) { const x = c.suggestFloat(`x${i}`, -5.12, 5.12); s += x * x - 10 * Math.cos(2 * Math.PI * x); } return s; } });
  console.log('ipop rastrigin', bestValue(ipop), ipop.at(-1)!.systemAttrs['cma:n_restarts']);
}
