import { describe, expect, it } from 'vitest';
import {
  type ChatMessage,
  renderChat,
  type TextTokenizer,
  type TokenizedChat,
  TokenizeError,
  tokenizeChat,
} from '../index.js';
import { createFixtureTokenizer } from './fixture-tokenizer.js';

const WORDS = [
  'system',
  'user',
  'assistant',
  'Be',
  'brief',
  '.',
  'Capital',
  'of',
  'Ethiopia',
  '?',
  'Ad',
  '##dis',
  'Aba',
  '##ba',
  'And',
  'Sweden',
  'Stockholm',
  'Thanks',
  '!',
  'You',
  'are',
  'welcome',
  'Hi',
];
const MARKERS = [
  '<|im_start|>',
  '<|im_end|>',
  '<s>',
  '</s>',
  '[INST]',
  '[/INST]',
  '<<SYS>>',
  '<</SYS>>',
  '<|system|>',
  '<|user|>',
  '<|assistant|>',
];

const tokenizers = new Map<string, TextTokenizer>();

/** One fixture tokenizer per chat template (building one starts a tokenizer engine). */
function makeTokenizer(chatTemplate?: string): TextTokenizer {
  const key = chatTemplate ?? '';
  let tokenizer = tokenizers.get(key);
  if (tokenizer === undefined) {
    const config = {
      bos_token: '<s>',
      eos_token: '</s>',
      ...(chatTemplate === undefined ? {} : { chat_template: chatTemplate }),
    };
    tokenizer = createFixtureTokenizer({ vocab: WORDS, addedTokens: MARKERS, config });
    tokenizers.set(key, tokenizer);
  }
  return tokenizer;
}

const conversation: ChatMessage[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Capital of Ethiopia?' },
  { role: 'assistant', content: 'Addis Ababa.' },
  { role: 'user', content: 'And Sweden?' },
  { role: 'assistant', content: 'Stockholm.' },
  { role: 'user', content: 'Thanks!' },
  { role: 'assistant', content: 'You are welcome.' },
];

/**
 * Checks every token and label: `expected` lists the tokens, a leading `*` marking the ones
 * trained on (label = token id); all others must carry -100.
 */
function expectTokensAndLabels(result: TokenizedChat, expected: string): void {
  const tokenizer = makeTokenizer();
  const spec = expected.trim().split(/\s+/);
  const tokens = result.inputIds.map((id) => tokenizer.idToToken(id));
  expect(tokens).toEqual(spec.map((s) => (s.startsWith('*') ? s.slice(1) : s)));
  const labels = spec.map((s, i) => (s.startsWith('*') ? result.inputIds[i] : -100));
  expect(result.labels).toEqual(labels);
  expect(result.attentionMask).toEqual(result.inputIds.map(() => 1));
}

const LLAMA2_TEMPLATE =
  "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}" +
  "{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}" +
  "{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}" +
  "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' ' + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

// Zephyr's template as published (multi-line; the Jinja engine trims block newlines).
const ZEPHYR_TEMPLATE = `{% for message in messages %}
{% if message['role'] == 'user' %}
{{ '<|user|>\n' + message['content'] + eos_token }}
{% elif message['role'] == 'system' %}
{{ '<|system|>\n' + message['content'] + eos_token }}
{% elif message['role'] == 'assistant' %}
{{ '<|assistant|>\n'  + message['content'] + eos_token }}
{% endif %}
{% if loop.last and add_generation_prompt %}
{{ '<|assistant|>' }}
{% endif %}
{% endfor %}`;

describe('renderChat', () => {
  it('renders ChatML with and without a generation prompt', () => {
    const messages = conversation.slice(0, 2);
    expect(renderChat(messages, { template: 'chatml' })).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nCapital of Ethiopia?<|im_end|>\n',
    );
    expect(renderChat(messages, { template: 'chatml', addGenerationPrompt: true })).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nCapital of Ethiopia?<|im_end|>\n<|im_start|>assistant\n',
    );
  });

  it('renders Alpaca with the default preamble and the tokenizer eos token', () => {
    const text = renderChat(conversation.slice(1, 3), {
      template: 'alpaca',
      tokenizer: makeTokenizer(),
    });
    expect(text).toBe(
      'Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n' +
        '### Instruction:\nCapital of Ethiopia?\n\n### Response:\nAddis Ababa.</s>\n\n',
    );
    expect(
      renderChat(conversation.slice(0, 2), {
        template: 'alpaca',
        eosToken: '<eos>',
        addGenerationPrompt: true,
      }),
    ).toBe('Be brief.\n\n### Instruction:\nCapital of Ethiopia?\n\n### Response:\n');
  });

  it("uses the tokenizer's chat template, bos and eos tokens", () => {
    const text = renderChat(conversation.slice(0, 3), {
      tokenizer: makeTokenizer(LLAMA2_TEMPLATE),
    });
    expect(text).toBe(
      '<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nCapital of Ethiopia? [/INST] Addis Ababa. </s>',
    );
    expect(
      renderChat(conversation.slice(0, 2), {
        tokenizer: makeTokenizer(ZEPHYR_TEMPLATE),
        addGenerationPrompt: true,
      }),
    ).toBe('<|system|>\nBe brief.</s>\n<|user|>\nCapital of Ethiopia?</s>\n<|assistant|>\n');
  });

  it('reports template problems as TEMPLATE_ERROR with the Jinja message', () => {
    const swapped = [conversation[0], conversation[2], conversation[1]] as ChatMessage[];
    expect(() => renderChat(swapped, { template: LLAMA2_TEMPLATE })).toThrow(
      /Conversation roles must alternate/,
    );
    try {
      renderChat(swapped, { template: LLAMA2_TEMPLATE });
    } catch (error) {
      expect(error).toBeInstanceOf(TokenizeError);
      expect((error as TokenizeError).code).toBe('TEMPLATE_ERROR');
    }
    expect(() => renderChat(conversation, { template: '{% for m in %}{{ m }}' })).toThrow(
      expect.objectContaining({
        code: 'TEMPLATE_ERROR',
        message: expect.stringMatching(/could not be parsed: .+/),
      }),
    );
    // Alpaca needs an eos token: without one the Jinja error surfaces.
    expect(() => renderChat(conversation.slice(1, 3), { template: 'alpaca' })).toThrow(
      expect.objectContaining({
        code: 'TEMPLATE_ERROR',
        message: expect.stringMatching(/undefined/),
      }),
    );
    expect(() => renderChat(conversation, { tokenizer: makeTokenizer() })).toThrow(
      expect.objectContaining({
        code: 'TEMPLATE_ERROR',
        message: expect.stringMatching(/no chat_template/),
      }),
    );
    expect(() => renderChat(conversation, { template: 'chatlm' })).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        field: 'template',
        message: expect.stringMatching(/'chatml'/),
      }),
    );
  });

  it('names the malformed message', () => {
    const cases: Array<[unknown, string]> = [
      ['hello', 'messages'],
      [[], 'messages'],
      [[{ role: 'user', content: 'Hi' }, null], 'messages[1]'],
      [[{ role: 'user', content: 'Hi' }, { content: 'Hi' }], 'messages[1].role'],
      [
        [
          { role: 'user', content: 'Hi' },
          { role: '', content: 'Hi' },
        ],
        'messages[1].role',
      ],
      [
        [{ role: 'system', content: 'x' }, { role: 'user', content: 'Hi' }, { role: 'assistant' }],
        'messages[2].content',
      ],
      [[{ role: 'user', content: ['Hi'] }], 'messages[0].content'],
    ];
    for (const [messages, field] of cases) {
      expect(() => renderChat(messages as ChatMessage[], { template: 'chatml' })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field }),
      );
      expect(() =>
        tokenizeChat(messages as ChatMessage[], makeTokenizer(), { template: 'chatml' }),
      ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field }));
    }
  });
});

describe('tokenizeChat', () => {
  it('labels only assistant turns and their <|im_end|> in ChatML', () => {
    const result = tokenizeChat(conversation, makeTokenizer(), { template: 'chatml' });
    expectTokensAndLabels(
      result,
      `<|im_start|> system Be brief . <|im_end|>
       <|im_start|> user Capital of Ethiopia ? <|im_end|>
       <|im_start|> assistant *Ad *##dis *Aba *##ba *. *<|im_end|>
       <|im_start|> user And Sweden ? <|im_end|>
       <|im_start|> assistant *Stockholm *. *<|im_end|>
       <|im_start|> user Thanks ! <|im_end|>
       <|im_start|> assistant *You *are *welcome *. *<|im_end|>`,
    );
    expect(
      result.assistantSpans.map((s) => [
        s.messageIndex,
        result.text.slice(s.start, s.end),
        s.tokenStart,
        s.tokenEnd,
      ]),
    ).toEqual([
      [2, 'Addis Ababa.<|im_end|>', 15, 21],
      [4, 'Stockholm.<|im_end|>', 29, 32],
      [6, 'You are welcome.<|im_end|>', 39, 44],
    ]);
  });

  it('labels assistant turns with a Llama-2 template (system inside the first [INST], eos per turn)', () => {
    const result = tokenizeChat(conversation, makeTokenizer(LLAMA2_TEMPLATE));
    expectTokensAndLabels(
      result,
      `<s> [INST] <<SYS>> Be brief . <</SYS>> Capital of Ethiopia ? [/INST] *Ad *##dis *Aba *##ba *. *</s>
       <s> [INST] And Sweden ? [/INST] *Stockholm *. *</s>
       <s> [INST] Thanks ! [/INST] *You *are *welcome *. *</s>`,
    );
    expect(result.assistantSpans.map((s) => result.text.slice(s.start, s.end))).toEqual([
      'Addis Ababa. </s>',
      'Stockholm. </s>',
      'You are welcome. </s>',
    ]);
  });

  it('labels assistant turns with the Zephyr template (generation prompt differs from the turn header)', () => {
    const result = tokenizeChat(conversation, makeTokenizer(ZEPHYR_TEMPLATE));
    expectTokensAndLabels(
      result,
      `<|system|> Be brief . </s> <|user|> Capital of Ethiopia ? </s> <|assistant|> *Ad *##dis *Aba *##ba *. *</s>
       <|user|> And Sweden ? </s> <|assistant|> *Stockholm *. *</s>
       <|user|> Thanks ! </s> <|assistant|> *You *are *welcome *. *</s>`,
    );
  });

  it('labels every token with trainOn: all, and truncates to maxLength', () => {
    const tokenizer = makeTokenizer();
    const all = tokenizeChat(conversation, tokenizer, { template: 'chatml', trainOn: 'all' });
    expect(all.labels).toEqual(all.inputIds);
    expect(all.inputIds).toHaveLength(44);
    expect(all.assistantSpans).toEqual([]);

    const cut = tokenizeChat(conversation, tokenizer, { template: 'chatml', maxLength: 31 });
    expect(cut.inputIds).toEqual(all.inputIds.slice(0, 31));
    expect(cut.labels.slice(0, 15)).toEqual(new Array(15).fill(-100));
    expect(cut.labels.slice(15, 21)).toEqual(all.inputIds.slice(15, 21));
    // The second answer is cut after "Stockholm ."; its <|im_end|> falls outside.
    expect(cut.labels.slice(29)).toEqual(all.inputIds.slice(29, 31));
    expect(cut.assistantSpans.map((s) => [s.tokenStart, s.tokenEnd])).toEqual([
      [15, 21],
      [29, 31],
      [31, 31],
    ]);
  });

  it('handles an assistant message first and a custom ignore index', () => {
    const result = tokenizeChat(
      [
        { role: 'assistant', content: 'Hi!' },
        { role: 'user', content: 'Thanks' },
      ],
      makeTokenizer(),
      {
        template: 'chatml',
        ignoreIndex: -1,
      },
    );
    expectTokensAndLabels(
      { ...result, labels: result.labels.map((l) => (l === -1 ? -100 : l)) },
      '<|im_start|> assistant *Hi *! *<|im_end|> <|im_start|> user Thanks <|im_end|>',
    );
  });

  it('rejects templates that render earlier turns differently in longer conversations, and bad options', () => {
    const counting =
      "{{ messages | length }}:{% for m in messages %}{{ m['content'] }}|{% endfor %}";
    expect(() => tokenizeChat(conversation, makeTokenizer(), { template: counting })).toThrow(
      expect.objectContaining({
        code: 'TEMPLATE_ERROR',
        message: expect.stringMatching(/message 2/),
      }),
    );
    expect(
      tokenizeChat(conversation, makeTokenizer(), {
        template: counting,
        trainOn: 'all',
      }).text.startsWith('7:Be brief.|'),
    ).toBe(true);
    expect(() =>
      tokenizeChat(conversation, makeTokenizer(), { template: 'chatml', maxLength: 0 }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'maxLength' }));
    expect(() =>
      tokenizeChat(conversation, makeTokenizer(), {
        template: 'chatml',
        trainOn: 'users' as unknown as 'all',
      }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'trainOn' }));
  });
});
