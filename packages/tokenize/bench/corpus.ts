// Seeded multilingual sentence generator shared by the tokenizer benchmarks and tests: English and
// Swedish (å ä ö), Amharic in Ethiopic script, some Russian, Greek, Chinese, emoji, numbers, punctuation.
import { createRng, type Rng } from '@ft/data';

const ENGLISH =
  'the of and to in is was for that with as on by at from it this be are have not but or an they which one you were all we her she there would their will when who him been has more if no out so said what up its about into than them can only other new some could time these two may then do first any my now such like our over man me even most made after also did many before must through back years where much your way well down should because each just those people how too little state good very make world still own see men work long get here between both life being under never day same another know while last might us great old year off come since against go came right used take three'.split(
    ' ',
  );
const SWEDISH =
  'och att det som en på är av för med till den har de inte om ett han men var jag sig från vi så kan man när år säga hon under också efter eller nu sin där vid mot ska skulle kommer ut får finns vara hade alla andra mycket än här då sedan över bli blir två tre göra hela själv många även kronor dag gång stor stora första nya genom utan hur redan vad mellan vår våra både få säger ökade fått något någon måste många sverige göteborg malmö räksmörgås åtta älg ö ängel björn kött fåglar sjö hår höst vår bröd smörgås kärlek möjlighet förändring utbildning träning öppen stängd ännu ändå också'.split(
    ' ',
  );
const RUSSIAN =
  'и в не на я быть он с что а по это она этот к но они мы как из у который то за свой весь год от так о для ты же все тот мочь вы человек такой его сказать только или ещё бы себя один когда уже до время если сам другой вот говорить наш мой знать стать при чтобы дело жизнь кто первый очень два день её новый рука даже во со раз где там под можно ну какой после их работа без самый потом надо хотеть ли слово идти большой должен место иметь ничто'.split(
    ' ',
  );
const GREEK =
  'και το η της να ο σε που τα με για των δεν από τη στο θα είναι ένα τον στην οι στα μια τις αλλά ότι ως στις κάθε πολύ μας μου σας αυτό όταν έχει ήταν όλα ΑΘΗΝΑ ΟΔΟΣ ΚΟΣΜΟΣ λόγος άνθρωπος χρόνος ζωή ΣΟΦΟΣ θάλασσα ήλιος'.split(
    ' ',
  );
const CHINESE =
  '的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空'.split(
    '',
  );
const EMOJI = ['😀', '👍', '👍🏽', '🎉', '🇸🇪', '🇪🇹', '👨‍👩‍👧', '❤️', '🚀', '✅', '🤖', '☕'];
const PUNCT_END = ['.', '.', '.', '!', '?', '…'];
const LATIN_EXTRA = [
  'café',
  'naïve',
  'façade',
  'jalapeño',
  'Zürich',
  'São Paulo',
  'Ærø',
  'Øresund',
  'crème brûlée',
];

/** Ethiopic syllables: consonant rows ሀ ለ ሐ መ … (U+1200–U+1357), seven orders each, skipping unassigned slots. */
const ETHIOPIC_SYLLABLES: string[] = (() => {
  const out: string[] = [];
  for (let base = 0x1200; base <= 0x1350; base += 8) {
    for (let order = 0; order < 7; order++) {
      const c = String.fromCodePoint(base + order);
      if (/\p{L}/u.test(c)) out.push(c);
    }
  }
  return out;
})();

/** A generated vocabulary sampled with Zipf-like weights, so frequent words recur as in real text. */
interface Lexicon {
  words: string[];
  cumulative: number[];
}

function lexicon(words: string[]): Lexicon {
  const cumulative: number[] = [];
  let total = 0;
  for (let r = 0; r < words.length; r++) {
    total += 1 / (r + 1) ** 1.05;
    cumulative.push(total);
  }
  return { words, cumulative: cumulative.map((c) => c / total) };
}

function sample(rng: Rng, lex: Lexicon): string {
  const u = rng.next();
  let lo = 0;
  let hi = lex.cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((lex.cumulative[mid] as number) < u) lo = mid + 1;
    else hi = mid;
  }
  return lex.words[lo] as string;
}

/** Known words first (most frequent), then pseudo-words built from the language's letters. */
function buildLexicon(rng: Rng, known: string[], letters: string, extra: number): Lexicon {
  const chars = [...letters];
  const words = [...known];
  for (let i = 0; i < extra; i++) {
    let w = '';
    const length = 3 + rng.int(8);
    for (let k = 0; k < length; k++) w += rng.pick(chars);
    words.push(w);
  }
  return lexicon(words);
}

function ethiopicLexicon(rng: Rng, size: number): Lexicon {
  const known = [
    'ሰላም',
    'ለዓለም',
    'እንዴት',
    'ነህ',
    'ነገ',
    'ስለ',
    'ደረሰኙ',
    'ደውልልኝ',
    'የማሽን',
    'ትምህርት',
    'ንጹህ',
    'የስልጠና',
    'መረጃ',
    'ይፈልጋል',
    'አዲስ',
    'አበባ',
    'ኢትዮጵያ',
    'ቡና',
    'እና',
    'ነው',
  ];
  const words = [...known];
  for (let i = 0; i < size; i++) {
    let w = '';
    const length = 2 + rng.int(4);
    for (let k = 0; k < length; k++) w += rng.pick(ETHIOPIC_SYLLABLES);
    words.push(w);
  }
  return lexicon(words);
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

function number(rng: Rng): string {
  switch (rng.int(6)) {
    case 0:
      return String(rng.int(100));
    case 1:
      return String(1900 + rng.int(130));
    case 2:
      return `${rng.int(100)}.${rng.int(100)}`;
    case 3:
      return `${rng.int(24)}:${String(rng.int(60)).padStart(2, '0')}`;
    case 4:
      return `${2000 + rng.int(30)}-${String(1 + rng.int(12)).padStart(2, '0')}-${String(1 + rng.int(28)).padStart(2, '0')}`;
    default:
      return `${rng.int(1000)} ${String(rng.int(1000)).padStart(3, '0')} kr`;
  }
}

function sentence(rng: Rng, lex: Lexicon, space = ' '): string {
  const length = 5 + rng.int(14);
  const words: string[] = [];
  for (let i = 0; i < length; i++) {
    const roll = rng.next();
    if (roll < 0.04) words.push(number(rng));
    else if (roll < 0.06) words.push(`${sample(rng, lex)},`);
    else if (roll < 0.07) words.push(`"${sample(rng, lex)}"`);
    else words.push(sample(rng, lex));
  }
  words[0] = capitalize(words[0] as string);
  return words.join(space) + rng.pick(PUNCT_END);
}

/**
 * Sentences totalling at least `megabytes` MiB of UTF-8, identical for the same seed: about 40%
 * English, 25% Swedish, 18% Amharic, and the rest Russian, Greek, Chinese and mixed lines with
 * emoji, accented Latin, numbers and unusual whitespace.
 */
export function generateCorpus(megabytes: number, seed: number): string[] {
  const rng = createRng(seed);
  const english = buildLexicon(rng, ENGLISH, 'abcdefghijklmnopqrstuvwxyz', 3000);
  const swedish = buildLexicon(rng, SWEDISH, 'abcdefghijklmnoprstuvyåäö', 2500);
  const amharic = ethiopicLexicon(rng, 2500);
  const russian = buildLexicon(rng, RUSSIAN, 'абвгдежзийклмнопрстуфхцчшщыьэюя', 800);
  const greek = buildLexicon(rng, GREEK, 'αβγδεζηθικλμνξοπρστυφχψωάέήίόύώς', 800);
  const target = megabytes * 1024 * 1024;
  const out: string[] = [];
  let bytes = 0;
  while (bytes < target) {
    const roll = rng.next();
    let s: string;
    if (roll < 0.4) s = sentence(rng, english);
    else if (roll < 0.65) s = sentence(rng, swedish);
    else if (roll < 0.83) {
      // Ethiopic uses ፡ or spaces between words and ። ፣ as punctuation.
      s = `${sentence(rng, amharic, rng.next() < 0.2 ? '፡' : ' ').slice(0, -1)}${rng.pick(['።', '።', '፣', '?'])}`;
    } else if (roll < 0.88) s = sentence(rng, russian);
    else if (roll < 0.92) s = sentence(rng, greek);
    else if (roll < 0.95) {
      const length = 6 + rng.int(20);
      let z = '';
      for (let i = 0; i < length; i++) z += rng.pick(CHINESE);
      s = `${z}${rng.pick(['。', '，', '！', '？'])}`;
    } else {
      s = [
        sample(rng, english),
        rng.pick(EMOJI),
        rng.pick(LATIN_EXTRA),
        number(rng),
        rng.pick([
          '—',
          '–',
          '(',
          ')',
          '«',
          '»',
          '“',
          '”',
          '@',
          '#',
          '%',
          '&',
          '$5',
          '€10',
          '½',
          '²',
        ]),
        sample(rng, swedish).toUpperCase(),
        rng.pick(['\t', '  ', '\u00a0', '\u3000', ' ']),
        sample(rng, amharic),
        rng.pick(EMOJI),
      ].join(rng.pick([' ', ' ', '', '\n']));
    }
    out.push(s);
    bytes += Buffer.byteLength(s, 'utf8');
  }
  return out;
}
