import { createTpeSampler } from './src/samplers/tpe.js';
import { runLoop, bestValue } from './src/samplers/testing.js';
import { sampleUniform, seededRng } from './src/samplers/sampler-utils.js';
const obj = (c: any) => { const x = c.suggestFloat('x', -10, 10); const y = c.suggestFloat('y', -10, 10); return (x - 2) ** 2 + (y + 3) ** 2; };
const tpe: number[] = [], rnd: number[] = [];
for (let s = 0; s < 40; s++) {
  tpe.push(bestValue(runLoop({ sampler: createTpeSampler({ seed: s }), nTrials: 50, objective: obj })));
  const r = seededRng(s, 'random-baseline');
  rnd.push(bestValue(runLoop({ sampler: { name: 'r', sampleIndependent: (_s, _t, _n, d) => sampleUniform(r, d) }, nTrials: 50, objective: obj })));
}
console.log(tpe.map(v=>v.toFixed(3)).join(' '));
console.log(rnd.map(v=>v.toFixed(3)).join(' '));
