// Regenerates data/tickets.jsonl: synthetic support tickets in English, Swedish and Amharic with
// the problems data-prep fixes (PII, duplicates, near-duplicates, junk, one malformed line).
// Deterministic: a tiny LCG, so the committed file can be rebuilt byte for byte.
import { writeFileSync } from 'node:fs';

let state = 12345;
const rand = () => {
  state = (Math.imul(state, 1103515245) + 12345) >>> 0;
  return state / 2 ** 32;
};
const pick = (xs) => xs[Math.floor(rand() * xs.length)];

const templates = {
  billing: {
    en: [
      'I was charged twice for my subscription in {month}, please refund one payment.',
      'My invoice for {month} shows the wrong amount, it should be {amount} dollars.',
      'How do I change the credit card used for billing on my account?',
      'The refund you promised in {month} has still not arrived on my card.',
    ],
    sv: [
      'Jag blev debiterad två gånger för min prenumeration i {month}, återbetala en betalning.',
      'Min faktura för {month} visar fel belopp, det ska vara {amount} kronor.',
      'Hur byter jag kortet som används för betalningar på mitt konto?',
    ],
    am: [
      'በ{month} ለደንበኝነት ምዝገባዬ ሁለት ጊዜ ተከፍያለሁ፣ እባክዎ አንዱን ይመልሱልኝ።',
      'የ{month} ደረሰኜ የተሳሳተ መጠን ያሳያል፣ {amount} ብር መሆን አለበት።',
    ],
  },
  technical: {
    en: [
      'The app crashes every time I open the settings page on my {device}.',
      'I cannot log in since the last update, the screen stays blank on my {device}.',
      'Sync between my {device} and the web version stopped working yesterday.',
      'Uploading a file larger than {amount} MB fails with an unknown error.',
    ],
    sv: [
      'Appen kraschar varje gång jag öppnar inställningarna på min {device}.',
      'Jag kan inte logga in sedan senaste uppdateringen, skärmen är tom på min {device}.',
      'Synkroniseringen mellan min {device} och webben slutade fungera i går.',
    ],
    am: ['መተግበሪያው በ{device} ላይ ቅንብሮችን ስከፍት ይዘጋል።', 'ከመጨረሻው ዝመና ጀምሮ መግባት አልቻልኩም፣ ማያ ገጹ ባዶ ነው።'],
  },
  account: {
    en: [
      'Please delete my account and all data you hold about me.',
      'I want to change the email address on my account to a new one.',
      'Someone else seems to have access to my account, I got a login alert from {device}.',
    ],
    sv: [
      'Radera mitt konto och all data ni har om mig, tack.',
      'Jag vill byta e-postadress på mitt konto till en ny.',
    ],
    am: ['እባክዎ መለያዬን እና ስለ እኔ ያለዎትን ሁሉንም መረጃ ይሰርዙ።', 'በመለያዬ ላይ ያለውን የኢሜል አድራሻ መቀየር እፈልጋለሁ።'],
  },
};
const months = {
  en: ['March', 'April', 'May'],
  sv: ['mars', 'april', 'maj'],
  am: ['መጋቢት', 'ሚያዝያ', 'ግንቦት'],
};
const devices = {
  en: ['iPhone', 'Android phone', 'laptop'],
  sv: ['iPhone', 'Android-telefon', 'dator'],
  am: ['ስልክ', 'ኮምፒዩተር', 'ታብሌት'],
};
const contacts = [
  ' You can reach me at anna.svensson@example.se or +46 70 123 45 67.',
  ' Call me back on +1 555 123 4567.',
  ' ስልኬ +251 911 234 567 ነው።',
  ' My card 4111 1111 1111 1111 was used.',
  ' Login came from IP 203.0.113.42, see https://status.example.com/incidents/42 for details.',
  '',
  '',
  '',
];

const lines = [];
let id = 0;
const records = [];
for (let i = 0; i < 180; i++) {
  const label = pick(Object.keys(templates));
  const lang = pick(['en', 'en', 'sv', 'am']);
  let text = pick(templates[label][lang])
    .replace('{month}', pick(months[lang]))
    .replace('{device}', pick(devices[lang]))
    .replace('{amount}', String(10 + Math.floor(rand() * 90)));
  text += pick(contacts);
  records.push({ id: `t${++id}`, customer: `c${1 + Math.floor(rand() * 60)}`, lang, label, text });
}
// Exact duplicates (same text, different spacing/case) and near-duplicates (a word changed).
for (let i = 0; i < 20; i++) {
  const src = pick(records);
  records.push({ ...src, id: `t${++id}`, text: `  ${src.text.toUpperCase()}  ` });
}
for (let i = 0; i < 20; i++) {
  const src = pick(records.slice(0, 180));
  const words = src.text.split(' ');
  if (words.length > 12) words.splice(Math.floor(words.length / 2), 1);
  records.push({ ...src, id: `t${++id}`, text: words.join(' ') });
}
// Junk the quality filter should drop.
records.push({ id: `t${++id}`, customer: 'c1', lang: 'en', label: 'technical', text: 'help' });
records.push({
  id: `t${++id}`,
  customer: 'c2',
  lang: 'en',
  label: 'billing',
  text: '$$$ !!! ### $$$ !!! ### $$$ !!! ###',
});
records.push({
  id: `t${++id}`,
  customer: 'c3',
  lang: 'en',
  label: 'account',
  text: 'spam spam spam spam spam spam spam spam spam spam spam spam',
});
// Shuffle deterministically, then add one malformed line.
for (let i = records.length - 1; i > 0; i--) {
  const j = Math.floor(rand() * (i + 1));
  [records[i], records[j]] = [records[j], records[i]];
}
for (const r of records) lines.push(JSON.stringify(r));
lines.splice(
  100,
  0,
  '{"id": "t999", "customer": "c9", "lang": "en", "label": "billing", "text": "cut off mid-reco',
);
writeFileSync(new URL('../data/tickets.jsonl', import.meta.url), `${lines.join('\n')}\n`);
console.log(`wrote ${lines.length} lines`);
