// The gateway's wire format: OpenAI's Chat Completions and Embeddings, snake_case as OpenAI
// writes them. Types only. The SDK converts its camelCase parameters to these (and answers back);
// the local gateway reads and writes them. See docs/protocol.md, "Gateway".

/** A text part of a message's content. */
export interface WireTextPart {
  /** Always `text`. */
  type: "text";
  /** The text. */
  text: string;
}

/** A tool call as the model makes it. */
export interface WireToolCall {
  /** The call's id, quoted back by the `tool` message answering it. */
  id: string;
  /** Always `function`. */
  type: "function";
  /** Which function, with what. */
  function: {
    /** The tool's name. */
    name: string;
    /** The arguments, as JSON text (a model may write text that is not JSON). */
    arguments: string;
  };
}

/** One message of a chat request. */
export interface WireMessage {
  /** Who wrote it. */
  role: "system" | "user" | "assistant" | "tool";
  /** Its text: a string, text parts, or null (an assistant turn that only calls tools). */
  content: string | WireTextPart[] | null;
  /** An optional participant name. */
  name?: string;
  /** The tool calls of an assistant turn. */
  tool_calls?: WireToolCall[];
  /** The call a `tool` message answers. */
  tool_call_id?: string;
}

/** A tool offered to the model. */
export interface WireTool {
  /** Always `function`. */
  type: "function";
  /** The function. */
  function: {
    /** Its name: 1 to 64 letters, digits, '_' or '-'. */
    name: string;
    /** What it does, for the model. */
    description?: string;
    /** JSON schema of its arguments. */
    parameters?: Record<string, unknown>;
  };
}

/** Which tool the model must call, if any. */
export type WireToolChoice = "auto" | "none" | "required" | { type: "function"; function: { name: string } };

/** What the answer's text must be. */
export type WireResponseFormat =
  | { type: "text" }
  | { type: "json_object" }
  | { type: "json_schema"; json_schema: { name: string; description?: string; schema?: Record<string, unknown>; strict?: boolean } };

/** `POST /v1/chat/completions`. */
export interface WireChatRequest {
  /** The model. */
  model: string;
  /** The conversation so far. */
  messages: WireMessage[];
  /** Tools the model may call. */
  tools?: WireTool[];
  /** Which tool the model must call, if any. */
  tool_choice?: WireToolChoice;
  /** Sampling temperature, 0 to 2. */
  temperature?: number;
  /** Nucleus sampling, 0 to 1. */
  top_p?: number;
  /** Longest answer, in tokens. */
  max_tokens?: number;
  /** Text that ends the answer. */
  stop?: string | string[];
  /** Seed for sampling. */
  seed?: number;
  /** What the answer's text must be. */
  response_format?: WireResponseFormat;
  /** End user id, for the provider's abuse monitoring. */
  user?: string;
  /** Answer as server-sent events. */
  stream?: boolean;
  /** Streaming options. */
  stream_options?: { include_usage?: boolean };
}

/** Why the model stopped. */
export type WireFinishReason = "stop" | "length" | "tool_calls" | "content_filter";

/** Token counts of a call. */
export interface WireUsage {
  /** Tokens of the prompt. */
  prompt_tokens: number;
  /** Tokens of the answer (0 for embeddings; absent there). */
  completion_tokens?: number;
  /** Both. */
  total_tokens: number;
}

/** The answer to a chat request without `stream`. */
export interface WireChatCompletion {
  /** The completion's id. */
  id: string;
  /** Always `chat.completion`. */
  object: "chat.completion";
  /** When it was made, in seconds since the epoch. */
  created: number;
  /** The model that answered. */
  model: string;
  /** The answers (one). */
  choices: Array<{
    /** Its position. */
    index: number;
    /** The assistant's message. */
    message: { role: "assistant"; content: string | null; tool_calls?: WireToolCall[]; refusal?: string | null };
    /** Why it stopped. */
    finish_reason: WireFinishReason | null;
  }>;
  /** Token counts. */
  usage?: WireUsage;
}

/** A piece of a tool call in a stream: `index` says which call it adds to. */
export interface WireToolCallDelta {
  /** Which call of the answer. */
  index: number;
  /** The call's id (first piece only). */
  id?: string;
  /** `function` (first piece only). */
  type?: "function";
  /** Name (first piece) and a piece of the arguments' text. */
  function?: { name?: string; arguments?: string };
}

/** One event of a streamed chat. */
export interface WireChatChunk {
  /** The completion's id, the same in every chunk. */
  id: string;
  /** Always `chat.completion.chunk`. */
  object: "chat.completion.chunk";
  /** When it was made, in seconds since the epoch. */
  created: number;
  /** The model that answers. */
  model: string;
  /** What this chunk adds (empty in the usage chunk). */
  choices: Array<{
    /** Which answer. */
    index: number;
    /** What it adds. */
    delta: { role?: "assistant"; content?: string | null; tool_calls?: WireToolCallDelta[]; refusal?: string | null };
    /** Set in the last chunk of the answer. */
    finish_reason: WireFinishReason | null;
  }>;
  /** Token counts: in the last chunk, when `stream_options.include_usage` asked. */
  usage?: WireUsage | null;
}

/** `POST /v1/embeddings`. */
export interface WireEmbeddingRequest {
  /** The embedding model. */
  model: string;
  /** The text, or texts. */
  input: string | string[];
  /** `float` (default): arrays of numbers; `base64`: little-endian float32 bytes. */
  encoding_format?: "float" | "base64";
  /** Length of each vector, where the model can choose. */
  dimensions?: number;
  /** End user id. */
  user?: string;
}

/** The answer to an embeddings request. */
export interface WireEmbeddingResponse {
  /** Always `list`. */
  object: "list";
  /** One vector per input, by `index`. */
  data: Array<{ object: "embedding"; index: number; embedding: number[] | string }>;
  /** The model that embedded. */
  model: string;
  /** Token counts. */
  usage: WireUsage;
}

/** The last event of a stream that failed after it started. */
export interface WireStreamError {
  /** The failure, as the error envelope has it, plus the HTTP status it would have had. */
  error: { code: string; message: string; status?: number };
}
