// Public exports of the chat area (re-exported by src/index.ts).

export type { ChatMessage, RenderChatOptions } from './render.js';
export { renderChat } from './render.js';
export type { BuiltinChatTemplate } from './templates.js';
export { ALPACA_TEMPLATE, BUILTIN_CHAT_TEMPLATES, CHATML_TEMPLATE } from './templates.js';
export type { AssistantSpan, TokenizeChatOptions, TokenizedChat } from './tokenize-chat.js';
export { tokenizeChat } from './tokenize-chat.js';
