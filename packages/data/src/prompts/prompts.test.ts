import { describe, expect, it } from 'vitest';
import {
  convertRecord,
  convertRecords,
  type DataRecord,
  detectPromptFormat,
  type PromptFormatName,
  parseChatml,
  promptFormats,
  renderAlpacaPrompt,
  validateConversation,
} from '../index.js';
import { catchDataErrorSync as catchDataError } from '../test-helpers.js';

const FORMATS = Object.keys(promptFormats) as PromptFormatName[];

// One exchange with a system prompt, written by hand in every format. The reply holds a newline
// and Amharic text, so ChatML has to keep both.
const SINGLE: Record<PromptFormatName, DataRecord> = {
  alpaca: {
    instruction: 'Greet the reader in Amharic.',
    input: '',
    output: 'ሰላም ለዓለም።\nእንዴት ነህ?',
    system: 'You are a polite translator.',
  },
  instruction: {
    prompt: 'Greet the reader in Amharic.',
    response: 'ሰላም ለዓለም።\nእንዴት ነህ?',
    system: 'You are a polite translator.',
  },
  chatml: {
    text:
      '<|im_start|>system\nYou are a polite translator.<|im_end|>\n' +
      '<|im_start|>user\nGreet the reader in Amharic.<|im_end|>\n' +
      '<|im_start|>assistant\nሰላም ለዓለም።\nእንዴት ነህ?<|im_end|>\n',
  },
  sharegpt: {
    conversations: [
      { from: 'system', value: 'You are a polite translator.' },
      { from: 'human', value: 'Greet the reader in Amharic.' },
      { from: 'gpt', value: 'ሰላም ለዓለም።\nእንዴት ነህ?' },
    ],
  },
  openai: {
    messages: [
      { role: 'system', content: 'You are a polite translator.' },
      { role: 'user', content: 'Greet the reader in Amharic.' },
      { role: 'assistant', content: 'ሰላም ለዓለም።\nእንዴት ነህ?' },
    ],
  },
};

// One exchange without a system prompt.
const BARE: Record<PromptFormatName, DataRecord> = {
  alpaca: { instruction: 'Name a colour.', input: '', output: 'Blue.' },
  instruction: { prompt: 'Name a colour.', response: 'Blue.' },
  chatml: {
    text: '<|im_start|>user\nName a colour.<|im_end|>\n<|im_start|>assistant\nBlue.<|im_end|>\n',
  },
  sharegpt: {
    conversations: [
      { from: 'human', value: 'Name a colour.' },
      { from: 'gpt', value: 'Blue.' },
    ],
  },
  openai: {
    messages: [
      { role: 'user', content: 'Name a colour.' },
      { role: 'assistant', content: 'Blue.' },
    ],
  },
};

// Several turns with a tool call, for the formats that hold them.
const MULTI = {
  chatml: {
    text:
      '<|im_start|>system\nUse tools when needed.<|im_end|>\n' +
      '<|im_start|>user\nWeather in Stockholm?<|im_end|>\n' +
      '<|im_start|>assistant\n{"call":"weather","city":"Stockholm"}<|im_end|>\n' +
      '<|im_start|>tool\n{"temp":-3}<|im_end|>\n' +
      '<|im_start|>assistant\nIt is -3 °C.<|im_end|>\n' +
      '<|im_start|>user\nAnd tomorrow?\nBe brief.<|im_end|>\n' +
      '<|im_start|>assistant\nColder.<|im_end|>\n',
  },
  sharegpt: {
    conversations: [
      { from: 'system', value: 'Use tools when needed.' },
      { from: 'human', value: 'Weather in Stockholm?' },
      { from: 'gpt', value: '{"call":"weather","city":"Stockholm"}' },
      { from: 'tool', value: '{"temp":-3}' },
      { from: 'gpt', value: 'It is -3 °C.' },
      { from: 'human', value: 'And tomorrow?\nBe brief.' },
      { from: 'gpt', value: 'Colder.' },
    ],
  },
  openai: {
    messages: [
      { role: 'system', content: 'Use tools when needed.' },
      { role: 'user', content: 'Weather in Stockholm?' },
      { role: 'assistant', content: '{"call":"weather","city":"Stockholm"}' },
      { role: 'tool', content: '{"temp":-3}' },
      { role: 'assistant', content: 'It is -3 °C.' },
      { role: 'user', content: 'And tomorrow?\nBe brief.' },
      { role: 'assistant', content: 'Colder.' },
    ],
  },
} satisfies Partial<Record<PromptFormatName, DataRecord>>;

// Alpaca with an input: the input is a second user message, so the boundary survives.
const WITH_INPUT = {
  alpaca: {
    instruction: 'Translate to Swedish.',
    input: 'Good morning\n\nfriends',
    output: 'God morgon, vänner',
  },
  chatml: {
    text:
      '<|im_start|>user\nTranslate to Swedish.<|im_end|>\n' +
      '<|im_start|>user\nGood morning\n\nfriends<|im_end|>\n' +
      '<|im_start|>assistant\nGod morgon, vänner<|im_end|>\n',
  },
  sharegpt: {
    conversations: [
      { from: 'human', value: 'Translate to Swedish.' },
      { from: 'human', value: 'Good morning\n\nfriends' },
      { from: 'gpt', value: 'God morgon, vänner' },
    ],
  },
  openai: {
    messages: [
      { role: 'user', content: 'Translate to Swedish.' },
      { role: 'user', content: 'Good morning\n\nfriends' },
      { role: 'assistant', content: 'God morgon, vänner' },
    ],
  },
} satisfies Partial<Record<PromptFormatName, DataRecord>>;

describe('conversion matrix', () => {
  for (const [title, sample] of [
    ['single turn with system', SINGLE],
    ['single turn without system', BARE],
  ] as const) {
    for (const from of FORMATS) {
      for (const to of FORMATS) {
        it(`${title}: ${from} → ${to} gives the hand-written record, detected and explicit`, () => {
          expect(convertRecord(sample[from], to)).toEqual(sample[to]);
          expect(convertRecord(sample[from], to, { from })).toEqual(sample[to]);
          expect(convertRecord(convertRecord(sample[from], to), from)).toEqual(sample[from]);
        });
      }
    }
  }

  const multiFormats = Object.keys(MULTI) as (keyof typeof MULTI)[];
  for (const from of multiFormats) {
    for (const to of multiFormats) {
      it(`multi-turn with a tool turn: ${from} → ${to} → ${from} is exact`, () => {
        expect(convertRecord(MULTI[from], to)).toEqual(MULTI[to]);
        expect(convertRecord(convertRecord(MULTI[from], to), from)).toEqual(MULTI[from]);
      });
    }
  }

  const inputFormats = Object.keys(WITH_INPUT) as (keyof typeof WITH_INPUT)[];
  for (const from of inputFormats) {
    for (const to of inputFormats) {
      it(`alpaca input kept as its own user message: ${from} → ${to}`, () => {
        expect(convertRecord(WITH_INPUT[from], to)).toEqual(WITH_INPUT[to]);
      });
    }
  }

  it('normalises Alpaca records to the canonical shape: input always present, empty system dropped', () => {
    expect(convertRecord({ instruction: 'Hi', output: 'Hello' }, 'alpaca')).toEqual({
      instruction: 'Hi',
      input: '',
      output: 'Hello',
    });
    expect(
      convertRecord({ instruction: 'Hi', input: null, output: 'Hello', system: '' }, 'openai'),
    ).toEqual({
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello' },
      ],
    });
  });

  it('converts batches with convertRecords, detecting each record on its own', () => {
    expect(convertRecords([SINGLE.alpaca!, BARE.sharegpt!, MULTI.chatml], 'openai')).toEqual([
      SINGLE.openai,
      BARE.openai,
      MULTI.openai,
    ]);
  });
});

describe('lossy conversions', () => {
  it('refuses multi-turn data into Alpaca, naming the record index and what would go', () => {
    const error = catchDataError(() => convertRecords([BARE.openai!, MULTI.openai], 'alpaca'));
    expect(error.code).toBe('LOSSY_CONVERSION');
    expect(error.message).toContain('record at index 1');
    expect(error.message).toContain('4 messages after the first exchange (messages 3–6)');
    expect(error.message).toContain('allowLossy');
  });

  it('keeps the first exchange with allowLossy', () => {
    expect(convertRecord(MULTI.sharegpt, 'alpaca', { allowLossy: true })).toEqual({
      instruction: 'Weather in Stockholm?',
      input: '',
      output: '{"call":"weather","city":"Stockholm"}',
      system: 'Use tools when needed.',
    });
    expect(convertRecord(MULTI.chatml, 'instruction', { allowLossy: true })).toEqual({
      prompt: 'Weather in Stockholm?',
      response: '{"call":"weather","city":"Stockholm"}',
      system: 'Use tools when needed.',
    });
  });

  it('refuses Alpaca input into the instruction format, and joins it with a blank line when allowed', () => {
    const error = catchDataError(() =>
      convertRecord(WITH_INPUT.alpaca, 'instruction', { index: 7 }),
    );
    expect(error.code).toBe('LOSSY_CONVERSION');
    expect(error.message).toContain('record at index 7');
    expect(error.message).toContain('boundaries between user messages 0–1');
    expect(convertRecord(WITH_INPUT.alpaca, 'instruction', { allowLossy: true })).toEqual({
      prompt: 'Translate to Swedish.\n\nGood morning\n\nfriends',
      response: 'God morgon, vänner',
    });
  });

  it('joins a third user message into the Alpaca input only with allowLossy', () => {
    const record = {
      messages: [
        { role: 'user', content: 'a' },
        { role: 'user', content: 'b' },
        { role: 'user', content: 'c' },
        { role: 'assistant', content: 'd' },
      ],
    };
    const error = catchDataError(() => convertRecord(record, 'alpaca'));
    expect(error.message).toContain('boundaries between user messages 1–2');
    expect(convertRecord(record, 'alpaca', { allowLossy: true })).toEqual({
      instruction: 'a',
      input: 'b\n\nc',
      output: 'd',
    });
  });

  const named = {
    messages: [
      { role: 'user', content: 'Hi', name: 'alice' },
      { role: 'assistant', content: 'Hello' },
    ],
  };

  it('refuses names into ChatML without names, ShareGPT and Alpaca', () => {
    for (const to of ['chatml', 'sharegpt', 'alpaca', 'instruction'] as const) {
      const error = catchDataError(() => convertRecord(named, to, { index: 2 }));
      expect(error.code).toBe('LOSSY_CONVERSION');
      expect(error.message).toContain(
        `record at index 2: converting to ${to} would lose the name "alice" of message 0`,
      );
    }
    expect(convertRecord(named, 'sharegpt', { allowLossy: true })).toEqual(BARE_HI.sharegpt);
  });

  it('keeps names in ChatML with chatmlNames and reads them back', () => {
    const text =
      '<|im_start|>user name=alice\nHi<|im_end|>\n<|im_start|>assistant\nHello<|im_end|>\n';
    expect(convertRecord(named, 'chatml', { chatmlNames: true })).toEqual({ text });
    expect(convertRecord({ text }, 'openai')).toEqual(named);
    expect(convertRecord(named, 'chatml', { allowLossy: true })).toEqual({
      text: '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello<|im_end|>\n',
    });
  });

  it('needs a user message before the reply for the single-turn formats, even with allowLossy', () => {
    const record = {
      messages: [
        { role: 'system', content: 's' },
        { role: 'assistant', content: 'I speak first.' },
      ],
    };
    expect(validateConversation(record as never)).toEqual([]);
    const error = catchDataError(() => convertRecord(record, 'alpaca', { allowLossy: true }));
    expect(error.code).toBe('SCHEMA_MISMATCH');
    expect(error.message).toContain('message 1 is assistant');
    const noReply = catchDataError(() =>
      convertRecord({ messages: [{ role: 'user', content: 'q' }] }, 'instruction', {
        allowLossy: true,
      }),
    );
    expect(noReply.code).toBe('SCHEMA_MISMATCH');
    expect(noReply.field).toBe('messages[1]');
  });
});

const BARE_HI = {
  sharegpt: {
    conversations: [
      { from: 'human', value: 'Hi' },
      { from: 'gpt', value: 'Hello' },
    ],
  },
};

describe('detection', () => {
  it('detects each format from its keys', () => {
    for (const name of FORMATS) expect(detectPromptFormat(SINGLE[name])).toBe(name);
    expect(detectPromptFormat({ text: 'plain text' })).toBeUndefined();
    expect(detectPromptFormat({ messages: [], conversations: [] })).toBeUndefined();
  });

  it('names the keys it saw when it cannot tell the format', () => {
    const error = catchDataError(() =>
      convertRecords([BARE.openai!, { question: 'q', answer: 'a' }], 'chatml'),
    );
    expect(error.code).toBe('UNSUPPORTED_FORMAT');
    expect(error.message).toContain('record at index 1');
    expect(error.message).toContain('keys "question", "answer"');
    expect(error.message).toContain('pass from');
  });

  it('says which formats an ambiguous record fits', () => {
    const error = catchDataError(() =>
      convertRecord({ prompt: 'p', response: 'r', instruction: 'i', output: 'o' }, 'openai'),
    );
    expect(error.code).toBe('UNSUPPORTED_FORMAT');
    expect(error.message).toContain('fits several prompt formats (alpaca, instruction)');
    expect(
      convertRecord({ prompt: 'p', response: 'r', instruction: 'i', output: 'o' }, 'openai', {
        from: 'instruction',
      }),
    ).toEqual({
      messages: [
        { role: 'user', content: 'p' },
        { role: 'assistant', content: 'r' },
      ],
    });
  });

  it('rejects unknown format names', () => {
    const error = catchDataError(() => convertRecord(BARE.openai!, 'llama' as PromptFormatName));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('unknown prompt format "llama" for to');
  });
});

describe('extra fields', () => {
  it('carries fields the source format does not own with keepExtraFields', () => {
    expect(
      convertRecord({ ...BARE.alpaca, id: 17, source: 'web' }, 'sharegpt', {
        keepExtraFields: true,
      }),
    ).toEqual({
      ...BARE.sharegpt,
      id: 17,
      source: 'web',
    });
    expect(convertRecord({ ...BARE.alpaca, id: 17 }, 'sharegpt')).toEqual(BARE.sharegpt);
  });

  it('refuses an extra field the target writes itself', () => {
    const record = { ...BARE.alpaca, text: 'Name a colour. Blue.' };
    const error = catchDataError(() =>
      convertRecord(record, 'chatml', { keepExtraFields: true, index: 0 }),
    );
    expect(error.code).toBe('LOSSY_CONVERSION');
    expect(error.field).toBe('text');
    expect(error.message).toContain(
      'record at index 0: converting to chatml would lose the extra field "text"',
    );
    expect(convertRecord(record, 'chatml', { keepExtraFields: true, allowLossy: true })).toEqual(
      BARE.chatml,
    );
  });
});

describe('conversation rules', () => {
  it('accepts a well-formed conversation', () => {
    expect(validateConversation(MULTI.openai as never)).toEqual([]);
  });

  it('reports every broken rule with its message index and field', () => {
    const issues = validateConversation({
      messages: [
        { role: 'system', content: 'a' },
        { role: 'user', content: '' },
        { role: 'system', content: 'b' },
        { role: 'tool', content: 'c' },
        { role: 'bot', content: 'd' },
        { role: 'assistant', content: 42, name: 'has space' },
      ],
    } as never);
    expect(issues.map(({ index, field }) => [index, field])).toEqual([
      [1, 'content'],
      [2, 'role'],
      [3, 'role'],
      [4, 'role'],
      [5, 'content'],
      [5, 'name'],
    ]);
    expect(issues[1]!.problem).toContain('only the first message may be system');
    expect(issues[2]!.problem).toContain('tool message after system');
    expect(issues[3]!.problem).toContain('role "bot"');
  });

  it('allows empty content when asked, and rejects empty or system-only conversations', () => {
    const empty = { messages: [{ role: 'user' as const, content: '' }] };
    expect(validateConversation(empty)).toHaveLength(1);
    expect(validateConversation(empty, { allowEmptyContent: true })).toEqual([]);
    expect(validateConversation({ messages: [] })[0]).toMatchObject({
      index: -1,
      field: 'messages',
    });
    expect(
      validateConversation({ messages: [{ role: 'system', content: 's' }] })[0]!.problem,
    ).toContain('only a system message');
  });
});

describe('malformed records', () => {
  it('names the message field of an OpenAI record, with file and line', () => {
    const error = catchDataError(() =>
      convertRecord(
        {
          messages: [
            { role: 'user', content: 'a' },
            { role: 'assistant', content: 'b' },
            { role: 'system', content: 'c' },
          ],
        },
        'chatml',
        { file: 'chat.jsonl', line: 12, index: 11 },
      ),
    );
    expect(error.code).toBe('SCHEMA_MISMATCH');
    expect(error.field).toBe('messages[2].role');
    expect(error.message).toMatch(
      /^\[@ft\/data\] chat\.jsonl:12 field "messages\[2\]\.role": record at index 11: message 2 is a system message/,
    );
  });

  it('rejects OpenAI keys it cannot carry and content-part arrays', () => {
    const toolCalls = catchDataError(() =>
      convertRecord(
        { messages: [{ role: 'assistant', content: null, tool_calls: [] }] },
        'sharegpt',
      ),
    );
    expect(toolCalls.field).toBe('messages[0].tool_calls');
    expect(toolCalls.message).toContain('does not carry');
    const parts = catchDataError(() =>
      convertRecord(
        { messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] },
        'sharegpt',
      ),
    );
    expect(parts.field).toBe('messages[0].content');
    expect(parts.message).toContain('join its text parts');
  });

  it('names the ShareGPT turn and key', () => {
    const badFrom = catchDataError(() =>
      convertRecord(
        {
          conversations: [
            { from: 'human', value: 'q' },
            { from: 'bot', value: 'a' },
          ],
        },
        'openai',
      ),
    );
    expect(badFrom.code).toBe('SCHEMA_MISMATCH');
    expect(badFrom.field).toBe('conversations[1].from');
    expect(badFrom.message).toContain('use one of system, human, gpt, tool');
    const badValue = catchDataError(() =>
      convertRecord(
        {
          conversations: [
            { from: 'human', value: 'q' },
            { from: 'gpt', value: 3 },
          ],
        },
        'openai',
      ),
    );
    expect(badValue.field).toBe('conversations[1].value');
    const extraKey = catchDataError(() =>
      convertRecord({ conversations: [{ from: 'human', value: 'q', weight: 0 }] }, 'openai'),
    );
    expect(extraKey.field).toBe('conversations[0].weight');
  });

  it('names the Alpaca and instruction field at fault', () => {
    const missing = catchDataError(() =>
      convertRecord({ instruction: 'i', outptu: 'o' }, 'openai', { from: 'alpaca' }),
    );
    expect(missing.code).toBe('SCHEMA_MISMATCH');
    expect(missing.field).toBe('output');
    expect(missing.message).toContain('needs a string "output", got undefined');
    const wrongType = catchDataError(() =>
      convertRecord({ instruction: 'i', input: 5, output: 'o' }, 'openai'),
    );
    expect(wrongType.field).toBe('input');
    const empty = catchDataError(() => convertRecord({ prompt: '', response: 'r' }, 'openai'));
    expect(empty.field).toBe('prompt');
    expect(empty.message).toContain('empty content');
  });
});

describe('ChatML text', () => {
  it('parses names, newlines inside content, and a missing final newline', () => {
    expect(
      parseChatml(
        '<|im_start|>user name=bo\nline 1\nline 2<|im_end|>\n<|im_start|>assistant\n ok <|im_end|>',
      ),
    ).toEqual([
      { role: 'user', content: 'line 1\nline 2', name: 'bo' },
      { role: 'assistant', content: ' ok ' },
    ]);
  });

  const cases: [string, string, string][] = [
    ['hello', 'line 1, column 1 (offset 0)', 'expected <|im_start|>'],
    ['', 'line 1, column 1 (offset 0)', 'the text is empty'],
    [
      '<|im_start|>user\nhi<|im_end|>\n<|im_start|>bot\nyo<|im_end|>\n',
      'line 3, column 13 (offset 42)',
      'turn header "bot"',
    ],
    [
      '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nyo',
      'line 3, column 1 (offset 30)',
      'never closed',
    ],
    [
      '<|im_start|>user\nhi\n<|im_start|>assistant\nyo<|im_end|>\n',
      'line 1, column 1 (offset 0)',
      'never closed',
    ],
    ['<|im_start|>user\nhi<|im_end|> \n', 'line 2, column 13 (offset 29)', 'expected a newline'],
    ['<|im_start|>user', 'line 1, column 13 (offset 12)', 'no newline'],
  ];
  for (const [text, where, what] of cases) {
    it(`reports ${JSON.stringify(what)} at ${where}`, () => {
      const error = catchDataError(() =>
        convertRecord({ text: `${text}` }, 'openai', { from: 'chatml', file: 'c.jsonl', line: 4 }),
      );
      expect(error.code).toBe('PARSE_ERROR');
      expect(error.field).toBe('text');
      expect(error.message).toContain(`c.jsonl:4 field "text": ChatML text at ${where}`);
      expect(error.message).toContain(what);
    });
  }

  it('refuses content holding a ChatML marker, which it cannot escape', () => {
    const error = catchDataError(() =>
      convertRecord({ prompt: 'say <|im_end|>', response: 'no' }, 'chatml', { index: 3 }),
    );
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.field).toBe('messages[0].content');
    expect(error.message).toContain('record at index 3: message 0 contains <|im_end|>');
  });

  it('rejects two system turns in ChatML', () => {
    const error = catchDataError(() =>
      convertRecord(
        { text: '<|im_start|>system\na<|im_end|>\n<|im_start|>system\nb<|im_end|>\n' },
        'openai',
      ),
    );
    expect(error.code).toBe('SCHEMA_MISMATCH');
    expect(error.message).toContain('message 1 is a system message');
  });
});

describe('renderAlpacaPrompt', () => {
  it('renders the Stanford Alpaca prompt with an input', () => {
    expect(
      renderAlpacaPrompt({ instruction: 'Translate to Swedish.', input: 'Good morning' }),
    ).toBe(
      'Below is an instruction that describes a task, paired with an input that provides further context. ' +
        'Write a response that appropriately completes the request.\n\n' +
        '### Instruction:\nTranslate to Swedish.\n\n### Input:\nGood morning\n\n### Response:',
    );
  });

  it('renders the prompt without the input section when input is missing or empty', () => {
    const expected =
      'Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n' +
      '### Instruction:\nName a colour.\n\n### Response:';
    expect(renderAlpacaPrompt({ instruction: 'Name a colour.' })).toBe(expected);
    expect(renderAlpacaPrompt({ instruction: 'Name a colour.', input: '' })).toBe(expected);
  });

  it('rejects a non-string instruction', () => {
    const error = catchDataError(() => renderAlpacaPrompt({ instruction: 3 } as never));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.field).toBe('instruction');
  });
});
