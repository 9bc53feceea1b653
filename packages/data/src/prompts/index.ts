// Public exports of the prompts area (re-exported by src/index.ts).

export type { AlpacaPromptFields, AlpacaRecord } from './alpaca.js';
// Formats
export { alpacaFormat, renderAlpacaPrompt } from './alpaca.js';
export type { ChatmlRecord, RenderChatmlOptions } from './chatml.js';
export { chatmlFormat, parseChatml, renderChatml } from './chatml.js';
export type { ConvertOptions, PromptFormatName, PromptRecord } from './convert.js';
// Detection and conversion
export { convertRecord, convertRecords, detectPromptFormat, promptFormats } from './convert.js';
export type { InstructionRecord } from './instruction.js';
export { instructionFormat } from './instruction.js';
export type { OpenAIRecord } from './openai.js';
export { openaiFormat } from './openai.js';
export type { ShareGPTRecord, ShareGPTSpeaker } from './sharegpt.js';
export { sharegptFormat } from './sharegpt.js';
export type {
  ChatMessage,
  ChatRole,
  Conversation,
  ConversationIssue,
  FromConversationOptions,
  PromptFormat,
  PromptLocation,
  ValidateConversationOptions,
} from './types.js';
// Common model and rules
export { validateConversation } from './utils.js';
