import { createNsga2Sampler } from './src/samplers/nsga2.js';
import { runLoop } from './src/samplers/testing.js';
import { hypervolume } from './src/samplers/sampler-utils.js';
const zdt1 = (c: any) => { const x: number[] = []; for (let i = 0; i < 5; i++) x.push(c.suggestFloat(`x${i}`, 0, 1)); const f1 = x[0]!; const g = 1 + 9 * x.slice(1).reduce((a, b) => a + b, 0) / 4; return [f1, g * (1 - Math.sqrt(f1 / g))]; };
for (const crossover of ['uniform','sbx','blxalpha'] as const) {
const t0 = performance.now();
const trials = runLoop({ sampler: createNsga2Sampler({ seed: 1, populationSize: 20, crossover }), nTrials: 600, objective: zdt1, directions: ['minimize','minimize'] });
const hv = hypervolume(trials.map(t => t.values!), [1.1, 1.1]);
console.log(crossover, 'hv', hv, 'true', 1.1*1.1 - 1/3 - 0.1*0 , performance.now()-t0, trials.at(-1)!.systemAttrs);
}
