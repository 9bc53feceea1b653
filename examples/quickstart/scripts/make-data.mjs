// Regenerates data/tickets.jsonl: 480 short English support tickets in three classes (billing,
// technical, account). Deterministic (a tiny LCG), so the committed file rebuilds byte for byte.
// Some tickets mix two topics, a few carry contact details and about 6% are mislabelled, so the
// task is not trivially separable and the clean step has PII to replace. Run: node scripts/make-data.mjs
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

let state = 20261122;
const rand = () => {
  state = (Math.imul(state, 1103515245) + 12345) >>> 0;
  return state / 2 ** 32;
};
const pick = (xs) => xs[Math.floor(rand() * xs.length)];

const openers = ['', '', '', 'Hi, ', 'Hello, ', 'Hey team, ', 'Good morning, ', 'Urgent: '];
const closers = ['', '', '', ' Thanks.', ' Thank you!', ' Please help.', ' Any update?'];
const fill = {
  month: ['January', 'February', 'March', 'April', 'May', 'June'],
  amount: ['12', '19', '25', '49', '99', '120'],
  device: ['iPhone', 'Android phone', 'laptop', 'tablet', 'desktop app', 'browser'],
  feature: ['search', 'export', 'dashboard', 'notifications', 'calendar', 'file upload'],
  error: ['a timeout', 'error 500', 'a blank page', 'an unknown error', 'a spinning wheel'],
};
const templates = {
  billing: [
    'I was charged twice for my subscription in {month}, please refund one payment.',
    'My invoice for {month} shows {amount} dollars but my plan costs less.',
    'How do I change the credit card used for billing?',
    'The refund you promised in {month} has not reached my card yet.',
    'Why did my monthly price go up to {amount} dollars?',
    'Please send me a receipt for the payment I made in {month}.',
    'I cancelled my plan but you still billed me {amount} dollars.',
    'Can I switch from monthly to yearly billing and get a discount?',
    'There is a charge of {amount} dollars on my statement I do not recognise.',
    'The payment failed although my card is valid, please retry the charge.',
  ],
  technical: [
    'The app crashes every time I open {feature} on my {device}.',
    'Since the last update {feature} shows {error} on my {device}.',
    'Sync between my {device} and the web version stopped working.',
    'Uploading a file larger than {amount} MB fails with {error}.',
    'The {feature} page is extremely slow and then shows {error}.',
    'Notifications do not arrive on my {device} anymore.',
    'I get {error} when I try to use {feature}.',
    'The {device} version freezes after a few minutes of use.',
    'Dark mode makes the {feature} text unreadable on my {device}.',
    'After installing the update the app will not start on my {device}.',
  ],
  account: [
    'Please delete my account and all data you hold about me.',
    'I want to change the email address on my account.',
    'Someone else logged into my account from a {device}, please lock it.',
    'I forgot my password and the reset email never arrives.',
    'How do I add a second user to my team account?',
    'Please merge my two accounts into one.',
    'I cannot turn off two-factor authentication after losing my {device}.',
    'My username is wrong, can you rename my profile?',
    'How do I transfer ownership of the workspace to a colleague?',
    'I would like to download a copy of all my account data.',
  ],
};
// A second topic glued onto some tickets: the label stays the first topic's.
const asides = {
  billing: ['Also my invoice looks wrong.', 'By the way I was charged twice last month.'],
  technical: ['Also the app keeps crashing.', 'The search page is slow too.'],
  account: ['Also please update my email address.', 'And I cannot reset my password.'],
};
const contacts = [
  ' Reach me at jane.doe@example.com.',
  ' Call me on +1 555 013 4477.',
  ' My IP is 203.0.113.7 if that helps.',
];

const labels = Object.keys(templates);
const lines = [];
for (let i = 0; i < 480; i++) {
  const label = labels[i % labels.length];
  let text = pick(templates[label]).replace(/\{(\w+)\}/g, (_, key) => pick(fill[key]));
  if (rand() < 0.3) text += ` ${pick(asides[pick(labels.filter((l) => l !== label))])}`;
  if (rand() < 0.08) text += pick(contacts);
  const opener = pick(openers);
  // "Hi, the app …" but "Hi, I forgot …".
  if (opener !== '' && !text.startsWith('I ')) text = text[0].toLowerCase() + text.slice(1);
  text = `${opener}${text}${pick(closers)}`;
  // About 6% of labels are wrong, as in real annotations: no model reaches 100% on the test split.
  const noisy = rand() < 0.06 ? pick(labels.filter((l) => l !== label)) : label;
  lines.push({ id: `t${i + 1}`, customer: `c${1 + Math.floor(rand() * 150)}`, label: noisy, text });
}
// Shuffled so the file does not cycle through the labels.
for (let i = lines.length - 1; i > 0; i--) {
  const j = Math.floor(rand() * (i + 1));
  [lines[i], lines[j]] = [lines[j], lines[i]];
}
const out = fileURLToPath(new URL('../data/tickets.jsonl', import.meta.url));
writeFileSync(out, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
console.log(`wrote ${lines.length} tickets to data/tickets.jsonl`);
