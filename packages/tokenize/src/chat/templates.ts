// Built-in chat templates (Jinja sources) for tokenizers that ship without a `chat_template`.
// Both mirror the widely used originals so rendered text matches what other tools produce.

/**
 * ChatML, as used by Qwen, OpenHermes and TRL's `setup_chat_format`: every turn is
 * `<|im_start|>{role}\n{content}<|im_end|>\n`; the generation prompt opens an assistant turn.
 */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** The Stanford Alpaca preamble, used when the conversation has no system message. */
export const ALPACA_DEFAULT_SYSTEM =
  'Below is an instruction that describes a task. Write a response that appropriately completes the request.';

/**
 * Alpaca: a system preamble, then `### Instruction:` / `### Response:` sections. Responses end with
 * the eos token so a model trained on them learns to stop.
 */
export const ALPACA_TEMPLATE =
  `{% if messages[0]['role'] != 'system' %}{{ '${ALPACA_DEFAULT_SYSTEM}' + '\\n\\n' }}{% endif %}` +
  '{% for message in messages %}' +
  "{% if message['role'] == 'system' %}{{ message['content'] + '\\n\\n' }}" +
  "{% elif message['role'] == 'user' %}{{ '### Instruction:\\n' + message['content'] + '\\n\\n' }}" +
  "{% elif message['role'] == 'assistant' %}{{ '### Response:\\n' + message['content'] + eos_token + '\\n\\n' }}" +
  "{% else %}{{ raise_exception('The alpaca template supports the roles system, user and assistant, not ' + message['role']) }}" +
  '{% endif %}{% endfor %}' +
  "{% if add_generation_prompt %}{{ '### Response:\\n' }}{% endif %}";

/** Names accepted by the `template` option in place of a Jinja source. */
export const BUILTIN_CHAT_TEMPLATES = {
  chatml: CHATML_TEMPLATE,
  alpaca: ALPACA_TEMPLATE,
} as const;

export type BuiltinChatTemplate = keyof typeof BUILTIN_CHAT_TEMPLATES;
