import { createTpeSampler } from './src/samplers/tpe.js';
import { runLoop, bestValue } from './src/samplers/testing.js';
import { sampleUniform, seededRng } from './src/samplers/sampler-utils.js';
const obj = (c: any) => { const x = c.suggestFloat('x', -10, 10); const y = c.suggestFloat('y', -10, 10); return (x - 2) ** 2 + (y + 3) ** 2; };
let t0 = performance.now();
const tpe: number[] = [], rnd: number[] = [], mv: number[] = [];
for (let s = 0; s < 10; s++) {
  tpe.push(bestValue(runLoop({ sampler: createTpeSampler({ seed: s }), nTrials: 50, objective: obj })));
  mv.push(bestValue(runLoop({ sampler: createTpeSampler({ seed: s, multivariate: true }), nTrials: 50, objective: obj })));
  const r = seededRng(s, 'x');
  rnd.push(bestValue(runLoop({ sampler: { name: 'r', sampleIndependent: (_s, _t, _n, d) => sampleUniform(r, d) }, nTrials: 50, objective: obj })));
}
console.log(tpe.map(v=>v.toFixed(3)).join(' '));
console.log(mv.map(v=>v.toFixed(3)).join(' '));
console.log(rnd.map(v=>v.toFixed(3)).join(' '));
console.log(performance.now() - t0);
t0 = performance.now();
runLoop({ sampler: createTpeSampler({ seed: 1 }), nTrials: 1000, objective: obj });
console.log('1000 trials ms', performance.now() - t0);
